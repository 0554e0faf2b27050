r"""
---
title: Benchmark - what dropout costs per step on a CPU
summary: Times training steps of the default model with dropout 0 and 0.1, alternating in one process, and records the ratio.
---

# The cost of dropout on a CPU

The experiment trains without dropout by default, because on a CPU drawing dropout's random
numbers is a large part of a step. This script measures how large: it builds the default
model twice (dropout 0 and 0.1), warms both up, then times them in alternating blocks so that
any change in the machine's load hits both alike, and reports the median milliseconds per step
and their ratio. Writes `bench/results/dropout_cost.md` and `.json`.

```bash
python bench/dropout_cost.py --data ../shared/data/tiny_shakespeare.txt
```
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from labml_nn.transformers.mlm.data import CharVocabulary, load_corpus
from labml_nn.transformers.mlm.experiment import Trainer, config_table

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description='Time training steps with and without dropout.')
    parser.add_argument('--data', required=True)
    parser.add_argument('--blocks', type=int, default=6)
    parser.add_argument('--steps-per-block', type=int, default=20)
    args = parser.parse_args()

    text, _ = load_corpus(args.data)
    vocabulary = CharVocabulary.from_text(text)
    defaults = {key: default for key, (_, default, _) in config_table().items()}
    trainers = {p: Trainer({**defaults, 'model.dropout': p}, text, vocabulary, torch.device('cpu'), None)
                for p in (0.0, 0.1)}
    for trainer in trainers.values():  # warm-up: first steps allocate and tune kernels
        for _ in range(5):
            trainer.train_step()
    times = {p: [] for p in trainers}
    for _ in range(args.blocks):
        for p, trainer in trainers.items():
            start = time.perf_counter()
            for _ in range(args.steps_per_block):
                trainer.train_step()
            times[p].append((time.perf_counter() - start) / args.steps_per_block * 1000)
    median = {p: statistics.median(t) for p, t in times.items()}
    ratio = median[0.1] / median[0.0]
    record = {'ms_per_step': {str(p): m for p, m in median.items()}, 'ratio_dropout_to_none': ratio,
              'blocks_ms': {str(p): t for p, t in times.items()}, 'torch': torch.__version__,
              'threads': torch.get_num_threads()}
    (ROOT / 'bench/results/dropout_cost.json').write_text(json.dumps(record, indent=1) + '\n')
    (ROOT / 'bench/results/dropout_cost.md').write_text(
        '# Dropout cost per training step (default model, CPU)\n\n'
        f'| dropout | ms/step (median of {args.blocks} blocks) |\n|---|---|\n'
        f'| 0.0 | {median[0.0]:.0f} |\n| 0.1 | {median[0.1]:.0f} |\n\n'
        f'Dropout 0.1 makes a step {ratio:.2f}× as long; torch {torch.__version__}, '
        f'{torch.get_num_threads()} threads.\n')
    print(f"dropout 0: {median[0.0]:.0f} ms/step, dropout 0.1: {median[0.1]:.0f} ms/step, ratio {ratio:.2f}")


if __name__ == '__main__':
    main()
