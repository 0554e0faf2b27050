r"""
---
title: Benchmark - faithfulness, every source line on its page
summary: Builds any project folder with the generator and checks every page against its source - code lines once, in order, as written; prose words; formulas; line links - recorded on public repositories.
---

# Faithfulness check: does every annotated page show all of its source, once, where it says?

    python bench/faithfulness.py PROJECT_DIR [--name owner/repo --commit SHA] [--record]

builds the site of a project folder the way "Use the generator on your project"
(site_src/readme.md) describes, with a generated mkdocs.yml that annotates the whole folder
(no API reference, since that imports the code, and no `repo_url`, so that line numbers open
the site's own source views), and then reads the built pages back and compares them with the
sources, file by file:

* **Code.** Every line of a `.py` file that is neither a full-line comment nor part of a
  docstring must be in the code column exactly once: lost and duplicated lines are counted,
  and so are lines out of order and lines whose text differs from the source (tabs expanded,
  control characters shown as their pictures, as the page shows them). Comment and docstring
  lines may be in the code column too (a comment inside a call stays there), but then once.
* **Prose.** The words of every other non-blank line (comments, docstrings, Markdown files)
  must be on the page, in the prose column or in the page's title and description (front
  matter), or as a link's address: counted per page as a multiset, so a word shown once
  where the source has it twice counts as one lost. The markup that rendering consumes is not
  counted as words: comment signs and quotes, the keys of front matter, reST field and role
  names (`:param`, `:func:`), directive names (`.. math::`), notebook cell markers, HTML tags.
  A formula's words are its TeX, read from the MathML annotation KaTeX writes.
* **Formulas.** A formula KaTeX cannot typeset fails the build: each such error is counted. In
  a built page, math left as text in the prose (`$$`, `\(`, `\[`, `\begin{`, or `$` around
  TeX) is counted too.
* **Line links.** Every section's link to its lines must open the file's source view, whose
  line `L<n>` is line `n` of the file, and span the section's code.
* **Crashes and warnings.** A build that stops is a crash, counted per repository with the
  lines it printed; nothing else can be checked then. What the build could not show as
  written (an image without a description, a mistyped or unknown directive) is a warning,
  and its page a fallback: warnings are counted and listed, not failed.

A notebook (`.ipynb`) is read as its page numbers it: a `# %%` line before each cell (not
shown), then the cell's lines, a Markdown cell's as prose and a code cell's as code.

`--record` adds the figures to bench/results/faithfulness.json and rewrites
bench/results/faithfulness.md from it. The project folder itself is not written to: it is
copied to a temporary folder first.
"""
import argparse
import ast
import collections
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import warnings
from html.parser import HTMLParser
from importlib.metadata import entry_points
from pathlib import Path, PurePosixPath

# The generator of this checkout, which the build below runs too (not an installed one)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from site_src.project import Package, discover, page_urls, source_page_url  # noqa: E402
from site_src.sections import read_source, split_lines  # noqa: E402

RESULTS = ROOT / 'bench' / 'results'


# ## Building the site
#
# The plugin and theme are registered as `annotated` when the generator is installed on its
# own, and under this project's name when this project is installed; either is the code of
# this checkout, which comes first on `PYTHONPATH`.
def plugin_name() -> str:
    names = {e.name for e in entry_points(group='mkdocs.plugins')}
    return 'annotated' if 'annotated' in names else 'labml_nn_site'


