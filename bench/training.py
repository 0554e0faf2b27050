r"""
---
title: Benchmark harness - the experiment's own training step, for any model
summary: A small core shared by every benchmark that trains - the experiment's Trainer (its step, optimizer, data, masking, schedule and validation) for our model with any options, Hugging Face's BERT or PyTorch's encoder, and runs that take turns in one process.
---

# One training step for every benchmark

The [ablations](ablations.html), the [time-to-accuracy benchmark](time_to_accuracy.html), the
[comparison](compare.html) and the [default-recipe search](default_recipe.html) train many
models that differ in one thing each. They all train through the
[experiment's](../transformers/mlm/experiment.html) own `Trainer`: its `train_step` (the data,
the masking, AdamW with weight decay on the matrices only, the schedule, clipping, the
curriculum) and its `validate`. A benchmark therefore measures what a reader runs, not a copy
of it; the only thing a benchmark changes is the model, through the trainer's `make_model`:

* **ours** with any of the model's options (they are the model's configs, `model.tie_embeddings`
  and so on), built by the trainer itself, so its numbers are the experiment's;
* **hf-bert**, Hugging Face's `BertForMaskedLM` of the same size behind our model's interface;
* **torch-encoder**, PyTorch's `nn.TransformerEncoder` between our embeddings and output layer;
* and, for the ablation that measured it, our model **scoring every position**, whose logits
  are computed everywhere and selected afterwards (the loss is the same; only the cost differs).

Every benchmark that times training steps, these and the others ([fine-tuning](fine_tuning.html),
[dropout's cost](dropout_cost.html), [positions](positions.html)), times them through one loop
here, `timed_steps`, and reads its curves with one `interpolate` and one `spread`.

It adds one thing the experiment does not need: **runs that take turns.** A `Run` keeps its
own copy of PyTorch's global random state (the one dropout draws from) and swaps it in for its
own steps, so several runs can train in one process, a block of steps each in turn, and each
one's numbers are exactly what it would get alone. Taking turns is how the benchmarks compare
*time*: the machine's speed drifts, and runs that alternate every few seconds share the drift.

Hyperparameters use the experiment's flat config names (`seq_len`, `model.d_model`, …).
The scripts import this file as `training` (Python puts a script's own folder on its path).
"""

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import nn

from labml_nn.helpers import cli
from labml_nn.transformers.mlm.data import CharVocabulary, load_corpus
from labml_nn.transformers.mlm.experiment import Configs, Trainer
from labml_nn.transformers.mlm.model import ROUND_1, ModelConfigs, TransformerMLM

ROOT = Path(__file__).resolve().parent.parent

# The comparison benchmark's reference size (`SIZE` in [compare.py](compare.html)) in the
# experiment's config names
REFERENCE = {'seq_len': 32, 'batch_size': 64, 'model.d_model': 128, 'model.n_layers': 6,
             'model.n_heads': 8, 'model.d_ff': 256, 'model.dropout': 0.1}
# The model of round 1, before the ablations changed its defaults: what the ablations and the
# default-run candidates start from. The model's module keeps round 1's options; these are the
# ones that differ from today's defaults, as our model's options (a `Run`'s `options`) and as
# config overrides (`configs(**ROUND_1_CONFIGS)`)
ROUND_1_OPTIONS = {key: value for key, value in ROUND_1.items() if value != getattr(Configs().model, key)}
ROUND_1_CONFIGS = {f'model__{key}': value for key, value in ROUND_1_OPTIONS.items()}
# The experiment's recipe before the [recipe study](recipe_study.html) changed it (round 3):
# AdamW, a cosine decay to a tenth, 15% masking throughout, biases, no QK-norm. The benchmarks
# that measure something else (comparisons, ablations, positions, dropout, the curriculum)
# keep it, so that their records stand as measured: `configs(**ROUND_3_CONFIGS)`
ROUND_3_CONFIGS = {'model__qk_norm': False, 'model__zero_init': False, 'model__bias': True,
                   'optimizer': 'adamw', 'decay': 'cosine', 'min_lr_ratio': 0.1, 'masking_start': 0.0}


