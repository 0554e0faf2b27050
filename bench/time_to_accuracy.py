r"""
---
title: Benchmark - time to accuracy against Hugging Face's BERT
summary: Trains our model and Hugging Face's BertForMaskedLM at the same size, taking turns in one process, until each reaches 40% and 45% masked validation accuracy, and records the seconds each needed, per seed and choice of CPU kernels.
---

# Time to accuracy

Tokens per second say how fast a model *computes*; what a reader waiting for a model cares
about is how fast it *learns*. This benchmark measures that directly: the seconds of training
each implementation needs to reach 40% and 45% masked-character accuracy on the validation
windows, and its accuracy after 30 and 60 seconds.

**Each side trains as its users would**, at the [default run's](default_run.html) size
(sequences of 64 characters, batches of 32, $d_\text{model} = 128$, 6 layers, $d_\text{ff} = 512$),
on the same text windows with the same seeds, evaluated the same way (15% masking, the same
held-out windows), through the [shared harness](training.html):

* **ours**: the [experiment's](../transformers/mlm/experiment.html) default recipe, model and
  training alike, whatever they are today (`--ours key=value` races a candidate instead);
* **hf-bert**: Hugging Face's `BertForMaskedLM` with its `sdpa` attention and the standard BERT
  recipe: BERT's dropout of 0.1, 15% masking throughout, AdamW with a linear warm-up and a
  linear decay to zero, at the peak learning rate that reached 45% in the fewest steps in a
  small sweep (`--sweep`), so that BERT is not handicapped by our learning rate;
* optionally **ours-round-1** (our model before the ablations, with BERT's recipe) and
  **torch-encoder** (PyTorch's encoder, with BERT's recipe).

**They take turns** in one process: every run of every seed trains a block of steps, then the
next one does, so all of them see the same machine (other work on it slows them all alike).
Validation, every `--every` steps, is not counted as training time. A run stops when it has
reached the last target *and* trained for the longest fixed time, or at `--steps`.
Seconds to a target are interpolated linearly between the validation points around it.

**The ratios are a spread**, over seeds and over CPU kernels. The seed changes the data order,
the masks and the initial weights; the kernels change how every sum is rounded and how fast
each operation runs, as another CPU would. With `--kernels`, each choice of
`ATEN_CPU_CAPABILITY` (oneDNN and MKL capped to match, as [the harness](training.html)
sets them) races in a fresh process of its own, one after the other:

```bash
python bench/time_to_accuracy.py --sweep 5e-4 1e-3 2e-3 4e-3 --seeds 0  # BERT's peak learning rate
python bench/time_to_accuracy.py --seeds 0 1 --kernels avx512 avx2
python bench/time_to_accuracy.py --seeds 0 1 --kernels avx512 avx2 --together --threads 1  # in half the time
```

Every process runs with `OMP_WAIT_POLICY=PASSIVE`: on a machine that other work shares, a
thread that waits for its partner doesn't spin on a core someone else needs.

Writes `bench/results/time_to_accuracy.json` and `.md`: the spread of each ratio to HF, every
run, and one chart per kernel and seed (the sweep: `time_to_accuracy_sweep.json`, recorded: at
the default run's size BERT's recipe reached 45% soonest at a peak of 2e-3, after 1,941 steps,
the first 850 of them on a plateau near 23%).

The recording is the race above with `--together --threads 1`, made when the
[recipe study's](recipe_study.html) answer became the default recipe, on a machine that other
work shared part of the time: its page gives the load, and
[the Benchmarks chapter](../benchmarks.html) what that did to the ratios.
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from training import (KERNELS, ROOT, ROUND_1_OPTIONS, Corpus, Run, configs, cpu_model, first_reaching,
                      interpolate, kernel_env, kernel_in_effect, native_kernel, plural, spread)

TARGETS = (0.40, 0.45)
AT_SECONDS = (30, 60)

# The standard BERT recipe, as the experiment's configs: BERT's dropout, 15% masking throughout,
# AdamW with a linear warm-up and a linear decay to zero (the peak learning rate: the sweep's best)
BERT_RECIPE = {'model__dropout': 0.1, 'optimizer': 'adamw', 'decay': 'linear', 'min_lr_ratio': 0.0,
               'masking_start': 0.0}
# `name: (implementation, our model's options, scoring only the masked positions, recipe)`;
# `ours` is the experiment as it is, and the others get BERT's recipe
IMPLEMENTATIONS = {
    'ours': ('ours', {}, True, {}),
    'ours-round-1': ('ours', ROUND_1_OPTIONS, False, BERT_RECIPE),
    'hf-bert': ('hf-bert', {}, False, BERT_RECIPE),
    'torch-encoder': ('torch-encoder', {}, False, BERT_RECIPE),
}
SWEEP = ROOT / 'bench/results/time_to_accuracy_sweep.json'
CLASSES = {'ours': 'train', 'hf-bert': 'valid', 'ours-round-1': 'third', 'torch-encoder': 'third'}


def chart(kernel: str, seed: int, runs) -> str:
    from site_src.chart import line_chart
    series = [(r['name'], CLASSES[r['name']], [(0, 0)] + [(p['train_seconds'], p['valid_accuracy']) for p in r['curve']])
              for r in runs]
    times = ', '.join(f"{r['name']} {fmt_s(r['seconds_to']['0.45'])} s" for r in runs)
    return line_chart(f'tta-{kernel}-seed{seed}',
                      f'Masked validation accuracy against training time, {kernel} kernels, seed {seed}', 'accuracy',
                      series, True, f'Validation accuracy against seconds of training, {kernel} kernels, seed '
                      f'{seed}; seconds to 45%: {times}.', x_label='seconds of training')


def sweep_steps(sweep: dict, lr: float) -> str:
    r"""The mean steps to 45% at one learning rate of the sweep, or "not reached"."""
    steps = [r['steps_to']['0.45'] for r in sweep['results'] if r['learning_rate'] == lr]
    return 'not reached' if None in steps else f'{statistics.fmean(steps):.0f}'


def fmt_s(v):
    return 'not reached' if v is None else f'{v:.0f}'


def parse_overrides(pairs) -> dict:
    r"""`key=value` pairs (dotted keys) as config overrides, each value in its config's type."""
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm.experiment import Configs
    table, out = cli.config_table(Configs), {}
    for pair in pairs or []:
        key, _, value = pair.partition('=')
        if key not in table:
            sys.exit(f"error: --ours {pair}: no config {key!r}; see the experiment's --help")
        out[key.replace('.', '__')] = cli.parse_value(key, value, table[key].kind)
    return out


