r"""
---
title: Benchmark - a faster learner, the levers one at a time and together
summary: QK-norm with zero-initialised output projections, no biases, Muon, linear decay to zero and a masking-rate schedule, each alone and together, over seeds, interleaved, on a short proxy or the default run.
---

# A faster learner: the recipe study

Which published levers make the [default run](default_run.html) learn more in the same steps?
Each variant is the recipe before the study (round 3, kept as `ROUND_3_CONFIGS` in
[the harness](training.html)) with **one lever** (the last one has all of them). The study's
answer, `all` at the peak learning rate 2e-3, has been the experiment's default since:

* `qk_norm_zero_init`: [QK-norm](../transformers/mha.html) and output projections that start
  at zero (`model.qk_norm`, `model.zero_init`), which are said to tolerate higher learning rates;
* `no_bias`: no biases anywhere (`model.bias=False`), as in Cramming's BERT;
* `muon`: [Muon](../helpers/optimizers.html) on the encoder's weight matrices, AdamW on the rest
  (`Float32Muon`: its iterations in float32, fast on any CPU);
* `linear_decay`: the learning rate decays linearly to zero after the warm-up, instead of a
  cosine to 10% (Bergsma et al., "Straight to Zero", 2025);
* `masking_schedule`: 30% of the characters masked at the first step, falling linearly to 15%
  at the last (Ankner et al., 2024);
* `all`: everything above at once;
* `all_but_<lever>`: everything but that one lever, which says what it adds to the others.

Every lever is one of the [experiment's](../transformers/mlm/experiment.html) configs, so a
variant is the default configs with a few set (`VARIANTS` below), trained by the experiment's
own `Trainer` through the [shared harness](training.html), and whatever wins is adopted by
changing a default. **Evaluation is the experiment's own**: masked-character accuracy at 15%
masking (80/10/10) on the same fixed held-out windows, whatever rate a variant trains at.
Beside it, the same measurement on fixed *training* windows gives the train/validation gap.

**Interleaved.** All runs of a pass live in one process and take turns, `--block` steps each,
so that the machine's load hits all of them alike. Accuracy per step is deterministic (the same
machine gives the same curve whatever the load); seconds per step are not, so the load average
is recorded at every turn and a pass is marked **busy** when it exceeded the pass's own threads
by more than 0.5. Only a quiet pass's timings mean anything.

**Two lengths.** The proxy is the default run's model, batch and schedule shape over 500 steps
(a tenth of the run): cheap enough for every lever, three seeds and a learning-rate sweep. The
full length (5,400 steps) answers the question that matters, at a cost that allows a few
variants; the report sets the two side by side and ranks the levers at each, which says how
far the proxy can be trusted. Several passes may run at once, one process each (the machine
then is busy for all of them, which costs time but changes no accuracy).

```bash
# The proxy, every lever, 3 seeds, one thread
OMP_NUM_THREADS=1 python bench/recipe_study.py run --seeds 0 1 2
# The peak learning rate re-tuned
OMP_NUM_THREADS=1 python bench/recipe_study.py run --seeds 0 --lrs 1e-3 4e-3 --variants all
# The default run's setting (5,400 steps)
OMP_NUM_THREADS=1 python bench/recipe_study.py run --full --seeds 0 1 2 --variants baseline all
# Quiet timings: every variant, 100 steps, both cores, nothing else running
python bench/recipe_study.py run --steps 100 --every 100 --seeds 9 --cache bench/results/tmp/recipe_timing
python bench/recipe_study.py report --note "..."   # recipe_study.json and .md, both lengths
```

Finished runs are kept under the ignored `bench/results/tmp/recipe_study/` (a run stopped
part-way keeps its curve so far, marked incomplete), so passes add up: `run` skips what is
done, and `report` tabulates every length it is given. `--smoke` trains a tiny model a few
steps, for the tests.
"""

import argparse
import json
import math
import os
import statistics
import sys
from pathlib import Path
from typing import Dict, List, Optional

import torch

ROOT = Path(__file__).resolve().parent.parent
from training import ROUND_3_CONFIGS, Corpus, Run, configs, cpu_model, plural, spread  # noqa: E402