def default_data() -> str:
    r"""Tiny Shakespeare: `$LABML_NN_TINY_SHAKESPEARE`, else `../shared/data/tiny_shakespeare.txt`."""
    return os.environ.get('LABML_NN_TINY_SHAKESPEARE') or str(ROOT.parent / 'shared/data/tiny_shakespeare.txt')


def configs(**overrides) -> Dict[str, Any]:
    r"""The experiment's defaults with `overrides` (dotted names passed as `model__d_model`)."""
    values = cli.flatten(Configs())
    for key, value in overrides.items():
        key = key.replace('__', '.')
        if key not in values:
            raise KeyError(f"unknown config {key}")
        values[key] = value
    return values


class Corpus:
    r"""The text and its vocabulary, loaded once per process."""

    def __init__(self, data: Optional[str] = None):
        self.text, _ = load_corpus(data or default_data())
        self.vocabulary = CharVocabulary.from_text(self.text)


class HFLogits(nn.Module):
    r"""Hugging Face's `BertForMaskedLM` behind our interface: ids in, logits out."""

    def __init__(self, values: Dict[str, Any], n_tokens: int):
        super().__init__()
        from transformers import BertConfig, BertForMaskedLM
        config = BertConfig(vocab_size=n_tokens, hidden_size=values['model.d_model'],
                            num_hidden_layers=values['model.n_layers'], num_attention_heads=values['model.n_heads'],
                            intermediate_size=values['model.d_ff'], max_position_embeddings=values['seq_len'],
                            type_vocab_size=1, pad_token_id=0, hidden_dropout_prob=values['model.dropout'],
                            attention_probs_dropout_prob=values['model.dropout'], attn_implementation='sdpa')
        self.bert = BertForMaskedLM(config)

    def forward(self, x: torch.Tensor, positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        logits = self.bert(input_ids=x).logits  # [batch_size, seq_len, n_tokens]
        # BERT computes every position; selecting afterwards only keeps the interface
        return logits if positions is None else logits[positions]


class ScoreEverywhere(nn.Module):
    r"""Our model computing its output at every position, then keeping the masked ones: what scoring everywhere costs."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        logits = self.model(x)  # [batch_size, seq_len, n_tokens]
        return logits if positions is None else logits[positions]


class TorchEncoderMLM(nn.Module):
    r"""`nn.TransformerEncoder` (pre-norm, GELU) between our embeddings and output projection."""

    def __init__(self, n_tokens: int, c: ModelConfigs, max_len: int):
        super().__init__()
        ours = TransformerMLM(n_tokens=n_tokens, max_len=max_len, d_model=c.d_model, n_layers=1,
                              n_heads=c.n_heads, d_ff=c.d_ff, dropout=c.dropout)
        self.embeddings, self.output = ours.embeddings, ours.output
        layer = nn.TransformerEncoderLayer(c.d_model, c.n_heads, c.d_ff, c.dropout, activation='gelu',
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, c.n_layers, norm=nn.LayerNorm(c.d_model),
                                             enable_nested_tensor=False)

    def forward(self, x: torch.Tensor, positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        logits = self.output(self.encoder(self.embeddings(x)))  # [batch_size, seq_len, n_tokens]
        return logits if positions is None else logits[positions]


IMPLEMENTATIONS = ('ours', 'hf-bert', 'torch-encoder')


def model_maker(implementation: str, values: Dict[str, Any], scored_only: bool = True):
    r"""
    The trainer's `make_model` for an implementation: `ours` is
    [`TransformerMLM`](../transformers/mlm/model.html) as the configs describe it (the trainer's
    own default, unless it is to score every position); `hf-bert` Hugging Face's BERT at the
    same size, with BERT's dropout on the attention weights too; `torch-encoder` PyTorch's encoder.
    """
    if implementation == 'ours':
        if scored_only:
            return TransformerMLM.from_configs
        return lambda c, n_tokens, max_len: ScoreEverywhere(TransformerMLM.from_configs(c, n_tokens, max_len))
    if implementation == 'hf-bert':
        return lambda c, n_tokens, max_len: HFLogits(values, n_tokens)
    if implementation == 'torch-encoder':
        return lambda c, n_tokens, max_len: TorchEncoderMLM(n_tokens, c, max_len)
    raise ValueError(f"unknown implementation {implementation}; one of {', '.join(IMPLEMENTATIONS)}")


def timed_steps(trainer, n: int, clock: Callable[[], float] = time.perf_counter) -> List[float]:
    r"""
    ## The timed loop

    `n` of the trainer's `train_step()`, each timed on its own; returns the seconds of each.
    Every benchmark that times training steps times them here, so that "a step" means the same
    thing in every recording: the experiment's `train_step` and nothing else (no validation,
    no logging). `trainer` is either experiment's `Trainer`. `clock` is the wall clock
    (`time.perf_counter`) unless a benchmark asks for the CPU time of this process
    (`time.process_time`), which a busy machine does not stretch.
    """
    seconds = []
    for _ in range(n):
        start = clock()
        trainer.train_step()
        seconds.append(clock() - start)
    return seconds


class Run:
    r"""
    ## One training run that can be advanced a block of steps at a time

    `values` are the experiment's flat configs; `options` set the model's configs of those
    names on top of them (`{'tie_embeddings': True}`); `scored_only=False` makes our model
    compute its output at every position, as before the experiment scored only the masked ones.
    `make_model`, given, builds the model instead of the implementation (a benchmark that swaps
    one part of our model, like the [position benchmark](positions.html), passes its own).
    """

    def __init__(self, name: str, corpus: Corpus, values: Dict[str, Any], implementation: str = 'ours',
                 options: Optional[Dict[str, Any]] = None, scored_only: bool = True,
                 make_model: Optional[Callable[[ModelConfigs, int, int], nn.Module]] = None):
        if options and implementation != 'ours':
            raise ValueError(f"options are for our model, not {implementation}")
        self.name, self.implementation = name, implementation
        self.values = {**values, **{f'model.{k}': v for k, v in (options or {}).items()}}
        self.c = cli.build(Configs, self.values)
        self.seq_len, self.batch_size = self.c.seq_len, self.c.batch_size
        # The trainer seeds PyTorch's global generator and draws the weights from it; this
        # run keeps that generator's state as its own and gives the caller theirs back
        saved = torch.get_rng_state()
        self.trainer = Trainer(self.c, corpus.text, torch.device('cpu'),
                               make_model=make_model or model_maker(implementation, self.values, scored_only))
        self.rng = torch.get_rng_state()
        torch.set_rng_state(saved)
        self.model, self.optimizer = self.trainer.model, self.trainer.optimizer
        self.train_seconds = 0.0
        self.step_seconds: List[float] = []
        self.curve: List[Dict[str, float]] = []
        self.parameters = sum(p.numel() for p in self.model.parameters())

    @property
    def step(self) -> int:
        return self.trainer.step

    def train(self, n: int) -> float:
        r"""Up to `n` more steps of the experiment's `train_step` (never past `steps`); returns the seconds they took."""
        n = min(n, self.c.steps - self.step)
        saved = torch.get_rng_state()
        torch.set_rng_state(self.rng)
        seconds = timed_steps(self.trainer, n)
        self.rng = torch.get_rng_state()
        torch.set_rng_state(saved)
        self.step_seconds += seconds
        block = sum(seconds)
        self.train_seconds += block
        return block

    def validate(self) -> Dict[str, float]:
        r"""The experiment's validation (eval mode, fixed masked windows); appends to `curve`."""
        loss, accuracy = self.trainer.validate()
        point = {'step': self.step, 'train_seconds': round(self.train_seconds, 3),
                 'valid_loss': loss, 'valid_accuracy': accuracy}
        self.curve.append(point)
        return point

    @property
    def done(self) -> bool:
        return self.step >= self.c.steps


