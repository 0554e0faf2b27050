"""Every number the prose quotes from a benchmark is the number that benchmark recorded.

The pages link each claim to its recording in bench/results/; these tests read the recording
(the .json each script writes beside its .md) and check that the prose quotes it as recorded,
formatted as the prose formats it. Re-recording a benchmark without updating the prose that
cites it fails here, so a page can't go on quoting a number nothing measured any more.
"""
import json
import re

import pytest

from conftest import ROOT

RESULTS = ROOT / 'bench' / 'results'


def prose(path: str) -> str:
    r"""The text of a source file with comment marks and line breaks folded away, so that a
    claim wrapped over two lines of a docstring or a comment is found as one sentence."""
    text = (ROOT / path).read_text(encoding='utf-8')
    lines = [re.sub(r'^\s*(#+ ?|> )?', '', line) for line in text.splitlines()]
    return re.sub(r'\s+', ' ', ' '.join(lines))


def recorded(name: str) -> dict:
    return json.loads((RESULTS / f'{name}.json').read_text(encoding='utf-8'))


def percent(x: float) -> str:
    return f'{100 * x:.1f}%'


def assert_quoted(path: str, *claims: str):
    text = prose(path)
    missing = [c for c in claims if c not in text]
    assert not missing, f'{path} does not quote the recorded {missing}'


# ## The default run
def test_default_run():
    run = json.loads((ROOT / 'bench/results/default_run.json').read_text())
    minutes, accuracy = f"{run['wall_time_s'] / 60:.1f} minutes", percent(run['final']['valid_accuracy'])
    steps = f"{run['steps']:,} steps"
    assert_quoted('labml_nn/transformers/mlm/experiment.py', minutes, accuracy, steps)
    assert_quoted('README.md', minutes, accuracy, steps)


# ## Positions: the reference's scaled embedding against ours
def test_positions():
    variants = recorded('positions')['variants']
    at = {name: percent(v['curve'][-1]['valid_accuracy']) for name, v in variants.items()}
    claims = (at['learned'], at['scaled+sinusoidal'], at['no positions'])
    assert_quoted('labml_nn/transformers/mlm/experiment.py', *claims)
    assert_quoted('labml_nn/transformers/embeddings.py', *claims)


# ## What dropout costs a CPU step
def test_dropout_cost():
    ratio = recorded('dropout_cost')['ratio_to_no_dropout']
    claims = (f"{ratio['torch nn.Dropout 0.1']:.2f} times", f"{ratio['ours 0.1']:.2f} times")
    assert_quoted('labml_nn/transformers/mlm/experiment.py', *claims)
    assert_quoted('labml_nn/transformers/dropout.py', *claims)


# ## The sequence-length curriculum
def test_curriculum():
    runs = recorded('curriculum')['runs']
    with_it, without = percent(runs['curriculum']['final_valid_accuracy']), percent(runs['plain']['final_valid_accuracy'])
    for path in ('labml_nn/transformers/mlm/data.py', 'labml_nn/transformers/mlm/readme.md', 'README.md',
                 'docs/benchmarks.md'):
        assert_quoted(path, with_it, without)
    seconds = runs['curriculum']['time_to_target_s']
    assert_quoted('labml_nn/transformers/mlm/data.py', f'{seconds:.0f} seconds')
    assert_quoted('docs/benchmarks.md', f'{seconds:.0f} seconds')


# ## Tokens per second against Hugging Face's BERT
def test_compare():
    results = {r['name']: r for r in recorded('compare')['results']}
    ours, hf = results['ours'], results['hf-bert']
    ratio = f"{ours['tokens_per_s'] / hf['tokens_per_s']:.2f}"
    assert_quoted('README.md', f'{ratio}×')
    assert_quoted('docs/benchmarks.md', f'{ratio} times', f"{ours['tokens_per_s']:,.0f} tokens/s",
                  f"{hf['tokens_per_s']:,.0f} tokens/s")


# ## Time to accuracy against Hugging Face's BERT
def time_ratios():
    data = recorded('time_to_accuracy')
    by = {(r['name'], r['seed']): r for r in data['results']}
    ratios = {}
    for seed in data['seeds']:
        ours, hf = by['ours', seed], by['hf-bert', seed]
        ratios[seed] = {target: ours['seconds_to'][target] / hf['seconds_to'][target]
                        for target in ('0.40', '0.45')}
    return ratios


def test_time_to_accuracy():
    ratios = time_ratios()
    # The target, which the prose states as met: at most 0.7 of BERT's time, every seed
    assert all(r <= 0.7 for seed in ratios.values() for r in seed.values()), ratios
    for target in ('0.40', '0.45'):
        low = min(r[target] for r in ratios.values())
        high = max(r[target] for r in ratios.values())
        quoted = f'{low:.2f} to {high:.2f}' if f'{low:.2f}' != f'{high:.2f}' else f'{low:.2f}'
        for path in ('docs/benchmarks.md', 'README.md', 'labml_nn/transformers/mlm/model.py'):
            assert_quoted(path, quoted)


@pytest.mark.parametrize('name', ['positions', 'dropout_cost', 'curriculum', 'compare', 'time_to_accuracy'])
def test_every_recording_has_its_page(name):
    # The prose links the .md; the .json is what these tests read; both are committed together
    assert (RESULTS / f'{name}.md').is_file() and (RESULTS / f'{name}.json').is_file()


# ## The chapter notebook: "under three minutes", on two cores, as recorded
def test_chapter_notebook_time():
    run = recorded('notebook')
    assert run['seconds'] < 180 and run['cpus'] == 2, run
    assert_quoted('notebooks/mlm_chapter.py', 'two cores) in under three minutes')
