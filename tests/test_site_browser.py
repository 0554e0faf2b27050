"""Browser tests of the built site, with Playwright driving Debian's chromium.

The site is built once, served from 127.0.0.1 on a free port, and opened as a reader would:
at desktop and phone widths, in light and dark mode, with the keyboard. Screenshots go to
test-artifacts/ (ignored by git) for a person to look at.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`.
"""
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path('/usr/bin/chromium')
ARTIFACTS = ROOT / 'test-artifacts'

if not CHROMIUM.exists():
    pytest.skip('Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)',
                allow_module_level=True)
playwright = pytest.importorskip('playwright.sync_api', reason='the PyPI package playwright is not installed')

MLM = 'transformers/mlm/index.html'


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope='module')
def origin(tmp_path_factory):
    site = tmp_path_factory.mktemp('site')
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(site)],
                            cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert result.returncode == 0, result.stderr
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    thread.join()


@pytest.fixture(scope='module')
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'])
        yield browser
        browser.close()


def open_page(browser, url, width=1280, height=900, scheme='light'):
    context = browser.new_context(viewport={'width': width, 'height': height}, color_scheme=scheme)
    page = context.new_page()
    page.goto(url)
    page.evaluate('document.fonts.ready')
    return context, page


# ## Math at three sizes and in both modes
#
# Every KaTeX formula must take up room on the page (a formula whose fonts or CSS are missing
# collapses or shows raw TeX), and KaTeX's own font must be the one in use.
@pytest.mark.parametrize('name,width,scheme', [
    ('desktop', 1280, 'light'), ('mobile', 390, 'light'), ('dark', 1280, 'dark')])
def test_mlm_page_renders_math(browser, origin, name, width, scheme):
    context, page = open_page(browser, f'{origin}/{MLM}', width=width, scheme=scheme)
    sizes = page.eval_on_selector_all(
        '.katex', 'els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })')
    assert sizes, 'no formula on the MLM page'
    assert all(w > 0 and h > 0 for w, h in sizes)
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    # MathML is there for screen readers
    assert page.locator('.katex-mathml math').count() == len(sizes)
    # The columns: side by side on a desktop, stacked on a phone
    docs, code = page.locator('.annotated .section .docs').first, page.locator('.annotated .section .code').first
    d, c = docs.bounding_box(), code.bounding_box()
    if width >= 768:
        assert c['x'] >= d['x'] + d['width'] - 1 and abs(c['y'] - d['y']) < 2
    else:
        assert c['y'] >= d['y'] + d['height'] - 1
    # Nothing wider than the screen
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    background = page.evaluate('getComputedStyle(document.body).backgroundColor')
    assert (background == 'rgb(255, 255, 255)') == (scheme == 'light')
    page.screenshot(path=str(ARTIFACTS / f'site-mlm-{name}.png'), full_page=False)
    context.close()


# ## Contrast
#
# WCAG AA asks for 4.5:1 between text and its background. This measures the computed colours
# of the prose, links, line numbers and every kind of code token on the page, in both modes.
CONTRAST_JS = r'''
() => {
  const parse = c => c.match(/[\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const ratio = (fg, bg) => { const a = lum(fg), b = lum(bg); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); };
  const seen = {}, out = [];
  const check = (el, pseudo, label) => {
    const fg = parse(getComputedStyle(el, pseudo).color);
    out.push([label, ratio(fg, background(el))]);
  };
  document.querySelectorAll('.docs p, .docs li, .docs a, .prose p, .prose li, .prose a, .prose td, .section-links a, .breadcrumbs a, .footer, .code pre span[class]').forEach(el => {
    const label = el.tagName + '.' + (el.className || '');
    if (seen[label]) return;
    seen[label] = 1;
    check(el, null, label);
  });
  const line = document.querySelector('.code .line');
  if (line) check(line, '::before', 'line number');
  return out;
}
'''


@pytest.mark.parametrize('scheme', ['light', 'dark'])
@pytest.mark.parametrize('path, least', [('transformers/mlm/experiment.html', 10), ('index.html', 3),
                                         ('bench/results/compare.html', 3)])
def test_text_contrast_meets_wcag_aa(browser, origin, scheme, path, least):
    context, page = open_page(browser, f'{origin}/{path}', scheme=scheme)
    results = page.evaluate(CONTRAST_JS)
    assert len(results) > least
    low = [(label, round(r, 2)) for label, r in results if r < 4.5]
    assert not low, f'below 4.5:1 in {scheme} mode: {low}'
    context.close()


