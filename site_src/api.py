r"""
---
title: The API reference with pdoc
summary: pdoc documents every module, class and function; this driver gives it our Markdown parser and hands its formulas to the same KaTeX batch as the annotated pages.
---

# The API reference

The annotated pages are for reading a module from top to bottom. The API reference (under
`api/`) answers the other question, "what does this take and return?", for every public name.
[pdoc](https://pdoc.dev) writes it by importing the modules, which is why it runs in a child
process: the import of `torch` and of our own modules stays out of the mkdocs process, and a
rebuild under `mkdocs serve` sees the edited modules instead of the ones imported last time.

Three things of pdoc's are replaced:

* its Markdown converter, by [ours](render.html), so that the docstrings read the same in both
  places and YAML front matter is not shown as text;
* the docstrings it reads, which are the strings Python computed (where `\frac` in a
  docstring that is not raw is a form feed and "rac"), by the text as written in the source,
  as the [annotated pages](sections.html) show it;
* its math, which would load MathJax from a CDN when the page opens. Each formula is left as
  an empty `span.pending-math` carrying its TeX, and joins the same KaTeX batch as the rest
  of the build.

The second half of this module is the other side of that child process: starting it, taking
its pages, and, under `mkdocs serve`, refreshing them in the background so that an edit is
never held up by seconds of pdoc.

Run it alone with `python -m site_src.api [--footer=TEXT] OUTPUT_DIR MODULE...`.
"""

import ast
import base64
import functools
import hashlib
import html
import inspect
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from . import SiteError
from .katex import MathBatch
from .sections import in_markdown, literal_as_written, split_front_matter, split_lines


# ## Math in the reference
#
# The TeX is base64 in an attribute, where neither pdoc's `linkify` (which turns names in the
# text into links) nor any escaping can change it.
class PendingMath:
    def add(self, tex: str, display: bool, place: str) -> str:
        data = base64.b64encode(tex.strip().encode('utf-8')).decode('ascii')
        return f'<span class="pending-math" data-display="{int(display)}" data-tex="{data}"></span>'


# pdoc's templates read `.toc_html` from what the converter returns
class Html(str):
    toc_html = ''


def docstring_html(docstring: str) -> Html:
    from .render import render_markdown
    lines = docstring.split('\n')
    numbers = list(range(1, len(lines) + 1))
    _, lines, numbers = split_front_matter(lines, numbers, 'docstring')
    lines, numbers = in_markdown(lines, numbers)
    html_text = render_markdown(lines, numbers, 'api', PendingMath())
    return Html(RELATIVE_LINK.sub(r'href="annotated-rel:\1"', html_text))


