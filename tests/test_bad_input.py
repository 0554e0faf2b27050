"""Every bad input gets one clear line on stderr, a non-zero exit, no traceback, and nothing is overwritten."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import ROOT, SMALL, run_in_process
from labml_nn.transformers.mlm import experiment as exp
from labml_nn.transformers.mlm_tools import fill


def fails_cleanly(capsys, entry, argv, *words):
    r"""Runs a command-line entry point in-process and checks the one-line error."""
    with pytest.raises(SystemExit) as stopped:
        entry(argv)
    assert stopped.value.code not in (0, None)
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and '\n' not in err, err
    assert 'Traceback' not in err
    for w in words:
        assert w in err, err
    return err


@pytest.fixture(scope='module')
def trained(corpus, tmp_path_factory):
    r"""A run folder with a checkpoint of a 2-step run, shared by the resume and fill-mask cases."""
    cwd = tmp_path_factory.mktemp('trained')
    old = os.getcwd()
    os.chdir(cwd)
    try:
        summary = run_in_process([*SMALL, f'--data={corpus}', '--steps', '2', 'valid_every=2'])
    finally:
        os.chdir(old)
    return Path(summary['checkpoint'])


def test_missing_data(capsys, in_tmp):
    fails_cleanly(capsys, exp.main, ['--data', 'nope.txt'], 'nope.txt', 'no such file')


def test_empty_data(capsys, in_tmp):
    Path('empty.txt').write_text('')
    fails_cleanly(capsys, exp.main, ['--data', 'empty.txt'], 'empty')


def test_binary_data(capsys, in_tmp):
    Path('model.bin').write_bytes(bytes(range(256)) * 10)
    fails_cleanly(capsys, exp.main, ['--data', 'model.bin'], 'binary')


def test_non_utf8_data(capsys, in_tmp):
    Path('latin1.txt').write_bytes('café au lait\n'.encode('latin-1') * 200)
    fails_cleanly(capsys, exp.main, ['--data', 'latin1.txt'], 'not valid UTF-8')


def test_data_shorter_than_a_sequence(capsys, in_tmp):
    Path('short.txt').write_text('To be or not to be')
    fails_cleanly(capsys, exp.main, ['--data', 'short.txt'], 'too short', 'seq_len')


def test_data_is_a_folder(capsys, in_tmp):
    fails_cleanly(capsys, exp.main, ['--data', '.'], 'not a regular file')


def test_unknown_config(capsys):
    fails_cleanly(capsys, exp.main, ['model.d_modle=64'], "unknown config 'model.d_modle'", '--help')


@pytest.mark.parametrize('argv, hint', [
    (['--seq_len=128'], 'did you mean seq_len=128?'),
    (['--seq_len', '128'], 'did you mean seq_len=128?'),
    (['--model.dropout=0.1'], 'did you mean model.dropout=0.1?'),
])
def test_config_written_as_an_option(capsys, argv, hint):
    fails_cleanly(capsys, exp.main, argv, argv[0].split('=')[0], 'without dashes', hint)


def test_stray_argument(capsys):
    fails_cleanly(capsys, exp.main, ['shakespeare.txt'], "unexpected argument")


@pytest.mark.parametrize('item, words', [
    ('seq_len=long', 'expected an integer'),
    ('learning_rate=fast', 'expected a number'),
    ('model.n_layers=2.5', 'expected an integer'),
])
def test_wrong_type(capsys, item, words):
    fails_cleanly(capsys, exp.main, [item], item, words)


@pytest.mark.parametrize('items, words', [
    (['masking.masking_prob=1.5'], 'masking_prob must be between 0 and 1'),
    (['masking.randomize_prob=-0.1'], 'randomize_prob must be between 0 and 1'),
    (['masking.randomize_prob=0.6', 'masking.no_change_prob=0.5'], 'at most 1'),
    (['model.dropout=1.0'], 'model.dropout'),
    (['model.n_heads=3'], 'not divisible'),
    (['batch_size=0'], 'positive'),
    (['model.init=xavier'], 'model.init=xavier: must be one of normal, scaled, torch'),
    (['model.activation=tanh'], 'must be one of gelu, relu'),
])
def test_invalid_values(capsys, items, words):
    fails_cleanly(capsys, exp.main, items, words)


@pytest.mark.parametrize('steps', ['0', '-5'])
def test_steps_not_positive(capsys, steps):
    fails_cleanly(capsys, exp.main, ['--steps', steps], 'must be a positive')


def test_resume_unknown_run(capsys, in_tmp):
    fails_cleanly(capsys, exp.main, ['--resume', '0123456789abcdef'], 'no run folder or checkpoint')


@pytest.mark.parametrize('damage', ['truncate', 'garbage'])
def test_resume_corrupt_checkpoint(capsys, in_tmp, trained, damage):
    bad = in_tmp / 'checkpoint.pt'
    data = trained.read_bytes()
    bad.write_bytes(data[:len(data) // 2] if damage == 'truncate' else b'not a checkpoint' * 100)
    before = bad.read_bytes()
    fails_cleanly(capsys, exp.main, ['--resume', str(bad)], 'not a readable checkpoint')
    assert bad.read_bytes() == before  # nothing the user had is changed


def test_resume_checkpoint_that_would_run_code(capsys, in_tmp):
    r"""A pickle that calls a function when loaded is refused by `weights_only=True`."""
    class Evil:
        def __reduce__(self):
            return (os.system, ('touch pwned',))
    torch.save({'format': exp.CHECKPOINTS.name, 'x': Evil()}, 'evil.pt')
    fails_cleanly(capsys, exp.main, ['--resume', 'evil.pt'], 'not a readable checkpoint')
    assert not Path('pwned').exists()


def test_resume_with_other_vocabulary(capsys, in_tmp, trained):
    Path('other.txt').write_text('0123456789 +-*/=\n' * 2000)
    fails_cleanly(capsys, exp.main, ['--resume', str(trained.parent), '--data', 'other.txt', '--steps', '5'],
                  'vocabulary')


def test_resume_cannot_change_the_model(capsys, in_tmp, trained):
    fails_cleanly(capsys, exp.main, ['--resume', str(trained), 'model.d_model=64', '--steps', '5'],
                  'cannot change model.d_model')


def test_resume_finished_run(capsys, in_tmp, trained):
    fails_cleanly(capsys, exp.main, ['--resume', str(trained)], 'already did 2 of 2 steps')


@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has CUDA')
def test_cuda_without_cuda(capsys):
    fails_cleanly(capsys, exp.main, ['--device', 'cuda'], 'no CUDA')


def test_fill_without_mask(capsys, trained):
    fails_cleanly(capsys, fill.main, ['--checkpoint', str(trained), 'no gaps here'], 'no [MASK]')


def test_fill_unknown_characters(capsys, trained):
    fails_cleanly(capsys, fill.main, ['--checkpoint', str(trained), 'caf\u00e9 [MASK]'], "'\u00e9'")


def test_fill_missing_checkpoint(capsys, in_tmp):
    fails_cleanly(capsys, fill.main, ['--checkpoint', 'missing.pt', 'a[MASK]'], '--checkpoint missing.pt')


def test_fill_prints_probabilities(capsys, trained):
    fill.main(['--checkpoint', str(trained), '--top-k', '3', 'To be or not to b[MASK]'])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == '[MASK] 1:' and len(out) == 4
    probabilities = [float(line.split()[-1].rstrip('%')) for line in out[1:]]
    assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 100


def test_error_in_a_real_process_has_no_traceback(in_tmp):
    r"""The same, end to end: one line on stderr, exit status 2, nothing written."""
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    result = subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', '--data', 'missing.txt'],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count('\n') == 0 and 'Traceback' not in result.stderr
    assert not (in_tmp / 'logs').exists()
