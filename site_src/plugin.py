r"""
---
title: The mkdocs plugin
summary: A thin adapter that hands the annotated pages, the source views, the API reference and KaTeX's assets to mkdocs, and watches the sources under mkdocs serve.
---

# The mkdocs plugin

mkdocs brings the parts of a site that are not about source code: the hand-written pages in
`docs/`, the search index, the sitemap, the theme's templates and `mkdocs serve`. This plugin
is the only module that knows about mkdocs. All it does is call the
[framework-free core](index.html) at the right moments of a build:

1. **`on_files`**: build the [project](project.html) (parse and render the sources, run
   pdoc, typeset every formula) and add its pages and the API reference to mkdocs' files.
2. **`on_page_markdown`**: put the [map of the pages](render.html#the-map-of-the-pages), in
   the [reading order](project.html#the-reading-order), into the hand-written page that asks
   for it.
3. **`on_page_content`** and **`on_page_context`**: give the search index a page's text, and
   the theme the page's HTML, breadcrumbs and links.
4. **`on_post_build`**: copy KaTeX's stylesheet and fonts; tidy the search index and sitemap.
5. **`on_serve`**: watch the Python sources too, not just `docs/`.

It is registered as the `annotated` entry point of `mkdocs.plugins`.
[Use the generator on your project](readme.html) shows how to configure it.
"""

import re
import json
import logging
from pathlib import Path, PurePosixPath

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File

from . import SiteError
from .katex import copy_assets
from .project import Caches, Project
from .render import INCLUDE, MAP_MARKER, include_files, page_map

# How often `mkdocs serve` looks for edited files (mkdocs' own default is 0.5 s)
POLL_SECONDS = 0.1

log = logging.getLogger('mkdocs.plugins.annotated')

# An element's id in the core's HTML
ANCHOR_ID = re.compile(r'\sid="([^"]+)"')


class PluginConfig(Config):
    # Folders (from `mkdocs.yml`) and the URL folder of their pages; a list: each at its name
    packages = c.Type((dict, list), default={})
    # The branch that line numbers link to, when `repo_url` names a repository
    branch = c.Type(str, default='main')
    # Source file → JSON of a recorded run (or `{run: file, heading: …}`), drawn as a chart
    runs = c.Type(dict, default={})
    # The API reference, made by pdoc (which imports the packages) into `api/`
    api = c.Type(bool, default=True)
    # Chapters, each `{title, summary, pages: [source path, …]}`: the order pages are read in
    reading_order = c.Type(list, default=[])
    # Folders whose pages, when the reading order leaves them out, the map lists first
    map_first = c.Type(list, default=[])
    # Files or folders under the packages that are not pages (`fnmatch` patterns from the root)
    exclude = c.Type(list, default=[])
    # Every page as a notebook beside it; its first cell's `pip install` argument; the branch
    # the built site is published on, where Colab finds the pages' notebooks ([notebooks](notebooks.html))
    notebooks = c.Type(bool, default=True)
    notebook_install = c.Type(str, default='')
    notebook_branch = c.Type(str, default='gh-pages')


