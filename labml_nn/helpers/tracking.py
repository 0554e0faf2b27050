r"""
---
title: Tracking a run with labml - where runs are kept, readable output, the time left, the metrics
summary: Where labml keeps runs, output a person can read in a terminal and in a log file, a time left that follows the recent speed, and the metrics of a run with its validation curve.
---

# Tracking with labml

*Part of the [machinery behind the lessons](index.html).* This module and the
[app client](app_client.html) are the only ones that touch the labml client's internals
(`labml.internal`); [a run's life](run.html) uses the functions here (among them `loop`,
labml's training loop with a time left that [follows the recent speed](#the-time-left)).

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
line that is rewritten only its last state, once it is finished. What labml prints on every
run that says nothing about this run is dropped: two blank lines before the run's name, the
git status of the working folder, the run's URL (we print it ourselves, once, before
training), "still updating the server" at the end, and on the very first run the notice that
labml created its own settings file, `~/.labml/configs.yaml`.
"""

import collections
import contextlib
import hashlib
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import torch
from labml import logger, monit, tracker
from labml.internal.monitor import loop as labml_loop
from labml.logger import Text


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


class _Silent:
    r"""Stands in for the `logger` module of a labml module while it has nothing to say."""

    @staticmethod
    def log(*args, **kwargs) -> None:
        pass


@contextlib.contextmanager
def _silenced(module) -> Iterator[None]:
    r"""A `with` block in which `module`'s log lines are dropped."""
    module.logger = _Silent
    try:
        yield
    finally:
        module.logger = logger


def quiet_labml() -> None:
    r"""Installs the plain console when stdout is not a terminal, and drops labml's noise."""
    from labml.internal import experiment as labml_experiment
    from labml.internal.computer import configs as labml_computer
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
    # labml's settings (`~/.labml/configs.yaml`), read here so that creating them on the first
    # run says nothing: they are labml's, not the run's
    with _silenced(labml_computer):
        labml_computer.computer_singleton()
    notice = labml_experiment.labml_notice
    calc_configs = labml_experiment.Experiment.calc_configs

    def quiet_notice(message, *args, **kwargs):
        # Runs don't need a git repository: a boxed warning on every run outside one is noise
        if 'Not a valid git repository' not in str(message):
            notice(message, *args, **kwargs)

    def quiet_calc_configs(self, *args, **kwargs):
        # Recording the configs prints nothing but a blank line
        with _silenced(labml_experiment):
            return calc_configs(self, *args, **kwargs)

    def print_info(self):
        # The run's name and uuid and its comment: no blank line before, no git status
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
    labml_experiment.Experiment.calc_configs = quiet_calc_configs
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

    def add_validation(self, step: int, seconds: float, scores: Dict[str, float]) -> None:
        r"""
        A validation point: the training window's means and the validation `scores`
        (`loss`, `accuracy` and any others), which the curve keeps as `valid_<name>` and
        labml as `<name>.valid`.
        """
        w = self.window
        self.curve.append({'step': step, 'time_s': round(seconds, 3),
                           'train_loss': w['loss'] / max(w['steps'], 1),
                           'train_accuracy': w['correct'] / max(w['total'], 1),
                           **{f'valid_{name}': value for name, value in scores.items()}})
        self.window = {'loss': 0.0, 'correct': 0, 'total': 0, 'steps': 0}
        tracker.save({f'{name}.valid': value for name, value in scores.items()})
        tracker.new_line()


def weight_hash(model: torch.nn.Module) -> str:
    r"""SHA-256 of all parameters' bytes: equal hashes mean bit-identical weights."""
    digest = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(p.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