from labml_nn.transformers.mlm import MLM  # noqa: E402
from labml_nn.transformers.mlm.data import random_windows  # noqa: E402

CACHE = ROOT / 'bench/results/tmp/recipe_study'
RESULTS = ROOT / 'bench/results'
# The proxy: the default run's model, batch and schedule shape, over fewer steps
PROXY_STEPS, PROXY_EVERY = 500, 100
# The default run's setting
FULL_STEPS, FULL_EVERY = 5400, 250
# Load above the pass's own threads by more than this marks its timings busy
BUSY_LOAD = 0.5


def is_busy(loads: List[float], threads: int) -> bool:
    r"""More load than the pass's own threads account for, by more than `BUSY_LOAD`."""
    return max(loads, default=0.0) > threads + BUSY_LOAD
# A tiny model for the smoke mode
SMOKE = {'seq_len': 16, 'batch_size': 4, 'model__d_model': 32, 'model__n_layers': 2,
         'model__n_heads': 2, 'model__d_ff': 64, 'valid_sequences': 8}


QK_ZERO = {'model__qk_norm': True, 'model__zero_init': True}
LINEAR = {'decay': 'linear', 'min_lr_ratio': 0.0}
# `name: (what it is, the experiment's configs it sets)`
VARIANTS = {
    'baseline': ('the round-3 recipe', {}),
    'qk_norm_zero_init': ('QK-norm + zero-initialised output projections', QK_ZERO),
    'no_bias': ('no biases', {'model__bias': False}),
    'muon': ("Muon for the encoder's matrices, AdamW for the rest", {'optimizer': 'muon'}),
    'linear_decay': ('linear decay to zero (instead of cosine to 10%)', LINEAR),
    'masking_schedule': ('masking rate 30% → 15% over the run', {'masking_start': 0.3}),
    'all': ('all of the above', {**QK_ZERO, 'model__bias': False, 'optimizer': 'muon', **LINEAR,
                                 'masking_start': 0.3}),
}
# Each lever left out of `all` in turn: what it adds to the others
LEVERS = ['qk_norm_zero_init', 'no_bias', 'muon', 'linear_decay', 'masking_schedule']
for _lever in LEVERS:
    _rest = {k: v for other in LEVERS if other != _lever for k, v in VARIANTS[other][1].items()}
    VARIANTS[f'all_but_{_lever}'] = (f'all of the levers but {_lever}', _rest)


class StudyRun:
    r"""One variant, seed and peak learning rate: a harness `Run` with its configs, and a train probe."""

    def __init__(self, name: str, seed: int, lr: float, steps: int, every: int, corpus: Corpus,
                 extra: Dict, cache: Path):
        values = configs(**{**ROUND_3_CONFIGS, **extra, **VARIANTS[name][1]}, seed=seed, learning_rate=lr,
                         steps=steps, valid_every=every, sample_every=0)
        self.name, self.seed, self.lr = name, seed, lr
        self.run = Run(name, corpus, values)
        # Fixed training windows, masked once at the evaluation's 15%: the train side of the gap
        t, c = self.run.trainer, self.run.c
        g = torch.Generator().manual_seed(c.seed + 4)
        windows = random_windows(t.train_ids, c.valid_sequences, c.seq_len, g)
        self.probe = MLM.from_configs(c.masking, t.vocabulary)(windows, generator=g)
        self.path = cache / f'{name}.seed{seed}.lr{lr:g}.steps{steps}.json'

    def evaluate(self) -> None:
        point = self.run.validate()
        t = self.run.trainer
        held_out = t.valid_inputs, t.valid_labels
        t.valid_inputs, t.valid_labels = self.probe
        try:
            point['train_loss'], point['train_accuracy'] = t.validate()
        finally:
            t.valid_inputs, t.valid_labels = held_out

    def record(self, loads: List[float]) -> Dict:
        seconds = self.run.step_seconds
        return {'name': self.name, 'seed': self.seed, 'lr': self.lr, 'steps': self.run.c.steps,
                'complete': self.run.done,
                'overrides': VARIANTS[self.name][1], 'parameters': self.run.parameters,
                'size': {k: self.run.values[k] for k in ('seq_len', 'batch_size', 'model.d_model',
                                                         'model.n_layers', 'model.d_ff')},
                'threads': torch.get_num_threads(), 'curve': self.run.curve,
                'ms_per_step_median': statistics.median(seconds) * 1000 if seconds else None,
                'steps_per_second': len(seconds) / sum(seconds) if seconds else None,
                'load_averages': loads, 'busy': is_busy(loads, torch.get_num_threads())}


