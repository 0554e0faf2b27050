r"""
---
title: The lesson's reading budget, measured on the built site
summary: How much a learner reads before the first masking code and before the training step's backward pass, how many measured figures each lesson page's teaching prose quotes, how many code blocks are cut at the right edge, and whether each page's title and first paragraph show on the first screen.
---

# The lesson's reading budget

A lesson loses its reader when the point comes too late. This script reads the built site as a
learner does, following Next from the chapter's first page, and measures five things on each of
the first five pages of the reading order (the readme, masking, the model, the data and the
experiment, as `mkdocs.yml` lists them):

* **prose words**, on the page and added up along the way to two points of the code: the first
  masking code (the line that defines the masking page's `class MLM`) and the training step's
  backward pass (the first code line holding `.backward(`);
* **measured figures in the teaching prose**: percentages with decimals (`12.3%`, and a range
  such as `12.3–14.5%` counts once), ratios (`1.4×`, `1.40 times`), durations (`9.5 min`,
  `88 s`), speeds (`1,234 tokens/s`, `109 ms/step`), gains in points (`+2.1 points`, or a signed
  `−3.6` after a comparison), spreads (`±0.8`) and measured standard deviations ("a standard
  deviation of `0.33`"). A config value such as `0.15`, or `15%` without decimals, is not one.
  Text under a heading that starts with "Measured" is left out: that is where the figures
  belong;
* **code blocks cut at the right edge** at 1280 px, with every `<details>` opened (a solution's
  code counts as soon as a reader can open it): a block whose content is wider than its box;
* **the first screen**: at 1280×900 and at 390×844, do the page's title and its first paragraph
  show without scrolling?

The budgets: at most 900 prose words before the first masking code, at most 2,000 before the
backward pass, at most 8 measured figures per page, no cut code block, and the title and first
paragraph on the first screen.

```bash
python -m bench.lesson_budget                  # build the site (about a minute), measure, record
python -m bench.lesson_budget --site DIR       # measure a site built already
python -m bench.lesson_budget --check          # the same, exiting 1 when a budget is broken
```

It records `bench/results/lesson_budget.json` and `.md` (`--no-record` leaves them alone). It
needs Playwright and Debian's chromium, as the site's browser tests do.

## What counts as prose

A page's prose is the text of its prose column as it shows when the page loads: headings,
paragraphs, lists, tables, notes, exercises and quiz questions. Left out: code blocks, formulas
(KaTeX), the section links, the charts' drawings, and what is folded away (a closed
`<details>` shows its summary only; a quiz's explanations are hidden until answered). A word is
a run of characters between spaces holding at least one letter or digit, so `no_mask_tokens`
is one word. The page's head (breadcrumbs, reading path, contents) is navigation, not prose.
"""

import argparse
import functools
import http.server
import json
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'bench/results'
CHROMIUM = Path('/usr/bin/chromium')
PAGES = 5

# ## The budgets
BUDGETS = {'words_before_masking': 900, 'words_before_backward': 2000, 'figures_per_page': 8}

# The two points of the reading path. The first masking code is the definition of the masking
# page's class `MLM` (the class the chapter is named after); the training step's backward pass
# is the first code line that calls `.backward(`. A rewrite that renames either must move the
# marker here: the script stops with a message rather than measure to the wrong place.
MASKING_MARKER = re.compile(r'^\s*class\s+MLM\b')
BACKWARD_MARKER = re.compile(r'\.backward\(')

# ## Measured figures
#
# One pattern, tried left to right, so that `109 ms/step` is one speed and not also a
# duration. Each alternative is one kind of figure the budget counts.
FIGURE = re.compile(r'''
    (?P<speed>\d[\d,.]*\s?k?\s?(?:tokens|steps|samples|characters|chars|it|GFLOP|MB)(?:/s|\ per\ second)
            |\d[\d,.]*\s?(?:ms|s)/step)
  | (?P<points>[+−-]?\d+(?:\.\d+)?\s?(?:percentage\ points|points|pp)\b)
  | (?P<percent>(?:\d+(?:\.\d+)?\s?[–-]\s?)?\d+\.\d+\s?%)
  | (?P<ratio>\d+(?:\.\d+)?\s?×|\b\d+\.\d+x\b|\b\d+\.\d+\s?times\b)
  | (?P<duration>\b\d+(?:[.,]\d+)?\s?(?:ms|s|secs?|seconds?|min|mins|minutes?|h|hours?)\b(?!/))
  | (?P<spread>±\s?\d+(?:\.\d+)?)
  | (?P<gain>(?<![\w.])[+−]\d+\.\d+\b)
  | (?P<deviation>standard\ deviation(?:\ of)?\ \d+\.\d+)
''', re.X)


