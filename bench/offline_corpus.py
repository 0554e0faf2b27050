r"""
---
title: Benchmark - the default run on the offline corpus
summary: What the default run reaches when it trains on the docstrings of Python's standard library, the corpus it falls back to with no Tiny Shakespeare and no network.
---

# The default run on the offline corpus

With no copy of Tiny Shakespeare and no network, the experiment trains on the docstrings of the
installed Python's standard library (`--data stdlib_docstrings`). That text depends on the
Python version, so each recorded run names the Python it read:

```bash
python -m bench.offline_corpus                     # run the default configs on it, record the run
python -m bench.offline_corpus --summary run.json  # record a run made earlier (--summary of the experiment)
python -m bench.offline_corpus --add 0.654 "another Python" "who measured it"
```

The README quotes the range of the final validation accuracies recorded here. Runs of an
earlier default recipe are kept under `retired` in the JSON, shown apart and out of the range.
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench' / 'results'
RECORDING = RESULTS / 'offline_corpus.json'


def read() -> dict:
    if RECORDING.exists():
        return json.loads(RECORDING.read_text(encoding='utf-8'))
    return {'runs': []}


def accuracy_range(recording: dict) -> tuple:
    accuracies = [run['valid_accuracy'] for run in recording['runs']]
    return min(accuracies), max(accuracies)


def from_summary(path: Path) -> dict:
    summary = json.loads(path.read_text(encoding='utf-8'))
    if summary.get('data') != 'stdlib_docstrings':
        raise SystemExit(f"error: {path} is a run on {summary.get('data')!r}, not on stdlib_docstrings")
    return {'valid_accuracy': summary['final']['valid_accuracy'],
            'valid_loss': summary['final']['valid_loss'], 'steps': summary['steps'],
            'python': platform.python_version(), 'machine': summary['machine'],
            'source': f"bench/offline_corpus.py (run {summary['run_uuid']})"}


def run_default() -> dict:
    with tempfile.TemporaryDirectory() as work:
        summary = Path(work) / 'summary.json'
        subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment',
                        '--data', 'stdlib_docstrings', '--summary', str(summary)],
                       cwd=work, check=True)
        return from_summary(summary)


def write(recording: dict) -> None:
    RECORDING.write_text(json.dumps(recording, indent=1) + '\n', encoding='utf-8')
    low, high = accuracy_range(recording)
    lines = ['# The default run on the offline corpus', '',
             "The docstrings of the installed Python's standard library, default configs.", '',
             '| final valid. accuracy | Python | machine | measured by |', '|---|---|---|---|']
    for run in recording['runs']:
        lines.append(f"| {100 * run['valid_accuracy']:.1f}% | {run['python']} | {run['machine']} "
                     f"| {run['source']} |")
    lines += ['', f"Range: {100 * low:.1f}–{100 * high:.1f}%."]
    if recording.get('retired'):
        lines += ['', '## Runs of an earlier default recipe', '',
                  'Not in the range: the default recipe changed since they ran.', '',
                  '| final valid. accuracy | recipe | Python | measured by |', '|---|---|---|---|']
        lines += [f"| {100 * run['valid_accuracy']:.1f}% | {run['recipe']} | {run['python']} | {run['source']} |"
                  for run in recording['retired']]
    (RESULTS / 'offline_corpus.md').write_text('\n'.join(lines) + '\n', encoding='utf-8')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='The default run on the offline corpus, recorded.')
    parser.add_argument('--summary', type=Path, help="record this run's --summary instead of running")
    parser.add_argument('--add', nargs=3, metavar=('ACCURACY', 'PYTHON', 'SOURCE'),
                        help='record a final accuracy measured elsewhere (a fraction, e.g. 0.654)')
    args = parser.parse_args(argv)
    recording = read()
    if args.add:
        accuracy, python, source = args.add
        try:
            accuracy = float(accuracy)
        except ValueError:
            parser.error(f"ACCURACY must be a number, not {accuracy!r}")
        recording['runs'].append({'valid_accuracy': accuracy, 'python': python,
                                  'machine': 'not recorded', 'source': source})
    elif args.summary:
        recording['runs'].append(from_summary(args.summary))
    else:
        recording['runs'].append(run_default())
    write(recording)
    return 0


if __name__ == '__main__':
    sys.exit(main())
