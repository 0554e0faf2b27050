r"""
---
title: Benchmark - can the model see positions?
summary: Trains the same model with our embeddings, with the reference's scaled embeddings plus sinusoids, and with no positions at all, and records masked accuracy against steps.
---

# Why the reference recipe plateaus: a measurement

The [embeddings page](../transformers/embeddings.html) argues that multiplying
$\mathcal{N}(0, 1)$ token embeddings by $\sqrt{d_\text{model}}$ drowns the positional
encodings, and that a masked language model that can't see positions is stuck near the
character frequencies. This script tests the argument. It trains the experiment's default
model three times, everything equal (data, masking, optimizer, schedule, seeds) except the
embedding:

* **learned** — ours: token and position tables both $\mathcal{N}(0, 0.02^2)$,
* **scaled+sinusoidal** — the reference's: $\sqrt{d_\text{model}}\, E[x_i] + \mathrm{PE}(i)$
  with $E \sim \mathcal{N}(0, 1)$,
* **no positions** — token embeddings only: a bag of characters, the floor.

Masked-character accuracy is measured against *steps*, not seconds, so other work on the
machine can't change the result. The runs go through [the harness](training.html), which
trains with the experiment's own step and times it as every benchmark does. Writes `bench/results/positions.json` and `bench/results/positions.md`.

```bash
python bench/positions.py --data ../shared/data/tiny_shakespeare.txt --steps 1000
```
"""

import argparse
import json
import math
from pathlib import Path

import torch
from torch import nn

from labml_nn.transformers.embeddings import Embeddings
from labml_nn.transformers.mlm.model import TransformerMLM
from training import ROOT, ROUND_3_CONFIGS, Corpus, Run, configs


class ScaledSinusoidal(nn.Module):
    r"""The reference's scheme: $\sqrt{d}\,E[x_i]$ with PyTorch's default $\mathcal{N}(0,1)$ init, plus fixed sinusoids."""

    def __init__(self, n_tokens, d_model, max_len, dropout):
        super().__init__()
        self.tokens = nn.Embedding(n_tokens, d_model)  # default init: N(0, 1)
        self.d_model = d_model
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len)[:, None]
        frequency = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * frequency)
        table[:, 1::2] = torch.cos(position * frequency)
        self.register_buffer('sinusoids', table)

    def forward(self, x):
        return self.dropout(self.tokens(x) * math.sqrt(self.d_model) + self.sinusoids[:x.shape[1]])


class NoPositions(nn.Module):
    r"""Token embeddings alone: the model sees a bag of characters."""

    def __init__(self, n_tokens, d_model, max_len, dropout):
        super().__init__()
        self.tokens = nn.Embedding(n_tokens, d_model)
        nn.init.normal_(self.tokens.weight, std=0.02)
        self.max_len = max_len
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.tokens(x))


VARIANTS = {'learned': Embeddings, 'scaled+sinusoidal': ScaledSinusoidal,
            'no positions': NoPositions}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('---')[1].strip())
    parser.add_argument('--data', required=True)
    parser.add_argument('--steps', type=int, default=1000)
    parser.add_argument('--every', type=int, default=100)
    parser.add_argument('--out', default=str(ROOT / 'bench/results'),
                        help='folder for positions.json and .md (a trial run writes elsewhere)')
    args = parser.parse_args()
    out = Path(args.out)

    corpus = Corpus(args.data)
    values = configs(**ROUND_3_CONFIGS, steps=args.steps)
    results = {}
    for name, variant in VARIANTS.items():
        # The same model with another embedding module, built by the trainer from the same seed
        def make_model(c, n_tokens, max_len, variant=variant):
            embeddings = variant(n_tokens, c.d_model, max_len, c.dropout)
            return TransformerMLM.from_configs(c, n_tokens, max_len, embeddings=embeddings)
        run = Run(name, corpus, values, make_model=make_model)
        while not run.done:
            run.train(args.every)
            p = run.validate()
            print(f"{name:18s} step {p['step']:5d}  valid loss {p['valid_loss']:.3f}  "
                  f"accuracy {p['valid_accuracy']:.1%}", flush=True)
        # Seconds of training steps only, as every benchmark counts them (validation is not timed)
        results[name] = {'curve': run.curve, 'train_seconds': run.train_seconds}

    record = {'steps': args.steps, 'config': values, 'data': args.data, 'variants': results,
              'torch': torch.__version__, 'threads': torch.get_num_threads()}
    (out / 'positions.json').write_text(json.dumps(record, indent=1) + '\n')
    rows = ['| step | ' + ' | '.join(results) + ' |', '|---|' + '---|' * len(results)]
    for i, point in enumerate(results['learned']['curve']):
        rows.append(f"| {point['step']} | " + ' | '.join(
            f"{results[n]['curve'][i]['valid_accuracy']:.1%}" for n in results) + ' |')
    (out / 'positions.md').write_text(
        '# Masked-character validation accuracy by embedding scheme\n\n'
        f'The experiment\'s configs with the round-3 recipe (`ROUND_3_CONFIGS` of the [harness](../training.html)), '
        f'{args.steps} steps, Tiny Shakespeare.\n\n' + '\n'.join(rows) + '\n')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
