r"""
---
title: Checkpoints - stop a run any time, resume it exactly
summary: What a checkpoint holds, finding one by run uuid, folder or file, loading it without running code, saving it atomically, what may change when a run is resumed, and Ctrl-C or SIGTERM turned into "save and stop".
---

# Checkpoints

*Part of the [machinery behind the lessons](index.html).*

A run's folder (`logs/<experiment>/<run uuid>/`) gets `checkpoint.pt` every few steps, at the
end, and when the run is stopped with Ctrl-C or SIGTERM. `--resume <run uuid>` continues the
run so exactly that its losses equal, to the last bit, those of a run that never stopped (the
[MLM experiment](../transformers/mlm/experiment.html)'s tests check it). That takes more than
the weights:

* the **weights** and the **optimizer's state** (AdamW's two moving averages per weight),
* the **step** (the learning rate is a function of it) and the seconds trained so far,
* the **metrics**: the validation curve and the training metrics since the last validation,
* the state of **every random number generator**: PyTorch's global one, which drew the
  initial weights and draws dropout (one state per rank), and each generator the experiment
  names (the MLM's data and masking generators: its data loader is random windows drawn from
  a generator, so that generator's state is its whole state),
* the **configs**, so that the model can be rebuilt, and whatever else the experiment adds
  (the MLM adds its vocabulary and the name of its data).

Nothing here knows which experiment it saves: each one describes its checkpoints with a
`Format` (a name written into every file and checked on load, the configs that may change on
resume, and the values that older runs had for configs added since).

## A file that can't run code

A checkpoint holds only tensors, numbers, strings, lists and dicts, and is read with
`torch.load(weights_only=True)`: its unpickler refuses anything else, so a doctored file that
would call a function when loaded is an error, not an exploit. It is written
[atomically](files.html): a crash while saving leaves the previous checkpoint whole.

## What may change on resume

Only configs that don't change what the model learns, which the `Format` lists (the MLM's:
`steps`, to train longer, and how often to validate, show samples and save). Anything else
would make the resumed run a different experiment than the one its curve records. A resumed
run is a new labml run; the old folder is left as it was.

## The trainer's side

`save` and `restore` work on any trainer that has what `Resumable` lists; the run's folder
and the processes come from [the run](run.html).
"""

import io
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, Mapping, Optional, Protocol

import torch

from labml_nn.helpers import distributed
from labml_nn.helpers.tracking import Metrics
from labml_nn.helpers.cli import UserError, flatten
from labml_nn.helpers.files import atomic_write

NAME = 'checkpoint.pt'


class Resumable(Protocol):
    r"""What a checkpoint holds of a trainer: everything a resumed run needs to continue exactly."""
    # Its configs, a dataclass
    c: Any
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    # Every random number generator it draws from besides PyTorch's global one, by name
    generators: Dict[str, torch.Generator]
    # The steps done and the seconds they took
    step: int
    elapsed: float
    # The validation curve and the training metrics since the last validation
    metrics: Metrics


@dataclass(frozen=True)
class Format:
    r"""
    One experiment's checkpoints: the `name` written into each file (a file of another
    experiment is refused), the configs that may change on resume, configs added after files
    of this format were first written, with the value that reproduces what the older runs did
    (a newer default may differ), and what the experiment keeps beside the training state
    (`extras` of the trainer: a dict of tensors, numbers, strings, lists and dicts).
    """
    name: str
    resumable: FrozenSet[str] = frozenset()
    added_since: Mapping[str, Any] = field(default_factory=dict)
    extras: Callable[[Any], Dict[str, Any]] = lambda trainer: {}


class CheckpointError(UserError):
    r"""A checkpoint that can't be used."""


def find(where: str, logs: Path, flag: str = '--resume') -> Path:
    r"""
    The checkpoint file for `where`: a run's uuid (looked up under `logs/*/`), a run's
    folder, or the file itself.
    """
    path = Path(where).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        if (path / NAME).is_file():
            return path / NAME
        raise CheckpointError(f"{flag} {where}: the folder has no {NAME}; give a run folder that saved a checkpoint")
    # A single-process run's folder is `<uuid>`, a distributed run's rank 0 folder `<uuid>.0`
    for pattern in (f'*/{where}/{NAME}', f'*/{where}.0/{NAME}'):
        for candidate in sorted(logs.glob(pattern)):
            return candidate
    raise CheckpointError(f"{flag} {where}: no run folder or checkpoint with that uuid or path "
                          f"(looked in {logs}); give a run uuid printed by an earlier run")


