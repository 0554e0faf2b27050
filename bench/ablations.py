r"""
---
title: Benchmark - ablations, one change at a time
summary: Which of the ways Hugging Face's BERT differs from our model are worth what, and which training choices help, measured as masked accuracy per step and per second at the reference size.
---

# Ablations: one change at a time

Hugging Face's `BertForMaskedLM` learns more per step than our model at the
[comparison benchmark's](compare.html) size, but it is slower per step. This script finds out
which difference is worth what. Every variant is **our model with one change**, trained with
the [shared harness](training.html) at the reference size (sequences of 32 characters,
batches of 64, $d_\text{model} = 128$, 6 layers, 8 heads, $d_\text{ff} = 256$, dropout 0.1)
for 1,000 steps with the experiment's optimizer and schedule (AdamW, peak learning rate
$2 \cdot 10^{-3}$, 100 warm-up steps, cosine to 10%).

Two measurements per variant, taken separately because they have different enemies:

* **Accuracy per step** is deterministic: on one machine, the same seed gives the same curve
  whatever the load. Curves are computed one variant after another (several processes at once, one thread
  each, to use both cores), validating every 100 steps.
* **Time per step** depends on what else the machine is doing. All variants are timed in
  one process, taking turns in blocks of steps, so they share the machine's ups and downs;
  their *ratios* to the baseline are what to read.

**Accuracy at a fixed time** combines the two: the accuracy curve read at the step that the
variant reaches after that many seconds at its measured speed.

```bash
python bench/ablations.py curves --seed 0 --variants baseline tie_embeddings   # cached per seed
OMP_WAIT_POLICY=PASSIVE python bench/ablations.py timing --rounds 4 --block 15 # interleaved
python bench/ablations.py report                                               # ablations.json and .md
```

(The recorded table: seeds 0 and 1 for the baseline and PyTorch's initialization, seed 0 for
the rest; timing with the variants that have curves. Runs stopped part-way are read back
from their progress logs with `report --stopped label=log`.)
"""

import argparse
import json
import os
import platform
import statistics
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
from training import REFERENCE, ROUND_1_CONFIGS, ROUND_3_CONFIGS, Corpus, Run, configs, first_reaching, interpolate

CACHE = ROOT / 'bench/results/tmp/ablations'
STEPS = 1000
EVERY = 100


def ref(**overrides):
    r"""The reference size and schedule with `overrides` (dotted names as `model__x`)."""
    values = {k.replace('.', '__'): v for k, v in REFERENCE.items()}
    # The ablations change round 1's model one thing at a time
    values.update(ROUND_1_CONFIGS)
    values.update(steps=STEPS, valid_every=EVERY, sample_every=0)
    values.update(overrides)
    return values


