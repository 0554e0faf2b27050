r"""
---
title: Benchmark - the default run's spread over seeds and CPU kernels
summary: Runs the default experiment over several seeds and several choices of PyTorch's CPU kernels, each in a fresh process, and records the spread of its final accuracy, loss and wall time.
---

# The default run as a spread

[`default_run.py`](default_run.html) records *one* default run. That run is bit-for-bit
repeatable on the machine and build that made it, and on no other: floating-point
additions are not associative, so a CPU with other vector instructions (or another
thread count, or a GPU) sums in another order, rounds differently, and from a few hundred
steps on the training curve wanders off the recorded one. What a reader can expect is therefore
not one number but a range. This script measures that range on one machine, along two axes:

* **the seed** (`seed=N`, the only config changed): the data order, the masks and the
  initial weights all change;
* **the kernels**: PyTorch picks its vectorised CPU kernels by the instruction set it finds,
  and `ATEN_CPU_CAPABILITY` (`default`, `avx2`, `avx512`) overrides that choice, which is how
  one machine can stand in for CPUs of other kinds. For a kernel other than the machine's own,
  the matrix libraries are capped at the same instruction set too (`ONEDNN_MAX_CPU_ISA` for
  oneDNN and `MKL_ENABLE_INSTRUCTIONS` for MKL), so the run computes as such a CPU would.

Every run is a fresh process (`default_run.run_experiment`) with these variables and
`OMP_NUM_THREADS` set ([the harness](training.html) keeps them for every benchmark), one
after the other; nothing else should run meanwhile, since wall time is recorded too.

```bash
python bench/default_run_spread.py --data ../shared/data/tiny_shakespeare.txt --seeds 0 1 2 --kernels avx512 avx2
```

It writes `bench/results/default_run_spread.json` and `.md` after every run, so an
interrupted recording keeps what it finished; started again, it skips the (seed, kernel)
pairs already recorded (`--fresh` starts a new record, as after a change of the recipe). No
run is exported: the bundled model stays the one `default_run.py` recorded.

The recorded default run *is* the run of seed 0 on the machine's own kernels, when this
machine recorded it: `--with-default-run` takes it in as that run instead of training it again.
In the same way, the [recipe study's](recipe_study.html) full-length runs of `all` are default
runs once the study's answer became the default recipe, trained by the same `Trainer` on one
thread: `--from-study SEED ...` takes them in, but only where a fresh process of another seed,
on one thread and the machine's own kernels, repeated that seed's study run bit for bit. Such a
run has no wall time, tokens/s or training-side accuracy of its own (the study timed a shared
process), so those cells stay empty.
"""

import argparse
import json
import os
import sys

import torch

from default_run import ROOT, run_experiment
from training import cpu_model, kernel_env, kernel_in_effect, native_kernel, plural, spread

RESULTS = ROOT / 'bench/results/default_run_spread'


