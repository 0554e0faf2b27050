r"""
---
title: Every page as a notebook
summary: Each annotated page written out as a Jupyter notebook beside it - prose as Markdown cells, code as cells that run top to bottom - and a notebook in the sources shown as a page with its outputs.
---

# Pages as notebooks

A reader who wants to *run* a page, change a line and see what happens, wants it in Jupyter.
So beside every page `model.html` the generator writes `model.ipynb`: the same sections, in
the same order, as notebook cells, and the page links to it ("Open as a notebook"). With a
GitHub `repo_url`, it also links to the notebook in Colab. The option `notebooks: false`
turns all of this off.

## Cells from sections

A page's sections don't map one to one onto cells, because a cell must be Python that runs
on its own, and the sections of a class cut it between its methods. So:

* A section whose code starts a new top-level statement (no indentation) starts a new code
  cell, and its prose becomes the Markdown cell before it, exactly as written: TeX, links
  and all.
* A section whose code carries on a statement that is still open (a method of the class
  above, the rest of a function) joins that statement's cell, and its prose goes into the
  cell as `#` comments, at the indentation of the code it explains. Docstrings are prose
  here as on the page.
* A readme is one Markdown cell.

Every cell keeps where it came from: its metadata has `annotated.section` (or `sections`)
and `annotated.source_lines`, the lines of the source file it holds, so a cell can be traced
to the page and to the repository.

## Imports that work in a notebook

A module of a package imports its neighbours relatively: `from .model import Encoder`. A
notebook is no module of any package, so that line would fail. The generator rewrites the
module's relative imports to absolute ones, as Python would resolve them from the module's
place (`from labml_nn.transformers.mlm.model import Encoder`), so the notebook runs top to
bottom wherever the package is importable: in the project's own environment, or after the
notebook's first cell has installed it (the option `notebook_install`, a `pip install`
argument such as `git+https://github.com/you/project`, puts that cell in; it does nothing
when the package imports already). A `if __name__ == '__main__':` block runs in a notebook
too, since a notebook's `__name__` is `'__main__'`: its cell is tagged `main-guard` and its
condition made false there, so running a page that is also a script doesn't start the script.

## What a notebook adds to its page

A page read in a notebook should be run, tried and changed, so its notebook has more than the
page's sections:

* **A setup cell first.** It names the page and checks that the page's package imports;
  with `notebook_install` it installs it when it doesn't, and without it stops with one
  line that says what is missing.
* **The exercises.** The page's `name.exercises.md` ([exercises](exercises.html)) follows its
  code as Markdown, with an empty code cell before each solution, where the reader tries
  first. A quiz becomes its question and choices, its answer in a closed `<details>`.
* **A last cell that uses the page.** A page that defines things ends, in its notebook, with
  code that calls them. It comes from a companion beside the page, `name.notebook.py`
  (`__init__.notebook.py` for a package's page): plain Python that runs after the page's
  cells, with their names in scope, so that it uses what the reader changed. A docstring at
  its top becomes a Markdown cell before it. The companion is not a page, and a page
  without one simply ends with its exercises.
* **Links that work anywhere.** The prose links to pages relatively (`model.html`), which
  works only inside the site. In a notebook each such link is made absolute from mkdocs'
  `site_url`, the address the site is published at. Without a `site_url` there is no address
  to point at, and a made-up one would be worse than none: the link is then written as its
  text followed by the page's path in the site, "the model (`transformers/mlm/model.html` in
  the site)", which a reader can follow from wherever the site is. Set `site_url` and the
  notebooks link for real.

## Notebooks as pages

The other way round: a `.ipynb` file among the sources is a page of its own, its Markdown
cells the prose, its code beside them, and its saved outputs (text and images) under each
piece of code. Its own file is the notebook beside the page. What it can't show as the
author meant is a warning, never a page missing: an image without a description is
described from its cell or its place, and a notebook that breaks nbformat's schema is shown
as far as it can be read.
"""

import ast
import base64
import html
import inspect
import posixpath
import re
from pathlib import PurePosixPath

import yaml

from . import SiteError
from .exercises import QUIZ_BLOCK
from .render import page_link
from .sections import Section, SourceFile, split_front_matter

