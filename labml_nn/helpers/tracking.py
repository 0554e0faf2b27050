r"""
---
title: Tracking a run with labml, and reporting it to the labml app safely
summary: Where runs are kept, a labml run for all ranks, the metrics and the summary, readable output in a log file, and reporting to the labml app with a bounded finish whatever the app does.
---

# Tracking with labml

*Part of the [machinery behind the lessons](index.html).* This is the only module that
touches the labml client's internals (`labml.internal`); the
[experiment](../transformers/mlm/experiment.html) only uses its public `tracker` and
`logger`, and the functions here (among them `loop`, labml's training loop with a time left
that [follows the recent speed](#the-time-left)).

## Where runs are kept

labml keeps runs under the folder that holds `.labml.yaml`, searched upwards from the calling
script. For an installed package that would be inside `site-packages`, so we start the
search at the working directory instead: runs land in `./logs/` (or next to your
`.labml.yaml`).

## Output a person can read, in a terminal and in a file

labml draws a live progress line: colours, and a carriage return that rewrites the line
every step. In a terminal that is what you want. Piped to a file it is not: a 13-minute run
became 187 lines of thousands of characters of escape codes. So when standard output is not
a terminal, a plain destination takes the place of labml's console: no colours, and of a
line that is rewritten only its last state, once it is finished. Three lines labml prints on
every run are dropped: the git status of the working folder, the run's URL (we print it
ourselves, once, before training) and "still updating the server" at the end.

## The labml app, safely

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
import collections
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional
from urllib.parse import urlsplit

import torch
import yaml
from labml import experiment, logger, monit, tracker
from labml.internal.monitor import loop as labml_loop
from labml.logger import Text

from labml_nn.helpers import checkpoint, cli, device, distributed
from labml_nn.helpers.cli import UserError, flatten
from labml_nn.helpers.files import atomic_write

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


def logs_folder() -> Path:
    r"""Points labml at the working directory (see above) and returns its `logs` folder."""
    from labml.internal import lab as labml_lab
    # Without a `.labml.yaml` labml prints a boxed warning; here that is the normal case
    notice = labml_lab.labml_notice
    labml_lab.labml_notice = lambda *args, **kwargs: None
    try:
        labml_lab.lab_singleton().set_path(str(Path.cwd()))
    finally:
        labml_lab.labml_notice = notice
    return Path(labml_lab.lab_singleton().experiments)


# ## Readable output
class _PlainConsole:
    r"""A labml console destination for files and pipes: plain text, finished lines only."""

    def __init__(self):
        self.line = ''

    def log(self, parts, *, is_new_line: bool, is_reset: bool):
        text = ''.join(p if isinstance(p, str) else p[0] for p in parts)
        # A reset rewrites the current line: keep only its newest state (a reset with no text
        # only ends the line)
        self.line = text if is_reset and text else self.line + text
        if is_new_line:
            print(self.line, flush=True)
            self.line = ''


def _quiet_labml() -> None:
    r"""Installs the plain console when stdout is not a terminal, and drops labml's noise."""
    from labml.internal import experiment as labml_experiment
    from labml.internal import logger as labml_logger
    from labml.internal.app import _AppTrackThread, url
    if not sys.stdout.isatty():
        # (in a Jupyter kernel started without the shell's `_` variable labml would take the
        # kernel for PyCharm's and import ipywidgets while building its own destinations)
        if 'ipykernel' in sys.modules:
            labml_logger.create_destination = lambda: [_PlainConsole()]
        labml_logger.logger_singleton()._Logger__destinations = [_PlainConsole()]
    if getattr(labml_experiment, '_labml_nn_quiet', False):
        return
    notice = labml_experiment.labml_notice

    def quiet_notice(message, *args, **kwargs):
        # Runs don't need a git repository: a boxed warning on every run outside one is noise
        if 'Not a valid git repository' not in str(message):
            notice(message, *args, **kwargs)

    def print_info(self):
        # The run's name and uuid and its comment, without the git status line
        logger.log()
        logger.log([(self.run.name, Text.title), ': ', (str(self.run.uuid), Text.meta)])
        if self.run.comment:
            logger.log(['\t', (self.run.comment, Text.highlight)])

    def stop(self):
        # `_AppTrackThread.stop` without its "still updating" line
        self.is_stopped, self.please_wait_count = True, 1

    def handle(self, data) -> bool:
        # The app's answer names the run's page; we printed it already
        self.notified = True
        return False
    labml_experiment.labml_notice = quiet_notice
    labml_experiment.Experiment._Experiment__print_info = print_info
    _AppTrackThread.stop = stop
    url.AppUrlResponseHandler.handle = handle
    labml_experiment._labml_nn_quiet = True


