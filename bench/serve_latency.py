r"""
---
title: Benchmark - how fast mkdocs serve shows an edit
summary: Starts mkdocs serve, edits an annotated source file several times, and times how long until the served page shows each edit.
---

# From an edit to the page

A writer edits a module and looks at the browser. This script measures that loop as a writer
feels it: it starts `mkdocs serve`, changes a sentence of `labml_nn/transformers/feed_forward.py`,
and polls the served page until the new sentence is in it. The file is restored afterwards.
The goal is under a second. Writes `bench/results/serve_latency.md`.

```bash
python bench/serve_latency.py
python bench/serve_latency.py --file site_src/__init__.py --phrase 'side-by-side pages' --page site_src/index.html
```

The second form edits another file (any annotated source, with a phrase of its prose and the
address of its page).
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITED = ROOT / 'labml_nn/transformers/feed_forward.py'


def main(edits: int = 5, port: int = 8791, edited: Path = EDITED, phrase: str = 'smooth ReLU',
         page_path: str = 'transformers/feed_forward.html'):
    server = subprocess.Popen([sys.executable, '-m', 'mkdocs', 'serve', '-a', f'127.0.0.1:{port}'], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f'http://127.0.0.1:{port}/{page_path}'

    def page():
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            return None

    original = edited.read_text()
    times = []
    try:
        start = time.time()
        while page() is None and time.time() - start < 120:
            time.sleep(0.2)
        first = time.time() - start
        time.sleep(3)
        for i in range(edits):
            marker = f'edit-{i}-{time.time_ns()}'
            edited.write_text(original.replace(phrase, f'{phrase} {marker}', 1))
            t = time.time()
            while time.time() - t < 30:
                body = page()
                if body and marker in body:
                    break
                time.sleep(0.02)
            times.append(time.time() - t)
            time.sleep(2)
    finally:
        edited.write_text(original)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    rows = '\n'.join(f'| {i + 1} | {t:.2f} |' for i, t in enumerate(times))
    (ROOT / 'bench/results/serve_latency.md').write_text(
        '# mkdocs serve: from an edit to the served page\n\n'
        f'First build served after {first:.1f} s; then {edits} edits of `{edited.relative_to(ROOT)}`, '
        f'median **{statistics.median(times):.2f} s** (goal: under 1 s). Load average '
        f'{os.getloadavg()[0]:.2f}. Written by [`bench/serve_latency.py`](../serve_latency.html).\n\n'
        f'| edit | seconds until the page showed it |\n|---|---|\n{rows}\n')
    print(f'median {statistics.median(times):.2f} s over {edits} edits: {[round(t, 2) for t in times]}')


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='Time mkdocs serve from an edit to the served page')
    parser.add_argument('--file', default=str(EDITED.relative_to(ROOT)), help='the source file to edit')
    parser.add_argument('--phrase', default='smooth ReLU', help='a phrase of its prose, to add a marker to')
    parser.add_argument('--page', default='transformers/feed_forward.html', help="the address of the file's page")
    args = parser.parse_args()
    main(edited=ROOT / args.file, phrase=args.phrase, page_path=args.page)
