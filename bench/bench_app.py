"""
---
title: What reporting to the labml app costs
summary: >
  Wall time of the same 200-step training run with and without app reporting, measured in one
  run, interleaved, as a ratio. The goal is under 5% overhead.
---

# What reporting to the labml app costs

Reporting adds work to a training process: the labml client's sender thread encodes the tracked
values and console output as JSON and posts them (about once a second against
`python -m labml_nn.app`), the server parses and stores them — on the same CPU cores — and at the
end the process waits for the last post to be answered.

We measure what a user feels: the **wall time of the whole process**, start to exit, for the same
run with and without `--app`. Run-to-run noise on this machine is about ±15%, far more than the
effect, so we measure both variants in one invocation, alternating them (A B B A A B …) to cancel
drift, and compare medians.

```bash
python bench/bench_app.py --data ../shared/data/tiny_shakespeare.txt     # the experiment, 200 steps
python bench/bench_app.py --data ../shared/data/tiny_shakespeare.txt --repeats 5
```

The run is the MLM experiment with its default model for `--steps` steps (samples and
checkpoints off, so that only reporting differs). `--command` benchmarks any other script that
takes `--app URL`; the app variant appends `--app URL`.
Results go to `bench/results/bench_app.json` and `bench_app.md` (and the table is printed).
"""

import argparse
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from labml_nn.app.client import AppServer, env  # noqa: E402

RESULTS = REPO / 'bench' / 'results'



def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from `/proc` (Linux)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def timed(cmd, cwd: Path, cpu: dict, server_pid: int) -> float:
    """
    Run `cmd`; return its wall time and add to `cpu` the CPU seconds it used and the CPU seconds
    the app server used meanwhile. On a shared machine wall time swings with other people's jobs;
    CPU time barely does, so it measures the *work* reporting adds even when wall time is noisy.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_seconds(server_pid)
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env(), cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu['run'] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    cpu['server'] = cpu_seconds(server_pid) - server_before
    if r.returncode != 0:
        sys.exit(f'bench_app: error: {shlex.join(cmd)} failed:\n{r.stderr[-2000:]}')
    if '--app' in cmd and 'not answering' in r.stderr:
        sys.exit('bench_app: error: the run did not report to the app')
    return elapsed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='Wall time of a training run with and without '
                                            'reporting to the labml app.')
    p.add_argument('--steps', type=int, default=200)
    p.add_argument('--repeats', type=int, default=3, help='runs of each variant')
    p.add_argument('--data', help='the text the experiment trains on (Tiny Shakespeare)')
    p.add_argument('--command', help='training command to time (default: the MLM experiment)')
    p.add_argument('--out', type=Path, default=RESULTS / 'bench_app.json')
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix='bench-app-') as tmp:
        tmp = Path(tmp)
        if args.command:
            base = shlex.split(args.command)
            cwd = REPO
        else:
            if not args.data:
                p.error('--data PATH is needed to run the experiment')
            base = [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data',
                    str(Path(args.data).resolve()), '--steps', str(args.steps), 'sample_every=0',
                    'checkpoint_every=100000']
            cwd = tmp
        server = AppServer(tmp / 'data', RESULTS / 'tmp' / 'vendor').start()
        try:
            variants = {'local only': base, 'with app': base + ['--app', server.app_url]}
            times = {k: [] for k in variants}
            cpu_run = {k: [] for k in variants}
            cpu_server = {k: [] for k in variants}
            # Warm-up: the first process pays for cold file caches (importing torch and labml).
            subprocess.run([sys.executable, '-c', 'import torch, labml'], check=True)
            order = ['local only', 'with app', 'with app', 'local only']
            for i in range(args.repeats * 2):
                name = order[i % 4]
                cpu = {}
                times[name].append(timed(variants[name], cwd, cpu, server.proc.pid))
                cpu_run[name].append(cpu['run'])
                cpu_server[name].append(cpu['server'])
                print(f'{name:>10}: {times[name][-1]:7.2f} s wall, {cpu["run"]:7.2f} s CPU '
                      f'(+ server {cpu["server"]:.2f} s)', flush=True)
        finally:
            server.stop()

    local, app = statistics.median(times['local only']), statistics.median(times['with app'])
    overhead = app / local - 1
    # CPU work that reporting adds: the training process's extra CPU plus the server's.
    cpu_local = statistics.median(cpu_run['local only'])
    cpu_app = statistics.median([a + b for a, b in zip(cpu_run['with app'],
                                                      cpu_server['with app'])])
    cpu_overhead = cpu_app / cpu_local - 1
    result = {
        'what': 'wall time of a whole training process, with and without --app',
        'command': shlex.join(base),
        'steps': args.steps,
        'seconds': times,
        'median_local_s': round(local, 3),
        'median_app_s': round(app, 3),
        'overhead': round(overhead, 4),
        'cpu_seconds_run': cpu_run,
        'cpu_seconds_server': cpu_server,
        'median_cpu_local_s': round(cpu_local, 3),
        'median_cpu_app_s (run + server)': round(cpu_app, 3),
        'cpu_overhead': round(cpu_overhead, 4),
        'load_average_after': os.getloadavg(),
        'goal': '< 0.05',
        'machine': f'{platform.machine()}, {platform.python_version()}',
        'date': time.strftime('%Y-%m-%d'),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + '\n')
    args.out.with_suffix('.md').write_text(
        '# What reporting to the labml app costs\n\n'
        f'`{shlex.join(base)}` with and without `--app`, {args.repeats} runs of each, alternating; '
        f'{result["machine"]}, {result["date"]}. Written by [`bench/bench_app.py`](../bench_app.html).\n\n'
        f'| variant | median wall time | median CPU time (run + server) |\n|---|---|---|\n'
        f'| local only | {local:.2f} s | {cpu_local:.2f} s |\n| with app | {app:.2f} s | {cpu_app:.2f} s |\n\n'
        f'Wall-time overhead: **{overhead * 100:+.1f}%** (goal: under 5%); CPU overhead {cpu_overhead * 100:+.1f}%.\n')
    print(f'\n| variant | median wall time |\n|---|---|\n| local only | {local:.2f} s |\n'
          f'| with app | {app:.2f} s |\n\nwall-time overhead: {overhead * 100:+.1f}% (goal < 5%); '
          f'CPU overhead (run + server): {cpu_overhead * 100:+.1f}%; '
          f'written to {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
