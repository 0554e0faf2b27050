r"""
---
title: Benchmark - how far the recorded numbers move with the CPU's kernels and threads
summary: Recomputes every number the tests compare against a recording (the golden runs, the old checkpoint's resumed curve, the bundled model's quoted guesses and head scores) under each choice of CPU kernels and thread count, and records how far each moves; the tests' tolerances come from here.
---

# The recorded numbers on other CPUs

A test that compares a number computed now with one recorded on another machine can only
demand what the arithmetic guarantees. Floating-point sums depend on their order; the order
depends on the vector width of the kernels PyTorch picks for the CPU (`ATEN_CPU_CAPABILITY`:
`default`, `avx2`, `avx512`), on the instruction set oneDNN and MKL use for matrix products
(`ONEDNN_MAX_CPU_ISA`, `MKL_ENABLE_INSTRUCTIONS`), and on how many threads split each sum.
One machine can stand in for CPUs of other kinds by setting those variables, so this script
recomputes, in a fresh process for each combination:

* the two **golden runs** of `tests/fixtures/golden/first_50_steps.json` (50 steps of a small
  model; every 10 steps the train and validation loss and accuracy);
* the **old checkpoint** of `tests/fixtures/old_checkpoint/`, resumed to its end;
* what the pages quote about the **bundled model**: the fill page's example, the attention
  page's head scores, the top guesses for the texts of the in-page demo and of the fill test;
* the margin of `test_short_run_lowers_the_loss` (a threshold on a 60-step run).

It writes every number to `bench/results/kernels.json`, and to `bench/results/kernels.md`
the largest difference from the recording, per quantity, over all combinations. Those are
the measurements the tests' tolerances cite.

```bash
python bench/kernels.py --data ../shared/data/tiny_shakespeare.txt --combinations avx512:1 avx2:1 default:1
```

With `--suite` it runs, instead, the tests that compare with recordings under each combination
and records pytest's verdict; `--suite --whole` runs the whole suite, the README's
`python -m pytest`, with the combination's variables set for it and every process it starts:

```bash
python bench/kernels.py --data ../shared/data/tiny_shakespeare.txt --suite --whole --combinations avx2:1 default:2
```

A combination `KERNEL:THREADS` is added to what the JSON holds already (run it again with
others to fill in the table). The thread count is what splits the sums, not the cores: two
threads pinned to one core (`--pin`) compute the same bits as two threads on two cores, while
disturbing a timing recording on the other core no more than one thread would.
"""

import argparse
import ast
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / 'bench/results/kernels'
FIXTURES = ROOT / 'tests/fixtures'
# The golden runs, in the order of tests/fixtures/golden/first_50_steps.json
GOLDEN_NAMES = ['default-path', 'dropout-and-curriculum']
# Small real changes of behaviour, to show what a tolerance would still catch: each run is the
# default-path golden run with one override
CHANGES = {'learning rate 1% higher': ['learning_rate=0.00202'], 'warm-up one step longer': ['warmup_steps=101']}
# Texts whose guesses the tests and pages quote
FILL_TEST_TEXT = 'To be, or not to b[MASK], that is the question'


def run_in_process(argv: list) -> dict:
    r"""The experiment's command line run in this process, as the tests run it; returns its summary."""
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm import experiment
    return experiment.train(cli.parse(experiment.Configs, argv))


def from_tests(file: str, name: str):
    r"""
    A constant the tests define as their input (the small model's configs, the demo's texts),
    read from the test file's source: a benchmark imports nothing from `tests/`.
    """
    for node in ast.parse((ROOT / 'tests' / file).read_text(encoding='utf-8')).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(f'{name} is not a constant of tests/{file}')


def guesses(model, vocabulary, text: str, k: int, iterative: bool = False) -> list:
    r"""Each gap's top `k` characters and probabilities (probabilities as floats, for the JSON)."""
    from labml_nn.transformers.mlm_tools import fill
    return [[[g.token_str, g.score] for g in gap] for gap in fill.fill_mask(model, vocabulary, text, k, iterative=iterative)]


