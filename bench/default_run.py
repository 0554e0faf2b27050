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

* `labml_nn/transformers/mlm/default_run.json`: the run's summary (curve, wall time, tokens/s,
  final losses and accuracies, machine), which the site draws as a chart,
* `bench/results/default_run.md`: the same as a table.

The load average before and after is recorded too: other work on the machine slows a run
down, and a timing is only worth what its conditions were.

```bash
python bench/default_run.py --data ../shared/data/tiny_shakespeare.txt
```
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description='Run and record the default experiment.')
    parser.add_argument('--data', required=True, help='Tiny Shakespeare (input.txt)')
    parser.add_argument('overrides', nargs='*', help='key=value configs (none for the default run)')
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        summary_path = Path(work) / 'summary.json'
        subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data', args.data,
                        '--summary', str(summary_path), *args.overrides], cwd=work, check=True)
        summary = json.loads(summary_path.read_text())
        # Keep the trained model (an ignored folder) for the export that ships with the project
        kept = ROOT / 'bench/results/tmp/default_run_checkpoint.pt'
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(summary['checkpoint'], kept)
    load_after = os.getloadavg()

    # Paths inside the temporary folder mean nothing once it is gone
    for key in ('checkpoint', 'run_dir'):
        summary.pop(key, None)
    summary['data'] = 'tiny_shakespeare'
    summary['overrides'] = args.overrides
    summary['load_average_before_after'] = [round(load_before[0], 2), round(load_after[0], 2)]
    name = 'default_run' if not args.overrides else 'custom_run'
    (ROOT / f'labml_nn/transformers/mlm/{name}.json').write_text(json.dumps(summary, indent=1) + '\n')

    rows = ['| step | minutes | train loss | train acc. | valid loss | valid acc. |', '|---|---|---|---|---|---|']
    for p in summary['curve']:
        rows.append(f"| {p['step']} | {p['time_s'] / 60:.1f} | {p['train_loss']:.3f} | {p['train_accuracy']:.1%} "
                    f"| {p['valid_loss']:.3f} | {p['valid_accuracy']:.1%} |")
    final = summary['final']
    (ROOT / f'bench/results/{name}.md').write_text(
        f"# The {'default' if not args.overrides else 'custom'} run\n\n"
        f"{summary['machine']}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.\n\n"
        f"{summary['steps']} steps, {summary['tokens_seen']:,} tokens in {summary['wall_time_s'] / 60:.1f} minutes "
        f"({summary['tokens_per_s']:,.0f} tokens/s); final validation accuracy {final['valid_accuracy']:.1%} "
        f"(loss {final['valid_loss']:.3f}).\n\n" + '\n'.join(rows) + '\n')
    print(f"wall time {summary['wall_time_s'] / 60:.1f} min, valid accuracy {final['valid_accuracy']:.1%}")


if __name__ == '__main__':
    main()
