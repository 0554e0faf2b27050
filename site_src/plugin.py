r"""
---
title: The mkdocs plugin
summary: A thin adapter that hands the annotated pages, the API reference, KaTeX's assets and the training chart to mkdocs, and watches the sources under mkdocs serve.
---

# The mkdocs plugin

mkdocs brings the parts of a site that are not about source code: the hand-written pages in
`docs/`, the search index, the sitemap, the theme's templates and `mkdocs serve`. This plugin
is the only module that knows about mkdocs. Everything it does is to call the
[framework-free core](index.html) at the right moments of a build:

1. **`on_files`**: find the sources, parse and render them, run pdoc, render every formula
   of the build in one KaTeX process, and add a virtual page per source file.
2. **`on_page_content`**: swap the (empty) Markdown of a virtual page for the HTML the core
   made.
3. **`on_page_context`**: give the theme what it needs beyond mkdocs' own page object:
   breadcrumbs, the links to the API reference and to the repository.
4. **`on_post_build`**: copy KaTeX's stylesheet and fonts.
5. **`on_serve`**: watch the Python sources too, not just `docs/`.

It is registered as the `labml_nn_site` entry point of `mkdocs.plugins`, and configured in
`mkdocs.yml`:

```yaml
plugins:
  - search
  - labml_nn_site:
      packages: {labml_nn: '', site_src: site_src}
      runs: {labml_nn/transformers/mlm/experiment.py: labml_nn/transformers/mlm/default_run.json}
```
"""

import hashlib
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File

from . import SiteError
from .api import pending_math
from .chart import load_run, run_html
from .katex import MathBatch, copy_assets
from .render import page_body
from .sections import parse_file

# How often `mkdocs serve` looks for edited files (mkdocs' own default is 0.5 s)
POLL_SECONDS = 0.1


class PluginConfig(Config):
    # Source folders and the URL folder of their pages: `''` puts a package at the site's root
    packages = c.Type(dict, default={'labml_nn': '', 'site_src': 'site_src'})
    # The branch the per-section source links point at
    branch = c.Type(str, default='main')
    # Source file → JSON of a recorded run, drawn as a chart after the first section
    runs = c.Type(dict, default={})
    # Build the API reference with pdoc into `api/`
    api = c.Type(bool, default=True)


# What the theme gets for each annotated page
@dataclass
class AnnotatedPage:
    url: str
    source: object
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