try:
    import nbformat
except ImportError:  # the notebooks are then not written (the plugin says so)
    nbformat = None


# ## The module's name
#
# `pkg/sub/model.py` is `pkg.sub.model`, `pkg/sub/__init__.py` is `pkg.sub`; the package a
# relative import starts from is the module's own package (the module itself for an `__init__`).
def module_name(path: str, package_parent: str = '.') -> tuple[list[str], bool]:
    rel = PurePosixPath(path)
    if package_parent not in ('', '.'):
        rel = rel.relative_to(package_parent)
    parts = list(rel.with_suffix('').parts)
    is_package = parts[-1] == '__init__'
    if is_package:
        parts.pop()
    return parts, is_package


RELATIVE_IMPORT = re.compile(r'^(\s*from\s+)(\.+)([\w.]*)(\s+import\b)')


def absolute_imports(code: str, path: str, package_parent: str = '.') -> str:
    """`code` of the module at `path` with each `from .x import y` written absolutely."""
    parts, is_package = module_name(path, package_parent)
    here = parts if is_package else parts[:-1]

    def absolute(m):
        level = len(m.group(2))
        base = here[:len(here) - (level - 1)] if level > 1 else here
        if level - 1 > len(here) or not base:
            raise SiteError(f'{path}: the import `{m.group(0).strip()}` goes above the package')
        name = '.'.join(base + ([m.group(3)] if m.group(3) else []))
        return f'{m.group(1)}{name}{m.group(4)}'
    return '\n'.join(RELATIVE_IMPORT.sub(absolute, line) for line in code.split('\n'))


MAIN_GUARD = re.compile(r'''^if\s+__name__\s*==\s*(['"])__main__\1\s*:''', re.MULTILINE)


