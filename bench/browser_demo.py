"""
---
title: Benchmark - the fill page's demo in a browser
summary: What the in-page fill-mask demo downloads, and how fast the bundled model loads and answers in headless chromium, as a first-time reader gets it.
---

# What the fill page's demo downloads, and how fast the model loads and answers in it

    python bench/browser_demo.py                 # builds the site, writes bench/results/browser_demo.md and .json
    python bench/browser_demo.py --site site     # measures a site built before

The fill-mask box of the site ([the model in the page](../site_demo/fill_mask_demo.html))
runs the bundled model with ONNX Runtime Web in the reader's browser. This opens the fill page
in headless Debian chromium (driven by Playwright, as the tests do), `--repeat` times, each
time in a fresh browser context, so with an empty cache, as a first-time reader, and records:

* **the bytes the page downloads**, by file, once the box has come into view and answered
  (the page itself, the theme's files, the model and the runtime), from the responses'
  `Content-Length`; and that no request left the site;
* **page to first answer**: from asking for the page to the first answer shown, download and
  WebAssembly compilation included (the box is scrolled into view at once);
* **model load**: what the box measures itself, from starting the downloads of the runtime,
  the vocabulary and the graph to the inference session being ready;
* **answer**: one run of the graph for a typed text (the box's own measurement of
  `session.run`), for texts of 20 and 64 characters, the median of `--answers` runs each.

The site is served from 127.0.0.1 by Python's `http.server`, so the network costs nothing:
over a real connection, add the download time of the total bytes. The load average before and
after is recorded, since the machine may be busy.
"""
import argparse
import functools
import http.server
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'bench' / 'results'
FILL = 'transformers/mlm_tools/fill.html'
CHROMIUM = '/usr/bin/chromium'
# A short text and one of the model's full length (64 characters, two gaps)
TEXTS = {20: 'To be, or not to b[MASK]',
         64: 'To be, or not to be, that is the qu[MASK]stion: whether \'tis n[MASK]bler'}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def build(site: Path) -> None:
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(site)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    if result.returncode != 0:
        sys.exit(result.stderr)


def wait_for_answer(page, text):
    page.wait_for_function("t => document.getElementById('mlm-demo').dataset.answered === t", arg=text,
                           timeout=120_000)


def visit(browser, origin: str, answers: int) -> dict:
    r"""One first-time reader: the page, the box in view, the first answer, then the timed answers."""
    context = browser.new_context(viewport={'width': 1280, 'height': 900})
    requests, sizes = [], {}
    context.on('request', lambda r: requests.append(r.url))
    context.on('response', lambda r: sizes.__setitem__(r.url, int(r.headers.get('content-length', 0))))
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f'{origin}/{FILL}')
    page.locator('#mlm-demo').scroll_into_view_if_needed()
    first = page.get_attribute('#mlm-demo-text', 'value')
    wait_for_answer(page, first)
    to_answer = time.perf_counter() - started
    box = page.locator('#mlm-demo')
    out = {'page_to_first_answer_s': to_answer, 'model_load_ms': float(box.get_attribute('data-load-ms')),
           'first_answer_ms': float(box.get_attribute('data-answer-ms')), 'answer_ms': {}}
    for length, text in TEXTS.items():
        times = []
        for k in range(answers):
            # The box answers when the text changes: alternate two spellings of the same length
            typed = text if k % 2 == 0 else text.swapcase()
            page.fill('#mlm-demo-text', typed)
            wait_for_answer(page, typed)
            times.append(float(box.get_attribute('data-answer-ms')))
        out['answer_ms'][str(length)] = statistics.median(times)
    out['files'] = {u[len(origin) + 1:]: n for u, n in sizes.items()}
    out['outside'] = [u for u in requests if not u.startswith(origin + '/')]
    context.close()
    return out


def markdown(result: dict) -> str:
    files = result['files']
    total = sum(files.values())
    lines = ['# The fill page\'s demo in a browser', '',
             f"Machine: {result['machine']}; {result['browser']} (headless), the site served from 127.0.0.1; "
             f"{result['repeat']} first-time visits, each in a fresh browser context; load average "
             f"{result['load_average_before_after'][0]:.2f} before and {result['load_average_before_after'][1]:.2f} "
             f"after. All numbers from one run of `python bench/browser_demo.py`.", '',
             '## What the page downloads', '',
             f"**{total / 1e6:.1f} MB** in {len(files)} files once the box has answered; "
             f"requests to anywhere but the site: {len(result['outside'])}.", '',
             '| file | bytes |', '|---|---:|']
    lines += [f'| `{name}` | {n:,} |' for name, n in sorted(files.items(), key=lambda f: -f[1])]
    lines += [f'| **total** | **{total:,}** |', '', '## Timings', '',
              'Median of the visits (their range in brackets).', '',
              '| what | time |', '|---|---:|']
    runs = result['runs']

    def row(label, values, unit, scale=1.0, digits=0):
        values = [v * scale for v in values]
        lines.append(f'| {label} | {statistics.median(values):.{digits}f} {unit} '
                     f'({min(values):.{digits}f}–{max(values):.{digits}f}) |')
    row('page to first answer (downloads, WebAssembly compilation, first run)',
        [r['page_to_first_answer_s'] for r in runs], 's', digits=2)
    row('model load (runtime, vocabulary and graph downloaded, session ready)',
        [r['model_load_ms'] for r in runs], 'ms')
    row('first answer', [r['first_answer_ms'] for r in runs], 'ms', digits=1)
    for length in TEXTS:
        row(f'an answer for a text of {length} characters (median of {result["answers"]})',
            [r['answer_ms'][str(length)] for r in runs],
            'ms', digits=1)
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description="What the fill page's demo downloads, and how fast the model loads and answers in it.")
    parser.add_argument('--site', type=Path, help='a built site (default: build one in a temporary folder)')
    parser.add_argument('--repeat', type=int, default=5, help='first-time visits (default 5)')
    parser.add_argument('--answers', type=int, default=10, help='timed answers per text and visit (default 10)')
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / 'site'
            build(site)
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        origin = f'http://127.0.0.1:{server.server_address[1]}'
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                '--disable-component-update', '--disable-sync'])
            runs = [visit(browser, origin, args.answers) for _ in range(args.repeat)]
            version = browser.version
            browser.close()
        server.shutdown()
    result = {'machine': f'{platform.machine()}, {os.cpu_count()} cores', 'browser': f'chromium {version}',
              'repeat': args.repeat, 'answers': args.answers,
              'load_average_before_after': [load_before, os.getloadavg()[0]],
              'files': runs[0]['files'], 'outside': sorted({u for r in runs for u in r['outside']}),
              'runs': [{k: v for k, v in r.items() if k not in ('files', 'outside')} for r in runs]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / 'browser_demo.json').write_text(json.dumps(result, indent=1) + '\n')
    (RESULTS / 'browser_demo.md').write_text(markdown(result))
    print(markdown(result))


if __name__ == '__main__':
    main()
