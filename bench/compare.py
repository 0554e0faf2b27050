r"""
---
title: Benchmark - our encoder against Hugging Face's BERT and PyTorch's TransformerEncoder
summary: Trains three implementations of the same model on the same data, masking and optimizer, one process after another, and records speed, memory, FLOP utilization and masked accuracy against wall time.
---

# Side by side with the implementations people would pick instead

```bash
pip install -e ".[bench]"      # Hugging Face transformers, only for this benchmark
python bench/compare.py --data ../shared/data/tiny_shakespeare.txt
```

Three models of the *same size*, trained the *same way*:

* **ours**: [`TransformerMLM`](../transformers/mlm/model.html) with its defaults (pre-norm
  layers, `scaled_dot_product_attention`, ReLU, PyTorch's initialization, no dropout on the
  attention weights, see [attention](../transformers/mha.html)), scoring only the masked
  positions as the experiment's step does; and **ours+attention-dropout** with BERT's 0.1 on
  the attention weights;
* **hf-bert**: Hugging Face's `BertForMaskedLM` with its `sdpa` attention, configured to the
  same dimensions (post-norm, as BERT is, and with its tied output layer);
* **torch-encoder**: `torch.nn.TransformerEncoder` with pre-norm layers, our embeddings and
  output projection around it.

The size is the reference recipe's: sequences of 32 characters, batches of 64,
$d_\text{model} = 128$, 6 layers, 8 heads, $d_\text{ff} = 256$, dropout 0.1. All of them train
through the [experiment's own training step](training.html): the data, the
[masking](../transformers/mlm/index.html), AdamW (weight decay on the matrices only) and its
schedule and all seeds are the experiment's; each model only computes the logits.

Each implementation runs in **its own process**, one after another, so that its peak memory
is its own. Each process first measures the machine's peak matrix-multiply speed (a large
fp32 matmul), then counts the FLOPs of one training step with `torch.utils.flop_counter`,
warms up, and trains, timing only the training steps. *Model FLOPs utilization* (MFU) is the
counted FLOPs per second over that peak. Masked-token accuracy on a fixed validation set is
measured along the way and plotted against training time.

The machine's speed drifts by about ±15% from run to run, so compare the ratios within one
run of this script, not numbers from different runs.
"""

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from training import REFERENCE, ROUND_3_CONFIGS, Corpus, Run, configs

ROOT = Path(__file__).resolve().parent.parent
# The reference recipe's size, in the experiment's config names (shared with the other benchmarks)
SIZE = REFERENCE
# `name: (implementation, our model's options)`
IMPLEMENTATIONS = {'ours': ('ours', {}),
                   # Ours drops no attention weights by default; this variant adds BERT's 0.1 to show the cost
                   'ours+attention-dropout': ('ours', {'attention_dropout': REFERENCE['model.dropout']}),
                   'hf-bert': ('hf-bert', {}),
                   'torch-encoder': ('torch-encoder', {})}


def peak_matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    r"""The best of several large fp32 matrix multiplies: the machine's practical peak."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def worker(name: str, data: str, steps: int, every: int) -> dict:
    r"""Trains one implementation through the experiment's own training step and returns its measurements."""
    peak = peak_matmul_gflops()
    implementation, options = IMPLEMENTATIONS[name]
    run = Run(name, Corpus(data), configs(**ROUND_3_CONFIGS, **{k.replace('.', '__'): v for k, v in SIZE.items()},
                                             steps=steps),
              implementation, options)
    # FLOPs of one training step (forward and backward: the optimizer's update is not a matrix
    # multiply and is not counted), counted on the first step, which is also the first warm-up step
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        run.train(1)
    flops_per_step = counter.get_total_flops()
    # Warm-up steps are part of training (the schedule counts them) but not of the timing
    warmup = 10
    run.train(warmup - 1)
    run.step_seconds.clear()
    trained_before = run.train_seconds
    while not run.done:
        run.train(min(every - run.step % every, steps - run.step))
        point = run.validate()
        point['train_seconds'] = round(run.train_seconds - trained_before, 3)
    curve = [{'step': p['step'], 'train_seconds': p['train_seconds'], 'valid_accuracy': p['valid_accuracy']}
             for p in run.curve]
    ms = statistics.median(run.step_seconds) * 1000
    tokens = SIZE['batch_size'] * SIZE['seq_len']
    return {'name': name, 'ms_per_step': ms, 'tokens_per_s': tokens / (ms / 1000),
            'flops_per_step': flops_per_step, 'peak_gflops': peak,
            'mfu': flops_per_step / (ms / 1000) / (peak * 1e9),
            'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'parameters': run.parameters,
            'curve': curve, 'final_valid_accuracy': curve[-1]['valid_accuracy'],
            'torch': torch.__version__, 'threads': torch.get_num_threads()}