def run_pass(names, seeds, lrs, steps: int, every: int, block: int, extra: Dict, cache: Path,
             data: Optional[str] = None) -> None:
    r"""Every (variant, seed, lr) not yet done, interleaved `block` steps at a time."""
    cache.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(data)
    runs = []
    for seed in seeds:
        for lr in lrs:
            for name in names:
                path = cache / f'{name}.seed{seed}.lr{lr:g}.steps{steps}.json'
                if path.exists() and json.loads(path.read_text())['complete']:
                    continue
                runs.append(StudyRun(name, seed, lr, steps, every, corpus, extra, cache))
    print(f"{plural(len(runs), 'run')} to train, {steps} steps each", flush=True)
    for r in runs:
        r.evaluate()  # the step-0 point
    loads: List[float] = [round(os.getloadavg()[0], 2)]
    while not all(r.run.done for r in runs):
        for r in runs:
            if r.run.done:
                continue
            r.run.train(min(block, every - r.run.step % every))
            if r.run.step % every == 0 or r.run.done:
                r.evaluate()
                p = r.run.curve[-1]
                r.path.write_text(json.dumps(r.record(loads)) + '\n')
                print(f"{r.name:18s} seed {r.seed} lr {r.lr:g} step {r.run.step:5d} "
                      f"valid {p['valid_accuracy']:.2%} train {p['train_accuracy']:.2%}", flush=True)
        loads.append(round(os.getloadavg()[0], 2))
    for r in runs:
        r.path.write_text(json.dumps(r.record(loads)) + '\n')


def summarize(records: List[Dict]) -> List[Dict]:
    r"""One row per (variant, lr): final accuracies over the complete seeds, the gap, and the timing."""
    rows = []
    base = [r for r in records if r['name'] == 'baseline' and r['complete']]
    base_lr = statistics.mode([r['lr'] for r in base]) if base else None
    base_mean = (statistics.fmean(r['curve'][-1]['valid_accuracy'] for r in base if r['lr'] == base_lr)
                 if base else None)
    keys = sorted({(r['name'], r['lr']) for r in records}, key=lambda k: (list(VARIANTS).index(k[0]), k[1]))
    for name, lr in keys:
        done = [r for r in records if (r['name'], r['lr']) == (name, lr) and r['complete']]
        partial = [r for r in records if (r['name'], r['lr']) == (name, lr) and not r['complete']]
        row = {'name': name, 'lr': lr, 'description': VARIANTS[name][0],
               'seeds': sorted(r['seed'] for r in done),
               'incomplete_seeds': sorted(r['seed'] for r in partial)}
        if done:
            final = [r['curve'][-1] for r in done]
            row['valid_accuracy'] = spread([p['valid_accuracy'] for p in final])
            row['train_accuracy'] = spread([p['train_accuracy'] for p in final])
            row['gap'] = spread([p['train_accuracy'] - p['valid_accuracy'] for p in final])
            row['valid_loss'] = spread([p['valid_loss'] for p in final])
            if base_mean is not None:
                row['valid_accuracy_minus_baseline'] = row['valid_accuracy']['mean'] - base_mean
            steps = [p['step'] for p in done[0]['curve']]
            row['curve'] = [{'step': s, 'valid_accuracy': statistics.fmean(
                next(p['valid_accuracy'] for p in r['curve'] if p['step'] == s) for r in done)}
                for s in steps]
            row['ms_per_step_median'] = statistics.median(r['ms_per_step_median'] for r in done)
            row['steps_per_second'] = statistics.fmean(r['steps_per_second'] for r in done)
            row['busy'] = any(r['busy'] for r in done)
        rows.append(row)
    return rows


