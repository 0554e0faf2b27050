r"""
---
title: A run's life - set-up, the training loop, the summary and the finish, for any experiment
summary: What an experiment provides (a Protocol), what its command line settles before the data, the labml run for all ranks, the loop of steps, validation, samples, checkpoints and stopping on a signal, and the summary with one meaning of interrupted.
---

# A run's life

*Part of the [machinery behind the lessons](index.html).* Both experiments, the
[masked language model](../transformers/mlm/experiment.html) and
[fine-tuning](../transformers/mlm_fine_tuning/experiment.html), live the same life:

```text
prepare      processes, device, the checkpoint to resume, the configs, the app   (before the data)
start        a labml run, one for all ranks
  train      restore; for each step: step → metrics → validation → samples → save → stop?
finish       the last updates to the app, the last line, the summary file
```

An experiment keeps what is its own (its configs, checkpoint format, construction, training
step, validation and samples) and says what it provides in `Experiment`; everything here works
for any experiment that has it (`tests/test_helpers_generic.py` fits a line with it).

## The order within a step, and why it is fixed

A resumed run repeats an uninterrupted one bit for bit only if both do the same things, in the
same order, from the same state. So every step does them in one fixed order: the training step,
its metrics, validation, samples, a checkpoint, and only then a stop. A checkpoint comes after
everything its step did: a run stopped after step $n$ and resumed continues from exactly the
state the uninterrupted run had after step $n$, whatever validation or samples drew.

## Interrupted

A run is *interrupted* when it ends before its planned end (its last step, `steps`, or the end
of its time budget), whatever stopped it: Ctrl-C or SIGTERM (on any rank), or a test's
`stop_at`. Its summary says so, its exit status is 128 + the signal, and its last line says how
to continue it.
"""

import contextlib
import dataclasses
import json
import os
import platform
import signal
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Protocol, Tuple

import torch
from labml import experiment, logger, tracker
from labml.logger import Text

from labml_nn.helpers import app_client, checkpoint, cli, device, distributed, tracking
from labml_nn.helpers.cli import flatten
from labml_nn.helpers.files import atomic_write


class Experiment(checkpoint.Resumable, Protocol):
    r"""
    What an experiment gives its run: the state a checkpoint holds (`Resumable`: `c`, `model`,
    `optimizer`, `generators`, `step`, `elapsed`, `metrics`), and the steps. Its configs `c`
    have `steps`, `valid_every` and `checkpoint_every`. An experiment may name this class as
    its base, for the defaults below (no samples).
    """
    # Tokens (or examples) one training step learns from, for the speed in the summary
    tokens_per_step: int
    # Show samples every this many steps (0: never)
    sample_every: int = 0
    # With a time budget, the fraction of it spent, which the loop sets before each step (1 for
    # the last); `None` without one
    budget_spent: Optional[float] = None

    def train_step(self, stop: bool = False) -> Tuple[float, int, int, bool]:
        r"""
        One step; `step` counts it. Returns the loss, the right guesses and how many there
        were, and whether this or any other process was asked to `stop`.
        """
        ...

    def validation(self) -> Dict[str, float]:
        r"""A validation point's scores: `loss`, `accuracy` and any others (in eval mode)."""
        ...

    def show_samples(self) -> None:
        r"""Prints what the model makes of a few fixed examples."""


# ## Before the data: where, with what, and reporting to whom
@dataclasses.dataclass
class Setup:
    r"""
    What `prepare` found: the processes, the device, the configs, the resumed checkpoint (or
    `None`), the app, and the experiment's checkpoint format.
    """
    processes: distributed.Processes
    device: torch.device
    configs: Any
    resumed: Optional[Dict[str, Any]]
    app: app_client.AppReporter
    form: checkpoint.Format