def interpolate(curve: List[Dict[str, float]], x_key: str, x: float, y_key: str = 'valid_accuracy') -> Optional[float]:
    r"""
    `y` at `x` by linear interpolation between the curve's points; None before its first point
    or past its last, where nothing was measured (a run that stopped early has no value later on).
    """
    previous = {x_key: 0.0, y_key: None}
    for p in curve:
        if p[x_key] >= x:
            if previous[y_key] is None:
                return p[y_key] if p[x_key] == x else None
            f = (x - previous[x_key]) / (p[x_key] - previous[x_key])
            return previous[y_key] + f * (p[y_key] - previous[y_key])
        previous = p
    return None


def first_reaching(curve: List[Dict[str, float]], target: float, x_key: str = 'train_seconds') -> Optional[float]:
    r"""
    Where the accuracy first reaches `target`, on the `x_key` axis, interpolated linearly
    between the validation point before and the first one at or above it (None if never).
    """
    previous = None
    for p in curve:
        if p['valid_accuracy'] >= target:
            if previous is None:
                return p[x_key]
            f = (target - previous['valid_accuracy']) / (p['valid_accuracy'] - previous['valid_accuracy'])
            return previous[x_key] + f * (p[x_key] - previous[x_key])
        previous = p
    return None


# ## Other CPU kernels, on this machine
#
# Floats computed on another CPU round differently, and a benchmark that quotes a spread must
# include that difference. One machine can stand in for CPUs of other kinds: PyTorch picks its
# vectorised kernels by `ATEN_CPU_CAPABILITY` (`default`, `avx2`, `avx512`, up to what the CPU
# has), and the matrix libraries by their own caps (`ONEDNN_MAX_CPU_ISA` for oneDNN,
# `MKL_ENABLE_INSTRUCTIONS` for MKL). These are read when torch loads, so a run on other kernels
# is a fresh process with these variables set.

