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

import fnmatch
import hashlib
import posixpath
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import SiteError
from .api import ApiReference, add_math, dress_page
from .chart import load_run, run_html
from .exercises import SUFFIX as EXERCISES
from .exercises import appendix_html, companion
from .katex import MathBatch
from .notebooks import (
    colab_url,
    notebook_json,
    notebook_url,
    page_notebook,
    parse_notebook,
)
from .render import SourceLinks, page_body, source_lines_html, source_view
from .sections import SourceFile, parse_file


# What the theme gets for each page this module makes: an annotated page, or (`kind` is
# `'source'`) the source view of a file
@dataclass
class AnnotatedPage:
    url: str
    source: SourceFile
    html: str
    kind: str = 'annotated'
    api_url: str | None = None
    crumbs: list = field(default_factory=list)
    # The file in the repository, or its source view in the site
    source_url: str | None = None
    # For a source view: its annotated page
    annotated_url: str | None = None
    # The page for a search index: its prose, with each formula's TeX in place of its typeset
    # form, and the names in its code
    search_html: str = ''
    # The page as a notebook (JSON), its address beside the page, and the same in Colab
    notebook: str | None = None
    notebook_url: str | None = None
    colab_url: str | None = None


# ## Packages
#
# A package is a folder of the project, named by its path from the folder of `mkdocs.yml`:
# `mypkg`, or `src/mypkg` in a "src layout", or a folder of scripts that is no package at all.
# Its pages go under a URL folder of their own, the *prefix*: `''` puts them at the site's
# root. The API reference imports it by the folder's last name, with the folder above it on
# Python's path.
@dataclass
class Package:
    folder: str
    prefix: str = ''

    @property
    def module(self) -> str:
        return PurePosixPath(self.folder).name

    @property
    def parent(self) -> str:
        return str(PurePosixPath(self.folder).parent)


def packages_from(config, root: Path) -> list[Package]:
    """`{folder: prefix}` or a list of folders (each at its own name), checked."""
    if isinstance(config, (list, tuple)):
        config = {folder: PurePosixPath(folder).name for folder in config}
    if not config:
        raise SiteError('mkdocs.yml: name the packages to annotate, '
                        "e.g. `packages: {mypkg: ''}` under the plugin")
    packages = []
    for folder, prefix in config.items():
        folder = str(folder).strip('/')
        if not (root / folder).is_dir():
            raise SiteError(f'mkdocs.yml: the package folder {folder!r} is not a folder '
                            f'next to mkdocs.yml')
        packages.append(Package(folder, str(prefix or '').strip('/')))
    return packages


# ## Where pages go
#
# The URL layout of the reference site: a package's `__init__.py` is its folder's
# `index.html`, any other file keeps its name with `.html`. The root package's `__init__.py`
# would be the site's home page, which is hand-written, so it gets its package's name.
def page_url(rel: PurePosixPath, package: Package) -> str:
    inner = rel.relative_to(package.folder)
    name = 'index' if inner.name == '__init__.py' else inner.stem
    parts = [p for p in (package.prefix, *inner.parent.parts, name) if p]
    if parts == ['index']:
        parts = [package.module]
    return '/'.join(parts) + '.html'


# pdoc names its pages after the module: `mypkg/optics.html` for the package `mypkg.optics`
def api_url(rel: PurePosixPath, package: Package) -> str:
    parts = [package.module, *rel.relative_to(package.folder).with_suffix('').parts]
    if parts[-1] in ('__init__', 'readme', 'README'):
        parts.pop()
    return 'api/' + '/'.join(parts) + '.html'


# The source view of a file, when there is no repository to link to
def source_page_url(rel: PurePosixPath) -> str:
    return f'source/{rel}.html'


def discover(root: Path, package: Package, exclude: tuple = ()) -> list[PurePosixPath]:
    """The `.py` and `.md` files of a package, sorted, skipping what tools leave in it and the
    files or folders that match an `exclude` pattern (`fnmatch`, relative to the root)."""
    found = []
    top = root / package.folder
    for path in sorted(top.rglob('*')):
        rel = path.relative_to(root)
        if path.suffix not in ('.py', '.md', '.ipynb') or not path.is_file():
            continue
        folders = path.relative_to(top).parts[:-1]
        if any(skipped_folder(top.joinpath(*folders[:i + 1])) for i in range(len(folders))):
            continue
        if any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in exclude):
            continue
        # `model.exercises.md` closes the page of `model.py`: no page of its own
        stem = companion(path.name)
        if stem and any(path.with_name(stem + ext).is_file() for ext in ('.py', '.md')):
            continue
        found.append(PurePosixPath(rel.as_posix()))
    return found