def write(record: dict) -> None:
    r"""Writes the JSON and the Markdown table, with the summary over all runs so far."""
    runs = record['runs']
    record['summary'] = {key: spread([r[key] for r in runs if r[key] is not None])
                         for key in ('valid_accuracy', 'valid_loss', 'wall_time_s', 'tokens_per_s')} if runs else {}
    RESULTS.with_suffix('.json').write_text(json.dumps(record, indent=1) + '\n')
    lines = ['# The default run: its spread over seeds and CPU kernels', '',
             f"{record['cpu']}, {record['cores']} cores, torch {record['torch']}; "
             f"every run a fresh process with the default configs except `seed`, "
             f"`ATEN_CPU_CAPABILITY` set to the kernel (the machine's own is `{record['native_kernel']}`; "
             f"for other kernels oneDNN and MKL are capped at the same instruction set), "
             f"{'/'.join(sorted({str(r['threads']) for r in runs}) or [str(record['threads'])])} threads"
             + (" (the seed-0 run on the machine's own kernels is the recorded default run, `default_run.json`)"
                if any(r.get('from') == 'default_run.json' for r in runs) else '')
             + ". Recorded by `bench/default_run_spread.py`.", '']
    if runs:
        s = record['summary']
        acc, loss, wall = s['valid_accuracy'], s['valid_loss'], s['wall_time_s']
        seeds = sorted({r['seed'] for r in runs})
        kernels = sorted({r['kernel'] for r in runs})
        passive = any(r['env'].get('OMP_WAIT_POLICY') == 'PASSIVE' for r in runs)
        lines += [f"**{plural(len(runs), 'run')}** (seeds {', '.join(map(str, seeds))}; kernels {', '.join(kernels)}): "
                  f"final masked-character validation accuracy "
                  f"**{acc['min']:.1%}–{acc['max']:.1%}, mean {acc['mean']:.1%}**; validation loss "
                  f"{loss['min']:.3f}–{loss['max']:.3f} (mean {loss['mean']:.3f}); wall time "
                  f"{wall['min'] / 60:.1f}–{wall['max'] / 60:.1f} minutes (mean {wall['mean'] / 60:.1f}).", '',
                  "The wall times are what the runs took on the machine as it was, shared with other work (the load "
                  "averages say how busy it was): they measure the machine's load, not the run's speed. The default "
                  "run's timing on a quiet machine is in [`default_run.md`](default_run.md)."
                  + (" Idle OpenMP threads slept instead of spinning (`OMP_WAIT_POLICY=PASSIVE`, `--passive-wait`), "
                     "which changes no arithmetic" + (": the seed-0 run below repeats the recorded run bit for bit."
                                                     if record.get('recorded_default_run_same') else '.')
                     if passive else ''), '',
                  '| seed | kernel | threads | valid acc. | valid loss | train acc. | minutes | tokens/s '
                  '| load before → after |',
                  '|---|---|---|---|---|---|---|---|---|']
        for r in runs:
            if r.get('from', '').startswith('recipe_study'):
                lines.append(f"| {r['seed']} | {r['kernel']} | {r['threads']} | {r['valid_accuracy']:.2%} "
                             f"| {r['valid_loss']:.4f} | — | — | — | — (from the recipe study) |")
                continue
            lines.append(f"| {r['seed']} | {r['kernel']} | {r['threads']} | {r['valid_accuracy']:.2%} "
                         f"| {r['valid_loss']:.4f} | {r['train_accuracy']:.2%} | {r['wall_time_s'] / 60:.1f} "
                         f"| {r['tokens_per_s']:,.0f} | {r['load_average_before_after'][0]:.2f} → "
                         f"{r['load_average_before_after'][1]:.2f} |")
        if record.get('study_check'):
            lines += ['', "The runs marked *from the recipe study* are its full-length runs of `all`, today's default "
                      "recipe, trained by the same `Trainer` on one thread in a shared process (`--from-study`). A "
                      "fresh process of seed " + ', '.join(map(str, record['study_check'])) + " on one thread "
                      "repeated its study run bit for bit, every validation loss along the way, so the study's "
                      "runs are what fresh processes would have given."]
        if record.get('recorded_default_run'):
            lines += ['', record['recorded_default_run']]
        # Where the curves part: validation accuracy at each step, per run
        steps = [p['step'] for p in runs[0]['valid_curve']]
        thread_counts = {r['threads'] for r in runs}
        lines += ['', '## Validation accuracy along the way', '',
                  '| step | ' + ' | '.join(f"seed {r['seed']} {r['kernel']}"
                                           + (f", {plural(r['threads'], 'thread')}" if len(thread_counts) > 1 else '')
                                           for r in runs) + ' |',
                  '|---|' + '---|' * len(runs)]
        for i, step in enumerate(steps):
            lines.append(f'| {step} | ' + ' | '.join(f"{r['valid_curve'][i]['valid_accuracy']:.1%}"
                                                     if i < len(r['valid_curve']) else '' for r in runs) + ' |')
    RESULTS.with_suffix('.md').write_text('\n'.join(lines) + '\n')


