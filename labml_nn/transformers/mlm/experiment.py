r"""
---
title: Training a Masked Language Model on Tiny Shakespeare
summary: The experiment - configs you can override, a training loop that learns on a laptop CPU in minutes, validation in eval mode, live samples, and checkpoints you can resume exactly.
---

# Training the masked language model

```bash
python -m labml_nn.transformers.mlm.experiment            # the default run
python -m labml_nn.transformers.mlm.experiment --help     # every config and its default
python -m labml_nn.transformers.mlm.experiment seq_len=128 model.n_layers=4 --steps 2000
```

This page trains the [model](model.html) with the [masking procedure](index.html) on
characters of Tiny Shakespeare ([the data](data.html)). Every hyperparameter is a
[labml](https://github.com/labmlai/labml) config, so it is recorded with the run and shown by
the labml app; any of them can be overridden on the command line as `key=value`.

## A recipe that learns on a laptop

The default run trains the 1.2M-parameter model for 5,000 steps of 32 windows of 64
characters. On a 2-core CPU it took **9.8 minutes** and ended at **61.4%** masked-character
accuracy on the validation text (the [measured run](#measured) is charted below, recorded by
[`bench/default_run.py`](../../bench/default_run.html)). Three choices make that possible:

1. **The model can see positions.** The reference implementation scales its token
   embeddings by $\sqrt{d_\text{model}}$ while they start at $\mathcal{N}(0, 1)$, which
   drowns the positional encodings ([the embeddings page](../embeddings.html) works through
   the numbers). Without positions a masked language model predicts from a bag of
   characters. Trained with that embedding, our model is at 23.8% after 1,000 steps, no
   better than with no positions at all (23.6%); with ours it is at 43.6%
   ([recorded](../../bench/results/positions.html)).
2. **A short warm-up.** Pre-norm layers don't need the 2,000-step warm-up of the original
   transformer (and of the reference recipe); 100 steps of linear warm-up and a cosine decay
   keep the learning rate high while the model learns most.
3. **No dropout by default.** A ten-minute run sees each character of the training text
   about ten times and is far from over-fitting (the training and validation curves below
   stay close), while dropout 0.1 makes every CPU step 1.46 times as long with PyTorch's
   dropout and 1.18 times with [ours](../dropout.html)
   ([recorded](../../bench/results/dropout_cost.html)). `model.dropout=0.1` puts it back
   for longer runs.

## What the loop does

Every step draws `batch_size` random windows of `seq_len` characters, masks them, and takes
one AdamW step on the loss at the masked positions. Every `valid_every` steps it measures
loss and accuracy on a fixed set of validation windows, masked the same way each time, with
the model in **eval mode** (dropout off), so the numbers are comparable along the run. Every
`sample_every` steps it shows its guesses for the masked characters of a few fixed lines,
green where right and red where wrong.

## Checkpoints and resuming

The run's folder (`logs/mlm/<run uuid>/`) gets `checkpoint.pt` every `checkpoint_every`
steps, at the end and when the run is stopped with Ctrl-C or SIGTERM. It holds the
weights, the optimizer state, the step, the vocabulary and the state of every random number
generator, so `--resume <run uuid or folder>` continues exactly where the run stopped: the
resumed run's losses equal those of a run that never stopped (a test checks this). The file
contains only tensors, numbers and strings and is read with `torch.load(weights_only=True)`,
which refuses anything that could run code.
"""

import argparse
import ast
import functools
import hashlib
import inspect
import json
import math
import os
import platform
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
from labml import experiment, logger, monit, tracker
from labml.configs import BaseConfigs, option
from labml.logger import Text
from torch.nn.parallel import DistributedDataParallel

from labml_nn.app import report
from labml_nn.transformers.mlm import MLM
from labml_nn.transformers.mlm.distributed import (Processes, broadcast, from_environment, gather,
                                                   sum_across)
from labml_nn.transformers.mlm.distributed import finish as finish_processes
from labml_nn.transformers.mlm.distributed import start as start_processes
from labml_nn.transformers.mlm.data import (CharVocabulary, DataError, load_corpus,
                                            random_windows, split)
from labml_nn.transformers.mlm.model import TransformerMLM, masked_loss_and_accuracy


class ModelConfigs(BaseConfigs):
    r"""
    ## Configs

    The model's size. `model.dropout` etc. on the command line.
    """
    # Width of every vector in the model
    d_model: int = 128
    # Number of transformer layers
    n_layers: int = 6
    # Attention heads per layer; must divide d_model
    n_heads: int = 8
    # Hidden width of the feed-forward networks
    d_ff: int = 512
    # Dropout probability (0 trains fastest on a CPU; 0.1 for long runs)
    dropout: float = 0.0
    # Dropout on the attention weights (0 keeps PyTorch's fused attention kernel on CPUs)
    attention_dropout: float = 0.0


class MaskingConfigs(BaseConfigs):
    r"""
    The [masking](index.html) probabilities.
    """
    # Probability that a token is selected for prediction
    masking_prob: float = 0.15
    # Probability that a selected token is replaced by a random token
    randomize_prob: float = 0.1
    # Probability that a selected token is left unchanged
    no_change_prob: float = 0.1


