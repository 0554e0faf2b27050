"""Shared fixtures: the corpus the tests train on, a small and fast model configuration, and
the built site served on 127.0.0.1 with a browser to open it (one build for all site tests)."""
import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Overrides that make a model small enough to train a few steps in a second or two
SMALL = ['model.d_model=32', 'model.n_layers=2', 'model.n_heads=4', 'model.d_ff=64',
         'seq_len=32', 'batch_size=16', 'valid_sequences=64', 'sample_every=0']


@pytest.fixture(scope='session')
def corpus(tmp_path_factory) -> Path:
    r"""
    Tiny Shakespeare from `../shared/data` (or `$LABML_NN_TINY_SHAKESPEARE`) when present;
    otherwise the offline corpus written to a temporary file, so the suite runs anywhere.
    """
    for candidate in (os.environ.get('LABML_NN_TINY_SHAKESPEARE'),
                      ROOT.parent / 'shared' / 'data' / 'tiny_shakespeare.txt'):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    from labml_nn.transformers.mlm.data import stdlib_docstrings
    path = tmp_path_factory.mktemp('corpus') / 'stdlib.txt'
    path.write_text(stdlib_docstrings(), encoding='utf-8')
    return path


def corpus_env(corpus: Path, cache: Path) -> dict:
    r"""
    The environment under which a child process (a kernel, a script) finds the suite's corpus
    as the package would find Tiny Shakespeare: the variable names the local copy when it *is*
    Tiny Shakespeare (naming another text is an error); otherwise an empty cache, so that with
    no network the child falls back to the offline corpus, as a reader's would.
    """
    from labml_nn.helpers.corpus import LOCAL_COPY_VARIABLE, TINY_SHAKESPEARE_SHA256, sha256_of
    if sha256_of(corpus.read_bytes()) == TINY_SHAKESPEARE_SHA256:
        return {LOCAL_COPY_VARIABLE: str(corpus)}
    return {LOCAL_COPY_VARIABLE: None, 'XDG_CACHE_HOME': str(cache)}


def set_env(monkeypatch, env: dict) -> None:
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


class FakeClock:
    r"""`time.time`, `time.monotonic` and `time.perf_counter`, moved on only by the test."""

    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    r"""Run in an empty working directory, so runs land in its `logs/`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def load_hook(path: str):
    r"""An mkdocs hook file of the repository, loaded as mkdocs loads it (by path, as a module of its own)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_in_process(argv, stop_at=None):
    r"""The experiment's command line, run in this process; returns the run's summary."""
    from labml_nn.helpers import cli
    from labml_nn.transformers.mlm import experiment
    return experiment.train(cli.parse(experiment.Configs, argv), stop_at=stop_at)


# ## The built site and a browser

CHROMIUM = Path('/usr/bin/chromium')
ARTIFACTS = ROOT / 'test-artifacts'


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def python_path() -> str:
    r"""The repository first on Python's path, then whatever the caller had there."""
    return os.pathsep.join([str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])])


@pytest.fixture(scope='session')
def site_dir(tmp_path_factory) -> Path:
    r"""`mkdocs build` of the project, once per test session."""
    site = tmp_path_factory.mktemp('site')
    result = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '-q', '-d', str(site)],
                            cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, 'PYTHONPATH': python_path()})
    assert result.returncode == 0, result.stderr
    return site


@pytest.fixture(scope='session')
def origin(site_dir):
    r"""The built site served from 127.0.0.1 on a free port."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             functools.partial(QuietHandler, directory=str(site_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    thread.join()


@pytest.fixture(scope='session')
def browser():
    r"""Debian's chromium driven by Playwright (it never downloads a browser of its own)."""
    if not CHROMIUM.exists():
        pytest.skip('Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)')
    playwright = pytest.importorskip('playwright.sync_api', reason='the PyPI package playwright is not installed')
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'])
        yield browser
        browser.close()
