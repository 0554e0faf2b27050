"""Browser tests of the built site, with Playwright driving Debian's chromium.

The site is built once (the `site_dir` and `origin` fixtures of conftest.py), served from
127.0.0.1 on a free port, and opened as a reader would:
at desktop and phone widths, in light and dark mode, with the keyboard. Screenshots go to
test-artifacts/ (ignored by git) for a person to look at.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`.
"""
import re

import pytest

from conftest import ARTIFACTS, CHROMIUM, ROOT

if not CHROMIUM.exists():
    pytest.skip('Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)',
                allow_module_level=True)
playwright = pytest.importorskip('playwright.sync_api', reason='the PyPI package playwright is not installed')

MLM = 'transformers/mlm/index.html'


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
        # (formulas in closed solutions and quiz explanations are not laid out: no boxes at all)
        '.katex', 'els => els.filter(e => e.getClientRects().length > 0)'
                  '.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })')
    assert sizes, 'no formula on the MLM page'
    assert all(w > 0 and h > 0 for w, h in sizes)
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    # MathML is there for screen readers
    assert page.locator('.katex-mathml math').count() == page.locator('.katex').count()
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
# Colour parsing, relative luminance and WCAG's contrast ratio, shared by the checks below
COLOUR_JS = r'''
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
'''
CONTRAST_JS = r'''
() => {
''' + COLOUR_JS + r'''  const seen = {}, out = [];
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


# The same for what the site adds on top of the text: a name highlighted in the code and the
# prose, the lines a source view marks, the copy buttons and the chart's tip and slider.
MARKED_JS = r'''
() => {
''' + COLOUR_JS + r'''  return [...document.querySelectorAll('.hl, .hl *, .line.marked span[class], .copy-button, .chart-tip, .chart-step')]
    .filter(el => el.textContent.trim())
    .map(el => [el.tagName + '.' + el.className, ratio(parse(getComputedStyle(el).color), background(el))]);
}
'''


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_marks_buttons_and_tips_meet_wcag_aa(browser, origin, scheme):
    context, page = open_page(browser, f'{origin}/transformers/mha.html', scheme=scheme)
    page.locator('code.ref[data-ref="d_model"]').first.focus()
    page.evaluate("document.querySelectorAll('.copy-button').forEach(b => b.style.opacity = 1)")
    results = page.evaluate(MARKED_JS)
    page.goto(f'{origin}/source/labml_nn/transformers/mha.py.html?lines=40-80#L40')
    results += page.evaluate(MARKED_JS)
    page.goto(f'{origin}/transformers/mlm/experiment.html')
    page.locator('#run-loss input[type=range]').focus()
    results += page.evaluate(MARKED_JS)
    kinds = {label.split('.')[0] for label, _ in results}
    assert {'CODE', 'SPAN', 'BUTTON', 'DIV', 'LABEL'} <= kinds, kinds
    low = sorted({(label, round(r, 2)) for label, r in results if r < 4.5})
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
    for path in ('index.html', MLM, 'transformers/mlm/readme.html', 'transformers/mlm_tools/fill.html',
                 'source/labml_nn/transformers/mha.py.html',
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
#
# Each block of code is one Tab stop; Enter moves into its names.
def tab_to(page, test, most=200):
    for _ in range(most):
        page.keyboard.press('Tab')
        if page.evaluate(test):
            return
    pytest.fail(f'Tab never reached {test}')


def test_identifier_highlighting_from_the_keyboard(browser, origin):
    context, page = open_page(browser, f'{origin}/{MLM}')
    tab_to(page, "document.activeElement.matches('.code pre[tabindex=\"0\"]') && "
                 "!!document.activeElement.querySelector('[data-id]')")
    # The block has a name, says which lines it holds
    assert re.match(r'Code, lines? \d+', page.evaluate("document.activeElement.getAttribute('aria-label')"))
    page.keyboard.press('Enter')
    assert page.evaluate("!!(document.activeElement.dataset && document.activeElement.dataset.id)")
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
    # Escape goes back to the block and clears the marks
    page.keyboard.press('Escape')
    assert page.locator('.code .hl').count() == 0
    assert page.evaluate("document.activeElement.matches('pre')")
    context.close()


# ## Prose tied to code
#
# A code span in the prose that names something in the code lights up its uses in the code,
# and the other way round; so does a symbol written \code{…} in a formula.
def test_prose_and_code_light_each_other_up(browser, origin):
    context, page = open_page(browser, f'{origin}/transformers/mha.html')
    ref = page.locator('code.ref[data-ref="d_model"]').first
    ref.scroll_into_view_if_needed()
    ref.hover()
    uses = page.locator('.code [data-id="d_model"]').count()
    assert uses > 1
    assert page.locator('.code [data-id="d_model"].hl').count() == uses
    assert page.locator('code.ref[data-ref="d_model"].hl').count() == page.locator('code.ref[data-ref="d_model"]').count()
    # … and from the code back to the prose
    page.mouse.move(0, 0)
    assert page.locator('.hl').count() == 0
    page.locator('.code [data-id="n_heads"]').first.hover()
    assert page.locator('code.ref[data-ref="n_heads"].hl').count() >= 1
    page.screenshot(path=str(ARTIFACTS / 'site-prose-code-hover.png'))
    page.mouse.move(0, 0)
    # From the keyboard: each tied code span is a Tab stop, with a focus ring
    tab_to(page, "document.activeElement.matches('code.ref')")
    name = page.evaluate('document.activeElement.dataset.ref')
    assert page.locator(f'.code [data-id="{name}"].hl').count() >= 1
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    assert re.match(rf'{re.escape(name)}: \d+ uses? in the code', page.text_content('#highlight-status'))
    context.close()


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_a_formula_symbol_lights_up_its_name(browser, origin, scheme):
    context, page = open_page(browser, f'{origin}/site_src/chart.html', scheme=scheme)
    symbol = page.locator('.katex [data-code="plot_w"]').first
    symbol.scroll_into_view_if_needed()
    symbol.hover()
    assert page.locator('.code [data-id="plot_w"].hl').count() >= 2
    page.mouse.move(0, 0)
    # The formula with tied symbols takes the focus and lights up all of them
    formula = page.locator('.math-ref[data-refs="px LEFT"]')
    formula.focus()
    assert page.locator('.code [data-id="LEFT"].hl').count() >= 2
    assert page.locator('.code [data-id="px"].hl').count() >= 1
    page.screenshot(path=str(ARTIFACTS / f'site-formula-focus-{scheme}.png'))
    context.close()


# ## Copying
def test_copy_buttons_copy_the_code_without_line_numbers(browser, origin):
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=origin)
    page = context.new_page()
    page.goto(f'{origin}/transformers/feed_forward.html')
    section = page.locator('.annotated .section').filter(has=page.locator('.code pre')).nth(1)
    button = section.locator('.code .copy-button')
    assert button.count() == 1
    # A real button, named by its visible word and what it copies
    name = button.evaluate('b => b.textContent')
    assert name.startswith('Copy') and 'the code of this section' in name
    section.hover()
    button.click()
    copied = page.evaluate('navigator.clipboard.readText()')
    lines = [int(n) for n in section.locator('.line').evaluate_all('els => els.map(e => e.dataset.ln)')]
    source = (ROOT / 'labml_nn/transformers/feed_forward.py').read_text(encoding='utf-8').split('\n')
    assert copied.split('\n') == [source[n - 1] for n in lines]
    assert page.text_content('#highlight-status') == 'Copied to the clipboard'
    # Keyboard: the button is a Tab stop and visible when focused
    button.focus()
    assert float(button.evaluate('b => getComputedStyle(b).opacity')) == 1
    page.screenshot(path=str(ARTIFACTS / 'site-copy.png'))
    # A block of code in the prose of a hand-written page has its own button
    page.goto(f'{origin}/run.html')
    block = page.locator('.prose .copy-wrap').first
    # Markdown's blocks on hand-written pages can take the focus and have a name, too
    assert block.locator('pre').get_attribute('tabindex') == '0'
    assert block.locator('pre').get_attribute('aria-label') == 'Code'
    block.locator('.copy-button').click()
    assert page.evaluate('navigator.clipboard.readText()') == block.locator('pre').text_content().rstrip('\n')
    context.close()


# ## The source view
#
# Without a repository, a section's line numbers open the whole file in the site, scrolled
# to the section's first line with its lines marked.
def test_line_numbers_open_the_source_view(browser, origin):
    context, page = open_page(browser, f'{origin}/transformers/mlm/model.html')
    link = page.locator('.section .source-link').nth(2)
    label = link.get_attribute('data-label')
    first, last = (int(n) for n in re.findall(r'\d+', label)[:2])
    link.click()
    page.wait_for_load_state()
    assert re.search(rf'/source/labml_nn/transformers/mlm/model.py.html\?lines={first}-{last}#L{first}$', page.url)
    marked = page.eval_on_selector_all('.source-view .line.marked', 'els => els.map(e => +e.dataset.ln)')
    assert marked == list(range(first, last + 1))
    assert page.evaluate('document.querySelector(":target").id') == f'L{first}'
    # The target line is on screen
    box = page.locator(f'#L{first}').bounding_box()
    assert 0 <= box['y'] <= 900
    source = (ROOT / 'labml_nn/transformers/mlm/model.py').read_text(encoding='utf-8').split('\n')
    assert page.locator(f'#L{first}').text_content() == source[first - 1]
    page.screenshot(path=str(ARTIFACTS / 'site-source-view.png'))
    # A way back to the annotated page
    page.click('text=The annotated page')
    assert page.url.endswith('/transformers/mlm/model.html')
    context.close()


# ## Printing
#
# On paper: the prose beside the code, and nothing to press or type.
def test_print_keeps_prose_beside_code_without_controls(browser, origin):
    context, page = open_page(browser, f'{origin}/{MLM}', width=800)
    page.emulate_media(media='print')
    for selector in ('.topbar', '#mkdocs-search-query', '#theme-toggle', '.copy-button'):
        assert not page.locator(selector).first.is_visible(), selector
    section = page.locator('.annotated .section').filter(has=page.locator('.code pre')).nth(1)
    d, c = section.locator('.docs').bounding_box(), section.locator('.code').bounding_box()
    assert c['x'] >= d['x'] + d['width'] - 1 and abs(c['y'] - d['y']) < 2
    # Printed in the light colours even when the reader chose dark
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    assert page.evaluate('getComputedStyle(document.body).backgroundColor') == 'rgb(255, 255, 255)'
    # No line of code is cut at the edge of the paper
    assert page.evaluate("[...document.querySelectorAll('.code pre')].every(p => p.scrollWidth <= p.clientWidth + 1)")
    page.screenshot(path=str(ARTIFACTS / 'site-print.png'), full_page=False)
    pdf = page.pdf(format='A4')
    assert pdf.startswith(b'%PDF') and len(pdf) > 50_000
    (ARTIFACTS / 'site-print.pdf').write_bytes(pdf)
    context.close()


# ## Charts
def test_chart_points_show_their_step_and_value(browser, origin):
    context, page = open_page(browser, f'{origin}/transformers/mlm/experiment.html')
    box = page.locator('#run-accuracy')
    box.scroll_into_view_if_needed()
    svg = box.locator('svg')
    dot = svg.locator('.points.valid circle[data-step="5"]')
    dot.hover()
    tip = box.locator('.chart-tip')
    assert tip.is_visible()
    assert re.match(r'step \d+: training \d+\.\d%, validation \d+\.\d%', tip.text_content())
    assert svg.locator('circle.active').count() == 2
    page.mouse.move(0, 0)
    assert not tip.is_visible()
    # From the keyboard: the slider under the chart, named, read out through aria-valuetext
    slider = box.locator('input[type=range]')
    assert box.locator('label.chart-step').is_visible()
    slider.focus()
    assert tip.is_visible()
    last = slider.get_attribute('aria-valuetext')
    page.keyboard.press('ArrowLeft')
    assert slider.get_attribute('aria-valuetext') != last
    assert slider.get_attribute('aria-valuetext') == tip.text_content()
    assert tip.text_content().startswith('step ')
    page.screenshot(path=str(ARTIFACTS / 'site-chart-slider.png'))
    context.close()


# ## Every page at two widths, in both modes
#
# Screenshots for a person to look at, and checks that nothing is wider than the screen.
@pytest.mark.parametrize('path', ['index.html', MLM, 'transformers/mlm/experiment.html', 'site_src/readme.html',
                                  'source/labml_nn/transformers/mha.py.html', 'run.html'])
@pytest.mark.parametrize('width', [1280, 390])
@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_pages_at_two_widths_in_both_modes(browser, origin, path, width, scheme):
    context, page = open_page(browser, f'{origin}/{path}', width=width, scheme=scheme)
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    name = path.replace('/', '_').removesuffix('.html')
    page.screenshot(path=str(ARTIFACTS / f'page-{name}-{width}-{scheme}.png'))
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


# ## The reading path
#
# Previous, Next and the contents list at the top of a page are reached with Tab, show a
# focus ring and meet 4.5:1 in both themes; Enter on a contents entry scrolls to its heading,
# Enter on Next opens the next page. Printed, the path is gone.
READING_JS = r'''
() => {
''' + COLOUR_JS + r'''  return [...document.querySelectorAll('.reading a, .reading p, .reading span, .page-contents a, .page-contents p')]
    .filter(el => el.textContent.trim())
    .map(el => [el.tagName + '.' + el.className, ratio(parse(getComputedStyle(el).color), background(el))]);
}
'''


@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_reading_path_from_the_keyboard(browser, origin, scheme):
    context, page = open_page(browser, f'{origin}/transformers/mlm/model.html', scheme=scheme)
    low = [(label, round(r, 2)) for label, r in page.evaluate(READING_JS) if r < 4.5]
    assert not low, f'below 4.5:1 in {scheme} mode: {low}'
    page.screenshot(path=str(ARTIFACTS / f'site-reading-path-{scheme}.png'))
    # Tab reaches an entry of the contents list; Enter scrolls to its heading
    tab_to(page, "document.activeElement.matches('.page-contents a')", most=40)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    heading = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press('Enter')
    page.wait_for_function(f"location.hash === '{heading}'")
    box = page.locator(heading).bounding_box()
    assert -1 <= box['y'] < 900  # (scrolled to the top, give or take a fraction of a pixel)
    # From the top again: Tab reaches Next before the contents, and Enter opens the next page
    page.goto(f'{origin}/transformers/mlm/model.html')
    tab_to(page, "document.activeElement.matches('.reading-top a[rel=next]')", most=40)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    assert page.evaluate("document.activeElement.textContent").endswith(
        'Data - characters as tokens, windows and a held-out split')
    page.keyboard.press('Enter')
    page.wait_for_url('**/transformers/mlm/data.html')
    # … and at the end of that page, Previous leads back
    previous = page.locator('.reading-end a[rel=prev]')
    previous.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    page.keyboard.press('Enter')
    page.wait_for_url('**/transformers/mlm/model.html')
    context.close()


@pytest.mark.parametrize('width', [1280, 390])
def test_reading_path_layout_and_print(browser, origin, width):
    context, page = open_page(browser, f'{origin}/transformers/mlm/experiment.html', width=width)
    top = page.locator('.reading-top')
    contents = page.locator('.page-contents')
    assert top.is_visible() and contents.is_visible()
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    # The path and the contents list sit in the prose column, above the first section
    first = page.locator('.annotated .section').first.bounding_box()
    for box in (top.bounding_box(), contents.bounding_box()):
        assert box['y'] + box['height'] <= first['y'] + 1
    page.screenshot(path=str(ARTIFACTS / f'site-reading-path-{width}.png'))
    page.emulate_media(media='print')
    for selector in ('.reading-top', '.reading-end', '.page-contents'):
        assert not page.locator(selector).is_visible(), selector
    context.close()


# ## The map: one group per chapter
#
# The lesson's group is open; another opens from the keyboard (Tab to its summary, Enter).
@pytest.mark.parametrize('scheme', ['light', 'dark'])
def test_map_of_chapters_opens_from_the_keyboard(browser, origin, scheme):
    context, page = open_page(browser, f'{origin}/index.html', scheme=scheme)
    groups = page.locator('.page-map details')
    assert groups.count() >= 6
    assert groups.first.evaluate('d => d.open') and not groups.nth(1).evaluate('d => d.open')
    # Only the open group's pages are shown
    assert page.locator('.page-map li').first.is_visible()
    assert not groups.nth(1).locator('li').first.is_visible()
    tab_to(page, "document.activeElement.matches('.page-map summary') && "
                 "document.activeElement.textContent.startsWith('Benchmarks')")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    page.keyboard.press('Enter')
    # The chapter whose summary starts with the name (another chapter's text may mention benchmarks)
    benchmarks = page.locator('.page-map details', has=page.locator('summary', has_text=re.compile(r'^\s*Benchmarks')))
    assert benchmarks.evaluate('d => d.open') and benchmarks.locator('li').first.is_visible()
    low = [(label, round(r, 2)) for label, r in page.evaluate(CONTRAST_JS) if r < 4.5]
    assert not low, low
    benchmarks.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f'site-map-{scheme}.png'))
    context.close()


# ## A page of prose only
#
# A readme has no code: its prose takes one column the width of the text, with no empty code
# column beside it, and a long command in a code block wraps instead of being cut off.
@pytest.mark.parametrize('width', [1280, 390])
def test_a_prose_only_page_uses_the_width(browser, origin, width):
    context, page = open_page(browser, f'{origin}/transformers/mlm/readme.html', width=width)
    assert page.evaluate('document.documentElement.scrollWidth') <= width
    # No code column, visible or empty
    widths = page.eval_on_selector_all('.annotated .code, .page-head .code',
                                       'els => els.map(e => e.getBoundingClientRect().width)')
    assert widths and all(w == 0 for w in widths)
    docs = page.locator('.annotated .docs').first.bounding_box()
    assert docs['width'] >= min(width, 800) - 2
    # Centred, as a hand-written page is
    assert abs(docs['x'] - (width - docs['x'] - docs['width'])) <= 20
    # Every block of code shows all of its text: nothing to scroll sideways, no line cut off
    blocks = page.eval_on_selector_all('.annotated pre', 'els => els.map(e => [e.scrollWidth, e.clientWidth])')
    assert blocks and all(scroll <= client + 1 for scroll, client in blocks), blocks
    run_it = page.locator('.annotated pre', has_text='labml_nn.transformers.mlm.experiment')
    run_it.scroll_into_view_if_needed()
    assert run_it.bounding_box()['x'] + run_it.bounding_box()['width'] <= width
    page.screenshot(path=str(ARTIFACTS / f'site-prose-only-{width}.png'))
    context.close()


# ## Code is never cut
#
# On every page of the lesson chapter, at a desktop's and a phone's width, with every fold
# (solutions, quiz explanations) open: no block of code is wider than its box. A line too long
# for its column wraps; each row it continues on starts with a visible mark (the ↪ drawn by the
# stylesheet) and hangs in from the line's start, and the line's number stays on its first row.
CHAPTER = ['transformers/mlm/readme.html', MLM, 'transformers/mlm/model.html', 'transformers/mlm/data.html',
           'transformers/mlm/experiment.html', 'transformers/mlm/notebook.html']

WRAPPED_JS = r'''
async () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const blocks = [...document.querySelectorAll('main pre')].filter(p => p.getClientRects().length);
  const cut = blocks.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.getAttribute('aria-label') || p.textContent.slice(0, 40));
  const unsplit = blocks.filter(p => !p.querySelector('.line') && p.textContent.trim()).length;
  const wrapped = [];
  for (const line of blocks.flatMap(p => [...p.querySelectorAll('.line')])) {
    const style = getComputedStyle(line);
    const row = parseFloat(style.lineHeight);
    const box = line.getBoundingClientRect();
    const rows = Math.round(box.height / row);
    if (Math.abs(box.height - rows * row) > 1) return {error: 'a line is not a whole number of rows: ' + line.textContent};
    if (rows < 2) continue;
    // Where each row's text starts: the first row (its indentation included) and the others
    const range = document.createRange();
    range.selectNodeContents(line);
    const starts = {};
    for (const r of range.getClientRects()) {
      if (!r.width) continue;
      const k = Math.round((r.top - box.top) / row);
      starts[k] = Math.min(starts[k] ?? Infinity, r.left);
    }
    const mark = getComputedStyle(line, '::after');
    const number = getComputedStyle(line, '::before');
    const indent = /^ */.exec(line.textContent)[0].length;
    const ch = parseFloat(style.fontSize) * 0.6;  // (a monospace character, about 0.6em wide)
    wrapped.push({text: line.textContent, rows, row, first: starts[0],
                  rest: Object.keys(starts).filter(k => k > 0).map(k => starts[k]),
                  indentPx: Math.min(indent * ch, 0.2 * innerWidth),
                  mark: mark.content, markHeight: parseFloat(mark.height),
                  markVisible: mark.visibility === 'visible' && mark.display !== 'none',
                  numbered: line.hasAttribute('data-ln'), number: number.content});
  }
  return {blocks: blocks.length, cut, unsplit, wrapped};
}
'''


@pytest.mark.parametrize('width', [1280, 390])
def test_no_code_block_of_the_lesson_is_cut(browser, origin, width):
    wrapped_anywhere = 0
    for path in CHAPTER:
        context, page = open_page(browser, f'{origin}/{path}', width=width, height=844 if width < 768 else 900)
        found = page.evaluate(WRAPPED_JS)
        context.close()
        assert 'error' not in found, (path, found.get('error'))
        assert found['blocks'] > 0, path
        assert found['cut'] == [], f'{path} at {width}px: blocks cut at the right edge: {found["cut"]}'
        # Every block, the prose's own included, is made of lines that can wrap and be marked
        assert found['unsplit'] == 0, path
        for line in found['wrapped']:
            wrapped_anywhere += 1
            # A visible ↪ on each continued row: the mark is as tall as those rows
            assert '\u21aa' in line['mark'] and line['markVisible'], (path, line['text'])
            assert abs(line['markHeight'] - (line['rows'] - 1) * line['row']) < 1, (path, line)
            # A hanging indent: the continued rows start right of where the line starts, past
            # its own indentation (capped on a narrow screen)
            assert line['rest'] and all(x > line['first'] + line['indentPx'] for x in line['rest']), (path, line)
            if line['numbered']:
                assert line['number'] not in ('none', 'normal'), (path, line)
    # (The chapter has long lines: the check above has something to look at)
    assert wrapped_anywhere >= (5 if width == 1280 else 50), wrapped_anywhere


# The rows of a wrapped line are as tall as the mark that fills them, and the line numbers
# stay on the first row of their line: each line's number is as high as the line's top, and
# each section's code starts beside its prose.
@pytest.mark.parametrize('width', [1280, 390])
def test_wrapped_lines_keep_their_numbers_and_marks_aligned(browser, origin, width):
    context, page = open_page(browser, f'{origin}/transformers/mlm/experiment.html', width=width)
    result = page.evaluate(r'''() => {
      const out = [];
      for (const line of document.querySelectorAll('.code .line[data-ln]')) {
        const box = line.getBoundingClientRect(), style = getComputedStyle(line);
        const row = parseFloat(style.lineHeight);
        const mark = getComputedStyle(line, '::after');
        out.push({ln: +line.dataset.ln, top: box.top, bottom: box.bottom, rows: Math.round(box.height / row),
                  markTop: parseFloat(mark.top), markHeight: parseFloat(mark.height), row});
      }
      const sections = [...document.querySelectorAll('.annotated .section')].filter(s => s.querySelector('.code .line'))
        .map(s => [s.querySelector('.docs').getBoundingClientRect().top, s.querySelector('.code .line').getBoundingClientRect().top,
                   s.querySelector('.docs').getBoundingClientRect().bottom]);
      return {lines: out, sections};
    }''')
    lines = result['lines']
    assert len(lines) > 50
    for line in lines:
        # The mark starts one row down and covers every row the line continues on
        assert abs(line['markTop'] - line['row']) < 1, line
        assert abs(line['markHeight'] - (line['rows'] - 1) * line['row']) < 1, line
    # Lines follow one another without overlapping (a wrapped line pushes the next one down)
    for a, b in zip(lines, lines[1:]):
        if b['ln'] > a['ln']:
            assert b['top'] >= a['bottom'] - 1, (a, b)
    assert any(line['rows'] > 1 for line in lines)
    for docs_top, code_top, docs_bottom in result['sections']:
        if width >= 768:
            # Side by side: the first line of code within the first rows of its prose
            assert docs_top - 1 <= code_top <= docs_top + 40
        else:
            assert code_top >= docs_bottom - 1
    page.screenshot(path=str(ARTIFACTS / f'site-wrapped-lines-{width}.png'))
    context.close()


# Copying a wrapped line gives the source's line: by the section's button, and by selecting
# the block and copying, at the phone width where most lines wrap. No mark, no line number, no
# line break that the source does not have.
def test_copying_wrapped_code_gives_the_source_lines(browser, origin):
    context = browser.new_context(viewport={'width': 390, 'height': 844})
    context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=origin)
    page = context.new_page()
    page.goto(f'{origin}/{MLM}')
    page.evaluate('document.fonts.ready')
    source = (ROOT / 'labml_nn/transformers/mlm/__init__.py').read_text(encoding='utf-8').split('\n')
    # The section whose code has the line that wraps onto the most rows
    index = page.evaluate(r'''() => {
      const sections = [...document.querySelectorAll('.annotated .section')];
      let best = -1, most = 1;
      sections.forEach((s, i) => s.querySelectorAll('.code .line').forEach(l => {
        const rows = Math.round(l.getBoundingClientRect().height / parseFloat(getComputedStyle(l).lineHeight));
        if (rows > most) { most = rows; best = i; }
      }));
      return best;
    }''')
    assert index >= 0, 'no line of the masking page wraps at 390 px'
    section = page.locator('.annotated .section').nth(index)
    numbers = [int(n) for n in section.locator('.code .line').evaluate_all('els => els.map(e => e.dataset.ln)')]
    expected = [source[n - 1] for n in numbers]
    section.scroll_into_view_if_needed()
    section.locator('.code .copy-button').click()
    assert page.evaluate('navigator.clipboard.readText()').split('\n') == expected
    # Select the first block of the section's code, as a reader drags over it, and copy
    block = section.locator('.code pre').first
    block_numbers = [int(n) for n in block.locator('.line').evaluate_all('els => els.map(e => e.dataset.ln)')]
    block.evaluate('''pre => { const r = document.createRange(); r.selectNodeContents(pre.querySelector('code'));
                               const s = getSelection(); s.removeAllRanges(); s.addRange(r); }''')
    page.keyboard.press('Control+C')
    copied = page.evaluate('navigator.clipboard.readText()')
    assert copied.rstrip('\n').split('\n') == [source[n - 1] for n in block_numbers]
    assert '\u21aa' not in copied
    page.screenshot(path=str(ARTIFACTS / 'site-wrapped-copy-390.png'))
    # A block of code in the prose of a hand-written page, split into lines by the script,
    # copies as the Markdown source wrote it
    page.goto(f'{origin}/run.html')
    written = (ROOT / 'docs/run.md').read_text(encoding='utf-8').split('\n')
    blocks = page.locator('.prose .copy-wrap')
    assert blocks.count() > 2
    wraps = 0
    for i in range(blocks.count()):
        block = blocks.nth(i)
        wraps += block.locator('.line').evaluate_all(
            'els => els.filter(e => e.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(e).lineHeight)).length')
        block.locator('.copy-button').click()
        copied = page.evaluate('navigator.clipboard.readText()').split('\n')
        assert all(line in written for line in copied), copied
    assert wraps > 0, 'no line of run.html wraps at 390 px'
    context.close()


# ## The first screen
#
# Each page of the lesson opens on its title and its first paragraph, at a desktop's 1280×900
# and at a phone's 390×844, with no scrolling. Above them: one line for the chapter and
# Previous/Next, and the contents folded on the phone (open on the desktop). Previous and Next
# come again, with the pages' titles, at the end of the page.
LESSON = CHAPTER[:5]


@pytest.mark.parametrize('width,height', [(1280, 900), (390, 844)])
@pytest.mark.parametrize('path', LESSON)
def test_the_first_screen_shows_the_title_and_first_paragraph(browser, origin, path, width, height):
    context, page = open_page(browser, f'{origin}/{path}', width=width, height=height)
    found = page.evaluate(r'''() => {
      const title = document.querySelector('.annotated h1');
      const first = [...document.querySelectorAll('.annotated p')].find(p =>
        (title.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING) && p.textContent.trim());
      const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, height: r.height}; };
      const line = document.querySelector('.reading-top .chapter-line');
      const row = parseFloat(getComputedStyle(line).lineHeight);
      const links = [...document.querySelectorAll('.reading-top .prev-next a')].map(box);
      return {title: box(title), first: box(first), line: box(line), row, links,
              contents: document.querySelector('.page-contents details').open};
    }''')
    assert found['title']['top'] >= 0 and found['first']['bottom'] <= height, found
    assert found['first']['height'] > 0
    # The chapter and Previous/Next: one line
    assert found['line']['height'] < 1.5 * found['row'], found['line']
    assert found['links'] and all(abs(b['top'] - found['line']['top']) < found['row'] / 2 for b in found['links']), found
    # The contents: folded on a phone, open on a desktop
    assert found['contents'] == (width >= 768)
    # Previous and Next at the end, with the titles they lead to
    end = page.locator('.reading-end .prev-next a')
    assert end.count() == page.locator('.reading-top .prev-next a').count() >= 1
    assert all(t.strip() for t in end.locator('.target').all_text_contents())
    assert end.first.locator('.target').is_visible()
    page.screenshot(path=str(ARTIFACTS / f'first-screen-{path.replace("/", "_").removesuffix(".html")}-{width}.png'))
    context.close()


# The contents fold opens from the keyboard on a phone, and its entries then lead to their
# headings
def test_the_folded_contents_open_from_the_keyboard(browser, origin):
    context, page = open_page(browser, f'{origin}/transformers/mlm/experiment.html', width=390, height=844)
    fold = page.locator('.page-contents details')
    assert not fold.evaluate('d => d.open')
    assert not page.locator('.page-contents li a').first.is_visible()
    tab_to(page, "document.activeElement.matches('.page-contents summary')", most=40)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == 'solid'
    page.keyboard.press('Enter')
    assert fold.evaluate('d => d.open')
    entry = page.locator('.page-contents li a').nth(2)
    assert entry.is_visible()
    heading = entry.get_attribute('href')
    entry.focus()
    page.keyboard.press('Enter')
    page.wait_for_function(f"location.hash === '{heading}'")
    assert -1 <= page.locator(heading).bounding_box()['y'] < 844
    context.close()


# ## Wide tables on a Markdown page
def test_wide_tables_scroll_in_their_box_on_a_phone(browser, origin):
    r"""The Benchmarks page includes recordings with ten-column tables: at 390 px each scrolls
    inside its own box instead of widening the page (they made it 739 px wide before)."""
    context, page = open_page(browser, f'{origin}/benchmarks.html', width=390)
    tables = page.locator('article.prose table')
    assert tables.count() > 0
    assert max(page.eval_on_selector_all('article.prose table', 'ts => ts.map(t => t.scrollWidth)')) > 390
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
    context.close()
