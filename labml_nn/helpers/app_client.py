r"""
---
title: Reporting a run to the labml app, with a finish that never hangs
summary: Checking the app before a run, a daemon sender thread with a bounded wait at the end, claiming the run so the app lists it, and the app URL from --app or .labml.yaml.
---

# The labml app client

*Part of the [machinery behind the lessons](index.html).* [`run`](run.html) calls `connect`
before a run starts and `AppReporter.finish` after it ends.

## Reporting safely

An experiment run with `--app` reports to the [labml app](../app/index.html). The labml
client sends data from a background thread, and three of its habits matter:

1. **It never gives up.** A failed send is retried after 10 s, then 20 s, 30 s, … for ever.
2. **Its thread is not a daemon.** Python waits for every non-daemon thread before it exits,
   so with the app down the training script finishes its work and then never ends.
3. **Runs arrive unclaimed.** The client sends no token, so the app files the run where its
   page works but its runs list does not show it until someone claims it
   (`PUT /api/v1/run/<uuid>/claim`).

So `connect` asks the app first, with a short timeout, and leaves the app out (one line, local
logging) when it does not answer; the sender thread is made a daemon and `finish` waits for it
at most `FINISH_TIMEOUT` seconds after training; and the run claims itself from the sender
thread after the app's first answer. These hooks wrap `labml.internal.app.AppTracker`, an
internal class of the pinned client; without it, `connect` says so and logs locally.
"""

import atexit
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlsplit

import yaml

from labml_nn.helpers.cli import UserError
from labml_nn.helpers.tracking import logs_folder

# Where `python -m labml_nn.app` listens by default. The last path element is the "token" the
# client sends; the local app accepts any.
DEFAULT_APP_URL = 'http://127.0.0.1:5005/api/v1/default'
# How long `connect` waits for the app to answer before deciding it is down
CHECK_TIMEOUT = 2.0
# How long `finish` waits for the last updates to reach the app
FINISH_TIMEOUT = 20.0
# The client waits up to 120 s for each answer; an app answers in about a second, so 30 s is
# plenty and a hung app is noticed sooner
SEND_TIMEOUT = 30
PREFIX = 'labml app'


def validate_url(url: str) -> str:
    r"""
    Checks an app URL the way the labml client will, before the run starts. The app's own
    address (`http://127.0.0.1:5005/`, what `python -m labml_nn.app` prints) means its default
    token, `…/api/v1/default`.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise UserError(f"--app {url}: an app URL starts with http:// or https:// and names a host, "
                        f"e.g. http://127.0.0.1:5005/")
    if parts.query or parts.fragment or '?' in url or '#' in url:
        raise UserError(f"--app {url}: an app URL has no '?' or '#' part")
    if parts.path.strip('/') == '':
        return f"{parts.scheme}://{parts.netloc}/api/v1/default"
    if '/api/v1/' not in parts.path:
        raise UserError(f"--app {url}: give the app's address (http://HOST:PORT/) or "
                        f"http://HOST:PORT/api/v1/TOKEN")
    return url.rstrip('/')


def find_yaml_app_url(start: Optional[Path] = None) -> Optional[str]:
    r"""`app_url` from the nearest `.labml.yaml` in `start` (the working folder) or above."""
    path = (start or Path.cwd()).resolve()
    for folder in [path, *path.parents]:
        f = folder / '.labml.yaml'
        if f.is_file():
            try:
                configs = yaml.safe_load(f.read_text()) or {}
            except yaml.YAMLError as e:
                raise UserError(f"{f} is not valid YAML: {str(e).splitlines()[0]}")
            if isinstance(configs, dict) and configs.get('app_url'):
                return str(configs['app_url'])
    return None


def resolve_app_url(app_arg: Optional[str], start: Optional[Path] = None) -> Optional[str]:
    r"""
    The app URL to report to, or `None` for local logging: `--app URL`, a bare `--app` (`''`:
    the local server), else `.labml.yaml`'s `app_url`.
    """
    if app_arg == '':
        return DEFAULT_APP_URL
    url = app_arg if app_arg is not None else find_yaml_app_url(start)
    return validate_url(url) if url and url.strip() else None


def api_base(url: str) -> str:
    r"""`http://host:port/api/v1/TOKEN` → `http://host:port/api/v1`"""
    return url[:url.index('/api/v1/') + len('/api/v1')]


def check_app(url: str, timeout: float = CHECK_TIMEOUT) -> Optional[str]:
    r"""
    Asks the app about a run that does not exist: a labml app answers at once with JSON (404
    and `{}`). Returns `None` when it does, or in a few words why we can't report there.
    """
    probe = f'{api_base(url)}/run/labml-nn-app-probe'
    try:
        with urllib.request.urlopen(probe, timeout=timeout) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        if e.code != 404:
            return f'HTTP {e.code} from {probe}'
        body = e.read()
    except urllib.error.URLError as e:
        return str(e.reason)
    except (TimeoutError, OSError) as e:
        return str(e) or type(e).__name__
    try:
        json.loads(body)
    except ValueError:
        return f'{probe} did not answer with JSON: is this a labml app?'
    return None


def claim_run(url: str, run_uuid: str, timeout: float = 5.0) -> bool:
    r"""Puts the run in the app's runs list; returns whether the app confirmed it."""
    req = urllib.request.Request(f'{api_base(url)}/run/{run_uuid}/claim', method='PUT')
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return bool(json.loads(r.read()).get('is_successful'))
    except (OSError, ValueError):
        return False


