"""Build tests of the annotated site: `mkdocs build` of the real project, checked as a whole.

One build is checked for its pages, math, links, anchors and sitemap, and compared byte for
byte with a second build. A small project with a bad formula checks that the build fails with
one line naming the file and line.
"""
import fnmatch
import hashlib
import os
import shutil
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from html import unescape as html_unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from conftest import python_path

ROOT = Path(__file__).resolve().parents[1]

# The build fetches the pinned KaTeX with npm the first time; without node and npm it can't
pytestmark = pytest.mark.skipif(shutil.which('node') is None or shutil.which('npm') is None,
                                reason='node and npm are needed to build the site (KaTeX)')


def mkdocs_build(site_dir: Path, cwd: Path = ROOT, config: str = 'mkdocs.yml', quiet: bool = True):
    env = {**os.environ, 'PYTHONPATH': python_path()}
    return subprocess.run([sys.executable, '-m', 'mkdocs', 'build', *(['-q'] if quiet else []), '-f', config,
                           '-d', str(site_dir)], cwd=cwd, capture_output=True, text=True, env=env)


BUILD_LOG = []


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp('site')
    result = mkdocs_build(site_dir, quiet=False)
    assert result.returncode == 0, result.stderr
    BUILD_LOG.append(result.stderr)
    return site_dir


def test_build_says_nothing_about_links(site):
    # mkdocs reports (at INFO level, so `strict` lets it pass) links to anchors it can't find
    messages = [line for line in BUILD_LOG[0].splitlines()
                if 'WARNING' in line or 'link' in line or 'anchor' in line]
    assert messages == []


def plugin_config(config: Path) -> dict:
    """The options of the `annotated` plugin in an mkdocs.yml."""
    plugins = yaml.safe_load(config.read_text(encoding='utf-8'))['plugins']
    return next(p['annotated'] for p in plugins if isinstance(p, dict) and 'annotated' in p)


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
    'index.html', 'run.html', '404.html', 'source/labml_nn/transformers/mlm/experiment.py.html',
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
    # (except the files the plugin's `exclude` says are data, such as the bundled model's copy of its source)
    excluded = plugin_config(ROOT / 'mkdocs.yml').get('exclude', [])
    for py in sorted((ROOT / 'labml_nn').rglob('*.py')):
        rel = py.relative_to(ROOT / 'labml_nn')
        if '__pycache__' in rel.parts or not py.read_text(encoding='utf-8').strip():
            continue
        # (`model.notebook.py` ends the notebook of `model.py`'s page: no page of its own)
        if py.name.endswith('.notebook.py'):
            continue
        if any(fnmatch.fnmatch(py.relative_to(ROOT).as_posix(), pattern) for pattern in excluded):
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
    for meta in ('og:title', 'og:description', 'twitter:card', 'twitter:title'):
        assert f'"{meta}"' in page
    assert re.search(r'<div class="section" id="section-0">\s*<div class="docs">', page)
    # No repository configured: line numbers open the site's own source view
    assert re.search(r'class="source-link" href="../../source/labml_nn/transformers/mlm/experiment.py.html'
                     r'\?lines=\d+-\d+#L\d+"', page)
    # The measured run, drawn at build time
    assert page.count('<svg class="chart"') == 2
    # Nothing from elsewhere: no script, stylesheet or image with an absolute URL
    # Nothing the browser would fetch comes from elsewhere (a rel="canonical" link names the
    # page's public address; browsers don't load it)
    loads = [m.group(0) for m in re.finditer(r'<(script|link|img)[^>]+(src|href)="(https?:)?//[^>]*>', page)
             if 'rel="canonical"' not in m.group(0)]
    assert not loads, loads


# ## Addresses
#
# mkdocs.yml names no site_url and no repository: no page may name a made-up domain, and
# there are no canonical links and no sitemap, which need a real address.
MADE_UP = re.compile(r'example\.(org|com|net)|labml-nn-mlm\.|github\.com/labml-nn-mlm')


