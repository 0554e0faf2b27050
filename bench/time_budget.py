r"""
---
title: Benchmark - a run with a time budget ends on time
summary: Runs the experiment with --minutes N as a user would, from the command line, and records how long the whole command took, against the budget.
---

# Does `--minutes N` end on time?

`--minutes N` promises a run that ends after N minutes on any machine: the
[run's loop](../helpers/run.html) plans the learning-rate decay by the clock and makes the
step that leaves no time for another the last. This benchmark holds it to that promise the way
a user would: it starts `python -m labml_nn.transformers.mlm.experiment --minutes N` in a fresh
process and times the **whole command**, from start to exit, imports, data and the last
checkpoint included, not only the training the budget plans.

```bash
python bench/time_budget.py --minutes 10                   # the README's check: 10 minutes ± 5%
python bench/time_budget.py --minutes 0.5 --out /tmp/tb     # a quick try
```

Writes `time_budget.json` and `.md`: the budget, the command's wall time and its ratio to the
budget, the steps the run reached, its final accuracy, and the load average before and after
(another process on a 2-core machine takes cores the run planned with, so a busy machine is
marked). Such a run does not repeat bit for bit: the step it ends at depends on the clock.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.training import cpu_model, default_data  # noqa: E402

RESULTS = ROOT / 'bench' / 'results'
# Two processes' worth of load on two cores: above this the machine was not quiet
BUSY_LOAD = 2.5


def timed_run(minutes: float, data: str, extra) -> dict:
    r"""One `--minutes` run from the command line: its wall time and what its summary says."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / 'summary.json'
        command = [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment',
                   f'--minutes={minutes:g}', '--data', data, '--summary', str(summary), *extra]
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        subprocess.run(command, cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - began
        result = json.loads(summary.read_text())
    return {'minutes': minutes, 'command': ' '.join(command[1:3] + command[3:4] + list(extra)),
            'wall_s': wall, 'ratio': wall / (minutes * 60), 'steps': result['steps'],
            'planned_steps': result['config']['steps'], 'ended_on_time': not result['interrupted'],
            'training_s': result['wall_time_s'], 'final_accuracy': result['final']['valid_accuracy'],
            'load_before': round(load_before, 2), 'load_after': round(os.getloadavg()[0], 2),
            'machine': result['machine'], 'cpu': cpu_model()}


def markdown(record: dict) -> str:
    r = record
    busy = r['load_before'] > BUSY_LOAD or r['load_after'] > BUSY_LOAD
    return '\n'.join([
        '# A run with a time budget', '',
        f"`python -m labml_nn.transformers.mlm.experiment --minutes {r['minutes']:g}`"
        + (f" (with `{' '.join(r['extra'])}`)" if r.get('extra') else '')
        + f", started in a fresh process and timed from start to exit, on {r['cpu']} ({r['machine']}); "
        f"load average {r['load_before']:.2f} before and {r['load_after']:.2f} after"
        + (' (a busy machine)' if busy else '') + '. Written by '
        "[`bench/time_budget.py`](../time_budget.html).", '',
        '| budget | whole command | × budget | training (the run\'s own clock) | steps | final valid acc. |',
        '|---|---|---|---|---|---|',
        f"| {r['minutes']:g} min | {r['wall_s'] / 60:.2f} min | {r['ratio']:.3f} | "
        f"{r['training_s'] / 60:.2f} min | {r['steps']:,} of {r['planned_steps']:,} | "
        f"{r['final_accuracy']:.1%} |", ''])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Time a --minutes run of the experiment from start to exit.')
    parser.add_argument('--minutes', type=float, default=10.0)
    parser.add_argument('--data', help='the text (default: Tiny Shakespeare, as the harness finds it)')
    parser.add_argument('--out', type=Path, default=RESULTS, help='where time_budget.json and .md go')
    parser.add_argument('extra', nargs='*', help='configs passed on to the experiment (key=value)')
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.exit(2, f"error: --minutes {args.minutes:g}: give a budget above 0\n")
    record = {**timed_run(args.minutes, args.data or default_data(), args.extra), 'extra': args.extra}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / 'time_budget.json').write_text(json.dumps(record, indent=1) + '\n')
    (args.out / 'time_budget.md').write_text(markdown(record))
    print(markdown(record))
    return 0


if __name__ == '__main__':
    sys.exit(main())