def figures_in(text: str) -> list[str]:
    r"""The measured figures of a piece of prose, as written."""
    return [m.group(0).strip() for m in FIGURE.finditer(text)]


def words_in(text: str) -> int:
    return sum(1 for token in text.split() if re.search(r'\w', token))


# ## Reading a page in the browser
#
# For each section of the annotated body, in order: its prose as a list of blocks (headings
# with their level, other blocks with their text, and their text without code spans, where
# figures are counted), and the text of each line of its code.
SECTIONS_JS = r'''
() => {
  const BLOCK = 'p,li,h1,h2,h3,h4,h5,h6,td,th,dt,dd,summary,blockquote,figcaption,caption,div,form,label,legend';
  const text = (el, withCode) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('.section-links, pre, .katex, svg, script, style, [hidden], .copy-button, .visually-hidden')
      .forEach(e => e.remove());
    copy.querySelectorAll('details:not([open])').forEach(d =>
      [...d.children].forEach(c => { if (c.tagName !== 'SUMMARY') c.remove(); }));
    if (!withCode) copy.querySelectorAll('code').forEach(e => e.remove());
    // Blocks end words: "<p>one</p><p>two</p>" is two words, not "onetwo"
    copy.querySelectorAll(BLOCK + ',br').forEach(e => { e.before(' '); e.after(' '); });
    return copy.textContent.replace(/\s+/g, ' ').trim();
  };
  return [...document.querySelectorAll('.annotated .section')].map(section => {
    const docs = section.querySelector(':scope > .docs');
    const blocks = docs ? [...docs.children].filter(c => !c.matches('.section-links')).map(c => {
      const h = /^H([1-6])$/.exec(c.tagName);
      return {level: h ? +h[1] : 0, text: text(c, true), plain: text(c, false)};
    }) : [];
    const lines = [...section.querySelectorAll(':scope > .code .line')].map(l => l.textContent);
    return {blocks, lines};
  });
}
'''

# Code blocks wider than their box, once every <details> of the page is open
CUT_JS = r'''
async () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const blocks = [...document.querySelectorAll('main pre')].filter(p => p.getClientRects().length);
  return {blocks: blocks.length,
          cut: blocks.filter(p => p.scrollWidth > p.clientWidth + 1).length};
}
'''

# The title (the body's first h1) and the first paragraph after it: where they end on screen
FIRST_SCREEN_JS = r'''
() => {
  const title = document.querySelector('.annotated h1, main h1');
  if (!title) return null;
  const after = [...document.querySelectorAll('.annotated p, main p')].find(p =>
    (title.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING) && p.textContent.trim());
  const box = el => { const r = el.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.bottom)]; };
  return {title: box(title), paragraph: after ? box(after) : null, height: innerHeight};
}
'''

SCREENS = [(1280, 900), (390, 844)]


def on_screen(found: dict | None) -> bool:
    if not found or not found['paragraph']:
        return False
    return found['title'][0] >= 0 and found['paragraph'][1] <= found['height']