def measure(data: str) -> dict:
    r"""Every recorded-against number, computed in this process (run by `main` in a fresh one per combination)."""
    import re

    import torch

    from labml_nn.transformers.mlm_tools import attention_maps, fill
    from labml_nn.transformers.mlm_tools.load import load_mlm

    out = {'capability': torch.backends.cpu.get_cpu_capability().lower(), 'threads': torch.get_num_threads()}
    keys = ('step', 'train_loss', 'train_accuracy', 'valid_loss', 'valid_accuracy')
    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            golden = json.loads((FIXTURES / 'golden/first_50_steps.json').read_text())
            out['golden'] = [[{k: p[k] for k in keys} for p in run_in_process([*g['argv'], f'--data={data}'])['curve']]
                             for g in golden['runs']]
            checkpoint = Path(work) / 'checkpoint.pt'
            checkpoint.write_bytes((FIXTURES / 'old_checkpoint/checkpoint.pt').read_bytes())
            resumed = run_in_process(['--resume', str(checkpoint), f'--data={FIXTURES / "old_checkpoint/text.txt"}'])
            out['old_checkpoint'] = [{k: p[k] for k in ('step', 'train_loss', 'valid_loss', 'valid_accuracy')}
                                     for p in resumed['curve']]
            short = run_in_process([*from_tests('conftest.py', 'SMALL'), f'--data={data}', '--steps', '60', 'valid_every=20',
                                    'learning_rate=3e-3', 'warmup_steps=10'])
            n_tokens = len(torch.load(short['checkpoint'], weights_only=True)['vocabulary']) + 2
            out['short_run'] = {'valid_losses': [p['valid_loss'] for p in short['curve']],
                                'untrained_loss': math.log(n_tokens)}
        finally:
            os.chdir(old_cwd)

    bundled = load_mlm()
    model, vocabulary = bundled.model, bundled.vocabulary
    example = re.search(r'Asked about\s+`"(.+?)"`', fill.__doc__).group(1)
    out['bundled'] = {
        'fill_test': guesses(model, vocabulary, FILL_TEST_TEXT, 5),
        'fill_page': {'text': example, 'independent': guesses(model, vocabulary, example, 5),
                      'one_after_the_other': guesses(model, vocabulary, example, 5, iterative=True)},
    }
    DEMO_TEXTS = from_tests('test_site_demo.py', 'TEXTS')
    out['bundled']['demo'] = {text: guesses(model, vocabulary, text, 5) for text in DEMO_TEXTS}
    for name, sample in (('attention_page', attention_maps.SAMPLE), ('experiment_picture', attention_maps.SAMPLE_LINES)):
        batch = torch.stack([attention_maps.encode(t, vocabulary) for t in sample])
        roles = attention_maps.head_roles(attention_maps.attention_maps(model, batch), batch)
        out['bundled'][name] = {role: [layer, head, score] for role, (layer, head, score) in roles.best.items()}
        # How far each best head leads the next best: a best head can change only where this is small
        out['bundled'][f'{name}_leads'] = {role: float(scores.flatten().topk(2).values.diff().neg())
                                           for role, scores in roles.scores.items()}
    return out


def sensitivity(data: str) -> dict:
    r"""
    How far each of `CHANGES` moves the default-path golden run's losses from the recording,
    relative (smallest and largest over its validation points): a tolerance must stay below
    the largest, or the test would miss that change.
    """
    golden = json.loads((FIXTURES / 'golden/first_50_steps.json').read_text())['runs'][0]
    out = {}
    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            for label, overrides in CHANGES.items():
                curve = run_in_process([*golden['argv'], *overrides, f'--data={data}'])['curve']
                changes = [abs(m[k] - r[k]) / abs(r[k]) for r, m in zip(golden['curve'], curve)
                           for k in ('train_loss', 'valid_loss')]
                out[label] = {'min': min(changes), 'max': max(changes)}
        finally:
            os.chdir(old_cwd)
    return out


