r"""
---
title: Benchmark - a faster learner, the levers one at a time and together
summary: QK-norm with zero-initialised output projections, no biases, Muon, linear decay to zero and a masking-rate schedule, each alone and together, over seeds, interleaved, on a short proxy or the default run.
---

# A faster learner: the recipe study

Which published levers make the [default run](default_run.html) learn more in the same steps?
Each variant is the default recipe with **one lever** (the last one has all of them):

* `qk_norm_zero_init`: [QK-norm](../transformers/mha.html) and output projections that start
  at zero (`model.qk_norm`, `model.zero_init`), which are said to tolerate higher learning rates;
* `no_bias`: no biases anywhere (`model.bias=False`), as in Cramming's BERT;
* `muon`: [Muon](../helpers/optimizers.html) on the encoder's weight matrices, AdamW on the rest;
* `linear_decay`: the learning rate decays linearly to zero after the warm-up, instead of a
  cosine to 10% (Bergsma et al., "Straight to Zero", 2025);
* `masking_schedule`: 30% of the characters masked at the first step, falling linearly to 15%
  at the last (Ankner et al., 2024);
* `all`: everything above at once.

The model's levers are the model's configs. The optimizer, schedule and masking-rate levers are
applied here, to the [experiment's](../transformers/mlm/experiment.html) own `Trainer` built by
the [shared harness](training.html), without touching the experiment: Muon replaces its
optimizer, the linear schedule rewrites the learning rate just before each optimizer step (a
step pre-hook, at the same step count the experiment's schedule uses), and the masking
schedule wraps the masking of the training batches. **Evaluation is the experiment's own**:
masked-character accuracy at 15% masking (80/10/10) on the same fixed held-out windows. Beside
it, the same measurement on fixed *training* windows gives the train/validation gap.

**Interleaved.** All runs of a pass live in one process and take turns, `--block` steps each,
so that the machine's load hits all of them alike. Accuracy per step is deterministic (the same
machine gives the same curve whatever the load); seconds per step are not, so the load average
is recorded at every turn and a pass is marked **busy** when it exceeded 1.5 (the study itself
uses one core of two). Only a quiet pass's timings mean anything.

```bash
# The proxy (500 steps of the default run's size), every lever, 3 seeds, one thread
OMP_NUM_THREADS=1 python bench/recipe_study.py run --seeds 0 1 2
# The peak learning rate re-tuned per lever
OMP_NUM_THREADS=1 python bench/recipe_study.py run --seeds 0 --lrs 1e-3 4e-3 --variants muon all
# The default run's setting (5,400 steps), for the final answer
python bench/recipe_study.py run --full --seeds 0 1 2
python bench/recipe_study.py report --note "..."   # recipe_study.json and .md
```

Finished runs are kept under the ignored `bench/results/tmp/recipe_study/` (a run stopped
part-way keeps its curve so far, marked incomplete), so passes add up: `run` skips what is
done, and `report` tabulates everything of one length. `--smoke` trains a tiny model a few
steps, for the tests.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import torch

ROOT = Path(__file__).resolve().parent.parent
from training import Corpus, Run, configs, plural, spread  # noqa: E402

from labml_nn.helpers.optimizers import muon_with_adamw  # noqa: E402
from labml_nn.transformers.mlm import MLM  # noqa: E402
from labml_nn.transformers.mlm.data import random_windows  # noqa: E402

CACHE = ROOT / 'bench/results/tmp/recipe_study'
RESULTS = ROOT / 'bench/results'
# The proxy: the default run's model, batch and schedule shape, over fewer steps
PROXY_STEPS, PROXY_EVERY = 500, 100
# The default run's setting
FULL_STEPS, FULL_EVERY = 5400, 250
# Above this load average (2 cores, of which the study uses one), timings are marked busy
BUSY_LOAD = 1.5
# A tiny model for the smoke mode
SMOKE = {'seq_len': 16, 'batch_size': 4, 'model__d_model': 32, 'model__n_layers': 2,
         'model__n_heads': 2, 'model__d_ff': 64, 'valid_sequences': 8}


@dataclass(frozen=True)
class Levers:
    r"""The levers that act on training rather than on the model."""
    # 'adamw' (the experiment's) or 'muon' (Muon on the encoder's matrices, AdamW on the rest)
    optimizer: str = 'adamw'
    # 'cosine' (the experiment's, to 10% of the peak) or 'linear' (to zero)
    schedule: str = 'cosine'
    # Masking rate at the first step, falling linearly to the configured rate (15%) at the last
    masking_start: Optional[float] = None


QK_ZERO = {'model__qk_norm': True, 'model__zero_init': True}
# `name: (what it is, config overrides, training levers)`
VARIANTS = {
    'baseline': ('the default recipe', {}, Levers()),
    'qk_norm_zero_init': ('QK-norm + zero-initialised output projections', QK_ZERO, Levers()),
    'no_bias': ('no biases', {'model__bias': False}, Levers()),
    'muon': ('Muon for the encoder\'s matrices, AdamW for the rest', {}, Levers(optimizer='muon')),
    'linear_decay': ('linear decay to zero (instead of cosine to 10%)', {}, Levers(schedule='linear')),
    'masking_schedule': ('masking rate 30% → 15% over the run', {}, Levers(masking_start=0.3)),
    'all': ('all of the above', {**QK_ZERO, 'model__bias': False},
            Levers(optimizer='muon', schedule='linear', masking_start=0.3)),
}


def linear_to_zero(c, step: int) -> float:
    r"""The experiment's warm-up, then a straight line from the peak to zero at the end of the run."""
    if step < c.warmup_steps:
        return c.learning_rate * (step + 1) / c.warmup_steps
    progress = min(1.0, (step - c.warmup_steps) / max(1, c.steps - c.warmup_steps))
    return c.learning_rate * (1.0 - progress)