# ## The time left
#
# labml's progress line ends with the time spent and the time left, `  0:20m/  0:07m`. labml
# works out the time left as if every step of the loop, the ones already done included, took
# as long as the last few: it multiplies that per-step time by *all* the steps, and takes away
# the time spent. After a slow start (a machine busy with something else for the first
# minutes) the time spent is more than that product, and the line says `0:00m` for the rest
# of the run, however long it still takes. `tests/test_progress_eta.py` replays such a run.
#
# `loop` is labml's loop with another estimate: the mean time of the steps of the last
# `RECENT_SECONDS` (at least the last step), times the steps still to come. A change of speed
# shows in full half a minute later, whatever the run was like before; a validation every few
# hundred steps is averaged in rather than read as the new speed.
RECENT_SECONDS = 30.0


class _RecentSpeedLoop(labml_loop.Loop):
    r"""labml's `monit.loop`, whose time left follows the recent speed."""

    def __init__(self, steps, *, monitor, window: float):
        super().__init__(steps, monitor=monitor, is_track=True, is_print_iteration_time=True)
        self.window = window
        # When the loop started, and when each recent step started (the oldest first)
        self.began_at, self.starts, self.started = 0.0, collections.deque(), 0

    def __iter__(self):
        self.began_at, self.started = time.monotonic(), 0
        self.starts.clear()
        return super().__iter__()

    def __next__(self):
        value = super().__next__()
        now = time.monotonic()
        self.started += 1
        self.starts.append(now)
        # Keep the steps that started within the window, and the one before them: the time
        # from it to the newest start is whole steps
        while len(self.starts) > 2 and now - self.starts[1] > self.window:
            self.starts.popleft()
        return value

    def seconds_per_step(self) -> Optional[float]:
        r"""The mean time of the recent steps; `None` before a step has ended."""
        if len(self.starts) < 2:
            return None
        return (self.starts[-1] - self.starts[0]) / (len(self.starts) - 1)

    def log_progress(self):
        now = time.monotonic()
        per_step = self.seconds_per_step()
        parts = [('  ', None)]
        if per_step is None:
            parts.append((f"{minutes(now - self.began_at)}/  ?:??m  ", Text.meta2))
            return parts
        # The steps after the current one, and what is left of the current one
        current = max(0.0, per_step - (now - self.starts[-1]))
        left = per_step * max(0, len(self.iterator) - self.started) + current
        parts.append((f"{per_step * 1000:,.0f}ms", Text.meta))
        parts.append((f"{minutes(now - self.began_at)}/{minutes(left)}  ", Text.meta2))
        return parts