def test_no_made_up_address_anywhere(site):
    for path in sorted(site.rglob('*')):
        if path.suffix in ('.html', '.xml', '.json', '.js', '.css', '.txt'):
            text = path.read_text(encoding='utf-8')
            assert not MADE_UP.search(text), path.relative_to(site)
            if path.suffix == '.html':
                assert 'rel="canonical"' not in text and 'og:url' not in text, path.relative_to(site)
    assert not (site / 'sitemap.xml').exists()


def test_source_view_has_every_line_with_an_anchor(site):
    path = ROOT / 'labml_nn/transformers/mlm/experiment.py'
    lines = path.read_text(encoding='utf-8').split('\n')
    page = (site / 'source/labml_nn/transformers/mlm/experiment.py.html').read_text(encoding='utf-8')
    ids = re.findall(r'<span class="line" id="L(\d+)" data-ln="\d+">(.*?)</span>(?=\n|</code>)', page)
    assert [int(n) for n, _ in ids] == list(range(1, len(ids) + 1))
    assert len(ids) in (len(lines), len(lines) - 1)
    # Line 120 of the view is line 120 of the file, highlighted
    text = re.sub(r'<[^>]+>', '', dict(ids)['120'])
    assert html_unescape(text) == lines[119].expandtabs(4)
    # It is keyboard-scrollable and named, links back to its page, and stays out of search
    assert re.search(r'<pre class="highlight source-view" tabindex="0" role="group" aria-label="labml_nn/', page)
    assert 'href="../../../../transformers/mlm/experiment.html"' in page
    index = (site / 'search/search_index.json').read_text(encoding='utf-8')
    assert '"location":"source/' not in index and '"location":"transformers/mlm/experiment.html' in index


# With a real address and repository configured, the pages get canonical links and a
# sitemap, the line numbers link to the repository, and there are no source views.
def test_with_a_repository_links_go_there(tmp_path):
    config = ROOT / f'.mkdocs-test-{os.getpid()}.yml'
    config.write_text('INHERIT: mkdocs.yml\nsite_url: https://site.test/\n'
                      'repo_url: https://code.test/group/project\n')
    try:
        result = mkdocs_build(tmp_path / 'site', config=config.name)
    finally:
        config.unlink()
    assert result.returncode == 0, result.stderr
    site = tmp_path / 'site'
    page = (site / 'transformers/mlm/experiment.html').read_text(encoding='utf-8')
    assert re.search(r'class="source-link" href="https://code.test/group/project/blob/main/'
                     r'labml_nn/transformers/mlm/experiment.py#L\d+-L\d+"', page)
    assert '<link rel="canonical" href="https://site.test/transformers/mlm/experiment.html">' in page
    assert not (site / 'source').exists()
    data = (site / 'sitemap.xml').read_bytes()
    assert data.startswith(b'<?xml')
    root = ET.fromstring(data)
    locs = [el.text for el in root.iter('{http://www.sitemaps.org/schemas/sitemap/0.9}loc')]
    assert 'https://site.test/transformers/mlm/index.html' in locs
    assert all(loc.startswith('https://site.test/') for loc in locs)


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
          - annotated: {{packages: {{pkg: ''}}, api: false}}
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


# ## Someone else's project
#
# The generator as a stranger gets it: `site_src` built into a wheel and installed on its
# own (no `labml_nn`, no checkout on the path), used by the `annotated` plugin and theme of a
# project in a temporary folder with its own mkdocs.yml: a package in a src/ layout with a
# nested package, a readme, docstrings that are not raw, LaTeX environments, a module with no
# docstring, and a folder of scripts at a deeper URL prefix. It is also a gallery of the shapes
# real repositories have: a README.md at the package's root and in folders (one beside an
# `__init__.py`), NumPy-, Google- and reST-style docstrings, `!!! note` boxes with math in them,
# notebook cells, a Markdown file starting with a blank line, words in angle brackets, formulas
# broken over lines that start like a list, `\( \)` and `\[ \]`.
STRANGER = ROOT / 'tests/fixtures/site/stranger'