# Caches, hidden folders, npm's packages, and what building a wheel leaves behind (a `build`
# or `dist` folder that is not itself a Python package)
def skipped_folder(folder: Path) -> bool:
    name = folder.name
    return (name.startswith('.') or name in ('__pycache__', 'node_modules')
            or name.endswith('.egg-info')
            or (name in ('build', 'dist') and not (folder / '__init__.py').exists()))


# ## What lasts from one build to the next
#
# Under `mkdocs serve` one build follows another, and most of the work of the last one is
# still good: the rendered formulas, the pages of files that did not change, and the API
# reference. They live here, and the build tool keeps one `Caches` for as long as it runs.
@dataclass
class Caches:
    # `{(tex, display): html}`
    katex: dict = field(default_factory=dict)
    # `{(file, hash of its bytes and of its run's, where lines link): (parsed source, html)}`
    pages: dict = field(default_factory=dict)
    api: ApiReference = field(default_factory=ApiReference)


# ## One build
class Project:
    """The packages of a project under `root`, as the build tool's configuration names them."""

    def __init__(self, root: Path, packages, *, runs: dict | None = None,
                 repo_url: str | None = None, branch: str = 'main', api: bool = True,
                 site_name: str = '', serving: bool = False, caches: Caches | None = None,
                 exclude: list | None = None, notebooks: bool = True, notebook_install: str = '',
                 notebook_branch: str = 'gh-pages'):
        self.root = root
        self.packages = packages_from(packages, root)
        # Files and folders that are data, not pages (patterns such as `pkg/models/*`)
        self.exclude = tuple(exclude or ())
        # Every page as a notebook beside it ([notebooks](notebooks.html)); what its first cell
        # installs, and the branch the built site (and so each page's notebook) is published on
        self.notebooks = notebooks
        self.notebook_install = notebook_install
        self.notebook_branch = notebook_branch
        # Source file → a recorded run, drawn as a chart after the first section
        self.runs = runs or {}
        self.repo = (repo_url or '').rstrip('/')
        self.branch = branch
        self.api = api
        self.site_name = site_name
        # Keep the caches of finished pages only under `mkdocs serve`
        self.serving = serving
        self.caches = caches or Caches()
        # `{url: page}` of the annotated pages and of the source views
        self.pages: dict[str, AnnotatedPage] = {}
        self.source_pages: dict[str, AnnotatedPage] = {}
        self.api_pages: dict[str, str] = {}

    def files(self) -> list[tuple[PurePosixPath, Package]]:
        return [(rel, package) for package in self.packages for rel in discover(self.root, package, self.exclude)]

    def links(self, rel: PurePosixPath, url: str) -> SourceLinks:
        """Where the line numbers of the page at `url` point."""
        if self.repo:
            return SourceLinks(f'{self.repo}/blob/{self.branch}/{rel}')
        view = source_page_url(rel)
        return SourceLinks(posixpath.relpath(view, posixpath.dirname(url) or '.'), in_repository=False)

    def build(self, site_dir: Path | None = None):
        """Parse and render the sources, run pdoc, and render all formulas in one batch.

        `site_dir` is where the site is written: a reference that pdoc finishes after the
        build (under `mkdocs serve`) is written there when it is ready.
        """
        self.site_dir = site_dir
        batch = MathBatch()
        try:
            self.render_all(batch)
        finally:
            batch.close()

    def render_all(self, batch: MathBatch):
        files = self.files()
        api = (self.caches.api.start(self.root, [p.module for p in self.packages if p.module.isidentifier()],
                                     [p.parent for p in self.packages],
                                     [rel for rel, _ in files if rel.suffix == '.py'], self.serving,
                                     footer=self.site_name)
               if self.api else None)
        fresh = []
        for rel, package in files:
            url = page_url(rel, package)
            links = self.links(rel, url)
            run = self.run_of(rel)
            appendix = self.root / rel.parent / (rel.stem + EXERCISES)
            appendix = appendix if rel.suffix != '.ipynb' and appendix.is_file() else None
            key = (str(rel), hashlib.sha256((self.root / rel).read_bytes()).hexdigest(),
                   run and hashlib.sha256(repr(run).encode() + (self.root / run['run']).read_bytes()).hexdigest(),
                   links.url, appendix and hashlib.sha256(appendix.read_bytes()).hexdigest())
            if key in self.caches.pages:
                source, html, search = self.caches.pages[key]
            else:
                inserts = {}
                if rel.suffix == '.ipynb':
                    source, inserts = parse_notebook((self.root / rel).read_text(encoding='utf-8'), str(rel))
                else:
                    source = parse_file(self.root / rel, str(rel))
                if not source.sections:
                    continue
                if run:
                    inserts[0] = run_html(load_run(self.root / run['run'], run['run']), run) + inserts.get(0, '')
                if appendix:
                    # (The page's code is highlighted first, so the names it holds are known)
                    source_lines_html(source)
                    last = len(source.sections) - 1
                    inserts[last] = inserts.get(last, '') + appendix_html(
                        appendix.read_text(encoding='utf-8'), str(rel.parent / appendix.name), batch,
                        source.names, url.removesuffix('.html').replace('/', '-'))
                search = []
                html = page_body(source, batch, links, inserts, search)
                # This page's formulas go to KaTeX now, typeset while the next page is made
                batch.send(self.caches.katex)
                fresh.append((key, url))
                search = ''.join(search)
            self.pages[url] = AnnotatedPage(url=url, source=source, html=html, search_html=search,
                                            api_url=api_url(rel, package), source_url=links.url
                                            if links.in_repository else source_page_url(rel))
            if self.notebooks:
                self.add_notebook(self.pages[url], rel, package)
            if not self.repo:
                view = source_page_url(rel)
                self.source_pages[view] = AnnotatedPage(url=view, source=source, html=source_view(source),
                                                        kind='source', annotated_url=url)
        pending = self.caches.api.finish(api, self.publish_api) if api else {}
        # The formulas pdoc left join the same batch: one KaTeX process for the whole build
        pending = add_math(pending, batch)
        batch.render(self.caches.katex)
        for key, url in fresh:
            page = self.pages[url]
            page.search_html = batch.as_tex(page.search_html)
            page.html = batch.substitute(page.html)
            if self.serving:
                self.caches.pages[key] = (page.source, page.html, page.search_html)
        for page in self.pages.values():
            if page.api_url[len('api/'):] not in pending:
                page.api_url = None
            page.crumbs = self.crumbs(page.url)
        for page in self.source_pages.values():
            page.crumbs = self.crumbs(page.annotated_url, last=True)
        annotated = {p.api_url: p.url for p in self.pages.values()}
        self.api_pages = {path: dress_page(path, batch.substitute(page), annotated.get(f'api/{path}'))
                          for path, page in pending.items()}

    # A notebook among the sources is its own page's notebook, opened in Colab from the
    # sources' branch; any other page's is made from its sections, and opened in Colab from
    # the branch the site is published on
    def add_notebook(self, page: AnnotatedPage, rel: PurePosixPath, package: Package):
        page.notebook_url = notebook_url(page.url)
        if rel.suffix == '.ipynb':
            page.notebook = (self.root / rel).read_text(encoding='utf-8')
            page.colab_url = colab_url(self.repo, self.branch, str(rel))
        else:
            page.notebook = notebook_json(page_notebook(page.source, package.parent, self.notebook_install, page.url))
            page.colab_url = colab_url(self.repo, self.notebook_branch, page.notebook_url)

    # A run is a JSON file, or a mapping with the file under `run` and the words of its chart
    def run_of(self, rel: PurePosixPath) -> dict | None:
        run = self.runs.get(str(rel))
        if run is None:
            return None
        run = {'run': run} if isinstance(run, str) else dict(run)
        if not (self.root / str(run.get('run', ''))).is_file():
            raise SiteError(f'mkdocs.yml: the run of {rel}, {run.get("run")!r}, is not a file')
        return run

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

    # Breadcrumbs: each folder above the page, linked to its `index.html` (or its readme) where
    # there is one; `last` adds the page itself, for a source view
    def crumbs(self, url: str, last: bool = False) -> list[dict]:
        parts = url.split('/')[:-1]
        crumbs = [{'title': 'home', 'url': 'index.html'}]
        for i in range(len(parts)):
            folder = '/'.join(parts[:i + 1])
            index = next((f'{folder}/{name}' for name in ('index.html', 'readme.html', 'README.html')
                          if f'{folder}/{name}' in self.pages), None)
            if index != url:
                crumbs.append({'title': parts[i], 'url': index})
        if last:
            crumbs.append({'title': posixpath.basename(url).removesuffix('.html'), 'url': url})
        return crumbs