def build(project: Path, work: Path) -> tuple[Path, int, list[str], list[str], float]:
    """Copy `project` into `work` and build its site; `(site, number of sources, build errors,
    warnings, seconds)`."""
    copy = work / 'project'
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns('.git'), symlinks=True)
    name = plugin_name()
    (copy / '.annotated-docs').mkdir()
    config = copy / '.annotated-mkdocs.yml'
    config.write_text(f'site_name: {json.dumps(project.name)}\n'
                      f'docs_dir: .annotated-docs\n'
                      f'theme:\n  name: {name}\n'
                      f'plugins:\n  - search\n  - {name}:\n      packages:\n        ".": ""\n'
                      f'      api: false\n', encoding='utf-8')
    site = work / 'site'
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-f', str(config), '-d', str(site)],
                            cwd=copy, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    said = [s for s in result.stderr.splitlines() if s.strip()]
    errors = [] if result.returncode == 0 else [s for s in said if not s.startswith('INFO')]
    warnings = [s.split('-', 1)[1].strip() for s in said if s.startswith('WARNING')]
    return site, len(discover(copy, Package('.', ''))), errors, warnings, seconds


# ## Reading a page back
#
# A page is a list of sections; each has a prose column (`div.docs`) and a code column
# (`div.code`) whose lines are `span.line` with the source line number in `data-ln`.
VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}


class PageReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.code: list[tuple[int, str]] = []
        self.sections: list[dict] = []
        # The prose as the reader sees it, and what else of the source a page holds: links'
        # addresses, images, and each formula's TeX
        self.prose: list[str] = []
        self.extra: list[str] = []
        # The prose outside code spans and blocks, where TeX left as text is looked for
        self.text: list[str] = []
        self.title = ''
        self.description = ''
        self.line: list | None = None
        self.in_title = False
        # Depth inside KaTeX's markup (only its annotation, the TeX, is read) and inside the
        # annotation
        self.katex = 0
        self.annotation = False

    def where(self, cls: str) -> bool:
        return any(cls in c.split() for _, c in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        cls = attrs.get('class') or ''
        if tag == 'title':
            self.in_title = True
        if tag == 'meta' and attrs.get('name') == 'description':
            self.description = attrs.get('content') or ''
        if tag in VOID:
            if tag == 'img' and self.where('docs'):
                self.extra += [attrs.get('src') or '', attrs.get('alt') or '']
            return
        if 'section' in cls.split() and tag == 'div':
            self.sections.append({'code': [], 'link': None})
        if tag == 'a' and 'source-link' in cls.split() and self.sections:
            self.sections[-1]['link'] = attrs.get('href')
        elif tag == 'a' and self.where('docs') and attrs.get('href'):
            self.extra.append(attrs['href'])
        if tag == 'span' and 'line' in cls.split() and attrs.get('data-ln') and self.where('code'):
            self.line = [int(attrs['data-ln']), '']
        if self.katex or (tag == 'span' and 'katex' in cls.split()):
            self.katex += 1
        if tag == 'annotation':
            self.annotation = True
        self.stack.append((tag, cls))

    def handle_endtag(self, tag):
        if tag == 'title':
            self.in_title = False
        if tag == 'annotation':
            self.annotation = False
        if tag in VOID or all(open_tag != tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, cls = self.stack.pop()
            if self.katex:
                self.katex -= 1
            if open_tag == 'span' and 'line' in cls.split() and self.line is not None:
                self.code.append(tuple(self.line))
                if self.sections:
                    self.sections[-1]['code'].append(self.line[0])
                self.line = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.in_title:
            self.title += data
        if self.line is not None:
            self.line[1] += data
        elif self.where('docs') and not self.where('section-links'):
            if self.katex:
                if self.annotation:
                    self.extra.append(data)
            else:
                self.prose.append(data)
                if not any(tag in ('code', 'pre') for tag, _ in self.stack):
                    self.text.append(data)


def read_page(path: Path) -> PageReader:
    reader = PageReader()
    reader.feed(path.read_text(encoding='utf-8'))
    return reader


# ## What the source says
#
# Independently of the generator's own parser: the full-line comments (from `tokenize`) and
# the docstrings (from `ast`) of a Python file are its prose lines; every other non-blank line
# is code.
def prose_lines_of(text: str, lines: list[str]) -> set[int]:
    prose = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and not lines[token.start[0] - 1][:token.start[1]].strip():
                prose.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tree = ast.parse(text)
    for node in [tree, *ast.walk(tree)]:
        body = getattr(node, 'body', None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            prose.update(range(body[0].lineno, body[0].end_lineno + 1))
    return prose


# A notebook's lines as its page numbers them (see the module's docstring), which of them are
# prose, and the words of the cells that are neither Markdown nor code (raw cells)
def notebook_lines(text: str) -> tuple[list[str], set[int], list[str]]:
    lines, prose, other = [], set(), []
    for cell in json.loads(text).get('cells', []):
        source = cell.get('source', '')
        source = ''.join(source) if isinstance(source, list) else source
        cell_lines = source.split('\n') if source else []
        if cell.get('cell_type') == 'markdown':
            lines.append('# %% [markdown]')
            prose.update(range(len(lines), len(lines) + len(cell_lines) + 1))
            lines += [('# ' + line).rstrip() for line in cell_lines]
        elif cell.get('cell_type') == 'code':
            lines.append('# %%')
            prose.add(len(lines))
            lines += cell_lines
        else:
            other += prose_words(source)
    return lines, prose, other


# The markup that rendering consumes, taken out of a prose line before its words are counted
MARKUP = [
    re.compile(r'^\s*#+!?'),                                     # comment signs
    re.compile(r'^\s*(`{3,}|~{3,})\s*[\w+-]*'),                  # a fence's language
    re.compile(r'^\s*\d+[.)](?=\s)'),                            # a numbered list's numbers
    re.compile(r'^\s*[rRuUbBfF]{0,2}("""|\'\'\'|"|\')'),          # opening quotes
    re.compile(r'("""|\'\'\')\s*\)?\s*$'),                       # closing quotes
    re.compile(r'^\s*(title|summary)\s*:'),                      # front matter keys
    re.compile(r'(?<=%%)(?:\s*\[\w+\])?(?:\s+[\w-]+=("[^"]*"|\S*))+\s*$'),  # and their attributes
    re.compile(r'^\s*%%(?!%)\s*(\[\w+\])?'),                     # notebook cell markers
    re.compile(r'(?::\w+)?:\w+:(?=`)'),                          # reST roles
    re.compile(r'^\s*:(param|parameter|arg|argument|key|keyword|kwarg|kwparam|type|returns?|rtype|'
               r'raises?|except|exception|var|ivar|cvar|vartype|yields?|ytype)\b'),  # reST fields
    re.compile(r'^\s*\.\.\s*[A-Za-z][\w-]*\s*:+'),                  # reST directives (and mistyped ones)
    re.compile(r'^\s*:[\w-]+:.*$'),                              # reST directive options
    re.compile(r'^\s*(!!!|\?\?\?\+?)\s+[\w-]+(?=\s+")'),          # a titled note's kind
    re.compile(r'</?[a-z][a-z0-9]*(\s[^<>]*)?/?>'),               # HTML tags
    re.compile(r'\]\([^()\s]*\)'),                                # a link's address
    re.compile(r'\]\[[^\]]*\]|^\s*\[[^\]]+\]:'),                   # a reference link's label
]
WORD = re.compile(r'[^\W_]+')


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def prose_words(line: str) -> list[str]:
    for pattern in MARKUP:
        line = pattern.sub(' ', line)
    return words(line)


# Front matter (YAML between two `---` lines opening the first prose of a file, in a docstring
# or in comments) is metadata: only its title and summary are for readers, as the page's
# title and description. The lines of its other keys are not counted.
def front_matter_lines(lines: list[str], prose: set[int], whole: bool = False) -> set[int]:
    def bare(n):
        return re.sub(r'^\s*(#+\s?|[rRuU]?(\"\"\"|\'\'\'))', '', lines[n - 1]).strip()
    order = [n for n in sorted(prose) if bare(n)]
    if not order or bare(order[0]) != '---':
        return set()
    for i, n in enumerate(order[1:], 1):
        if bare(n) == '---':
            return {m for m in range(order[0], n + 1) if whole or not re.match(r'(title|summary)\s*:', bare(m))}
    return set()


# Math left as text in the prose: its delimiters, or dollars around something TeX-like. (A
# `\int` that an author wrote without delimiters is text as written, and is not counted.)
RAW_TEX = re.compile(r'\${2}|\\[(\[]|\\begin\{|\$[^$\s][^$\n]*[\\^_{][^$\n]*\$')


# The text of a line as the page shows it (Python's with its tabs expanded)
def shown(line: str, python: bool = True) -> str:
    line = line.expandtabs(4) if python else line
    return re.sub('[\x00-\x08\x0b-\x1f\x7f]', lambda m: '\u2421' if m.group() == '\x7f'
                  else chr(0x2400 + ord(m.group())), line)


# ## One file
def check_file(root: Path, site: Path, rel: PurePosixPath, url: str, figures: dict, problems: list):
    text = read_source(root / rel, str(rel))
    lines, notebook_prose, other_words = split_lines(text), None, []
    if rel.suffix == '.ipynb':
        lines, notebook_prose, other_words = notebook_lines(text)
        text = '\n'.join(lines) + '\n'
    page_path = site / url
    figures['files'] += 1
    if not page_path.is_file():
        # A file of nothing but front matter (a stub that redirects elsewhere) has nothing to show
        metadata = front_matter_lines(lines, set(range(1, len(lines) + 1)), whole=True)
        if any(line.strip() and n not in metadata and not re.fullmatch(r'\s*[rRuU]?("{3}|\'{3})\s*', line)
               for n, line in enumerate(lines, 1)):
            problems.append(f'{rel}: no page at {url}')
            figures['pages_missing'] += 1
        return
    page = read_page(page_path)
    is_python = rel.suffix in ('.py', '.ipynb')
    prose = (notebook_prose if notebook_prose is not None else prose_lines_of(text, lines) if is_python
             else set(range(1, len(lines) + 1)))
    # Code: once each, in order, as written
    numbers = [n for n, _ in page.code]
    counts = collections.Counter(numbers)
    for n, body in page.code:
        if not 1 <= n <= len(lines) or body != shown(lines[n - 1]):
            figures['code_lines_altered'] += 1
            problems.append(f'{rel}:{n}: code line differs from the source')
    figures['code_lines_duplicated'] += sum(c - 1 for c in counts.values())
    figures['code_lines_out_of_order'] += sum(1 for a, b in zip(numbers, numbers[1:]) if b <= a)
    expected = collections.Counter()
    metadata = front_matter_lines(lines, prose - set(counts))
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if n in counts:
            figures['code_lines'] += 1
            continue
        if n not in prose:
            figures['code_lines'] += 1
            figures['code_lines_lost'] += 1
            problems.append(f'{rel}:{n}: code line not on the page: {line.strip()[:60]}')
            continue
        figures['prose_lines'] += 1
        if n not in metadata:
            expected.update(prose_words(line))
    expected.update(other_words)
    available = collections.Counter(words(' '.join([*page.prose, *page.extra, page.title, page.description])))
    lost = {w: c - available[w] for w, c in expected.items() if c > available[w]}
    figures['prose_words'] += sum(expected.values())
    figures['prose_words_lost'] += sum(lost.values())
    if lost:
        problems.append(f'{rel}: prose words lost: ' + ', '.join(f'{w}×{c}' if c > 1 else w
                                                                for w, c in sorted(lost.items())[:12]))
    # Formulas, and TeX left as text
    figures['formulas'] += page_path.read_text(encoding='utf-8').count('<annotation encoding="application/x-tex">')
    raw = RAW_TEX.findall(''.join(page.text))
    figures['raw_tex_left'] += len(raw)
    if raw:
        problems.append(f'{rel}: TeX left as text: {raw[:3]}')
    # Line links: to the source view, spanning the section's code
    view_path = site / source_page_url(rel)
    view = {}
    if view_path.is_file():
        for n, body in read_page_view(view_path):
            view[n] = body
    for section in page.sections:
        link = section['link']
        if link is None:
            continue
        figures['line_links'] += 1
        m = re.fullmatch(r'(?P<file>[^?#]+)(?:\?lines=(?P<a>\d+)-(?P<b>\d+))?#L(?P<first>\d+)', link)
        target = (page_path.parent / m.group('file')).resolve() if m else None
        ok = bool(m) and target == view_path.resolve() and view_path.is_file()
        if ok:
            first = int(m.group('a') or m.group('first'))
            last = int(m.group('b') or m.group('first'))
            ok = (first == int(m.group('first')) and 1 <= first <= last <= len(lines)
                  and all(first <= n <= last for n in section['code'])
                  and all(view.get(n) == shown(lines[n - 1], is_python) for n in range(first, last + 1)))
        if not ok:
            figures['line_links_broken'] += 1
            problems.append(f'{rel}: line link {link} does not open its lines')


# The source view: each line a `span.line` with `id="L<n>"`
def read_page_view(path: Path):
    reader = PageReader()
    reader.feed(path.read_text(encoding='utf-8').replace('class="highlight source-view"',
                                                         'class="highlight source-view code"'))
    return reader.code


# ## The figures
FIGURES = ['build_crashes', 'build_warnings', 'files', 'pages_missing', 'code_lines', 'code_lines_lost', 'code_lines_duplicated',
           'code_lines_out_of_order', 'code_lines_altered', 'prose_lines', 'prose_words',
           'prose_words_lost', 'formulas', 'formula_failures', 'raw_tex_left', 'line_links',
           'line_links_broken']


def check(project: Path) -> tuple[dict, list[str]]:
    figures = dict.fromkeys(FIGURES, 0)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix='faithfulness-') as tmp:
        # (How long the build took is not recorded: on a shared machine it says little)
        site, sources, errors, warnings, _ = build(project, Path(tmp))
        figures['build_warnings'] = len(warnings)
        figures['warnings'] = warnings
        if errors:
            figures['build_crashes'] = 1
            figures['formula_failures'] = sum('KaTeX cannot render' in e for e in errors)
            figures['build_errors'] = errors
            return figures, errors
        root = Path(tmp) / 'project'
        files = discover(root, Package('.', ''))
        urls = page_urls([(rel, Package('.', '')) for rel in files])
        for rel in files:
            check_file(root, site, rel, urls[rel], figures, problems)
    return figures, problems


def percent(part: int, whole: int) -> str:
    return f'{100 * part / whole:.3f}%' if whole else '0%'


# What each warning is about, by the words the generator uses
WARNING_KINDS = [('images without a description', 'draws an image without a description'),
                 ('mistyped directives', 'mistyped directive'), ('unknown directives', 'unknown directive'),
                 ('notebooks off the schema', 'not a valid notebook'), ('saved errors', 'saved an error'),
                 ('pages without a title', 'has no title')]


def write_markdown(records: list[dict]):
    rows = []
    for r in records:
        f = r['figures']
        rows.append(f"| [{r['name']}](https://github.com/{r['name']}) `{r['commit'][:12]}` | "
                    f"{f.get('build_crashes', 0)} | {f.get('build_warnings', 0)} | {f['files']} | "
                    f"{f['code_lines']:,} | {f['code_lines_lost']} | {f['code_lines_duplicated']} | "
                    f"{f['code_lines_out_of_order']} | {f['code_lines_altered']} | {f['prose_words']:,} | "
                    f"{f['prose_words_lost']} ({percent(f['prose_words_lost'], f['prose_words'])}) | "
                    f"{f['formulas']} | {f['formula_failures']} | {f['raw_tex_left']} | "
                    f"{f['line_links']} | {f['line_links_broken']} |")
    notes, warned = [], []
    for r in records:
        if r.get('problems'):
            notes.append(f"\n### {r['name']}\n")
            notes += [f'* `{p}`' for p in r['problems'][:30]]
        said = r['figures'].get('warnings') or []
        if said:
            kinds = collections.Counter(next((kind for kind, pattern in WARNING_KINDS if pattern in w), 'other')
                                        for w in said)
            warned.append(f"\n### {r['name']}\n")
            warned.append(', '.join(f'{kind}: {n}' for kind, n in sorted(kinds.items())) + '.\n')
            # (A page without a title is its own kind of warning, about the map: not listed)
            warned += [f'* `` {w} ``' for w in said if 'has no title' not in w][:30]
    text = f"""# Faithfulness of the annotated pages

Recorded by `python bench/faithfulness.py PROJECT --name OWNER/REPO --commit SHA --record`:
each public repository below, at the commit named, was built with a generated `mkdocs.yml`
that annotates the whole repository (every `.py`, `.md` and `.ipynb` file), and every page was read back
and compared with its source, as the script's docstring describes. None of their code is in
this repository.

| repository and commit | crashes | warnings | files | code lines | lost | duplicated | out of order | altered | prose words | lost | formulas | failed | raw TeX left | line links | broken |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Targets: no build crash; no code line lost, duplicated, out of order or altered; under 0.1% of
prose words lost; no formula failing; no TeX left as text; no broken line link. A warning is
something the build could not show as written and replaced by a fallback (listed below); it
is not a failure unless mkdocs' `strict` is set.

Machine: {records[-1]['machine'] if records else ''}.
{chr(10).join(f"{chr(10)}{r['name']}: {r['note']}" for r in records if r.get('note'))}
{"## What is still counted as lost" + chr(10) + chr(10).join(notes) + chr(10) if notes else ""}
{"## Warnings: what has a fallback" + chr(10) + chr(10).join(warned) if warned else ""}
"""
    (RESULTS / 'faithfulness.md').write_text(text, encoding='utf-8')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('project', type=Path, help='a project folder')
    parser.add_argument('--name', help='owner/repository, for the record')
    parser.add_argument('--commit', default='', help='the commit the folder holds, for the record')
    parser.add_argument('--note', default='', help='what the record should say about the copy checked')
    parser.add_argument('--record', action='store_true', help='add the figures to bench/results/faithfulness.*')
    args = parser.parse_args(argv)
    if not args.project.is_dir():
        print(f'faithfulness: {args.project} is not a folder; give the folder of a project', file=sys.stderr)
        return 2
    figures, problems = check(args.project.resolve())
    for problem in problems[:40]:
        print(problem)
    if len(problems) > 40:
        print(f'… and {len(problems) - 40} more')
    print(json.dumps(figures, indent=1))
    if args.record:
        path = RESULTS / 'faithfulness.json'
        records = json.loads(path.read_text()) if path.exists() else []
        name = args.name or args.project.name
        records = [r for r in records if r['name'] != name]
        records.append({'name': name, 'commit': args.commit, 'figures': figures, 'problems': problems[:30],
                        **({'note': args.note} if args.note else {}),
                        'date': datetime.date.today().isoformat(),
                        'machine': f'{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average '
                                   f'{os.getloadavg()[0]:.2f}'})
        path.write_text(json.dumps(records, indent=1) + '\n', encoding='utf-8')
        write_markdown(records)
    failed = (figures['code_lines_lost'] or figures['code_lines_duplicated'] or figures['code_lines_out_of_order']
              or figures['code_lines_altered'] or figures['formula_failures'] or figures['raw_tex_left']
              or figures['line_links_broken'] or figures['build_crashes']
              or figures['prose_words_lost'] > 0.001 * max(1, figures['prose_words']))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