# ## Cells from sections
def indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def complete(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except SyntaxError:
        return False


def runs_of(numbers: list[int]) -> list[list[int]]:
    """`[3, 4, 5, 9]` → `[[3, 5], [9, 9]]`: the line ranges a cell holds."""
    out = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        else:
            out.append([n, n])
    return out


def page_notebook(source: SourceFile, package_parent: str = '.', install: str = '',
                  page_url: str = '', site_url: str = '', exercises: str = '', closing: str = '',
                  closing_path: str = ''):
    """
    The notebook of a parsed page: an `nbformat` v4 notebook. `page_url` is the page's address
    in the site (`transformers/mlm/model.html`), `site_url` the site's published address (or
    `''`), `exercises` the text of the page's `.exercises.md` and `closing` that of its
    `.notebook.py` (found at `closing_path`), each `''` when it has none.
    """
    if nbformat is None:
        raise SiteError('notebooks: the package nbformat is not installed; '
                        '`pip install nbformat`, or set `notebooks: false` under the plugin')
    v4 = nbformat.v4
    lines = source.lines
    top = module_name(source.path, package_parent)[0][0]
    links = SiteLinks(page_url, site_url)
    after = ['exercises to try'] * bool(exercises) + ['a cell that puts the page to work'] * bool(closing)
    cells = [v4.new_code_cell(setup_code(source, top, install, links.address(page_url) if page_url else '', after),
                              metadata={'annotated': {'generated': True}, 'tags': ['setup']})]

    # The open code cell: its lines of text, the source lines and sections it holds
    cell: dict | None = None

    def flush():
        nonlocal cell
        if cell is None:
            return
        code = '\n'.join(cell['text'])
        if not complete(code):
            # (A body that was all docstring would be empty without it: take the lines as written)
            spans = cell['lines'] + [n for i in cell['sections'] for n in sections[i].docs_lines]
            first, last = min(spans), max(spans)
            code = '\n'.join(lines[first - 1:last])
            cell['lines'] = list(range(first, last + 1))
            cell['as_written'] = True
        code = absolute_imports(code, source.path, package_parent)
        meta = {'annotated': {'sections': cell['sections'], 'source_lines': runs_of(cell['lines'])}}
        if cell.get('as_written'):
            meta['annotated']['as_written'] = True
        code, guards = MAIN_GUARD.subn("if __name__ == '__main__' and '__file__' in globals():", code)
        if guards:
            meta['tags'] = ['main-guard']
        cells.append(v4.new_code_cell(code, metadata=meta))
        cell = None

    sections = source.sections
    for i, section in enumerate(sections):
        # The first line of code this section or the next one with code starts with
        following = next((s.code_lines[0] for s in sections[i:] if s.code_lines), None)
        inside = (cell is not None and following is not None
                  and (indentation(lines[following - 1]) > 0 or not complete('\n'.join(cell['text']))))
        if inside:
            pad = ' ' * indentation(lines[following - 1])
            cell['text'] += [(pad + '# ' + line).rstrip() for line in links.markdown('\n'.join(section.docs)).split('\n')]
            cell['lines'] += section.docs_lines
        else:
            flush()
            if section.has_docs():
                cells.append(v4.new_markdown_cell(links.markdown('\n'.join(section.docs)), metadata={'annotated': {
                    'section': i, 'source_lines': runs_of(section.docs_lines)}}))
        if section.code_lines:
            if cell is None:
                cell = {'text': [], 'lines': [], 'sections': []}
            cell['text'] += [lines[n - 1] for n in section.code_lines]
            cell['lines'] += section.code_lines
            cell['sections'].append(i)
        if not section.code_lines and inside:
            cell['sections'].append(i)
    flush()
    if exercises:
        cells += exercise_cells(exercises, links)
    if closing:
        cells += closing_cells(closing, closing_path)
    nb = v4.new_notebook(cells=cells, metadata={
        'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
        'language_info': {'name': 'python'},
        'annotated': {'source': source.path, 'page': page_url, 'title': source.title}})
    # nbformat gives each new cell a random id: number them instead, so that two builds of
    # the same sources write the same bytes
    for number, cell in enumerate(nb.cells):
        cell['id'] = f'cell-{number}'
    nbformat.validate(nb)
    return nb


# ## The first cell: setup
#
# Every notebook starts with a cell that makes its imports work: it says which page it is and
# checks that the page's package can be imported, installing it with `notebook_install` (a
# `pip install` argument) when the project gives one, and otherwise stopping with one line
# that says what is missing.
def setup_code(source: SourceFile, top: str, install: str, address: str, after: list[str]) -> str:
    where = f' ({address})' if address else ''
    parts = ['its prose', 'its code', *after]
    out = [f'# Setup. This notebook is the page "{source.title}"{where},',
           f'# made from `{source.path}`: {", ".join(parts[:-1])} and {parts[-1]}.',
           f'# Its code imports the package `{top}`; this cell checks that it can.',
           'import importlib.util',
           '',
           f'if importlib.util.find_spec({top!r}) is None:']
    if install:
        out.append(f'    %pip install --quiet {install}')
    else:
        out.append(f'    raise ModuleNotFoundError("this notebook needs the package {top}: install it, '
                   f'or start Jupyter in the folder that holds it")')
    return '\n'.join(out)


# ## Links that work outside the site
#
# The prose links to other pages relatively (`[the model](model.html)`, or to the source file,
# `model.py`), which works in the site and nowhere else: a notebook opened in Jupyter or Colab
# has no `model.html` beside it. So each link to a page of the site is made absolute, from
# mkdocs' `site_url`, the address the site is published at. A site without one has no address
# to point at, and a link made up would be worse than none: the link is then written as its
# text and, in brackets, the page's path in the site, which a reader can find from wherever the
# site is. Links with a scheme (`https:`) stay as they are, and so does code, fenced or inline.
class SiteLinks:
    LINK = re.compile(r'(!?)\[([^\]]*)\]\(([^)\s]+)((?:\s+"[^"\n]*")?)\)')
    CODE = re.compile(r'^(```|~~~).*?^\1[ \t]*$|`[^`\n]+`', re.MULTILINE | re.DOTALL)

    def __init__(self, page_url: str, site_url: str):
        self.page_url = page_url
        self.site_url = site_url.rstrip('/') + '/' if site_url else ''

    def address(self, path: str) -> str:
        """The page at `path` (from the site's root), absolute when the site has an address."""
        return self.site_url + path if self.site_url else path

    def markdown(self, text: str) -> str:
        """`text` with each relative link resolved against the page and made absolute."""
        if not self.page_url:
            return text
        # (A link may hold code, as ``[`model.py`](model.py)`` does; code never holds a link)
        code = [m.span() for m in self.CODE.finditer(text)]
        return self.LINK.sub(lambda m: m.group(0) if any(a <= m.start() < b for a, b in code)
                             else self.link(m), text)

    def link(self, m) -> str:
        image, label, href, title = m.groups()
        if re.match(r'[a-zA-Z][a-zA-Z0-9+.-]*:|//', href):
            return m.group(0)
        href = page_link(href)
        path, rest = re.match(r'([^?#]*)(.*)', href, re.DOTALL).groups()
        if href.startswith('/'):
            target = href.lstrip('/')
        else:
            target = (posixpath.normpath(posixpath.join(posixpath.dirname(self.page_url), path))
                      if path else self.page_url) + rest
        if self.site_url:
            return f'{image}[{label}]({self.site_url}{target}{title})'
        return m.group(0) if image else f'{label} (`{target}` in the site)'


# ## The exercises, to be done in the notebook
#
# The page's `.exercises.md` follows its code. Each solution (a `<details>` block) is a
# Markdown cell of its own with an empty code cell before it, where the reader tries the
# exercise before opening the solution. A quiz is written as Markdown: the question, the
# choices, and the answer with every choice's explanation in a closed `<details>`.
DETAILS = re.compile(r'^<details>.*?^</details>[ \t]*$', re.MULTILINE | re.DOTALL)


def exercise_cells(text: str, links: SiteLinks) -> list:
    v4 = nbformat.v4
    cells = []

    def markdown(part: str, kind: str):
        part = QUIZ_BLOCK.sub(lambda m: quiz_markdown(m.group(1)), part).strip('\n')
        if part.strip():
            cells.append(v4.new_markdown_cell(links.markdown(part), metadata={'annotated': {'exercises': kind}}))

    position = 0
    for number, solution in enumerate(DETAILS.finditer(text), 1):
        markdown(text[position:solution.start()], 'text')
        cells.append(v4.new_code_cell('', metadata={'annotated': {'exercises': 'try', 'solution': number}}))
        markdown(solution.group(0), 'solution')
        position = solution.end()
    markdown(text[position:], 'text')
    return cells


def quiz_markdown(spec: str) -> str:
    """A quiz block (checked when its page was built) as Markdown, its answer closed."""
    quiz = yaml.safe_load(spec)
    letters = 'abcdefghijklmnopqrstuvwxyz'
    choices = quiz['choices']
    out = [f'**Quiz.** {str(quiz["question"]).strip()}', '']
    out += [f'- ({letters[i]}) {str(c["text"]).strip()}' for i, c in enumerate(choices)]
    out += ['', '<details><summary>Answer</summary>', '']
    for i, c in enumerate(choices):
        mark = 'Right.' if c.get('right') else 'Not this one.'
        out.append(f'- ({letters[i]}) **{mark}** {str(c["why"]).strip()}')
    out += ['', '</details>']
    return '\n'.join(out) + '\n'


# ## The last cell: the page's code at work
#
# A page defines things; its notebook should end by using them. What to run can't be guessed,
# so a page may have a companion beside it, `name.notebook.py` for `name.py` (or `name.md`;
# `__init__.notebook.py` for a package's page): plain Python that runs after the page's own
# cells, with their names in scope, and so uses whatever the reader changed above it. A
# docstring at its top becomes a Markdown cell before it. It is not a page of its own.
CLOSING = '.notebook.py'


def closing_companion(name: str) -> str | None:
    """`model.notebook.py` → `model`, the stem of the file whose notebook it closes."""
    return name[:-len(CLOSING)] if name.endswith(CLOSING) else None


def closing_cells(text: str, path: str) -> list:
    v4 = nbformat.v4
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise SiteError(f'{path}:{e.lineno}: not valid Python: {e.msg}') from None
    cells, lines = [], text.split('\n')
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], 'value', None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        cells.append(v4.new_markdown_cell(inspect.cleandoc(body[0].value.value),
                                          metadata={'annotated': {'closing': path}}))
        lines = lines[body[0].end_lineno:]
    code = '\n'.join(lines).strip('\n')
    if not code:
        raise SiteError(f'{path}: a notebook companion needs code to run after the page')
    cells.append(v4.new_code_cell(code, metadata={'annotated': {'closing': path}, 'tags': ['closing']}))
    return cells