def prepare(command: cli.Command, configs_class: type, form: checkpoint.Format) -> Setup:
    r"""
    What every experiment's command line settles before it loads its data: this process's
    place among several, the device, the checkpoint that `--resume` names (in `form`), the
    configs (the defaults, the resumed run's, the overrides: [the rules](checkpoint.html)),
    whether a global batch splits over the processes, and the app connection. Anything that
    can't work is a `UserError` here, before any data is read or anything trained.
    """
    processes = distributed.from_environment()
    on = device.choose(command.device, processes.local_rank)
    logs = tracking.logs_folder()
    resumed = checkpoint.find_and_load(command.resume, logs, form) if command.resume else None
    flat = checkpoint.resolve_configs(configs_class, command.overrides, resumed, form)
    configs = cli.build(configs_class, flat)
    if hasattr(configs, 'batch_size'):
        distributed.check_batch(processes, configs.batch_size)
    return Setup(processes, on, configs, resumed, app_client.connect(command.app), form)


# ## The run
class Run:
    r"""The labml run that `start` opened: its uuid and folder, what `prepare` found, and its loop."""

    def __init__(self, uuid: str, folder: Path, data: str, setup: Setup):
        self.uuid, self.folder, self.data, self.setup = uuid, folder, data, setup
        self.processes, self.app = setup.processes, setup.app

    def describe_data(self, description: str) -> None:
        r"""Prints the data's name and the `description` of what it holds (on rank 0)."""
        if self.processes.is_main:
            logger.log([('Data: ', Text.meta), (f"{self.data}, {description}", Text.value)])

    def save(self, trainer: Experiment) -> Optional[Path]:
        r"""A checkpoint in the run's folder (rank 0 writes it)."""
        return checkpoint.save(trainer, self.setup.form, self.folder, self.processes)

    def train(self, trainer: Experiment, stop_at: Optional[int] = None,
              minutes: float = 0.0) -> Dict[str, Any]:
        r"""
        ## The loop

        Puts `trainer` where the resumed run stopped, then trains to `steps` (or `stop_at`,
        which tests use to stop part way), validating, showing samples and saving a checkpoint
        on their schedules and at the end. Ctrl-C or SIGTERM finishes the step, saves and
        stops; `--resume <run uuid>` then continues exactly. The seconds in each validation
        point are training and validation time together, since the run first started.

        With a time budget of `minutes` the run ends when it is spent (or at `steps`), on any
        machine: see `Budget`.
        """
        checkpoint.restore(trainer, self.setup.resumed, self.processes)
        c, first = trainer.c, trainer.step
        last = min(stop_at or c.steps, c.steps)
        tracker.set_global_step(first)
        start = time.perf_counter()
        budget = Budget(60 * minutes, trainer, self.processes) if minutes else None
        on_time = False
        with checkpoint.stop_on_signals() as signals:
            # labml's loop, whose time left follows the recent speed
            for _ in tracking.loop(range(first, last)):
                if budget:
                    coming = trainer.step + 1
                    trainer.budget_spent = budget.spent_before_step(
                        coming % c.valid_every == 0, coming % c.checkpoint_every == 0)
                    on_time = trainer.budget_spent == 1.0
                with timed(budget, 'step'):
                    loss, correct, total, stop = trainer.train_step(signals.received is not None)
                step = trainer.step
                trainer.metrics.add_step(step, loss, correct, total)
                if step % c.valid_every == 0 or step == c.steps or on_time:
                    with timed(budget, 'validation'):
                        seconds = trainer.elapsed + time.perf_counter() - start
                        trainer.metrics.add_validation(step, seconds, trainer.validation())
                every = trainer.sample_every
                if every and step % every == 0 and self.processes.is_main:
                    trainer.show_samples()
                if step % c.checkpoint_every == 0 and step != last and not on_time:
                    with timed(budget, 'save'):
                        self.save(trainer)
                if stop or on_time:
                    break
        wall = time.perf_counter() - start
        trainer.elapsed += wall
        saved = self.save(trainer)
        return summary(trainer, saved, first, wall, signals.received, self.processes, on_time)


