"""
---
title: Tests of the local labml app server
summary: >
  The crash-safe store, start-up errors, the data-folder lock, the local page libraries, and
  SIGKILL at random moments while runs report.
---

Tests of `python -m labml_nn.app`: the crash-safe store, start-up errors, the lock, the page's
local libraries, and SIGKILL at random moments while runs report.
"""

import http.client
import os
import pickle
import random
import socket
import subprocess
import sys
import threading
import time
import uuid as uuid_lib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT as REPO
from labml_nn.app.client import (AppServer, env, get_json, get_status, metric_series,
                         shared_vendor)

# `labml_app.settings` reads these when imported (the unit tests below import the app's models).
os.environ.setdefault('LABML_APP_SERVER_IP', '127.0.0.1')
os.environ.setdefault('LABML_APP_SERVER_PORT', '5005')
pytest.importorskip('labml_app', reason='labml-app is not installed (pip install -e .[app])')

from labml_nn.app import server, store  # noqa: E402
from labml_nn.helpers import files  # noqa: E402


@pytest.fixture(scope='session')
def vendor_dir():
    """One npm install of the page's libraries, shared by all tests."""
    return shared_vendor()


# ---------------------------------------------------------------- the store


def test_atomic_write_keeps_old_contents_when_a_write_fails(tmp_path, monkeypatch):
    f = tmp_path / 'Run:1.pkl'
    files.atomic_write(f, b'old contents')
    real_write = os.write

    def failing_write(fd, data):
        # Write part of the data, then fail, as a full disk would.
        real_write(fd, bytes(data[:3]))
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(files.os, 'write', failing_write)
    with pytest.raises(OSError):
        files.atomic_write(f, b'new contents that never fully arrive')
    monkeypatch.undo()
    assert f.read_bytes() == b'old contents'
    assert [p.name for p in tmp_path.iterdir()] == ['Run:1.pkl'], 'temporary file left behind'


def test_model_driver_ignores_and_cleans_temporaries(tmp_path):
    from labml_app.db import run as run_db
    from labml_db.serializer.pickle import PickleSerializer
    d = store.AtomicFileDbDriver(PickleSerializer(), run_db.Run, tmp_path)
    d.save_dict('Run:abc', {'run_uuid': 'abc'})
    # What a crash between create and rename leaves:
    (tmp_path / f'{store.TMP_PREFIX}Run:def.pkl.123').write_bytes(b'\x80half')
    assert d.get_all() == ['Run:abc']
    assert d.load_dict('Run:abc') == {'run_uuid': 'abc'}
    assert store.remove_stale_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ['Run:abc.pkl']


def test_repair_drops_references_to_missing_runs(tmp_path):
    from labml_app import db
    models, indexes = store.make_drivers(tmp_path, db.models, db.indexes)
    by_name = {m.model_name: m for m in models}
    index = {i.index_name: i for i in indexes}
    by_name['Run'].save_dict('Run:ok', {'run_uuid': 'ok'})
    by_name['Folder'].save_dict('Folder:f', {'name': 'default', 'run_uuids': {'ok', 'lost'}})
    by_name['Project'].save_dict('Project:p', {'runs': {'ok': 'Run:ok', 'lost': 'Run:lost'},
                                               'folders': {'default': 'Folder:f'}})
    index['RunIndex'].set('ok', 'Run:ok')
    index['RunIndex'].set('lost', 'Run:lost')

    fixes = store.repair(models, indexes)

    assert len(fixes) == 2, fixes
    assert by_name['Project'].load_dict('Project:p')['runs'] == {'ok': 'Run:ok'}
    assert by_name['Folder'].load_dict('Folder:f')['run_uuids'] == {'ok'}
    assert index['RunIndex'].items() == {'ok': 'Run:ok'}
    assert store.repair(models, indexes) == []  # nothing left to fix

    # A crash after the project was saved but before the run index entry was written.
    by_name['Run'].save_dict('Run:new', {'run_uuid': 'new'})
    by_name['Project'].save_dict('Project:p', {'runs': {'ok': 'Run:ok', 'new': 'Run:new'},
                                               'folders': {'default': 'Folder:f'}})
    assert store.repair(models, indexes) == ['RunIndex: restored new from Project:p']
    assert index['RunIndex'].get('new') == 'Run:new'


# ---------------------------------------------------------------- start-up