def notebook_json(nb) -> str:
    return nbformat.writes(nb) + '\n'


# ## Links
#
# Colab opens notebooks from GitHub: `colab.research.google.com/github/<owner>/<repo>/blob/<branch>/<path>`.
# A page's notebook is part of the *built site*, so its path is the page's in the branch the
# site is published from (`gh-pages` for `mkdocs gh-deploy`); a notebook among the sources is
# opened from the sources' branch.
def colab_url(repo_url: str, branch: str, path: str) -> str | None:
    m = re.match(r'https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$', repo_url or '')
    if not m:
        return None
    return f'https://colab.research.google.com/github/{m.group(1)}/{m.group(2)}/blob/{branch}/{path}'


def notebook_url(page_url: str) -> str:
    return page_url.removesuffix('.html') + '.ipynb'


# ## A notebook as a page
#
# Each Markdown cell is prose; a code cell right after it is the code beside it, and one that
# follows code is a section of its own. The page's "file" is the notebook as a script, one
# line per line of a cell, with a `# %%` line before each cell (jupytext's *percent* format),
# so that the line links and the source view have lines to point at. Outputs are shown after
# their code, in the prose column.
def parse_notebook(text: str, rel: str, warn=None):
    """`(parsed page, {section index: HTML of its outputs})` of the notebook `text`; what can't
    be shown as its author meant (an image with no description) is said to `warn`."""
    if nbformat is None:
        raise SiteError(f'{rel}: the package nbformat is needed to show notebooks; `pip install nbformat`')
    warn = warn or (lambda message: None)
    try:
        # (The schema is checked below; nbformat would log its complaint instead)
        nb = nbformat.reads(text, as_version=4, capture_validation_error={})
    except (ValueError, KeyError, TypeError, nbformat.ValidationError) as e:  # (JSON, structure)
        raise SiteError(f'{rel}: not a valid notebook (nbformat 4): {first_line(e)}') from None
    # A notebook that breaks the schema in a way Jupyter shrugs off is still a page, with a
    # warning. The commonest: cells with ids in a notebook that says it is older than ids (4.5)
    problem = schema_problem(nb)
    if problem and nb.nbformat_minor < 5 and any('id' in cell for cell in nb.cells):
        nb.nbformat_minor = 5
        problem = schema_problem(nb)
    if problem:
        warn(f'{rel}: not a valid notebook (nbformat 4): {problem}; it is shown as far as it can be read')
    script, sections, outputs = [], [], {}
    meta = {}
    figures = Figures(rel, warn)
    for number, cell in enumerate(nb.cells):
        cell_lines = cell.source.split('\n') if cell.source else []
        if cell.cell_type == 'markdown':
            script.append('# %% [markdown]')
            start = len(script) + 1
            script += [('# ' + line).rstrip() for line in cell_lines]
            numbers = list(range(start, start + len(cell_lines)))
            docs = cell_lines
            if not sections:
                meta, docs, numbers = split_front_matter(docs, numbers, rel)
            sections.append(Section(docs=list(docs), docs_lines=list(numbers)))
        elif cell.cell_type == 'code':
            script.append('# %%')
            start = len(script) + 1
            script += cell_lines
            if not sections or sections[-1].code_lines:
                sections.append(Section())
            sections[-1].code_lines = list(range(start, start + len(cell_lines)))
            shown = outputs_html(cell, number, figures)
            if shown:
                outputs[len(sections) - 1] = shown
    sections = [s for s in sections if s.has_docs() or s.code_lines]
    # The title and summary: front matter in the first cell, or the notebook's metadata
    meta = {**nb.metadata.get('annotated', {}), **meta}
    title = str(meta.get('title') or '') or next(
        (m.group(1) for s in sections[:1] for line in s.docs for m in [re.match(r'#\s+(.+?)\s*$', line)] if m),
        PurePosixPath(rel).stem)
    source = SourceFile(path=rel, text='\n'.join(script) + '\n', lines=script, kind='python',
                        title=title, summary=str(meta.get('summary', '') or '').strip(), sections=sections)
    # (A fallback description names the page, whose title is known only now)
    outputs = {i: shown.replace(PAGE_TITLE, html.escape(title)) for i, shown in outputs.items()}
    return source, outputs


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def schema_problem(nb) -> str | None:
    """What breaks nbformat's schema in the notebook `nb`, on one line, or `None`."""
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        return first_line(e)
    return None