# Relative links in docstrings are written for the annotated pages, whose folders differ from
# pdoc's: they are marked here and resolved by the plugin, which knows both layouts
RELATIVE_LINK = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/)([^"]*)"')


# The plugin finds the formulas pdoc left in a page with this pattern
PENDING = re.compile(r'<span class="pending-math" data-display="([01])" data-tex="([^"]*)"></span>')


# The search index (`search.js`) holds each entry's HTML in a JSON string, its quotes escaped
PENDING_IN_JSON = re.compile(PENDING.pattern.replace('"', r'\\"').replace(r'[^\\"]', r'[^"\\]'))


def pending_math(page: str, in_json: bool = False):
    """Yield `(markup, tex, display)` for each formula pdoc left in a page (or in the search
    index's JSON)."""
    for m in (PENDING_IN_JSON if in_json else PENDING).finditer(page):
        tex = base64.b64decode(html.unescape(m.group(2))).decode('utf-8')
        yield m.group(0), tex, m.group(1) == '1'


# ## Running pdoc from a build
#
# pdoc imports the modules (torch among them) for seconds, so a build starts it first and
# parses and renders its own pages while it runs. `ApiReference` lives as long as the build
# tool does: under `mkdocs serve` it keeps the last reference, and a rebuild after an edit
# uses that one at once while a background thread makes the new one and writes it into the
# site when it is ready.
#
# The reference it keeps is the last one whose every formula KaTeX typeset, never merely the
# last one pdoc wrote. A writer who breaks a formula makes pdoc write a reference with the
# broken formula in it; kept, the build after the fix would start from it, fail on the formula
# that is no longer in the sources, and leave `mkdocs serve` holding every page request until
# the file was saved once more. So a reference is kept only once its math is done: by the
# build that waited for it (`keep`), or by the background refresh once it has published it.
class ApiReference:
    def __init__(self):
        # `(hash of the sources, {path: html})` of the last reference that was typeset in full
        self.cache = None
        self.thread = None
        # The hash of the sources of the newest pdoc run: an older refresh that ends after a
        # newer one has started is out of date, and neither published nor kept
        self.latest = None

    def start(self, root: Path, modules: list[str], paths: list[str], sources: list[Path],
              serving: bool, footer: str = ''):
        """Start pdoc on `modules`, run in `root` with the folders `paths` on Python's path,
        unless `sources` are unchanged since the last reference. Returns a handle for
        `finish`."""
        digest = hashlib.sha256()
        for path in sources:
            digest.update(str(path).encode() + b'\0' + (root / path).read_bytes())
        key = digest.hexdigest()
        python_path = os.pathsep.join([str(root / p) for p in dict.fromkeys(paths)]
                                      + [p for p in [os.environ.get('PYTHONPATH')] if p])
        if self.cache and self.cache[0] == key:
            self.latest = key
            return ('cached', key)
        self.latest = key
        out = Path(tempfile.mkdtemp(prefix='annotated-api-'))
        proc = subprocess.Popen([sys.executable, '-m', 'site_src.api', f'--footer={footer}', str(out),
                                 *modules],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True,
                                # No `__pycache__` writes: under `mkdocs serve` they would look
                                # like edits to the watched sources and trigger another build
                                # and a fixed hash seed, so that a set's repr (pdoc shows the
                                # values of module variables) is the same in every build
                                env={**os.environ, 'PYTHONDONTWRITEBYTECODE': '1',
                                     'PYTHONHASHSEED': '0', 'PYTHONPATH': python_path},
                                # Under `mkdocs serve` the rebuild the writer waits for comes
                                # first; pdoc refreshes the API reference at a lower priority
                                preexec_fn=(lambda: os.nice(10)) if serving else None)
        if serving and self.cache:
            return ('background', proc, out, key)
        return (proc, out, key)

    def finish(self, handle, publish=None) -> dict[str, str]:
        """pdoc's pages, `{path under api/: html}`, math still pending. For a background
        handle, the last reference comes back now, and `publish(pages)` is called from a
        thread with the new one when pdoc is done. The pages pdoc made for this build are
        kept for the next only when the build hands them to `keep`, its math done."""
        if handle[0] == 'cached':
            return dict(self.cache[1])
        if handle[0] == 'background':
            _, proc, out, key = handle
            self.thread = threading.Thread(target=self.refresh, args=(proc, out, key, publish),
                                           daemon=True)
            self.thread.start()
            return dict(self.cache[1])
        proc, out, key = handle
        return collect(proc, out)

    def keep(self, handle, pages: dict[str, str]):
        """Keep the reference that `finish` gave for `handle` (math still pending), once the
        build has typeset all of it."""
        if handle[0] not in ('cached', 'background'):
            self.cache = (handle[-1], dict(pages))

    def refresh(self, proc, out, key, publish):
        try:
            pages = collect(proc, out)
        except SiteError as e:
            print(f'API reference not updated: {e}', file=sys.stderr)
            return
        if key != self.latest:
            return
        if publish:
            try:
                publish(dict(pages))
            except SiteError as e:
                print(f'API reference not updated: {e}', file=sys.stderr)
                return
        self.cache = (key, dict(pages))


def collect(proc, out: Path) -> dict[str, str]:
    """Wait for pdoc and read the pages it wrote; a failure is one line, pdoc's last."""
    _, stderr = proc.communicate()
    try:
        if proc.returncode != 0:
            lines = [s for s in stderr.strip().splitlines() if s.strip()]
            raise SiteError(f'pdoc failed: {lines[-1] if lines else proc.returncode}')
        return {p.relative_to(out).as_posix(): p.read_text(encoding='utf-8')
                for p in sorted(out.rglob('*')) if p.is_file()}
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ## Finishing the pages
#
# The formulas pdoc left join a batch: the build's own, so that one KaTeX process renders the
# whole site, or a batch of their own for a background refresh.
def add_math(pages: dict[str, str], batch: MathBatch) -> dict[str, str]:
    """Swap each pending formula for the batch's placeholder."""
    done = {}
    for path, page in pages.items():
        for markup, tex, display in pending_math(page, in_json=path.endswith('.js')):
            page = page.replace(markup, batch.add(tex, display, f'api/{path}'))
        done[path] = page
    return done


# pdoc's pages get the site's icon and colours, KaTeX's stylesheet, named permalinks and a
# way back to the annotated pages. A relative link in a docstring was written for the
# module's annotated page (`[the model](model.html)`); `docstring_html` marked those links,
# and here they are pointed at that page's neighbours.
# `annotated` is the URL of the module's annotated page, if it has one.
def dress_page(path: str, page: str, annotated: str | None) -> str:
    if not path.endswith('.html'):
        return page
    api_dir = posixpath.dirname(f'api/{path}')

    def relink(m):
        target, fragment = m.group(1), m.group(2) or ''
        if annotated is None:
            return f'href="{target}{fragment}"'
        if not target:
            target = annotated
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(annotated), target))
        return f'href="{posixpath.relpath(target, api_dir)}{fragment}"'

    page = re.sub(r'href="annotated-rel:([^"#]*)(#[^"]*)?"', relink, page)
    # A permalink beside each name is a link with no text (pdoc draws its "#" with CSS): give it a name
    page = re.sub(r'<a class="headerlink" href="#([^"]+)"></a>',
                  lambda m: f'<a class="headerlink" href="#{m.group(1)}" aria-label="Permalink to {m.group(1)}"></a>', page)
    up = '../' * (path.count('/') + 1)
    # The site's icon, colours and theme choice, then KaTeX's stylesheet
    head = (f'<link rel="icon" href="{up}assets/favicon.svg" type="image/svg+xml">\n'
            f'<meta name="color-scheme" content="light dark">\n'
            f'<script src="{up}assets/theme-choice.js"></script>\n'
            f'<link rel="stylesheet" href="{up}assets/palette.css">\n'
            f'<link rel="stylesheet" href="{up}assets/api.css">\n'
            f'<link rel="stylesheet" href="{up}assets/katex/katex.min.css">\n</head>')
    back = (f'<nav class="annotated-back" style="padding:.5rem 1rem;font-size:.9rem">'
            f'<a href="{up}index.html">← the annotated site</a></nav>')
    page = page.replace('</head>', head, 1)
    return page.replace('<body>', '<body>\n' + back, 1) if '<body>' in page else page


