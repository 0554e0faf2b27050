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
$d_\text{model} = 128$, 6 layers, 8 heads, $d_\text{ff} = 256$, dropout 0.1. The data, the
[masking](../transformers/mlm/index.html), AdamW and its schedule and all seeds are shared.

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
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labml_nn.transformers.mlm import MLM  # noqa: E402
from labml_nn.transformers.mlm.data import CharVocabulary, load_corpus, random_windows, split  # noqa: E402
from labml_nn.transformers.mlm.experiment import Configs, learning_rate  # noqa: E402
from labml_nn.transformers.mlm.model import TransformerMLM, masked_loss_and_accuracy  # noqa: E402

SIZE = dict(seq_len=32, batch_size=64, d_model=128, n_layers=6, n_heads=8, d_ff=256, dropout=0.1)
IMPLEMENTATIONS = ('ours', 'ours+attention-dropout', 'hf-bert', 'torch-encoder')


class TorchEncoderMLM(nn.Module):
    r"""`nn.TransformerEncoder` (pre-norm, GELU) between our embeddings and output projection."""

    def __init__(self, n_tokens, seq_len, d_model, n_layers, n_heads, d_ff, dropout):
        super().__init__()
        ours = TransformerMLM(n_tokens=n_tokens, max_len=seq_len, d_model=d_model, n_layers=1,
                              n_heads=n_heads, d_ff=d_ff, dropout=dropout)
        self.embeddings, self.output = ours.embeddings, ours.output
        layer = nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout, activation='gelu',
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)

    def forward(self, x):
        return self.output(self.encoder(self.embeddings(x)))


def build(name: str, n_tokens: int) -> nn.Module:
    s = SIZE
    if name in ('ours', 'ours+attention-dropout'):
        # Ours drops no attention weights by default; the variant adds BERT's 0.1 to show the cost
        return TransformerMLM(n_tokens=n_tokens, max_len=s['seq_len'], d_model=s['d_model'],
                              n_layers=s['n_layers'], n_heads=s['n_heads'], d_ff=s['d_ff'], dropout=s['dropout'],
                              attention_dropout=s['dropout'] if name == 'ours+attention-dropout' else 0.0)
    if name == 'torch-encoder':
        return TorchEncoderMLM(n_tokens, s['seq_len'], s['d_model'], s['n_layers'], s['n_heads'], s['d_ff'],
                               s['dropout'])
    if name == 'hf-bert':
        from transformers import BertConfig, BertForMaskedLM
        config = BertConfig(vocab_size=n_tokens, hidden_size=s['d_model'], num_hidden_layers=s['n_layers'],
                            num_attention_heads=s['n_heads'], intermediate_size=s['d_ff'],
                            max_position_embeddings=s['seq_len'], type_vocab_size=1, pad_token_id=0,
                            hidden_dropout_prob=s['dropout'], attention_probs_dropout_prob=s['dropout'],
                            attn_implementation='sdpa')
        model = BertForMaskedLM(config)

        class Logits(nn.Module):
            # Same interface as the others: ids in, logits out
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, x):
                return self.bert(input_ids=x).logits
        return Logits(model)
    raise ValueError(name)


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
    r"""Trains one implementation and returns its measurements."""
    peak = peak_matmul_gflops()
    text, _ = load_corpus(data)
    vocabulary = CharVocabulary.from_text(text)
    train_ids, valid_ids = split(vocabulary.encode(text), 0.1)
    c = Configs(steps=steps, seq_len=SIZE['seq_len'], batch_size=SIZE['batch_size'])
    masking = MLM.from_configs(c.masking, vocabulary)
    torch.manual_seed(0)
    model = build(name, len(vocabulary))
    optimizer = torch.optim.AdamW(model.parameters(), lr=c.learning_rate, betas=(0.9, 0.98),
                                  eps=1e-9, weight_decay=c.weight_decay, fused=True)
    data_generator = torch.Generator().manual_seed(1)
    mask_generator = torch.Generator().manual_seed(2)
    valid_generator = torch.Generator().manual_seed(3)
    valid_inputs, valid_labels = masking(random_windows(valid_ids, 512, SIZE['seq_len'], valid_generator),
                                         generator=valid_generator)

    def forward_loss(masked, labels):
        model.train()
        if name.startswith('ours'):
            # Ours scores only the masked positions, as the experiment's training step does
            target = labels != vocabulary.padding_token
            return masked_loss_and_accuracy(model(masked, positions=target), labels[target],
                                            vocabulary.padding_token)[0]
        return masked_loss_and_accuracy(model(masked), labels, vocabulary.padding_token)[0]

    def step(i):
        for group in optimizer.param_groups:
            group['lr'] = learning_rate(c, i)
        masked, labels = masking(random_windows(train_ids, SIZE['batch_size'], SIZE['seq_len'], data_generator),
                                 generator=mask_generator)
        loss = forward_loss(masked, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
        optimizer.step()

    @torch.no_grad()
    def validate():
        model.eval()
        correct = total = 0
        for i in range(0, len(valid_inputs), 64):
            _, c, t = masked_loss_and_accuracy(model(valid_inputs[i:i + 64]), valid_labels[i:i + 64], 0)
            correct, total = correct + int(c), total + int(t)
        return correct / total

    # FLOPs of one training step (forward and backward), counted on a copy of the batch shape
    from torch.utils.flop_counter import FlopCounterMode
    x = torch.randint(2, len(vocabulary), (SIZE['batch_size'], SIZE['seq_len']))
    x_masked, x_labels = masking(x, generator=torch.Generator().manual_seed(4))
    with FlopCounterMode(display=False) as counter:
        forward_loss(x_masked, x_labels).backward()
    optimizer.zero_grad(set_to_none=True)
    flops_per_step = counter.get_total_flops()

    # Warm-up steps are part of training (the schedule counts them) but not of the timing
    warmup = 10
    for i in range(warmup):
        step(i)
    curve, block_times, trained = [], [], 0.0
    for i in range(warmup, steps):
        start = time.perf_counter()
        step(i)
        elapsed = time.perf_counter() - start
        trained += elapsed
        block_times.append(elapsed)
        if (i + 1) % every == 0 or i + 1 == steps:
            curve.append({'step': i + 1, 'train_seconds': trained, 'valid_accuracy': validate()})
    ms = statistics.median(block_times) * 1000
    tokens = SIZE['batch_size'] * SIZE['seq_len']
    return {'name': name, 'ms_per_step': ms, 'tokens_per_s': tokens / (ms / 1000),
            'flops_per_step': flops_per_step, 'peak_gflops': peak,
            'mfu': flops_per_step / (ms / 1000) / (peak * 1e9),
            'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            'parameters': sum(p.numel() for p in model.parameters()),
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
    parser.add_argument('--worker', choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
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
        f"d_model {s['d_model']}, {s['n_layers']} layers, {s['n_heads']} heads, d_ff {s['d_ff']}, "
        f"dropout {s['dropout']}); each in its own process, one after another, on "
        f"{results[0]['threads']} threads with torch {results[0]['torch']}; peak fp32 matmul "
        f"{statistics.median(r['peak_gflops'] for r in results):.0f} GFLOP/s. "
        f"Written by [`bench/compare.py`](../compare.html).\n\n" + '\n'.join(rows) + '\n\n' + chart(results) + '\n')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
