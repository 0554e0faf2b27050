"""
The fine-tuning chapter: the capitals task's labels and split (nothing of the evaluation text
was trained on, by the masked language model or the classifier), the three settings, exact
resume, bad input, and the export that transformers' token-classification pipeline loads and
that agrees with our own predictions.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import ROOT
from test_bad_input import fails_cleanly
from test_user_paths import offline  # noqa: F401 (a fixture)

from labml_nn.helpers import cli
from labml_nn.transformers.mlm.data import split
from labml_nn.transformers.mlm_fine_tuning import (
    CAPITAL,
    IGNORE,
    LOWER,
    confusion,
    evaluation_windows,
    experiment,
    export,
    labels_of,
    lower_case,
    majority_baseline,
    scores,
    split_task,
)
from labml_nn.transformers.mlm_tools.load import BUNDLED_MODEL

# Small enough to train a few steps of the bundled model in seconds
TINY = ['seq_len=16', 'batch_size=4', 'valid_sequences=8', 'valid_every=2', 'checkpoint_every=2']


@pytest.fixture(scope='module')
def shakespeare(corpus) -> Path:
    r"""The pre-trained model's own corpus: the task's split is only meaningful on it."""
    if 'shakespeare' not in corpus.name:
        pytest.skip('needs Tiny Shakespeare (the bundled model was pre-trained on it)')
    return corpus


@pytest.fixture(scope='module')
def start():
    return experiment.load_start('bundled')


def test_labels_and_input():
    text = 'First Citizen:\nI say, O lord!'
    labels = labels_of(text)
    assert labels.tolist()[:6] == [CAPITAL, LOWER, LOWER, LOWER, LOWER, IGNORE]
    # Every non-letter is unscored; every letter is scored, capital exactly where the text has one
    assert all((lab == IGNORE) == (not ch.isalpha()) for ch, lab in zip(text, labels.tolist()))
    assert [ch for ch, lab in zip(text, labels.tolist()) if lab == CAPITAL] == ['F', 'C', 'I', 'O']
    assert lower_case(text) == text.lower()
    # A letter whose lower case is two characters keeps its place (and the text its length)
    assert lower_case('AİB') == 'aİb'


def test_scores_from_counts():
    labels = torch.tensor([LOWER, LOWER, LOWER, CAPITAL, IGNORE])
    predictions = torch.tensor([LOWER, CAPITAL, LOWER, CAPITAL, CAPITAL])
    counts = confusion(predictions, labels)
    assert counts.tolist() == [[2, 1], [0, 1]]
    s = scores(counts)
    # Lower: precision 1, recall 2/3, F1 0.8; capital: precision 1/2, recall 1, F1 2/3
    assert s['accuracy'] == pytest.approx(0.75) and s['macro_f1'] == pytest.approx((0.8 + 2 / 3) / 2)
    base = majority_baseline(labels)
    assert base['accuracy'] == pytest.approx(0.75) and base['capital_f1'] == 0 and base['macro_f1'] < 0.5


def test_split_is_the_pretrained_runs_and_nothing_leaks(shakespeare, start):
    text = shakespeare.read_text(encoding='utf-8')
    # The bundled model recorded how it split the corpus, and the task uses exactly that
    recorded = json.loads((BUNDLED_MODEL / 'config.json').read_text())['training']['configs']
    assert start.valid_fraction == recorded['valid_fraction'] == 0.1 and start.data == 'tiny_shakespeare'
    task = split_task(text, start.vocabulary, start.valid_fraction)
    mlm_train, mlm_valid = split(start.vocabulary.encode(text), start.valid_fraction)
    assert task.boundary == len(mlm_train) and len(task.valid_ids) == len(mlm_valid)
    # The classifier trains on the text before the boundary only…
    assert torch.equal(task.train_ids, start.vocabulary.encode(lower_case(text[:task.boundary])))
    # …and every evaluation window is a piece of the text after it, with its own labels
    inputs, labels, starts = evaluation_windows(task.valid_ids, task.valid_labels, 512, 64)
    assert len(inputs) == 512 and len(set(starts.tolist())) == 512
    for window, window_labels, s in zip(inputs, labels, starts.tolist()):
        original = text[task.boundary + s:task.boundary + s + 64]
        assert task.boundary + s >= task.boundary and len(original) == 64
        assert ''.join(start.vocabulary.decode_token(i) for i in window.tolist()) == lower_case(original)
        assert torch.equal(window_labels, labels_of(original))
    # Windows don't overlap, and the trainer evaluates on these same windows
    assert bool((starts.diff() >= 64).all())
    trainer = experiment.Trainer(cli.build(experiment.Configs, {'valid_sequences': 512}), text,
                                 torch.device('cpu'), start)
    assert torch.equal(trainer.valid_inputs, inputs) and torch.equal(trainer.valid_labels, labels)


def test_three_settings_start_as_they_should(shakespeare, start):
    text = shakespeare.read_text(encoding='utf-8')

    def make(**changes):
        return experiment.Trainer(cli.build(experiment.Configs, {'seq_len': 16, 'batch_size': 4, **changes}), text,
                                  torch.device('cpu'), start)
    tuned, scratch, probe = make(), make(from_scratch=True), make(freeze_encoder=True)
    pretrained = dict(start.weights)
    # Fine-tuning and the probe start from the pre-trained encoder; from scratch does not
    assert torch.equal(tuned.model.encoder.layers[0].attention.output.weight,
                       pretrained['encoder.layers.0.attention.output.weight'])
    assert not torch.equal(scratch.model.encoder.layers[0].attention.output.weight,
                           pretrained['encoder.layers.0.attention.output.weight'])
    # The same seed gives all three the same new head
    assert torch.equal(tuned.model.head.weight, scratch.model.head.weight)
    assert torch.equal(tuned.model.head.weight, probe.model.head.weight)
    # The probe trains its head only
    before = {n: p.clone() for n, p in probe.model.named_parameters()}
    for _ in range(2):
        probe.train_step()
    changed = {n for n, p in probe.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == {'head.weight', 'head.bias'}


def test_resume_equals_an_uninterrupted_run(shakespeare, in_tmp):
    argv = [*TINY, f'--data={shakespeare}', '--steps', '6', '--device', 'cpu']
    whole = experiment.train(experiment.parse(argv))
    half = experiment.train(experiment.parse(argv), stop_at=3)
    # Stopped before its planned last step: interrupted, as in the lesson's experiment
    assert half['interrupted'] and half['steps'] == 3 and not whole['interrupted']
    resumed = experiment.train(experiment.parse(['--resume', half['run_uuid'], '--steps', '6', '--device', 'cpu']))
    assert resumed['steps'] == 6
    # Bit for bit: the validation curve (with its macro-F1) and the weights; the seconds differ
    untimed = [[{k: v for k, v in p.items() if k != 'time_s'} for p in r['curve']] for r in (whole, resumed)]
    assert untimed[0] == untimed[1] and 'valid_macro_f1' in untimed[0][0]
    a, b = (torch.load(r['checkpoint'], weights_only=True) for r in (whole, resumed))
    assert a['model'].keys() == b['model'].keys() and all(torch.equal(a['model'][k], b['model'][k]) for k in a['model'])
    assert b['format'] == experiment.CHECKPOINTS.name and b['source'].startswith('bundled')


@pytest.mark.parametrize('argv, words', [
    (['seq_len=128'], ['seq_len=128', 'at most 64']),
    (['--checkpoint', 'no-such-run'], ['--checkpoint no-such-run']),
    (['pretrained=no-such-run'], ['--checkpoint no-such-run']),
    (['frozen=true'], ["unknown config 'frozen'"]),
    (['learning_rate=-1'], ['learning_rate']),
    (['--resume', 'no-such-run'], ['--resume no-such-run']),
])
def test_bad_input(capsys, shakespeare, in_tmp, argv, words):
    fails_cleanly(capsys, experiment.main, [*argv, f'--data={shakespeare}', '--device', 'cpu'], *words)


def test_a_text_with_unseen_characters_is_refused_before_the_run_exists(capsys, in_tmp):
    # Code has braces, underscores and digits that the bundled model never saw in Shakespeare
    Path('code.txt').write_text('def f(x_1):\n    return {x_1: [2, 3]}\n' * 400)
    fails_cleanly(capsys, experiment.main, ['--data', 'code.txt', '--device', 'cpu'],
                  '--data code.txt', 'never saw', '_', '{', 'tiny_shakespeare')
    assert not list(in_tmp.glob('logs/mlm_fine_tuning/*'))


def test_offline_without_the_pretraining_text_says_how_to_give_it(offline, capsys, in_tmp, tmp_path):
    err = fails_cleanly(capsys, experiment.main, ['--device', 'cpu'], 'pre-trained on (tiny_shakespeare)',
                        '--data PATH', str(tmp_path / 'cache' / 'labml_nn' / 'tiny_shakespeare.txt'),
                        '$LABML_NN_TINY_SHAKESPEARE=PATH')
    # No fallback to another corpus was announced, and nothing was created
    assert 'docstrings' not in capsys.readouterr().out + err
    assert not list(in_tmp.glob('logs/mlm_fine_tuning/*'))


def test_an_mlm_checkpoint_is_not_a_fine_tuning_run(capsys, shakespeare, in_tmp):
    # An MLM run can be started from (--checkpoint), but not resumed as a fine-tuning run
    from conftest import SMALL, run_in_process
    mlm = run_in_process([*SMALL, f'--data={shakespeare}', '--steps', '2', 'valid_every=2'])
    fails_cleanly(capsys, experiment.main, ['--resume', mlm['run_uuid'], '--device', 'cpu'],
                  'not a checkpoint of this experiment')
    run = experiment.train(experiment.parse([*TINY, '--checkpoint', mlm['run_uuid'], f'--data={shakespeare}',
                                             '--steps', '2', '--device', 'cpu']))
    state = torch.load(run['checkpoint'], weights_only=True)
    assert state['model_configs']['d_model'] == 32 and state['configs']['pretrained'] == mlm['run_uuid']


def test_help(capsys):
    experiment.main(['--help'])
    out = capsys.readouterr().out
    assert 'freeze_encoder=False' in out and '--checkpoint' in out


# ## The export, and transformers' pipeline in a process of its own: offline, without labml_nn
HF_SCRIPT = r'''
import json, sys
sys.modules['labml_nn'] = None
from transformers import pipeline
capitals = pipeline('token-classification', model=sys.argv[1], trust_remote_code=True)
print(json.dumps([[{k: (float(v) if k == 'score' else v) for k, v in e.items()} for e in capitals(t)]
                  for t in json.loads(sys.argv[2])]))
'''
TEXTS = ['first citizen:\nbefore we proceed any further, hear me speak.', 'o romeo, romeo! wherefore art thou romeo?']


@pytest.fixture(scope='module')
def fine_tuned(shakespeare, tmp_path_factory):
    cwd = tmp_path_factory.mktemp('fine-tuned')
    old = os.getcwd()
    os.chdir(cwd)
    try:
        run = experiment.train(experiment.parse([*TINY, f'--data={shakespeare}', '--steps', '4', '--device', 'cpu']))
    finally:
        os.chdir(old)
    return Path(run['checkpoint'])


def test_export_and_hugging_face_pipeline_agree(capsys, fine_tuned, tmp_path):
    folder = export.export(fine_tuned, tmp_path / 'capitals')
    config = json.loads((folder / 'config.json').read_text())
    assert config['id2label'] == {'0': 'O', '1': 'CAPITAL'} and config['model_type'] == export.MODEL_TYPE
    assert {'classifier.py', 'hugging_face_classifier.py', 'hugging_face.py', 'model.py'} <= {
        f.name for f in folder.iterdir()}
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(HF_HUB_OFFLINE='1', HF_HOME=str(tmp_path / 'hf'), TRANSFORMERS_VERBOSITY='error')
    result = subprocess.run([sys.executable, '-c', HF_SCRIPT, str(folder), json.dumps(TEXTS)], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    theirs = json.loads(result.stdout.strip().splitlines()[-1])
    model, vocabulary, _, _ = export.load_run(str(fine_tuned))
    for text, entities in zip(TEXTS, theirs):
        p = export.predict(model, vocabulary, text)  # [len(text), 2]
        ours = [i for i in range(len(text)) if p[i, CAPITAL] > p[i, LOWER]]
        # The pipeline reports exactly the characters we would capitalize, with our probabilities
        assert [e['index'] for e in entities] == ours
        assert all(e['entity'] == 'CAPITAL' and e['word'] == text[e['index']] for e in entities)
        assert all(abs(e['score'] - float(p[e['index'], CAPITAL])) < 1e-5 for e in entities)
    # The command line restores texts with the same predictions
    export.main(['--checkpoint', str(fine_tuned), TEXTS[1]])
    restored = capsys.readouterr().out.strip()
    assert restored == export.restore(TEXTS[1], export.predict(model, vocabulary, TEXTS[1]))
    assert restored.lower() == TEXTS[1]


def test_export_bad_input(capsys, fine_tuned, tmp_path):
    fails_cleanly(capsys, export.main, ['--checkpoint', str(fine_tuned)], 'give texts')
    fails_cleanly(capsys, export.main, ['--checkpoint', str(tmp_path / 'nothing'), 'a'], '--checkpoint')
    fails_cleanly(capsys, export.main, ['--checkpoint', str(fine_tuned), 'x' * 65], 'at most 64')
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'keep.txt').write_text('mine')
    fails_cleanly(capsys, export.main, ['--checkpoint', str(fine_tuned), '--out', str(tmp_path / 'full')], 'not empty')
    assert (tmp_path / 'full' / 'keep.txt').read_text() == 'mine'


def test_export_names_the_run_of_a_distributed_checkpoint(fine_tuned, tmp_path):
    r"""Rank 0 of a distributed run keeps its checkpoint in `<uuid>.0`: the card names the run `<uuid>`."""
    uuid = fine_tuned.parent.name
    rank0 = tmp_path / 'logs/mlm_fine_tuning' / f'{uuid}.0'
    rank0.mkdir(parents=True)
    (rank0 / 'checkpoint.pt').write_bytes(fine_tuned.read_bytes())
    folder = export.export(rank0 / 'checkpoint.pt', tmp_path / 'capitals')
    assert json.loads((folder / 'config.json').read_text())['training']['run_uuid'] == uuid


def test_classifier_travels_with_the_model_alone(monkeypatch):
    r"""The classifier module imports only torch and the lesson's model: it is copied into export folders."""
    import grimp
    monkeypatch.syspath_prepend(str(ROOT))
    graph = grimp.build_graph('labml_nn', include_external_packages=True, cache_dir=None)
    imported = {m for m in graph.find_modules_directly_imported_by('labml_nn.transformers.mlm_fine_tuning.classifier')
                if m.split('.')[0] not in sys.stdlib_module_names}
    assert imported <= {'torch', 'labml_nn.transformers.mlm.model'}, imported