class Configs(BaseConfigs):
    r"""
    The experiment's configs. `model` and `masking` are the nested groups above.
    """
    model: ModelConfigs
    masking: MaskingConfigs
    # Characters per training sequence
    seq_len: int = 64
    # Sequences per training step
    batch_size: int = 32
    # Training steps in the run (also sets the length of the learning-rate schedule)
    steps: int = 5000
    # Peak learning rate of AdamW
    learning_rate: float = 2e-3
    # Steps of linear learning-rate warm-up
    warmup_steps: int = 100
    # Final learning rate of the cosine decay, as a fraction of the peak
    min_lr_ratio: float = 0.1
    # AdamW weight decay
    weight_decay: float = 0.01
    # Largest gradient norm; larger gradients are scaled down
    grad_clip: float = 1.0
    # Fraction of the text (at its end) held out for validation
    valid_fraction: float = 0.1
    # Validation windows, the same ones every time
    valid_sequences: int = 512
    # Validate every this many steps
    valid_every: int = 250
    # Show guesses for the sample lines every this many steps (0: never)
    sample_every: int = 1000
    # Save a checkpoint every this many steps (and always at the end)
    checkpoint_every: int = 500
    # Seed of every random number generator of the run
    seed: int = 0
    # Steps over which sequences grow from curriculum_start_len to seq_len (0: no curriculum)
    curriculum_steps: int = 0
    # Sequence length the curriculum starts from; seq_len / curriculum_start_len must be a power of 2
    curriculum_start_len: int = 16
    # Use bfloat16 autocast on CUDA GPUs (ignored on CPUs)
    bf16: bool = True
    # Compile the model with torch.compile (opt-in: it takes a minute to start, and was slower on CPUs)
    compile: bool = False


# labml builds nested configs through *options*: named functions that compute a config's value.
@option(Configs.model, 'ModelConfigs')
def _model_configs(c: Configs) -> ModelConfigs:
    return ModelConfigs()


@option(Configs.masking, 'MaskingConfigs')
def _masking_configs(c: Configs) -> MaskingConfigs:
    return MaskingConfigs()


# Naming the nested groups' options explicitly makes labml record them as chosen, not as
# defaults; the labml app folds away the members of a default group, and we want every
# hyperparameter on show
GROUP_OPTIONS = {'model': 'ModelConfigs', 'masking': 'MaskingConfigs'}


# ## Reading the configs as a flat table
#
# The command line, `--help`, checkpoints and the summary all use one flat view of the
# configs: `{'seq_len': (int, 64, 'Characters per ...'), 'model.d_model': ...}`. The help text
# of a config is the comment above its line in the classes above, so the comments that teach
# the reader are also what `--help` prints.
CONFIG_GROUPS = {'': Configs, 'model.': ModelConfigs, 'masking.': MaskingConfigs}
# Configs that may change when a run is resumed: they don't change what the model learns
RESUMABLE_OVERRIDES = {'steps', 'valid_every', 'sample_every', 'checkpoint_every'}


def _read_config_class(cls: type) -> Dict[str, Tuple[type, Any, str]]:
    r"""
    The annotated attributes of a config class with their defaults and the comment block
    above each, read from the class's source with `ast` (labml keeps the defaults in
    objects of its own, and the comments exist only in the source).
    """
    lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
    tree = ast.parse('\n'.join(lines))
    types = {'int': int, 'float': float, 'bool': bool, 'str': str}
    found = {}
    for node in tree.body[0].body:
        # Only `name: type = value` lines with a plain type are settable configs; the
        # nested groups (`model: ModelConfigs`) have no value here
        if not (isinstance(node, ast.AnnAssign) and node.value is not None
                and isinstance(node.annotation, ast.Name) and node.annotation.id in types):
            continue
        comment = []
        i = node.lineno - 2
        while i >= 0 and lines[i].strip().startswith('#'):
            comment.insert(0, lines[i].strip().lstrip('#').strip())
            i -= 1
        found[node.target.id] = (types[node.annotation.id], ast.literal_eval(node.value), ' '.join(comment))
    return found


@functools.lru_cache(maxsize=None)
def config_table() -> Dict[str, Tuple[type, Any, str]]:
    r"""Every config as `{dotted name: (type, default, help)}`."""
    return {prefix + name: entry
            for prefix, cls in CONFIG_GROUPS.items()
            for name, entry in _read_config_class(cls).items()}


def default_configs() -> Dict[str, Any]:
    r"""Every config at its default, `{dotted name: value}`; a fresh dict the caller may change."""
    return {key: default for key, (_, default, _) in config_table().items()}


class UsageError(Exception):
    r"""A mistake on the command line, worded for the user (one line)."""


def parse_value(key: str, text: str, kind: type) -> Any:
    r"""Turn the text of `key=text` into a value of the config's type, or say what is wrong."""
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ('true', 'yes', '1', 'on'):
                return True
            if lowered in ('false', 'no', '0', 'off'):
                return False
            raise ValueError
        if kind is int:
            return int(text.replace('_', ''))
        return kind(text)
    except ValueError:
        name = {int: 'an integer', float: 'a number', bool: 'true or false', str: 'text'}[kind]
        raise UsageError(f"{key}={text}: expected {name}") from None


