"""Build tests of the annotated site: `mkdocs build` of the real project, checked as a whole.

One build is checked for its pages, math, links, anchors and sitemap, and compared byte for
byte with a second build. A small project with a bad formula checks that the build fails with
one line naming the file and line.
"""
import hashlib
import os
import shutil
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The build fetches the pinned KaTeX with npm the first time; without node and npm it can't
pytestmark = pytest.mark.skipif(shutil.which('node') is None or shutil.which('npm') is None,
                                reason='node and npm are needed to build the site (KaTeX)')


def mkdocs_build(site_dir: Path, cwd: Path = ROOT, config: str = 'mkdocs.yml'):
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    return subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', config, '-d', str(site_dir)],
                          cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp('site')
    result = mkdocs_build(site_dir)
    assert result.returncode == 0, result.stderr
    return site_dir


# ## Reading the built HTML
class PageParser(HTMLParser):
    """Collects ids, links and the text that is outside code and math markup."""
    SKIP = {'code', 'pre', 'script', 'style', 'annotation', 'textarea'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.text, self.depth = set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ('id', 'name'):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ('href', 'src'):
            if attrs.get(key) is not None and tag in ('a', 'link', 'script', 'img', 'source', 'iframe'):
                self.links.append(attrs[key])
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.text.append(data)


def parse_site(site: Path) -> dict[Path, PageParser]:
    pages = {}
    for path in sorted(site.rglob('*.html')):
        parser = PageParser()
        parser.feed(path.read_text(encoding='utf-8'))
        pages[path] = parser
    return pages


EXPECTED = [
    'index.html', 'run.html', '404.html', 'sitemap.xml',
    'transformers/mlm/readme.html', 'transformers/mlm/index.html',
    'transformers/mlm/experiment.html', 'transformers/index.html',
    'site_src/index.html', 'site_src/sections.html', 'site_src/plugin.html',
    'api/index.html', 'api/labml_nn/transformers/mlm.html',
    'assets/katex/katex.min.css', 'assets/site.css', 'assets/site.js',
    'search/search_index.json',
]


def test_expected_pages_exist(site):
    missing = [p for p in EXPECTED if not (site / p).is_file()]
    assert not missing
    # Every module of the packages has its page, at the reference site's URL layout
    for py in sorted((ROOT / 'labml_nn').rglob('*.py')):
        rel = py.relative_to(ROOT / 'labml_nn')
        if '__pycache__' in rel.parts or not py.read_text(encoding='utf-8').strip():
            continue
        url = rel.parent / ('index.html' if rel.name == '__init__.py' else rel.stem + '.html')
        if str(url) == 'index.html':
            url = Path('labml_nn.html')
        assert (site / url).is_file(), f'no page for {py}'
    # KaTeX's fonts are there, and only the woff2 that the stylesheet points at
    fonts = list((site / 'assets/katex/fonts').iterdir())
    assert len(fonts) >= 15 and all(f.suffix == '.woff2' for f in fonts)
    css = (site / 'assets/katex/katex.min.css').read_text()
    for url in re.findall(r'url\(([^)]+)\)', css):
        assert (site / 'assets/katex' / url).is_file(), url


def test_no_raw_math_left(site):
    for path, page in parse_site(site).items():
        text = ''.join(page.text)
        assert '$$' not in text, f'raw $$ in {path.relative_to(site)}'
        assert not re.search(r'\$\\[a-zA-Z]', text), f'raw TeX in {path.relative_to(site)}'
    mlm = (site / 'transformers/mlm/index.html').read_text(encoding='utf-8')
    assert 'class="katex"' in mlm and '<math' in mlm


def test_every_internal_link_and_anchor_resolves(site):
    pages = parse_site(site)
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(('mailto:', 'data:', 'javascript:')):
                continue
            if parts.path.startswith('/'):
                # Absolute paths (the 404 page uses them) start at the root of the site
                target = site / unquote(parts.path).lstrip('/')
            else:
                target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if parts.path.endswith('/') or target.is_dir():
                target = target / 'index.html'
            if not target.is_file():
                broken.append(f'{path.relative_to(site)} → {link}')
            elif parts.fragment and target.suffix == '.html':
                if parts.fragment not in pages[target].ids:
                    broken.append(f'{path.relative_to(site)} → {link} (no such anchor)')
    assert not broken, '\n'.join(broken[:20])


def test_pages_have_meta_and_sections(site):
    page = (site / 'transformers/mlm/experiment.html').read_text(encoding='utf-8')
    for meta in ('og:title', 'og:description', 'og:url', 'twitter:card', 'twitter:title'):
        assert f'"{meta}"' in page
    assert re.search(r'<div class="section" id="section-0">\s*<div class="docs">', page)
    assert 'class="source-link" href="https://github.com/' in page
    # The measured run, drawn at build time
    assert page.count('<svg class="chart"') == 2
    # Nothing from elsewhere: no script, stylesheet or image with an absolute URL
    # Nothing the browser would fetch comes from elsewhere (a rel="canonical" link names the
    # page's public address; browsers don't load it)
    loads = [m.group(0) for m in re.finditer(r'<(script|link|img)[^>]+(src|href)="(https?:)?//[^>]*>', page)
             if 'rel="canonical"' not in m.group(0)]
    assert not loads, loads


def test_sitemap_is_valid_xml(site):
    data = (site / 'sitemap.xml').read_bytes()
    assert data.startswith(b'<?xml')
    root = ET.fromstring(data)
    locs = [el.text for el in root.iter('{http://www.sitemaps.org/schemas/sitemap/0.9}loc')]
    assert any(loc.endswith('/transformers/mlm/index.html') for loc in locs)


def test_two_builds_are_byte_identical(site, tmp_path):
    second = tmp_path / 'again'
    result = mkdocs_build(second)
    assert result.returncode == 0, result.stderr

    def digest(root):
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob('*')) if p.is_file()}

    first, again = digest(site), digest(second)
    assert first.keys() == again.keys()
    assert [k for k in first if first[k] != again[k]] == []


# ## Failing builds
#
# A tiny project of its own: one package with a formula KaTeX rejects. The build must stop
# with exit status 1 and a line naming the file and line, without a traceback.
def small_project(tmp_path: Path, body: str) -> Path:
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs/index.md').write_text('# Home\n')
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg/mod.py').write_text(body)
    (tmp_path / 'mkdocs.yml').write_text(textwrap.dedent(f'''\
        site_name: t
        use_directory_urls: false
        theme: {{name: null, custom_dir: {ROOT / 'site_src/theme'}}}
        plugins:
          - labml_nn_site: {{packages: {{pkg: ''}}, api: false}}
        '''))
    return tmp_path


def test_bad_tex_fails_the_build_naming_file_and_line(tmp_path):
    project = small_project(tmp_path, 'r"""\n# Mod\n\nFine $x$, broken $\\frac{1}{$.\n"""\n')
    result = mkdocs_build(project / 'site', cwd=project)
    assert result.returncode == 1
    assert 'pkg/mod.py:4: KaTeX cannot render $\\frac{1}{$' in result.stderr
    assert 'Traceback' not in result.stderr


def test_invalid_python_fails_the_build_naming_file_and_line(tmp_path):
    project = small_project(tmp_path, 'x = 1\ndef f(:\n')
    result = mkdocs_build(project / 'site', cwd=project)
    assert result.returncode == 1
    assert 'pkg/mod.py:2: not valid Python' in result.stderr
    assert 'Traceback' not in result.stderr