@pytest.fixture(scope='module')
def stranger(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('stranger')
    shutil.copytree(ROOT / 'site_src', tmp / 'generator',
                    ignore=shutil.ignore_patterns('node_modules', '__pycache__', 'build', '*.egg-info'))
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check', '-q']
    built = subprocess.run([*pip, 'wheel', '--no-deps', '--no-build-isolation', '--no-index',
                            '-w', str(tmp / 'wheels'), str(tmp / 'generator')], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / 'wheels').glob('annotated_site-*.whl'))
    installed = subprocess.run([*pip, 'install', '--no-deps', '--no-index', '--target', str(tmp / 'lib'),
                                str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    # KaTeX as the first build would have fetched it with npm ci
    (tmp / 'lib/site_src/node_modules').symlink_to(ROOT / 'site_src/node_modules')
    project = tmp / 'project'
    shutil.copytree(STRANGER, project)
    (project / 'docs').mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(tmp / 'site')],
                            cwd=project, capture_output=True, text=True, env={**env, 'PYTHONPATH': str(tmp / 'lib')})
    assert result.returncode == 0, result.stderr
    return {'site': tmp / 'site', 'wheel': wheel, 'lib': tmp / 'lib', 'tmp': tmp}


def test_the_wheel_holds_the_generator_and_registers_plugin_and_theme(stranger):
    import zipfile
    with zipfile.ZipFile(stranger['wheel']) as wheel:
        names = set(wheel.namelist())
        entry_points = next(wheel.read(n).decode() for n in names if n.endswith('entry_points.txt'))
    for name in ('site_src/plugin.py', 'site_src/katex_batch.js', 'site_src/package-lock.json',
                 'site_src/theme/main.html', 'site_src/theme/mkdocs_theme.yml', 'site_src/theme/assets/site.js'):
        assert name in names
    assert not any('node_modules' in n for n in names)
    assert 'annotated = site_src.plugin:AnnotatedSourcePlugin' in entry_points
    assert 'annotated = site_src.theme' in entry_points


def test_a_strangers_project_gets_its_pages(stranger):
    site = stranger['site']
    for page in ('index.html', 'stargaze.html', 'README.html', 'optics/index.html', 'optics/lens.html',
                 'optics/plain.html', 'reference/tools/fit.html', 'source/src/stargaze/optics/lens.py.html',
                 'api/stargaze/optics/lens.html', 'api/tools/fit.html'):
        assert (site / page).is_file(), page
    # Titles from front matter, from the first heading, or from the file's name
    titles = {p: re.search(r'<title>(.*?)</title>', (site / p).read_text()).group(1)
              for p in ('optics/lens.html', 'reference/tools/fit.html', 'optics/plain.html', 'README.html')}
    assert titles == {'optics/lens.html': 'A thin lens · Stargaze, annotated',
                      'reference/tools/fit.html': 'Fitting a focal length · Stargaze, annotated',
                      'optics/plain.html': 'plain · Stargaze, annotated',
                      'README.html': 'Reading the stargaze sources · Stargaze, annotated'}
    # Without docs/index.md the home page is the map of the pages
    home = (site / 'index.html').read_text()
    for link in ('optics/lens.html', 'optics/plain.html', 'reference/tools/fit.html', 'README.html'):
        assert f'href="{link}"' in home
    # Nothing of this project leaks into someone else's site
    for path in site.rglob('*.html'):
        assert 'labml' not in path.read_text(encoding='utf-8').lower(), path


