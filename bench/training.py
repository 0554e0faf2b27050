r"""
---
title: Benchmark harness - the experiment's training step, for any model
summary: A small training loop shared by the ablation and time-to-accuracy benchmarks; it repeats the experiment's step exactly (seeds, data, masking, AdamW, schedule, clipping, validation) for our model with any options, Hugging Face's BERT or PyTorch's encoder, and lets several runs take turns in one process.
---

# One training loop for every benchmark

The [ablations](ablations.html) and the [time-to-accuracy benchmark](time_to_accuracy.html)
train many models that differ in one thing each. They all use this loop, which repeats the
[experiment's](../transformers/mlm/experiment.html) training step operation for operation:

* the same three seeded generators (weights and dropout, data, masking) and the same order of
  drawing from them, so a run with the experiment's configs gives the experiment's numbers
  (`check_against_golden` below compares the two on one machine, bit for bit);
* AdamW with $\beta = (0.9, 0.98)$, weight decay on the matrices only, linear warm-up and a
  cosine decay, gradient clipping;
* the sequence-length curriculum, when `curriculum_steps` asks for one;
* validation in eval mode on fixed masked windows.

It adds two things the experiment does not need:

* **Runs that take turns.** A `Run` keeps its own copy of PyTorch's global random state (the
  one dropout draws from) and swaps it in for its own steps, so several runs can train in one
  process, a block of steps each in turn, and each one's numbers are exactly what it would get
  alone. Taking turns is how the benchmarks compare *time*: the machine's speed drifts, and
  runs that alternate every few seconds share the drift.
* **Scoring only the masked positions** (`scored_only=True`): the model is called with
  `positions=labels != [PAD]` and returns logits for those rows only
  ([the model](../transformers/mlm/model.html) explains the option).

Hyperparameters use the experiment's flat config names (`seq_len`, `model.d_model`, …);
model options that the experiment does not have yet (`tie_embeddings`, …) go in `options`.
"""

import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labml_nn.helpers import cli  # noqa: E402
from labml_nn.transformers.mlm import MLM  # noqa: E402
from labml_nn.transformers.mlm.data import (CharVocabulary, curriculum_length, load_corpus, random_windows,  # noqa: E402
                                            split)
from labml_nn.transformers.mlm.experiment import Configs, learning_rate  # noqa: E402
from labml_nn.transformers.mlm.model import ModelConfigs, TransformerMLM, masked_loss_and_accuracy  # noqa: E402

# The comparison benchmark's reference size (`SIZE` in [compare.py](compare.html)) in the
# experiment's config names
REFERENCE = {'seq_len': 32, 'batch_size': 64, 'model.d_model': 128, 'model.n_layers': 6,
             'model.n_heads': 8, 'model.d_ff': 256, 'model.dropout': 0.1}
# The model of round 1, before the ablations changed its defaults: what the ablations and the
# default-run candidates start from (as `configs(**ROUND_1)`)
ROUND_1 = {'model__init': 'normal', 'model__activation': 'gelu'}


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
    r"""The text, its vocabulary and the train/validation split, loaded once per process."""

    def __init__(self, data: Optional[str] = None, valid_fraction: float = 0.1):
        self.text, _ = load_corpus(data or default_data())
        self.vocabulary = CharVocabulary.from_text(self.text)
        self.train_ids, self.valid_ids = split(self.vocabulary.encode(self.text), valid_fraction)


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


def build_model(implementation: str, values: Dict[str, Any], n_tokens: int, options: Dict[str, Any]) -> nn.Module:
    r"""
    `ours` is [`TransformerMLM`](../transformers/mlm/model.html) with `options`; `hf-bert` is
    Hugging Face's BERT at the same size, with BERT's dropout on the attention weights too (as
    in [compare.py](compare.html)); `torch-encoder` is compare.py's `nn.TransformerEncoder` model.
    """
    size = dict(n_tokens=n_tokens, max_len=values['seq_len'], d_model=values['model.d_model'],
                n_layers=values['model.n_layers'], n_heads=values['model.n_heads'], d_ff=values['model.d_ff'],
                dropout=values['model.dropout'])
    if implementation == 'ours':
        # The options are the model's configs of the same names, set on top of `values`
        model_configs = cli.build(ModelConfigs, {**values, **{f'model.{k}': v for k, v in options.items()}}, 'model.')
        return TransformerMLM.from_configs(model_configs, n_tokens, values['seq_len'])
    if options:
        raise ValueError(f"options are for our model, not {implementation}")
    if implementation == 'hf-bert':
        return HFLogits(values, n_tokens)
    if implementation == 'torch-encoder':
        from bench.compare import TorchEncoderMLM
        return TorchEncoderMLM(n_tokens, size['max_len'], size['d_model'], size['n_layers'], size['n_heads'],
                               size['d_ff'], size['dropout'])
    raise ValueError(implementation)