def deviations(runs: dict) -> dict:
    r"""
    The largest difference from the recording, per quantity, over every combination measured:
    losses relative, accuracies and probabilities absolute (and accuracies also as counts of
    positions whose top guess changed, where the count of positions is known).
    """
    golden = json.loads((FIXTURES / 'golden/first_50_steps.json').read_text())['runs']
    old = json.loads((FIXTURES / 'old_checkpoint/resumed_curve.json').read_text())
    worst = {}

    def note(key, value, where):
        if value > worst.get(key, (-1, ''))[0]:
            worst[key] = (value, where)

    for name, run in runs.items():
        for g, (recorded, measured) in enumerate(zip(golden, run['golden'])):
            for r, m in zip(recorded['curve'], measured):
                for k in ('train_loss', 'valid_loss'):
                    change = abs(m[k] - r[k]) / abs(r[k])
                    note(f'golden {k} (relative)', change, f"{name}, {GOLDEN_NAMES[g]}, step {r['step']}")
                    note(f'golden {GOLDEN_NAMES[g]} losses (relative)', change, f"{name}, {k}, step {r['step']}")
                for k in ('train_accuracy', 'valid_accuracy'):
                    note(f'golden {k} (absolute)', abs(m[k] - r[k]), f"{name}, {GOLDEN_NAMES[g]}, step {r['step']}")
        for r, m in zip(old, run['old_checkpoint']):
            for k in ('train_loss', 'valid_loss'):
                note(f'old checkpoint {k} (relative)', abs(m[k] - r[k]) / abs(r[k]), f"{name}, step {r['step']}")
            note('old checkpoint valid_accuracy (absolute)', abs(m['valid_accuracy'] - r['valid_accuracy']),
                 f"{name}, step {r['step']}")
    # The bundled model: against the first combination (the machine's own kernels), since the
    # pages were written from the model on a machine of this kind; the question is how far other
    # kernels move a probability, and whether any top guess changes
    names = list(runs)
    base = runs[names[0]]['bundled']

    def compare_guesses(a, b, label, where):
        for gap_a, gap_b in zip(a, b):
            note(f'{label}: probability (absolute)', max(abs(x[1] - y[1]) for x, y in zip(gap_a, gap_b)), where)
            note(f'{label}: top-1 changed', float(gap_a[0][0] != gap_b[0][0]), where)
            note(f'{label}: top-5 order changed', float([x[0] for x in gap_a] != [y[0] for y in gap_b]), where)

    for name in names[1:]:
        other = runs[name]['bundled']
        compare_guesses(base['fill_test'], other['fill_test'], 'bundled guesses', name)
        for way in ('independent', 'one_after_the_other'):
            compare_guesses(base['fill_page'][way], other['fill_page'][way], 'bundled guesses', name)
        for text in base['demo']:
            compare_guesses(base['demo'][text], other['demo'][text], 'bundled guesses', name)
        for page in ('attention_page', 'experiment_picture'):
            for role, (layer, head, score) in base[page].items():
                o = other[page][role]
                note('head score (absolute)', abs(o[2] - score), f'{name}, {page}, {role}')
                note('best head changed', float(o[:2] != [layer, head]), f'{name}, {page}, {role}')
    return {k: {'value': v, 'where': w} for k, (v, w) in worst.items()}


def head_leads(bundled: dict) -> dict:
    r"""The smallest lead of a best head over the next best, per page."""
    return {page: min(bundled[f'{page}_leads'].values()) for page in ('attention_page', 'experiment_picture')
            if f'{page}_leads' in bundled}


def exact_native_2(record: dict) -> bool:
    r"""Whether 2 threads on the machine's own kernels gave the golden curves exactly as recorded."""
    run = record['runs'].get(f"{record['native_kernel']}:2")
    golden = json.loads((FIXTURES / 'golden/first_50_steps.json').read_text())['runs']
    return bool(run) and run['golden'] == [g['curve'] for g in golden]


def short_run_margin(runs: dict) -> float:
    r"""How far below its threshold (the untrained loss minus 0.6) `test_short_run_lowers_the_loss`'s run ends, at the least."""
    return min(r['short_run']['untrained_loss'] - 0.6 - r['short_run']['valid_losses'][-1] for r in runs.values())


def margins(bundled: dict) -> dict:
    r"""The smallest gap between consecutive probabilities among each quoted top 5: a top-5 order
    can only change between CPUs where this gap is smaller than the rounding differences."""
    gaps = {}
    for label, lists in (('fill test', bundled['fill_test']),
                         ('fill page, independent', bundled['fill_page']['independent']),
                         ('fill page, one after the other', bundled['fill_page']['one_after_the_other']),
                         *((f'demo: {t}', g) for t, g in bundled['demo'].items())):
        for gap, top in enumerate(lists):
            scores = [s for _, s in top]
            gaps[f'{label}, gap {gap + 1}'] = {'top1_lead': scores[0] - scores[1],
                                              'smallest_gap_in_top5': min(a - b for a, b in zip(scores, scores[1:]))}
    return gaps


def section(title: str, intro, header: list, rows: list) -> list:
    r"""The markdown lines of a titled table, with an optional sentence before it."""
    return ['', f'## {title}', '', *([intro, ''] if intro else []), '| ' + ' | '.join(header) + ' |',
            '|' + '---|' * len(header), *('| ' + ' | '.join(row) + ' |' for row in rows)]