class Budget:
    r"""
    ## A time budget

    A run with a time budget plans by the clock: before each step the loop tells the trainer
    the fraction of the budget spent, so that its schedule can follow it, and the step that
    leaves no time for one more is the last (its fraction is 1). The end needs time too, for
    the final validation and checkpoint: the budget keeps back what the last ones took (it
    times one validation before the first step), and plans the schedule over the rest. A
    resumed run continues the budget: the seconds trained before are in `trainer.elapsed`.
    The clock makes such a run differ from one try, and one machine, to the next.
    """

    def __init__(self, seconds: float, trainer: Experiment, processes: distributed.Processes):
        self.seconds, self.trainer, self.processes = seconds, trainer, processes
        self.started = time.perf_counter() - trainer.elapsed
        # The seconds the last step, validation and save took
        self.took = {'step': 0.0, 'validation': 0.0, 'save': 0.0}
        with timed(self, 'validation'):
            trainer.validation()

    def spent_before_step(self, validates: bool, saves: bool) -> float:
        r"""
        The fraction of the time for training spent, 1 when this step is to be the last: when
        after it (and the validation or save it `validates` or `saves` with) another step and
        the end would not fit.
        """
        took, spent = self.took, time.perf_counter() - self.started
        end = took['validation'] + took['save']
        this = took['step'] + validates * took['validation'] + saves * took['save']
        if spent + this + took['step'] + end > self.seconds:
            fraction = 1.0
        else:
            fraction = min(1.0, spent / (self.seconds - end))
        # Every rank takes rank 0's clock, so that all of them stop at the same step
        return distributed.broadcast(self.processes, fraction)


@contextlib.contextmanager
def timed(budget: Optional[Budget], what: str) -> Iterator[None]:
    r"""Times the block into `budget.took[what]` (nothing without a budget)."""
    began = time.perf_counter()
    yield
    if budget:
        budget.took[what] = time.perf_counter() - began


@contextlib.contextmanager
def start(name: str, setup: Setup, command: cli.Command, data: str) -> Iterator[Run]:
    r"""
    Joins the processes' group and creates a labml run that records every config (those set on
    the command line marked as chosen) and the metrics, in `logs/<name>/<uuid>/` and in the app
    when connected, and keeps both open while the block trains. All ranks of a `torchrun` share
    one uuid, chosen by rank 0, so labml shows them as one run.
    """
    processes, app = setup.processes, setup.app
    with distributed.group(processes, setup.device):
        tracking.quiet_labml()
        uuid = distributed.broadcast(processes, experiment.generate_uuid())
        # 'file' keeps the metrics in the run's log.jsonl too
        writers = {'screen', 'file'} | ({'app'} if app.url else set())
        world_size = processes.world_size if processes.is_distributed else 0
        experiment.create(name=name, uuid=uuid, python_file=str(Path.cwd()), writers=writers,
                          disable_screen=not processes.is_main,
                          comment=f"resumed from {command.resume}" if command.resume else data,
                          distributed_rank=processes.rank, distributed_world_size=world_size)
        experiment.configs(flatten(setup.configs), dict(command.overrides))
        # labml names a distributed run's folders `<uuid>.<rank>`; rank 0's holds the checkpoints
        from labml.internal.lab import lab_singleton
        run_folder = f'{uuid}.0' if processes.is_distributed else uuid
        folder = Path(lab_singleton().experiments) / name / run_folder
        if app.url and processes.is_main:
            print(f"{app_client.PREFIX}: watch the run at {app.run_url(uuid)}", flush=True)
        with experiment.start():
            yield Run(uuid, folder, data, setup)


# ## Resuming with more steps
def replan(c: Any, resumed: Optional[Dict[str, Any]],
           progress: Callable[[Any, int, Optional[Tuple[int, float]]], float]
           ) -> Optional[Tuple[int, float]]:
    r"""
    Where a resumed run's schedule was re-planned, `(step, progress)`, or `None`: the
    checkpoint's own `since`, or, when `steps` changed, the step where the run stopped with
    how far its decay had come by its old plan (`progress(configs, step, since)`). Before the
    end of the warm-up there is nothing to re-plan: the decay has not started. After it, the
    rest of the decay is stretched over the new remaining steps,
    $p_t = p_s + (1 - p_s) \frac{t - s}{T - s}$, so the learning rate goes on from its value at
    $s$ to the floor at the new last step $T$; the warm-up is not repeated, and `since` is saved
    in the checkpoints so that a later resume keeps the plan. Such a run differs from one
    planned for the new `steps` from the start.
    """
    since = tuple(resumed['since']) if resumed and resumed.get('since') else None
    if not resumed or resumed['configs']['steps'] == c.steps or resumed['step'] <= c.warmup_steps:
        return since
    planned = dataclasses.replace(c, steps=resumed['configs']['steps'])
    return resumed['step'], progress(planned, resumed['step'], since)