def one_pass(steps: int, cache: Path) -> Optional[Dict]:
    r"""Every kept run of `steps` steps, its summary, and the load it ran under (None: no runs)."""
    records = [json.loads(p.read_text()) for p in sorted(cache.glob(f'*.steps{steps}.json'))]
    if not records:
        return None
    loads = [x for r in records for x in r['load_averages']]
    curve = max((r['curve'] for r in records), key=len)
    return {'steps': steps, 'every': curve[1]['step'] - curve[0]['step'] if len(curve) > 1 else steps,
            'threads': sorted({r['threads'] for r in records}),
            'load_average': {'min': min(loads), 'max': max(loads)},
            'busy': any(r['busy'] for r in records), 'summary': summarize(records), 'runs': records}


def agreement(passes: List[Dict]) -> List[Dict]:
    r"""
    The proxy against the longest pass: each variant's mean final accuracy in both, over the
    seeds the longer one finished, and its rank in each (at the recipe's learning rate).
    """
    if len(passes) < 2:
        return []
    short, long = passes[0], passes[-1]
    lr = configs()['learning_rate']
    rows = []
    for name in VARIANTS:
        done = {r['seed']: r for r in long['runs'] if r['name'] == name and r['lr'] == lr and r['complete']}
        proxy = {r['seed']: r for r in short['runs'] if r['name'] == name and r['lr'] == lr and r['complete']}
        seeds = sorted(set(done) & set(proxy))
        if seeds:
            rows.append({'name': name, 'seeds': seeds,
                         'proxy': statistics.fmean(proxy[s]['curve'][-1]['valid_accuracy'] for s in seeds),
                         'full': statistics.fmean(done[s]['curve'][-1]['valid_accuracy'] for s in seeds)})
    for key in ('proxy', 'full'):
        for rank, row in enumerate(sorted(rows, key=lambda r: -r[key]), 1):
            row[f'{key}_rank'] = rank
    return rows


def speeds(cache: Optional[Path]) -> Optional[Dict]:
    r"""The timing pass: each variant's median milliseconds per step, and its ratio to the baseline's."""
    records = [json.loads(p.read_text()) for p in sorted(cache.glob('*.json'))] if cache and cache.is_dir() else []
    if not records:
        return None
    loads = [x for r in records for x in r['load_averages']]
    ms = {r['name']: r['ms_per_step_median'] for r in sorted(records, key=lambda r: list(VARIANTS).index(r['name']))}
    return {'steps': records[0]['steps'], 'threads': sorted({r['threads'] for r in records}),
            'load_average': {'min': min(loads), 'max': max(loads)}, 'busy': any(r['busy'] for r in records),
            'ms_per_step': ms, 'vs_baseline': {n: v / ms['baseline'] for n, v in ms.items()} if 'baseline' in ms else {}}


def report(lengths: List[int], note: str, cache: Path, out: Path, timing: Optional[Path] = None) -> Dict:
    r"""`recipe_study.json` and `.md` in `out` from the runs kept in `cache`, one pass per length,
    and the timing pass kept in `timing`."""
    passes = [p for p in (one_pass(steps, cache) for steps in sorted(lengths)) if p]
    if not passes:
        sys.exit(f"error: no runs of {' or '.join(map(str, lengths))} steps under {cache}; train some "
                 f"first with `python bench/recipe_study.py run`")
    result = {'note': note,
              'machine': {'cpu': cpu_model(), 'cores': os.cpu_count(), 'torch': torch.__version__},
              'variants': {name: {'description': d, 'overrides': o} for name, (d, o) in VARIANTS.items()},
              'passes': passes, 'agreement': agreement(passes), 'speed': speeds(timing)}
    out.mkdir(parents=True, exist_ok=True)
    (out / 'recipe_study.json').write_text(json.dumps(result, indent=1) + '\n')
    (out / 'recipe_study.md').write_text(markdown(result))
    return result


