r"""
---
title: What pre-training buys - fine-tuning against training from scratch and a frozen probe
summary: The fine-tuning experiment's three settings trained side by side in one process on several seeds, step for step, with accuracy and macro-F1 on the held-out text against steps and seconds, and the majority-class baseline.
---

# Fine-tuning, from scratch, or a probe

```bash
OMP_NUM_THREADS=1 python bench/fine_tuning.py --seed 0 --out /tmp/ft0.json   # one seed, one process
python bench/fine_tuning.py --report /tmp/ft0.json /tmp/ft1.json /tmp/ft2.json   # the recording
OMP_NUM_THREADS=1 python bench/fine_tuning.py --default-cpu   # the default run's cost in CPU seconds
```

(From a checkout that is not the installed one, put it first: `PYTHONPATH=$PWD`.)

For each seed, one process builds the [fine-tuning experiment's](../transformers/mlm_fine_tuning/experiment.html)
`Trainer` three times: **fine-tune** (the bundled pre-trained encoder, every weight trains),
**from scratch** (the same model freshly initialized) and **probe** (the pre-trained encoder
frozen, the head alone trains). The three **take turns step by step**, so that the machine's
speed, which drifts on a shared machine, is the same for all three: the ratios of their
milliseconds per step hold even when the absolute numbers do not. Training time is the sum
of the steps timed by [the harness's](training.html) loop; validation is not timed. The models have no dropout, so a setting's
steps draw nothing from PyTorch's global generator, and each one's numbers are what it would
get alone.

Everything else is the experiment's default but the length: `STEPS` steps (the learning-rate
schedule is set for that many), validated every `VALID_EVERY` on `VALID_SEQUENCES` held-out
windows. The report gives each setting's mean and spread over the seeds at equal steps and
at equal seconds (where the fastest setting ended), and the majority-class baseline on the
same windows.
"""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

from labml_nn.helpers import cli
from labml_nn.transformers.mlm.data import load_corpus
from labml_nn.transformers.mlm_fine_tuning import majority_baseline
from labml_nn.transformers.mlm_fine_tuning.experiment import (
    Configs,
    Trainer,
    load_start,
)
from training import ROOT, default_data, interpolate, spread, timed_steps

RESULTS = ROOT / 'bench' / 'results'
STEPS, VALID_EVERY, VALID_SEQUENCES = 200, 50, 256
SETTINGS = {'fine-tune': {}, 'from scratch': {'from_scratch': True}, 'probe': {'freeze_encoder': True}}


def one_seed(seed: int) -> Dict[str, Any]:
    r"""The three settings of one seed, taking turns; their curves and timed steps."""
    text, _ = load_corpus(default_data())
    start = load_start('bundled')
    trainers = {name: Trainer(cli.build(Configs, {**cli.flatten(Configs()), 'steps': STEPS, 'seed': seed,
                                                  'valid_every': VALID_EVERY, 'valid_sequences': VALID_SEQUENCES,
                                                  **changes}), text, torch.device('cpu'), start)
                for name, changes in SETTINGS.items()}
    step_times = {name: [] for name in trainers}
    curves = {name: [] for name in trainers}
    for step in range(1, STEPS + 1):
        for name, trainer in trainers.items():
            step_times[name] += timed_steps(trainer, 1)
            if step % VALID_EVERY == 0:
                loss, valid = trainer.validate()
                curves[name].append({'step': step, 'train_seconds': round(sum(step_times[name]), 3),
                                     'valid_loss': loss,
                                     'valid_accuracy': valid['accuracy'], 'valid_macro_f1': valid['macro_f1'],
                                     'valid_capital_f1': valid['capital_f1']})
        if step % VALID_EVERY == 0:
            print(f"seed {seed} step {step}: " + ', '.join(f"{n} {curves[n][-1]['valid_macro_f1']:.3f}"
                                                           for n in trainers), flush=True)
    any_trainer = next(iter(trainers.values()))
    return {'seed': seed, 'curves': curves,
            'ms_per_step': {n: 1000 * statistics.median(t) for n, t in step_times.items()},
            'baseline': majority_baseline(any_trainer.valid_labels),
            'valid_letters': int((any_trainer.valid_labels >= 0).sum()),
            'load_average': os.getloadavg(), 'threads': torch.get_num_threads(), 'torch': torch.__version__,
            'machine': f"{platform.machine()}, {os.cpu_count()} cores"}


