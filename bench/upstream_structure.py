r"""
---
title: Benchmark - our sections against upstream's published pages
summary: Renders every source of the upstream project with our generator and compares where its sections start with the pages upstream publishes, at a pinned commit; records the pages with the same structure, crashes, formula failures and a reason for every difference.
---

# Do our sections start where upstream's pages start theirs?

    python bench/upstream_structure.py UPSTREAM [--generator DIR] [--label TEXT] [--record]

`UPSTREAM` is a clone of the project this one re-creates,
[labmlai/annotated_deep_learning_paper_implementations](https://github.com/labmlai/annotated_deep_learning_paper_implementations),
or a bare mirror of it: any git folder that holds commit `COMMIT` below, which the script
reads with `git` and never writes to. Upstream keeps the pages it publishes in its repository,
under `docs/`: `labml_nn/transformers/mlm/experiment.py` is published as
`docs/transformers/mlm/experiment.html`, a package's `__init__.py` as its folder's
`index.html`. That gives a second opinion on every sectioning rule, on 222 real sources.

For each `.py` file under `labml_nn/` at that commit, the script

* renders the file with our generator's core ([sections](../site_src/sections.py) and
  [render](../site_src/render.py), no mkdocs), every formula typeset by KaTeX in one node
  process for the whole run; an exception while parsing or rendering is a **crash**, and a
  formula KaTeX cannot typeset a **formula failure**;
* reads upstream's page: each `div.section`, and in its code column the source line number
  that each line carries;
* compares the two **structures**. A structure is, for each section that has code, its
  non-blank source lines; the page has the *same structure* when its sections *start* at the
  same source lines (the first non-blank code line of each), and the *same code* when every
  section also holds the same lines (a comment that one side shows as code and the other as
  prose differs there).

A page that differs is explained line by line, each line where only one side starts a
section getting a reason (see `REASONS`): where we mean to differ from upstream, or where
upstream's page is older than its source (its code lines no longer match the file's). A line
that fits none is *unexplained*, and counted.

`--generator DIR` measures the `site_src` inside `DIR` instead of this checkout's (to measure
another version of the generator; the KaTeX it needs is its `site_src/node_modules`), and
`--label` names what was measured. `--record` adds the figures to
bench/results/upstream_structure.json under that label, replacing a record of the same label,
and rewrites bench/results/upstream_structure.md from it. Exit status: 2 for bad input, 1 if
the last measurement misses a target (95% of pages with the same structure, no crash, no
formula failure, nothing unexplained), 0 otherwise.
"""
import argparse
import datetime
import html
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'bench' / 'results'
UPSTREAM = 'labmlai/annotated_deep_learning_paper_implementations'
# The commit measured (upstream's `master` on 2025-08-21), the one bench/faithfulness.py built
COMMIT = 'e6b3c8a6a2cdae4071bcde1abeaaf9a2bc37bd53'
TARGET = 0.95