class Run:
    r"""
    ## One training run that can be advanced a block of steps at a time

    `values` are the experiment's configs, `options` the model's extra keyword options,
    `scored_only` computes the output only at the masked positions.
    """

    def __init__(self, name: str, corpus: Corpus, values: Dict[str, Any], implementation: str = 'ours',
                 options: Optional[Dict[str, Any]] = None, scored_only: bool = False):
        self.name = name
        self.values = values
        self.vocabulary = corpus.vocabulary
        self.train_ids = corpus.train_ids
        self.seq_len = values['seq_len']
        self.batch_size = values['batch_size']
        self.scored_only = scored_only
        self.c = cli.build(Configs, values)
        self.masking = MLM.from_configs(self.c.masking, corpus.vocabulary)
        # The experiment's order: seed the global generator, make the data and masking
        # generators, build the model, then the optimizer
        saved = torch.get_rng_state()
        torch.manual_seed(values['seed'])
        self.data_generator = torch.Generator().manual_seed(values['seed'] + 1)
        self.mask_generator = torch.Generator().manual_seed(values['seed'] + 2)
        self.model = build_model(implementation, values, len(corpus.vocabulary), options or {})
        # Weight decay on the matrices only, as the experiment does (a tied output matrix is
        # the embedding table, so it is not decayed either)
        decay = [p for n, p in self.model.named_parameters() if p.dim() == 2 and 'embeddings' not in n]
        no_decay = [p for n, p in self.model.named_parameters() if not (p.dim() == 2 and 'embeddings' not in n)]
        self.optimizer = torch.optim.AdamW(
            [{'params': decay, 'weight_decay': values['weight_decay']},
             {'params': no_decay, 'weight_decay': 0.0}],
            lr=values['learning_rate'], betas=(0.9, 0.98), eps=1e-9, fused=True)
        # This run's dropout generator: the global one, as it is after building the model
        self.rng = torch.get_rng_state()
        torch.set_rng_state(saved)

        valid_generator = torch.Generator().manual_seed(values['seed'] + 3)
        windows = random_windows(corpus.valid_ids, values['valid_sequences'], self.seq_len, valid_generator)
        self.valid_inputs, self.valid_labels = self.masking(windows, generator=valid_generator)

        self.step = 0
        self.train_seconds = 0.0
        self.step_seconds: List[float] = []
        self.curve: List[Dict[str, float]] = []
        self.parameters = sum(p.numel() for p in self.model.parameters())

    def _train_step(self) -> Tuple[float, int, int]:
        lr = learning_rate(self.c, self.step)
        for group in self.optimizer.param_groups:
            group['lr'] = lr
        seq_len = curriculum_length(self.c, self.step)
        batch_size = self.batch_size * (self.seq_len // seq_len)
        x = random_windows(self.train_ids, batch_size, seq_len, self.data_generator)
        masked, labels = self.masking(x, generator=self.mask_generator)
        global_count = int((labels != self.vocabulary.padding_token).sum())
        self.model.train()
        if self.scored_only:
            # Logits at the masked positions only, `[n_selected, n_tokens]`, and their labels
            target = labels != self.vocabulary.padding_token  # [batch_size, seq_len]
            logits = self.model(masked, positions=target)
            labels = labels[target]  # [n_selected]
        else:
            logits = self.model(masked)  # [batch_size, seq_len, n_tokens]
        loss, correct, total = masked_loss_and_accuracy(logits.float(), labels, self.vocabulary.padding_token)
        # The experiment scales by each rank's share of the batch; with one process it is 1
        share = int(total) / max(global_count, 1)
        self.optimizer.zero_grad(set_to_none=True)
        (loss * share).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.values['grad_clip'])
        self.optimizer.step()
        self.step += 1
        return loss.item(), int(correct), int(total)

    def train(self, n: int) -> float:
        r"""Up to `n` more steps (never past `steps`); returns the seconds they took."""
        n = min(n, self.values['steps'] - self.step)
        saved = torch.get_rng_state()
        torch.set_rng_state(self.rng)
        block = 0.0
        for _ in range(n):
            start = time.perf_counter()
            self._train_step()
            elapsed = time.perf_counter() - start
            self.step_seconds.append(elapsed)
            block += elapsed
        self.rng = torch.get_rng_state()
        torch.set_rng_state(saved)
        self.train_seconds += block
        return block

    @torch.no_grad()
    def validate(self) -> Dict[str, float]:
        r"""The experiment's validation (eval mode, batches of `batch_size`); appends to `curve`."""
        self.model.eval()
        loss_sum, correct, total = 0.0, 0, 0
        for i in range(0, len(self.valid_inputs), self.batch_size):
            logits = self.model(self.valid_inputs[i:i + self.batch_size])
            loss, c, t = masked_loss_and_accuracy(logits.float(), self.valid_labels[i:i + self.batch_size],
                                                  self.vocabulary.padding_token)
            loss_sum += loss.item() * int(t)
            correct += int(c)
            total += int(t)
        point = {'step': self.step, 'train_seconds': round(self.train_seconds, 3),
                 'valid_loss': loss_sum / max(total, 1), 'valid_accuracy': correct / max(total, 1)}
        self.curve.append(point)
        return point

    @property
    def done(self) -> bool:
        return self.step >= self.values['steps']