def corpus_facts(valid_fraction: float) -> Dict[str, Any]:
    r"""
    What the task's page says about the held-out text: the share of its letters that are
    capitals, and how many of its speeches are by speakers who also speak before it (the
    reason the page does not classify speakers). A speech starts at a line that is a name and
    a colon.
    """
    import re

    from labml_nn.transformers.mlm_fine_tuning import labels_of
    text, _ = load_corpus(default_data())
    boundary = int(len(text) * (1 - valid_fraction))
    labels = labels_of(text[boundary:])
    scored = labels[labels >= 0]

    def speeches(part):
        return re.findall(r'(?m)^([A-Z][A-Za-z ]+):$', part)
    before, after = set(speeches(text[:boundary])), speeches(text[boundary:])
    counts: Dict[str, int] = {}
    for name in after:
        counts[name] = counts.get(name, 0) + 1
    top = sorted(counts, key=lambda n: -counts[n])[:5]
    return {'held_out_letters': len(scored), 'held_out_capital_share': float((scored == 1).double().mean()),
            'held_out_speeches': len(after), 'speeches_by_speakers_seen_before': sum(n in before for n in after),
            'top_held_out_speakers': top, 'top_speakers_seen_before': [n for n in top if n in before]}


def known_spread(values: List[Optional[float]]) -> Optional[Dict[str, float]]:
    r"""The spread of `values`, or None if one of them was not measured."""
    return None if None in values else spread(values)


def summarize(seeds: List[Dict[str, Any]]) -> Dict[str, Any]:
    r"""
    Mean and spread over seeds, at equal steps (the end) and at equal seconds (the fastest
    setting's end). A setting whose first validation came after that has no value there (None):
    a slow setting on a short run, never one of the recorded 200 steps.
    """
    names = list(SETTINGS)
    # Equal seconds: where the setting with the shortest training time ended, in each seed
    equal_seconds = [min(s['curves'][n][-1]['train_seconds'] for n in names) for s in seeds]
    settings = {}
    for n in names:
        settings[n] = {
            'ms_per_step': spread([s['ms_per_step'][n] for s in seeds]),
            'ms_per_step_vs_fine_tune': spread([s['ms_per_step'][n] / s['ms_per_step']['fine-tune'] for s in seeds]),
            **{f'{key}_at_{STEPS}_steps': spread([s['curves'][n][-1][key] for s in seeds])
               for key in ('valid_accuracy', 'valid_macro_f1', 'valid_capital_f1')},
            **{f'{key}_at_equal_seconds': known_spread([interpolate(s['curves'][n], 'train_seconds', t, key)
                                                        for s, t in zip(seeds, equal_seconds)])
               for key in ('valid_accuracy', 'valid_macro_f1')},
        }
    return {'steps': STEPS, 'valid_every': VALID_EVERY, 'corpus': corpus_facts(0.1), 'valid_sequences': VALID_SEQUENCES,
            'seeds': [s['seed'] for s in seeds], 'equal_seconds': equal_seconds,
            'baseline': seeds[0]['baseline'], 'valid_letters': seeds[0]['valid_letters'], 'settings': settings,
            'runs': seeds}


def mean_curve(seeds, name: str, x_key: str, y_key: str):
    r"""The seeds' mean of `y_key` at each validation point, at the mean of `x_key` there."""
    points = zip(*(s['curves'][name] for s in seeds))
    return [(statistics.mean(p[x_key] for p in ps), statistics.mean(p[y_key] for p in ps)) for ps in points]


def charts(result: Dict[str, Any]) -> str:
    r"""Macro-F1 on the held-out text against steps and against seconds, mean of the seeds, with the baseline."""
    from site_src.chart import line_chart
    classes = {'fine-tune': 'train', 'from scratch': 'valid', 'probe': 'third'}
    out = []
    for x_key, x_label, chart_id in (('step', 'training step', 'fine-tuning-steps'),
                                     ('train_seconds', 'seconds of training', 'fine-tuning-seconds')):
        series = [(n, classes[n], mean_curve(result['runs'], n, x_key, 'valid_macro_f1')) for n in SETTINGS]
        end = max(x for _, _, ps in series for x, _ in ps)
        series.append(('majority class', 'baseline', [(0, result['baseline']['macro_f1']),
                                                       (end, result['baseline']['macro_f1'])]))
        out.append(line_chart(chart_id, f'Macro-F1 on held-out text against {x_label}', 'macro-F1', series, True,
                              f"Macro-F1 of restoring capitals on the held-out text, mean of "
                              f"{len(result['runs'])} seeds, against {x_label}, for each setting and the "
                              f"majority class.", x_label=x_label))
    return '\n\n'.join(out)