def test_a_strangers_math_is_typeset(stranger):
    site = stranger['site']
    control = re.compile('[\x00-\x08\x0b-\x1f\x7f]')
    for path in site.rglob('*.html'):
        text = path.read_text(encoding='utf-8')
        assert not control.search(text), path
    pages = parse_site(site)
    lens = site / 'optics/lens.html'
    text = ''.join(pages[lens].text)
    assert '$' not in text and '\\begin' not in text and '\\frac' not in text
    html = lens.read_text(encoding='utf-8')
    # The equation and align environments (in docstrings that are not raw) and the aligned one
    # in a comment: display math, whose TeX reached KaTeX as written
    annotations = [html_unescape(a) for a in re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>',
                                                        html, flags=re.DOTALL)]
    assert any(a.startswith('\\begin{equation}\n\\frac{1}{f}') for a in annotations)
    assert any('\\theta_{\\text{out}} &= \\theta_{\\text{in}} - \\frac{h}{f} \\\\' in a for a in annotations)
    assert any(a.startswith('\\begin{aligned}') for a in annotations)
    # A symbol tied to code with \code{…} carries the name, and its formula takes the focus;
    # a code span naming a name of the code is tied to it
    assert 'data-code="magnification"' in html and 'data-refs="magnification"' in html
    assert '<code class="ref" data-ref="focal_length" tabindex="0">focal_length</code>' in html
    # The API reference got the docstrings as written too, typeset by KaTeX
    api = (site / 'api/stargaze/optics/lens.html').read_text(encoding='utf-8')
    assert 'class="katex' in api and '\\theta_{\\text{out}}' in html_unescape(api)
    fit = (site / 'api/tools/fit.html').read_text(encoding='utf-8')
    assert '\\hat f = \\arg\\min_f' in html_unescape(fit)


def test_a_strangers_links_resolve(stranger):
    site = stranger['site']
    pages = parse_site(site)
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(('mailto:', 'data:', 'javascript:')):
                continue
            target = (site / unquote(parts.path).lstrip('/') if parts.path.startswith('/')
                      else (path.parent / unquote(parts.path)).resolve() if parts.path else path)
            if not target.is_file():
                broken.append(f'{path.relative_to(site)} → {link}')
            elif parts.fragment and target.suffix == '.html' and parts.fragment not in pages[target].ids:
                broken.append(f'{path.relative_to(site)} → {link} (no such anchor)')
    assert not broken, '\n'.join(broken[:20])
    # The readme's link written for the sources' layout, and a section's line numbers
    readme = (site / 'README.html').read_text()
    assert 'href="optics/lens.html"' in readme
    lens = (site / 'optics/lens.html').read_text()
    assert re.search(r'href="../source/src/stargaze/optics/lens.py.html\?lines=\d+-\d+#L\d+"', lens)


def article_text(page) -> str:
    """The visible prose of a built page: its text outside code and math markup."""
    return ' '.join(' '.join(page.text).split())


def test_a_strangers_readmes_are_pages_of_their_own(stranger):
    site = stranger['site']
    pages = parse_site(site)
    # A README.md beside an __init__.py, in folders of scripts, and at the package's root
    for page, words in (('optics/README.html', 'A README beside a package'),
                        ('optics/index.html', 'Optics: lenses, and what they do to light.'),
                        ('examples/README.html', 'A folder of scripts with a README in every folder'),
                        ('examples/orbits/README.html', 'it prints the energy after each orbit'),
                        ('README.html', 'Every page puts its prose beside its code')):
        assert words in article_text(pages[site / page]), page
    # The home page is the map, and its entries lead to the READMEs, not to itself
    home = (site / 'index.html').read_text(encoding='utf-8')
    for link in ('README.html', 'optics/README.html', 'examples/README.html', 'examples/spectra/README.html'):
        assert f'href="{link}"' in home, link
    # The READMEs' links to each other, written for the repository, lead to their pages
    examples = (site / 'examples/README.html').read_text(encoding='utf-8')
    assert 'href="orbits/README.html"' in examples and 'href="spectra/README.html"' in examples


def test_a_markdown_file_starting_with_a_blank_line_links_its_own_lines(stranger):
    site = stranger['site']
    page = (site / 'styles/blank_start.html').read_text(encoding='utf-8')
    link = re.search(r'href="(\.\./source/src/stargaze/styles/blank_start\.md\.html\?lines=(\d+)-(\d+)#L\d+)"', page)
    assert link and link.group(2, 3) == ('2', '5')
    view = (site / 'source/src/stargaze/styles/blank_start.md.html').read_text(encoding='utf-8')
    assert '<span class="line" id="L1" data-ln="1"></span>' in view
    assert '<span class="line" id="L2" data-ln="2"># A file that starts with a blank line</span>' in view
    assert 'id="L5"' in view and 'id="L6"' not in view


