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
from .notebooks import CLOSING, closing_companion, colab_url, notebook_json, notebook_url, page_notebook, parse_notebook
from .render import SourceLinks, page_body, page_headings, source_lines_html, source_view, title_html
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
    # Where it sits in the reading order (see below): its chapter, the pages before and after
    # it, and its own headings
    reading: dict | None = None
    contents: list = field(default_factory=list)
    # No section has code: the prose takes the whole width
    prose_only: bool = False
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


# A notebook beside a module of the same name (`experiment.ipynb` next to `experiment.py`, as
# many projects keep a notebook that runs the module) would take the module's page, and its
# own file would take the module's notebook: it is `experiment-notebook.html` instead.
def measured_section(sections) -> int:
    r"""The index of the section whose prose opens with a `## Measured` heading (a lesson page's
    closing section of measurements), or 0, the page's lead, when it has none."""
    for n, section in enumerate(sections):
        if any(line.strip().lower() in ('## measured', '# ## measured') for line in section.docs):
            return n
    return 0


def page_urls(files: list[tuple[PurePosixPath, Package]]) -> dict[PurePosixPath, str]:
    """The page of each source of `files` (`(path, package)` pairs)."""
    urls = {rel: page_url(rel, package) for rel, package in files if rel.suffix != '.ipynb'}
    taken = set(urls.values())
    for rel, package in files:
        if rel.suffix == '.ipynb':
            url = page_url(rel, package)
            urls[rel] = url.removesuffix('.html') + '-notebook.html' if url in taken else url
    return urls


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
        # (A hidden file, `.notes.md`, is not for readers: mkdocs would not publish it either)
        if path.suffix not in ('.py', '.md', '.ipynb') or not path.is_file() or path.name.startswith('.'):
            continue
        folders = path.relative_to(top).parts[:-1]
        if any(skipped_folder(top.joinpath(*folders[:i + 1])) for i in range(len(folders))):
            continue
        if any(fnmatch.fnmatch(rel.as_posix(), pattern) for pattern in exclude):
            continue
        # `model.exercises.md` closes the page of `model.py`, `model.notebook.py` its notebook:
        # no page of their own
        stem = companion(path.name) or closing_companion(path.name)
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
                 exclude: list | None = None, reading_order: list | None = None,
                 map_first: list | None = None, notebooks: bool = True, notebook_install: str = '',
                 notebook_branch: str = 'gh-pages', site_url: str = ''):
        self.root = root
        self.packages = packages_from(packages, root)
        # The chapters as `mkdocs.yml` writes them, and the folders whose unlisted pages come first
        self.reading_order = check_reading_order(reading_order or [])
        self.map_first = tuple(map_first or ())
        self.chapters: list[Chapter] = []
        # Files and folders that are data, not pages (patterns such as `pkg/models/*`)
        self.exclude = tuple(exclude or ())
        # Every page as a notebook beside it ([notebooks](notebooks.html)); what its first cell
        # installs, and the branch the built site (and so each page's notebook) is published on
        self.notebooks = notebooks
        self.notebook_install = notebook_install
        self.notebook_branch = notebook_branch
        # The published site's address, which the notebooks' links start with ('' for none)
        self.site_url = site_url or ''
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
        # What a build could not show as the sources mean it, each a line naming the file: the
        # build tool reports them as warnings (mkdocs' `strict` makes them errors)
        self.warnings: list[str] = []

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
        self.warnings = []
        batch = MathBatch()
        try:
            self.render_all(batch)
        finally:
            batch.close()

    def render_all(self, batch: MathBatch):
        files = self.files()
        # A folder of scripts (no `__init__.py`) is imported as Python runs its scripts: with the
        # folder itself on the path too, so that scripts importing one another resolve
        scripts = [p.folder for p in self.packages if not (self.root / p.folder / '__init__.py').exists()]
        # Bad names in the reading order stop the build before any work is done
        known = {str(rel) for rel, _ in files}
        for chapter in self.reading_order:
            for path in chapter.pages:
                if path not in known:
                    raise SiteError(f'mkdocs.yml: reading_order: {path!r} (chapter {chapter.title!r}) is not a '
                                    f'page of the site: name a .py or .md file under one of the packages, '
                                    f'by its path from mkdocs.yml')
        api = (self.caches.api.start(self.root, [p.module for p in self.packages if p.module.isidentifier()],
                                     [p.parent for p in self.packages] + scripts,
                                     [rel for rel, _ in files if rel.suffix == '.py'], self.serving,
                                     footer=self.site_name)
               if self.api else None)
        fresh = []
        urls = page_urls(files)
        for rel, package in files:
            url = urls[rel]
            links = self.links(rel, url)
            run = self.run_of(rel)
            appendix = self.root / rel.parent / (rel.stem + EXERCISES)
            appendix = appendix if rel.suffix != '.ipynb' and appendix.is_file() else None
            key = (str(rel), hashlib.sha256((self.root / rel).read_bytes()).hexdigest(),
                   run and hashlib.sha256(repr(run).encode() + (self.root / run['run']).read_bytes()).hexdigest(),
                   links.url, appendix and hashlib.sha256(appendix.read_bytes()).hexdigest())
            if key in self.caches.pages:
                source, html, search, warnings = self.caches.pages[key]
                # (An unchanged page still warns, at every build)
                self.warnings += warnings
            else:
                inserts = {}
                # (The warnings of this page are those from here on)
                warnings = len(self.warnings)
                if rel.suffix == '.ipynb':
                    source, inserts = parse_notebook((self.root / rel).read_text(encoding='utf-8'), str(rel),
                                                      self.warnings.append)
                else:
                    source = parse_file(self.root / rel, str(rel))
                if not source.sections:
                    continue
                if run:
                    # The run's chart closes the page's "Measured" section, or else its lead
                    at = measured_section(source.sections)
                    inserts[at] = inserts.get(at, '') + run_html(load_run(self.root / run['run'], run['run']), run)
                if appendix:
                    # (The page's code is highlighted first, so the names it holds are known)
                    source_lines_html(source)
                    last = len(source.sections) - 1
                    inserts[last] = inserts.get(last, '') + appendix_html(
                        appendix.read_text(encoding='utf-8'), str(rel.parent / appendix.name), batch,
                        source.names, url.removesuffix('.html').replace('/', '-'))
                search = []
                html = page_body(source, batch, links, inserts, search, self.warnings.append)
                # This page's formulas go to KaTeX now, typeset while the next page is made
                batch.send(self.caches.katex)
                fresh.append((key, url, self.warnings[warnings:]))
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
        reference = self.caches.api.finish(api, self.publish_api) if api else {}
        # The formulas pdoc left join the same batch: one KaTeX process for the whole build
        pending = add_math(reference, batch)
        batch.render(self.caches.katex)
        # Every formula typeset: this reference may serve the next build (never one whose
        # math failed, which would fail that build too, after the formula is fixed)
        if api:
            self.caches.api.keep(api, reference)
        for key, url, warnings in fresh:
            page = self.pages[url]
            page.search_html = batch.as_tex(page.search_html)
            page.html = batch.substitute(page.html)
            if self.serving:
                self.caches.pages[key] = (page.source, page.html, page.search_html, warnings)
        for page in self.pages.values():
            if page.api_url[len('api/'):] not in pending:
                page.api_url = None
            page.crumbs = self.crumbs(page.url)
        for page in self.source_pages.values():
            page.crumbs = self.crumbs(page.annotated_url, last=True)
        self.chapters = chapters_of(self.reading_order, self.pages, self.map_first)
        for page in self.pages.values():
            page.contents = page_headings(page.html)
            page.prose_only = not any(s.code_lines for s in page.source.sections)
        place_in_chapters(self.chapters, self.pages)
        annotated = {p.api_url: p.url for p in self.pages.values()}
        self.api_pages = {path: dress_page(path, batch.substitute(page, path.endswith('.js')), annotated.get(f'api/{path}'))
                          for path, page in pending.items()}

    # Pages whose title is only their file's name: neither front matter nor a `# heading` gave one
    def untitled(self) -> list[AnnotatedPage]:
        return [page for page in self.pages.values()
                if page.source.title == PurePosixPath(page.source.path).stem]
    # A notebook among the sources is its own page's notebook, opened in Colab from the
    # sources' branch; any other page's is made from its sections, and opened in Colab from
    # the branch the site is published on
    def add_notebook(self, page: AnnotatedPage, rel: PurePosixPath, package: Package):
        page.notebook_url = notebook_url(page.url)
        if rel.suffix == '.ipynb':
            page.notebook = (self.root / rel).read_text(encoding='utf-8')
            page.colab_url = colab_url(self.repo, self.branch, str(rel))
        else:
            # The page's exercises and its notebook's closing cell, from the files beside it
            exercises, closing = (self.root / rel.parent / (rel.stem + suffix) for suffix in (EXERCISES, CLOSING))
            page.notebook = notebook_json(page_notebook(
                page.source, package.parent, self.notebook_install, page.url, site_url=self.site_url,
                exercises=exercises.read_text(encoding='utf-8') if exercises.is_file() else '',
                closing=closing.read_text(encoding='utf-8') if closing.is_file() else '',
                closing_path=str(rel.parent / closing.name)))
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
            target.write_text(dress_page(path, batch.substitute(page, path.endswith('.js')), annotated.get(f'api/{path}')),
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


# ## The reading order
#
# A project's pages read in an order that file names don't know: the lesson's readme before
# its model, the model before the experiment that trains it. `mkdocs.yml` writes it once, as
# the plugin's `reading_order`: a list of chapters, each a title, an optional summary, and its
# pages as source paths in order.
#
# ```yaml
# reading_order:
#   - title: The optics
#     summary: How a lens bends light, from the thin-lens equation to a fitted focal length.
#     pages: [src/mypkg/readme.md, src/mypkg/optics/__init__.py, src/mypkg/optics/lens.py]
# ```
#
# The pages it does not name come after the chapters, one group per folder. Every page then
# knows its chapter and the pages before and after it; the map lists the chapters in order.
@dataclass
class Chapter:
    title: str
    pages: list[str]
    summary: str = ''
    # `False` for a folder of pages that the reading order does not name
    listed: bool = True


def check_reading_order(config) -> list[Chapter]:
    """The chapters of the `reading_order` option, each page named once."""
    if not isinstance(config, list):
        raise SiteError('mkdocs.yml: reading_order must be a list of chapters, '
                        'each `{title: …, pages: [path, …]}`')
    chapters, seen = [], {}
    for i, item in enumerate(config, 1):
        if not isinstance(item, dict) or not isinstance(item.get('title'), str) or not item['title'].strip():
            raise SiteError(f'mkdocs.yml: reading_order: chapter {i} needs a `title` '
                            f'(and `pages`, a list of source paths)')
        title = item['title'].strip()
        pages = item.get('pages')
        if not isinstance(pages, list) or not pages or not all(isinstance(p, str) for p in pages):
            raise SiteError(f'mkdocs.yml: reading_order: the chapter {title!r} needs `pages`, '
                            f'a list of source paths from mkdocs.yml')
        unknown = set(item) - {'title', 'summary', 'pages'}
        if unknown:
            raise SiteError(f'mkdocs.yml: reading_order: the chapter {title!r} has {sorted(unknown)[0]!r}; '
                            f'a chapter has only `title`, `summary` and `pages`')
        paths = []
        for page in pages:
            path = page.strip().removeprefix('./')
            if path in seen:
                where = ('twice in that chapter' if seen[path] == title
                         else f'in the chapters {seen[path]!r} and {title!r}')
                raise SiteError(f'mkdocs.yml: reading_order: {path!r} is listed {where}; '
                                f'a page has one place in the reading order')
            seen[path] = title
            paths.append(path)
        chapters.append(Chapter(title, paths, str(item.get('summary') or '').strip()))
    return chapters


# The listed chapters, then a chapter for each folder of pages they leave out (folders named
# by `map_first` first), its readme and package page before its modules
def chapters_of(listed: list[Chapter], pages: dict[str, AnnotatedPage], first: tuple = ()) -> list[Chapter]:
    by_path = {page.source.path: page for page in pages.values()}
    for chapter in listed:
        for path in chapter.pages:
            if path not in by_path:
                raise SiteError(f'mkdocs.yml: reading_order: {path!r} (chapter {chapter.title!r}) has no page: '
                                f'the file has neither prose nor code; leave it out of the reading order')
    named = {path for chapter in listed for path in chapter.pages}
    folders: dict[str, list[str]] = {}
    rank = {'readme.md': 0, 'README.md': 0, '__init__.py': 1}
    for path in sorted(set(by_path) - named, key=lambda p: (posixpath.dirname(p), rank.get(posixpath.basename(p), 2), p)):
        folders.setdefault(posixpath.dirname(path), []).append(path)
    rest = sorted(folders, key=lambda f: (not f.startswith(first) if first else False, f))
    return [*listed, *(Chapter(f'{folder}/', folders[folder], listed=False) for folder in rest)]


# Each page's place: its chapter, where the chapter starts, its neighbours in the chapter (at
# either end of a chapter, the neighbouring chapter), and on a chapter's first page, the list
# of the chapter's pages
def place_in_chapters(chapters: list[Chapter], pages: dict[str, AnnotatedPage]):
    url = {page.source.path: page.url for page in pages.values()}
    by_path = {page.source.path: page for page in pages.values()}

    def link(path, relation):
        page = by_path[path]
        return {'url': page.url, 'title': title_html(page.source.title), 'relation': relation}

    for c, chapter in enumerate(chapters):
        for i, path in enumerate(chapter.pages):
            previous = next_ = None
            if i > 0:
                previous = link(chapter.pages[i - 1], 'previous')
            elif c > 0:
                previous = link(chapters[c - 1].pages[-1], 'previous chapter')
                previous['chapter'] = chapters[c - 1].title
            if i + 1 < len(chapter.pages):
                next_ = link(chapter.pages[i + 1], 'next')
            elif c + 1 < len(chapters):
                next_ = link(chapters[c + 1].pages[0], 'next chapter')
                next_['chapter'] = chapters[c + 1].title
            by_path[path].reading = {
                'chapter': chapter.title, 'chapter_url': url[chapter.pages[0]], 'listed': chapter.listed,
                'number': i + 1, 'total': len(chapter.pages), 'previous': previous, 'next': next_,
                # A chapter's first page is its index: it lists the chapter's pages
                'pages': ([{'url': url[p], 'title': title_html(by_path[p].source.title), 'current': p == path} for p in chapter.pages] if i == 0 and len(chapter.pages) > 1
                          else []),
            }
