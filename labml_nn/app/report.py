"""
---
title: Reporting a run to the labml app, safely
summary: >
  Find the app's URL, check that it answers, configure the labml client, list the run without
  manual claiming, and end the process within a deadline whatever the app does.
---

# Reporting a run to the labml app, safely

An experiment uses this module in three places:

```python
from labml import experiment
from labml_nn.app import report

app = report.connect(args.app)        # before experiment.create
experiment.create(name='mlm', writers=app.writers)
...
with experiment.start():
    train()
app.finish()                          # after the `with` block: waits at most `finish_timeout`
```

`args.app` comes from a flag declared with `report.add_app_argument(parser)`: absent means "use
`.labml.yaml`'s `app_url` if there is one, else log locally", `--app` alone means the local server
(`python -m labml_nn.app`), and `--app URL` a given app.

### What the labml client does on its own, and what we change

The client (`labml` 0.5.3) sends data from a background thread (`labml.internal.app._AppTrackThread`).
Training code only puts *data sources* on a queue; the thread takes everything queued, sends it as one
HTTP POST and loops. Three of its habits matter here:

1. **It never gives up.** A failed POST is retried after 10 s, then 20 s, 30 s, … for ever.
2. **It is not a daemon thread.** Python waits for every non-daemon thread before the process can
   exit, so with the app down the training script finishes its work and then never exits.
3. **Runs arrive unclaimed.** The client sends no token, so the app files the run under its
   "float" project: the run's page works, but the runs list only shows runs that someone claimed
   (`PUT /api/v1/run/<uuid>/claim`).

So we:

* check the app answers *before* the run, with a short timeout, and if it does not, leave the
  `app` writer out: the run logs locally only and the client never starts its thread;
* make the client's sender thread a daemon, so that it can never hold the process open, and
  instead wait for it ourselves in `finish()` — up to a deadline, after which we give up on the
  app (the run is complete in the local `logs/` folder anyway);
* claim the run from the sender thread itself, right after the app's first answer (before that
  the app does not know the run and the claim would fail).

The second and third changes wrap `labml.internal.app.AppTracker.__init__`, an internal class of the
pinned client version. If a future client lacks it, `connect` says so in one line and goes on without
the app rather than risk a process that never ends.
"""

import argparse
import atexit
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional, Set
from urllib.parse import urlsplit

import yaml

# Where `python -m labml_nn.app` listens by default. The last path element is the "token" the
# client sends; the local app accepts any, and runs without a known token land unclaimed.
DEFAULT_APP_URL = 'http://127.0.0.1:5005/api/v1/default'

# How long `check_app` waits for the app to answer before deciding it is down.
CHECK_TIMEOUT = 2.0
# How long `finish` waits for the last updates to reach the app.
FINISH_TIMEOUT = 20.0
# The labml client waits up to 120 s for each POST to be answered. An app answers in about 1 s
# (`python -m labml_nn.app`) or 3 s (the stock app, which paces clients), so 30 s is plenty, and
# a hung app is noticed sooner.
SEND_TIMEOUT = 30

PREFIX = 'labml app'


class AppUrlError(ValueError):
    """An app URL the labml client would reject; the message says why in one line."""


def add_app_argument(parser: argparse.ArgumentParser):
    """
    Add `--app [URL]` to an experiment's argument parser. The value is `None` when the flag is
    absent, `DEFAULT_APP_URL` for a bare `--app`, and the URL otherwise.
    """
    parser.add_argument('--app', nargs='?', const=DEFAULT_APP_URL, default=None, metavar='URL',
                        help='report the run to the labml app (default when given without URL: '
                             f'{DEFAULT_APP_URL}, the server of `python -m labml_nn.app`)')