def write(record: dict) -> None:
    record['deviations'] = deviations(record['runs'])
    first = next(iter(record['runs'].values()))['bundled']
    record['margins'] = margins(first)
    record['head_leads'] = head_leads(first)
    RESULTS.with_suffix('.json').write_text(json.dumps(record, indent=1) + '\n')
    lines = ['# The recorded numbers under other CPU kernels and thread counts', '',
             f"{record['cpu']}, torch {record['torch']}; recorded by `bench/kernels.py`. Combinations "
             f"(kernel:threads): {', '.join(f'`{n}`' for n in record['runs'])}. For a kernel other than the "
             f"machine's own (`{record['native_kernel']}`) oneDNN and MKL are capped at the same instruction set.", '',
             '## The largest difference from the recording', '',
             'Golden runs and the old checkpoint: against the fixtures in `tests/fixtures/` (recorded by '
             '`tests/fixtures/golden/record.py`). The bundled model: against the first combination.', '',
             '| quantity | largest difference | where |', '|---|---|---|']
    for key, d in sorted(record['deviations'].items()):
        lines.append(f"| {key} | {d['value']:.3g} | {d['where'] if d['value'] else 'no combination'} |")
    native = record['native_kernel']
    lines += ['', f"The 60-step run of `test_short_run_lowers_the_loss` ended at least {short_run_margin(record['runs']):.3f} "
                  "below its threshold (the untrained loss minus 0.6) in every combination.", '',
              ("Combinations with 2 threads ran pinned to one core (`--pin`)" if record.get('pinned', True) else
               "Every combination ran on the whole machine, one after the other (without `--pin`)")
              + ": the thread count splits the sums, not the cores" + (f", and `{native}:2` gave the golden runs as recorded (PyTorch's default 2 threads on "
                             "a 2-core machine) bit for bit." if exact_native_2(record) else '.')]
    if record.get('sensitivity'):
        lines += section('What a real change moves',
                         "The default-path golden run with one change, on the machine's own kernels: how far its "
                         'losses move from the recording, relative, over its validation points.',
                         ['change', 'smallest', 'largest'],
                         [[label, f"{m['min']:.2g}", f"{m['max']:.2g}"] for label, m in record['sensitivity'].items()])
    lines += section("The quoted guesses' margins",
                     "The lead of each gap's top guess over the second, and the smallest gap between neighbours in "
                     'its top 5 (probabilities, on the first combination).',
                     ['gap', 'top-1 lead', 'smallest gap in the top 5'],
                     [[key, f"{m['top1_lead']:.4f}", f"{m['smallest_gap_in_top5']:.2e}"]
                      for key, m in record['margins'].items()])
    if record.get('head_leads'):
        lines += ['', "The quoted best heads lead the next best head by at least: " + '; '.join(
            f"{lead:.4f} ({page.replace('_', ' ')})" for page, lead in record['head_leads'].items()) + '.']
    if record.get('suite_note'):
        lines += ['', record['suite_note']]
    if record.get('suite'):
        lines += section('The recorded-number tests under each combination', None,
                         ['combination', 'tests', 'result'],
                         [[f'`{name}`', s['selection'], s['result']] for name, s in record['suite'].items()])
    if record.get('whole_suite'):
        lines += section('The whole suite under each combination',
                         "`python -m pytest`, the README's test command, with every variable of the combination set "
                         'for it and for every process it starts (without `--pin`).',
                         ['combination', 'result', 'failures'],
                         [[f'`{name}`', s['result'], '; '.join(s['failures']) or 'none']
                          for name, s in record['whole_suite'].items()])
    RESULTS.with_suffix('.md').write_text('\n'.join(lines) + '\n')


# The tests that compare against numbers recorded elsewhere, and those that demand exact
# equality between two runs on one machine (resume, DDP ranks, export round trips): under every
# combination the first must pass within their tolerances and the second still exactly.
# (tests/test_recorded_claims.py compares prose with recordings, files with files: it computes
# nothing, so no kernel can change its verdict.)
SUITE = ['tests/test_golden.py', 'tests/test_fill_export.py', 'tests/test_experiment.py',
         'tests/test_distributed.py', 'tests/test_site_demo.py']


