r"""
---
title: Benchmark - what dropout costs per step on a CPU
summary: Times training steps of the default model without dropout, with PyTorch's dropout and with ours, alternating in one process, and records the ratios.
---

# The cost of dropout on a CPU

The experiment trains without dropout by default, because on a CPU drawing dropout's random
numbers is a large part of a step. This script measures how large: it builds the default
model three times (no dropout; dropout 0.1 with PyTorch's `nn.Dropout`; dropout 0.1 with
[our cheaper dropout](../transformers/dropout.html)), warms them up, then times them in
alternating blocks so that any change in the machine's load hits all alike, and reports the
median milliseconds per step and the ratios. Writes `bench/results/dropout_cost.md` and `.json`.

```bash
python bench/dropout_cost.py --data ../shared/data/tiny_shakespeare.txt
```

The steps are timed by [the harness's](training.html) timed loop, as in every benchmark.
"""

import argparse
import json
import statistics
from pathlib import Path

import torch
from torch import nn

from labml_nn.transformers.mlm.data import load_corpus
from labml_nn.transformers.mlm.experiment import Configs, Trainer
from labml_nn.helpers import cli
from labml_nn.transformers.mlm.model import TransformerMLM
from training import ROOT, ROUND_3_CONFIGS, configs, timed_steps


def main():
    parser = argparse.ArgumentParser(description='Time training steps with and without dropout.')
    parser.add_argument('--data', required=True)
    parser.add_argument('--blocks', type=int, default=6)
    parser.add_argument('--steps-per-block', type=int, default=20)
    parser.add_argument('--out', default=str(ROOT / 'bench/results'),
                        help='folder for dropout_cost.json and .md (a trial run writes elsewhere)')
    args = parser.parse_args()
    out = Path(args.out)

    text, _ = load_corpus(args.data)

    def build(dropout: float, make_dropout=None) -> Trainer:
        c = cli.build(Configs, configs(**ROUND_3_CONFIGS, model__dropout=dropout))
        # The model takes the factory of its dropout modules: PyTorch's `nn.Dropout` for one variant
        parts = {'make_dropout': make_dropout} if make_dropout else {}
        return Trainer(c, text, torch.device('cpu'),
                       make_model=lambda configs, n_tokens, max_len: TransformerMLM.from_configs(configs, n_tokens,
                                                                                              max_len, **parts))

    trainers = {'none': build(0.0), 'torch nn.Dropout 0.1': build(0.1, nn.Dropout), 'ours 0.1': build(0.1)}
    for trainer in trainers.values():  # warm-up: first steps allocate and tune kernels
        for _ in range(5):
            trainer.train_step()
    times = {name: [] for name in trainers}
    for _ in range(args.blocks):
        for name, trainer in trainers.items():
            times[name].append(sum(timed_steps(trainer, args.steps_per_block)) / args.steps_per_block * 1000)
    median = {name: statistics.median(t) for name, t in times.items()}
    ratios = {name: m / median['none'] for name, m in median.items()}
    record = {'ms_per_step': median, 'ratio_to_no_dropout': ratios, 'blocks_ms': times,
              'torch': torch.__version__, 'threads': torch.get_num_threads()}
    (out / 'dropout_cost.json').write_text(json.dumps(record, indent=1) + '\n')
    rows = '\n'.join(f'| {name} | {median[name]:.0f} | {ratios[name]:.2f}× |' for name in trainers)
    (out / 'dropout_cost.md').write_text(
        '# Dropout cost per training step (the round-3 model and recipe, CPU)\n\n'
        f'Median of {args.blocks} alternating blocks of {args.steps_per_block} steps; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads. Written by [`bench/dropout_cost.py`](../dropout_cost.html).\n\n'
        f'| dropout | ms/step | × no dropout |\n|---|---|---|\n{rows}\n')
    print(rows)


if __name__ == '__main__':
    main()
