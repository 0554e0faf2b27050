r"""
---
title: Benchmark - time to accuracy against Hugging Face's BERT
summary: Trains our model and Hugging Face's BertForMaskedLM at the same size, taking turns in one process, until each reaches 40% and 45% masked validation accuracy, and records the seconds each needed, per seed.
---

# Time to accuracy

Tokens per second say how fast a model *computes*; what a reader waiting for a model cares
about is how fast it *learns*. This benchmark measures that directly: the seconds of training
each implementation needs to reach 40% and 45% masked-character accuracy on the validation
windows, and its accuracy after 60 and 120 seconds.

Every implementation trains at the [comparison benchmark's](compare.html) reference size
(sequences of 32 characters, batches of 64, $d_\text{model} = 128$, 6 layers, 8 heads,
$d_\text{ff} = 256$, dropout 0.1) with the same data, masking, optimizer (AdamW, peak
learning rate $2 \cdot 10^{-3}$, 100 warm-up steps, a cosine over `--steps` steps down to 10%)
and seeds, using the [shared harness](training.html):

* **ours**: our model as the experiment builds it, with the defaults that the
  [ablations](ablations.html) led to (PyTorch's initialization, ReLU), the output computed
  only at the masked positions,
* **hf-bert**: Hugging Face's `BertForMaskedLM` with its `sdpa` attention,
* optionally **ours-round-1** (our model before the ablations) and **torch-encoder**.

**They take turns** in one process: every run of every seed trains a block of steps, then the
next one does, so all of them see the same machine (other work on it slows them all alike).
Validation, every `--every` steps, is not counted as training time. A run stops when it has
reached the last target *and* trained for the longest fixed time, or at `--steps`.
Seconds to a target are interpolated linearly between the validation points around it.

```bash
OMP_WAIT_POLICY=PASSIVE python bench/time_to_accuracy.py --seeds 0 1
```

(`OMP_WAIT_POLICY=PASSIVE`: on a machine that other work shares, a thread that waits for its
partner doesn't spin on a core someone else needs; the recorded run used it.)

Writes `bench/results/time_to_accuracy.json` and `.md`, with one chart per seed.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
from training import REFERENCE, Corpus, Run, configs, first_reaching, interpolate, median

TARGETS = (0.40, 0.45)
AT_SECONDS = (60, 120)

# Our model as the experiment builds it, with the defaults the [ablations](results/ablations.html)
# led to (PyTorch's initialization, ReLU), and scoring only the masked positions as the
# experiment's training step does; and round 1's model for comparison
OURS = {'options': {}, 'scored_only': True}
IMPLEMENTATIONS = {
    'ours': ('ours', OURS['options'], OURS['scored_only']),
    'ours-round-1': ('ours', {'init': 'normal', 'activation': 'gelu'}, False),
    'hf-bert': ('hf-bert', {}, False),
    'torch-encoder': ('torch-encoder', {}, False),
}
CLASSES = {'ours': 'train', 'hf-bert': 'valid', 'ours-round-1': 'third', 'torch-encoder': 'third'}


def chart(seed: int, runs) -> str:
    from site_src.chart import line_chart
    series = [(r['name'], CLASSES[r['name']], [(0, 0)] + [(p['train_seconds'], p['valid_accuracy']) for p in r['curve']])
              for r in runs]
    times = ', '.join(f"{r['name']} {fmt_s(r['seconds_to']['0.45'])} s" for r in runs)
    return line_chart(f'tta-seed{seed}', f'Masked validation accuracy against training time, seed {seed}', 'accuracy',
                      series, True, f'Validation accuracy against seconds of training, seed {seed}; seconds to '
                      f'45%: {times}.', x_label='seconds of training')


def fmt_s(v):
    return 'not reached' if v is None else f'{v:.0f}'


def main():
    parser = argparse.ArgumentParser(description='Seconds to 40% and 45% masked accuracy, ours against HF BERT.')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--implementations', nargs='+', default=['ours', 'hf-bert'])
    parser.add_argument('--steps', type=int, default=1500, help='step limit and the length of the cosine schedule')
    parser.add_argument('--every', type=int, default=50)
    parser.add_argument('--block', type=int, default=25)
    parser.add_argument('--markdown-only', action='store_true', help='rewrite the .md from the recorded .json')
    args = parser.parse_args()
    if args.markdown_only:
        write_markdown(json.loads((ROOT / 'bench/results/time_to_accuracy.json').read_text()))
        return

    corpus = Corpus()
    size = {k.replace('.', '__'): v for k, v in REFERENCE.items()}
    runs = []
    for seed in args.seeds:
        for name in args.implementations:
            implementation, options, scored_only = IMPLEMENTATIONS[name]
            values = configs(**size, steps=args.steps, valid_every=args.every, seed=seed)
            run = Run(name, corpus, values, implementation, options, scored_only)
            run.seed = seed
            runs.append(run)

    def finished(run):
        return (run.curve and run.curve[-1]['valid_accuracy'] >= max(TARGETS)
                and run.train_seconds >= max(AT_SECONDS))

    load_before = os.getloadavg()[0]
    started = time.time()
    # Turns: every run trains `block` steps, then the next; validation every `every` steps
    active = list(runs)
    while active:
        for run in list(active):
            seconds = run.train(args.block)
            if run.step % args.every == 0 or run.done:
                p = run.validate()
                print(f"seed {run.seed} {run.name:12s} step {run.step:5d} {run.train_seconds:6.1f} s "
                      f"{seconds / args.block * 1000:5.0f} ms/step valid acc {p['valid_accuracy']:.1%}", flush=True)
                if finished(run) or run.done:
                    active.remove(run)
    load_after = os.getloadavg()[0]

    results = []
    for run in runs:
        ms = median(run.step_seconds) * 1000
        results.append({
            'name': run.name, 'seed': run.seed, 'options': IMPLEMENTATIONS[run.name][1],
            'scored_only': IMPLEMENTATIONS[run.name][2], 'parameters': run.parameters,
            'ms_per_step': ms, 'tokens_per_s': run.batch_size * run.seq_len / (ms / 1000),
            'steps': run.step, 'train_seconds': run.train_seconds,
            'seconds_to': {f'{t:.2f}': first_reaching(run.curve, t) for t in TARGETS},
            'steps_to': {f'{t:.2f}': first_reaching(run.curve, t, 'step') for t in TARGETS},
            'accuracy_at': {str(t): interpolate(run.curve, 'train_seconds', t) for t in AT_SECONDS},
            'curve': run.curve})

    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    record = {'machine': machine, 'size': REFERENCE, 'steps': args.steps, 'every': args.every, 'block': args.block,
              'seeds': args.seeds, 'implementations': args.implementations,
              'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY'),
              'ours': OURS, 'load_average_before_after': [round(load_before, 2), round(load_after, 2)],
              'wall_minutes': (time.time() - started) / 60, 'results': results}
    (ROOT / 'bench/results/time_to_accuracy.json').write_text(json.dumps(record, indent=1) + '\n')
    write_markdown(record)


def write_markdown(record) -> None:
    r"""`time_to_accuracy.md` from the recorded JSON (`--markdown-only` rewrites it without training)."""
    results, seeds, names = record['results'], record['seeds'], record['implementations']
    rows = ['| seed | implementation | ms/step | tokens/s | s to 40% | s to 45% | steps to 40% | steps to 45% | '
            'acc. @60 s | acc. @120 s |', '|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        rows.append(f"| {r['seed']} | {r['name']} | {r['ms_per_step']:.0f} | {r['tokens_per_s']:,.0f} | "
                    f"{fmt_s(r['seconds_to']['0.40'])} | {fmt_s(r['seconds_to']['0.45'])} | "
                    f"{fmt_s(r['steps_to']['0.40'])} | {fmt_s(r['steps_to']['0.45'])} | "
                    + ' | '.join('—' if r['accuracy_at'][str(t)] is None else f"{r['accuracy_at'][str(t)]:.1%}"
                                 for t in AT_SECONDS) + ' |')

    # Ratios to HF, per seed: the targets are ≤ 0.7× HF's time and ≥ 1.25× its tokens/s
    ratio_rows = []
    if 'hf-bert' in names:
        ratio_rows = ['| seed | implementation | time to 40% / HF | time to 45% / HF | tokens/s / HF |',
                      '|---|---|---|---|---|']
        for seed in seeds:
            hf = next(r for r in results if r['seed'] == seed and r['name'] == 'hf-bert')
            for r in results:
                if r['seed'] != seed or r['name'] == 'hf-bert':
                    continue
                cells = []
                for t in TARGETS:
                    a, b = r['seconds_to'][f'{t:.2f}'], hf['seconds_to'][f'{t:.2f}']
                    cells.append('—' if a is None or b is None else f'{a / b:.2f}')
                ratio_rows.append(f"| {seed} | {r['name']} | {cells[0]} | {cells[1]} | "
                                  f"{r['tokens_per_s'] / hf['tokens_per_s']:.2f} |")

    ours = record['ours']
    options = ', '.join(f'`{k}={v!r}`' for k, v in ours['options'].items()) or "the experiment's defaults (PyTorch's initialization, ReLU)"
    load = record['load_average_before_after']
    charts = '\n\n'.join(chart(seed, [r for r in results if r['seed'] == seed]) for seed in seeds)
    described = [f"**ours** = our model with {options}"
                 f"{', scoring only the masked positions' if ours['scored_only'] else ''}"]
    if 'ours-round-1' in names:
        described.append('**ours-round-1** = our model before the ablations')
    (ROOT / 'bench/results/time_to_accuracy.md').write_text(
        '# Time to accuracy: ours against Hugging Face BERT\n\n'
        "Reference size (seq 32, batch 64, d_model 128, 6 layers, 8 heads, d_ff 256, dropout 0.1), AdamW "
        f"(peak 2e-3, 100 warm-up steps, cosine over {record['steps']} steps to 10%), the same data, masking and "
        f"seeds. All runs took turns in one process in blocks of {record['block']} steps ({record['machine']}; "
        f"load average {load[0]:.2f} before, {load[1]:.2f} after"
        + (", the benchmark's own: nothing else ran, so the seconds are this machine's" if load[0] < 1.5 else
           ", from other work on the machine: a busy machine, so read the ratios, not the seconds")
        + f"; {record['wall_minutes']:.0f} minutes in all; OMP_WAIT_POLICY="
        f"{record.get('omp_wait_policy')}). Seconds count "
        f"training steps only; validation every {record['every']} steps; a run stopped once it had reached 45% "
        f"and trained {max(AT_SECONDS)} s. " + '; '.join(described) + '. '
        "Written by [`bench/time_to_accuracy.py`](../time_to_accuracy.html).\n\n"
        + '\n'.join(rows) + '\n\n' + ('## Ratios to HF\n\n' + '\n'.join(ratio_rows) + '\n\n' if ratio_rows else '')
        + charts + '\n')
    print('\n'.join(rows))
    print('\n'.join(ratio_rows))


if __name__ == '__main__':
    main()