# ### Docstrings as written
#
# pdoc takes the docstring of a module, class or function from the imported object, and the
# docstrings of variables from its own parse of the source; both are values. Its parser is
# changed to keep, on each string statement, the text as written instead of the value. The
# docstring of an object comes from our own parse of its file (once per file): the text as
# written of the docstring whose value is the object's own `__doc__` (otherwise, as for an
# inherited docstring, pdoc's own).
def docstrings_as_written(pdoc_doc, doc_ast):
    parse_source = doc_ast._parse

    def parse(source):
        tree = parse_source(source)
        lines = split_lines(doc_ast._dedent(source))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                written = literal_as_written(node.value, lines)
                if written is not None:
                    node.value.value = written
        return tree

    getdoc = pdoc_doc._safe_getdoc

    def written_getdoc(obj):
        doc = getdoc(obj)
        own = getattr(obj, '__doc__', None)
        if not doc or not isinstance(own, str):
            return doc
        try:
            target = inspect.unwrap(obj) if callable(obj) else obj
            if inspect.ismodule(target):
                file, qualname = target.__file__, ''
            elif inspect.isclass(target):
                file, qualname = sys.modules[target.__module__].__file__, target.__qualname__
            else:
                file, qualname = target.__code__.co_filename, target.__qualname__
            computed, written = file_docstrings(file).get(qualname, (None, None))
        except Exception:
            return doc
        return inspect.cleandoc(written).strip() if computed == own else doc

    doc_ast._parse = parse
    pdoc_doc._safe_getdoc = written_getdoc


# The definitions in a body, also those inside `if`, `try` or `with` blocks
def definitions(node):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
        elif isinstance(child, (ast.stmt, ast.excepthandler)):
            yield from definitions(child)


@functools.cache
def file_docstrings(file: str) -> dict[str, tuple[str, str]]:
    """`{qualified name: (value, text as written)}` of the docstrings in a file."""
    text = Path(file).read_text(encoding='utf-8')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tree = ast.parse(text)
    lines = split_lines(text)
    found = {}

    def visit(node, qualname):
        body = getattr(node, 'body', [])
        first = body[0] if body else None
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            written = literal_as_written(first.value, lines)
            if written is not None:
                found[qualname] = (first.value.value, written)
        # Python's qualified names: `Class.method`, `function.<locals>.inner`
        inner = (qualname + '.<locals>.' if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 else qualname + '.' if qualname else '')
        for child in definitions(node):
            visit(child, inner + child.name)

    visit(tree, '')
    return found


def main(argv: list[str]) -> int:
    footer = ''
    if argv and argv[0].startswith('--footer='):
        footer = argv.pop(0).removeprefix('--footer=')
    if len(argv) < 2:
        print('usage: python -m site_src.api [--footer=TEXT] OUTPUT_DIR MODULE...', file=sys.stderr)
        return 2
    import pdoc
    import pdoc.doc
    import pdoc.doc_ast
    import pdoc.render
    import pdoc.search
    docstrings_as_written(pdoc.doc, pdoc.doc_ast)
    # pdoc warns about what it cannot document well (name-mangled attributes, for one): the
    # reference is made all the same, and the warnings would only bury the build's output
    warnings.filterwarnings('ignore', category=UserWarning, module='pdoc')
    # Source listings would repeat the annotated pages (and their raw TeX); search stays, it
    # is a local index
    pdoc.render.configure(docformat='markdown', show_source=False, math=False, search=True,
                          footer_text=footer)
    pdoc.render.env.filters['to_html'] = docstring_html
    # The search index's entries too: their formulas are typeset like the pages' (pdoc's own
    # converter would leave the TeX raw in the search results)
    pdoc.search.to_html = docstring_html
    pdoc.pdoc(*argv[1:], output_directory=Path(argv[0]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