def validate_url(url: str) -> str:
    """
    Check an app URL the way the labml client will, but before the run starts, so that a typo is
    one clear line rather than a traceback from inside `experiment.create`.
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise AppUrlError(f'app URL must start with http:// or https:// and name a host: {url!r}')
    if '?' in url or '#' in url:
        raise AppUrlError(f'app URL must not contain "?" or "#": {url!r}')
    if '/api/v1/' not in parts.path:
        raise AppUrlError(f'app URL must look like http://HOST:PORT/api/v1/TOKEN: {url!r}')
    return url.rstrip('/')


def find_yaml_app_url(start: Optional[Path] = None) -> Optional[str]:
    """
    `app_url` from the nearest `.labml.yaml`, looking in `start` (default: the working folder)
    and its parents, the way the labml client looks for it.
    """
    path = (start or Path.cwd()).resolve()
    for folder in [path, *path.parents]:
        f = folder / '.labml.yaml'
        if f.is_file():
            try:
                configs = yaml.safe_load(f.read_text()) or {}
            except yaml.YAMLError as e:
                raise AppUrlError(f'{f} is not valid YAML: {str(e).splitlines()[0]}')
            # The client merges every `.labml.yaml` up to the root; the nearest one that sets
            # `app_url` is the one we mean.
            if isinstance(configs, dict) and configs.get('app_url'):
                return str(configs['app_url'])
    return None


def resolve_app_url(app_arg: Optional[str], start: Optional[Path] = None) -> Optional[str]:
    """
    The app URL to report to, or `None` for local logging only: the `--app` value if given,
    else `.labml.yaml`'s `app_url`. Raises `AppUrlError` for a malformed URL.
    """
    url = app_arg if app_arg is not None else find_yaml_app_url(start)
    if url is None or not url.strip():
        return None
    return validate_url(url)


def api_base(url: str) -> str:
    """`http://host:port/api/v1/TOKEN` → `http://host:port/api/v1`"""
    return url[:url.index('/api/v1/') + len('/api/v1')]


def page_base(url: str) -> str:
    """`http://host:port/api/v1/TOKEN` → `http://host:port`: where the app's pages are."""
    return url[:url.index('/api/v1/')]