def minutes(seconds: float) -> str:
    r"""`  h:mmm` as labml writes a duration: hours, and whole minutes."""
    whole = int(seconds // 60)
    return f"{whole // 60:3d}:{whole % 60:02d}m"


def loop(steps: range, window: float = RECENT_SECONDS) -> Iterator[int]:
    r"""`monit.loop(steps)`, with a time left that follows the speed of the last `window` seconds."""
    from labml.internal.monitor import monitor_singleton
    monitor = monitor_singleton()
    monit.loop(steps)  # labml's own set-up of a loop
    looping = _RecentSpeedLoop(steps, monitor=monitor, window=window)
    monitor._Monitor__loop = looping
    return looping


# ## A run
class Run:
    r"""The labml run that `start_run` opened: its uuid, folder and app connection."""

    def __init__(self, uuid: str, folder: Path, data: str, processes, app: 'AppReporter'):
        self.uuid, self.folder, self.data, self.processes, self.app = uuid, folder, data, processes, app

    def describe_data(self, description: str) -> None:
        r"""Prints the data's name and the `description` of what it holds (on rank 0)."""
        if self.processes.is_main:
            logger.log([('Data: ', Text.meta), (f"{self.data}, {description}", Text.value)])


@contextlib.contextmanager
def start_run(name: str, setup: 'Setup', command, data: str) -> Iterator[Run]:
    r"""
    Creates a labml run that records every config (those set on the command line marked as
    chosen) and the metrics, in `logs/<name>/<uuid>/` and in the app when connected, and
    keeps it open while the block trains. All ranks of a `torchrun` share one uuid, chosen by
    rank 0, so labml shows them as one run. `setup` is what `prepare` found.
    """
    configs, processes, app = setup.configs, setup.processes, setup.app
    _quiet_labml()
    uuid = distributed.broadcast(processes, experiment.generate_uuid())
    # 'file' keeps the metrics in the run's log.jsonl too
    writers = {'screen', 'file'} | ({'app'} if app.url else set())
    experiment.create(name=name, uuid=uuid, python_file=str(Path.cwd()), writers=writers,
                      disable_screen=not processes.is_main,
                      comment=f"resumed from {command.resume}" if command.resume else data,
                      distributed_rank=processes.rank,
                      distributed_world_size=processes.world_size if processes.is_distributed else 0)
    experiment.configs(flatten(configs), dict(command.overrides))
    # labml names a distributed run's folders `<uuid>.<rank>`; rank 0's holds the checkpoints
    from labml.internal.lab import lab_singleton
    folder = Path(lab_singleton().experiments) / name / (f'{uuid}.0' if processes.is_distributed else uuid)
    run = Run(uuid, folder, data, processes, app)
    if app.url and processes.is_main:
        print(f"{PREFIX}: watch the run at {app.run_url(uuid)}", flush=True)
    with experiment.start():
        yield run


# ## Metrics
class Metrics:
    r"""
    The training metrics since the last validation (the *window*) and the curve of validation
    points; both are saved in checkpoints, so that a resumed run's curve continues exactly.
    """

    def __init__(self):
        self.curve: List[Dict[str, float]] = []
        self.window = {'loss': 0.0, 'correct': 0, 'total': 0, 'steps': 0}

    def add_step(self, step: int, loss: float, correct: int, total: int) -> None:
        tracker.add_global_step()
        tracker.add({'loss.train': loss, 'accuracy.train': correct / max(total, 1)})
        for key, value in (('loss', loss), ('correct', correct), ('total', total), ('steps', 1)):
            self.window[key] += value
        # The mean of the last 10 steps goes to the screen and the app
        if step % 10 == 0:
            tracker.save()

    def add_validation(self, step: int, seconds: float, valid_loss: float, valid_accuracy: float) -> None:
        w = self.window
        self.curve.append({'step': step, 'time_s': round(seconds, 3),
                           'train_loss': w['loss'] / max(w['steps'], 1),
                           'train_accuracy': w['correct'] / max(w['total'], 1),
                           'valid_loss': valid_loss, 'valid_accuracy': valid_accuracy})
        self.window = {'loss': 0.0, 'correct': 0, 'total': 0, 'steps': 0}
        tracker.save({'loss.valid': valid_loss, 'accuracy.valid': valid_accuracy})
        tracker.new_line()


def weight_hash(model: torch.nn.Module) -> str:
    r"""SHA-256 of all parameters' bytes: equal hashes mean bit-identical weights."""
    digest = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(p.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def summary(trainer, checkpoint: Optional[Path], first: int, last: int, wall: float,
            received: Optional[int], tokens_per_step: int) -> Dict[str, Any]:
    r"""What `--summary` writes: the run's progress, speed (`tokens_per_step` says what a step is worth), curve and configs."""
    c, processes = trainer.c, trainer.processes
    # A run that ended before `last`, or that got a signal, was stopped
    interrupted = received is not None or trainer.step < last
    tokens_here = (trainer.step - first) * tokens_per_step
    result = {'steps': trainer.step, 'steps_this_process': trainer.step - first,
              'parameters': sum(p.numel() for p in trainer.model.parameters()),
              'tokens_seen': trainer.step * tokens_per_step,
              'wall_time_s': wall, 'tokens_per_s': tokens_here / wall if wall > 0 else 0.0,
              'final': trainer.metrics.curve[-1] if trainer.metrics.curve else None,
              'curve': trainer.metrics.curve, 'checkpoint': str(checkpoint) if checkpoint else None,
              'interrupted': interrupted,
              'stop_signal': int(received or signal.SIGTERM) if interrupted else None,
              'device': str(next(trainer.model.parameters()).device), 'config': flatten(c)}
    if processes.is_distributed:
        # A fingerprint of each rank's weights: DDP keeps them identical, and this shows it
        result['world_size'] = processes.world_size
        result['rank_weight_hashes'] = distributed.gather(processes, weight_hash(trainer.model))
    return result


def finish(run: Run, result: Dict[str, Any], summary_path: Optional[str]) -> Dict[str, Any]:
    r"""
    After the labml run has ended: waits (a bounded time) for the app to take the last
    updates, says where the checkpoint is or how to resume, and writes the summary file.
    """
    result['app_sent'] = run.app.finish() if run.app.url else None
    result.update({'run_uuid': run.uuid, 'run_dir': str(run.folder), 'data': run.data,
                   'machine': f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
                              f"{torch.get_num_threads()} threads"})
    if run.processes.is_main:
        if result['interrupted']:
            logger.log([('Stopped at step ', Text.warning), (str(result['steps']), Text.value),
                        ('; continue with --resume ', Text.warning), (run.uuid, Text.value)])
        elif result['checkpoint']:
            logger.log([('Checkpoint: ', Text.meta), (result['checkpoint'], Text.value)])
        if summary_path:
            atomic_write(Path(summary_path).expanduser(), (json.dumps(result, indent=1) + '\n').encode())
    return result


# ## Reporting to the labml app
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


# ## Before the data: where, with what, and reporting to whom
@dataclasses.dataclass
class Setup:
    r"""What `prepare` found: the processes, the device, the configs, the resumed checkpoint (or `None`), the app."""
    processes: distributed.Processes
    device: torch.device
    configs: Any
    resumed: Optional[Dict[str, Any]]
    app: AppReporter


def prepare(command, configs_class: type, form: checkpoint.Format) -> Setup:
    r"""
    What every experiment's command line settles before it loads its data: this process's
    place among several, the device, the checkpoint that `--resume` names (in `form`), the
    configs (the defaults, the resumed run's, the overrides: [the rules](checkpoint.html)),
    whether a global batch splits over the processes, and the app connection. Anything that
    can't work is a `UserError` here, before any data is read or anything trained.
    """
    processes = distributed.from_environment()
    on = device.choose(command.device, processes.local_rank)
    resumed = checkpoint.find_and_load(command.resume, logs_folder(), form) if command.resume else None
    configs = cli.build(configs_class, checkpoint.resolve_configs(configs_class, command.overrides, resumed, form))
    if hasattr(configs, 'batch_size'):
        distributed.check_batch(processes, configs.batch_size)
    return Setup(processes, on, configs, resumed, connect(command.app))