# ### Images and their descriptions
#
# An image needs a description for readers who can't see it: the cell's `alt` metadata. A
# notebook written without one still becomes a page, with the best description the cell's
# code gives (the titles it puts on its plots, or what their axes show) or else "figure 3 of
# *the page*", and a warning naming the cell, which `strict: true` makes an error.
def plot_text(call: str) -> str:
    """The pattern of the string given to a plotting call (`title`, `ax.set_title`…)."""
    return rf"""\b(?:set_)?{call}\(\s*[rfu]?(['"])(.+?)\1"""


PLOT_TITLES = re.compile(plot_text('(?:sup)?title'))
X_LABEL, Y_LABEL = re.compile(plot_text('xlabel')), re.compile(plot_text('ylabel'))
# Stands for the page's title in a fallback description, until the title is known
PAGE_TITLE = '\ue010page\ue011'


class Figures:
    """The images of one notebook, numbered in order, and where warnings go."""

    def __init__(self, rel: str, warn):
        self.rel, self.warn, self.count = rel, warn, 0

    def alt(self, cell, number: int) -> str:
        """The description of the next image, drawn by `cell` (the `number`-th, from 0), as HTML."""
        self.count += 1
        alt = str(cell.metadata.get('alt') or '').strip()
        if alt:
            return html.escape(alt)
        titles = [m.group(2) for m in PLOT_TITLES.finditer(cell.source)]
        x, y = X_LABEL.search(cell.source), Y_LABEL.search(cell.source)
        found = (f'plot: {", ".join(dict.fromkeys(titles))}' if titles else
                 f'plot of {y.group(2)} against {x.group(2)}' if x and y else '')
        said = found or f'figure {self.count} of the page'
        self.warn(f'{self.rel}: cell {number + 1} draws an image without a description, so it is '
                  f'described as "{said}"; give the cell an `alt` in its metadata')
        return html.escape(found) if found else f'figure {self.count} of {PAGE_TITLE}'


