"""
Accessibility of the built site, checked by axe-core (the engine behind most accessibility
checkers) against the WCAG 2.1 A and AA rules: every page of the site (annotated pages,
hand-written pages, source views, the API reference, the 404 page and whatever pages are
added later, since the test lists the built files) in light and dark, at desktop and phone
widths. Then a keyboard-only walk through a page: every control reachable with Tab, each with
a focus ring that can be seen in both themes.

axe-core comes from npm, pinned by tests/a11y/package-lock.json, and is installed on first use
like KaTeX (`npm ci --prefix tests/a11y`).
"""
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ARTIFACTS, ROOT

AXE_DIR = ROOT / 'tests' / 'a11y'
WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
MLM = 'transformers/mlm/index.html'


@pytest.fixture(scope='session')
def axe_source() -> str:
    script = AXE_DIR / 'node_modules' / 'axe-core' / 'axe.min.js'
    if not script.exists():
        if shutil.which('npm') is None:
            pytest.skip('npm is needed to install axe-core')
        subprocess.run(['npm', 'ci', '--prefix', str(AXE_DIR), '--no-audit', '--no-fund', '--loglevel=error'],
                       check=True, capture_output=True, timeout=300)
    return script.read_text(encoding='utf-8')


def every_page(site_dir: Path):
    return sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob('*.html'))


def test_the_site_has_every_kind_of_page(site_dir):
    pages = every_page(site_dir)
    for kind in ('index.html', '404.html', 'run.html', MLM, 'transformers/mlm/experiment.html',
                 'source/labml_nn/transformers/mha.py.html', 'api/labml_nn/transformers/mlm.html'):
        assert kind in pages, kind


def one_page_of_each_kind(site_dir: Path):
    r"""The lesson chapter's pages, the top-level pages and the first page of every folder: each kind of
    page (home, source view, API page, benchmark result, notebook, each chapter's pages) with its
    own layout, so that each layout is seen in every colour scheme and width."""
    pages, seen = [], set()
    for path in every_page(site_dir):
        folder = path.rsplit('/', 1)[0] if '/' in path else ''
        if folder not in seen or '/' not in path or path.startswith('transformers/mlm/'):
            seen.add(folder)
            pages.append(path)
    return pages


# Every page in the light scheme on a desktop; in the dark scheme and on a phone, a page of each
# kind (axe on all 300 pages takes about 9 minutes a combination on 2 cores: the theme is shared,
# so a page of each kind sees every rule the others would)
@pytest.mark.parametrize('scheme,width,pages', [('light', 1280, every_page), ('dark', 1280, one_page_of_each_kind),
                                                ('light', 390, one_page_of_each_kind),
                                                ('dark', 390, one_page_of_each_kind)])