# ## No request leaves the site
#
# Every request of a few pages, search included, must go to the site's own origin.
def test_no_request_outside_the_origin(browser, origin):
    context = browser.new_context()
    requests = []
    context.on('request', lambda r: requests.append(r.url))
    page = context.new_page()
    for path in ('index.html', MLM, 'transformers/mlm/readme.html',
                 'transformers/mlm/experiment.html', 'site_src/katex.html', 'api/labml_nn/transformers/mlm.html'):
        page.goto(f'{origin}/{path}')
        page.wait_for_load_state('networkidle')
    page.goto(f'{origin}/index.html')
    search(page, 'attention')
    context.close()
    assert len(requests) > 10
    outside = [u for u in requests if not (u.startswith(origin + '/') or u.startswith('data:'))]
    assert outside == []


# ## Identifier highlighting from the keyboard
def test_identifier_highlighting_from_the_keyboard(browser, origin):
    context, page = open_page(browser, f'{origin}/{MLM}')
    for _ in range(80):
        page.keyboard.press('Tab')
        if page.evaluate("!!(document.activeElement.dataset && document.activeElement.dataset.id)"):
            break
    else:
        pytest.fail('Tab never reached a name in the code')
    # Move along the names of the block until one that is used more than once
    for _ in range(40):
        name = page.evaluate('document.activeElement.dataset.id')
        if page.locator(f'.code [data-id="{name}"]').count() > 1:
            break
        page.keyboard.press('ArrowRight')
    marked = page.eval_on_selector_all('.code .hl', 'els => els.map(e => e.dataset.id)')
    assert len(marked) > 1 and set(marked) == {name}
    assert marked == [name] * page.locator(f'.code [data-id="{name}"]').count()
    status = page.text_content('#highlight-status')
    assert re.match(rf'{re.escape(name)}: \d+ uses', status)
    # Enter jumps to the next use of the same name
    before = page.evaluate('[...document.querySelectorAll(".code [data-id]")].indexOf(document.activeElement)')
    page.keyboard.press('Enter')
    after = page.evaluate('[...document.querySelectorAll(".code [data-id]")].indexOf(document.activeElement)')
    assert after != before and page.evaluate('document.activeElement.dataset.id') == name
    page.screenshot(path=str(ARTIFACTS / 'site-highlight.png'))
    page.keyboard.press('Escape')
    assert page.locator('.code .hl').count() == 0
    context.close()


# ## Search
#
# mkdocs' search starts listening for keys once its worker has loaded the index, so the
# query is typed again until results show (or the wait runs out).
def search(page, query):
    page.fill('#mkdocs-search-query', query)
    for _ in range(50):
        page.dispatch_event('#mkdocs-search-query', 'keyup')
        if page.locator('#mkdocs-search-results article a').count():
            return
        page.wait_for_timeout(100)
    pytest.fail(f'search for {query!r} showed no result')


def test_search_finds_mask(browser, origin):
    context, page = open_page(browser, f'{origin}/index.html')
    search(page, 'MASK')
    links = page.eval_on_selector_all('#mkdocs-search-results article a', 'els => els.map(e => e.href)')
    assert any('/transformers/mlm/' in link for link in links)
    page.screenshot(path=str(ARTIFACTS / 'site-search.png'))
    context.close()


# ## The theme toggle persists
def test_dark_mode_toggle_persists(browser, origin):
    context, page = open_page(browser, f'{origin}/{MLM}', scheme='light')
    while page.text_content('#theme-toggle') != 'Theme: dark':
        page.click('#theme-toggle')
    page.reload()
    assert page.evaluate('document.documentElement.dataset.theme') == 'dark'
    assert page.evaluate('getComputedStyle(document.body).backgroundColor') != 'rgb(255, 255, 255)'
    page.screenshot(path=str(ARTIFACTS / 'site-mlm-dark-toggle.png'))
    context.close()


def test_experiment_page_chart(browser, origin):
    context, page = open_page(browser, f'{origin}/transformers/mlm/experiment.html', scheme='light')
    charts = page.locator('svg.chart')
    assert charts.count() == 2
    assert charts.first.bounding_box()['width'] > 200
    page.locator('#measured').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / 'site-experiment-chart.png'))
    context.close()