def check_configs(values: Dict[str, Any]) -> None:
    r"""
    ## Checking a complete set of configs

    Catches values that would fail later, deep inside PyTorch, with a message that names the
    config. The masking probabilities are checked by `MLM` itself.
    """
    for key in ('seq_len', 'batch_size', 'steps', 'valid_sequences', 'valid_every',
                'checkpoint_every', 'model.d_model', 'model.n_layers', 'model.n_heads', 'model.d_ff'):
        if values[key] <= 0:
            raise UsageError(f"{key}={values[key]}: must be a positive integer")
    for key in ('sample_every', 'warmup_steps'):
        if values[key] < 0:
            raise UsageError(f"{key}={values[key]}: must be 0 or more")
    for key in ('learning_rate', 'grad_clip'):
        if not values[key] > 0:
            raise UsageError(f"{key}={values[key]}: must be positive")
    for key in ('min_lr_ratio', 'weight_decay'):
        if not 0 <= values[key] <= 1:
            raise UsageError(f"{key}={values[key]}: must be between 0 and 1")
    for key in ('model.dropout', 'model.attention_dropout'):
        if not 0 <= values[key] < 1:
            raise UsageError(f"{key}={values[key]}: must be in [0, 1)")
    if not 0 < values['valid_fraction'] < 1:
        raise UsageError(f"valid_fraction={values['valid_fraction']}: must be between 0 and 1")
    if values['curriculum_steps'] < 0:
        raise UsageError(f"curriculum_steps={values['curriculum_steps']}: must be 0 or more")
    if values['curriculum_steps'] > 0:
        ratio = values['seq_len'] / max(values['curriculum_start_len'], 1)
        if values['curriculum_start_len'] <= 0 or ratio < 1 or ratio != 2 ** round(math.log2(ratio)):
            raise UsageError(f"curriculum_start_len={values['curriculum_start_len']}: seq_len={values['seq_len']} "
                             f"must be it times a power of 2 (e.g. 16 and 128)")
    if values['model.d_model'] % values['model.n_heads'] != 0:
        raise UsageError(f"model.d_model={values['model.d_model']} is not divisible by "
                         f"model.n_heads={values['model.n_heads']}")
    try:
        make_masking(values, CharVocabulary('ab'))
    except ValueError as e:
        raise UsageError(f"masking: {e}") from None


def make_masking(values: Dict[str, Any], vocabulary: CharVocabulary) -> MLM:
    return MLM(padding_token=vocabulary.padding_token, mask_token=vocabulary.mask_token,
               n_tokens=len(vocabulary), masking_prob=values['masking.masking_prob'],
               randomize_prob=values['masking.randomize_prob'],
               no_change_prob=values['masking.no_change_prob'])


def learning_rate(values: Dict[str, Any], step: int) -> float:
    r"""
    ## The learning-rate schedule

    Linear warm-up over `warmup_steps`, then a cosine from the peak down to
    `min_lr_ratio` × peak at the last step. It is a pure function of the step, so resuming
    needs no scheduler state.
    """
    peak = values['learning_rate']
    if step < values['warmup_steps']:
        return peak * (step + 1) / values['warmup_steps']
    progress = (step - values['warmup_steps']) / max(1, values['steps'] - values['warmup_steps'])
    progress = min(progress, 1.0)
    floor = values['min_lr_ratio']
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


class CheckpointError(Exception):
    r"""A checkpoint that can't be used, worded for the user (one line)."""


CHECKPOINT_NAME = 'checkpoint.pt'
CHECKPOINT_FORMAT = 'labml_nn.mlm.checkpoint/1'


def find_checkpoint(resume: str, logs: Path, flag: str = '--resume') -> Path:
    r"""
    ## Finding the checkpoint to resume

    `resume` is a run's uuid (looked up under `logs/*/`), the run's folder, or the
    checkpoint file itself.
    """
    path = Path(resume).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        if (path / CHECKPOINT_NAME).is_file():
            return path / CHECKPOINT_NAME
        raise CheckpointError(f"{flag} {resume}: the folder has no {CHECKPOINT_NAME}; "
                              f"give a run folder that saved a checkpoint")
    # A single-process run's folder is `<uuid>`, a distributed run's rank 0 folder `<uuid>.0`
    for pattern in (f'*/{resume}/{CHECKPOINT_NAME}', f'*/{resume}.0/{CHECKPOINT_NAME}'):
        for candidate in sorted(logs.glob(pattern)):
            return candidate
    raise CheckpointError(f"{flag} {resume}: no run folder or checkpoint with that uuid or path "
                          f"(looked in {logs}); give a run uuid printed by an earlier run")


def load_checkpoint(path: Path, flag: str = '--resume') -> Dict[str, Any]:
    r"""
    Reads a checkpoint with `weights_only=True`: the unpickler accepts tensors, numbers,
    strings and containers and refuses anything else, so a doctored file cannot run code.
    """
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # truncated zip, garbage bytes, a pickle with code in it, …
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{flag} {path}: not a readable checkpoint ({reason[:120]}); "
                              f"it may be truncated or corrupt") from None
    if not isinstance(state, dict) or state.get('format') != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{flag} {path}: not a checkpoint of this experiment")
    return state