def test_no_wcag_violations_on_any_page(browser, origin, site_dir, axe_source, scheme, width, pages):
    context = browser.new_context(viewport={'width': width, 'height': 900}, color_scheme=scheme)
    failed_requests = []
    context.on('response', lambda r: failed_requests.append(f'{r.status} {r.url}') if r.status >= 400 else None)
    page = context.new_page()
    problems = []
    for path in pages(site_dir):
        failed_requests.clear()
        page.goto(f'{origin}/{path}')
        page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
                .then(r => r.violations.map(v => ({rule: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))""", WCAG_TAGS)
        for v in violations:
            problems.append(f"{v['rule']} ({v['impact']}) on {path}: {', '.join(v['nodes'])}")
        # Not even the favicon may be missing
        problems += [f'{path} asked for {r}' for r in failed_requests]
    context.close()
    assert problems == [], f'{len(problems)} problems:\n' + '\n'.join(problems)


# ## Keyboard only
#
# From the top of the MLM page, Tab alone must reach the search box, the theme button, the
# section permalinks, the code blocks (whose long lines wrap, so that none has anything left
# to scroll to), the copy buttons and the code names in the prose, and every one of them must
# show a focus ring: an outline
# (or shadow) of at least 2 px whose colour stands out from the page by at least 3:1, the
# contrast WCAG asks of the parts of a control.
DESCRIBE_FOCUS = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  const bg = getComputedStyle(document.body).backgroundColor;
  return {tag: e.tagName.toLowerCase(), cls: e.className && e.className.baseVal === undefined ? e.className : '',
          id: e.id, label: e.getAttribute('aria-label') || '', text: (e.textContent || '').trim().slice(0, 30),
          href: e.getAttribute('href') || '', outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
          outlineColor: s.outlineColor, shadow: s.boxShadow, bg: bg,
          scrollable: e.scrollWidth > e.clientWidth + 1}
}"""


def luminance(rgb: str) -> float:
    parts = [float(x) for x in rgb[rgb.index('(') + 1:rgb.index(')')].replace('/', ',').split(',')[:3]]
    linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def kind(stop: dict) -> str:
    classes = stop['cls'].split()
    if stop['tag'] == 'input' and stop['id'] == 'mkdocs-search-query':
        return 'search box'
    if 'theme-toggle' in classes:
        return 'theme button'
    if stop['tag'] == 'a' and stop['href'].startswith('#section-'):
        return 'section permalink'
    if stop['tag'] == 'pre':
        return 'code block'
    if 'copy-button' in classes:
        return 'copy button'
    if stop['tag'] == 'code':
        return 'code name in the prose'
    return stop['tag']


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_keyboard_walk_through_the_mlm_page(browser, origin, scheme):
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/{MLM}')
    stops = []
    for _ in range(400):
        page.keyboard.press('Tab')
        stop = page.evaluate(DESCRIBE_FOCUS)
        if stop['tag'] == 'body':
            break
        stops.append(stop)
        if stop['tag'] == 'pre' and len([s for s in stops if s['tag'] == 'pre']) == 3:
            page.screenshot(path=str(ARTIFACTS / f'site-keyboard-code-{scheme}.png'))
    context.close()
    kinds = {kind(s) for s in stops}
    for wanted in ('search box', 'theme button', 'section permalink', 'code block', 'copy button',
                   'code name in the prose'):
        assert wanted in kinds, (wanted, sorted(kinds))
    # Nothing of any code block is out of sight: there is nothing to scroll to
    hidden = [s['label'] for s in stops if s['tag'] == 'pre' and s['scrollable']]
    assert hidden == [], f'code blocks with content out of sight: {hidden}'
    for stop in stops:
        ring = stop['outline'] != 'none' and stop['outlineWidth'] >= 2
        assert ring or stop['shadow'] != 'none', f'no focus ring on {kind(stop)}: {stop}'
        if ring:
            assert contrast(stop['outlineColor'], stop['bg']) >= 3, f'faint focus ring on {kind(stop)}: {stop}'


def test_keyboard_reaches_the_chart_slider_and_the_source_view_links(browser, origin):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    page = context.new_page()
    page.goto(f'{origin}/transformers/mlm/experiment.html')
    reached = set()
    for _ in range(600):
        page.keyboard.press('Tab')
        stop = page.evaluate(DESCRIBE_FOCUS)
        if stop['tag'] == 'body':
            break
        if stop['tag'] == 'input' and 'range' in page.evaluate('document.activeElement.type'):
            reached.add('chart slider')
        if stop['tag'] == 'a' and 'source/' in stop['href']:
            reached.add('source view link')
    context.close()
    assert reached == {'chart slider', 'source view link'}


# ## The fill-mask demo
#
# The box on the fill page (site_demo/fill_mask_demo.py): its text field and its
# layer and head selects are Tab stops with a focus ring, and Tab goes on past them (no trap).
# Then axe checks the box while it runs: answers, bars, heatmap and an error message.
FILL = 'transformers/mlm_tools/fill.html'
DEMO_CONTROLS = ('mlm-demo-text', 'mlm-demo-layer', 'mlm-demo-head')


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_keyboard_walk_through_the_fill_mask_demo(browser, origin, scheme):
    context = browser.new_context(viewport={'width': 1280, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/{FILL}')
    reached, past = {}, False
    for _ in range(600):
        page.keyboard.press('Tab')
        stop = page.evaluate(DESCRIBE_FOCUS)
        if stop['tag'] == 'body':
            break
        if stop['id'] in DEMO_CONTROLS:
            reached[stop['id']] = stop
            if stop['id'] == 'mlm-demo-text':
                # Typing in the field keeps Tab working
                page.keyboard.type(' x')
                page.screenshot(path=str(ARTIFACTS / f'site-keyboard-demo-{scheme}.png'))
        elif len(reached) == len(DEMO_CONTROLS):
            past = True
    context.close()
    assert sorted(reached) == sorted(DEMO_CONTROLS), sorted(reached)
    assert past, 'Tab never left the demo'
    for stop in reached.values():
        assert stop['outline'] != 'none' and stop['outlineWidth'] >= 2, f'no focus ring on {stop["id"]}: {stop}'
        assert contrast(stop['outlineColor'], stop['bg']) >= 3, f'faint focus ring on {stop["id"]}: {stop}'


@pytest.mark.parametrize('scheme,width', [('light', 1280), ('dark', 1280), ('light', 390), ('dark', 390)])
def test_no_wcag_violations_in_the_running_demo(browser, origin, axe_source, scheme, width):
    context = browser.new_context(viewport={'width': width, 'height': 900}, color_scheme=scheme)
    page = context.new_page()
    page.goto(f'{origin}/{FILL}')
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    problems = []
    for text in ('To be, or not to b[MASK], that is the qu[MASK]stion', 'Caf\u00e9 [MASK]'):
        page.fill('#mlm-demo-text', text)
        page.wait_for_function("t => document.getElementById('mlm-demo').dataset.answered === t", arg=text,
                               timeout=120_000)
        page.add_script_tag(content=axe_source)
        violations = page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
                .then(r => r.violations.map(v => ({rule: v.id, impact: v.impact,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))""", WCAG_TAGS)
        problems += [f"{v['rule']} ({v['impact']}) with {text!r}: {', '.join(v['nodes'])}" for v in violations]
    context.close()
    assert problems == [], '\n'.join(problems)
