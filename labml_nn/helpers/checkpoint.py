r"""
---
title: Checkpoints - stop a run any time, resume it exactly
summary: What a checkpoint holds, finding one by run uuid, folder or file, loading it without running code, saving it atomically, what may change when a run is resumed, and Ctrl-C or SIGTERM turned into "save and stop".
---

# Checkpoints

*Part of the [machinery behind the lessons](index.html).*

A run's folder (`logs/mlm/<run uuid>/`) gets `checkpoint.pt` every `checkpoint_every` steps,
at the end, and when the run is stopped with Ctrl-C or SIGTERM. `--resume <run uuid>`
continues the run so exactly that its losses equal, to the last bit, those of a run that
never stopped (a test checks it). That takes more than the weights:

* the **weights** and the **optimizer's state** (AdamW's two moving averages per weight),
* the **step** (the learning rate is a function of it) and the seconds trained so far,
* the **metrics**: the validation curve and the training metrics since the last validation,
* the state of **every random number generator**: PyTorch's global one, which drew the
  initial weights and draws dropout (one state per rank), and the experiment's data and
  masking generators. The data loader is random windows drawn from a generator, so its
  generator's state is its whole state,
* the **configs**, the **vocabulary** and the name of the **data**, so that the model can be
  rebuilt and fed the same text.

## A file that can't run code

A checkpoint holds only tensors, numbers, strings, lists and dicts, and is read with
`torch.load(weights_only=True)`: its unpickler refuses anything else, so a doctored file that
would call a function when loaded is an error, not an exploit. It is written
[atomically](files.html): a crash while saving leaves the previous checkpoint whole.

## What may change on resume

Only configs that don't change what the model learns: `steps` (to train longer),
`valid_every`, `sample_every` and `checkpoint_every`. Anything else would make the resumed run
a different experiment than the one its curve records. A resumed run is a new labml run; the
old folder is left as it was.

## The trainer's side

`save` and `restore` work on a trainer with these attributes: `c` (its configs), `model`,
`optimizer`, `data_generator`, `mask_generator`, `vocabulary`, `step`, `elapsed`, `metrics`
(with `curve` and `window`), `processes`, `run_dir` (`None`: don't save) and `data`.
"""

import io
import math
import signal
from pathlib import Path
from typing import Any, Dict, Optional

import torch

from labml_nn.helpers.cli import UserError, flatten
from labml_nn.helpers.files import atomic_write
from labml_nn.transformers.mlm import distributed
from labml_nn.transformers.mlm.data import CharVocabulary, DataError

NAME = 'checkpoint.pt'
FORMAT = 'labml_nn.mlm.checkpoint/1'
# Configs that may change when a run is resumed: they don't change what the model learns
RESUMABLE = {'steps', 'valid_every', 'sample_every', 'checkpoint_every'}
# Configs added after checkpoints of this format were first written, with the value that
# reproduces what the older runs did (a newer default may differ)
ADDED_SINCE_FORMAT: Dict[str, Any] = {'model.init': 'normal', 'model.activation': 'gelu', 'model.tie_embeddings': False,
                                      'model.head_transform': False, 'model.embedding_norm': False,
                                      'model.post_norm': False}


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


def load(path: Path, flag: str = '--resume') -> Dict[str, Any]:
    r"""
    Reads a checkpoint with `weights_only=True`. Each way a file can be unusable gets a
    message of its own, without PyTorch's long explanation.
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
    if not isinstance(state, dict) or state.get('format') != FORMAT:
        raise CheckpointError(f"{flag} {path}: not a checkpoint of this experiment")
    return state


def find_and_load(where: str, logs: Path, flag: str = '--resume') -> Dict[str, Any]:
    return load(find(where, logs, flag), flag)


def configs_of(state: Dict[str, Any]) -> Dict[str, Any]:
    r"""A checkpoint's flat configs, with the values older runs had for configs added since."""
    return {**ADDED_SINCE_FORMAT, **state['configs']}


