r"""
---
title: Benchmark - a default run that reaches 65% in under ten minutes
summary: Candidate recipes for the experiment's default run (model options, sequence length, curriculum, learning rate, steps), their accuracy per step, their speed, and one full timed run of the chosen recipe.
---

# Looking for a better default run

The experiment's default run (d_model 128, 6 layers, 8 heads, d_ff 512, sequences of 64,
batches of 32, 5,000 steps, no dropout) took 9.8 minutes on a 2-core CPU and reached 61.4%
masked-character validation accuracy. The goal: **at least 65% in at most 10 minutes** (9 for
a margin), still deterministic and resumable, still a run a reader does while reading.

Each candidate recipe is a set of the experiment's configs plus model options, trained with
the [shared harness](training.html) (which repeats the experiment's step exactly). Three modes:

* `curve`: the accuracy per step of a recipe, one thread (two recipes can run side by side);
  cached under `bench/results/tmp/`;
* `timing`: the ms/step of recipes taking turns in one process on both threads; a recipe with
  a curriculum is timed at each of its sequence lengths;
* `run`: one full run of a recipe, alone, on both threads, timed on the wall clock *including*
  validation every 250 steps and a checkpoint every 500 steps, as the experiment does; it
  writes `bench/results/default_recipe.json` and `.md`.

```bash
python bench/default_recipe.py curve --recipe tied
python bench/default_recipe.py timing --recipes today tied
python bench/default_recipe.py run --recipe tied
```
"""

import argparse
import io
import json
import math
import os
import platform
import statistics
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
from training import ROUND_1_CONFIGS, ROUND_3_CONFIGS, Corpus, Run, configs
from labml_nn.transformers.mlm.data import curriculum_length

CACHE = ROOT / 'bench/results/tmp/default_recipe'

# `name: (config overrides, model options, scored_only)`; the experiment's defaults otherwise
RECIPES = {
    'today': ({}, {}, False),
    'tied': ({}, {'tie_embeddings': True}, True),
    'tied_norm': ({}, {'tie_embeddings': True, 'embedding_norm': True}, True),
    'tied_scaled': ({}, {'tie_embeddings': True, 'init': 'scaled'}, True),
    'seq128': ({'seq_len': 128, 'batch_size': 16, 'curriculum_steps': 1000, 'curriculum_start_len': 16}, {}, True),
    'tied_128': ({'seq_len': 128, 'batch_size': 16, 'curriculum_steps': 1000, 'curriculum_start_len': 16},
                 {'tie_embeddings': True}, True),
    'tied_relu_torch': ({}, {'tie_embeddings': True, 'activation': 'relu', 'init': 'torch'}, True),
    'trt_4_layers': ({'model.n_layers': 4, 'steps': 7000},
                     {'tie_embeddings': True, 'activation': 'relu', 'init': 'torch'}, True),
    'torch_relu_5400': ({'steps': 5400}, {'activation': 'relu', 'init': 'torch'}, True),
    'tied_norm_128': ({'seq_len': 128, 'batch_size': 16, 'curriculum_steps': 1000, 'curriculum_start_len': 16},
                      {'tie_embeddings': True, 'embedding_norm': True}, True),
}


def make_run(name: str, corpus: Corpus, **extra) -> Run:
    overrides, options, scored_only = RECIPES[name]
    # Every recipe starts from round 1's model and changes what it names
    values = configs(**{**ROUND_3_CONFIGS, **ROUND_1_CONFIGS, **overrides, **extra})
    return Run(name, corpus, values, 'ours', options, scored_only)


def curve(name: str, threads: int) -> None:
    torch.set_num_threads(threads)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f'{name}.json'
    run = make_run(name, Corpus())
    every = run.values['valid_every']
    while not run.done:
        run.train(every)
        p = run.validate()
        print(f"{name:20s} step {run.step:5d} seq {curriculum_length(run.c, run.step):4d} valid acc {p['valid_accuracy']:.1%} "
              f"loss {p['valid_loss']:.3f}", flush=True)
    path.write_text(json.dumps({'name': name, 'recipe': RECIPES[name], 'values': run.values,
                                'parameters': run.parameters, 'curve': run.curve}, indent=1) + '\n')