# ## The pages of the reading order
#
# The first chapter of `reading_order` in mkdocs.yml, each source file named by the page the
# site makes of it (the generator's own rule, `site_src.project.page_url`).
def lesson_pages() -> list[tuple[str, str]]:
    import yaml
    from site_src.project import packages_from, page_url
    config = yaml.safe_load((ROOT / 'mkdocs.yml').read_text(encoding='utf-8'))
    plugin = next(p['annotated'] for p in config['plugins'] if isinstance(p, dict) and 'annotated' in p)
    packages = packages_from(plugin['packages'], ROOT)
    out = []
    for path in plugin['reading_order'][0]['pages'][:PAGES]:
        rel = PurePosixPath(path)
        package = next(p for p in packages if rel.is_relative_to(p.folder))
        out.append((path, page_url(rel, package)))
    return out


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def read_pages(site: Path, pages: list[tuple[str, str]]) -> list[dict]:
    r"""Everything the budgets need, page by page, read by chromium from `site` served on
    127.0.0.1."""
    from playwright.sync_api import sync_playwright
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f'http://127.0.0.1:{server.server_address[1]}'
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
                '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'])
            views = {size: browser.new_context(viewport=dict(zip(('width', 'height'), size))).new_page()
                     for size in SCREENS}
            for source, url in pages:
                record = {'source': source, 'url': url, 'first_screen': {}}
                for (width, height), page in views.items():
                    page.goto(f'{origin}/{url}')
                    page.evaluate('document.fonts.ready')
                    record['first_screen'][f'{width}x{height}'] = page.evaluate(FIRST_SCREEN_JS)
                    if width == 1280:
                        record['sections'] = page.evaluate(SECTIONS_JS)
                        record['code'] = page.evaluate(CUT_JS)
                out.append(record)
            browser.close()
    finally:
        server.shutdown()
    return out


# ## From the pages to the budgets
#
# Words add up along the reading path. The prose of the section whose code holds a marker is
# counted: it stands beside that code and is read with it.
def measure(read: list[dict]) -> dict:
    pages, walked, reached = [], 0, {}
    for record in read:
        words = figures_in_measured = 0
        figures, measured_level = [], None
        for section in record['sections']:
            for block in section['blocks']:
                if block['level']:
                    if measured_level and block['level'] <= measured_level:
                        measured_level = None
                    if re.match(r'measured\b', block['text'], re.I):
                        measured_level = block['level']
                n = words_in(block['text'])
                words += n
                walked += n
                found = figures_in(block['plain'])
                if measured_level:
                    figures_in_measured += len(found)
                else:
                    figures += found
            for name, marker in (('masking', MASKING_MARKER), ('backward', BACKWARD_MARKER)):
                if name not in reached and any(marker.search(line) for line in section['lines']):
                    reached[name] = walked
        screens = {size: on_screen(found) for size, found in record['first_screen'].items()}
        pages.append({'source': record['source'], 'url': record['url'], 'words': words,
                      'figures': len(figures), 'figures_found': figures,
                      'figures_in_measured': figures_in_measured,
                      'code_blocks': record['code']['blocks'], 'cut_blocks': record['code']['cut'],
                      'first_screen': screens, 'first_screen_boxes': record['first_screen']})
    for name, marker in (('masking', MASKING_MARKER), ('backward', BACKWARD_MARKER)):
        if name not in reached:
            raise SystemExit(f'no code line of the first {PAGES} pages matches {marker.pattern!r} '
                             f'(the {name} marker); move the marker in bench/lesson_budget.py')
    return {'pages': pages, 'words_before_masking': reached['masking'],
            'words_before_backward': reached['backward'], 'budgets': BUDGETS}


def broken(result: dict) -> list[str]:
    r"""The budgets `result` breaks, one line each."""
    out = []
    for key in ('words_before_masking', 'words_before_backward'):
        if result[key] > BUDGETS[key]:
            out.append(f'{key.replace("_", " ")}: {result[key]:,} > {BUDGETS[key]:,}')
    for page in result['pages']:
        if page['figures'] > BUDGETS['figures_per_page']:
            out.append(f"{page['source']}: {page['figures']} measured figures > {BUDGETS['figures_per_page']}")
        if page['cut_blocks']:
            out.append(f"{page['source']}: {page['cut_blocks']} code blocks cut at the right edge")
        for size, ok in page['first_screen'].items():
            if not ok:
                out.append(f"{page['source']}: title and first paragraph not on the first screen at {size}")
    return out