def test_a_strangers_docstring_styles_notes_and_quirks_read_as_written(stranger):
    site = stranger['site']
    pages = parse_site(site)
    styles = site / 'styles'
    for name in ('numpy_style', 'google_style', 'rest_style', 'quirks'):
        text = article_text(pages[styles / f'{name}.html'])
        # No raw TeX, no reST markup, no Markdown left unrendered
        for raw in ('$', '\\frac', '\\begin', '\\(', '\\[', ':param', ':math:', '.. math::', '.. note::',
                    '----------', '!!!', '%%'):
            assert raw not in text, (name, raw)
    numpy = (styles / 'numpy_style.html').read_text(encoding='utf-8')
    assert '<p><strong>Parameters</strong></p>\n<ul>\n<li><code class="ref" data-ref="flux" tabindex="0">flux</code>' in numpy
    rest = (styles / 'rest_style.html').read_text(encoding='utf-8')
    assert '<div class="admonition note">' in rest and '<em>bright</em>' not in rest
    quirks = (styles / 'quirks.html').read_text(encoding='utf-8')
    text = article_text(pages[styles / 'quirks.html'])
    for words in ('without an explicit <EOS> token', 'prints <BLANKLINE>', 'but SaveAt(ts=<array>) in prose'):
        assert words in text, words
    assert '<kbd>Ctrl</kbd>' in quirks and 'class="admonition-title">Energy is kept</p>' in quirks
    spectra = (site / 'examples/spectra/lines.html').read_text(encoding='utf-8')
    assert spectra.count('<div class="admonition ') == 2 and 'katex-display' in spectra
    orbit = article_text(pages[site / 'examples/orbits/orbit.html'])
    assert 'Set up the orbit' in orbit and '%%' not in orbit and '[markdown]' not in orbit
    # pdoc's search entries hold typeset math, not the TeX as typed
    search = (site / 'api/search.js').read_text(encoding='utf-8')
    assert 'class=\\"katex' in search and 'pending-math' not in search
    assert not re.search(r'\$\\\\[a-z]', search)


def test_benchmarks_page_shows_the_recorded_time_to_accuracy(site):
    r"""docs/benchmarks.md includes bench/results/time_to_accuracy.md: its table and charts, intact."""
    page = (site / 'benchmarks.html').read_text(encoding='utf-8')
    recorded = (ROOT / 'bench/results/time_to_accuracy.md').read_text(encoding='utf-8')
    charts = recorded.count('<svg class="chart"')
    assert charts >= 2 and page.count('<svg class="chart"') == charts
    # The SVG is passed through as it is, not wrapped in paragraphs or escaped
    assert '<p><svg' not in page and '&lt;svg' not in page
    # Every row of the table is on the page, as a table row
    for row in re.findall(r'^\| (\d) \| (ours|hf-bert) \|', recorded, re.M):
        assert re.search(rf'<td>{row[0]}</td>\s*<td>{row[1]}</td>', page), row
    # The recorded page's own links were re-based to this page, and resolve (test above)
    assert 'href="bench/time_to_accuracy.html"' in page


def test_the_faithfulness_check_finds_nothing_lost_in_the_gallery():
    """bench/faithfulness.py, on the stranger's gallery: every code line once, in order, as
    written; every prose word on the page; no formula failing or left as text; every line link
    opening its lines."""
    sys.path.insert(0, str(ROOT / 'bench'))
    try:
        import faithfulness
    finally:
        sys.path.remove(str(ROOT / 'bench'))
    figures, problems = faithfulness.check(STRANGER)
    assert not problems, problems
    assert figures['files'] == 19 and figures['pages_missing'] == 0
    assert figures['code_lines'] > 50 and figures['prose_words'] > 700 and figures['line_links'] > 30
    for key in ('code_lines_lost', 'code_lines_duplicated', 'code_lines_out_of_order', 'code_lines_altered',
                'prose_words_lost', 'formula_failures', 'raw_tex_left', 'line_links_broken'):
        assert figures[key] == 0, key