def save_atomically(state: Dict[str, Any], path: Path) -> None:
    r"""
    Writes to a temporary file and renames it over the old checkpoint: a crash mid-write
    leaves the previous checkpoint intact instead of a truncated one.
    """
    tmp = path.with_name(path.name + '.tmp')
    with open(tmp, 'wb') as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Trainer:
    r"""
    ## The training loop

    `values` is the flat table of configs, `text` the corpus, `vocabulary` its characters.
    `checkpoint` (optional) is the state of a run to continue; `processes` says which rank
    this is when `torchrun` started several ([distributed training](distributed.html)).
    """

    def __init__(self, values: Dict[str, Any], text: str, vocabulary: CharVocabulary,
                 device: torch.device, run_dir: Optional[Path],
                 checkpoint: Optional[Dict[str, Any]] = None, data: str = '',
                 processes: Processes = Processes()):
        self.values = values
        self.data = data
        self.vocabulary = vocabulary
        self.device = device
        self.run_dir = run_dir
        self.processes = processes
        self.seq_len = values['seq_len']
        self.batch_size = values['batch_size']

        ids = vocabulary.encode(text)
        self.train_ids, self.valid_ids = split(ids, values['valid_fraction'])
        self.masking = make_masking(values, vocabulary)

        # Three random number generators, each with one job, so that the data, the masking
        # and dropout don't disturb each other's sequences (validation uses its own, below).
        # The data and masking generators are the same on every rank: each rank draws the
        # whole global batch and keeps its shard.
        torch.manual_seed(values['seed'])  # weight initialization, then dropout
        self.data_generator = torch.Generator().manual_seed(values['seed'] + 1)
        self.mask_generator = torch.Generator().manual_seed(values['seed'] + 2)

        self.model = TransformerMLM(
            n_tokens=len(vocabulary), max_len=self.seq_len, d_model=values['model.d_model'],
            n_layers=values['model.n_layers'], n_heads=values['model.n_heads'],
            d_ff=values['model.d_ff'], dropout=values['model.dropout'],
            attention_dropout=values['model.attention_dropout']).to(device)
        if processes.rank > 0:
            # Each rank drops out different units (rank 0 keeps the single-process sequence)
            torch.manual_seed(values['seed'] + 7919 * processes.rank)
        # AdamW with weight decay on the matrices only: decaying biases, layer norm gains and
        # embeddings towards zero does not regularize, it only fights the model
        decay = [p for n, p in self.model.named_parameters() if p.dim() == 2 and 'embeddings' not in n]
        no_decay = [p for n, p in self.model.named_parameters() if not (p.dim() == 2 and 'embeddings' not in n)]
        self.optimizer = torch.optim.AdamW(
            [{'params': decay, 'weight_decay': values['weight_decay']},
             {'params': no_decay, 'weight_decay': 0.0}],
            lr=values['learning_rate'], betas=(0.9, 0.98), eps=1e-9,
            # The fused kernel updates all parameters in one pass instead of a dozen small
            # operations per tensor: the same arithmetic, less overhead (CPU and GPU)
            fused=True)

        # What the forward pass runs: the model, wrapped by DDP when there are several ranks
        # (it averages gradients in the backward pass), compiled when asked
        self.forward_model: torch.nn.Module = self.model
        if processes.is_distributed:
            self.forward_model = DistributedDataParallel(
                self.model, device_ids=[device.index] if device.type == 'cuda' else None)
        if values['compile']:
            self.forward_model = torch.compile(self.forward_model)
        # bfloat16 autocast on GPUs: matrix multiplies in bf16, sums and the loss in fp32
        self.autocast = device.type == 'cuda' and values['bf16']

        # The validation set: fixed windows at the final length, masked once with a fixed generator
        valid_generator = torch.Generator().manual_seed(values['seed'] + 3)
        windows = random_windows(self.valid_ids, values['valid_sequences'], self.seq_len, valid_generator)
        self.valid_inputs, self.valid_labels = self.masking(windows, generator=valid_generator)
        self.samples = self._sample_lines(text)

        # Where the run is: restored from the checkpoint, or a fresh start
        self.step = 0
        self.elapsed = 0.0  # seconds of training before this process started
        self.curve: List[Dict[str, float]] = []
        self.window = {'loss': 0.0, 'correct': 0, 'total': 0, 'steps': 0}
        if checkpoint is not None:
            self._restore(checkpoint)
        self.stop_signal: Optional[int] = None

    def _sample_lines(self, text: str) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        r"""Three lines of validation text, each with fixed positions replaced by `[MASK]`."""
        start = len(text) - len(self.valid_ids)
        lines = []
        generator = torch.Generator().manual_seed(7)
        for k in range(3):
            offset = start + k * len(self.valid_ids) // 3
            window = self.vocabulary.encode(text[offset:offset + self.seq_len])
            if len(window) < self.seq_len:
                break
            selected = torch.rand(self.seq_len, generator=generator) < 0.15
            masked = window.clone()
            masked[selected] = self.vocabulary.mask_token
            lines.append((masked, window))
        return lines

    def _restore(self, state: Dict[str, Any]) -> None:
        self.model.load_state_dict(state['model'])
        self.optimizer.load_state_dict(state['optimizer'])
        self.step = state['step']
        self.elapsed = state['elapsed']
        self.curve = state['curve']
        self.window = state['window']
        # Each rank continues its own dropout sequence when the run had as many ranks
        torch_states = state['rng']['torch']
        if len(torch_states) == self.processes.world_size:
            torch.set_rng_state(torch_states[self.processes.rank])
        self.data_generator.set_state(state['rng']['data'])
        self.mask_generator.set_state(state['rng']['mask'])

    def save_checkpoint(self) -> Optional[Path]:
        r"""
        Everything needed to continue the run; only tensors, numbers, strings, lists and dicts.
        Every rank takes part (they send rank 0 their dropout generator's state); rank 0 writes.
        """
        torch_states = gather(self.processes, torch.get_rng_state())
        if self.run_dir is None or not self.processes.is_main:
            return None
        state = {
            'format': CHECKPOINT_FORMAT,
            'configs': self.values,
            'vocabulary': self.vocabulary.chars,
            'data': self.data,
            'step': self.step,
            'elapsed': self.elapsed,
            'curve': self.curve,
            'window': self.window,
            'model': self.model.state_dict(),
            'optimizer': self.optimizer.state_dict(),
            'rng': {'torch': torch_states, 'data': self.data_generator.get_state(),
                    'mask': self.mask_generator.get_state()},
        }
        path = self.run_dir / CHECKPOINT_NAME
        self.run_dir.mkdir(parents=True, exist_ok=True)
        save_atomically(state, path)
        return path

    def current_seq_len(self) -> int:
        r"""
        ### The sequence-length curriculum

        With `curriculum_steps` > 0 the run starts on sequences of `curriculum_start_len`
        and doubles their length in equal stages until it reaches `seq_len` after
        `curriculum_steps` steps. The batch holds as many more sequences as they are shorter,
        so every step trains on the same number of tokens. Attention costs grow with the
        square of the length, so short steps are cheaper, and the model learns the local
        patterns (spelling, common words) before it has to use long contexts.

        Measured at a final length of 128 with 2,048 tokens a step: with a 600-step
        curriculum the model reached 40% validation accuracy after 108 seconds and ended
        1,500 steps at 52.0%; without it the model was still at 33.0% after 1,500 steps and
        never reached 40% ([recorded](../../bench/results/curriculum.html)).
        """
        steps, start = self.values['curriculum_steps'], self.values['curriculum_start_len']
        if steps == 0 or self.step >= steps:
            return self.seq_len
        n_stages = int(math.log2(self.seq_len // start)) + 1
        stage = self.step * (n_stages - 1) // steps if n_stages > 1 else 0
        return start * 2 ** stage

    def train_step(self) -> Tuple[float, int, int]:
        r"""
        ### One step

        Returns the loss (averaged over all masked positions of the global batch), the number
        of masked positions guessed right and their count.
        """
        lr = learning_rate(self.values, self.step)
        for group in self.optimizer.param_groups:
            group['lr'] = lr
        # The global batch, drawn and masked on the CPU with their own generators. Shorter
        # sequences during the curriculum come in proportionally larger batches.
        seq_len = self.current_seq_len()
        batch_size = self.batch_size * (self.seq_len // seq_len)
        x = random_windows(self.train_ids, batch_size, seq_len, self.data_generator)
        masked, labels = self.masking(x, generator=self.mask_generator)
        global_count = int((labels != self.vocabulary.padding_token).sum())
        # This rank's shard of the rows
        rows = batch_size // self.processes.world_size
        shard = slice(self.processes.rank * rows, (self.processes.rank + 1) * rows)
        masked, labels = masked[shard].to(self.device), labels[shard].to(self.device)

        self.forward_model.train()
        with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            logits = self.forward_model(masked)  # [rows, seq_len, n_tokens]
        loss, correct, total = masked_loss_and_accuracy(logits.float(), labels, self.vocabulary.padding_token)
        # Scale the shard's mean to "this shard's share of the global mean" (see
        # [distributed training](distributed.html)); with one process the factor is 1
        share = int(total) * self.processes.world_size / max(global_count, 1)
        self.optimizer.zero_grad(set_to_none=True)
        (loss * share).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.values['grad_clip'])
        self.optimizer.step()
        self.step += 1
        # One message carries the loss sum, the right guesses and a stop request of every rank
        loss_sum, correct, stop = sum_across(
            self.processes, [loss.item() * int(total), int(correct), float(self.stop_signal is not None)])
        if stop and self.stop_signal is None:
            self.stop_signal = signal.SIGTERM
        return loss_sum / max(global_count, 1), int(correct), global_count

    @torch.no_grad()
    def validate(self) -> Tuple[float, float]:
        r"""
        ### Validation

        Loss and accuracy over all masked positions of the fixed validation windows, in eval
        mode. The loss is a mean over positions, not over batches, so a batch with more masked
        characters counts for more. With several ranks each takes every $N$-th batch.
        """
        self.model.eval()
        loss_sum, correct, total = 0.0, 0, 0
        starts = range(0, len(self.valid_inputs), self.batch_size)
        for i in list(starts)[self.processes.rank::self.processes.world_size]:
            inputs = self.valid_inputs[i:i + self.batch_size].to(self.device)
            labels = self.valid_labels[i:i + self.batch_size].to(self.device)
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                logits = self.model(inputs)
            loss, c, t = masked_loss_and_accuracy(logits.float(), labels, self.vocabulary.padding_token)
            loss_sum += loss.item() * int(t)
            correct += int(c)
            total += int(t)
        loss_sum, correct, total = sum_across(self.processes, [loss_sum, correct, total])
        return loss_sum / max(total, 1), correct / max(total, 1)

    @torch.no_grad()
    def show_samples(self) -> None:
        r"""
        ### Live samples

        Each sample line with the model's top guess at every `[MASK]`: green when it is the
        hidden character, red when it is not. Line breaks show as `↵`.
        """
        self.model.eval()
        for masked, original in self.samples:
            guesses = self.model(masked[None].to(self.device))[0].argmax(-1).cpu()
            parts = []
            for m, o, g in zip(masked.tolist(), original.tolist(), guesses.tolist()):
                shown = self.vocabulary.decode_token(g if m == self.vocabulary.mask_token else o)
                shown = shown.replace('\n', '↵')
                if m != self.vocabulary.mask_token:
                    parts.append((shown, Text.subtle))
                else:
                    parts.append((shown, Text.success if g == o else Text.danger))
            logger.log(parts)

    def _handle_signal(self, signum, frame) -> None:
        # Finish the current step, then save and stop; a second signal stops at once
        if self.stop_signal is not None:
            raise KeyboardInterrupt
        self.stop_signal = signum

    def run(self, stop_at: Optional[int] = None) -> Dict[str, Any]:
        r"""
        ### The loop

        Trains up to `steps` (or `stop_at`, which tests use to stop a run part way), with
        Ctrl-C and SIGTERM turned into "save a checkpoint and stop".
        """
        values = self.values
        last = values['steps'] if stop_at is None else min(stop_at, values['steps'])
        first = self.step
        previous = {s: signal.signal(s, self._handle_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        # A resumed run's charts continue from its step, not from 0
        tracker.set_global_step(first)
        start = time.perf_counter()
        try:
            for _ in monit.loop(range(first, last)):
                loss, correct, total = self.train_step()
                tracker.add_global_step()
                tracker.add({'loss.train': loss, 'accuracy.train': correct / max(total, 1)})
                self.window['loss'] += loss
                self.window['correct'] += correct
                self.window['total'] += total
                self.window['steps'] += 1
                if self.step % values['valid_every'] == 0 or self.step == last == values['steps']:
                    self._evaluate(start)
                elif self.step % 10 == 0:
                    # Send the mean of the last 10 steps to the screen and the app
                    tracker.save()
                if values['sample_every'] and self.step % values['sample_every'] == 0 and self.processes.is_main:
                    self.show_samples()
                if self.step % values['checkpoint_every'] == 0 and self.step != last:
                    self.save_checkpoint()
                if self.stop_signal is not None:
                    break
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        wall = time.perf_counter() - start
        self.elapsed += wall
        path = self.save_checkpoint()
        steps_here = self.step - first
        tokens_here = steps_here * self.batch_size * self.seq_len
        summary = {'steps': self.step, 'steps_this_process': steps_here,
                   'parameters': sum(p.numel() for p in self.model.parameters()),
                   'tokens_seen': self.step * self.batch_size * self.seq_len,
                   'wall_time_s': wall, 'tokens_per_s': tokens_here / wall if wall > 0 else 0.0,
                   'final': self.curve[-1] if self.curve else None,
                   'curve': self.curve, 'checkpoint': str(path) if path else None,
                   'interrupted': self.stop_signal is not None,
                   'stop_signal': self.stop_signal}
        if self.processes.is_distributed:
            # A fingerprint of each rank's weights: DDP keeps them identical, and this shows it
            summary['world_size'] = self.processes.world_size
            summary['rank_weight_hashes'] = gather(self.processes, self.weight_hash())
        return summary

    def weight_hash(self) -> str:
        r"""SHA-256 of all parameters' bytes: equal hashes mean bit-identical weights."""
        digest = hashlib.sha256()
        for name, p in sorted(self.model.state_dict().items()):
            digest.update(name.encode())
            digest.update(p.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()

    def _evaluate(self, start: float) -> None:
        r"""Validation, one point of the curve, and a line on the screen."""
        valid_loss, valid_accuracy = self.validate()
        w = self.window
        point = {'step': self.step, 'time_s': round(self.elapsed + time.perf_counter() - start, 3),
                 'train_loss': w['loss'] / max(w['steps'], 1),
                 'train_accuracy': w['correct'] / max(w['total'], 1),
                 'valid_loss': valid_loss, 'valid_accuracy': valid_accuracy}
        self.curve.append(point)
        self.window = {'loss': 0.0, 'correct': 0, 'total': 0, 'steps': 0}
        tracker.save({'loss.valid': valid_loss, 'accuracy.valid': valid_accuracy})
        tracker.new_line()


# ## The command line
HELP_HEADER = """\
usage: python -m labml_nn.transformers.mlm.experiment [key=value ...] [options]

Train a character-level masked language model (BERT's MLM) and report it with labml.

options:
  --steps N             stop after N training steps (the same as steps=N)
  --data PATH           train on this UTF-8 text file instead of Tiny Shakespeare
  --device DEVICE       cpu, cuda or auto (default: auto, CUDA when present)
  --resume RUN          continue the run with this uuid, run folder or checkpoint file
  --summary PATH        write a JSON summary of the run to PATH
  --app [URL]           report the run to the labml app (default URL: the local server of
                        `python -m labml_nn.app`, http://127.0.0.1:5005/api/v1/default); also .labml.yaml's app_url
  -h, --help            show this help and exit

configs (override as key=value; dotted keys for nested groups):"""


def help_text() -> str:
    rows = [HELP_HEADER]
    for key, (kind, default, description) in config_table().items():
        rows.append(f"  {key + '=' + str(default):28s}{kind.__name__:6s}{description}")
    return '\n'.join(rows)


class _Parser(argparse.ArgumentParser):
    # argparse prints usage and exits with a two-line message; we want one clear line
    def error(self, message: str):
        raise UsageError(f"{message}; run with --help to see the options")


def parse_args(argv: List[str]) -> Tuple[Dict[str, Any], argparse.Namespace]:
    r"""Returns the `key=value` overrides (typed and checked against the configs) and the options."""
    parser = _Parser(add_help=False)
    parser.add_argument('-h', '--help', action='store_true')
    parser.add_argument('--steps', type=str)
    parser.add_argument('--data')
    parser.add_argument('--device', choices=['cpu', 'cuda', 'auto'], default='auto')
    parser.add_argument('--resume')
    parser.add_argument('--summary')
    report.add_app_argument(parser)
    parser.add_argument('overrides', nargs='*')
    # "Intermixed" lets `key=value` items and options come in any order
    args = parser.parse_intermixed_args(argv)
    if args.help:
        return {}, args
    # `--app seq_len=128`: the optional URL swallowed a config; give it back
    if args.app and '=' in args.app and not args.app.startswith(('http://', 'https://')):
        args.overrides.append(args.app)
        args.app = report.DEFAULT_APP_URL

    table = config_table()
    overrides: Dict[str, Any] = {}
    for item in args.overrides:
        if '=' not in item:
            raise UsageError(f"unexpected argument '{item}'; configs are set as key=value, "
                             f"e.g. seq_len=128 (see --help)")
        key, text = item.split('=', 1)
        if key not in table:
            raise UsageError(f"unknown config '{key}'; run with --help to list the configs")
        overrides[key] = parse_value(key, text, table[key][0])
    if args.steps is not None:
        overrides['steps'] = parse_value('--steps', args.steps, int)
    if 'steps' in overrides and overrides['steps'] <= 0:
        raise UsageError(f"--steps {overrides['steps']}: must be a positive number of steps")
    return overrides, args


def pick_device(name: str, processes: Processes) -> torch.device:
    r"""`cpu`, `cuda` or `auto`; each rank of a multi-GPU run takes the GPU of its local rank."""
    if name == 'cuda' and not torch.cuda.is_available():
        raise UsageError("--device cuda: this machine has no CUDA GPU that PyTorch can use; "
                         "use --device cpu or --device auto")
    if name == 'auto':
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    if name == 'cuda':
        return torch.device('cuda', processes.local_rank % torch.cuda.device_count())
    return torch.device(name)


def use_working_directory_for_logs() -> Path:
    r"""
    labml keeps runs under the folder that holds `.labml.yaml`, searched upwards from the
    calling script. For an installed package that would be inside `site-packages`, so we
    start the search at the working directory instead: runs land in `./logs/` (or next to
    your `.labml.yaml`). Returns the logs folder.
    """
    from labml.internal import lab as labml_lab
    # Without a `.labml.yaml` labml prints a boxed warning; here that is the normal case
    # (runs go to ./logs), so it is silenced while the folder is chosen
    notice = labml_lab.labml_notice
    labml_lab.labml_notice = lambda *args, **kwargs: None
    try:
        labml_lab.lab_singleton().set_path(str(Path.cwd()))
    finally:
        labml_lab.labml_notice = notice
    return Path(labml_lab.lab_singleton().experiments)


def prepare(overrides: Dict[str, Any], args: argparse.Namespace, logs: Path, processes: Processes):
    r"""
    ## Checking everything before training

    Resolves the configs (the defaults, or the checkpoint's when resuming, then the
    overrides), loads the text and checks that the pieces fit together. Every problem is
    found here, before anything is written.
    """
    checkpoint = None
    values = default_configs()
    data_source = args.data
    if args.resume:
        checkpoint = load_checkpoint(find_checkpoint(args.resume, logs))
        changed = sorted(k for k in overrides if k not in RESUMABLE_OVERRIDES
                         and overrides[k] != checkpoint['configs'].get(k))
        if changed:
            raise UsageError(f"cannot change {', '.join(changed)} when resuming; only "
                             f"{', '.join(sorted(RESUMABLE_OVERRIDES))} may change")
        values.update(checkpoint['configs'])
        # The run's own text, unless --data says otherwise
        if data_source is None and checkpoint['data'] not in ('tiny_shakespeare', 'stdlib_docstrings'):
            data_source = checkpoint['data']
    values.update(overrides)
    check_configs(values)
    if values['batch_size'] % processes.world_size != 0:
        raise UsageError(f"batch_size={values['batch_size']} can't be split evenly over "
                         f"{processes.world_size} processes; make it a multiple of {processes.world_size}")
    if checkpoint is not None and values['steps'] <= checkpoint['step']:
        raise UsageError(f"--resume: the run already did {checkpoint['step']} of "
                         f"{values['steps']} steps; give a larger --steps to continue it")

    text, description = load_corpus(data_source)
    vocabulary = CharVocabulary.from_text(text)
    if checkpoint is not None and checkpoint['vocabulary'] != vocabulary.chars:
        raise CheckpointError(f"--resume: the checkpoint's vocabulary ({len(checkpoint['vocabulary'])} "
                              f"characters) differs from this data's ({len(vocabulary.chars)}); "
                              f"resume with the --data the run was trained on")
    # Both splits must hold at least one whole sequence
    needed = math.ceil(values['seq_len'] / values['valid_fraction']) + values['seq_len']
    if len(text) < needed:
        raise DataError(f"the text has {len(text)} characters, too short for seq_len="
                        f"{values['seq_len']} with valid_fraction={values['valid_fraction']}; "
                        f"give at least {needed} characters or a smaller seq_len")
    return values, checkpoint, text, description, vocabulary


def run(overrides: Dict[str, Any], args: argparse.Namespace,
        stop_at: Optional[int] = None) -> Dict[str, Any]:
    r"""
    ## Putting it together

    Checks everything, starts a labml run (one run for all ranks when `torchrun` started
    several processes), trains and returns the summary.
    """
    processes = from_environment()
    device = pick_device(args.device, processes)
    logs = use_working_directory_for_logs()
    values, checkpoint, text, description, vocabulary = prepare(overrides, args, logs, processes)

    # The labml app, when asked for (`--app` or `.labml.yaml`): checked before training, so a
    # missing app costs one line and local logging, never a hang
    try:
        app = report.connect(args.app)
    except report.AppUrlError as e:
        raise UsageError(f"--app: {e}") from None
    # 'file' keeps the metrics in the run's log.jsonl too
    writers = {'screen', 'file'} | ({'app'} if app.url else set())

    start_processes(processes, device)
    try:
        # One uuid for all ranks, chosen by rank 0, so labml shows them as one run
        uuid = broadcast(processes, experiment.generate_uuid())
        # `python_file` is where labml starts looking for `.labml.yaml`: the working directory
        experiment.create(name='mlm', uuid=uuid, python_file=str(Path.cwd()),
                          writers=writers, disable_screen=not processes.is_main,
                          comment=f"resumed from {args.resume}" if args.resume else description,
                          distributed_rank=processes.rank,
                          distributed_world_size=processes.world_size if processes.is_distributed else 0)
        conf = Configs()
        experiment.configs(conf, {**GROUP_OPTIONS, **values})
        # labml computes a config when it is first read; read them all, so that the run's
        # record (and the app) holds every value, and train with what labml computed
        values = {key: functools.reduce(getattr, key.split('.'), conf) for key in values}
        # labml names a distributed run's folders `<uuid>.<rank>`; rank 0's holds the checkpoints
        run_dir = logs / 'mlm' / (f'{uuid}.0' if processes.is_distributed else uuid)
        trainer = Trainer(values, text, vocabulary, device, run_dir, checkpoint, data=description,
                          processes=processes)
        if processes.is_main:
            logger.log([('Data: ', Text.meta), (f"{description}, {len(text):,} characters, "
                                                 f"{len(vocabulary.chars)} distinct", Text.value)])
            if app.url:
                print(f"labml app: watch the run at {app.run_url(uuid)}", flush=True)
        with experiment.start():
            summary = trainer.run(stop_at=stop_at)
        # Wait (a bounded time) for the last metrics to reach the app
        summary['app_sent'] = app.finish() if app.url else None
    finally:
        finish_processes(processes)

    summary.update({'run_uuid': uuid, 'run_dir': str(run_dir), 'data': description,
                    'device': str(device), 'machine': f"{platform.machine()}, {os.cpu_count()} cores, "
                                                      f"torch {torch.__version__}, {torch.get_num_threads()} threads",
                    'config': values})
    if processes.is_main:
        if summary['interrupted']:
            logger.log([('Stopped at step ', Text.warning), (str(trainer.step), Text.value),
                        ('; continue with --resume ', Text.warning), (uuid, Text.value)])
        elif summary['checkpoint']:
            logger.log([('Checkpoint: ', Text.meta), (summary['checkpoint'], Text.value)])
        if args.summary:
            Path(args.summary).write_text(json.dumps(summary, indent=1) + '\n')
    return summary


def main(argv: Optional[List[str]] = None) -> None:
    r"""The console entry point: every expected failure is one line on stderr, exit status 2."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        overrides, args = parse_args(argv)
        if args.help:
            print(help_text())
            return
        summary = run(overrides, args)
    except (UsageError, DataError, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    if summary['interrupted']:
        # The shell's convention for "ended by a signal": 130 for Ctrl-C, 143 for SIGTERM
        sys.exit(128 + int(summary['stop_signal']))


if __name__ == '__main__':
    main()