def check_app(url: str, timeout: float = CHECK_TIMEOUT) -> Optional[str]:
    """
    Ask the app about a run that does not exist. A labml app answers quickly with JSON (status
    404 and `{}`); anything else — no connection, a timeout, an HTML error page — means we cannot
    report there. Returns `None` when the app answers, or the reason it does not, in a few words.
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
    """
    Put the run in the app's runs list (`PUT /api/v1/run/<uuid>/claim`). The local app has a
    single local user, who then owns the run. Returns whether the app confirmed it.
    """
    req = urllib.request.Request(f'{api_base(url)}/run/{run_uuid}/claim', method='PUT')
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return bool(json.loads(r.read()).get('is_successful'))
    except (OSError, ValueError):
        return False


class _ClaimAfterFirstAnswer:
    """
    A response handler for the labml client's sender thread (its interface is one method,
    `handle(response) -> bool`; `False` lets the other handlers see the response too).

    The first answer from the app means the app now knows the run, so that is the moment to
    claim it. A failed claim is tried again on later answers, a few times at most.
    """

    def __init__(self, url: str, run_uuid: str, attempts: int = 5):
        self.url, self.run_uuid, self.attempts = url, run_uuid, attempts
        self.claimed = False

    def handle(self, data) -> bool:
        if not self.claimed and self.attempts > 0:
            self.attempts -= 1
            # Never let an exception escape: the client would treat it as a failed send and post
            # the same data again.
            try:
                self.claimed = claim_run(self.url, self.run_uuid)
            except Exception:
                pass
        return False


# Every `AppTracker` the client creates while we are installed, so `finish` can wait for them.
_trackers: List = []
_installed_url: Optional[str] = None


def _install_client_hooks(url: str) -> Optional[str]:
    """
    Wrap `AppTracker.__init__` so each tracker's sender thread is a daemon, has a shorter send
    timeout, and claims its run. Returns a reason if the client is not the version we know.
    """
    global _installed_url
    _installed_url = url
    try:
        from labml.internal.app import AppTracker
    except ImportError:
        return 'this labml client has no labml.internal.app.AppTracker'
    if getattr(AppTracker, '_labml_nn_hooked', False):
        return None
    original = AppTracker.__init__

    def __init__(self, app_track_url, params, *, timeout_seconds=15, daemon=False):
        original(self, app_track_url, params,
                 timeout_seconds=min(timeout_seconds, SEND_TIMEOUT), daemon=True)
        _trackers.append(self)
        # Distributed runs send one stream per rank; only the main rank's run is listed.
        if str(params.get('rank', 0)) == str(params.get('main_rank', 0)) and _installed_url:
            self.add_handler(_ClaimAfterFirstAnswer(_installed_url, params['run_uuid']))

    AppTracker.__init__ = __init__
    AppTracker._labml_nn_hooked = True
    return None


def _create_lab_for_caller():
    """
    The labml client finds its project (`.labml.yaml`, the `logs/` folder) from the first source
    file on the call stack outside labml. If `lab.configure` below were the first call into the
    client, that file would be this module. So we create the client's project object ourselves,
    from the file of whoever called `connect` — what the client would do for the experiment.
    """
    import inspect
    from labml.internal import lab as lab_internal
    if getattr(lab_internal, '_internal', True) is not None:
        return  # already created (or a client version without it): leave it alone
    here = Path(__file__).resolve()
    for frame in inspect.stack()[1:]:
        caller = Path(frame.filename)
        if caller.is_file() and caller.resolve() != here:
            lab_internal._internal = lab_internal.Lab(caller.resolve())
            return


class AppReporter:
    """
    What `connect` found out, and the `finish` step.

    * `url`: the app URL runs report to, or `None` when this run logs locally only.
    * `writers`: the labml writers to pass to `experiment.create` — `{'screen', 'app'}` when
      reporting, `{'screen'}` otherwise (add `'file'` to keep metrics in `log.jsonl` too).
    """

    def __init__(self, url: Optional[str], finish_timeout: float = FINISH_TIMEOUT):
        self.url = url
        self.finish_timeout = finish_timeout
        self.finished = False

    @property
    def writers(self) -> Set[str]:
        return {'screen', 'app'} if self.url else {'screen'}

    def run_url(self, run_uuid: str) -> Optional[str]:
        """The page that shows a run, for printing."""
        return f'{page_base(self.url)}/run/{run_uuid}' if self.url else None

    def finish(self, timeout: Optional[float] = None) -> bool:
        """
        Wait until the client has sent everything, but no longer than `timeout` seconds
        (default `finish_timeout`). Call it after the `with experiment.start():` block, which is
        what queues the run's final status and tells the sender thread to stop once the queue is
        empty. Returns whether everything was sent. Safe to call more than once.
        """
        if self.finished or not self.url:
            self.finished = True
            return True
        self.finished = True
        deadline = time.monotonic() + (self.finish_timeout if timeout is None else timeout)
        done = True
        for tracker in list(_trackers):
            thread = getattr(tracker, 'thread', None)
            if thread is None or not thread.is_alive():
                continue
            if not tracker.stopped:
                # The experiment did not finish (say, `finish` was called inside the `with`
                # block): tell the thread to stop once it has sent what is queued.
                tracker.stop()
            thread.join(max(0.0, deadline - time.monotonic()))
            done = done and not thread.is_alive()
        if not done:
            print(f'{PREFIX}: {self.url} did not take the last updates in time; giving up '
                  f'(the run is complete in the local logs)', file=sys.stderr, flush=True)
        return done


_reporters: List[AppReporter] = []


@atexit.register
def _finish_at_exit():
    # A safety net for scripts that forget `finish`: the sender thread is a daemon now, so
    # without this its last updates would be dropped at exit. `atexit` handlers run after Python
    # has waited for non-daemon threads, and before daemon threads are stopped.
    for reporter in _reporters:
        reporter.finish()


def connect(app_arg: Optional[str], *, check_timeout: float = CHECK_TIMEOUT,
            finish_timeout: float = FINISH_TIMEOUT, start: Optional[Path] = None) -> AppReporter:
    """
    Decide whether this run reports to an app, and set the labml client up for it.
    Call it *before* `experiment.create`.

    * `app_arg`: the `--app` value (`None`: flag absent).
    * `start`: the folder where the search for `.labml.yaml` begins (default: working folder).

    Prints one line when the app was asked for but does not answer, and then returns a reporter
    that logs locally only. Raises `AppUrlError` for a malformed URL: the experiment should print
    it and exit with a non-zero status.
    """
    url = resolve_app_url(app_arg, start)
    if url is None:
        reporter = AppReporter(None)
    else:
        reason = check_app(url, check_timeout)
        if reason is None:
            reason = _install_client_hooks(url)
        if reason is not None:
            print(f'{PREFIX}: {url} is not answering ({reason}); logging locally only. '
                  f'Start one with: python -m labml_nn.app', file=sys.stderr, flush=True)
            reporter = AppReporter(None)
        else:
            # Set the client up before `experiment.create` reads it. These override
            # `.labml.yaml`; a browser tab per run is not what a terminal user wants.
            _create_lab_for_caller()
            from labml import lab
            lab.configure({'app_url': url, 'app_open_browser': False})
            reporter = AppReporter(url, finish_timeout)
    _reporters.append(reporter)
    return reporter