def start_fails(*args, extra_env=None, code=None):
    e = env()
    e.update(extra_env or {})
    cmd = [sys.executable, '-m', 'labml_nn.app', *args] if code is None else \
        [sys.executable, '-c', code, *args]
    r = subprocess.run(cmd, env=e, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert 'Traceback' not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_port_in_use_is_one_line(tmp_path, vendor_dir):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = start_fails('--port', str(port), '--data', str(tmp_path),
                           '--vendor', str(vendor_dir))
    assert f'port {port}' in line and 'already in use' in line


def test_unwritable_data_folder_is_one_line(tmp_path):
    blocker = tmp_path / 'a-file'
    blocker.write_text('not a folder')
    line = start_fails('--port', '0', '--data', str(blocker / 'data'))
    assert 'not writable' in line and str(blocker) in line


def test_missing_app_says_how_to_install(tmp_path):
    # Run the launcher with site-packages hidden: labml-app (and the web server) are not there.
    code = ('import sys; sys.path = [p for p in sys.path if "-packages" not in p]; '
            'from labml_nn.app.server import main; sys.exit(main(sys.argv[1:]))')
    line = start_fails('--port', '0', '--data', str(tmp_path), code=code)
    assert 'not installed' in line and 'pip install' in line and 'labml-app' in line


def test_bad_arguments_are_one_line():
    assert 'invalid port' in start_fails('--port', '70000')
    assert 'unrecognized arguments' in start_fails('--nope')


def test_loopback_detection():
    for address, expected in (('127.0.0.1', True), ('::1', True), ('0.0.0.0', False),
                              ('192.0.2.1', False)):
        assert server.is_loopback_address(address) is expected


def test_second_server_on_same_data_is_refused(tmp_path, vendor_dir):
    first = AppServer(tmp_path, vendor_dir).start()
    try:
        line = start_fails('--port', '0', '--data', str(tmp_path), '--vendor', str(vendor_dir))
        assert 'another labml_nn.app server' in line and str(first.proc.pid) in line
    finally:
        first.kill()
    # The lock dies with its process, even after SIGKILL: a new server starts.
    AppServer(tmp_path, vendor_dir).start().stop()


# ---------------------------------------------------------------- the page


def test_page_and_libraries_are_served_locally(tmp_path, vendor_dir):
    s = AppServer(tmp_path, vendor_dir).start()
    try:
        host, port = s.base.split('//')[1].split(':')
        for path in ('/', '/run/0123456789abcdef', '/runs'):
            c = http.client.HTTPConnection(host, int(port), timeout=10)
            c.request('GET', path)
            r = c.getresponse()
            page = r.read().decode()
            assert r.status == 200 and '/js/bundle.min.js' in page
            assert 'https://' not in page, 'page still loads something from the internet'
        expected = {
            '/_vendor/d3/dist/d3.min.js': b'd3js.org v6.7.0',
            '/_vendor/bootstrap/dist/css/bootstrap.min.css': b'Bootstrap v5.0.0-beta2',
            '/_vendor/@fortawesome/fontawesome-free/css/all.css': b'Font Awesome Free 5.9.0',
        }
        for path, marker in expected.items():
            c = http.client.HTTPConnection(host, int(port), timeout=10)
            c.request('GET', path)
            r = c.getresponse()
            assert r.status == 200 and marker in r.read(2000), path
        # The fonts that Font Awesome's CSS refers to, relative to itself.
        assert get_status(f'{s.base}/_vendor/@fortawesome/fontawesome-free/webfonts/'
                          f'fa-solid-900.woff2') == 200
        # Only the three packages are served, and `..` cannot climb out of them.
        for path in ('/_vendor/d3-array/package.json', '/_vendor/d3/../../../../etc/passwd',
                     '/_vendor/d3/%2e%2e/%2e%2e/package.json'):
            c = http.client.HTTPConnection(host, int(port), timeout=10)
            c.request('GET', path)
            r = c.getresponse()
            assert r.status == 404, path
            assert b'root:' not in r.read()
    finally:
        s.stop()


# ---------------------------------------------------------------- crash safety


def _packets(name: str, step: int, n: int):
    """Packets shaped like the labml 0.5.3 client's (recorded from a real run)."""
    now = time.time()
    steps = list(range(step, step + n))
    packets = [{'stdout': ''.join(f'step {s}\n' for s in steps), 'time': now},
               {'wildcard_indicators': {'*': {'class_name': 'Scalar', 'name': '*',
                                              'is_print': True}},
                'indicators': {'loss.train': {'class_name': 'Scalar', 'name': 'loss.train',
                                              'is_print': True}},
                'track': {'loss.train': {'step': [float(s) for s in steps],
                                         'value': [1.0 / (1 + s) for s in steps]}},
                'time': now}]
    if step == 1:
        packets.insert(0, {'name': name, 'comment': '', 'computer': 'c0ffee' * 5 + '00',
                           'python_file': 'crash.py', 'repo_remotes': [], 'commit': 'unknown',
                           'commit_message': '', 'is_dirty': False, 'start_step': 0,
                           'load_run': None, 'tags': ['crash'], 'notes': '', 'pid': 1,
                           'time': now})
        packets.append({'configs': {'steps': {
            'name': 'steps', 'type': "<class 'int'>", 'value': 10, 'order': 0, 'options': [],
            'computed': 10, 'is_hyperparam': False, 'is_meta': False,
            'is_explicitly_specified': False}}, 'time': now})
    return packets


def _report_until_killed(base: str, runs: dict, acked: dict, claimed: set,
                         lock: threading.Lock, rng: random.Random):
    """Post run data in a loop, as several clients would, until the server is gone."""
    while True:
        with lock:
            run_uuid = rng.choice(list(runs))
            name, step = runs[run_uuid]
        url = (f'{base}/api/v1/default/track?run_uuid={run_uuid}&rank=0&main_rank=0'
               f'&world_size=0&labml_version=0.5.3')
        try:
            get_json(url, _packets(name, step, 5), timeout=10)
            with lock:
                runs[run_uuid] = (name, step + 5)
                acked[run_uuid] = name
            if step == 1:
                get_json(f'{base}/api/v1/run/{run_uuid}/claim', method='PUT', timeout=10)
                with lock:
                    claimed.add(run_uuid)
        except (OSError, http.client.HTTPException, ValueError):
            return  # the server was killed (mid-answer, perhaps)


def test_runs_survive_sigkill_at_random_moments(tmp_path, vendor_dir):
    rng = random.Random(1234)
    runs, acked, claimed, lock = {}, {}, set(), threading.Lock()
    kills = 12
    for cycle in range(kills):
        # `--pace 0`: answer at once, so the server writes as much as it can before the kill.
        s = AppServer(tmp_path, vendor_dir, '--pace', '0').start()
        try:
            check_all_runs_load(s.base, runs, acked, claimed, tmp_path)
            for _ in range(2):
                runs[uuid_lib.uuid4().hex] = (f'crash-{cycle}', 1)
            workers = [threading.Thread(target=_report_until_killed,
                                        args=(s.base, runs, acked, claimed, lock,
                                              random.Random(rng.random())))
                       for _ in range(3)]
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.3, 1.5))
        finally:
            s.kill()  # also when a check fails: never leave a server running
        for w in workers:
            w.join(30)
        s.stop()

    s = AppServer(tmp_path, vendor_dir).start()
    try:
        assert len(acked) >= kills, 'too few runs reached the server to test anything'
        check_all_runs_load(s.base, runs, acked, claimed, tmp_path)
    finally:
        s.stop()
    # Every file in the store is whole.
    for f in (tmp_path / 'models').iterdir():
        assert not f.name.startswith(store.TMP_PREFIX)
        pickle.loads(f.read_bytes())
    for f in (tmp_path / 'indexes').iterdir():
        assert isinstance(yaml.safe_load(f.read_text()), dict), f
    print(f'{kills} kills, {len(acked)} runs confirmed, {len(claimed)} claimed')


def check_all_runs_load(base: str, runs: dict, acked: dict, claimed: set, data: Path):
    """Every run the server confirmed loads, with its series; none makes the app fail."""
    listed = {r['run_uuid'] for r in get_json(f'{base}/api/v1/runs/null')['runs']}
    for run_uuid, (name, step) in runs.items():
        status = get_status(f'{base}/api/v1/run/{run_uuid}')
        assert status in (200, 404), f'run {run_uuid}: HTTP {status}'
        if run_uuid not in acked:
            continue
        if status != 200:
            index = yaml.safe_load((data / 'indexes' / 'RunIndex.yaml').read_text()) or {}
            key = index.get(run_uuid)
            raise AssertionError(f'confirmed run {run_uuid} is gone: RunIndex has {key!r}, '
                                 f'file exists: {key and (data / "models" / f"{key}.pkl").exists()}')
        assert get_json(f'{base}/api/v1/run/{run_uuid}')['name'] == name
        assert 'loss.train' in metric_series(base, run_uuid)
        assert get_status(f'{base}/api/v1/run/status/{run_uuid}') == 200
        # A run whose claim the app confirmed stays in the runs list.
        if run_uuid in claimed:
            assert run_uuid in listed, f'claimed run {run_uuid} fell out of the runs list'