def load(path: Path, form: Format, flag: str = '--resume') -> Dict[str, Any]:
    r"""
    Reads a checkpoint of format `form` with `weights_only=True`. Each way a file can be
    unusable gets a message of its own, without PyTorch's long explanation.
    """
    try:
        with open(path, 'rb') as f:
            head = f.read(4)
    except OSError as e:
        raise CheckpointError(f"{flag} {path}: can't read it ({e.strerror})") from None
    # PyTorch's format is a zip archive, which starts with the bytes `PK\x03\x04`
    give = 'give a checkpoint.pt written by the experiment'
    if head != b'PK\x03\x04':
        raise CheckpointError(f"{flag} {path}: not a readable checkpoint (not a PyTorch file); {give}")
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # a truncated zip, a pickle with code in it, …
        unsafe = 'weights_only' in str(e) or 'Unsupported global' in str(e)
        reason = ('it holds objects other than tensors, numbers and strings, and loading them could run code'
                  if unsafe else 'it is truncated or corrupt')
        raise CheckpointError(f"{flag} {path}: not a readable checkpoint ({reason}); {give}") from None
    if not isinstance(state, dict) or state.get('format') != form.name:
        raise CheckpointError(f"{flag} {path}: not a checkpoint of this experiment")
    return state


def find_and_load(where: str, logs: Path, form: Format, flag: str = '--resume') -> Dict[str, Any]:
    return load(find(where, logs, flag), form, flag)


def configs_of(state: Dict[str, Any], form: Format) -> Dict[str, Any]:
    r"""A checkpoint's flat configs, with the values older runs had for configs added since."""
    return {**form.added_since, **state['configs']}


def resolve_configs(cls: type, overrides: Dict[str, Any], resumed: Optional[Dict[str, Any]],
                    form: Format) -> Dict[str, Any]:
    r"""
    The flat configs of a run: the defaults, then a resumed run's own configs, then the
    command line's overrides, refusing the overrides that resuming does not allow.
    """
    values = flatten(cls())
    if resumed is not None:
        changed = sorted(k for k in overrides if k not in form.resumable and overrides[k] != resumed['configs'].get(k))
        if changed:
            raise UserError(f"cannot change {', '.join(changed)} when resuming; only "
                            f"{', '.join(sorted(form.resumable))} may change")
        values.update(configs_of(resumed, form))
    values.update(overrides)
    if resumed is not None and values['steps'] <= resumed['step']:
        raise UserError(f"--resume: the run already did {resumed['step']} of {values['steps']} steps; "
                        f"give a larger --steps to continue it")
    return values


def save(trainer: Resumable, form: Format, folder: Optional[Path],
         processes: distributed.Processes = distributed.Processes()) -> Optional[Path]:
    r"""
    Saves everything needed to continue the run, and the experiment's `form.extras`, in
    `folder`. Every rank takes part (each sends rank 0 its dropout generator's state); rank 0
    writes. Returns the file's path (`None` on other ranks, and when `folder` is `None`).
    """
    torch_states = distributed.gather(processes, torch.get_rng_state())
    if folder is None or not processes.is_main:
        return None
    state = {
        'format': form.name, 'configs': flatten(trainer.c), **form.extras(trainer),
        'step': trainer.step, 'elapsed': trainer.elapsed,
        'curve': trainer.metrics.curve, 'window': trainer.metrics.window,
        'model': trainer.model.state_dict(), 'optimizer': trainer.optimizer.state_dict(),
        'rng': {'torch': torch_states, **{name: g.get_state() for name, g in trainer.generators.items()}},
    }
    path = folder / NAME
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write(path, buffer.getvalue())
    return path


def restore(trainer: Resumable, state: Optional[Dict[str, Any]],
            processes: distributed.Processes = distributed.Processes()) -> None:
    r"""Puts a trainer where the checkpointed run was (nothing when `state` is `None`)."""
    if state is None:
        return
    trainer.model.load_state_dict(state['model'])
    trainer.optimizer.load_state_dict(state['optimizer'])
    trainer.step, trainer.elapsed = state['step'], state['elapsed']
    trainer.metrics.curve, trainer.metrics.window = state['curve'], state['window']
    # Each rank continues its own dropout sequence when the run had as many ranks
    torch_states = state['rng']['torch']
    if len(torch_states) == processes.world_size:
        torch.set_rng_state(torch_states[processes.rank])
    for name, generator in trainer.generators.items():
        generator.set_state(state['rng'][name])


class stop_on_signals:
    r"""
    A `with` block in which Ctrl-C (SIGINT) and SIGTERM don't kill the process: the first one
    is remembered in `received`, and the loop finishes its step, saves and stops. A second
    signal stops at once.
    """

    def __init__(self):
        self.received: Optional[int] = None

    def _handle(self, signum, frame) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum

    def __enter__(self) -> 'stop_on_signals':
        self.previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)
