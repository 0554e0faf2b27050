r"""
---
title: Benchmark - does a sequence-length curriculum train faster?
summary: Trains at sequence length 128 with and without starting on short sequences, and records the time each takes to reach a fixed masked accuracy on full-length validation windows.
---

# Short sequences first?

MLM training is slow, and a common remedy (BERT itself did it: 90% of its steps used 128
tokens, the rest 512) is to train on short sequences first. Short sequences are cheaper per
token, since attention grows with the square of the length, and the first things a model
learns (spelling, frequent words) need little context anyway.

This script measures whether that pays off here. It runs the experiment twice with the final
length 128 and the same number of tokens per step (`batch_size=16`):

* **plain**: 128-character sequences from the first step,
* **curriculum**: `curriculum_steps` steps that start at 16 characters and double the length
  in equal stages (16, 32, 64) before reaching 128 (the batch holds as many more sequences as
  they are shorter).

Both validate on the same full-length windows. It reports the wall time at which each first
reaches `--target` masked-character accuracy, and the accuracy at the end. Writes
`bench/results/curriculum.md` and `.json`.

```bash
python bench/curriculum.py --data ../shared/data/tiny_shakespeare.txt
```
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def train(data: str, steps: int, extra: list) -> dict:
    with tempfile.TemporaryDirectory() as work:
        summary = Path(work) / 'summary.json'
        subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data', data,
                        '--steps', str(steps), 'seq_len=128', 'batch_size=16', 'valid_every=100',
                        'sample_every=0', 'checkpoint_every=100000', '--summary', str(summary), *extra],
                       cwd=work, check=True, stdout=subprocess.DEVNULL)
        return json.loads(summary.read_text())


def first_time_at(curve: list, target: float):
    for point in curve:
        if point['valid_accuracy'] >= target:
            return point['time_s']
    return None


def main():
    parser = argparse.ArgumentParser(description='Time to a target accuracy with and without a curriculum.')
    parser.add_argument('--data', required=True)
    parser.add_argument('--steps', type=int, default=1500)
    parser.add_argument('--curriculum-steps', type=int, default=600)
    parser.add_argument('--target', type=float, default=0.40)
    args = parser.parse_args()

    # The runs start in a temporary folder, so a relative path is made absolute first (a corpus
    # name such as `tiny_shakespeare` is passed on as it is)
    data = str(Path(args.data).resolve()) if Path(args.data).exists() else args.data
    runs = {'plain': train(data, args.steps, []),
            'curriculum': train(data, args.steps, [f'curriculum_steps={args.curriculum_steps}',
                                                        'curriculum_start_len=16'])}
    rows = [f'| run | time to {args.target:.0%} (s) | wall time (s) | final valid acc. |', '|---|---|---|---|']
    record = {'steps': args.steps, 'curriculum_steps': args.curriculum_steps, 'target': args.target, 'runs': {}}
    for name, summary in runs.items():
        reached = first_time_at(summary['curve'], args.target)
        record['runs'][name] = {'time_to_target_s': reached, 'wall_time_s': summary['wall_time_s'],
                                'final_valid_accuracy': summary['final']['valid_accuracy'],
                                'curve': summary['curve'], 'machine': summary['machine']}
        rows.append(f"| {name} | {'not reached' if reached is None else f'{reached:.0f}'} | "
                    f"{summary['wall_time_s']:.0f} | {summary['final']['valid_accuracy']:.1%} |")
    (ROOT / 'bench/results/curriculum.json').write_text(json.dumps(record, indent=1) + '\n')
    (ROOT / 'bench/results/curriculum.md').write_text(
        '# Sequence-length curriculum: time to a target accuracy\n\n'
        f"Final length 128, batch 16 sequences (2,048 tokens a step), {args.steps} steps; the curriculum "
        f"spends its first {args.curriculum_steps} steps on lengths 16, 32 and 64. Validation on full-length "
        f"windows. {runs['plain']['machine']}. Written by [`bench/curriculum.py`](../curriculum.html).\n\n"
        + '\n'.join(rows) + '\n')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