def resolve_configs(cls: type, overrides: Dict[str, Any], resumed: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    r"""
    The flat configs of a run: the defaults, then a resumed run's own configs, then the
    command line's overrides, refusing the overrides that resuming does not allow.
    """
    values = flatten(cls())
    if resumed is not None:
        changed = sorted(k for k in overrides if k not in RESUMABLE and overrides[k] != resumed['configs'].get(k))
        if changed:
            raise UserError(f"cannot change {', '.join(changed)} when resuming; only "
                            f"{', '.join(sorted(RESUMABLE))} may change")
        values.update(configs_of(resumed))
    values.update(overrides)
    if resumed is not None and values['steps'] <= resumed['step']:
        raise UserError(f"--resume: the run already did {resumed['step']} of {values['steps']} steps; "
                        f"give a larger --steps to continue it")
    return values


def check_fits(c, text: str, resumed: Optional[Dict[str, Any]], world_size: int) -> None:
    r"""The configs, the text, the resumed run and the number of processes fit together."""
    if c.batch_size % world_size != 0:
        raise UserError(f"batch_size={c.batch_size} can't be split evenly over {world_size} processes; "
                        f"make it a multiple of {world_size}")
    chars = CharVocabulary.from_text(text).chars
    if resumed is not None and resumed['vocabulary'] != chars:
        raise CheckpointError(f"--resume: the checkpoint's vocabulary ({len(resumed['vocabulary'])} characters) "
                              f"differs from this data's ({len(chars)}); resume with the --data the run was trained on")
    # Both splits must hold at least one whole sequence
    needed = math.ceil(c.seq_len / c.valid_fraction) + c.seq_len
    if len(text) < needed:
        raise DataError(f"the text has {len(text)} characters, too short for seq_len={c.seq_len} with "
                        f"valid_fraction={c.valid_fraction}; give at least {needed} characters or a smaller seq_len")


def save(trainer) -> Optional[Path]:
    r"""
    Saves everything needed to continue the run. Every rank takes part (each sends rank 0 its
    dropout generator's state); rank 0 writes. Returns the file's path (`None` on other ranks
    and for trainers without a `run_dir`).
    """
    torch_states = distributed.gather(trainer.processes, torch.get_rng_state())
    if trainer.run_dir is None or not trainer.processes.is_main:
        return None
    state = {
        'format': FORMAT, 'configs': flatten(trainer.c), 'vocabulary': trainer.vocabulary.chars,
        'data': trainer.data, 'step': trainer.step, 'elapsed': trainer.elapsed,
        'curve': trainer.metrics.curve, 'window': trainer.metrics.window,
        'model': trainer.model.state_dict(), 'optimizer': trainer.optimizer.state_dict(),
        'rng': {'torch': torch_states, 'data': trainer.data_generator.get_state(),
                'mask': trainer.mask_generator.get_state()},
    }
    path = trainer.run_dir / NAME
    trainer.run_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write(path, buffer.getvalue())
    return path


def restore(trainer, state: Optional[Dict[str, Any]]) -> None:
    r"""Puts a trainer where the checkpointed run was (nothing when `state` is `None`)."""
    if state is None:
        return
    trainer.model.load_state_dict(state['model'])
    trainer.optimizer.load_state_dict(state['optimizer'])
    trainer.step, trainer.elapsed = state['step'], state['elapsed']
    trainer.metrics.curve, trainer.metrics.window = state['curve'], state['window']
    # Each rank continues its own dropout sequence when the run had as many ranks
    torch_states = state['rng']['torch']
    if len(torch_states) == trainer.processes.world_size:
        torch.set_rng_state(torch_states[trainer.processes.rank])
    trainer.data_generator.set_state(state['rng']['data'])
    trainer.mask_generator.set_state(state['rng']['mask'])


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