# ## The reading path
#
# `reading_order` in mkdocs.yml is the one place the order is written; these tests read it
# from there and check what the built pages show: each annotated page's chapter, its Previous
# and Next (the neighbouring chapter at either end), its contents list against its own
# headings, each chapter's first page listing the chapter, and the home page's map.
def reading_order_of(config: Path) -> list[dict]:
    return plugin_config(config).get('reading_order', [])


def annotated_pages(site: Path) -> dict[str, Path]:
    """`{source path: built page}` of the annotated pages, from the path each one names."""
    pages = {}
    for path in site.rglob('*.html'):
        if path.relative_to(site).parts[0] in ('api', 'source'):
            continue
        m = re.search(r'<p class="page-links">.*?<code>([^<]+)</code>', path.read_text(encoding='utf-8'), re.S)
        if m:
            pages[html_unescape(m.group(1))] = path
    return pages


def page_title(path: Path) -> str:
    return html_unescape(re.search(r'<title>(.*?) · ', path.read_text(encoding='utf-8')).group(1))


def shown_title(markup: str) -> str:
    """A title as a link shows it, written back as the source writes it (`code` in backticks)."""
    return html_unescape(re.sub(r'</?code>', '`', markup))


def target(page: Path, href: str) -> Path:
    return (page.parent / urlsplit(href).path).resolve()


def check_reading_path(site: Path, chapters: list[tuple[str, list[str]]]):
    pages = annotated_pages(site)
    order = [path for _, paths in chapters for path in paths]
    assert sorted(order) == sorted(pages), 'the chapters hold every page once'
    for c, (chapter, paths) in enumerate(chapters):
        for i, path in enumerate(paths):
            page = pages[path]
            text = page.read_text(encoding='utf-8')
            top = re.search(r'<nav class="reading reading-top".*?</nav>', text, re.S).group(0)
            end = re.search(r'<nav class="reading reading-end".*?</nav>', text, re.S).group(0)
            assert f'page {i + 1} of {len(paths)}' in top and html_unescape(top).count(chapter) >= 1, path
            expected = {}
            if i:
                expected['prev'] = (paths[i - 1], 'previous')
            elif c:
                expected['prev'] = (chapters[c - 1][1][-1], 'previous chapter')
            if i + 1 < len(paths):
                expected['next'] = (paths[i + 1], 'next')
            elif c + 1 < len(chapters):
                expected['next'] = (chapters[c + 1][1][0], 'next chapter')
            for nav in (top, end):
                links = re.findall(r'<a href="([^"]+)" rel="(prev|next)" data-relation="([^"]+)">.*?'
                                   r'<span class="target">(.*?)</span>', nav, re.S)
                shown = {rel: (target(page, href), relation, shown_title(title)) for href, rel, relation, title in links}
                assert shown == {rel: (pages[p].resolve(), relation, page_title(pages[p]))
                                 for rel, (p, relation) in expected.items()}, path
            # A chapter's first page lists the chapter
            listed = [shown_title(t) for t in re.findall(r'<li>(?:<a href="[^"]+">|<span aria-current="page">)(.*?)</(?:a|span)>',
                                                           re.search(r'<ol class="chapter-pages">.*?</ol>|$', top, re.S).group(0))]
            assert listed == ([page_title(pages[p]) for p in paths] if i == 0 and len(paths) > 1 else []), path
            # The contents list: the page's own h2 and h3 headings, in order
            body = text[text.index('<div class="annotated"'):]
            headings = re.findall(r'<h([23]) id="([^"]+)">', body)
            contents = re.findall(r'<li class="level-(\d)"><a href="#([^"]+)">([^<]+)</a>', text)
            assert [(level, id_) for level, id_, _ in contents] == headings, path
            assert all(t.strip() for _, _, t in contents)
    # The map on the home page: the chapters in order, the first one open, each page once,
    # by its title
    home = site / 'index.html'
    page_map = re.search(r'<div class="page-map">.*?\n</div>', home.read_text(encoding='utf-8'), re.S).group(0)
    groups = re.findall(r'<details class="map-chapter"( open)?><summary><span class="map-title">(.*?)</span>.*?</details>',
                        page_map, re.S)
    assert [bool(o) for o, _ in groups] == [True] + [False] * (len(chapters) - 1)
    assert [re.sub(r'<[^>]+>', '', html_unescape(t)).removeprefix('Other pages in ') for _, t in groups] == \
        [title for title, _ in chapters]
    by_file = {p.resolve(): path for path, p in pages.items()}
    links = re.findall(r'<li><a href="([^"]+)">(.*?)</a>', page_map)
    assert [by_file[target(home, href)] for href, _ in links] == order
    for href, title in links:
        assert shown_title(title) == page_title(target(home, href))