def muon_optimizer(model: torch.nn.Module, c):
    r"""Muon on the encoder's 2-D weights; AdamW, grouped as the experiment groups it, on the rest."""
    trains = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    hidden = {n for n, p in trains if n.startswith('encoder.') and p.dim() == 2}
    rest = [(n, p) for n, p in trains if n not in hidden]
    decays = [p for n, p in rest if p.dim() == 2 and 'embeddings' not in n]
    keeps = [p for n, p in rest if not (p.dim() == 2 and 'embeddings' not in n)]
    groups = [g for g in ({'params': decays, 'weight_decay': c.weight_decay},
                          {'params': keeps, 'weight_decay': 0.0}) if g['params']]
    return muon_with_adamw([p for n, p in trains if n in hidden], groups, c.learning_rate,
                           c.weight_decay, betas=(0.9, 0.98), eps=1e-9)


class ScheduledMasking:
    r"""The trainer's masking, with its rate set for the trainer's step before every batch."""

    def __init__(self, masking: MLM, start: float, trainer):
        self.masking, self.start, self.end, self.trainer = masking, start, masking.masking_prob, trainer

    def rate(self, step: int) -> float:
        return self.start + (self.end - self.start) * min(1.0, step / self.trainer.c.steps)

    def __call__(self, x: torch.Tensor, generator: Optional[torch.Generator] = None):
        self.masking.masking_prob = self.rate(self.trainer.step)
        return self.masking(x, generator=generator)


def apply_levers(run: Run, levers: Levers) -> None:
    r"""Put the training levers into a fresh run's trainer (the defaults change nothing)."""
    t = run.trainer
    if levers.optimizer == 'muon':
        t.optimizer = run.optimizer = muon_optimizer(t.model, t.c)
    elif levers.optimizer != 'adamw':
        raise ValueError(f"optimizer {levers.optimizer!r}: adamw or muon")
    if levers.schedule == 'linear':
        # The experiment has just set its cosine rate; this runs right after, before the update
        def set_rate(optimizer, args, kwargs):
            for group in optimizer.param_groups:
                group['lr'] = linear_to_zero(t.c, t.step)
        for optimizer in getattr(t.optimizer, 'optimizers', [t.optimizer]):
            optimizer.register_step_pre_hook(set_rate)
    elif levers.schedule != 'cosine':
        raise ValueError(f"schedule {levers.schedule!r}: cosine or linear")
    if levers.masking_start is not None:
        t.masking = ScheduledMasking(t.masking, levers.masking_start, t)


class StudyRun:
    r"""One variant, seed and peak learning rate: a harness `Run` with its levers, and a train probe."""

    def __init__(self, name: str, seed: int, lr: float, steps: int, every: int, corpus: Corpus,
                 extra: Dict, cache: Path):
        description, overrides, levers = VARIANTS[name]
        values = configs(**{**extra, **overrides}, seed=seed, learning_rate=lr, steps=steps,
                         valid_every=every, sample_every=0)
        self.name, self.seed, self.lr, self.levers = name, seed, lr, levers
        self.run = Run(name, corpus, values)
        apply_levers(self.run, levers)
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
                'complete': self.run.done, 'levers': asdict(self.levers),
                'overrides': VARIANTS[self.name][1], 'parameters': self.run.parameters,
                'size': {k: self.run.values[k] for k in ('seq_len', 'batch_size', 'model.d_model',
                                                         'model.n_layers', 'model.d_ff')},
                'threads': torch.get_num_threads(), 'curve': self.run.curve,
                'ms_per_step_median': statistics.median(seconds) * 1000 if seconds else None,
                'steps_per_second': len(seconds) / sum(seconds) if seconds else None,
                'load_averages': loads, 'busy': max(loads, default=0.0) > BUSY_LOAD}


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