def chart(results: list) -> str:
    r"""Validation accuracy against training seconds, one line per implementation."""
    from site_src.chart import line_chart
    classes = {'ours': 'train', 'hf-bert': 'valid', 'torch-encoder': 'third'}
    series = [(r['name'], classes[r['name']], [(p['train_seconds'], p['valid_accuracy']) for p in r['curve']])
              for r in results if r['name'] in classes]
    best = max(results, key=lambda r: r['final_valid_accuracy'])
    return line_chart('compare', 'Masked-token validation accuracy against training time', 'accuracy',
                      series, True, f"Validation accuracy of each implementation against seconds of training; "
                      f"highest at the end: {best['name']} with {best['final_valid_accuracy']:.1%}.",
                      x_label='seconds of training')


def main():
    parser = argparse.ArgumentParser(description='Benchmark our MLM against Hugging Face BERT and nn.TransformerEncoder.')
    parser.add_argument('--data', required=True)
    parser.add_argument('--steps', type=int, default=400)
    parser.add_argument('--every', type=int, default=50)
    parser.add_argument('--worker', choices=list(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.steps, args.every)))
        return

    results = []
    for name in IMPLEMENTATIONS:
        out = subprocess.run([sys.executable, __file__, '--worker', name, '--data', args.data,
                              '--steps', str(args.steps), '--every', str(args.every)],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{name:14s} {r['ms_per_step']:6.0f} ms/step {r['tokens_per_s']:7.0f} tokens/s "
              f"MFU {r['mfu']:.1%} peak RSS {r['peak_rss_mb']:.0f} MB accuracy {r['final_valid_accuracy']:.1%}",
              flush=True)
    by_name = {r['name']: r for r in results}
    hf = by_name['hf-bert']['tokens_per_s']
    rows = ['| implementation | ms/step | tokens/s | × HF | MFU | peak RSS (MB) | parameters | '
            f'valid acc. after {args.steps} steps |', '|---|---|---|---|---|---|---|---|']
    for r in results:
        rows.append(f"| {r['name']} | {r['ms_per_step']:.0f} | {r['tokens_per_s']:,.0f} | "
                    f"{r['tokens_per_s'] / hf:.2f} | {r['mfu']:.1%} | {r['peak_rss_mb']:.0f} | "
                    f"{r['parameters']:,} | {r['final_valid_accuracy']:.1%} |")
    s = SIZE
    record = {'size': SIZE, 'steps': args.steps, 'results': results}
    (ROOT / 'bench/results/compare.json').write_text(json.dumps(record, indent=1) + '\n')
    (ROOT / 'bench/results/compare.md').write_text(
        '# Our MLM against Hugging Face BERT and nn.TransformerEncoder\n\n'
        f"Same data, masking, optimizer and size (seq {s['seq_len']}, batch {s['batch_size']}, "
        f"d_model {s['model.d_model']}, {s['model.n_layers']} layers, {s['model.n_heads']} heads, "
        f"d_ff {s['model.d_ff']}, dropout {s['model.dropout']}), all trained by the experiment's own "
        f"training step; each in its own process, one after another, on "
        f"{results[0]['threads']} threads with torch {results[0]['torch']}; peak fp32 matmul "
        f"{statistics.median(r['peak_gflops'] for r in results):.0f} GFLOP/s. "
        f"Written by [`bench/compare.py`](../compare.html).\n\n" + '\n'.join(rows) + '\n\n' + chart(results) + '\n')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