class AnnotatedSourcePlugin(BasePlugin[PluginConfig]):
    # Having `on_startup` makes mkdocs keep this object for the whole of `mkdocs serve`, so
    # the rendered formulas, unchanged pages and the API reference survive from one rebuild
    # to the next.
    def on_startup(self, *, command, dirty):
        self.serving = command == 'serve'
        self.caches = Caches()

    def on_config(self, config):
        """Describe the project: its root is the folder of `mkdocs.yml`."""
        if not hasattr(self, 'caches'):
            self.on_startup(command='build', dirty=False)
        self.root = Path(config.config_file_path).parent
        # Pages are `name.html`, as the links between them are written
        config.use_directory_urls = False
        try:
            self.project = Project(self.root, self.config.packages, runs=self.config.runs,
                                   repo_url=config.repo_url, branch=self.config.branch,
                                   api=self.config.api, site_name=config.site_name,
                                   serving=self.serving, caches=self.caches, exclude=self.config.exclude,
                                   reading_order=self.config.reading_order, map_first=self.config.map_first,
                                   notebooks=self.config.notebooks, notebook_install=self.config.notebook_install,
                                   notebook_branch=self.config.notebook_branch, site_url=config.site_url)
        except SiteError as e:
            raise PluginError(str(e)) from None
        return config

    def on_files(self, files, *, config):
        """Build every page and the API reference, and add them to the site's files."""
        try:
            self.project.build(Path(config.site_dir))
        except SiteError as e:
            # mkdocs prints a PluginError as one line and exits non-zero, without a traceback
            raise PluginError(str(e)) from None
        # What a page could not show faithfully (an image without a description, a directive
        # mistyped or unknown) has a fallback on the page, and a warning; so does a page without
        # a title, whose file's name shows in the map and the tab. Warnings logged under
        # mkdocs' logger are what `strict: true` counts, and turns into a failed build.
        for warning in self.project.warnings:
            log.warning(warning)
        for page in self.project.untitled():
            log.warning(f'{page.source.path}: the page has no title, so the map calls it '
                        f'{page.source.title!r}: give the file front matter with `title:`, or start '
                        f'its prose with a `# heading`')
        for url, page in {**self.project.pages, **self.project.source_pages}.items():
            src_uri = url.removesuffix('.html') + '.md'
            if files.get_file_from_path(src_uri) is not None:
                raise PluginError(f'{page.source.path}: its page {url} clashes with docs/{src_uri}')
            # A virtual page is only front matter, from which mkdocs takes the title (values
            # as JSON strings, which YAML reads as they are)
            meta = ({'title': page.source.title, 'description': page.source.summary}
                    if page.kind == 'annotated' else
                    {'title': f'Source of {page.source.path}', 'source_view': 'true'})
            content = ''.join(f'{k}: {v if v == "true" else json.dumps(v)}\n' for k, v in meta.items() if v)
            file = File.generated(config, src_uri, content=f'---\n{content}---\n')
            # mkdocs makes a `README.md` its folder's `index.html`; the page keeps its own address
            if file.url != url:
                file.dest_uri, file.url = url, url
            files.append(file)
            if page.notebook is not None:
                files.append(File.generated(config, page.notebook_url, content=page.notebook.encode('utf-8')))
        # A project without a home page gets one: the map of its pages
        if files.get_file_from_path('index.md') is None:
            files.append(File.generated(config, 'index.md', content=f'# {config.site_name}\n\n{MAP_MARKER}\n'))
        # The API reference joins as static files: mkdocs copies them, and checks links to them
        for path, page in self.project.api_pages.items():
            files.append(File.generated(config, f'api/{path}', content=page.encode('utf-8')))
        return files

    def on_page_markdown(self, markdown, *, page, config, files):
        """Replace the markers of a hand-written page: the map of pages, and included results."""
        sources = {url: p.source for url, p in self.project.pages.items()}
        here = str(PurePosixPath(page.file.src_uri).parent)
        if INCLUDE.search(markdown):
            try:
                markdown = include_files(markdown, here, self.root, {s.path: url for url, s in sources.items()})
            except SiteError as e:
                raise PluginError(f"{page.file.src_uri}: {e}") from None
        if MAP_MARKER not in markdown:
            return markdown
        return markdown.replace(MAP_MARKER, page_map(self.project.chapters, self.project.pages, here))

    def page(self, url):
        return self.project.pages.get(url) or self.project.source_pages.get(url)

    # mkdocs' search reads `page.content` with Python's `html.parser`, tag by tag, and code and
    # typeset math have a tag for every token: most of a build's time would go there. So until
    # search has read it, a page's content is the core's version for search (a source view's
    # is empty: its file is on its annotated page); after that, the page's HTML.
    def on_page_content(self, html, *, page, config, files):
        """What search reads of a page made by the core, and the anchors that links may name."""
        annotated = self.page(page.url)
        if annotated is None:
            return html
        # mkdocs checks `page.html#anchor` links against the ids it saw in the page's Markdown;
        # the core's page has ids of its own (sections, headings, charts)
        page.present_anchor_ids = (page.present_anchor_ids or set()) | set(ANCHOR_ID.findall(annotated.html))
        return annotated.search_html

    @event_priority(-100)
    def on_page_context(self, context, *, page, config, nav):
        """The page's HTML, and breadcrumbs and links for the theme, under `annotated`."""
        annotated = self.page(page.url)
        if annotated:
            page.content = annotated.html
            context['annotated'] = {
                'kind': annotated.kind, 'crumbs': annotated.crumbs, 'api_url': annotated.api_url,
                'source_url': annotated.source_url, 'annotated_url': annotated.annotated_url,
                'source_path': annotated.source.path, 'reading': annotated.reading,
                'contents': annotated.contents, 'prose_only': annotated.prose_only,
                'notebook_url': annotated.notebook_url if annotated.notebook else None,
                'colab_url': annotated.colab_url,
            }
        return context

    # After the search plugin has written its index
    @event_priority(-50)
    def on_post_build(self, *, config):
        """Copy KaTeX's stylesheet and fonts, drop the source views from the search index, and
        what needs a `site_url` when there is none."""
        site = Path(config.site_dir)
        try:
            copy_assets(site / 'assets' / 'katex')
        except SiteError as e:
            raise PluginError(str(e)) from None
        index = site / 'search' / 'search_index.json'
        if index.is_file():
            data = json.loads(index.read_text(encoding='utf-8'))
            # (A prebuilt lunr index would still hold them: that option is left alone)
            if 'index' not in data:
                data['docs'] = [d for d in data['docs'] if not d['location'].startswith('source/')]
                index.write_text(json.dumps(data, sort_keys=True, separators=(',', ':')), encoding='utf-8')
        # mkdocs stamps the gzipped sitemap with the build time, which would make two builds
        # differ; the plain sitemap.xml is what search engines read. A sitemap lists full
        # addresses, so without a `site_url` there is none to write.
        (site / 'sitemap.xml.gz').unlink(missing_ok=True)
        if not config.site_url:
            (site / 'sitemap.xml').unlink(missing_ok=True)

    # mkdocs watches `docs/` and `mkdocs.yml`; the pages of this site come from the packages,
    # so those are watched too. (An edit to the generator's own code shows in its page, but the
    # running generator is the one imported at start: restart `mkdocs serve` to use new code.)
    def on_serve(self, server, *, config, builder):
        """
        Watch the packages' sources as well as `docs/`, and look for changes every 0.1 s.

        mkdocs' server polls every 0.5 s, half of the second an edited page has to be back in
        the browser; polling a few hundred files five times as often costs next to nothing.
        The interval lives on watchdog's observer and on each of its emitters.
        """
        observer = getattr(server, 'observer', None)
        if observer is not None and hasattr(observer, 'timeout'):
            observer._timeout = POLL_SECONDS
            for emitter in list(getattr(observer, 'emitters', ())):
                if hasattr(emitter, '_timeout'):
                    emitter._timeout = POLL_SECONDS
        for package in self.project.packages:
            server.watch(str(self.root / package.folder))
        return server