# ## Showing guesses
def show_guesses(line: List[Tuple[str, bool, bool]]) -> None:
    r"""
    A line of `(character, hidden, guessed right)`: grey where nothing was hidden, green where
    the model's guess is the hidden character, red where it is not; line breaks show as ↵.
    """
    logger.log([(shown.replace('\n', '↵'), Text.subtle if not hidden else
                 Text.success if right else Text.danger) for shown, hidden, right in line])


# ## The summary and the finish
def summary(trainer: Experiment, saved: Optional[Path], first: int, wall: float,
            received: Optional[int], processes: distributed.Processes,
            on_time: bool = False) -> Dict[str, Any]:
    r"""What `--summary` writes: the run's progress, speed, curve and configs."""
    # A run that ended before its last step or the end of its time budget was stopped (see
    # "Interrupted" above)
    interrupted = trainer.step < trainer.c.steps and not on_time
    tokens_here = (trainer.step - first) * trainer.tokens_per_step
    curve = trainer.metrics.curve
    result = {'steps': trainer.step, 'steps_this_process': trainer.step - first,
              'parameters': sum(p.numel() for p in trainer.model.parameters()),
              'tokens_seen': trainer.step * trainer.tokens_per_step,
              'wall_time_s': wall, 'tokens_per_s': tokens_here / wall if wall > 0 else 0.0,
              'final': curve[-1] if curve else None,
              'curve': curve, 'checkpoint': str(saved) if saved else None,
              'interrupted': interrupted,
              'stop_signal': int(received or signal.SIGTERM) if interrupted else None,
              'device': str(next(trainer.model.parameters()).device), 'config': flatten(trainer.c)}
    if processes.is_distributed:
        # A fingerprint of each rank's weights: DDP keeps them identical, and this shows it
        result['world_size'] = processes.world_size
        weights = tracking.weight_hash(trainer.model)
        result['rank_weight_hashes'] = distributed.gather(processes, weights)
    return result


def finish(run: Run, result: Dict[str, Any], summary_path: Optional[str]) -> Dict[str, Any]:
    r"""
    After the labml run has ended: waits (a bounded time) for the app to take the last
    updates, writes the summary file, and ends with one line: the final validation accuracy
    and the checkpoint, or how to continue a stopped run. A rank of several processes exits
    here ([why](distributed.html)).
    """
    result['app_sent'] = run.app.finish() if run.app.url else None
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
               f"{torch.get_num_threads()} threads")
    result.update({'run_uuid': run.uuid, 'run_dir': str(run.folder), 'data': run.data,
                   'machine': machine})
    if run.processes.is_main:
        if summary_path:
            text = json.dumps(result, indent=1) + '\n'
            atomic_write(Path(summary_path).expanduser(), text.encode())
        logger.log(last_line(result, run.uuid))
    if run.processes.is_distributed:
        # Nothing is left to do: a rank exits here, with the status `cli.main` would give it
        distributed.leave(cli.exit_status(result))
    return result


def last_line(result: Dict[str, Any], uuid: str) -> list:
    r"""The run's last line, as labml's coloured parts."""
    final = result['final']
    accuracy = [] if final is None else [
        ('validation accuracy ', Text.meta), (f"{final['valid_accuracy']:.1%}", Text.value),
        (f" at step {final['step']:,}; ", Text.meta)]
    if result['interrupted']:
        return [('Stopped at step ', Text.warning), (f"{result['steps']:,}", Text.value), ': ',
                *accuracy, ('continue with --resume ', Text.warning), (uuid, Text.value)]
    return [('Finished: ', Text.title), *accuracy, ('checkpoint ', Text.meta),
            (str(result['checkpoint']), Text.value)]