def hf_learning_rate() -> float:
    r"""BERT's peak learning rate: the recorded sweep's best, or the experiment's before there is one."""
    if SWEEP.exists():
        return json.loads(SWEEP.read_text())['best_lr']
    return configs()['learning_rate']


def main():
    parser = argparse.ArgumentParser(description='Seconds to 40% and 45% masked accuracy, ours against HF BERT.')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--implementations', nargs='+', default=['ours', 'hf-bert'], choices=list(IMPLEMENTATIONS))
    parser.add_argument('--kernels', nargs='+', choices=KERNELS,
                        help="ATEN_CPU_CAPABILITY values to record under, one fresh process each "
                             "(default: the machine's own)")
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--ours', nargs='*', metavar='KEY=VALUE', help="configs of ours other than the defaults")
    parser.add_argument('--hf-lr', type=float, help="BERT's peak learning rate (default: the sweep's best)")
    parser.add_argument('--sweep', type=float, nargs='+', metavar='LR',
                        help="race BERT alone at these peak learning rates and record the best")
    parser.add_argument('--every', type=int, default=50)
    parser.add_argument('--block', type=int, default=25)
    parser.add_argument('--markdown-only', action='store_true', help='rewrite the .md from the recorded .json')
    parser.add_argument('--together', action='store_true',
                        help='race the kernels at the same time, one process each (the ratios hold; the seconds '
                             'are then a shared machine\'s)')
    parser.add_argument('--one-kernel', metavar='PATH', help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.ours = parse_overrides(args.ours)
    args.hf_lr = args.hf_lr or hf_learning_rate()
    path = ROOT / 'bench/results/time_to_accuracy.json'
    if args.markdown_only:
        write_markdown(json.loads(path.read_text()))
        return
    if args.sweep:
        sweep(args)
        return
    if args.one_kernel:
        # A child process, started below with one kernel's variables set: train, and hand back the results
        Path(args.one_kernel).write_text(json.dumps(race(args)))
        return

    # Every kernel in a fresh process: ATen and the matrix libraries read their variables when torch loads
    kernels = args.kernels or [native_kernel()]
    per_kernel = []
    with tempfile.TemporaryDirectory() as tmp:
        started = []
        for kernel in kernels:
            env = kernel_env(kernel, args.threads, passive=True)
            in_effect = kernel_in_effect(env)
            if in_effect != kernel:
                sys.exit(f'--kernels {kernel}: this CPU lacks it (PyTorch falls back to {in_effect}); '
                         f'use {native_kernel()} or one below it')
            print(f'kernel {kernel}, {args.threads} threads', flush=True)
            out = Path(tmp) / f'{kernel}.json'
            ours = [f"{k.replace('__', '.')}={v}" for k, v in args.ours.items()]
            process = subprocess.Popen(
                [sys.executable, __file__, '--one-kernel', str(out), '--seeds', *map(str, args.seeds),
                 '--implementations', *args.implementations, '--hf-lr', str(args.hf_lr),
                 '--every', str(args.every), '--block', str(args.block), *(['--ours', *ours] if ours else [])],
                env={**os.environ, **env})
            started.append((kernel, env, out, process))
            if not args.together:
                process.wait()
        for kernel, env, out, process in started:
            if process.wait() != 0:
                sys.exit(f'the race under {kernel} failed (exit {process.returncode})')
            measured = json.loads(out.read_text())
            assert measured['capability'] == kernel, measured
            per_kernel.append({'kernel': kernel, 'env': env, **measured})

    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads"
    record = {'machine': machine, 'cpu': cpu_model(), 'native_kernel': native_kernel(),
              'steps': configs()['steps'], 'every': args.every, 'block': args.block, 'seeds': args.seeds,
              'implementations': args.implementations, 'kernels': kernels, 'omp_wait_policy': 'PASSIVE',
              'together': args.together,
              'recipes': {name: recipe_of(name, args) for name in args.implementations},
              'hf_lr': args.hf_lr, 'sweep': json.loads(SWEEP.read_text()) if SWEEP.exists() else None,
              'per_kernel': [{k: v for k, v in p.items() if k != 'results'} for p in per_kernel],
              'results': [{'kernel': p['kernel'], **r} for p in per_kernel for r in p['results']]}
    path.write_text(json.dumps(record, indent=1) + '\n')
    write_markdown(record)


def recipe_of(name: str, args) -> dict:
    r"""The config overrides of one implementation's run: ours as asked, the others BERT's recipe."""
    recipe = dict(IMPLEMENTATIONS[name][3])
    if name == 'ours':
        recipe.update(args.ours)
    else:
        recipe['learning_rate'] = args.hf_lr
    return recipe


def make_run(name: str, seed: int, corpus, recipe: dict) -> Run:
    implementation, options, scored_only, _ = IMPLEMENTATIONS[name]
    values = configs(**recipe, sample_every=0, seed=seed)
    run = Run(name, corpus, values, implementation, options, scored_only)
    run.seed = seed
    return run


def take_turns(runs, args, finished) -> None:
    r"""Every run trains `block` steps, then the next; validation every `every` steps."""
    active = list(runs)
    while active:
        for run in list(active):
            seconds = run.train(args.block)
            if run.step % args.every == 0 or run.done:
                p = run.validate()
                print(f"seed {run.seed} {run.name:12s} lr {run.c.learning_rate:g} step {run.step:5d} "
                      f"{run.train_seconds:6.1f} s {seconds / args.block * 1000:5.0f} ms/step "
                      f"valid acc {p['valid_accuracy']:.1%}", flush=True)
                if finished(run) or run.done:
                    active.remove(run)


def result_of(run) -> dict:
    ms = statistics.median(run.step_seconds) * 1000
    return {'name': run.name, 'seed': run.seed, 'learning_rate': run.c.learning_rate,
            'options': IMPLEMENTATIONS[run.name][1], 'scored_only': IMPLEMENTATIONS[run.name][2],
            'parameters': run.parameters, 'ms_per_step': ms,
            'tokens_per_s': run.batch_size * run.seq_len / (ms / 1000), 'steps': run.step,
            'train_seconds': run.train_seconds,
            'seconds_to': {f'{t:.2f}': first_reaching(run.curve, t) for t in TARGETS},
            'steps_to': {f'{t:.2f}': first_reaching(run.curve, t, 'step') for t in TARGETS},
            'accuracy_at': {str(t): interpolate(run.curve, 'train_seconds', t) for t in AT_SECONDS},
            'curve': run.curve}


def race(args) -> dict:
    r"""Every run of every seed, taking turns in this process under its kernels; their results."""
    corpus = Corpus()
    runs = [make_run(name, seed, corpus, recipe_of(name, args))
            for seed in args.seeds for name in args.implementations]
    load_before = os.getloadavg()[0]
    started = time.time()
    take_turns(runs, args, lambda run: (run.curve and run.curve[-1]['valid_accuracy'] >= max(TARGETS)
                                        and run.train_seconds >= max(AT_SECONDS)))
    load_after = os.getloadavg()[0]
    return {'capability': native_kernel(), 'threads': torch.get_num_threads(),
            'load_average_before_after': [round(load_before, 2), round(load_after, 2)],
            'wall_minutes': (time.time() - started) / 60, 'results': [result_of(run) for run in runs]}


def sweep(args) -> None:
    r"""
    BERT alone at each peak learning rate in `--sweep`, every seed, taking turns until the first
    one reaches 45% (the steps to it do not depend on the machine's load); the best is the one
    with the fewest steps to 45% on average (a run that had not reached it counts as never),
    then to 40%.
    """
    corpus = Corpus()
    runs = [make_run('hf-bert', seed, corpus, {**BERT_RECIPE, 'learning_rate': lr})
            for seed in args.seeds for lr in args.sweep]
    # The runs are at the same step at each validation, so once one has reached 45% every other
    # one needs more steps than it: the sweep has its answer, and the others stop there
    take_turns(runs, args, lambda run: any(r.curve and r.curve[-1]['valid_accuracy'] >= max(TARGETS)
                                           for r in runs))
    results = [result_of(run) for run in runs]

    def cost(lr):
        mine = [r for r in results if r['learning_rate'] == lr]
        return tuple(statistics.fmean(r['steps_to'][t] if r['steps_to'][t] is not None else math.inf
                                      for r in mine) for t in ('0.45', '0.40'))
    best = min(args.sweep, key=cost)
    SWEEP.write_text(json.dumps({'recipe': BERT_RECIPE, 'seeds': args.seeds, 'learning_rates': args.sweep,
                                 'best_lr': best, 'every': args.every,
                                 'results': [{k: r[k] for k in ('seed', 'learning_rate', 'steps', 'steps_to', 'curve')}
                                             for r in results]}, indent=1) + '\n')
    print(f"best peak learning rate for BERT: {best:g}")


def ratios(record) -> dict:
    r"""
    Each implementation against HF BERT, per kernel and seed (they raced each other in one process,
    so each ratio compares like with like): time to each target, tokens/s, and how many times
    as many *steps* BERT needed to reach 45% (learning per step, with speed taken out).
    """
    by = {(r['kernel'], r['seed'], r['name']): r for r in record['results']}
    out = {}
    for kernel in record['kernels']:
        for seed in record['seeds']:
            hf = by[kernel, seed, 'hf-bert']
            for name in record['implementations']:
                if name == 'hf-bert':
                    continue
                r = by[kernel, seed, name]
                row = {}
                for t in TARGETS:
                    a, b = r['seconds_to'][f'{t:.2f}'], hf['seconds_to'][f'{t:.2f}']
                    row[f'time_to_{t:.2f}'] = None if a is None or b is None else a / b
                a, b = r['steps_to']['0.45'], hf['steps_to']['0.45']
                row['hf_steps_to_0.45'] = None if a is None or b is None else b / a
                row['tokens_per_s'] = r['tokens_per_s'] / hf['tokens_per_s']
                out[kernel, seed, name] = row
    return out


def ratio_spreads(record, name: str = 'ours') -> dict:
    r"""The spread of each ratio of `name` to HF over every kernel and seed: what the prose quotes."""
    rows = [row for (_, _, n), row in ratios(record).items() if n == name]
    return {key: spread([row[key] for row in rows]) for key in rows[0]
            if all(row[key] is not None for row in rows)}


def write_markdown(record) -> None:
    r"""`time_to_accuracy.md` from the recorded JSON (`--markdown-only` rewrites it without training)."""
    results, seeds, names, kernels = record['results'], record['seeds'], record['implementations'], record['kernels']
    rows = ['| kernel | seed | implementation | ms/step | tokens/s | s to 40% | s to 45% | steps to 40% | '
            'steps to 45% | acc. @60 s | acc. @120 s |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        rows.append(f"| {r['kernel']} | {r['seed']} | {r['name']} | {r['ms_per_step']:.0f} | {r['tokens_per_s']:,.0f} | "
                    f"{fmt_s(r['seconds_to']['0.40'])} | {fmt_s(r['seconds_to']['0.45'])} | "
                    f"{fmt_s(r['steps_to']['0.40'])} | {fmt_s(r['steps_to']['0.45'])} | "
                    + ' | '.join('—' if r['accuracy_at'][str(t)] is None else f"{r['accuracy_at'][str(t)]:.1%}"
                                 for t in AT_SECONDS) + ' |')

    # Ratios to HF, per kernel and seed, then their spread
    ratio_rows, summary = [], []
    if 'hf-bert' in names:
        def cell(v):
            return '—' if v is None else f'{v:.2f}'
        ratio_rows = ['| kernel | seed | implementation | time to 40% / HF | time to 45% / HF | tokens/s / HF | '
                      "HF's steps to 45% / ours |", '|---|---|---|---|---|---|---|']
        for (kernel, seed, name), row in ratios(record).items():
            ratio_rows.append(f"| {kernel} | {seed} | {name} | {cell(row['time_to_0.40'])} | "
                              f"{cell(row['time_to_0.45'])} | {cell(row['tokens_per_s'])} | "
                              f"{cell(row['hf_steps_to_0.45'])} |")
        labels = {'time_to_0.40': 'time to 40% / HF', 'time_to_0.45': 'time to 45% / HF',
                  'tokens_per_s': 'tokens/s / HF', 'hf_steps_to_0.45': "HF's steps to 45% / ours"}
        for name in names:
            if name == 'hf-bert':
                continue
            summary += [f"**{name}** over {plural(len(seeds), 'seed')} and {plural(len(kernels), 'kernel choice')} "
                        f"({', '.join(kernels)}), {plural(len(seeds) * len(kernels), 'race')}:", '',
                        '| ratio | smallest | largest | mean |', '|---|---|---|---|']
            for key, sp in ratio_spreads(record, name).items():
                summary.append(f"| {labels[key]} | {sp['min']:.2f} | {sp['max']:.2f} | {sp['mean']:.2f} |")
            summary.append('')

    loads = '; '.join(f"{p['kernel']}: {p['load_average_before_after'][0]:.2f} before, "
                      f"{p['load_average_before_after'][1]:.2f} after, {p['wall_minutes']:.0f} minutes"
                      for p in record['per_kernel'])
    # Quiet: nothing else before, and afterwards no more load than the race's own processes make
    own = len(record['per_kernel']) if record.get('together') else 1
    quiet = all(p['load_average_before_after'][0] < 1.5 and p['load_average_before_after'][1] < own + 1
                for p in record['per_kernel'])
    charts = '\n\n'.join(chart(kernel, seed, [r for r in results if r['seed'] == seed and r['kernel'] == kernel])
                          for kernel in kernels for seed in seeds)
    recipes = '; '.join(f"**{name}**: " + (', '.join(f"`{k.replace('__', '.')}={v}`" for k, v in recipe.items())
                                          or "the experiment's defaults")
                        for name, recipe in record['recipes'].items())
    sweep = record.get('sweep')
    swept = (f" BERT's peak learning rate, {record['hf_lr']:g}, reached 45% in the fewest steps of "
             f"{', '.join(f'{lr:g}' for lr in sweep['learning_rates'])} on seeds "
             f"{', '.join(map(str, sweep['seeds']))} (steps to 45%: "
             + ', '.join(f"{lr:g}: {sweep_steps(sweep, lr)}" for lr in sweep['learning_rates'])
             + "; `--sweep`, recorded in `time_to_accuracy_sweep.json`)." if sweep else '')
    (ROOT / 'bench/results/time_to_accuracy.md').write_text(
        '# Time to accuracy: ours against Hugging Face BERT\n\n'
        "The default run's size (seq 64, batch 32, d_model 128, 6 layers, d_ff 512), each side with its own "
        f"recipe, over a {record['steps']:,}-step schedule, on the same text windows and seeds, evaluated alike "
        f"(15% masking, the same held-out windows). Recipes: {recipes}.{swept} For each choice of CPU kernels "
        f"(`ATEN_CPU_CAPABILITY`; the machine's own is `{record['native_kernel']}`, and below it oneDNN and MKL are "
        f"capped to match), one fresh process in which all runs took turns in blocks of {record['block']} steps "
        + ("(the kernels' processes at the same time, one thread each) " if record.get('together') else '')
        + f"({record['cpu']}; {record['machine']}; OMP_WAIT_POLICY={record['omp_wait_policy']}). Load average, per "
        f"kernel: {loads}"
        + ("; the benchmark's own: nothing else ran, so the seconds are this machine's" if quiet else
           "; other work shared the machine, so read the ratios, not the seconds")
        + f". Seconds count training steps only; validation every {record['every']} steps; a run stopped once it "
        f"had reached 45% and trained {max(AT_SECONDS)} s. "
        "Written by [`bench/time_to_accuracy.py`](../time_to_accuracy.html).\n\n"
        + ('## The spread\n\n' + '\n'.join(summary) + '\n' if summary else '')
        + '## Every run\n\n' + '\n'.join(rows) + '\n\n'
        + ('## Ratios to HF, per race\n\n' + '\n'.join(ratio_rows) + '\n\n' if ratio_rows else '')
        + charts + '\n')
    print('\n'.join(summary))
    print('\n'.join(ratio_rows))


if __name__ == '__main__':
    main()