def report(steps: int, note: str, cache: Path, out: Path) -> Dict:
    r"""`recipe_study.json` and `.md` in `out` from the runs of `steps` steps kept in `cache`."""
    records = [json.loads(p.read_text()) for p in sorted(cache.glob(f'*.steps{steps}.json'))]
    if not records:
        sys.exit(f"error: no runs of {steps} steps under {cache}; train some first with "
                 f"`python bench/recipe_study.py run`")
    loads = [x for r in records for x in r['load_averages']]
    result = {'note': note, 'steps': steps, 'every': records[0]['curve'][1]['step'] - records[0]['curve'][0]['step']
              if len(records[0]['curve']) > 1 else steps,
              'machine': {'cpu': platform.processor() or platform.machine(), 'cores': os.cpu_count(),
                          'torch': torch.__version__, 'threads': sorted({r['threads'] for r in records})},
              'load_average': {'min': min(loads), 'max': max(loads)},
              'busy': any(r['busy'] for r in records),
              'variants': {name: {'description': d, 'overrides': o, 'levers': asdict(v)}
                           for name, (d, o, v) in VARIANTS.items()},
              'summary': summarize(records), 'runs': records}
    out.mkdir(parents=True, exist_ok=True)
    (out / 'recipe_study.json').write_text(json.dumps(result, indent=1) + '\n')
    (out / 'recipe_study.md').write_text(markdown(result))
    return result


def pct(x: Optional[float], sign: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return '–'
    return f"{100 * x:+.2f} pts" if sign else f"{x:.2%}"


def markdown(result: Dict) -> str:
    rows = result['summary']
    timing = 'busy machine: timings not meaningful' if result['busy'] else 'quiet machine'
    z = result['runs'][0]['size']
    size = (f"seq_len {z['seq_len']}, batch {z['batch_size']}, d_model {z['model.d_model']}, "
            f"{z['model.n_layers']} layers, d_ff {z['model.d_ff']}")
    lines = [
        '# The recipe study: results', '',
        f"**{result['note']}**" if result['note'] else '', '',
        f"{result['steps']:,} steps of {size} (warm-up and decay fitted to that length), "
        f"validated every {result['every']} steps; threads {result['machine']['threads']}, "
        f"load average {result['load_average']['min']}–{result['load_average']['max']} ({timing}). "
        "Accuracy is masked-character accuracy at 15% masking on the fixed held-out windows "
        "(train: the same on fixed training windows; gap: train minus valid, in percentage points; "
        "vs baseline: the mean's difference from the baseline's, in points); ranges are over the "
        "seeds listed. Written by [`bench/recipe_study.py`](../recipe_study.html).", '',
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
    runs = sorted(result['runs'], key=lambda r: (list(VARIANTS).index(r['name']), r['lr'], r['seed']))
    steps = sorted({p['step'] for r in runs for p in r['curve']})
    lines += ['', '## Every run: validation accuracy at each step (train accuracy and gap at its last point)', '',
              '| variant | peak lr | seed | finished | ' + ' | '.join(f'step {s}' for s in steps)
              + ' | train acc. | gap |', '|---|---|---|---|' + '---|' * (len(steps) + 2)]
    for r in runs:
        by_step = {p['step']: p['valid_accuracy'] for p in r['curve']}
        last = r['curve'][-1]
        lines.append(f"| {r['name']} | {r['lr']:g} | {r['seed']} | {'yes' if r['complete'] else 'no'} | "
                     + ' | '.join(pct(by_step.get(s)) for s in steps)
                     + f" | {pct(last['train_accuracy'])} | "
                     f"{pct(last['train_accuracy'] - last['valid_accuracy'], sign=True)} |")
    complete = [row for row in rows if 'curve' in row]
    if complete:
        steps = [p['step'] for p in complete[0]['curve']]
        lines += ['', '## Validation accuracy along the run (mean over seeds)', '',
                  '| variant | peak lr | ' + ' | '.join(f'step {s}' for s in steps) + ' |',
                  '|---|---|' + '---|' * len(steps)]
        for row in complete:
            by_step = {p['step']: p['valid_accuracy'] for p in row['curve']}
            lines.append(f"| {row['name']} | {row['lr']:g} | "
                         + ' | '.join(pct(by_step.get(s)) for s in steps) + ' |')
    lines += ['', '## The variants', '']
    for name, v in result['variants'].items():
        lines.append(f"* `{name}`: {v['description']}")
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
    rep.add_argument('--steps', type=int, default=PROXY_STEPS)
    rep.add_argument('--note', default='')
    rep.add_argument('--cache', type=Path, default=CACHE)
    rep.add_argument('--out', type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if args.command == 'report':
        report(args.steps, args.note, args.cache, args.out)
        return
    lrs = args.lrs or [configs()['learning_rate']]
    if any(lr <= 0 for lr in lrs):
        parser.exit(2, f"error: --lrs {lrs}: learning rates must be positive\n")
    steps = args.steps or (4 if args.smoke else FULL_STEPS if args.full else PROXY_STEPS)
    every = args.every or (2 if args.smoke else FULL_EVERY if args.full else PROXY_EVERY)
    if steps % every:
        parser.exit(2, f"error: --steps {steps} is not a multiple of --every {every}\n")
    extra = {**SMOKE, 'warmup_steps': 1} if args.smoke else {}
    run_pass(args.variants, args.seeds, lrs, steps, every, args.block, extra, args.cache, args.data)
    if args.smoke and args.out:
        report(steps, 'smoke run', args.cache, args.out)


if __name__ == '__main__':
    main()