def stages(values):
    r"""`(seq_len, steps)` of each curriculum stage (one stage without a curriculum)."""
    steps, start, final = values['curriculum_steps'], values['curriculum_start_len'], values['seq_len']
    if steps == 0:
        return [(final, values['steps'])]
    n = int(math.log2(final // start)) + 1
    bounds = [math.ceil(k * steps / (n - 1)) for k in range(n)]
    out = [(start * 2 ** k, bounds[k + 1] - bounds[k]) for k in range(n - 1)]
    return out + [(final, values['steps'] - steps)]


def timing(names, rounds: int, block: int) -> None:
    r"""ms/step of every stage of every recipe, all taking turns; predicted minutes of each run."""
    corpus = Corpus()
    runs = {}
    for name in names:
        values = make_run(name, corpus).values
        for seq_len, _ in stages(values):
            # A stage is timed as a run at that length with the stage's batch
            batch = values['batch_size'] * values['seq_len'] // seq_len
            runs[(name, seq_len)] = make_run(name, corpus, seq_len=seq_len, batch_size=batch, curriculum_steps=0)
    load_before = os.getloadavg()[0]
    for run in runs.values():
        run.train(10)
        run.step_seconds.clear()
    for _ in range(rounds):
        for run in runs.values():
            run.train(block)
    load_after = os.getloadavg()[0]
    result = {'threads': torch.get_num_threads(), 'load_average_before_after': [load_before, load_after],
              'recipes': {}}
    for name in names:
        values = make_run(name, corpus).values
        ms = {seq_len: statistics.median(runs[(name, seq_len)].step_seconds) * 1000 for seq_len, _ in stages(values)}
        train_minutes = sum(ms[s] * n for s, n in stages(values)) / 1000 / 60
        result['recipes'][name] = {'ms_per_step_by_seq_len': ms, 'predicted_train_minutes': train_minutes}
        print(f"{name:20s} {' '.join(f'{s}:{m:.0f}ms' for s, m in ms.items())}  training {train_minutes:.2f} min "
              f"(+ validation)", flush=True)
    print(f"load average {load_before:.2f} → {load_after:.2f}")
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / 'timing.json').write_text(json.dumps(result, indent=1) + '\n')


def full_run(name: str) -> None:
    r"""The recipe on the wall clock, with the experiment's validation and checkpoint cadence."""
    corpus = Corpus()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    run = make_run(name, corpus)
    values = run.values
    points = []
    while not run.done:
        run.train(values['valid_every'] - run.step % values['valid_every'])
        p = run.validate()
        p['time_s'] = round(time.perf_counter() - start, 2)
        points.append(p)
        if run.step % values['checkpoint_every'] == 0:
            # What a checkpoint costs: the weights and optimizer state serialized (to memory)
            torch.save({'model': run.model.state_dict(), 'optimizer': run.optimizer.state_dict()}, io.BytesIO())
        print(f"{name} step {run.step:5d} {p['time_s'] / 60:5.2f} min valid acc {p['valid_accuracy']:.1%}", flush=True)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()[0]
    final = points[-1]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    overrides, options, scored_only = RECIPES[name]
    record = {'recipe': name, 'overrides': overrides, 'options': options, 'scored_only': scored_only,
              'values': values, 'machine': machine, 'wall_time_s': wall, 'train_seconds': run.train_seconds,
              'load_average_before_after': [round(load_before, 2), round(load_after, 2)],
              'tokens_per_s': values['steps'] * values['batch_size'] * values['seq_len'] / wall,
              'parameters': run.parameters, 'final': final, 'curve': points}
    (ROOT / 'bench/results/default_recipe.json').write_text(json.dumps(record, indent=1) + '\n')
    rows = ['| step | minutes | valid loss | valid acc. |', '|---|---|---|---|']
    rows += [f"| {p['step']} | {p['time_s'] / 60:.2f} | {p['valid_loss']:.3f} | {p['valid_accuracy']:.1%} |"
             for p in points]
    settings = ', '.join([f'{k}={v}' for k, v in overrides.items()] + [f'{k}={v}' for k, v in options.items()]
                         + (['scored only at the masked positions'] if scored_only else []))
    (ROOT / 'bench/results/default_recipe.md').write_text(
        f"# The recommended default run: `{name}`\n\n"
        f"The experiment's defaults with {settings or 'nothing changed'}; trained with "
        f"[`bench/training.py`](../training.html), which repeats the experiment's step exactly, validating every "
        f"{values['valid_every']} steps and serializing a checkpoint every {values['checkpoint_every']}. "
        f"{machine}; load average {load_before:.2f} before, {load_after:.2f} after.\n\n"
        f"**{values['steps']} steps in {wall / 60:.2f} minutes** of wall time ({run.train_seconds / 60:.2f} of them "
        f"training steps); final masked validation accuracy **{final['valid_accuracy']:.1%}** "
        f"(loss {final['valid_loss']:.3f}).\n\n" + '\n'.join(rows) + '\n')
    print(f"{name}: {wall / 60:.2f} min, valid accuracy {final['valid_accuracy']:.1%}")


def stopped_runs(logs) -> list:
    r"""
    Candidates stopped part-way (they were clearly behind, and the machine had no time to spare):
    their validation points, read back from the progress lines that `curve` prints.
    """
    runs = []
    for log in logs:
        points = []
        for line in Path(log).read_text().splitlines():
            parts = line.split()
            if len(parts) == 10 and parts[1] == 'step' and parts[5] == 'valid':
                points.append({'step': int(parts[2]), 'seq_len': int(parts[4]),
                               'valid_accuracy': float(parts[7].rstrip('%')) / 100, 'valid_loss': float(parts[9])})
        name = line.split()[0] if points else None
        if points and points[-1]['step'] < configs(**{**ROUND_3_CONFIGS, **ROUND_1_CONFIGS, **RECIPES[name][0]})['steps']:
            runs.append({'name': name, 'recipe': RECIPES[name], 'curve': points})
    return runs


def report(names, logs=()) -> None:
    r"""
    Accuracy curves (cached by `curve`) and speeds (from `timing`, which must have timed `today`
    with them) in one table. The wall time of a recipe is *estimated* from the recorded default
    run: its 9.8 minutes times the ratio of the recipe's training time to today's, both timed
    in the same `timing` invocation (validation costs the same in both).
    """
    recorded = json.loads((ROOT / 'bench/results/default_run.json').read_text())
    timed = json.loads((CACHE / 'timing.json').read_text())
    today = timed['recipes']['today']['predicted_train_minutes']
    rows = ['| recipe | settings | acc. @1000 | @2500 | @5000 | final (step) | ms/step (by length) | '
            'training time / today\'s | estimated wall time |', '|---|---|---|---|---|---|---|---|---|']
    record = []
    for name in names:
        if name == 'today':
            curve = [{'step': p['step'], 'valid_accuracy': p['valid_accuracy'], 'valid_loss': p['valid_loss']}
                     for p in recorded['curve']]
        else:
            curve = json.loads((CACHE / f'{name}.json').read_text())['curve']
        at = {p['step']: p['valid_accuracy'] for p in curve}
        ratio = timed['recipes'][name]['predicted_train_minutes'] / today
        wall = recorded['wall_time_s'] / 60 * ratio
        overrides, options, scored_only = RECIPES[name]
        settings = ', '.join([f'{k}={v}' for k, v in overrides.items()] + [f'{k}={v}' for k, v in options.items()]
                             + (['scored only'] if scored_only else [])) or 'the defaults'
        ms = ' / '.join(f'{m:.0f}' for m in timed['recipes'][name]['ms_per_step_by_seq_len'].values())
        rows.append(f"| {name} | {settings} | {at.get(1000, 0):.1%} | {at.get(2500, 0):.1%} | {at.get(5000, 0):.1%} | "
                    f"**{curve[-1]['valid_accuracy']:.1%}** ({curve[-1]['step']}) | {ms} | {ratio:.3f} | {wall:.2f} min |")
        record.append({'name': name, 'recipe': RECIPES[name], 'curve': curve, 'train_time_ratio': ratio,
                       'estimated_wall_minutes': wall, 'timing': timed['recipes'][name]})
    load = timed['load_average_before_after']
    stopped = stopped_runs(logs)
    today_at = {p['step']: p['valid_accuracy'] for p in recorded['curve']}
    stopped_rows = ['| recipe | settings | stopped at step | valid acc. there | the default run there |',
                    '|---|---|---|---|---|']
    for r in stopped:
        overrides, options, scored_only = r['recipe']
        settings = ', '.join([f'{k}={v}' for k, v in overrides.items()] + [f'{k}={v}' for k, v in options.items()]
                             + (['scored only'] if scored_only else []))
        last = r['curve'][-1]
        stopped_rows.append(f"| {r['name']} | {settings} | {last['step']} | {last['valid_accuracy']:.1%} | "
                            f"{today_at.get(last['step'], float('nan')):.1%} |")
    (ROOT / 'bench/results/default_recipe.json').write_text(json.dumps(
        {'timing': timed, 'recorded_default_run_minutes': recorded['wall_time_s'] / 60, 'recipes': record,
         'stopped': stopped}, indent=1) + '\n')
    (ROOT / 'bench/results/default_recipe.md').write_text(
        '# Candidate default runs\n\n'
        "Masked validation accuracy of each recipe (deterministic curves from `bench/default_recipe.py curve`; "
        "`today` is the recorded default run). Speed: all recipes taking turns in one process "
        f"({timed['threads']} threads, load average {load[0]:.1f} before, {load[1]:.1f} after; a busy machine, "
        "so read the ratios). Estimated wall time: the recorded default run's "
        f"{recorded['wall_time_s'] / 60:.1f} minutes times the ratio of training times. "
        "Written by [`bench/default_recipe.py`](../default_recipe.html).\n\n" + '\n'.join(rows) + '\n'
        + ('\n## Stopped part-way\n\nCandidates stopped to save machine time on a busy machine: all but the last '
           'were behind the default run at that step; `trt_4_layers` was stopped only because there was no time '
           'left to finish it. Validation is on windows of each run\'s own `seq_len`.\n\n' + '\n'.join(stopped_rows) + '\n'
           if stopped else ''))
    print('\n'.join(rows))


def main():
    parser = argparse.ArgumentParser(description='Candidate default-run recipes.')
    sub = parser.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('curve')
    c.add_argument('--recipe', required=True, choices=RECIPES)
    c.add_argument('--threads', type=int, default=1)
    t = sub.add_parser('timing')
    t.add_argument('--recipes', nargs='+', required=True)
    t.add_argument('--rounds', type=int, default=4)
    t.add_argument('--block', type=int, default=15)
    rp = sub.add_parser('report')
    rp.add_argument('--recipes', nargs='+', required=True)
    rp.add_argument('--stopped', nargs='*', default=[], help='progress logs of candidates stopped part-way')
    r = sub.add_parser('run')
    r.add_argument('--recipe', required=True, choices=RECIPES)
    args = parser.parse_args()
    if args.mode == 'curve':
        curve(args.recipe, args.threads)
    elif args.mode == 'timing':
        timing(args.recipes, args.rounds, args.block)
    elif args.mode == 'report':
        report(args.recipes, args.stopped)
    else:
        full_run(args.recipe)


if __name__ == '__main__':
    main()