# ## Reading upstream's repository
#
# Everything comes out of git, so a bare mirror serves as well as a clone, and the files are
# those of the pinned commit whatever is checked out.
class BadInput(Exception):
    """A problem with what the user gave: one line, exit status 2."""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(['git', '-C', str(repo), *args], capture_output=True, text=True)
    if done.returncode:
        raise BadInput(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed')
    return done.stdout


def read_blobs(repo: Path, paths: list[str]) -> dict[str, str]:
    """The text of each path at `COMMIT`, read by one `git cat-file --batch`."""
    request = ''.join(f'{COMMIT}:{p}\n' for p in paths).encode()
    out = subprocess.run(['git', '-C', str(repo), 'cat-file', '--batch'], input=request,
                         capture_output=True, check=True).stdout
    texts, at = {}, 0
    for path in paths:
        header_end = out.index(b'\n', at)
        size = int(out[at:header_end].split()[2])
        texts[path] = out[header_end + 1:header_end + 1 + size].decode('utf-8')
        at = header_end + 1 + size + 1
    return texts


def upstream_files(repo: Path) -> list[tuple[str, str]]:
    """`(source, published page)` for every `.py` under `labml_nn/`."""
    if not repo.is_dir():
        raise BadInput(f'{repo} is not a folder; give a clone of {UPSTREAM}')
    if subprocess.run(['git', '-C', str(repo), 'rev-parse', '--git-dir'], capture_output=True).returncode:
        raise BadInput(f'{repo} is not a git repository; give a clone of {UPSTREAM}')
    if subprocess.run(['git', '-C', str(repo), 'cat-file', '-e', f'{COMMIT}^{{commit}}'],
                      capture_output=True).returncode:
        raise BadInput(f'{repo} does not hold commit {COMMIT[:12]}; fetch it '
                       f'(git -C {repo} fetch origin {COMMIT}) or clone {UPSTREAM} again')
    files = git(repo, 'ls-tree', '-r', '--name-only', COMMIT).splitlines()
    # Upstream's pages were written on a file system that ignores case (`rwkv/` is `docs/RWKV/`)
    pages = {f.lower(): f for f in files if f.startswith('docs/') and f.endswith('.html')}
    pairs = []
    for source in sorted(f for f in files if f.startswith('labml_nn/') and f.endswith('.py')):
        page = 'docs/' + re.sub(r'(^|/)__init__\.py$', r'\1index.html', source[len('labml_nn/'):])
        page = page[:-3] + '.html' if page.endswith('.py') else page
        pairs.append((source, pages.get(page.lower(), '')))
    return pairs


# ## The structure of a page
#
# A structure is a list of sections, each the sorted non-blank source lines of its code column.
# Blank lines are left out: where a blank line between two paragraphs of code goes is no
# difference a reader sees.
SECTION = re.compile(r"<div class='section' id='section-\d+'>")
LINENO = re.compile(r'<span class="lineno">(\d+)</span>(.*)')


def upstream_sections(page: str) -> list[list[tuple[int, str]]]:
    """`(line number, text)` of each code line of each section of an upstream page."""
    sections = []
    for part in SECTION.split(page)[1:]:
        code = part.split("<div class='code'>", 1)[1] if "<div class='code'>" in part else ''
        lines = []
        for row in code.split('\n'):
            m = LINENO.search(row)
            if m:
                lines.append((int(m.group(1)), html.unescape(re.sub(r'<[^>]+>', '', m.group(2)))))
        sections.append(lines)
    return sections


def structure(sections: list[list[int]], lines: list[str]) -> list[list[int]]:
    kept = [[n for n in code if n <= len(lines) and lines[n - 1].strip()] for code in sections]
    return [code for code in kept if code]


def stale_lines(sections: list[list[tuple[int, str]]], lines: list[str]) -> list[int]:
    """The lines where upstream's page shows other code than the source has: its page was
    built from an older version of the file. (A page shows a comment it made prose as a blank
    line: that is no difference.)"""
    stale = []
    for code in sections:
        for number, text in code:
            source = lines[number - 1] if number <= len(lines) else None
            if source is None or (source.rstrip() != text.rstrip()
                                  and not (not text.strip() and source.lstrip().startswith('#'))):
                stale.append(number)
    return stale


# ## Why a page differs
#
# Each line where only one side starts a section gets the first reason that fits it; each
# reason is a rule of ours that we keep on purpose, or a fault of upstream's page.
REASONS = {
    'stale': "upstream's page was built from an older version of the file: its code lines no "
             "longer match the source",
    'docstring': 'a documented definition keeps its docstring beside its signature; upstream, '
                 'inside a row of definitions that a decorated one started, shows the signature '
                 'with the row and the docstring beside the body',
    'commented_out': 'commented-out code inside brackets stays in the code column, where it was '
                     'written; upstream makes it prose',
    'block_end': 'a comment run that ends an indented block and is followed by a blank line stays '
                 'with the code above it, as written; upstream makes it prose',
    'no_page': 'upstream publishes no page for this source',
}


def reason_for(line: int, ours_only: bool, source, documented: set[int], our_code: set[int]) -> str | None:
    lines = source.lines

    def comment(n: int) -> bool:
        return 0 < n <= len(lines) and lines[n - 1].lstrip().startswith('#')

    if ours_only and line in documented:
        return 'docstring'
    # The comments that upstream made prose and we kept as code: the line itself (we start a
    # section on it), or the run right above it (upstream starts its section after them)
    above = line - 1
    while above > 0 and not lines[above - 1].strip():
        above -= 1
    kept = [n for n in (line, above) if comment(n) and n in our_code]
    if not kept:
        return None
    # Which of our rules kept it: commented-out code inside brackets, or the end of a block
    return 'commented_out' if kept[0] in in_brackets(source.text) else 'block_end'


def in_brackets(text: str) -> set[int]:
    """The lines of full-line comments inside brackets."""
    depth, inside = 0, set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.OP and token.string in '([{':
            depth += 1
        elif token.type == tokenize.OP and token.string in ')]}':
            depth -= 1
        elif token.type == tokenize.COMMENT and depth and not token.line[:token.start[1]].strip():
            inside.add(token.start[0])
    return inside


# ## Measuring
def definitions_with_docstrings(source, sections) -> set[int]:
    """The first line (decorator or `def`) of each documented definition."""
    import ast
    firsts = set()
    for node in ast.walk(ast.parse(source.text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            header_end = node.body[0].lineno - 1 if node.body[0].lineno > node.lineno else node.lineno
            if sections.docstring_node(node.body, source.lines, header_end):
                firsts.add(min([d.lineno for d in node.decorator_list] + [node.lineno]))
    return firsts


def measure(repo: Path) -> dict:
    from site_src import SiteError, sections
    from site_src.katex import MathBatch
    from site_src.render import page_body

    pairs = upstream_files(repo)
    texts = read_blobs(repo, [p for pair in pairs for p in pair if p])
    batch = MathBatch()
    pages, crashes = [], []
    with tempfile.TemporaryDirectory() as work:
        for rel, page in pairs:
            record = {'source': rel, 'page': page}
            pages.append(record)
            path = Path(work) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[rel], encoding='utf-8')
            try:
                source = sections.parse_file(path, rel)
                page_body(source, batch)
                # Node typesets this page's formulas while Python goes on with the next
                batch.send()
            except Exception as e:  # noqa: BLE001 - every way of failing is a crash to count
                record['crash'] = f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
                crashes.append(rel)
                continue
            if not page:
                record['differences'] = [{'line': 0, 'starts_on': '', 'reason': 'no_page'}]
                continue
            theirs = upstream_sections(texts[page])
            ours = structure([s.code_lines for s in source.sections], source.lines)
            # (Upstream shows a comment it made prose as a blank line of code: blank, as shown)
            upstream = structure([[n for n, text in code if text.strip()] for code in theirs], source.lines)
            record['sections'] = {'ours': len(ours), 'upstream': len(upstream)}
            record['same_structure'] = [c[0] for c in ours] == [c[0] for c in upstream]
            record['same_code'] = ours == upstream
            stale = stale_lines(theirs, source.lines)
            if stale:
                record['stale_lines'] = stale
            if record['same_structure']:
                if not record['same_code']:
                    # The same starts, but a line that one side shows as code and the other not
                    mine = {n for c in ours for n in c}
                    others = {n for c in upstream for n in c}
                    record['code_differences'] = [
                        {'line': line, 'code_on': 'ours' if line in mine else 'upstream',
                         'reason': reason_for(line, False, source, set(), mine)}
                        for line in sorted(mine ^ others)]
                continue
            our_starts, their_starts = {c[0] for c in ours}, {c[0] for c in upstream}
            documented = definitions_with_docstrings(source, sections)
            our_code = {n for c in ours for n in c}
            record['differences'] = [
                {'line': line, 'starts_on': 'ours' if line in our_starts else 'upstream',
                 'reason': 'stale' if stale else reason_for(line, line in our_starts, source, documented, our_code)}
                for line in sorted(our_starts ^ their_starts)]
    # Every formula of the run, typeset at once; KaTeX's complaints name `file:line` each
    failures = []
    try:
        batch.render()
    except SiteError as e:
        failures = [line for line in str(e).splitlines() if ': KaTeX cannot render' in line]
    for record in pages:
        failed = [f for f in failures if f.startswith(record['source'] + ':')]
        if failed:
            record['formula_failures'] = failed
    compared = [p for p in pages if 'same_structure' in p]
    same = sum(p['same_structure'] for p in compared)
    figures = {
        'pages': len(pages),
        'published': sum(bool(p['page']) for p in pages),
        'same_structure': same,
        'same_structure_share': round(same / len(pages), 4),
        'same_code': sum(p['same_code'] for p in compared),
        'section_starts_ours': sum(p['sections']['ours'] for p in compared),
        'section_starts_upstream': sum(p['sections']['upstream'] for p in compared),
        'crashes': len(crashes),
        'formulas': len(batch.formulas),
        'formula_failures': len(failures),
        'stale_pages': sum('stale_lines' in p for p in compared),
        'differences': sum(len(p.get('differences', [])) for p in pages),
        'unexplained': sum(d['reason'] is None for p in pages
                           for d in p.get('differences', []) + p.get('code_differences', [])),
    }
    return {'figures': figures, 'pages': [p for p in pages if not p.get('same_code')]}


# ## The record
def missed(figures: dict) -> list[str]:
    misses = []
    if figures['same_structure_share'] < TARGET:
        misses.append(f"{figures['same_structure']} of {figures['pages']} pages with the same structure, "
                      f'under {TARGET:.0%}')
    for key in ('crashes', 'formula_failures', 'unexplained'):
        if figures[key]:
            misses.append(f'{figures[key]} {key.replace("_", " ")}')
    return misses


def write_markdown(records: list[dict]):
    rows = []
    for r in records:
        f = r['figures']
        # The reasons are written for the rules of the last generator measured: for an older
        # one, a count of its unexplained differences would mean little
        unexplained = f['unexplained'] if r is records[-1] else '–'
        rows.append(f"| {r['label']} | {f['same_structure']} of {f['pages']} "
                    f"({100 * f['same_structure_share']:.1f}%) | {f['same_code']} | "
                    f"{f['section_starts_ours']:,} / {f['section_starts_upstream']:,} | {f['crashes']} | "
                    f"{f['formula_failures']} of {f['formulas']:,} | {unexplained} |")
    last = records[-1]

    def explained(page: dict, key: str, side: str) -> list[str]:
        by_reason: dict = {}
        for d in page.get(key, []):
            by_reason.setdefault(d['reason'], []).append(f"{d['line']} ({d[side]})" if d['line'] else '')
        out = []
        for reason, where in by_reason.items():
            lines = ', '.join(w for w in where if w)
            out.append(f"* `{page['source']}`" + (f", line{'s' if len(where) > 1 else ''} {lines}" if lines else '')
                       + f": {REASONS.get(reason, '**unexplained**')}.")
        return out

    details, code_details = [], []
    for page in last['pages']:
        if 'crash' in page:
            details.append(f"* `{page['source']}`: **crash**, {page['crash']}")
        details += explained(page, 'differences', 'starts_on')
        code_details += explained(page, 'code_differences', 'code_on')
    text = f"""# Our sections against upstream's published pages

Recorded by `python bench/upstream_structure.py UPSTREAM --label LABEL --record` on
[{UPSTREAM}](https://github.com/{UPSTREAM}) at commit `{COMMIT[:12]}`: each of its Python
sources under `labml_nn/` is rendered by our generator and compared with the page upstream
publishes for it in `docs/`, as the [script](../upstream_structure.py) describes. A page has
the *same structure* when its sections start at the same source lines; the *same code* when
every section also holds the same lines. None of upstream's code is in this repository.

| generator | same structure | same code | section starts, ours / upstream's | crashes | formula failures | unexplained differences |
|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Target: at least {TARGET:.0%} of the pages with the same structure, no crash, no formula failure,
and a reason for every difference (the reasons are those of the last generator's rules, so
only its row counts what they leave unexplained).

## The pages that still differ, and why

Measured with the last generator above ({last['date']}). Each line is a source line on which
only one side starts a section (`ours` or `upstream`).

{chr(10).join(details) if details else 'None.'}

The pages whose sections start at the same lines but hold other code: each line is a source
line that only one side shows as code (`ours` or `upstream`).

{chr(10).join(code_details) if code_details else 'None.'}
"""
    (RESULTS / 'upstream_structure.md').write_text(text, encoding='utf-8')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Compares our pages' sections with upstream's "
                                                 'published pages, on its sources')
    parser.add_argument('upstream', type=Path, help=f'a clone or mirror of {UPSTREAM}')
    parser.add_argument('--generator', type=Path, default=ROOT,
                        help='the folder whose site_src is measured (default: this checkout)')
    parser.add_argument('--label', help='what was measured, for the record (default: the generator\'s commit)')
    parser.add_argument('--record', action='store_true', help='add the figures to bench/results/upstream_structure.*')
    args = parser.parse_args(argv)
    if not (args.generator / 'site_src' / 'sections.py').is_file():
        print(f'upstream_structure: {args.generator} has no site_src/sections.py; give the folder '
              f'that holds the generator', file=sys.stderr)
        return 2
    # The generator measured comes first on the path (an installed copy would otherwise win)
    sys.path.insert(0, str(args.generator.resolve()))
    try:
        result = measure(args.upstream.resolve())
    except BadInput as e:
        print(f'upstream_structure: {e}', file=sys.stderr)
        return 2
    figures = result['figures']
    print(json.dumps(figures, indent=1))
    for page in result['pages']:
        print(page['source'], page.get('crash') or [(d['line'], d.get('starts_on') or d.get('code_on'), d['reason'])
                                                    for d in page.get('differences', page.get('code_differences', []))])
    if args.record:
        label = args.label or subprocess.run(['git', '-C', str(args.generator), 'log', '-1', '--format=%h %s'],
                                             capture_output=True, text=True).stdout.strip()[:60]
        path = RESULTS / 'upstream_structure.json'
        records = json.loads(path.read_text()) if path.exists() else []
        records = [r for r in records if r['label'] != label]
        records.append({'label': label, 'upstream': UPSTREAM, 'commit': COMMIT, **result,
                        'date': datetime.date.today().isoformat(),
                        'machine': f'{os.cpu_count()} cores, Python {sys.version.split()[0]}'})
        path.write_text(json.dumps(records, indent=1) + '\n', encoding='utf-8')
        write_markdown(records)
    misses = missed(figures)
    for miss in misses:
        print(f'missed: {miss}')
    return 1 if misses else 0


if __name__ == '__main__':
    sys.exit(main())