def pct(x: Optional[float], sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return '–'
    return f"{100 * x:+.2f} pts" if sign else f"{x:.2%}"


def columns(steps: List[int], most: int = 8) -> List[int]:
    r"""At most `most` of a curve's steps for a table, evenly spaced, always with the last."""
    stride = max(1, math.ceil((len(steps) - 1) / (most - 1)))
    return sorted(set(steps[::stride]) | {steps[-1]})


def pass_markdown(one: Dict) -> List[str]:
    rows = one['summary']
    timing = 'busy machine: timings not meaningful' if one['busy'] else 'quiet machine'
    z = one['runs'][0]['size']
    size = (f"seq_len {z['seq_len']}, batch {z['batch_size']}, d_model {z['model.d_model']}, "
            f"{z['model.n_layers']} layers, d_ff {z['model.d_ff']}")
    lines = [
        f"{one['steps']:,} steps of {size} (warm-up and decay fitted to that length), "
        f"validated every {one['every']} steps; threads {one['threads']}, load average "
        f"{one['load_average']['min']}–{one['load_average']['max']} ({timing}).", '',
        '| variant | peak lr | seeds | valid acc. mean (min–max) | vs baseline | train acc. | gap | ms/step | steps/s |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for row in rows:
        if 'valid_accuracy' not in row:
            lines.append(f"| {row['name']} | {row['lr']:g} | none finished (stopped part-way: seeds "
                         f"{', '.join(map(str, row['incomplete_seeds']))}; see every run below) | | | | | | |")
            continue
        v = row['valid_accuracy']
        busy = ' (busy)' if row['busy'] else ''
        lines.append(
            f"| {row['name']} | {row['lr']:g} | {', '.join(map(str, row['seeds']))} | "
            f"{pct(v['mean'])} ({pct(v['min'])}–{pct(v['max'])}) | "
            f"{pct(row.get('valid_accuracy_minus_baseline'), sign=True)} | {pct(row['train_accuracy']['mean'])} | "
            f"{pct(row['gap']['mean'], sign=True)} | {row['ms_per_step_median']:.0f}{busy} | "
            f"{row['steps_per_second']:.2f}{busy} |")
    # Every run, finished or stopped part-way (its curve so far)
    runs = sorted(one['runs'], key=lambda r: (list(VARIANTS).index(r['name']), r['lr'], r['seed']))
    steps = columns(sorted({p['step'] for r in runs for p in r['curve']}))
    lines += ['', f"Every run of {one['steps']:,} steps: validation accuracy (train accuracy and gap at its last point)",
              '', '| variant | peak lr | seed | finished | ' + ' | '.join(f'step {s}' for s in steps)
              + ' | train acc. | gap |', '|---|---|---|---|' + '---|' * (len(steps) + 2)]
    for r in runs:
        by_step = {p['step']: p['valid_accuracy'] for p in r['curve']}
        last = r['curve'][-1]
        lines.append(f"| {r['name']} | {r['lr']:g} | {r['seed']} | {'yes' if r['complete'] else 'no'} | "
                     + ' | '.join(pct(by_step.get(s)) for s in steps)
                     + f" | {pct(last['train_accuracy'])} | "
                     f"{pct(last['train_accuracy'] - last['valid_accuracy'], sign=True)} |")
    return lines


def markdown(result: Dict) -> str:
    lines = [
        '# The recipe study: results', '',
        f"**{result['note']}**" if result['note'] else '', '',
        f"{result['machine']['cpu']}, {result['machine']['cores']} cores, torch {result['machine']['torch']}. "
        "Accuracy is masked-character accuracy at 15% masking on the fixed held-out windows "
        "(train: the same on fixed training windows; gap: train minus valid, in percentage points; "
        "vs baseline: the mean's difference from the baseline's at the same length, in points); "
        "ranges are over the seeds listed. Written by [`bench/recipe_study.py`](../recipe_study.html).", '']
    for one in result['passes']:
        lines += [f"## {one['steps']:,} steps", ''] + pass_markdown(one) + ['']
    if result['agreement']:
        short, long = result['passes'][0]['steps'], result['passes'][-1]['steps']
        lines += [f'## Does {short:,} steps rank the levers as {long:,} do?', '',
                  'Mean final validation accuracy over the seeds finished at both lengths, at the '
                  'recipe\'s peak learning rate, and the rank of each variant at each length.', '',
                  f'| variant | seeds | {short:,} steps | rank | {long:,} steps | rank |',
                  '|---|---|---|---|---|---|']
        for row in result['agreement']:
            lines.append(f"| {row['name']} | {', '.join(map(str, row['seeds']))} | {pct(row['proxy'])} | "
                         f"{row['proxy_rank']} | {pct(row['full'])} | {row['full_rank']} |")
        lines.append('')
    speed = result.get('speed')
    if speed:
        lines += ['## Speed', '', f"Every variant {speed['steps']} steps, taking turns in one process on "
                  f"{speed['threads']} threads, load average {speed['load_average']['min']}–"
                  f"{speed['load_average']['max']} ({'busy' if speed['busy'] else 'quiet'}).", '',
                  '| variant | ms/step (median) | × baseline |', '|---|---|---|']
        for name, ms in speed['ms_per_step'].items():
            ratio = speed['vs_baseline'].get(name)
            lines.append(f"| {name} | {ms:.0f} | {'–' if ratio is None else f'{ratio:.2f}'} |")
        lines.append('')
    lines += ['## The variants', '']
    for name, v in result['variants'].items():
        sets = ', '.join(f"`{k.replace('__', '.')}={v}`" for k, v in v['overrides'].items()) or 'nothing'
        lines.append(f"* `{name}`: {v['description']} (sets {sets})")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description='The recipe study: levers for a faster learner.')
    sub = parser.add_subparsers(dest='command', required=True)
    run = sub.add_parser('run', help='train the variants (interleaved), keeping each run under the cache')
    run.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS))
    run.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    run.add_argument('--lrs', nargs='+', type=float, help='peak learning rates (default: the recipe\'s)')
    run.add_argument('--steps', type=int, help=f'steps per run (default: the proxy\'s {PROXY_STEPS})')
    run.add_argument('--every', type=int, help='validate every this many steps')
    run.add_argument('--block', type=int, default=25, help='steps per turn when the runs take turns')
    run.add_argument('--full', action='store_true', help=f'the default run\'s setting ({FULL_STEPS} steps)')
    run.add_argument('--smoke', action='store_true', help='a tiny model, a few steps (for the tests)')
    run.add_argument('--cache', type=Path, default=CACHE)
    run.add_argument('--data', help='the text (default: Tiny Shakespeare, as the harness finds it)')
    run.add_argument('--out', type=Path, help='with --smoke: also write the report here')
    rep = sub.add_parser('report', help='write recipe_study.json and .md from the kept runs')
    rep.add_argument('--steps', type=int, nargs='+', default=[PROXY_STEPS, FULL_STEPS],
                     help='the lengths to report, the proxy first')
    rep.add_argument('--note', default='')
    rep.add_argument('--timing', type=Path, default=ROOT / 'bench/results/tmp/recipe_timing',
                     help='the cache of the quiet timing pass')
    rep.add_argument('--cache', type=Path, default=CACHE)
    rep.add_argument('--out', type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if args.command == 'report':
        report(args.steps, args.note, args.cache, args.out, args.timing)
        return
    lrs = args.lrs or [configs()['learning_rate']]
    if any(lr <= 0 for lr in lrs):
        parser.exit(2, f"error: --lrs {lrs}: learning rates must be positive\n")
    steps = args.steps or (4 if args.smoke else FULL_STEPS if args.full else PROXY_STEPS)
    every = args.every or (2 if args.smoke else FULL_EVERY if args.full else PROXY_EVERY)
    extra = {**SMOKE, 'warmup_steps': 1} if args.smoke else {}
    run_pass(args.variants, args.seeds, lrs, steps, every, args.block, extra, args.cache, args.data)
    if args.smoke and args.out:
        report([steps], 'smoke run', args.cache, args.out)


if __name__ == '__main__':
    main()