class _ClaimAfterFirstAnswer:
    r"""
    A response handler for the client's sender thread (`handle(response) -> bool`; `False`
    lets other handlers see the response too). The app's first answer means it knows the run,
    so that is when to claim it; a failed claim is tried again on a few later answers.
    """

    def __init__(self, url: str, run_uuid: str, attempts: int = 5):
        self.url, self.run_uuid, self.attempts, self.claimed = url, run_uuid, attempts, False

    def handle(self, data) -> bool:
        if not self.claimed and self.attempts > 0:
            self.attempts -= 1
            # An exception here would make the client send the same data again
            try:
                self.claimed = claim_run(self.url, self.run_uuid)
            except Exception:
                pass
        return False


# Every `AppTracker` the client creates while hooked, so that `finish` can wait for them
_trackers: List = []
_hooked_url: Optional[str] = None


def _hook_client(url: str) -> Optional[str]:
    r"""
    Wraps `AppTracker.__init__`: a daemon sender thread, a shorter send timeout, and a claim
    after the first answer. Returns a reason if the client is not the version we know.
    """
    global _hooked_url
    _hooked_url = url
    try:
        from labml.internal.app import AppTracker
    except ImportError:
        return 'this labml client has no labml.internal.app.AppTracker'
    if getattr(AppTracker, '_labml_nn_hooked', False):
        return None
    original = AppTracker.__init__

    def __init__(self, app_track_url, params, *, timeout_seconds=15, daemon=False):
        original(self, app_track_url, params, timeout_seconds=min(timeout_seconds, SEND_TIMEOUT), daemon=True)
        _trackers.append(self)
        # A distributed run sends one stream per rank; only the main rank's run is listed
        if str(params.get('rank', 0)) == str(params.get('main_rank', 0)) and _hooked_url:
            self.add_handler(_ClaimAfterFirstAnswer(_hooked_url, params['run_uuid']))

    AppTracker.__init__ = __init__
    AppTracker._labml_nn_hooked = True
    return None


class AppReporter:
    r"""
    What `connect` found: `url`, the app URL runs report to (`None`: local logging only),
    and `finish`, the bounded wait for the last updates.
    """

    def __init__(self, url: Optional[str], finish_timeout: float = FINISH_TIMEOUT):
        self.url, self.finish_timeout, self.finished = url, finish_timeout, False

    def run_url(self, run_uuid: str) -> Optional[str]:
        r"""The page that shows a run."""
        return f"{self.url[:self.url.index('/api/v1/')]}/run/{run_uuid}" if self.url else None

    def finish(self, timeout: Optional[float] = None) -> bool:
        r"""
        Waits until the client has sent everything, at most `timeout` seconds (default
        `finish_timeout`). Call it after the labml run has ended, which queues its final
        status. Returns whether everything was sent; safe to call more than once.
        """
        if self.finished or not self.url:
            self.finished = True
            return True
        self.finished = True
        deadline = time.monotonic() + (self.finish_timeout if timeout is None else timeout)
        done = True
        for app_tracker in list(_trackers):
            thread = getattr(app_tracker, 'thread', None)
            if thread is None or not thread.is_alive():
                continue
            if not app_tracker.stopped:
                # The run did not end (finish was called inside it): stop once the queue is sent
                app_tracker.stop()
            thread.join(max(0.0, deadline - time.monotonic()))
            done = done and not thread.is_alive()
        if not done:
            print(f'{PREFIX}: {self.url} did not take the last updates in time; giving up '
                  f'(the run is complete in the local logs)', file=sys.stderr, flush=True)
        return done


_reporters: List[AppReporter] = []


@atexit.register
def _finish_at_exit():
    # A safety net for scripts that forget `finish`: the sender thread is a daemon, so without
    # this its last updates would be dropped at exit
    for reporter in _reporters:
        reporter.finish()


def connect(app_arg: Optional[str], *, check_timeout: float = CHECK_TIMEOUT,
            finish_timeout: float = FINISH_TIMEOUT, start: Optional[Path] = None) -> AppReporter:
    r"""
    Decides whether the run reports to an app, and sets the labml client up for it; call it
    before `start_run`. `app_arg` is the `--app` value (`None`: the flag is absent). An app
    that does not answer costs one line and local logging; a malformed URL is a `UserError`.
    """
    url = resolve_app_url(app_arg, start)
    # labml reads `.labml.yaml` again when its folder is set: set it first, configure after
    logs_folder()
    reporter = AppReporter(None)
    if url is not None:
        reason = check_app(url, check_timeout) or _hook_client(url)
        if reason is not None:
            print(f'{PREFIX}: {url} is not answering ({reason}); logging locally only. '
                  f'Start one with: python -m labml_nn.app', file=sys.stderr, flush=True)
        else:
            from labml import lab
            # These override `.labml.yaml`; a browser tab per run is not what a terminal user wants
            lab.configure({'app_url': url, 'app_open_browser': False})
            reporter = AppReporter(url, finish_timeout)
    _reporters.append(reporter)
    return reporter
