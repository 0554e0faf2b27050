"""
---
title: The labml app from Python - start a local server, read a run's metrics
summary: Start and stop `python -m labml_nn.app` as a real process on 127.0.0.1, wait for it with deadlines, and read runs and metrics through the app's HTTP API; used by the tests, the benchmarks and scripts.
---

# The labml app from Python

Scripts that want an app of their own (the tests, the [app benchmark](../bench/bench_app.html),
a notebook) start the real server, `python -m labml_nn.app`, as a user would, in a process of
its own. These functions start it, wait for it with deadlines, and talk to the app's HTTP API.
Every address is on 127.0.0.1.
"""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional

import numpy as np

# The folder that holds this `labml_nn`: child processes import the same package from it
REPO = Path(__file__).resolve().parents[2]


def shared_vendor() -> Path:
    """
    One install of the page's npm libraries for all app tests, kept between sessions in the
    temporary folder. Installs are keyed by the lock file's hash, so reuse is always safe.
    """
    from labml_nn.app import vendor
    d = Path(tempfile.gettempdir()) / 'labml_nn_test_vendor'
    vendor.install(d)
    return d


def env() -> dict:
    """The environment for child processes: this same package importable, output unbuffered."""
    e = dict(os.environ)
    e['PYTHONPATH'] = str(REPO) + (os.pathsep + e['PYTHONPATH'] if e.get('PYTHONPATH') else '')
    e['PYTHONUNBUFFERED'] = '1'
    return e


class AppServer:
    """
    `python -m labml_nn.app --port 0` in a subprocess. Port 0 lets the operating system pick a
    free port; we read the real one from the line the server prints.
    """

    def __init__(self, data: Path, vendor: Path, *extra: str):
        self.data, self.vendor, self.extra = data, vendor, extra
        self.proc: Optional[subprocess.Popen] = None
        self.base = ''
        self.lines: List[str] = []

    def start(self, timeout: float = 60) -> 'AppServer':
        try:
            return self._start(timeout)
        except BaseException:
            self.kill()  # never leave a half-started server behind
            raise

    def _start(self, timeout: float) -> 'AppServer':
        cmd = [sys.executable, '-m', 'labml_nn.app', '--port', '0', '--data', str(self.data),
               '--vendor', str(self.vendor), *self.extra]
        self.proc = subprocess.Popen(cmd, env=env(), cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f'server exited: {"".join(self.lines)}')
            self.lines.append(line)
            m = re.search(r'open (http://127\.0\.0\.1:\d+)/', line)
            if m:
                self.base = m.group(1)
                break
        else:
            raise RuntimeError('server did not start in time')
        # Keep reading what the server prints, so that tests can look at it (and its pipe never fills)
        threading.Thread(target=self._drain, daemon=True).start()
        # The socket is listening before the line is printed; wait until the app answers.
        while time.monotonic() < deadline:
            try:
                get_json(f'{self.base}/api/v1/runs/null', timeout=2)
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('server did not answer in time')

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        r"""Everything the server printed so far."""
        return ''.join(self.lines)

    @property
    def app_url(self) -> str:
        return f'{self.base}/api/v1/default'

    def kill(self):
        """SIGKILL: no clean-up of any kind, as in a crash or an out-of-memory kill."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()


def get_json(url: str, data: Optional[dict] = None, method: Optional[str] = None,
             timeout: float = 10):
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def get_status(url: str, timeout: float = 10) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def metric_series(base: str, run_uuid: str) -> dict:
    """
    `POST /api/v1/metrics/<uuid>` with `get_all`: every series of the run, decoded. The app sends
    steps and values as base64 of little-endian float32 arrays.
    """
    res = get_json(f'{base}/api/v1/metrics/{run_uuid}', {'get_all': True}, method='POST')
    out = {}
    for s in res.get('series', []):
        steps = np.frombuffer(base64.b64decode(s['step']), dtype='<f4')
        values = np.frombuffer(base64.b64decode(s['value']), dtype='<f4')
        out[s['name']] = (steps, values)
    return out