# The instruction-set caps of oneDNN and MKL that go with each ATen kernel choice below the
# machine's own
MATRIX_CAPS = {'avx2': {'ONEDNN_MAX_CPU_ISA': 'AVX2', 'MKL_ENABLE_INSTRUCTIONS': 'AVX2'},
               'default': {'ONEDNN_MAX_CPU_ISA': 'SSE41', 'MKL_ENABLE_INSTRUCTIONS': 'SSE4_2'}}
KERNELS = ('default', 'avx2', 'avx512')


def native_kernel() -> str:
    r"""The kernels PyTorch picks here when nothing overrides it (`avx512`, `avx2`, `default`…)."""
    return torch.backends.cpu.get_cpu_capability().lower()


def kernel_env(kernel: str, threads: int, passive: bool = False) -> Dict[str, str]:
    r"""
    The environment variables of a run on `kernel` with `threads` OpenMP threads. `passive` makes
    idle OpenMP threads sleep instead of spinning (`OMP_WAIT_POLICY=PASSIVE`): on a machine that
    other work keeps busy, spinning threads take the time slices their siblings need, and a step
    can take 20 times as long; the arithmetic, and so every result, is the same either way.
    """
    env = {'ATEN_CPU_CAPABILITY': kernel, 'OMP_NUM_THREADS': str(threads)}
    if passive:
        env['OMP_WAIT_POLICY'] = 'PASSIVE'
    if kernel != native_kernel():
        env.update(MATRIX_CAPS.get(kernel, {}))
    return env


def kernel_in_effect(env: Dict[str, str]) -> str:
    r"""Asks a fresh process under `env` which kernels PyTorch really uses (a typo falls back silently)."""
    out = subprocess.run([sys.executable, '-c', 'import torch; print(torch.backends.cpu.get_cpu_capability())'],
                         env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip().lower()


def cpu_model() -> str:
    r"""The CPU's model name as `/proc/cpuinfo` gives it (the platform's processor elsewhere)."""
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ## Spreads, as the results quote them
def spread(values: List[float]) -> Dict[str, float]:
    r"""Mean, smallest and largest of `values`, and how many: a result over seeds or kernels."""
    return {'mean': statistics.fmean(values), 'min': min(values), 'max': max(values), 'n': len(values)}


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