def report(result: Dict[str, Any]) -> str:
    s, base, n = result['settings'], result['baseline'], len(result['runs'])

    def cell(d):
        return '—' if d is None else f"{d['mean']:.3f} ({d['min']:.3f}–{d['max']:.3f})"
    runs = result['runs']
    rows = ['| setting | ms/step (median) | × fine-tune | accuracy at {0} steps | macro-F1 at {0} steps | '
            'capital F1 at {0} steps | accuracy at equal seconds | macro-F1 at equal seconds |'.format(result['steps']),
            '|---|---|---|---|---|---|---|---|']
    for name, d in s.items():
        rows.append(f"| {name} | {d['ms_per_step']['mean']:.0f} | {d['ms_per_step_vs_fine_tune']['mean']:.2f} | "
                    f"{cell(d[f'valid_accuracy_at_{STEPS}_steps'])} | {cell(d[f'valid_macro_f1_at_{STEPS}_steps'])} | "
                    f"{cell(d[f'valid_capital_f1_at_{STEPS}_steps'])} | "
                    f"{cell(d['valid_accuracy_at_equal_seconds'])} | {cell(d['valid_macro_f1_at_equal_seconds'])} |")
    rows.append(f"| majority class (never a capital) | – | – | {base['accuracy']:.3f} | {base['macro_f1']:.3f} | "
                f"{base['capital_f1']:.3f} | {base['accuracy']:.3f} | {base['macro_f1']:.3f} |")
    loads = ', '.join(f"{r['load_average'][0]:.1f}" for r in runs)
    return (f"# Fine-tuning, from scratch, or a probe\n\n"
            f"Written by [`bench/fine_tuning.py`](../fine_tuning.html): restoring the capitals of lower-cased "
            f"Tiny Shakespeare ([the task](../../transformers/mlm_fine_tuning/index.html)), {result['steps']} "
            f"steps of 32 windows of 64 characters, seeds {', '.join(map(str, result['seeds']))}, scored on "
            f"{result['valid_sequences']} windows ({result['valid_letters']:,} letters) of the held-out text. "
            f"Cells: mean over the {n} seeds (lowest–highest). Equal seconds: where the fastest setting's "
            f"training ended in each seed ({', '.join(f'{t:.0f}' for t in result['equal_seconds'])} s). "
            f"Each seed ran in its own process ({runs[0]['machine']}, torch {runs[0]['torch']}, "
            f"{runs[0]['threads']} thread), the three settings taking turns step by step; the seeds' processes "
            f"ran at the same time on a shared machine (one-minute load average at their ends: {loads}), so "
            f"the milliseconds per step are slow in absolute terms; their ratios are what carries over.\n\n"
            + '\n'.join(rows) + '\n\n' + charts(result) + '\n')


def default_run_cpu_time(steps: int = 30) -> Dict[str, Any]:
    r"""
    What a default run costs in **CPU seconds** of one thread: `steps` training steps and one
    validation of the default configs, timed with `time.process_time`, which counts the time
    this process ran and not the time it waited for a core. On a shared, busy machine, where a
    whole default run's wall time says more about the other processes than about ours, this is
    the number that estimates the run on an idle CPU: `steps` × the step's CPU time plus a
    validation every `valid_every` steps.
    """
    text, _ = load_corpus(default_data())
    c = Configs()
    trainer = Trainer(c, text, torch.device('cpu'), load_start('bundled'))
    trainer.train_step()  # the first step allocates; it is not timed
    step_s = sum(timed_steps(trainer, steps, time.process_time)) / steps
    began = time.process_time()
    trainer.validate()
    valid_s = time.process_time() - began
    validations = c.steps // c.valid_every
    return {'steps_timed': steps, 'cpu_s_per_step': step_s, 'cpu_s_per_validation': valid_s,
            'default_steps': c.steps, 'validations': validations,
            'estimated_run_minutes_one_thread': (c.steps * step_s + validations * valid_s) / 60,
            'threads': torch.get_num_threads(), 'load_average': os.getloadavg(), 'torch': torch.__version__,
            'machine': f"{platform.machine()}, {os.cpu_count()} cores"}