def outputs_html(cell, number: int, figures: Figures) -> str:
    """The saved outputs of a code cell: text as text, PNG and JPEG images with their
    descriptions, and a saved error as its traceback."""
    parts = []
    for output in cell.get('outputs', []):
        kind = output.get('output_type')
        if kind == 'stream':
            parts.append(pre(output.get('text', ''), 'Output' if output.get('name') != 'stderr' else 'Messages'))
        elif kind in ('execute_result', 'display_data'):
            data = output.get('data', {})
            image = next((t for t in ('image/png', 'image/jpeg') if t in data), None)
            if image:
                encoded = ''.join(data[image]).replace('\n', '')
                base64.b64decode(encoded, validate=True)
                parts.append(f'<img class="cell-image" src="data:{image};base64,{encoded}" '
                             f'alt="{figures.alt(cell, number)}">')
            elif 'text/plain' in data:
                parts.append(pre(data['text/plain'], 'Result'))
        elif kind == 'error':
            # Saved after a cell failed: the reader sees what it said, the writer a warning
            figures.warn(f'{figures.rel}: cell {number + 1} saved an error ({output.get("ename")}); '
                         f'run the notebook again before building')
            trace = output.get('traceback') or [f'{output.get("ename")}: {output.get("evalue")}']
            parts.append(pre('\n'.join(trace), 'Error'))
    if not parts:
        return ''
    return '<div class="cell-output">\n<p class="cell-output-label">Output</p>\n' + '\n'.join(parts) + '\n</div>\n'


ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


def pre(text, label: str) -> str:
    text = ANSI.sub('', ''.join(text) if isinstance(text, list) else text)
    return (f'<pre class="output" tabindex="0" role="group" aria-label="{label}">'
            f'<code>{html.escape(text.rstrip(), quote=False)}</code></pre>')

