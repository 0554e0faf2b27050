"""
---
title: End-to-end tests of reporting to the labml app
summary: >
  A training process reports through the labml client; we check the API, a real browser, and
  bounded exit when the app is down, killed or hung.
---

End-to-end tests: the MLM experiment reports to `python -m labml_nn.app` through the labml
client, and we check what arrived through the app's HTTP API and in a real browser; and the
experiment ends in bounded time when the app is down, killed or hung.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT as REPO
from labml_nn.app.client import AppServer, get_json, get_status, metric_series, shared_vendor
from conftest import SMALL

pytest.importorskip('labml_app', reason='labml-app is not installed (pip install -e .[app])')

from labml_nn.helpers import app_client  # noqa: E402

ARTIFACTS = REPO / 'test-artifacts'
STEPS = 30
VALID_EVERY = 5
RUN_NAME = 'mlm'
SERIES = {'loss.train', 'accuracy.train', 'loss.valid', 'accuracy.valid'}


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('app')
    s = AppServer(tmp / 'data', shared_vendor()).start()
    yield s
    s.stop()


def experiment_env():
    return {**os.environ, 'PYTHONPATH': str(REPO), 'OMP_NUM_THREADS': '1'}


def experiment_args(corpus, *args):
    return [sys.executable, '-m', 'labml_nn.transformers.mlm.experiment', f'--data={corpus}', *SMALL,
            'checkpoint_every=100000', *args]


def run_experiment(tmp, corpus, *args, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(experiment_args(corpus, *args), cwd=tmp, env=experiment_env(),
                          capture_output=True, text=True, timeout=timeout)


def run_uuid_of(output: str) -> str:
    r"""The experiment prints `labml app: watch the run at http://…/run/<uuid>`."""
    m = re.search(r'/run/([0-9a-f]{32})', output)
    assert m, f'no run URL in the output:\n{output[-2000:]}'
    return m.group(1)


@pytest.fixture(scope='module')
def reported_run(app, corpus, tmp_path_factory):
    """One short training run of the experiment reported to the app; its uuid, output and folder."""
    tmp = tmp_path_factory.mktemp('run')
    # Run from a git repository whose remote is a local path, as a clone of a local repository is:
    # the app can't link such a remote, and once logged an error about it on every page view
    subprocess.run(['git', 'init', '-q'], cwd=tmp, check=True)
    subprocess.run(['git', 'remote', 'add', 'origin', '/srv/repos/mlm'], cwd=tmp, check=True)
    r = run_experiment(tmp, corpus, '--steps', str(STEPS), f'valid_every={VALID_EVERY}',
                       '--summary', 'summary.json', '--app', app.app_url)
    assert r.returncode == 0, r.stderr[-3000:]
    return run_uuid_of(r.stdout), r, tmp


# ---------------------------------------------------------------- through the HTTP API


def test_run_and_configs_arrived(app, reported_run):
    run_uuid, r, tmp = reported_run
    assert json.loads((tmp / 'summary.json').read_text())['app_sent'] is True
    run = get_json(f'{app.base}/api/v1/run/{run_uuid}')
    assert run['name'] == RUN_NAME
    configs = {c['key']: c['computed'] for c in run['configs']}
    assert configs['steps'] == STEPS and configs['model.d_model'] == 32 and configs['seq_len'] == 32
    status = get_json(f'{app.base}/api/v1/run/status/{run_uuid}')
    assert status['run_status']['status'] == 'completed'


def test_metric_series_arrived(app, reported_run):
    run_uuid, _, _ = reported_run
    series = metric_series(app.base, run_uuid)
    assert set(series) >= SERIES
    steps, loss = series['loss.train']
    # The experiment sends the mean of the training metrics every 10 steps and at each validation
    expected = sorted(set(range(10, STEPS + 1, 10)) | set(range(VALID_EVERY, STEPS + 1, VALID_EVERY)))
    np.testing.assert_array_equal(steps, expected)
    assert loss[-2:].mean() < loss[:2].mean(), 'training loss did not go down'
    steps, accuracy = series['accuracy.valid']
    np.testing.assert_array_equal(steps, np.arange(VALID_EVERY, STEPS + 1, VALID_EVERY))
    assert ((0 <= accuracy) & (accuracy <= 1)).all()


def test_run_is_listed_without_manual_claim(app, reported_run):
    run_uuid, _, _ = reported_run
    runs = get_json(f'{app.base}/api/v1/runs/null')['runs']
    assert run_uuid in [r['run_uuid'] for r in runs]
    assert get_json(f'{app.base}/api/v1/run/{run_uuid}')['is_claimed'] is True


def test_terminal_output_arrived(app, reported_run):
    run_uuid, _, _ = reported_run
    pages = get_json(f'{app.base}/api/v1/logs/stdout/{run_uuid}', {'page': -2},
                     method='POST')['pages']
    # The labml client sends the terminal: the run's header names its uuid
    assert run_uuid in ''.join(pages.values())


def test_output_names_the_run_once_without_noise(app, reported_run):
    run_uuid, r, _ = reported_run
    # Our line, once; not the client's own copy of it, nor its "still updating" notice
    assert r.stdout.count(f'/run/{run_uuid}') == 1, r.stdout
    assert 'Still updating' not in r.stdout + r.stderr
    # A pipe gets plain lines: no colours, no carriage returns, no git status line
    assert '\x1b[' not in r.stdout and '\r' not in r.stdout and '[clean]' not in r.stdout
    assert any('loss.valid' in line for line in r.stdout.splitlines())


def test_app_logs_no_noise_on_page_views(app, reported_run):
    run_uuid, _, _ = reported_run
    for _ in range(2):
        get_json(f'{app.base}/api/v1/run/{run_uuid}')
        get_json(f'{app.base}/api/v1/metrics/{run_uuid}', {'get_all': True}, method='POST')
    time.sleep(0.5)
    log = (app.data / 'labml_app.log').read_text() if (app.data / 'labml_app.log').exists() else ''
    for noise in ('unknown repo url', 'Mean of empty slice', 'RuntimeWarning'):
        assert noise not in app.output and noise not in log, noise


def test_run_is_also_logged_locally(reported_run):
    run_uuid, _, tmp = reported_run
    assert (tmp / 'logs' / RUN_NAME / run_uuid / 'run.yaml').is_file()


# ---------------------------------------------------------------- in a browser


CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync']


def test_browser_shows_chart_configs_and_runs_list(app, reported_run):
    sync_api = pytest.importorskip('playwright.sync_api')
    if not os.path.exists(CHROMIUM):
        pytest.skip('Debian chromium is not installed (apt-get install -y chromium)')
    run_uuid, _, _ = reported_run
    ARTIFACTS.mkdir(exist_ok=True)
    outside = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={'width': 1200, 'height': 1000})
            # The page must load nothing from the internet.
            page.on('request', lambda req: outside.append(req.url)
                    if not req.url.startswith(app.base) else None)

            page.goto(f'{app.base}/run/{run_uuid}')
            chart = page.locator('svg#chart')
            chart.wait_for(timeout=20000)
            # d3 draws one path per series line and fill: wait for them.
            page.wait_for_function(
                "document.querySelectorAll('svg#chart path').length >= 4", timeout=20000)
            page.get_by_text('loss.train').first.wait_for(timeout=10000)
            page.get_by_text(run_uuid).first.wait_for(timeout=10000)
            page.screenshot(path=str(ARTIFACTS / 'app-run.png'), full_page=True)
            # Font Awesome's icon font came from our server, not a CDN.
            assert page.evaluate("[...document.fonts].some(f => f.family.includes('Font Awesome')"
                                 " && f.status === 'loaded')")

            page.locator('.labml-card', has_text='Configurations').click()
            page.wait_for_url(f'**/run/{run_uuid}/configs', timeout=10000)
            configs = page.locator('.configs')
            configs.get_by_text('learning_rate').wait_for(timeout=10000)
            text = configs.inner_text()
            # Nested configs are listed under their group (`model`, then `--- d_model`)
            for name in ('seq_len', 'learning_rate', 'd_model', 'n_layers', 'masking_prob', 'randomize_prob'):
                assert name in text, name
            page.screenshot(path=str(ARTIFACTS / 'app-configs.png'), full_page=True)

            page.goto(f'{app.base}/runs')
            page.get_by_text(RUN_NAME).first.wait_for(timeout=20000)
            page.screenshot(path=str(ARTIFACTS / 'app-runs.png'), full_page=True)
        finally:
            browser.close()
    assert outside == [], f'the page loaded from outside the app: {outside}'


# ---------------------------------------------------------------- bounded exit


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_app_down_at_start_logs_locally_and_exits(tmp_path, corpus):
    t = time.monotonic()
    r = run_experiment(tmp_path, corpus, '--steps', '5', '--summary', 'summary.json',
                       '--app', f'http://127.0.0.1:{closed_port()}/api/v1/default', timeout=60)
    elapsed = time.monotonic() - t
    assert r.returncode == 0, r.stderr[-2000:]
    notices = [line for line in r.stderr.splitlines() if 'not answering' in line]
    assert len(notices) == 1 and 'logging locally only' in notices[0]
    run_uuid = json.loads((tmp_path / 'summary.json').read_text())['run_uuid']
    assert (tmp_path / 'logs' / RUN_NAME / run_uuid / 'run.yaml').is_file()
    assert elapsed < 30


def _wait_for_run(app: AppServer, run_uuid: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if get_status(f'{app.base}/api/v1/run/{run_uuid}') == 200:
            return
        time.sleep(0.2)
    raise AssertionError('run never reached the app')


def _read_uuid(proc: subprocess.Popen) -> str:
    for line in proc.stdout:
        if 'watch the run at' in line:
            return run_uuid_of(line)
    raise AssertionError('no run URL line')


@pytest.mark.parametrize('fault', ['killed', 'hung'])
def test_app_fails_mid_run_process_exits_in_bounded_time(tmp_path, corpus, fault):
    """
    The app dies (SIGKILL) or hangs (SIGSTOP: connections open, nothing answers) while the
    experiment reports. Without our hooks the client would retry for ever and the process
    never exit; with them it waits at most `app_client.FINISH_TIMEOUT` after training.
    """
    s = AppServer(tmp_path / 'data', shared_vendor()).start()
    try:
        proc = subprocess.Popen(experiment_args(corpus, '--steps', '200', 'valid_every=50', '--app', s.app_url),
                                cwd=tmp_path, env=experiment_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        run_uuid = _read_uuid(proc)
        _wait_for_run(s, run_uuid)
        t = time.monotonic()
        if fault == 'killed':
            s.kill()
        else:
            s.proc.send_signal(signal.SIGSTOP)
        # What is left of training (200 small steps: seconds), then at most FINISH_TIMEOUT
        out, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - t
        assert proc.returncode == 0, err[-2000:]
        assert elapsed < 30 + app_client.FINISH_TIMEOUT, f'took {elapsed:.1f} s after the {fault} app'
        assert 'did not take the last updates in time' in err
    finally:
        if s.proc.poll() is None:
            s.proc.send_signal(signal.SIGCONT)
        s.stop()


def test_bad_app_url_is_one_line(tmp_path, corpus):
    r = run_experiment(tmp_path, corpus, '--app', 'ftp://127.0.0.1/x', timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().count('\n') == 0 and 'http://' in r.stderr
    assert 'Traceback' not in r.stderr


# ---------------------------------------------------------------- URL resolution


def test_resolve_app_url(tmp_path, monkeypatch):
    monkeypatch.delenv('labml_app_url', raising=False)
    (tmp_path / 'sub').mkdir()
    assert app_client.resolve_app_url(None, tmp_path / 'sub') is None  # no .labml.yaml
    (tmp_path / '.labml.yaml').write_text('app_url: http://127.0.0.1:9/api/v1/mine\n')
    assert app_client.resolve_app_url(None, tmp_path / 'sub') == 'http://127.0.0.1:9/api/v1/mine'
    # `--app` wins over the file; a bare `--app` means the local server.
    assert app_client.resolve_app_url('http://127.0.0.1:7/api/v1/x/', tmp_path) == \
        'http://127.0.0.1:7/api/v1/x'
    assert app_client.resolve_app_url(app_client.DEFAULT_APP_URL, tmp_path) == app_client.DEFAULT_APP_URL
    for bad in ('127.0.0.1:5005/api/v1/default', 'http://127.0.0.1:5005/api/v1/a?b=c',
                'http://127.0.0.1:5005/runs'):
        with pytest.raises(app_client.UserError):
            app_client.validate_url(bad)
    # The address the app prints is its default token
    assert app_client.validate_url('http://127.0.0.1:5005/') == 'http://127.0.0.1:5005/api/v1/default'


def test_check_app_is_quick_when_nothing_listens():
    t = time.monotonic()
    reason = app_client.check_app(f'http://127.0.0.1:{closed_port()}/api/v1/default', timeout=2)
    assert reason and 'refused' in reason.lower()
    assert time.monotonic() - t < 3


def test_check_app_accepts_a_running_app(app):
    assert app_client.check_app(app.app_url) is None
    # A server that is not a labml app (here: the app's own static page) is refused.
    assert app_client.check_app(f'{app.base}/not-an-api/api/v1/x') is not None

