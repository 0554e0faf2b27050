r"""
---
title: A project and its pages
summary: Which files of a project become pages, at which addresses, and one build of them all - the sources, the API reference and every formula - with nothing of the publishing tool in it.
---

# The project

The [sections](sections.html), [rendering](render.html) and [KaTeX](katex.html) modules turn
*one* file into the body of a page. This module is about the whole project: which files
become pages, where each page goes, and one build of all of them, in an order that keeps the
slow parts out of each other's way:

1. pdoc starts first, in a child process, since it takes seconds to import the modules;
2. meanwhile every source file is parsed and rendered, its formulas left as placeholders;
3. pdoc's formulas join the same batch, and one KaTeX process renders every formula of the
   build;
4. the placeholders are swapped for the rendered math.

It knows nothing about mkdocs: the [plugin](plugin.html) calls `Project.build` and hands the
pages it made to mkdocs.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .api import ApiReference, add_math, dress_page
from .chart import load_run, run_html
from .katex import MathBatch
from .render import page_body
from .sections import SourceFile, parse_file


# What the theme gets for each annotated page
@dataclass
class AnnotatedPage:
    url: str
    source: SourceFile
    html: str
    api_url: str | None = None
    crumbs: list = field(default_factory=list)


# ## Where pages go
#
# The URL layout of the reference site: a package's `__init__.py` is its folder's
# `index.html`, any other file keeps its name with `.html`. The root package's `__init__.py`
# would be the site's home page, which is hand-written, so it gets its package's name.
def page_url(rel: PurePosixPath, package: str, prefix: str) -> str:
    inner = rel.relative_to(package)
    name = 'index' if inner.name == '__init__.py' else inner.stem
    parts = [p for p in (prefix, *inner.parent.parts, name) if p]
    if parts == ['index']:
        parts = [package]
    return '/'.join(parts) + '.html'


# pdoc names its pages after the module: `labml_nn/transformers/mlm.html` for a package
def api_url(rel: PurePosixPath) -> str:
    parts = list(rel.with_suffix('').parts)
    if parts[-1] in ('__init__', 'readme', 'README'):
        parts.pop()
    return 'api/' + '/'.join(parts) + '.html'


def discover(root: Path, package: str) -> list[PurePosixPath]:
    """The `.py` and `.md` files of a package, sorted, skipping caches and `node_modules`."""
    found = []
    for path in sorted((root / package).rglob('*')):
        rel = path.relative_to(root)
        if any(part in ('node_modules', '__pycache__') or part.startswith('.') for part in rel.parts):
            continue
        if path.suffix in ('.py', '.md') and path.is_file():
            found.append(PurePosixPath(rel.as_posix()))
    return found


# ## What lasts from one build to the next
#
# Under `mkdocs serve` one build follows another, and most of the work of the last one is
# still good: the rendered formulas, the pages of files that did not change, and the API
# reference. They live here, and the build tool keeps one `Caches` for as long as it runs.
@dataclass
class Caches:
    # `{(tex, display): html}`
    katex: dict = field(default_factory=dict)
    # `{(file, hash of its bytes and of its run's, repository): (parsed source, finished html)}`
    pages: dict = field(default_factory=dict)
    api: ApiReference = field(default_factory=ApiReference)


# ## One build
class Project:
    """The packages of a project under `root`, as the build tool's configuration names them."""

    def __init__(self, root: Path, packages: dict[str, str], *, runs: dict[str, str] | None = None,
                 repo_url: str | None = None, branch: str = 'main', api: bool = True,
                 serving: bool = False, caches: Caches | None = None):
        self.root = root
        # Source folders and the URL folder of their pages: `''` puts a package at the root
        self.packages = packages
        # Source file → JSON of a recorded run, drawn as a chart after the first section
        self.runs = runs or {}
        self.repo = (repo_url or '').rstrip('/')
        self.branch = branch
        self.api = api
        # Keep the caches of finished pages only under `mkdocs serve`
        self.serving = serving
        self.caches = caches or Caches()
        self.pages: dict[str, AnnotatedPage] = {}
        self.api_pages: dict[str, str] = {}

    def files(self) -> list[PurePosixPath]:
        return [rel for package in self.packages for rel in discover(self.root, package)]

    def source_url(self, rel) -> str | None:
        """The file in the repository, when the project names one."""
        return f'{self.repo}/blob/{self.branch}/{rel}' if self.repo else None

    def build(self, site_dir: Path | None = None):
        """Parse and render the sources, run pdoc, and render all formulas in one batch.

        `site_dir` is where the site is written: a reference that pdoc finishes after the
        build (under `mkdocs serve`) is written there when it is ready.
        """
        self.site_dir = site_dir
        api = (self.caches.api.start(self.root, list(self.packages),
                                     [f for f in self.files() if f.suffix == '.py'], self.serving)
               if self.api else None)
        batch = MathBatch()
        fresh = []
        for package, prefix in self.packages.items():
            for rel in discover(self.root, package):
                url = page_url(rel, package, prefix)
                run_rel = self.runs.get(str(rel))
                run_path = self.root / run_rel if run_rel else None
                key = (str(rel), hashlib.sha256((self.root / rel).read_bytes()).hexdigest(),
                       hashlib.sha256(run_path.read_bytes()).hexdigest()
                       if run_path and run_path.exists() else None, self.repo)
                if key in self.caches.pages:
                    source, html = self.caches.pages[key]
                    self.pages[url] = AnnotatedPage(url=url, source=source, html=html, api_url=api_url(rel))
                    continue
                source = parse_file(self.root / rel, str(rel))
                if not source.sections:
                    continue
                inserts = {}
                if run_path and run_path.exists():
                    inserts[0] = run_html(load_run(run_path, run_rel))
                self.pages[url] = AnnotatedPage(
                    url=url, source=source,
                    html=page_body(source, batch, self.source_url(rel), inserts),
                    api_url=api_url(rel))
                fresh.append((key, url))
        pending = self.caches.api.finish(api, self.publish_api) if api else {}
        # The formulas pdoc left join the same batch: one KaTeX process for the whole build
        pending = add_math(pending, batch)
        batch.render(self.caches.katex)
        for key, url in fresh:
            page = self.pages[url]
            page.html = batch.substitute(page.html)
            if self.serving:
                self.caches.pages[key] = (page.source, page.html)
        for page in self.pages.values():
            if page.api_url[len('api/'):] not in pending:
                page.api_url = None
            page.crumbs = self.crumbs(page.url)
        annotated = {p.api_url: p.url for p in self.pages.values()}
        self.api_pages = {path: dress_page(path, batch.substitute(page), annotated.get(f'api/{path}'))
                          for path, page in pending.items()}

    # Under `mkdocs serve`, pdoc's new pages arrive after the build: their formulas get a batch
    # of their own, and they are written over the last ones in the site
    def publish_api(self, pages: dict[str, str]):
        batch = MathBatch()
        pages = add_math(pages, batch)
        batch.render(self.caches.katex)
        annotated = {p.api_url: p.url for p in self.pages.values()}
        for path, page in pages.items():
            target = Path(self.site_dir) / 'api' / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dress_page(path, batch.substitute(page), annotated.get(f'api/{path}')),
                              encoding='utf-8')

    # Breadcrumbs: each folder above the page, linked to its `index.html` where there is one
    def crumbs(self, url: str) -> list[dict]:
        parts = url.split('/')[:-1]
        crumbs = [{'title': 'home', 'url': 'index.html'}]
        for i in range(len(parts)):
            index = '/'.join(parts[:i + 1]) + '/index.html'
            if index != url:
                crumbs.append({'title': parts[i], 'url': index if index in self.pages else None})
        return crumbs