def test_the_reading_path_follows_mkdocs_yml(site):
    chapters = [(c['title'], c['pages']) for c in reading_order_of(ROOT / 'mkdocs.yml')]
    # This project places every page: a new module needs its place in mkdocs.yml
    check_reading_path(site, chapters)
    # Every page of the map has a title of its own, not its file's name
    for path, page in annotated_pages(site).items():
        assert page_title(page) != Path(path).stem, path


# The lesson's readme walks the reader through its chapter in prose; its numbered list must
# follow the order in mkdocs.yml (item 1 is the readme itself)
def test_the_lessons_readme_follows_the_reading_order(site):
    chapter = reading_order_of(ROOT / 'mkdocs.yml')[0]
    readme = ROOT / chapter['pages'][0]
    text = readme.read_text(encoding='utf-8')
    steps = re.search(r'## The pages, in reading order\n\n(.*?)\n\n', text, re.S).group(1)
    firsts = re.findall(r'^\d+\. (?:\[[^\]]*\]\(([^)#]+)|This page)', steps, re.M)
    pages = annotated_pages(site)
    here = pages[chapter['pages'][0]]
    assert [target(here, href) if href else here.resolve() for href in firsts] == \
        [pages[p].resolve() for p in chapter['pages']]


def test_a_strangers_reading_order(stranger):
    (chapter,) = reading_order_of(STRANGER / 'mkdocs.yml')
    # The pages the reading order leaves out follow it, one group per folder, each folder's
    # readme and package page first
    rest = [p for p in sorted(annotated_pages(stranger['site'])) if p not in chapter['pages']]
    groups: dict = {}
    # Folders in the order of their paths
    for path in sorted(rest, key=lambda p: p.rsplit('/', 1)[0]):
        groups.setdefault(path.rsplit('/', 1)[0] + '/', []).append(path)

    def readme_first(path):
        name = path.rsplit('/', 1)[-1].lower()
        return (0 if name.startswith('readme.') else 1 if name == '__init__.py' else 2, path)
    check_reading_path(stranger['site'], [(chapter['title'], chapter['pages'])]
                       + [(folder, sorted(paths, key=readme_first)) for folder, paths in groups.items()])


def reading_project(tmp_path: Path, order: str) -> Path:
    project = small_project(tmp_path, 'r"""\n# Mod\n"""\nx = 1\n')
    (project / 'pkg/other.py').write_text('"""\n# Other\n"""\ny = 2\n')
    (project / 'docs/index.md').write_text('# Home\n\n<!-- map of pages -->\n')
    # A file with nothing in it has no page
    (project / 'pkg/empty.py').write_text('')
    config = project / 'mkdocs.yml'
    config.write_text(config.read_text().replace("api: false}", f"api: false, reading_order: {order}}}"))
    return project