def median(xs: List[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2


def interpolate(curve: List[Dict[str, float]], x_key: str, x: float, y_key: str = 'valid_accuracy') -> Optional[float]:
    r"""`y` at `x` by linear interpolation between the curve's points (None outside the curve)."""
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


def check_against_golden() -> None:
    r"""
    The harness gives what the experiment gives with the golden run's configs (the first of
    `tests/fixtures/golden/`), exactly: both run here, in this process, so the same arithmetic
    must give the same bits. The recorded golden curve came from another machine, so against it
    the tests' measured tolerances apply (`tests/tolerances.py`).
    """
    import json
    import tempfile
    sys.path.insert(0, str(ROOT / 'tests'))
    from tolerances import ACCURACY_ABSOLUTE, close_relative
    from labml_nn.transformers.mlm import experiment

    golden = json.loads((ROOT / 'tests/fixtures/golden/first_50_steps.json').read_text())['runs'][0]
    overrides = dict(a.split('=') for a in golden['argv'] if '=' in a)
    steps = int(golden['argv'][golden['argv'].index('--steps') + 1])
    values = cli.flatten(Configs())
    for key, text in overrides.items():
        values[key] = type(values[key])(text)
    values['steps'] = steps
    run = Run('golden', Corpus(), values, scored_only=True)  # as the experiment's step
    every = values['valid_every']
    for _ in range(steps // every):
        run.train(every)
        run.validate()
    got = [(p['step'], p['valid_loss'], p['valid_accuracy']) for p in run.curve]

    old_cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        try:
            summary = experiment.train(cli.parse(Configs, [*golden['argv'], f'--data={default_data()}']))
        finally:
            os.chdir(old_cwd)
    same_machine = [(p['step'], p['valid_loss'], p['valid_accuracy']) for p in summary['curve']]
    assert got == same_machine, (got, same_machine)
    for (step, loss, accuracy), p in zip(got, golden['curve']):
        assert step == p['step'] and close_relative(loss, p['valid_loss']), (step, loss, p)
        assert abs(accuracy - p['valid_accuracy']) <= ACCURACY_ABSOLUTE, (step, accuracy, p)
    print('the harness reproduces the experiment exactly, and the recorded golden run within tolerance')


if __name__ == '__main__':
    check_against_golden()