def run_of(summary: dict, seed: int, kernel: str, threads: int, env: dict) -> dict:
    r"""One run's row of the record, from the experiment's summary."""
    final = summary['final']
    return {'seed': seed, 'kernel': kernel, 'threads': threads, 'env': env,
            'valid_accuracy': final['valid_accuracy'], 'valid_loss': final['valid_loss'],
            'train_accuracy': final['train_accuracy'], 'train_loss': final['train_loss'],
            'steps': summary['steps'], 'wall_time_s': summary['wall_time_s'],
            'tokens_per_s': summary['tokens_per_s'],
            'load_average_before_after': summary['load_average_before_after'],
            'cpu': cpu_model(), 'torch': torch.__version__, 'machine': summary['machine'],
            'run_uuid': summary['run_uuid'],
            'valid_curve': [{'step': p['step'], 'valid_accuracy': p['valid_accuracy'], 'valid_loss': p['valid_loss']}
                            for p in summary['curve']]}


def take_default_run(record: dict) -> None:
    r"""The recorded default run as seed 0 on the machine's own kernels, where this machine made it."""
    summary = json.loads((ROOT / 'bench/results/default_run.json').read_text())
    if summary['overrides'] or summary['config']['seed'] != 0 or summary.get('cpu') != cpu_model():
        sys.exit('--with-default-run: default_run.json is not seed 0 with the defaults on this machine; '
                 'train it instead (leave the flag out)')
    threads = int(summary['machine'].rsplit(', ', 1)[-1].split()[0])  # '..., 2 threads': its own
    record['runs'] = [r for r in record['runs'] if (r['seed'], r['kernel']) != (0, native_kernel())]
    record['runs'].insert(0, {**run_of(summary, 0, native_kernel(), threads, {}), 'from': 'default_run.json'})


def take_study_runs(record: dict, seeds) -> None:
    r"""The recipe study's full-length runs of `all` for `seeds`, after checking that they are default
    runs and that a fresh process repeats such a run bit for bit."""
    from training import ROUND_3_CONFIGS, configs
    bookkeeping = {'seed', 'valid_every', 'sample_every', 'checkpoint_every'}
    today = configs()

    def path_of(seed):
        return ROOT / f"bench/results/tmp/recipe_study/all.seed{seed}.lr{today['learning_rate']:g}.steps{today['steps']}.json"

    def study(seed):
        path = path_of(seed)
        if not path.exists():
            sys.exit(f'--from-study: no full-length study run of seed {seed} at {path}; run the study first')
        run = json.loads(path.read_text())
        values = configs(**{**ROUND_3_CONFIGS, **run['overrides']}, learning_rate=run['lr'], steps=run['steps'])
        if not run['complete'] or {k: v for k, v in values.items() if k not in bookkeeping} != \
                {k: v for k, v in today.items() if k not in bookkeeping}:
            sys.exit(f'--from-study: {path.name} is not a complete run of the default recipe')
        return run
    checks = [(r, study(r['seed'])) for r in record['runs'] if r['threads'] == 1 and not r.get('from')
              and r['kernel'] == native_kernel() and path_of(r['seed']).exists()]
    same = [(r['valid_accuracy'], r['valid_loss']) == (s['curve'][-1]['valid_accuracy'], s['curve'][-1]['valid_loss'])
            and [(p['step'], p['valid_loss']) for p in r['valid_curve']] ==
            [(p['step'], p['valid_loss']) for p in s['curve'] if p['step'] > 0] for r, s in checks]
    if not checks or not all(same):
        sys.exit('--from-study: no fresh one-thread run of this machine repeats its study run bit for bit; '
                 'train the seeds instead (leave the flag out)')
    record['study_check'] = [r['seed'] for r, _ in checks]
    for seed in seeds:
        run = study(seed)
        # It stands in for a run of its seed, kernels and thread count (the default run of seed 0
        # on two threads stays beside the study's on one)
        record['runs'] = [r for r in record['runs']
                          if (r['seed'], r['kernel'], r['threads']) != (seed, native_kernel(), run['threads'])]
        final = run['curve'][-1]
        record['runs'].append({
            'seed': seed, 'kernel': native_kernel(), 'threads': run['threads'], 'env': {},
            'valid_accuracy': final['valid_accuracy'], 'valid_loss': final['valid_loss'],
            'train_accuracy': None, 'train_loss': None, 'steps': final['step'], 'wall_time_s': None,
            'tokens_per_s': None, 'load_average_before_after': None, 'cpu': cpu_model(),
            'torch': torch.__version__, 'machine': None, 'run_uuid': None,
            'valid_curve': [{k: p[k] for k in ('step', 'valid_accuracy', 'valid_loss')} for p in run['curve']
                            if p['step'] > 0],
            'from': f'recipe_study: all.seed{seed}'})