@pytest.mark.parametrize('order, message', [
    ("[{title: One, pages: [pkg/mod.py, pkg/gone.py]}]",
     "reading_order: 'pkg/gone.py' (chapter 'One') is not a page of the site"),
    ("[{title: One, pages: [pkg/mod.py]}, {title: Two, pages: [pkg/other.py, pkg/mod.py]}]",
     "reading_order: 'pkg/mod.py' is listed in the chapters 'One' and 'Two'"),
    ("[{title: One, pages: [pkg/mod.py, pkg/mod.py]}]",
     "reading_order: 'pkg/mod.py' is listed twice in that chapter"),
    ("[{title: One, pages: [pkg/empty.py]}]",
     "reading_order: 'pkg/empty.py' (chapter 'One') has no page: the file has neither prose nor code"),
    ("[{pages: [pkg/mod.py]}]", 'reading_order: chapter 1 needs a `title`'),
    ("[{title: One, pages: pkg/mod.py}]", "reading_order: the chapter 'One' needs `pages`, a list"),
])
def test_a_bad_reading_order_stops_the_build_naming_it(tmp_path, order, message):
    project = reading_project(tmp_path, order)
    result = mkdocs_build(project / 'site', cwd=project)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if 'reading_order' in line]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert 'Traceback' not in result.stderr


def test_a_good_reading_order_in_a_small_project(tmp_path):
    project = reading_project(tmp_path, "[{title: Both, pages: [pkg/other.py, pkg/mod.py]}]")
    result = mkdocs_build(project / 'site', cwd=project)
    assert result.returncode == 0, result.stderr
    check_reading_path(project / 'site', [('Both', ['pkg/other.py', 'pkg/mod.py'])])


# A page without a title shows its file's name in the map: the build warns, and `strict`
# (as this project's mkdocs.yml sets) makes that an error
def test_an_untitled_page_fails_a_strict_build(tmp_path):
    project = small_project(tmp_path, '"""A module whose docstring has no heading."""\nx = 1\n')
    config = project / 'mkdocs.yml'
    result = mkdocs_build(project / 'site', cwd=project, quiet=False)
    assert result.returncode == 0 and 'pkg/mod.py: the page has no title' in result.stderr
    config.write_text(config.read_text() + 'strict: true\n')
    result = mkdocs_build(project / 'site', cwd=project, quiet=False)
    assert result.returncode == 1
    assert "WARNING -  pkg/mod.py: the page has no title, so the map calls it 'mod'" in result.stderr
    assert 'Traceback' not in result.stderr


# ## The generator's page, taken at its word
#
# "Use the generator on your project" (site_src/readme.md) shows the smallest mkdocs.yml and a
# table of where each file's page goes. This makes the project it describes, with that
# mkdocs.yml as written and a file for each row of the table, builds it with the generator
# installed from its wheel, and checks every row and that the home page is the map.
def test_the_generators_page_says_where_pages_go(stranger, tmp_path):
    readme = (ROOT / 'site_src/readme.md').read_text(encoding='utf-8')
    config = re.search(r'```yaml\n(site_name:.*?)```', readme, re.S).group(1)
    rows = re.findall(r'^\| `([^`]+\.(?:py|md))` \| `([^`]+\.html)` \|', readme, re.M)
    assert len(rows) >= 6 and any(file.endswith('mypkg/__init__.py') for file, _ in rows)
    project = tmp_path / 'project'
    for file, _ in rows:
        path = project / file
        path.parent.mkdir(parents=True, exist_ok=True)
        title = f'Page of {file}'
        path.write_text(f'# {title}\n' if file.endswith('.md') else f'"""\n# {title}\n"""\nX = 1\n')
    (project / 'docs').mkdir()
    (project / 'mkdocs.yml').write_text(config)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(tmp_path / 'site')],
                            cwd=project, capture_output=True, text=True, env={**env, 'PYTHONPATH': str(stranger['lib'])})
    assert result.returncode == 0, result.stderr
    site = tmp_path / 'site'
    home = (site / 'index.html').read_text(encoding='utf-8')
    for file, url in rows:
        assert (site / url).is_file(), f'{file}: the page says {url}'
        assert f'<title>Page of {file} · ' in (site / url).read_text(encoding='utf-8'), url
        # Without a docs/index.md, the home page is the map of every page
        assert f'href="{url}"' in home, url