# ## The variants
#
# `name: (what it is, config overrides, model options, scored_only, implementation)`. The
# first group are BERT's differences, the second training choices, the last the
# combination of the winners.
VARIANTS = {
    'baseline': ('our model as it is', ref(), {}, False, 'ours'),
    'tie_embeddings': ('output matrix tied to the token embeddings', ref(), {'tie_embeddings': True}, False, 'ours'),
    'head_transform': ('dense → GELU → LayerNorm before the output', ref(), {'head_transform': True}, False, 'ours'),
    'bert_head': ('both: BERT\'s MLM head', ref(), {'tie_embeddings': True, 'head_transform': True}, False, 'ours'),
    'embedding_norm': ('LayerNorm on the embeddings', ref(), {'embedding_norm': True}, False, 'ours'),
    'relu': ('ReLU instead of GELU', ref(), {'activation': 'relu'}, False, 'ours'),
    'post_norm': ('post-norm layers', ref(), {'post_norm': True}, False, 'ours'),
    'post_norm_embedding_norm': ('post-norm and the embedding norm (BERT\'s layers)', ref(),
                                 {'post_norm': True, 'embedding_norm': True}, False, 'ours'),
    'attention_dropout': ('BERT\'s dropout 0.1 on attention weights', ref(model__attention_dropout=0.1), {},
                          False, 'ours'),
    'init_torch': ('PyTorch\'s default initialization', ref(), {'init': 'torch'}, False, 'ours'),
    'init_scaled': ('residual projections scaled by 1/√(2 layers)', ref(), {'init': 'scaled'}, False, 'ours'),
    'scored_only': ('last FFN and head at masked positions only', ref(), {}, True, 'ours'),
    'lr_1e-3': ('peak learning rate 1e-3', ref(learning_rate=1e-3), {}, False, 'ours'),
    'lr_4e-3': ('peak learning rate 4e-3', ref(learning_rate=4e-3), {}, False, 'ours'),
    'warmup_300': ('300 warm-up steps', ref(warmup_steps=300), {}, False, 'ours'),
    'batch_32': ('batch 32, 2,000 steps (same tokens)', ref(batch_size=32, steps=2 * STEPS, valid_every=2 * EVERY),
                 {}, False, 'ours'),
    'batch_128': ('batch 128, 500 steps (same tokens)', ref(batch_size=128, steps=STEPS // 2, valid_every=EVERY // 2),
                  {}, False, 'ours'),
    'curriculum': ('curriculum 8 → 16 → 32 over 300 steps', ref(curriculum_steps=300, curriculum_start_len=8),
                   {}, False, 'ours'),
    'dropout_0': ('no dropout (outside the reference size)', ref(model__dropout=0.0), {}, False, 'ours'),
    'hf-bert': ('Hugging Face BertForMaskedLM (reference)', ref(), {}, False, 'hf-bert'),
}
# Pairs that the screening suggested, and the combination of the winners
COMBINATIONS = {
    'tie_scaled': ('tied embeddings + scaled init', ref(), {'tie_embeddings': True, 'init': 'scaled'}, False, 'ours'),
    'tie_norm': ('tied embeddings + embedding norm', ref(), {'tie_embeddings': True, 'embedding_norm': True},
                 False, 'ours'),
    'bert_head_embedding_norm': ('BERT\'s MLM head + embedding norm', ref(),
                                 {'tie_embeddings': True, 'head_transform': True, 'embedding_norm': True}, False,
                                 'ours'),
    'winners': ('PyTorch init + scoring only masked positions', ref(), {'init': 'torch'}, True, 'ours'),
    # What was adopted (the experiment's defaults since), and the training choice that helped
    # round 1's model most, tried again on top of it
    'defaults': ('the adopted defaults: PyTorch init, ReLU, scoring only masked positions', ref(),
                 {'init': 'torch', 'activation': 'relu'}, True, 'ours'),
    'defaults_warmup_300': ('the adopted defaults + 300 warm-up steps', ref(warmup_steps=300),
                            {'init': 'torch', 'activation': 'relu'}, True, 'ours'),
}


# Scoring only the masked positions computes the same function (a test checks it), so where there
# was no time to train a variant that adds only that, its accuracy per step is read from the
# variant without it; its speed is always its own. The table marks such rows.
CURVES_FROM = {'scored_only': 'baseline', 'winners': 'init_torch'}


def all_variants():
    return {**VARIANTS, **COMBINATIONS}


def make_run(name: str, seed: int, corpus: Corpus) -> Run:
    description, overrides, options, scored_only, implementation = all_variants()[name]
    return Run(name, corpus, configs(**{**ROUND_3_CONFIGS, **overrides}, seed=seed), implementation, options, scored_only)


def tokens_per_step(name: str) -> int:
    overrides = all_variants()[name][1]
    return overrides['batch_size'] * overrides['seq_len']


def curves(seed: int, names, threads: int) -> None:
    r"""Accuracy curves of `names` with `seed`, one after another, cached in `CACHE`."""
    torch.set_num_threads(threads)
    corpus = Corpus()
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = CACHE / f'{name}.seed{seed}.json'
        if path.exists():
            continue
        run = make_run(name, seed, corpus)
        every = run.values['valid_every']
        while not run.done:
            run.train(every)
            p = run.validate()
            print(f"{name:26s} seed {seed} step {run.step:5d} valid acc {p['valid_accuracy']:.1%}", flush=True)
        path.write_text(json.dumps({'name': name, 'seed': seed, 'threads': threads,
                                    'parameters': run.parameters, 'curve': run.curve}) + '\n')


def timing(names, rounds: int, block: int) -> None:
    r"""ms/step of every variant, taking turns in blocks of `block` steps for `rounds` rounds."""
    corpus = Corpus()
    runs = [make_run(name, 0, corpus) for name in names]
    load_before = os.getloadavg()[0]
    for run in runs:
        run.train(10)  # warm-up: first steps allocate memory and pick kernels
        run.step_seconds.clear()
    for _ in range(rounds):
        for run in runs:
            run.train(block)
    load_after = os.getloadavg()[0]
    result = {'threads': torch.get_num_threads(), 'rounds': rounds, 'block': block,
              'load_average_before_after': [round(load_before, 2), round(load_after, 2)],
              'ms_per_step': {run.name: statistics.median(run.step_seconds) * 1000 for run in runs}}
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / 'timing.json').write_text(json.dumps(result, indent=1) + '\n')
    for name, ms in result['ms_per_step'].items():
        print(f"{name:26s} {ms:6.1f} ms/step")


