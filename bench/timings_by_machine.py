r"""
---
title: Benchmark - how long the default run and the tests take, machine by machine
summary: The wall time of the default run and of the test suite on each machine they were timed on, so that the README quotes a range and not one machine's figure.
---

# How long things take, machine by machine

Two 2-core machines that report the same CPU name ran the default run bit for bit alike, yet one
took 9.3 minutes and another 13.2: the wall time belongs to the machine, not to the recipe. So
the README quotes the range of the times recorded here, each with the machine it came from.

```bash
python -m bench.timings_by_machine --suite                # time `python -m pytest` here, record it
python -m bench.timings_by_machine --add default_run 882 "2-core CPU, fresh venv" "reported in issue 29"
python -m bench.timings_by_machine --markdown-only         # rewrite the .md from the .json
```

`--suite` runs the README's test command in a fresh process on this machine and records its
wall time with the CPU's name and the load average before and after (a busy machine's time is
recorded, and marked busy). `--add WHAT SECONDS MACHINE SOURCE` records a time measured
elsewhere, with who measured it. The default run's own recording,
[`default_run.json`](default_run.html), is always the first row.

A change of the default recipe makes the default run's old timings another run's: `--retire`
moves them to a table of their own (`retired`, with the recipe they timed), out of the ranges.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.training import cpu_model, plural

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'
RECORDING = RESULTS / 'timings_by_machine.json'
# Two processes' worth of load on two cores: above this the machine was not quiet
BUSY_LOAD = 2.5


def read() -> dict:
    if RECORDING.exists():
        return json.loads(RECORDING.read_text(encoding='utf-8'))
    return {'timings': []}


def default_run_row() -> dict:
    r"""The recorded default run (`bench/default_run.py`) as a row of this table."""
    run = json.loads((RESULTS / 'default_run.json').read_text(encoding='utf-8'))
    return {'what': 'default_run', 'seconds': run['wall_time_s'],
            'machine': ', '.join(filter(None, [run.get('cpu'), run['machine']])),
            'source': 'bench/default_run.py (the recorded run)'}


def ranges(recording: dict) -> dict:
    r"""`{what: (fewest seconds, most seconds, how many timings)}` over every row, the default
    run's recording included."""
    rows = [default_run_row()] + recording['timings']
    out = {}
    for what in sorted({r['what'] for r in rows}):
        seconds = [r['seconds'] for r in rows if r['what'] == what]
        out[what] = (min(seconds), max(seconds), len(seconds))
    return out


def write(recording: dict) -> None:
    RECORDING.write_text(json.dumps(recording, indent=1) + '\n', encoding='utf-8')
    lines = ['# How long things take, machine by machine', '',
             'Each row is one timing, on the machine named; the README quotes the range.', '',
             '| what | minutes | machine | measured by |', '|---|---|---|---|']
    for row in [default_run_row()] + recording['timings']:
        busy = ' (busy machine)' if row.get('busy') else ''
        lines.append(f"| {row['what'].replace('_', ' ')} | {row['seconds'] / 60:.1f}{busy} "
                     f"| {row['machine']} | {row['source']} |")
    lines += ['', 'Ranges:', '']
    for what, (low, high, n) in ranges(recording).items():
        lines.append(f"- {what.replace('_', ' ')}: {low / 60:.1f}–{high / 60:.1f} minutes "
                     f"over {plural(n, 'timing')}")
    if recording.get('retired'):
        lines += ['', '## Timings of earlier recipes', '',
                  "Default runs of a recipe that is no longer the default: not in the ranges.", '',
                  '| what | minutes | recipe | machine | measured by |', '|---|---|---|---|---|']
        for row in recording['retired']:
            lines.append(f"| {row['what'].replace('_', ' ')} | {row['seconds'] / 60:.1f} | {row['recipe']} "
                         f"| {row['machine']} | {row['source']} |")
    (RESULTS / 'timings_by_machine.md').write_text('\n'.join(lines) + '\n', encoding='utf-8')


def time_suite() -> dict:
    r"""The README's `python -m pytest`, timed in a fresh process from the repository's root."""
    before = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, '-m', 'pytest', '-q'], cwd=ROOT)
    seconds = time.perf_counter() - start
    after = os.getloadavg()[0]
    if done.returncode != 0:
        raise SystemExit(f"error: the test suite failed (exit {done.returncode}); nothing recorded")
    return {'what': 'test_suite', 'seconds': seconds,
            'machine': f"{cpu_model()}, {os.cpu_count()} cores",
            'source': f"bench/timings_by_machine.py --suite (load {before:.1f} before, {after:.1f} after)",
            'busy': max(before, after) > BUSY_LOAD}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('---')[-1].strip().splitlines()[1])
    parser.add_argument('--suite', action='store_true', help="time `python -m pytest` and record it")
    parser.add_argument('--add', nargs=4, metavar=('WHAT', 'SECONDS', 'MACHINE', 'SOURCE'),
                        help='record a timing made elsewhere')
    parser.add_argument('--markdown-only', action='store_true', help='rewrite the .md from the .json')
    parser.add_argument('--retire', metavar='RECIPE',
                        help="move the default run's timings made elsewhere out of the ranges, as RECIPE's")
    args = parser.parse_args(argv)
    recording = read()
    if args.retire:
        old = [r for r in recording['timings'] if r['what'] == 'default_run']
        recording['retired'] = recording.get('retired', []) + [{**r, 'recipe': args.retire} for r in old]
        recording['timings'] = [r for r in recording['timings'] if r['what'] != 'default_run']
    if args.add:
        what, seconds, machine, source = args.add
        try:
            seconds = float(seconds)
        except ValueError:
            parser.error(f"SECONDS must be a number, not {seconds!r}")
        recording['timings'].append({'what': what, 'seconds': seconds, 'machine': machine,
                                     'source': source})
    if args.suite:
        recording['timings'].append(time_suite())
    write(recording)
    return 0


if __name__ == '__main__':
    sys.exit(main())