# ## The table, printed and recorded
def table(result: dict) -> str:
    sizes = [f'{w}x{h}' for w, h in SCREENS]
    rows = ['| page | prose words | measured figures | code blocks cut at 1280 px | '
            + ' | '.join(f'first screen {s.replace("x", "×")}' for s in sizes) + ' |',
            '|---|---:|---:|---:|' + ':---:|' * len(sizes)]
    for page in result['pages']:
        link = f"[`{page['source']}`](../../{page['url']})"
        rows.append(f"| {link} | {page['words']:,} | {page['figures']} | {page['cut_blocks']} of {page['code_blocks']} | "
                    + ' | '.join('yes' if page['first_screen'][s] else '**no**' for s in sizes) + ' |')
    return '\n'.join(rows)


def markdown(result: dict) -> str:
    b = BUDGETS
    lines = [
        '# The lesson\'s reading budget',
        '',
        'The first five pages of the lesson, read from the built site by `python -m bench.lesson_budget` '
        '([what it counts and how](../lesson_budget.html)).' + (f" {result['note']}" if result.get('note') else ''),
        '',
        '| along the reading path | prose words | budget |',
        '|---|---:|---:|',
        f"| before the first masking code (`class MLM`) | {result['words_before_masking']:,} | "
        f"{b['words_before_masking']:,} |",
        f"| before the training step's backward pass (`.backward(`) | {result['words_before_backward']:,} | "
        f"{b['words_before_backward']:,} |",
        '',
        table(result),
        '',
        f"Budget: at most {b['figures_per_page']} measured figures in a page's teaching prose (a section headed "
        '"Measured" excluded), no code block cut, the title and first paragraph on the first screen.',
        '',
    ]
    problems = broken(result)
    lines += ['Broken:', '', *(f'- {problem}' for problem in problems)] if problems else ['Every budget holds.']
    for page in result['pages']:
        if page['figures_found']:
            lines += ['', f"Figures in the teaching prose of `{page['source']}`: "
                      + ', '.join(f'`{f}`' for f in page['figures_found']) + '.']
    return '\n'.join(lines) + '\n'


# ## Running it
def fail(message: str):
    print(f'lesson_budget: {message}', file=sys.stderr)
    sys.exit(2)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog='python -m bench.lesson_budget',
                                     description="Measures the lesson's reading budget on the built site.")
    parser.add_argument('--site', type=Path, help='a site built already by `mkdocs build` (default: build one)')
    parser.add_argument('--check', action='store_true', help='exit 1 when a budget is broken')
    parser.add_argument('--no-record', action='store_true', help='print only; leave bench/results alone')
    parser.add_argument('--note', default='', help='a sentence saying what was measured, put in the record')
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        fail(f'{CHROMIUM} is missing; install Debian\'s chromium (apt-get install chromium)')
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        fail('the Python package playwright is missing; pip install playwright')
    pages = lesson_pages()
    with tempfile.TemporaryDirectory() as folder:
        site = args.site
        if site is None:
            site = Path(folder) / 'site'
            print('building the site…', file=sys.stderr)
            built = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(site)], cwd=ROOT,
                                   capture_output=True, text=True)
            if built.returncode:
                fail(f'mkdocs build failed:\n{built.stderr.strip()}')
        missing = [url for _, url in pages if not (site / url).is_file()]
        if missing:
            fail(f'{site} has no {missing[0]}; is it a site built by `python -m mkdocs build -d {site}`?')
        result = measure(read_pages(site, pages))
    result['note'] = args.note
    print(table(result))
    print(f"\nprose words before the first masking code: {result['words_before_masking']:,} "
          f"(budget {BUDGETS['words_before_masking']:,})")
    print(f"prose words before the backward pass: {result['words_before_backward']:,} "
          f"(budget {BUDGETS['words_before_backward']:,})")
    problems = broken(result)
    print('\n'.join(['', 'broken:', *problems]) if problems else '\nevery budget holds')
    if not args.no_record:
        (RESULTS / 'lesson_budget.json').write_text(json.dumps(result, indent=2) + '\n', encoding='utf-8')
        (RESULTS / 'lesson_budget.md').write_text(markdown(result), encoding='utf-8')
        print('recorded bench/results/lesson_budget.json and .md', file=sys.stderr)
    if args.check and problems:
        sys.exit(1)


if __name__ == '__main__':
    main()