def stream_scales(names=('baseline', 'embedding_norm', 'init_scaled', 'init_torch', 'post_norm')):
    r"""
    ## The residual stream at initialization

    The standard deviation of the embeddings, of what each layer's attention and feed-forward
    branch adds, and of the stream after the last layer, for a batch of random characters (eval
    mode, seed 0). It shows how much of the stream is the input's own signal when training starts.
    """
    from labml_nn.transformers.mlm.model import TransformerMLM
    rows = []
    for name in names:
        _, overrides, options, _, _ = VARIANTS[name]
        torch.manual_seed(0)
        model = TransformerMLM(n_tokens=67, max_len=32, d_model=128, n_layers=6, n_heads=8, d_ff=256, dropout=0.1,
                               **options).eval()
        x = torch.randint(2, 67, (64, 32), generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            h = model.embeddings(x)
            embeddings, attention, ff = float(h.std()), [], []
            # The first layer's attention scores $q \cdot k / \sqrt{d_k}$, and how far its weights are
            # from a plain average (the largest weight of each row; uniform is 1/32)
            first = model.encoder.layers[0]
            a_in = h if first.post_norm else first.norm_attention(h)
            q, k, _ = first.attention.qkv(a_in).split(128, dim=-1)
            q, k = (t.view(64, 32, 8, 16).transpose(1, 2) for t in (q, k))
            scores = q @ k.transpose(-2, -1) / 4  # [64, 8, 32, 32]
            score_std = float(scores.std())
            top_weight = float(scores.softmax(-1).max(-1).values.mean())
            for layer in model.encoder.layers:
                if layer.post_norm:
                    a = layer.attention(h)
                    h = layer.norm_attention(h + a)
                    f = layer.feed_forward(h)
                    h = layer.norm_ff(h + f)
                else:
                    a = layer.attention(layer.norm_attention(h))
                    h = h + a
                    f = layer.feed_forward(layer.norm_ff(h))
                    h = h + f
                attention.append(float(a.std()))
                ff.append(float(f.std()))
        rows.append({'name': name, 'embeddings': embeddings, 'attention_score_std': score_std,
                     'mean_top_attention_weight': top_weight, 'attention_branches': attention,
                     'feed_forward_branches': ff, 'stream_after_last_layer': float(h.std())})
    return rows


def stopped_runs(pairs) -> list:
    r"""
    Runs stopped part-way, as `label=log` pairs: their validation points read back from the
    progress lines that `curves` prints (the label names what the run was, in case the variant's
    name has since been given to something else).
    """
    runs = []
    for pair in pairs:
        label, log = pair.split('=', 1)
        points = []
        for line in Path(log).read_text().splitlines():
            parts = line.split()
            if len(parts) == 8 and parts[1] == 'seed' and parts[3] == 'step':
                seed = int(parts[2])
                points.append({'step': int(parts[4]), 'valid_accuracy': float(parts[7].rstrip('%')) / 100})
        runs.append({'label': label, 'seed': seed, 'curve': points})
    return runs


def report(at_steps=(300, 600, 1000), at_seconds=(40, 80), targets=(0.35, 0.40), stopped=()) -> None:
    r"""Merges the cached curves and the timing into `ablations.json` and `ablations.md`."""
    timed = json.loads((CACHE / 'timing.json').read_text())
    ms = timed['ms_per_step']
    base_tokens = tokens_per_step('baseline')
    rows, record = [], []
    for name, (description, overrides, options, scored_only, implementation) in all_variants().items():
        # A variant that differs from another only in `scored_only` may borrow its accuracy curves (flagged)
        source = CURVES_FROM.get(name, name)
        seeds = sorted((json.loads(p.read_text()) for p in CACHE.glob(f'{source}.seed*.json')), key=lambda r: r['seed'])
        if not seeds or name not in ms:
            continue
        # Steps are counted in baseline steps (same tokens) for the batch-size variants
        scale = tokens_per_step(name) / base_tokens
        seconds_per_step = ms[name] / 1000
        entry = {'name': name, 'description': description, 'curves_from': source, 'overrides': overrides,
                 'options': options,
                 'scored_only': scored_only, 'implementation': implementation,
                 'ms_per_step': ms[name], 'ms_ratio': ms[name] / ms['baseline'] / scale,
                 'parameters': seeds[0]['parameters'], 'seeds': {}}
        for s in seeds:
            curve = [dict(p, equivalent_step=p['step'] * scale, seconds=p['step'] * seconds_per_step)
                     for p in s['curve']]
            entry['seeds'][s['seed']] = {
                'curve': curve,
                'at_steps': {n: interpolate(curve, 'equivalent_step', n) for n in at_steps},
                'at_seconds': {t: interpolate(curve, 'seconds', t) for t in at_seconds},
                'seconds_to': {f'{t:.2f}': first_reaching(curve, t, 'seconds') for t in targets},
            }
        record.append(entry)

    def mean(values):
        values = [v for v in values if v is not None]
        return statistics.mean(values) if values else None

    def pct(v):
        return '—' if v is None else f'{v:.1%}'

    base = next(e for e in record if e['name'] == 'baseline')

    def means(entry, key, x):
        return mean([seed[key][x] for seed in entry['seeds'].values()])

    def change(entry, key, x):
        r"""The mean over the entry's seeds of its difference from the baseline *on the same seed*."""
        diffs = [seed[key][x] - base['seeds'][k][key][x] for k, seed in entry['seeds'].items()
                 if k in base['seeds'] and seed[key][x] is not None and base['seeds'][k][key][x] is not None]
        return f' ({mean(diffs) * 100:+.1f})' if diffs else ''

    header = ('| variant | seeds | ' + ' | '.join(f'acc. @{n} steps' for n in at_steps) + ' | ms/step | × baseline | '
              + ' | '.join(f'acc. @{t} s' for t in at_seconds) + ' | '
              + ' | '.join(f's to {t:.0%}' for t in targets) + ' |')
    rows = [header, '|' + '---|' * (header.count('|') - 1)]
    for e in record:
        borrowed = f" (accuracy per step: {CURVES_FROM[e['name']]}'s curves)" if e['name'] in CURVES_FROM else ''
        cells = [f"**{e['name']}**: {e['description']}{borrowed}", ','.join(str(s) for s in e['seeds'])]
        for n in at_steps:
            cells.append(pct(means(e, 'at_steps', n)) + ('' if e is base else change(e, 'at_steps', n)))
        cells += [f"{e['ms_per_step']:.0f}", f"{e['ms_ratio']:.2f}"]
        for t in at_seconds:
            cells.append(pct(means(e, 'at_seconds', t)) + ('' if e is base else change(e, 'at_seconds', t)))
        for t in targets:
            v = means(e, 'seconds_to', f'{t:.2f}')
            cells.append('—' if v is None else f'{v:.0f}')
        rows.append('| ' + ' | '.join(cells) + ' |')
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    scales = stream_scales()
    scale_rows = ['| variant | embeddings | attention scores (layer 1) | largest attention weight (layer 1) | '
                  'attention branches | feed-forward branches | stream after layer 6 |',
                  '|---|---|---|---|---|---|---|']
    for r in scales:
        scale_rows.append(f"| {r['name']} | {r['embeddings']:.3f} | {r['attention_score_std']:.3f} | "
                          f"{r['mean_top_attention_weight']:.3f} | {min(r['attention_branches']):.3f}–"
                          f"{max(r['attention_branches']):.3f} | {min(r['feed_forward_branches']):.3f}–"
                          f"{max(r['feed_forward_branches']):.3f} | {r['stream_after_last_layer']:.3f} |")
    not_run = [name for name in all_variants() if name not in {e['name'] for e in record}]
    # Without `--stopped`, the runs stopped part-way that the last report recorded are kept
    recorded = ROOT / 'bench/results/ablations.json'
    stopped = (stopped_runs(stopped) if stopped else
               json.loads(recorded.read_text()).get('stopped', []) if recorded.is_file() else [])
    baseline_curves = {int(k): {p['step']: p['valid_accuracy'] for p in v['curve']} for k, v in base['seeds'].items()}
    stopped_rows = ['| run | seed | last step | valid acc. there | baseline there (same seed) |', '|---|---|---|---|---|']
    for r in stopped:
        last = r['curve'][-1]
        there = baseline_curves.get(r['seed'], {}).get(last['step'])
        stopped_rows.append(f"| {r['label']} | {r['seed']} | {last['step']} | {last['valid_accuracy']:.1%} | "
                            f"{pct(there)} |")
    (ROOT / 'bench/results/ablations.json').write_text(json.dumps(
        {'machine': machine, 'steps': STEPS, 'timing': timed, 'variants': record, 'stream_at_init': scales,
         'stopped': stopped}, indent=1) + '\n')
    load = timed['load_average_before_after']
    (ROOT / 'bench/results/ablations.md').write_text(
        '# Ablations: one change at a time\n\n'
        f"Our model at the reference size (seq 32, batch 64, d_model 128, 6 layers, 8 heads, d_ff 256, "
        f"dropout 0.1), {STEPS} steps of AdamW (peak 2e-3, 100 warm-up steps, cosine to 10%), one change per row. "
        "Accuracy is masked-character validation accuracy (mean over the seeds listed; in brackets the change "
        "from the baseline *on the same seeds*, in percentage points; the baseline's two seeds end 1.5 points "
        "apart, which is the noise to judge a one-seed row by). ms/step: all variants taking turns in one process "
        f"({timed['rounds']} rounds of {timed['block']} steps, median, {timed['threads']} threads, load average "
        f"{load[0]} before, {load[1]} after; {machine}). Accuracy at a fixed time is the curve read at "
        "the step reached after that many seconds at the measured speed; seconds to a target likewise. "
        "Written by [`bench/ablations.py`](../ablations.html).\n\n" + '\n'.join(rows) + '\n\n'
        '## The residual stream at initialization\n\n'
        'Standard deviation of the embeddings, of the first layer\'s attention scores and the mean of its '
        'largest attention weight per query (a plain average over 32 positions gives 0.031), of what each '
        'attention and feed-forward branch adds (range over the 6 layers), and of the stream after the last '
        'layer; random characters, eval mode, seed 0.\n\n'
        + '\n'.join(scale_rows) + '\n'
        + ('\n## Stopped part-way\n\nRuns stopped before step 1,000 to free the (busy) machine; their last '
           'validation point.\n\n' + '\n'.join(stopped_rows) + '\n' if stopped else '')
        + (f"\nDefined in the script but not run for lack of machine time: {', '.join(not_run)}.\n"
           if not_run else ''))
    print('\n'.join(rows))


def main():
    parser = argparse.ArgumentParser(description='Ablations of our MLM, one change at a time.')
    sub = parser.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('curves')
    c.add_argument('--seed', type=int, default=0)
    c.add_argument('--variants', nargs='*')
    c.add_argument('--threads', type=int, default=1)
    t = sub.add_parser('timing')
    t.add_argument('--variants', nargs='*')
    t.add_argument('--rounds', type=int, default=6)
    t.add_argument('--block', type=int, default=20)
    rp = sub.add_parser('report')
    rp.add_argument('--stopped', nargs='*', default=[], help='label=log of runs stopped part-way')
    args = parser.parse_args()
    if args.mode == 'curves':
        curves(args.seed, args.variants or list(all_variants()), args.threads)
    elif args.mode == 'timing':
        timing(args.variants or list(all_variants()), args.rounds, args.block)
    else:
        report(stopped=args.stopped)


if __name__ == '__main__':
    main()