def record_default_run(summary_path: str, load_before: str, results: Path = RESULTS) -> None:
    r"""
    The default run's `--summary` (a plain `python -m labml_nn.transformers.mlm_fine_tuning.experiment`
    with `--summary`), kept as `fine_tuning_default_run.json` with the load it ran under, and a page.
    """
    run = json.loads(Path(summary_path).read_text())
    run['load_average_before'], run['load_average_after'] = load_before, ' '.join(f'{x:.1f}' for x in os.getloadavg())
    (results / 'fine_tuning_default_run.json').write_text(json.dumps(run, indent=1) + '\n')
    final = run['final']
    (results / 'fine_tuning_default_run.md').write_text(
        f"# The fine-tuning experiment's default run\n\n"
        f"`python -m labml_nn.transformers.mlm_fine_tuning.experiment --summary …` with every default: "
        f"{run['steps']:,} steps from the bundled pre-trained model, in {run['wall_time_s'] / 60:.1f} minutes "
        f"on {run['machine']}, ending at accuracy {final['valid_accuracy']:.3f} and macro-F1 "
        f"{final['valid_macro_f1']:.3f} on the held-out windows. Load average {run['load_average_before']} "
        f"before the run and {run['load_average_after']} (1, 5 and 15 minutes) after it, on 2 cores: other "
        f"work on the machine only lengthens the minutes. Recorded by "
        f"[`bench/fine_tuning.py`](../fine_tuning.html) `--record-default`.\n\n"
        "| step | seconds | accuracy | macro-F1 |\n|---|---|---|---|\n"
        + ''.join(f"| {p['step']} | {p['time_s']:.0f} | {p['valid_accuracy']:.3f} | {p['valid_macro_f1']:.3f} |\n"
                  for p in run['curve']))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('---')[1])
    parser.add_argument('--seed', type=int, help='train the three settings on this seed')
    parser.add_argument('--out', help='where to write one seed\'s JSON')
    parser.add_argument('--report', nargs='+', help='seed JSON files to merge into bench/results/fine_tuning.*')
    parser.add_argument('--smoke', action='store_true', help='4 steps, to check the script runs')
    parser.add_argument('--record-default', nargs=2, metavar=('SUMMARY', 'LOAD_BEFORE'),
                        help="keep a default run's --summary, with the load average before it, as a recording")
    parser.add_argument('--default-cpu', action='store_true',
                        help="estimate the default run from one thread's CPU seconds per step")
    parser.add_argument('--results', default=str(RESULTS),
                        help='folder the recordings are written to (a trial run writes elsewhere)')
    args = parser.parse_args()
    results = Path(args.results)
    if args.default_cpu:
        run = default_run_cpu_time()
        (results / 'fine_tuning_default_run.json').write_text(json.dumps(run, indent=1) + '\n')
        (results / 'fine_tuning_default_run.md').write_text(
            f"# The fine-tuning experiment's default run, estimated from CPU time\n\n"
            f"Written by [`bench/fine_tuning.py`](../fine_tuning.html) `--default-cpu`: {run['steps_timed']} steps of "
            f"the default configs took {run['cpu_s_per_step']:.3f} CPU seconds each and one validation "
            f"{run['cpu_s_per_validation']:.1f} s, on one thread ({run['machine']}, torch {run['torch']}), "
            f"so the default run's {run['default_steps']:,} steps and {run['validations']} validations need about "
            f"**{run['estimated_run_minutes_one_thread']:.1f} minutes** of one core. Measured as CPU time because the "
            f"machine was shared and busy (one-minute load average {run['load_average'][0]:.1f} on 2 cores), where "
            f"a whole run's wall time measures the other processes: a default run started there did 20 steps in "
            f"15 minutes and was stopped.\n")
        print(run)
        return
    if args.record_default:
        record_default_run(*args.record_default, results)
        return
    if args.smoke:
        global STEPS, VALID_EVERY, VALID_SEQUENCES
        STEPS, VALID_EVERY, VALID_SEQUENCES = 4, 2, 16
    if args.report:
        result = summarize([json.loads(Path(p).read_text()) for p in args.report])
        (results / 'fine_tuning.json').write_text(json.dumps(result, indent=1) + '\n')
        (results / 'fine_tuning.md').write_text(report(result))
        print(report(result).split('\n\n')[2])
        return
    Path(args.out).write_text(json.dumps(one_seed(args.seed), indent=1) + '\n')


if __name__ == '__main__':
    main()
