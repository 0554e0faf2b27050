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

This script measures whether that pays off here. For each seed it runs the experiment twice,
with the recipe of round 3 (`ROUND_3_CONFIGS` of [the harness](training.html)), the final length 128 and the same number of tokens per step (`batch_size=16`):

* **plain**: 128-character sequences from the first step,
* **curriculum**: `curriculum_steps` steps that start at 16 characters and double the length
  in equal stages (16, 32, 64) before reaching 128 (the batch holds as many more sequences as
  they are shorter).

Both validate on the same full-length windows. It reports the wall time at which each first
reaches `--target` masked-character accuracy, and the accuracy at the end; over three seeds
(`--seeds`) by default, so that what the prose quotes is a range, not one sample. Writes
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

from training import ROOT, ROUND_3_CONFIGS, spread


# The recipe it was measured with, before the recipe study changed the experiment's
ROUND_3 = [f"{key.replace('__', '.')}={value}" for key, value in ROUND_3_CONFIGS.items()]


def train(data: str, steps: int, extra: list) -> dict:
    with tempfile.TemporaryDirectory() as work:
        summary = Path(work) / 'summary.json'
        subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data', data,
                        '--steps', str(steps), 'seq_len=128', 'batch_size=16', 'valid_every=100',
                        'sample_every=0', 'checkpoint_every=100000', '--summary', str(summary), *ROUND_3, *extra],
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
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                        help='one plain and one curriculum run per seed: the result is a spread, not one sample')
    args = parser.parse_args()

    # The runs start in a temporary folder, so a relative path is made absolute first (a corpus
    # name such as `tiny_shakespeare` is passed on as it is)
    data = str(Path(args.data).resolve()) if Path(args.data).exists() else args.data
    arms = {'plain': [], 'curriculum': [f'curriculum_steps={args.curriculum_steps}', 'curriculum_start_len=16']}
    record = {'steps': args.steps, 'curriculum_steps': args.curriculum_steps, 'target': args.target,
              'seeds': args.seeds, 'runs': [], 'summary': {}}
    rows = [f'| run | seed | time to {args.target:.0%} (s) | wall time (s) | final valid acc. |', '|---|---|---|---|---|']
    # The two arms take turns seed by seed, so that a change in the machine's load falls on both
    for seed in args.seeds:
        for name, extra in arms.items():
            summary = train(data, args.steps, [f'seed={seed}', *extra])
            reached = first_time_at(summary['curve'], args.target)
            record['runs'].append({'name': name, 'seed': seed, 'time_to_target_s': reached,
                                   'wall_time_s': summary['wall_time_s'],
                                   'final_valid_accuracy': summary['final']['valid_accuracy'],
                                   'curve': summary['curve'], 'machine': summary['machine']})
            rows.append(f"| {name} | {seed} | {'not reached' if reached is None else f'{reached:.0f}'} | "
                        f"{summary['wall_time_s']:.0f} | {summary['final']['valid_accuracy']:.1%} |")
            print(rows[-1], flush=True)
    lines = []
    for name in arms:
        runs = [r for r in record['runs'] if r['name'] == name]
        reached = [r['time_to_target_s'] for r in runs if r['time_to_target_s'] is not None]
        record['summary'][name] = {'final_valid_accuracy': spread([r['final_valid_accuracy'] for r in runs]),
                                   'reached_target': len(reached),
                                   'time_to_target_s': spread(reached) if reached else None}
        summary = record['summary'][name]
        accuracy = summary['final_valid_accuracy']
        timing = (f"reached {args.target:.0%} in {len(reached)} of {len(runs)} runs"
                  + (f", after {summary['time_to_target_s']['min']:.0f}–{summary['time_to_target_s']['max']:.0f} s"
                     if reached else ''))
        lines.append(f"- **{name}**: final accuracy {accuracy['min']:.1%}–{accuracy['max']:.1%} "
                     f"(mean {accuracy['mean']:.1%}); {timing}.")
    (ROOT / 'bench/results/curriculum.json').write_text(json.dumps(record, indent=1) + '\n')
    machine = record['runs'][0]['machine']
    (ROOT / 'bench/results/curriculum.md').write_text(
        '# Sequence-length curriculum: time to a target accuracy\n\n'
        f"Final length 128, batch 16 sequences (2,048 tokens a step), {args.steps} steps; the curriculum "
        f"spends its first {args.curriculum_steps} steps on lengths 16, 32 and 64. Validation on full-length "
        f"windows. Seeds {', '.join(map(str, args.seeds))}, the two runs of a seed one after the other. "
        f"{machine}. Written by [`bench/curriculum.py`](../curriculum.html).\n\n"
        + '\n'.join(lines) + '\n\n' + '\n'.join(rows) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