class AnnotatedSourcePlugin(BasePlugin[PluginConfig]):
    # ## State kept across rebuilds
    #
    # Having `on_startup` makes mkdocs keep this object for the whole of `mkdocs serve`, so
    # the rendered formulas and the API reference survive from one rebuild to the next.
    def on_startup(self, *, command, dirty):
        """Remember whether this is `mkdocs serve`, and start the caches empty."""
        self.serving = command == 'serve'
        self.katex_cache: dict = {}
        # `{(file, hash of its bytes and of its run's): (parsed source, finished html)}`: under
        # `mkdocs serve` an edit re-renders only the file that changed
        self.page_cache: dict = {}
        # `(hash of the sources, {path: html})` of the last API reference
        self.api_cache = None
        self.api_thread = None

    def on_config(self, config):
        """Find the project's root (the folder of `mkdocs.yml`) and forget the last build's pages."""
        if not hasattr(self, 'katex_cache'):
            self.on_startup(command='build', dirty=False)
        self.root = Path(config.config_file_path).parent
        self.pages: dict[str, AnnotatedPage] = {}
        self.api_pages: dict[str, str] = {}
        return config

    # ## Building the pages
    def on_files(self, files, *, config):
        """Build every annotated page and the API reference, and add them to the site's files."""
        try:
            self.build(config)
        except SiteError as e:
            # mkdocs prints a PluginError as one line and exits non-zero, without a traceback
            raise PluginError(str(e)) from None
        for url, page in self.pages.items():
            src_uri = url.removesuffix('.html') + '.md'
            if files.get_file_from_path(src_uri) is not None:
                raise PluginError(f'{page.source.path}: its page {url} clashes with docs/{src_uri}')
            # The virtual page holds only front matter: mkdocs takes the title from it
            meta = {'title': page.source.title}
            if page.source.summary:
                meta['description'] = page.source.summary
            content = '---\n' + yaml.safe_dump(meta, allow_unicode=True) + '---\n'
            files.append(File.generated(config, src_uri, content=content))
        # The API reference joins the build as static files: mkdocs copies them, and checks
        # the links that hand-written pages make to them
        for path, page in self.api_pages.items():
            files.append(File.generated(config, f'api/{path}', content=page.encode('utf-8')))
        return files

    def build(self, config):
        """Parse and render the sources, run pdoc, and render all formulas in one batch."""
        # pdoc imports the modules (torch among them) for seconds: start it first, and parse
        # and render the pages while it runs
        api = self.start_api() if self.config.api else None
        batch = MathBatch()
        repo = (config.repo_url or '').rstrip('/')
        fresh = []
        for package, prefix in self.config.packages.items():
            for rel in discover(self.root, package):
                url = page_url(rel, package, prefix)
                run_rel = self.config.runs.get(str(rel))
                run_path = self.root / run_rel if run_rel else None
                key = (str(rel), hashlib.sha256((self.root / rel).read_bytes()).hexdigest(),
                       hashlib.sha256(run_path.read_bytes()).hexdigest()
                       if run_path and run_path.exists() else None, repo)
                if key in self.page_cache:
                    source, html = self.page_cache[key]
                    self.pages[url] = AnnotatedPage(url=url, source=source, html=html, api_url=api_url(rel))
                    continue
                source = parse_file(self.root / rel, str(rel))
                if not source.sections:
                    continue
                inserts = {}
                if run_path and run_path.exists():
                    inserts[0] = run_html(load_run(run_path, run_rel))
                source_url = f'{repo}/blob/{self.config.branch}/{rel}' if repo else None
                self.pages[url] = AnnotatedPage(
                    url=url, source=source, html=page_body(source, batch, source_url, inserts),
                    api_url=api_url(rel))
                fresh.append((key, url))
        self.api_pages = self.finish_api(api) if api else {}
        # The formulas pdoc left join the same batch: one KaTeX process for the whole build
        api_math = {}
        for path, page in self.api_pages.items():
            for markup, tex, display in pending_math(page):
                api_math[markup] = batch.add(tex, display, f'api/{path}')
        batch.render(self.katex_cache)
        for key, url in fresh:
            page = self.pages[url]
            page.html = batch.substitute(page.html)
            if self.serving:
                self.page_cache[key] = (page.source, page.html)
        for page in self.pages.values():
            if page.api_url[len('api/'):] not in self.api_pages:
                page.api_url = None
            page.crumbs = self.crumbs(page.url)
        for path, page in self.api_pages.items():
            for markup, placeholder in api_math.items():
                page = page.replace(markup, placeholder)
            self.api_pages[path] = self.dress_api_page(path, batch.substitute(page))

    # Breadcrumbs: each folder above the page, linked to its `index.html` where there is one
    def crumbs(self, url: str) -> list[dict]:
        parts = url.split('/')[:-1]
        crumbs = [{'title': 'home', 'url': 'index.html'}]
        for i in range(len(parts)):
            index = '/'.join(parts[:i + 1]) + '/index.html'
            if index != url:
                crumbs.append({'title': parts[i], 'url': index if index in self.pages else None})
        return crumbs

    # ## The API reference
    #
    # pdoc runs in a child process (see [api](api.html)). Under `mkdocs serve`, a rebuild
    # after an edit must not wait seconds for pdoc: the last reference is used at once, and
    # a background thread writes the new one into the site when it is ready.
    def sources_hash(self) -> str:
        digest = hashlib.sha256()
        for package in self.config.packages:
            for rel in discover(self.root, package):
                if rel.suffix == '.py':
                    digest.update(str(rel).encode() + b'\0' + (self.root / rel).read_bytes())
        return digest.hexdigest()

    def start_api(self):
        key = self.sources_hash()
        if self.api_cache and self.api_cache[0] == key:
            return ('cached', key)
        out = Path(tempfile.mkdtemp(prefix='labml-nn-api-'))
        proc = subprocess.Popen([sys.executable, '-m', 'site_src.api', str(out), *self.config.packages],
                                cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True,
                                # No `__pycache__` writes: under `mkdocs serve` they would look
                                # like edits to the watched sources and trigger another build
                                # and a fixed hash seed, so that a set's repr (pdoc shows the
                                # values of module variables) is the same in every build
                                env={**os.environ, 'PYTHONDONTWRITEBYTECODE': '1',
                                     'PYTHONHASHSEED': '0'},
                                # Under `mkdocs serve` the rebuild the writer waits for comes
                                # first; pdoc refreshes the API reference at a lower priority
                                preexec_fn=(lambda: os.nice(10)) if self.serving else None)
        if self.serving and self.api_cache:
            self.api_thread = threading.Thread(target=self.refresh_api, args=(proc, out, key),
                                               daemon=True)
            self.api_thread.start()
            return ('cached', self.api_cache[0])
        return (proc, out, key)

    def collect_api(self, proc, out: Path) -> dict[str, str]:
        _, stderr = proc.communicate()
        try:
            if proc.returncode != 0:
                lines = [s for s in stderr.strip().splitlines() if s.strip()]
                raise SiteError(f'pdoc failed: {lines[-1] if lines else proc.returncode}')
            return {p.relative_to(out).as_posix(): p.read_text(encoding='utf-8')
                    for p in sorted(out.rglob('*')) if p.is_file()}
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def finish_api(self, api) -> dict[str, str]:
        if api[0] == 'cached':
            return dict(self.api_cache[1])
        proc, out, key = api
        pages = self.collect_api(proc, out)
        self.api_cache = (key, pages)
        return dict(pages)

    def refresh_api(self, proc, out, key):
        try:
            pages = self.collect_api(proc, out)
        except SiteError as e:
            print(f'API reference not updated: {e}', file=sys.stderr)
            return
        # The cache keeps pdoc's pages as they came (math as markup); the placeholders below
        # belong to this thread's own batch and must not leak into the next build's
        self.api_cache = (key, dict(pages))
        batch = MathBatch()
        for path, page in pages.items():
            for markup, tex, display in pending_math(page):
                pages[path] = pages[path].replace(markup, batch.add(tex, display, f'api/{path}'))
        try:
            batch.render(self.katex_cache)
        except SiteError as e:
            print(f'API reference not updated: {e}', file=sys.stderr)
            return
        for path, page in pages.items():
            target = Path(self.site_dir) / 'api' / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.dress_api_page(path, batch.substitute(page)), encoding='utf-8')

    # pdoc's pages get KaTeX's stylesheet and a way back to the annotated pages. A relative link
    # in a docstring was written for the module's annotated page (`[the model](model.html)`);
    # [api](api.html) marked those links, and here they are pointed at that page's neighbours.
    def dress_api_page(self, path: str, page: str) -> str:
        if not path.endswith('.html'):
            return page
        annotated = {p.api_url: p.url for p in self.pages.values()}.get(f'api/{path}')
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
        up = '../' * (path.count('/') + 1)
        head = f'<link rel="stylesheet" href="{up}assets/katex/katex.min.css">\n</head>'
        back = (f'<nav class="annotated-back" style="padding:.5rem 1rem;font-size:.9rem">'
                f'<a href="{up}index.html">← the annotated site</a></nav>')
        page = page.replace('</head>', head, 1)
        return page.replace('<body>', '<body>\n' + back, 1) if '<body>' in page else page

    # ## Handing pages to mkdocs
    def on_page_content(self, html, *, page, config, files):
        """The HTML of an annotated page replaces what mkdocs made of its front matter."""
        annotated = self.pages.get(page.url)
        return annotated.html if annotated else html

    def on_page_context(self, context, *, page, config, nav):
        """Breadcrumbs and links for the theme, under the name `annotated`."""
        annotated = self.pages.get(page.url)
        if annotated:
            context['annotated'] = {
                'crumbs': annotated.crumbs,
                'api_url': annotated.api_url,
                'source_url': (f'{config.repo_url.rstrip("/")}/blob/{self.config.branch}/'
                               f'{annotated.source.path}' if config.repo_url else None),
                'source_path': annotated.source.path,
            }
        return context

    # The home page may ask for a map of the annotated pages with `<!-- map of pages -->`;
    # it is made here, so that a new module appears on the home page without an edit
    def on_page_markdown(self, markdown, *, page, config, files):
        """Replace the map marker of a hand-written page with the list of annotated pages."""
        if '<!-- map of pages -->' not in markdown:
            return markdown
        here = PurePosixPath(page.file.src_uri).parent
        # One list per folder of sources; in each, the readme and the package come first
        folders: dict[str, list[str]] = {}
        order = {'readme.html': 0, 'index.html': 1}
        for url in sorted(self.pages, key=lambda u: (posixpath.dirname(u),
                                                     order.get(posixpath.basename(u), 2), u)):
            source = self.pages[url].source
            target = PurePosixPath(url.removesuffix('.html') + '.md')
            link = target.relative_to(here) if here != PurePosixPath('.') else target
            summary = f': {source.summary}' if source.summary else ''
            folder = str(PurePosixPath(source.path).parent)
            folders.setdefault(folder, []).append(f'* [{source.title}]({link}){summary}')
        lines = []
        for folder in sorted(folders, key=lambda f: (not f.startswith('labml_nn/transformers'), f)):
            lines += [f'### `{folder}/`', '', *folders[folder], '']
        return markdown.replace('<!-- map of pages -->', '\n'.join(lines))

    def on_post_build(self, *, config):
        """Copy KaTeX's stylesheet and fonts, and drop the time-stamped gzipped sitemap."""
        site = Path(config.site_dir)
        self.site_dir = site
        try:
            copy_assets(site / 'assets' / 'katex')
        except SiteError as e:
            raise PluginError(str(e)) from None
        # mkdocs stamps the gzipped sitemap with the build time, which would make two builds
        # differ; the plain sitemap.xml is what search engines read
        (site / 'sitemap.xml.gz').unlink(missing_ok=True)

    # ## Serving
    #
    # mkdocs watches `docs/` and `mkdocs.yml`; the pages of this site come from the packages,
    # so those are watched too. (An edit to the generator's own code shows in its page, but the
    # running generator is the one imported at start: restart `mkdocs serve` to use new code.)
    def on_serve(self, server, *, config, builder):
        """
        Watch the packages' sources as well as `docs/`, and look for changes every 0.1 s.

        mkdocs' server polls the files every 0.5 s, which alone would use half of the one
        second an edited page has to be back in the browser. Polling stats a few hundred
        files, so doing it five times as often costs next to nothing. The interval lives on
        watchdog's observer (for watches added later) and on each existing emitter.
        """
        observer = getattr(server, 'observer', None)
        if observer is not None and hasattr(observer, 'timeout'):
            observer._timeout = POLL_SECONDS
            for emitter in list(getattr(observer, 'emitters', ())):
                if hasattr(emitter, '_timeout'):
                    emitter._timeout = POLL_SECONDS
        for package in self.config.packages:
            server.watch(str(self.root / package))
        return server
