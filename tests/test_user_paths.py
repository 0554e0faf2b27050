"""
What a new user ran into, tried again: offline routes to Tiny Shakespeare, the named fallback
corpus, output paths checked before training, the app's own address, checkpoint messages in one
whole sentence, and one error line under torchrun.
"""
import io
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, SMALL, run_in_process
from labml_nn.helpers import corpus
from labml_nn.transformers.mlm import data
from labml_nn.transformers.mlm import experiment as exp


def fails_with(capsys, argv, *words):
    with pytest.raises(SystemExit) as stopped:
        exp.main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and '\n' not in err, err
    for w in words:
        assert w in err, err
    return err


@pytest.fixture
def offline(monkeypatch, tmp_path):
    r"""No network, no local copy, an empty cache."""
    def no_network(*args, **kwargs):
        raise OSError('network is unreachable')
    monkeypatch.setattr(urllib.request, 'urlopen', no_network)
    monkeypatch.delenv(data.LOCAL_COPY_VARIABLE, raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    monkeypatch.setattr(corpus, 'stdlib_docstrings', lambda limit=0: 'Docstrings of the library. ' * 400)


def test_offline_fallback_names_every_route_to_a_local_copy(offline, capsys, tmp_path):
    text, name = data.load_corpus(None)
    assert name == 'stdlib_docstrings' and text.startswith('Docstrings')
    line = capsys.readouterr().out.strip()
    assert '\n' not in line
    cache_file = str(tmp_path / 'cache' / 'labml_nn' / 'tiny_shakespeare.txt')
    for route in ('--data PATH', cache_file, 'LABML_NN_TINY_SHAKESPEARE', '--data stdlib_docstrings'):
        assert route in line, route
    # It says which corpus it trains on instead, and why
    assert 'no network' in line and "the docstrings of Python 3." in line and 'standard library' in line


# ## A source the user named is never replaced
#
# The real file's SHA-256 is swapped for the one of a stand-in text, so that these run on any
# machine (the checks are the same code whichever text is the real one).
GOOD = 'First Citizen:\nBefore we proceed any further, hear me speak.\n' * 200


@pytest.fixture
def stand_in(offline, monkeypatch, tmp_path):
    r"""Offline as above, with `GOOD` as the real Tiny Shakespeare; returns the cache file's path."""
    monkeypatch.setattr(corpus, 'TINY_SHAKESPEARE_SHA256', corpus.sha256_of(GOOD.encode()))
    return tmp_path / 'cache' / 'labml_nn' / 'tiny_shakespeare.txt'


def serve(monkeypatch, body: bytes):
    r"""The network is back, and the canonical address answers `body`."""
    monkeypatch.setattr(urllib.request, 'urlopen', lambda *args, **kwargs: io.BytesIO(body))


@pytest.mark.parametrize('content, words', [
    (None, ['no such file']),
    ('Not the plays at all.\n' * 100, ['not Tiny Shakespeare', 'SHA-256']),
    (GOOD[:-1], ['not Tiny Shakespeare']),
    (bytes(range(256)) * 10, ['binary']),
], ids=['missing', 'another text', 'truncated', 'binary'])
def test_a_named_copy_that_is_wrong_is_an_error_not_a_fallback(stand_in, capsys, in_tmp, monkeypatch,
                                                                 content, words):
    path = in_tmp / 'shakespeare.txt'
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    monkeypatch.setenv(data.LOCAL_COPY_VARIABLE, str(path))
    # Even with the network up and a good copy on offer, the named file is not passed over
    serve(monkeypatch, GOOD.encode())
    fails_with(capsys, [*SMALL, '--steps', '1'], f'$LABML_NN_TINY_SHAKESPEARE={path}', 'unset it', *words)
    assert not (in_tmp / 'logs').exists() and not stand_in.exists()


def test_a_named_good_copy_is_used(stand_in, in_tmp, monkeypatch):
    path = in_tmp / 'shakespeare.txt'
    path.write_text(GOOD)
    monkeypatch.setenv(data.LOCAL_COPY_VARIABLE, str(path))
    assert data.load_corpus(None) == (GOOD, 'tiny_shakespeare')


def test_a_corrupt_cache_is_named_and_downloaded_again(stand_in, capsys, monkeypatch):
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text(GOOD[:1000])
    serve(monkeypatch, GOOD.encode())
    assert data.load_corpus(None) == (GOOD, 'tiny_shakespeare')
    out = capsys.readouterr().out
    assert f'The cached copy of Tiny Shakespeare at {stand_in} is corrupt' in out and 'downloading it again' in out
    assert stand_in.read_text() == GOOD
    # No temporary file is left beside it
    assert [p.name for p in stand_in.parent.iterdir()] == [stand_in.name]


def test_a_corrupt_cache_offline_is_an_error_that_says_so(stand_in, capsys, in_tmp):
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text(GOOD[:1000])
    fails_with(capsys, [*SMALL, '--steps', '1'], f'the cached copy of Tiny Shakespeare at {stand_in} is corrupt',
               "can't be downloaded again", '--data PATH')
    # Nothing trained on another corpus, and the bad copy is still there for the user to look at
    assert not (in_tmp / 'logs').exists() and stand_in.read_text() == GOOD[:1000]


def test_a_bad_download_replaces_nothing(stand_in, capsys, in_tmp, monkeypatch):
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text(GOOD[:1000])
    serve(monkeypatch, b'<html>Sign in to the Wi-Fi</html>')
    fails_with(capsys, [*SMALL, '--steps', '1'], 'is not Tiny Shakespeare', 'nothing was saved')
    assert stand_in.read_text() == GOOD[:1000] and len(list(stand_in.parent.iterdir())) == 1


def test_help_names_the_routes_and_the_corpus_names(capsys):
    exp.main(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    for route in ('LABML_NN_TINY_SHAKESPEARE', '~/.cache/labml_nn/', "'tiny_shakespeare'", "'stdlib_docstrings'"):
        assert route in text, route


def test_asking_for_tiny_shakespeare_offline_is_an_error_with_the_routes(offline, capsys, in_tmp):
    fails_with(capsys, ['--data', 'tiny_shakespeare'], "can't download", 'LABML_NN_TINY_SHAKESPEARE')
    assert not (in_tmp / 'logs').exists()


def test_a_fallback_run_resumes_on_the_fallback_corpus(offline, in_tmp, corpus, monkeypatch):
    first = run_in_process([*SMALL, '--data', 'stdlib_docstrings', '--steps', '2', 'valid_every=2'])
    assert first['data'] == 'stdlib_docstrings'
    # The real text is available now; the run still continues on the text it was trained on
    monkeypatch.setenv(data.LOCAL_COPY_VARIABLE, str(corpus))
    resumed = run_in_process(['--resume', first['run_uuid'], '--steps', '4'])
    assert resumed['steps'] == 4 and resumed['data'] == 'stdlib_docstrings'


def test_summary_path_is_checked_before_training(capsys, in_tmp):
    fails_with(capsys, ['--summary', '/no/such/dir/s.json'], '--summary', 'does not exist')
    fails_with(capsys, ['--summary', '.'], 'is a folder')
    # Nothing ran: no run folder was made
    assert not (in_tmp / 'logs').exists()


def test_app_address_as_printed_by_the_app_is_accepted(capsys, in_tmp, corpus):
    # The app's own address is understood (here nothing listens: one line, local logging)
    summary = run_in_process([*SMALL, f'--data={corpus}', '--steps', '1', 'valid_every=1',
                              '--app', 'http://127.0.0.1:9/'])
    assert summary['app_sent'] is None
    assert 'http://127.0.0.1:9/api/v1/default is not answering' in capsys.readouterr().err


def test_bad_app_url_is_reported_before_the_data_is_read(capsys, in_tmp):
    fails_with(capsys, ['--app', 'ftp://127.0.0.1/x', '--data', 'missing.txt'], '--app', 'http://')


@pytest.mark.parametrize('content, words', [
    (b'just some text\n' * 100, '(not a PyTorch file); give a checkpoint.pt written by the experiment'),
    ('truncated', '(it is truncated or corrupt); give a checkpoint.pt written by the experiment'),
])
def test_non_checkpoint_files_get_a_whole_sentence(capsys, in_tmp, content, words):
    path = in_tmp / 'file.pt'
    if content == 'truncated':
        shutil.copy(ROOT / 'tests/fixtures/old_checkpoint/checkpoint.pt', path)
        path.write_bytes(path.read_bytes()[:5000])
    else:
        path.write_bytes(content)
    err = fails_with(capsys, ['--resume', str(path)], 'not a readable checkpoint', words)
    # Our whole sentence, not PyTorch's message cut off part way
    assert err.endswith(words) and 'weights_only' not in err


def test_piped_output_is_plain_lines(in_tmp, corpus):
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    r = subprocess.run([sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', *SMALL, f'--data={corpus}',
                        '--steps', '20', 'valid_every=10', 'sample_every=10'],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert '\x1b[' not in r.stdout and '\r' not in r.stdout
    assert '[clean]' not in r.stdout and '[dirty]' not in r.stdout and 'LABML WARNING' not in r.stdout
    lines = r.stdout.splitlines()
    # One line per validation, and every line short enough to read
    assert sum('loss.valid' in line for line in lines) == 2
    assert max(len(line) for line in lines) < 200


@pytest.mark.skipif(shutil.which('torchrun') is None and not (Path(sys.executable).parent / 'torchrun').exists(),
                    reason='torchrun is not installed')
def test_config_error_under_torchrun_is_printed_once(in_tmp):
    torchrun = shutil.which('torchrun') or str(Path(sys.executable).parent / 'torchrun')
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([torchrun, '--nproc_per_node=2', '-m', 'labml_nn.transformers.mlm.experiment',
                        'model.n_heads=3'], capture_output=True, text=True, env=env, timeout=180)
    assert r.returncode != 0
    output = r.stdout + r.stderr
    assert output.count('error: model.d_model=128 is not divisible by model.n_heads=3') == 1, output[-3000:]


def test_the_notebook_extra_installs_what_the_readme_runs_the_notebook_with():
    r"""The README opens the chapter notebook with `jupyter lab` and runs it with `jupyter
    nbconvert --execute`; the extra it names must install both commands and the kernel."""
    import ast
    setup = (ROOT / 'setup.py').read_text(encoding='utf-8')
    extras = next(ast.literal_eval(k.value) for node in ast.walk(ast.parse(setup))
                  if isinstance(node, ast.Call) for k in node.keywords if k.arg == 'extras_require')
    packages = {requirement.split('==')[0].lower() for requirement in extras['notebook']}
    assert {'jupyterlab', 'nbconvert', 'ipykernel', 'matplotlib'} <= packages
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert 'pip install -e ".[notebook]"' in readme
    assert 'jupyter lab labml_nn/transformers/mlm/notebook.ipynb' in readme
    assert 'jupyter nbconvert --to notebook --execute labml_nn/transformers/mlm/notebook.ipynb' in readme