def compare_with_recorded(record: dict) -> None:
    r"""Says whether seed 0 on the machine's own kernels repeats `default_run.json` bit for bit."""
    recorded = json.loads((ROOT / 'bench/results/default_run.json').read_text())['final']
    for r in record['runs']:
        if r['seed'] == 0 and r['kernel'] == record['native_kernel'] and not r.get('from'):
            same = r['valid_loss'] == recorded['valid_loss'] and r['valid_accuracy'] == recorded['valid_accuracy']
            record['recorded_default_run_same'] = same
            record['recorded_default_run'] = (
                f"Seed 0 on the machine's own kernels is the configuration of the recorded default run "
                f"(`default_run.json`: {recorded['valid_accuracy']:.2%}, loss {recorded['valid_loss']:.4f}); "
                f"here it ended at {r['valid_accuracy']:.2%}, loss {r['valid_loss']:.4f}: "
                + ('the same, bit for bit.' if same else 'not the same bits, so this CPU or build is not the one '
                                                          'that recorded it.'))


def main():
    parser = argparse.ArgumentParser(description="Record the default run's spread over seeds and CPU kernels.")
    parser.add_argument('--data', help='Tiny Shakespeare (input.txt)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--kernels', nargs='+', default=['avx512', 'avx2'],
                        help='ATEN_CPU_CAPABILITY values: default, avx2, avx512 (what this CPU has)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--passive-wait', action='store_true',
                        help='OMP_WAIT_POLICY=PASSIVE: far faster on a busy machine, the same results')
    parser.add_argument('--markdown-only', action='store_true', help='rewrite the .md from the recorded .json')
    parser.add_argument('--fresh', action='store_true', help='start a new record (the recipe changed)')
    parser.add_argument('--with-default-run', action='store_true',
                        help="take default_run.json in as seed 0 on this machine's own kernels")
    parser.add_argument('--from-study', type=int, nargs='+', metavar='SEED', default=[],
                        help="take the recipe study's full-length runs of these seeds in (after a bit-for-bit check)")
    args = parser.parse_args()
    if not args.data and not args.markdown_only:
        parser.error('--data is required (the path to tiny_shakespeare.txt), except with --markdown-only')

    path = RESULTS.with_suffix('.json')
    if args.markdown_only:
        record = json.loads(path.read_text())
        compare_with_recorded(record)
        write(record)
        return
    record = json.loads(path.read_text()) if path.exists() and not args.fresh else {'runs': []}
    record.update({'cpu': cpu_model(), 'cores': os.cpu_count(), 'torch': torch.__version__,
                   'native_kernel': native_kernel(), 'threads': args.threads})
    if args.with_default_run:
        take_default_run(record)
        write(record)
    if args.from_study:
        take_study_runs(record, args.from_study)
        write(record)
        return
    done = {(r['seed'], r['kernel'], r['threads']) for r in record['runs']}
    # Seeds first within a kernel would confound the two axes with the machine's load over time;
    # alternating kernels spreads any slow stretch over both
    plan = [(seed, kernel) for seed in args.seeds for kernel in args.kernels]
    for seed, kernel in plan:
        if (seed, kernel, args.threads) in done:
            continue
        env = kernel_env(kernel, args.threads, args.passive_wait)
        in_effect = kernel_in_effect(env)
        if in_effect != kernel:
            print(f"--kernels {kernel}: PyTorch uses {in_effect} instead (this CPU lacks it, or the name is wrong); "
                  f"use default, avx2 or avx512", file=sys.stderr)
            sys.exit(2)
        print(f"seed {seed}, kernel {kernel}, {args.threads} threads", flush=True)
        summary = run_experiment(args.data, [f'seed={seed}'], env=env)
        final = summary['final']
        record['runs'].append(run_of(summary, seed, kernel, args.threads, env))
        compare_with_recorded(record)
        write(record)
        print(f"  valid accuracy {final['valid_accuracy']:.2%}, loss {final['valid_loss']:.4f}, "
              f"{summary['wall_time_s'] / 60:.1f} min", flush=True)


if __name__ == '__main__':
    main()
