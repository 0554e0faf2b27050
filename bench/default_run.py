r"""
---
title: Benchmark - the default run, measured
summary: Runs the experiment with its default configs on Tiny Shakespeare and records its curve, wall time and final accuracy for the experiment page.
---

# Recording the default run

The [experiment page](../transformers/mlm/experiment.html) promises that the default
run finishes within 15 minutes on a 2-core CPU and reaches at least 60% masked-character
validation accuracy. This script is how that promise is checked: it runs

```bash
python -m labml_nn.transformers.mlm.experiment --data PATH --summary ...
```

in a fresh process with no overrides, and writes

* `bench/results/default_run.json`: the run's summary (curve, wall time, tokens/s,
  final losses and accuracies, machine), which the site draws as a chart,
* `bench/results/default_run.md`: the same as a table,
* `labml_nn/transformers/mlm_tools/pretrained/tiny-shakespeare-mlm/`: the trained model, [exported](../transformers/mlm_tools/export.html)
  as a Hugging Face-style folder without the remote code, so that [fill-mask](../transformers/mlm_tools/fill.html) and the
  site work without training first. Its weights are stored as float16 (2.4 MB instead of
  4.9 MB) when that leaves the model's top 5 characters, in order, the same as float32's at
  every masked position of the validation windows; otherwise as float32. The comparison is
  recorded in `bench/results/default_export.md`.

The load average before and after is recorded too: other work on the machine slows a run
down, and a timing is only worth what its conditions were.

```bash
python bench/default_run.py --data ../shared/data/tiny_shakespeare.txt
python bench/default_run.py --data ../shared/data/tiny_shakespeare.txt --export-from logs/mlm/<uuid>/checkpoint.pt
```

`--card-only` rewrites only the bundled model's card. The bundled folder holds no source: it is
data (weights, config, tokenizer files, card) that the package's own modules read.
The second form only exports: it takes the checkpoint of a default run made earlier. The
run is deterministic on one machine: the machine and build that recorded it give the
recorded weights bit for bit, while another CPU rounds differently and ends within the
spread that [`default_run_spread.py`](default_run_spread.html) measures.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from training import cpu_model

ROOT = Path(__file__).resolve().parent.parent
# Where the package keeps the exported default run (package data of the tools' chapter)
BUNDLED = ROOT / 'labml_nn' / 'transformers' / 'mlm_tools' / 'pretrained' / 'tiny-shakespeare-mlm'


def top_k_agreement(checkpoint: Path, data: str, k: int = 5, windows: int = 256) -> dict:
    r"""
    Exports the run as float32 and as float16 (to a temporary folder), and compares the two
    models' top-`k` characters, in order, at every masked position of `windows` validation
    windows, masked as in training. Returns the counts and both folders' sizes.
    """
    from labml_nn.transformers.mlm import MLM, MaskingConfigs
    from labml_nn.transformers.mlm_tools import export
    from labml_nn.transformers.mlm_tools.load import load_mlm
    from labml_nn.transformers.mlm.data import load_corpus, random_windows, split

    run = load_mlm(checkpoint, '--export-from')
    configs, vocabulary = run.training['configs'], run.vocabulary
    text, _ = load_corpus(data)
    _, valid = split(vocabulary.encode(text), configs['valid_fraction'])
    generator = torch.Generator().manual_seed(1234)
    x = random_windows(valid, windows, configs['seq_len'], generator)
    masked, labels = MLM.from_configs(MaskingConfigs(), vocabulary)(x, generator=generator)
    selected = labels != vocabulary.padding_token
    with tempfile.TemporaryDirectory() as work:
        tops, sizes = {}, {}
        for name, fp16 in (('float32', False), ('float16', True)):
            folder = export.export(checkpoint, Path(work) / name, fp16=fp16)
            sizes[name] = sum(f.stat().st_size for f in folder.iterdir())
            with torch.no_grad():
                logits = load_mlm(folder).model(masked)  # [windows, seq_len, n_tokens]
            logits[..., :2] = float('-inf')
            tops[name] = logits[selected].topk(k).indices  # [masked positions, k]
    same_order = (tops['float32'] == tops['float16']).all(dim=-1)
    same_set = (tops['float32'].sort(dim=-1).values == tops['float16'].sort(dim=-1).values).all(dim=-1)
    same_top1 = tops['float32'][:, 0] == tops['float16'][:, 0]
    return {'k': k, 'positions': int(selected.sum()), 'same_order': int(same_order.sum()),
            'same_top1': int(same_top1.sum()),
            'same_set': int(same_set.sum()), 'sizes': sizes,
            'valid_accuracy': run.training['valid_accuracy']}


def export_bundled(checkpoint: Path, data: str) -> None:
    r"""
    Exports the default run into the package's `pretrained/`, as float16 if that keeps every top 5,
    and records why. The bundled folder is data: the exporter writes the model's source into the
    folders it exports from it, not here.
    """
    from labml_nn.transformers.mlm_tools import export

    agreement = top_k_agreement(checkpoint, data)
    fp16 = agreement['same_order'] == agreement['positions']
    export.export(checkpoint, BUNDLED, fp16=fp16, force=True, remote_code=False)
    size = sum(f.stat().st_size for f in BUNDLED.iterdir())
    n, k = agreement['positions'], agreement['k']
    (ROOT / 'bench/results/default_export.md').write_text(
        f"# The exported default run\n\n"
        f"`labml_nn/transformers/mlm_tools/pretrained/tiny-shakespeare-mlm/` holds the default run (final validation accuracy "
        f"{agreement['valid_accuracy']:.1%}), exported by `bench/default_run.py` with weights stored as "
        f"**{'float16' if fp16 else 'float32'}**: {size / 1e6:.2f} MB in all.\n\n"
        f"| weights | folder size |\n|---|---|\n"
        + ''.join(f"| {name} | {s / 1e6:.2f} MB |\n" for name, s in agreement['sizes'].items())
        + f"\nAt {n:,} masked positions of 256 validation windows, the float16 model's top {k} characters "
        f"were those of the float32 model in the same order at {agreement['same_order']:,} "
        f"({agreement['same_order'] / n:.2%}), as a set at {agreement['same_set']:,} "
        f"({agreement['same_set'] / n:.2%}); its top character was the same at {agreement['same_top1']:,} "
        f"({agreement['same_top1'] / n:.2%}). Float16 is used only when the top {k} is the same, in order, "
        f"everywhere.\n")
    print(f"exported to {BUNDLED} as {'float16' if fp16 else 'float32'} ({size / 1e6:.2f} MB); "
          f"top-{k} the same at {agreement['same_order']} of {n} masked positions")


def rewrite_card() -> None:
    r"""
    Rewrites the bundled model's card from its `config.json` with the exporter's `model_card`,
    leaving the weights as they are: for when only what the card says has changed (a
    re-measured spread), not the model.
    """
    from safetensors import safe_open

    from labml_nn.transformers.mlm_tools import export
    from labml_nn.transformers.mlm_tools.load import load_mlm

    config = json.loads((BUNDLED / export.CONFIG).read_text())
    bundled = load_mlm(BUNDLED)
    # The card says float16 if the weights are stored so
    with safe_open(BUNDLED / export.WEIGHTS, 'pt') as weights:
        fp16 = weights.get_tensor(next(iter(weights.keys()))).dtype == torch.float16
    card = export.model_card(config, export.widget_text(bundled.vocabulary, bundled.max_len), fp16, remote_code=False)
    (BUNDLED / export.CARD).write_text(card)
    print(f"rewrote {BUNDLED / export.CARD}")


def run_experiment(data: str, overrides: list, export: bool = False, env: dict = None) -> dict:
    r"""
    Runs the experiment once, in a fresh process started in a temporary folder, with the
    `overrides` (none for the default run) and extra environment variables `env` (for example
    `ATEN_CPU_CAPABILITY`, the kernels PyTorch picks). Keeps its checkpoint under the ignored
    `bench/results/tmp/<uuid>/`, exports it into `pretrained/` only when `export` is set, and
    returns its summary with the load average before and after.
    """
    # The run starts in a temporary folder, so a relative path is made absolute first
    data = str(Path(data).resolve()) if Path(data).exists() else data
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        summary_path = Path(work) / 'summary.json'
        subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data', data,
                        '--summary', str(summary_path), *overrides], cwd=work, check=True,
                       env={**os.environ, 'PYTHONPATH': str(ROOT), **(env or {})})
        summary = json.loads(summary_path.read_text())
        # Keep the trained model (an ignored folder), to export again without training, in a
        # folder named by its run's uuid as in logs/, which is where the export reads the uuid from
        kept = ROOT / 'bench/results/tmp' / Path(summary['checkpoint']).parent.name / 'checkpoint.pt'
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(summary['checkpoint'], kept)
        # Only the default run is the repository's model
        if export:
            export_bundled(Path(summary['checkpoint']), data)
    load_after = os.getloadavg()

    # Paths inside the temporary folder mean nothing once it is gone
    for key in ('checkpoint', 'run_dir'):
        summary.pop(key, None)
    summary['data'] = 'tiny_shakespeare'
    summary['overrides'] = list(overrides)
    summary['load_average_before_after'] = [round(load_before[0], 2), round(load_after[0], 2)]
    summary['cpu'] = cpu_model()
    return summary


def main():
    parser = argparse.ArgumentParser(description='Run and record the default experiment.')
    parser.add_argument('--data', help='Tiny Shakespeare (input.txt)')
    parser.add_argument('--export-from', help='only export this checkpoint of a default run into pretrained/')
    parser.add_argument('--card-only', action='store_true',
                        help="only rewrite the bundled model's README.md (the model card), as the exporter writes it")
    parser.add_argument('overrides', nargs='*', help='key=value configs (none for the default run)')
    args = parser.parse_args()
    if args.card_only:
        rewrite_card()
        return
    if not args.data:
        parser.error('--data is needed to train or export: give the path of Tiny Shakespeare')
    if args.export_from:
        export_bundled(Path(args.export_from), args.data)
        return

    summary = run_experiment(args.data, args.overrides, export=not args.overrides)
    load_before, load_after = summary['load_average_before_after']
    name = 'default_run' if not args.overrides else 'custom_run'
    (ROOT / f'bench/results/{name}.json').write_text(json.dumps(summary, indent=1) + '\n')

    rows = ['| step | minutes | train loss | train acc. | valid loss | valid acc. |', '|---|---|---|---|---|---|']
    for p in summary['curve']:
        rows.append(f"| {p['step']} | {p['time_s'] / 60:.1f} | {p['train_loss']:.3f} | {p['train_accuracy']:.1%} "
                    f"| {p['valid_loss']:.3f} | {p['valid_accuracy']:.1%} |")
    final = summary['final']
    (ROOT / f'bench/results/{name}.md').write_text(
        f"# The {'default' if not args.overrides else 'custom'} run\n\n"
        f"{summary['machine']}; load average {load_before:.2f} before, {load_after:.2f} after.\n\n"
        f"{summary['steps']} steps, {summary['tokens_seen']:,} tokens in {summary['wall_time_s'] / 60:.1f} minutes "
        f"({summary['tokens_per_s']:,.0f} tokens/s); final validation accuracy {final['valid_accuracy']:.1%} "
        f"(loss {final['valid_loss']:.3f}).\n\n" + '\n'.join(rows) + '\n')
    print(f"wall time {summary['wall_time_s'] / 60:.1f} min, valid accuracy {final['valid_accuracy']:.1%}")


if __name__ == '__main__':
    main()