# When the machine is too busy for all of `SUITE` under every combination: the tests that compare
# with recordings, and one of each kind of same-machine exact comparison
RECORDED_NUMBER_TESTS = ['tests/test_golden.py', 'tests/test_fill_export.py::test_pages_quote_the_bundled_model',
                         'tests/test_fill_export.py::test_bundled_model_works_out_of_the_box',
                         'tests/test_fill_export.py::test_hugging_face_pipeline_agrees',
                         'tests/test_experiment.py::test_resume_equals_uninterrupted', 'tests/test_distributed.py']


def run_suite(env: dict, pin: bool, data: str, tests: List[str] = SUITE) -> dict:
    r"""`pytest` on `tests` under `env`; its last line (counts and time) is the verdict."""
    command = [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', *tests]
    if pin:
        command = ['taskset', '-c', '1', *command]
    result = subprocess.run(command, env={**env, 'LABML_NN_TINY_SHAKESPEARE': data}, cwd=ROOT,
                            capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    failures = [line for line in lines if line.startswith(('FAILED', 'ERROR'))]
    return {'selection': ', '.join(Path(t).name for t in tests) or 'all', 'returncode': result.returncode,
            'result': lines[-1].strip('= ') if lines else result.stderr[-300:], 'failures': failures}


def main():
    parser = argparse.ArgumentParser(description='Recompute the recorded-against numbers under other kernels and threads.')
    parser.add_argument('--data', help='Tiny Shakespeare (input.txt): the golden runs were recorded on it')
    parser.add_argument('--combinations', nargs='*',
                        help='KERNEL:THREADS, KERNEL one of default, avx2, avx512')
    parser.add_argument('--pin', action='store_true', help='pin each run to one core (taskset -c 1)')
    parser.add_argument('--suite', action='store_true',
                        help="instead of measuring, run the tests that compare against recordings (and the "
                             "same-machine exact ones) under each combination, and record pytest's verdict")
    parser.add_argument('--sensitivity', action='store_true',
                        help='also measure how far small real changes move the golden run (this process, as it is)')
    parser.add_argument('--whole', action='store_true',
                        help="with --suite: the whole suite (`python -m pytest`, the README's test command)")
    parser.add_argument('--recorded-only', action='store_true',
                        help='with --suite: only the tests that compare with recordings, and one exact test of each kind')
    parser.add_argument('--markdown-only', action='store_true', help='rewrite the .md from the recorded .json')
    parser.add_argument('--measure', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.data and not args.markdown_only:
        parser.error('--data is required (the path to tiny_shakespeare.txt), except with --markdown-only')
    if args.measure:
        print(json.dumps(measure(args.data)))
        return

    import torch
    from training import cpu_model, kernel_env
    native = torch.backends.cpu.get_cpu_capability().lower()
    path = RESULTS.with_suffix('.json')
    record = json.loads(path.read_text()) if path.exists() else {'runs': {}}
    record.update({'cpu': cpu_model(), 'torch': torch.__version__, 'native_kernel': native})
    if args.markdown_only:
        write(record)
        return
    if args.sensitivity:
        record['sensitivity'] = sensitivity(args.data)
        write(record)
    if args.combinations is None:
        args.combinations = [] if args.sensitivity else ['avx512:1', 'avx2:1', 'default:1']
    for combination in args.combinations:
        kernel, _, threads = combination.partition(':')
        if kernel not in ('default', 'avx2', 'avx512') or not threads.isdigit():
            print(f'--combinations {combination}: write KERNEL:THREADS with KERNEL default, avx2 or avx512, e.g. avx2:1',
                  file=sys.stderr)
            sys.exit(2)
        env = {**os.environ, 'PYTHONPATH': str(ROOT), **kernel_env(kernel, int(threads), passive=True)}
        if args.suite:
            key = 'whole_suite' if args.whole else 'suite'
            tests = [] if args.whole else RECORDED_NUMBER_TESTS if args.recorded_only else SUITE
            record.setdefault(key, {})[combination] = run_suite(env, args.pin, args.data, tests)
            write(record)
            print(combination, record[key][combination]['result'], flush=True)
            continue
        command = [sys.executable, str(Path(__file__).resolve()), '--measure', '--data', args.data]
        if args.pin:
            command = ['taskset', '-c', '1', *command]
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        if result.returncode != 0:
            sys.exit(result.stderr[-3000:])
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        assert measured['capability'] == kernel and measured['threads'] == int(threads), measured
        record['runs'][combination] = measured
        record['pinned'] = args.pin
        write(record)
        print(combination, 'measured', flush=True)


if __name__ == '__main__':
    main()
