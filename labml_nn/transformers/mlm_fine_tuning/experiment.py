r"""
---
title: Fine-tuning the pre-trained encoder to restore capitals
summary: The fine-tuning experiment - where the pre-trained encoder comes from, the configs, the three settings (fine-tune, from scratch, frozen probe), one training step, validation with accuracy and macro-F1, and the loop with checkpoints and exact resume.
---

# Fine-tuning the encoder

```bash
python -m labml_nn.transformers.mlm_fine_tuning.experiment
python -m labml_nn.transformers.mlm_fine_tuning.experiment --checkpoint <MLM run uuid or export folder>
python -m labml_nn.transformers.mlm_fine_tuning.experiment from_scratch=true
python -m labml_nn.transformers.mlm_fine_tuning.experiment freeze_encoder=true learning_rate=1e-2
```

This page trains the [token classifier](classifier.html) on [the capitals task](index.html).
It is the lesson's [experiment](../mlm/experiment.html) with three things changed: the model
starts from a masked language model instead of from nothing, the batches carry labels instead
of masks, and validation counts a confusion matrix to give accuracy and macro-F1. The command
line, the labml run, the checkpoints and the exact resume are the same
[helpers](../../helpers/index.html), with a checkpoint format of this experiment's own.

## Three settings of one model

* **Fine-tuning** (the default): the encoder starts from the pre-trained weights and every
  weight trains, the encoder's and the new head's, at the same learning rate.
* **From scratch** (`from_scratch=true`): the same model, the same data, steps and seed, but
  the encoder starts from a fresh initialization. The difference to fine-tuning is what
  pre-training bought.
* **A probe** (`freeze_encoder=true`): the pre-trained encoder is frozen and only the head
  trains. How far a linear map of the encoder's vectors gets shows how much of the task the
  masked language model had already learned to represent. With no gradient through the
  encoder, its steps are also the cheapest.

The [benchmark](../../bench/fine_tuning.html) trains all three on three seeds and compares
them at equal steps and at equal seconds ([the chapter](readme.html) shows its chart).

## The loop at a glance

```text
load the masked language model (bundled, a run, or an export): vocabulary, shape, weights, split
keep its embeddings and encoder, add a new head          (or: fresh encoder / frozen encoder)
for step in 1 … steps:
    draw random windows of the training text, lower-case them, label each letter
    cross-entropy at the letters, backward, AdamW
    every valid_every steps:  accuracy and macro-F1 on fixed windows of the held-out text
    every checkpoint_every:   save a checkpoint
```

## What comes from where

The chapter builds on the lesson and its tools and changes neither: the lesson's corpus,
vocabulary, model and learning-rate schedule, and its checkpoint format (to read MLM runs);
the tools' bundled model and export reader; the helpers' command line, checkpoints and labml
run. The lesson imports nothing from here (an import contract checks it), so it still reads,
and runs, on its own.

## One recipe for all three settings, not tuned

The three settings share every config but the two switches: a peak learning rate of
$10^{-3}$ (half the pre-training's), 50 warm-up steps and a cosine decay, AdamW with the
lesson's betas and weight decay, 32 windows of 64 characters per step. Fine-tuning recipes
often give the pre-trained weights a smaller learning rate than the new head, and probes often
use a larger one; we did not tune either, so that the comparison asks only what the starting
weights are worth. A probe that reaches less than fine-tuning at this learning rate might reach
more at another; the [benchmark's](../../bench/fine_tuning.html) numbers are for this recipe.

## Why the loss skips non-letters

The labels of spaces, punctuation and line breaks are `IGNORE`, and `cross_entropy` leaves
them out of the mean. Scoring them would add positions whose answer is known in advance
(a comma is never a capital), which dilutes the gradient of the positions that matter and
inflates the accuracy. The model still computes logits there, and the
[exported pipeline](export.html) can report a "capital" on a space; capitalizing a space
changes nothing, so `restore` and the pipeline's users may ignore it.
"""

import dataclasses
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from labml import logger
from labml.logger import Text

from labml_nn.helpers import checkpoint, cli, run, tracking
from labml_nn.helpers.cli import Count, Fraction, PositiveFloat, PositiveInt, UserError
from labml_nn.helpers.ranges import OneOf
from labml_nn.transformers.mlm.data import (DATA_HELP, STDLIB_DOCSTRINGS, TINY_SHAKESPEARE,
                                            CharVocabulary, load_corpus)
from labml_nn.transformers.mlm.experiment import Configs as MLMConfigs
from labml_nn.transformers.mlm.experiment import Recipe, learning_rate, make_optimizer
from labml_nn.transformers.mlm.model import ROUND_1, ModelConfigs, TransformerMLM
from labml_nn.transformers.mlm_fine_tuning import (
    IGNORE,
    LABELS,
    confusion,
    evaluation_windows,
    lower_case,
    random_windows,
    scores,
    split_task,
)
from labml_nn.transformers.mlm_fine_tuning.classifier import TokenClassifier
from labml_nn.transformers.mlm_tools import load


@dataclass
class Configs(Recipe):
    r"""
    ## The configs

    Set on the command line as `key=value`; the comments are the `--help` text. They are the
    [lesson's recipe](../mlm/experiment.html) (sequence length, batch, schedule, AdamW,
    validation and checkpoints) and the three switches below. The recipe's values that differ
    from the lesson's (a shorter run, a gentler learning rate, a cosine decay to a tenth) come
    last. The model's size is not among them: it is the pre-trained model's, also
    when training from scratch, and so is the split (its `valid_fraction`).
    """
    # The masked language model to start from: bundled (the one that ships with labml_nn), a run uuid, run folder, checkpoint file or export folder (also --checkpoint WHERE)
    pretrained: str = 'bundled'
    # Train the same model from a fresh initialization instead of the pre-trained weights
    from_scratch: bool = False
    # Keep the encoder's weights fixed and train only the new head (a probe)
    freeze_encoder: bool = False
    steps: PositiveInt = 600
    learning_rate: PositiveFloat = 1e-3
    warmup_steps: Count = 50
    decay: Annotated[str, OneOf(choices=('cosine', 'linear'))] = 'cosine'
    min_lr_ratio: Fraction = 0.1
    valid_every: PositiveInt = 100
    checkpoint_every: PositiveInt = 200


@dataclass
class Start:
    r"""
    ## Where the encoder comes from

    What a run needs from the masked language model: its vocabulary, its model configs and
    longest sequence (the shape of the encoder), the `valid_fraction` it held out (the
    [task's split](index.html)), its weights (`None` on resume: the checkpoint has them), the
    name of the text it trained on, and a line that says which model it was.
    """
    vocabulary: CharVocabulary
    model_configs: ModelConfigs
    max_len: int
    valid_fraction: float
    weights: Optional[Dict[str, torch.Tensor]]
    data: str
    source: str


def model_configs_from(flat: Dict[str, Any]) -> ModelConfigs:
    r"""The model configs from `{name: value}`; options added since an older model get their first values."""
    values = {**ROUND_1, **flat}
    return cli.build(ModelConfigs, {f'model.{k}': v for k, v in values.items()}, 'model.')


def load_start(where: str) -> Start:
    r"""
    The `pretrained` config: the bundled model, an [export folder](../mlm_tools/export.html),
    or any checkpoint of the [lesson's experiment](../mlm/experiment.html) (a file, a run's
    folder or its uuid), read by the tools' [`load_mlm`](../mlm_tools/load.html). A run's
    checkpoint records its configs; an export its run's configs.

    Any masked language model of the lesson will do, of any size: the classifier takes the
    shape of the model it starts from, so `--checkpoint` of a run with `model.d_model=256`
    fine-tunes a 256-wide encoder. Each way the argument can be wrong (no such run, a folder
    with neither a checkpoint nor an export, a damaged file) is the tools' one-line error.
    """
    loaded = load.load_mlm(None if where == 'bundled' else where)
    record = loaded.training
    valid_fraction = record['configs'].get('valid_fraction', MLMConfigs.valid_fraction)
    step = record['step'] if record['step'] is not None else '?'
    return Start(loaded.vocabulary, loaded.model_configs, loaded.max_len, valid_fraction,
                 loaded.model.state_dict(), record['data'],
                 f"{where}: run {record['run_uuid'] or '?'} at step {step}")


def resumed_start(state: Dict[str, Any]) -> Start:
    r"""
    The encoder's shape, as a fine-tuning checkpoint recorded it. Its weights are `None`: the
    model is built at that shape with fresh weights, and `checkpoint.restore` then loads the
    fine-tuned ones over them, head and encoder alike.
    """
    return Start(CharVocabulary(state['vocabulary']), model_configs_from(state['model_configs']),
                 state['max_len'], state['valid_fraction'], None, state['pretrained_data'],
                 state['source'])


def load_text(data: Optional[str], start: Start) -> Tuple[str, str]:
    r"""
    ## The text, checked before anything is created

    `--data`, the resumed run's text, or else the text the model was pre-trained on: the
    task's split keeps its held-out part unseen only on that text, and a model can read only
    the characters it was pre-trained on. So there is no fallback to another corpus, and a
    text with characters the model never saw is refused here, before the run's folder exists.
    """
    # A built-in corpus is found by name; a model pre-trained on a file of its own needs `--data`
    built_in = (TINY_SHAKESPEARE, STDLIB_DOCSTRINGS)
    pretrained = start.data if start.data in built_in else TINY_SHAKESPEARE
    needed_by = f"fine-tuning needs the text the model was pre-trained on ({pretrained})"
    text, name = load_corpus(data or pretrained, None if data else needed_by)
    # The classifier reads the text lower-cased: those are the characters the model must know
    unknown = start.vocabulary.unknown_chars(lower_case(text))
    if unknown:
        raise UserError(f"--data {name}: the text has characters the pre-trained model never saw "
                        f"({unknown[:20]!r}); fine-tune on the text it was pre-trained on "
                        f"({start.data or TINY_SHAKESPEARE}), or pre-train a model on this one and "
                        f"give it with --checkpoint")
    return text, name


# ## Checkpoints
#
# This experiment's [checkpoints](../../helpers/checkpoint.html) hold the training state that
# every experiment's do (weights, AdamW's moments, the step, the curve, the generators), and
# beside it the encoder's shape and origin: the vocabulary, the model configs, the longest
# sequence, the `valid_fraction` of the split and which model it started from. A resumed run
# therefore needs neither the pre-trained model nor its file, and can't be resumed onto another
# split. Its format's name keeps the lesson's checkpoints out (`--resume` of an MLM run is an
# error that says so), and `pretrained`, `from_scratch` and the learning rate may not change
# on resume; only the length of the run and how often it validates and saves may.
CHECKPOINTS = checkpoint.Format(
    'labml_nn.mlm_fine_tuning.checkpoint/1',
    frozenset({'steps', 'valid_every', 'checkpoint_every'}),
    extras=lambda t: {'vocabulary': t.vocabulary.chars, 'data': t.data, 'max_len': t.start.max_len,
                      'model_configs': dataclasses.asdict(t.start.model_configs),
                      'valid_fraction': t.start.valid_fraction, 'pretrained_data': t.start.data,
                      'source': t.start.source})


class Trainer(run.Experiment):
    r"""
    ## Building the run

    `text` is the corpus and `data` its name; `start` the encoder's origin. The
    [run's loop](../../helpers/run.html) calls the step and validation below; this experiment
    shows no live samples.
    """

    def __init__(self, c: Configs, text: str, on: torch.device, start: Start, data: str = ''):
        self.c, self.device, self.start, self.data = c, on, start, data
        self.vocabulary = start.vocabulary
        # The position table of the pre-trained model has `max_len` rows: a longer window has
        # positions the encoder never learned, so it is refused rather than extrapolated
        if c.seq_len > start.max_len:
            raise UserError(f"seq_len={c.seq_len}: the pre-trained model reads at most "
                            f"{start.max_len} characters; give seq_len={start.max_len} or less")
        unknown = self.vocabulary.unknown_chars(lower_case(text))
        if unknown:
            raise UserError(f"the text has characters the pre-trained model never saw "
                            f"({unknown[:20]!r}); fine-tune on the text it was trained on, "
                            f"or pre-train on this one")
        # The lower-cased ids and the labels, cut where the pre-trained run cut its text
        self.task = split_task(text, self.vocabulary, start.valid_fraction)
        if len(self.task.train_ids) < c.seq_len or len(self.task.valid_ids) < c.seq_len:
            raise UserError(f"the text is too short for seq_len={c.seq_len}: give a longer text "
                            f"or a smaller seq_len")
        # The masked language model, built at its own shape: its initial weights are drawn
        # whatever comes next, so the head below starts the same in all three settings
        torch.manual_seed(c.seed)
        body = TransformerMLM.from_configs(start.model_configs, len(self.vocabulary), start.max_len)
        if start.weights is not None and not c.from_scratch:
            body.load_state_dict(start.weights)
        self.model = TokenClassifier(body, len(LABELS)).to(on)
        # A frozen encoder has no gradient, so autograd records nothing through it: the probe's
        # backward pass is the head's alone, which is why its steps are so much cheaper
        if c.freeze_encoder:
            for p in self.model.encoder_parameters():
                p.requires_grad_(False)
        # [The lesson's AdamW](../mlm/experiment.html#the-optimizer), on what trains
        self.optimizer = make_optimizer(self.model, c)
        # One generator, the data's: there is no masking and no dropout to draw for. Its state
        # and PyTorch's global one are what a checkpoint must keep for an exact resume
        self.generators = {'data': torch.Generator().manual_seed(c.seed + 1)}
        # The evaluation windows, from the held-out text only
        # ([why](index.html#the-split-and-why-nothing-leaks))
        self.valid_inputs, self.valid_labels, _ = evaluation_windows(
            self.task.valid_ids, self.task.valid_labels, c.valid_sequences, c.seq_len)
        self.step, self.elapsed, self.metrics = 0, 0.0, tracking.Metrics()
        self.tokens_per_step = c.batch_size * c.seq_len

    def train_step(self, stop: bool = False) -> Tuple[float, int, int, bool]:
        r"""
        ## One training step

        Random windows of the training text, lower-cased, and one AdamW step on the
        cross-entropy at the letters (the other positions carry `IGNORE`). Returns the loss,
        the letters the model got right, how many letters there were, and `stop` (one process
        has no other to ask).
        """
        c, task = self.c, self.task
        for group in self.optimizer.param_groups:
            group['lr'] = learning_rate(c, self.step)
        x, y = random_windows(task.train_ids, task.train_labels, c.batch_size, c.seq_len,
                              self.generators['data'])  # [batch_size, seq_len] each
        x, y = x.to(self.device), y.to(self.device)
        # `x` holds lower-case ids; `y` holds `LOWER`, `CAPITAL` or `IGNORE` for each of them
        # A probe's encoder stays in eval mode: it is a fixed feature extractor
        self.model.train()
        if c.freeze_encoder:
            self.model.embeddings.eval(), self.model.encoder.eval()
        logits = self.model(x)  # [batch_size, seq_len, n_labels]
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        trains = [p for p in self.model.parameters() if p.requires_grad]
        torch.nn.utils.clip_grad_norm_(trains, c.grad_clip)
        self.optimizer.step()
        self.step += 1
        # The training accuracy counts letters only, like the validation's
        counts = confusion(logits.argmax(-1), y)  # [2, 2]
        return loss.item(), int(counts.diagonal().sum()), int(counts.sum()), stop

    @torch.no_grad()
    def validate(self) -> Tuple[float, Dict[str, float]]:
        r"""
        ## Validation

        The loss over every letter of the fixed evaluation windows, in eval mode, and the
        accuracy and macro-F1 from the confusion counts summed over all of them.

        The scores come from the summed counts, not from a mean of per-batch scores: an F1 is
        not an average of F1s, and a batch without a capital has no F1 for capitals at all.
        """
        self.model.eval()
        loss_sum, counts = 0.0, torch.zeros(2, 2, dtype=torch.long)
        size = self.c.batch_size
        for i in range(0, len(self.valid_inputs), size):
            x = self.valid_inputs[i:i + size].to(self.device)  # [batch, seq_len]
            y = self.valid_labels[i:i + size].to(self.device)
            logits = self.model(x)  # [batch, seq_len, n_labels]
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE,
                                   reduction='sum')
            loss_sum += loss.item()
            counts += confusion(logits.argmax(-1), y).cpu()
        return loss_sum / max(int(counts.sum()), 1), scores(counts)

    def validation(self) -> Dict[str, float]:
        r"""
        A validation point records the macro-F1 and the capitals' F1 beside the lesson's loss
        and accuracy: the labml app charts them as `macro_f1.valid` and `capital_f1.valid`,
        and `--summary` writes them in the curve as `valid_macro_f1` and `valid_capital_f1`.
        """
        loss, valid = self.validate()
        return {'loss': loss, 'accuracy': valid['accuracy'], 'macro_f1': valid['macro_f1'],
                'capital_f1': valid['capital_f1']}


def train(command: cli.Command, stop_at: Optional[int] = None) -> Dict[str, Any]:
    r"""
    ## Putting it together

    The configs (the defaults, or the resumed run's, and the overrides), the encoder's origin,
    the text, and training in [a labml run](../../helpers/run.html), which validates and saves
    on its schedule and at the end; Ctrl-C or SIGTERM saves and stops, and
    `--resume <run uuid>` continues exactly.
    """
    s = run.prepare(command, Configs, CHECKPOINTS)
    # A fine-tuning run is short; it does not split its batches over processes
    if s.processes.is_distributed:
        raise UserError("fine-tuning runs in one process; start it with python -m, not torchrun")
    # A resumed run rebuilds the encoder's shape from its own checkpoint; a new one loads it
    start = resumed_start(s.resumed) if s.resumed else load_start(s.configs.pretrained)
    # The text: `--data`, the resumed run's or the pre-trained model's; checked before the run
    text, data = load_text(command.data or (s.resumed and s.resumed['data']), start)
    with run.start('mlm_fine_tuning', s, command, data) as this_run:
        trainer = Trainer(s.configs, text, s.device, start, data=data)
        task = trainer.task
        this_run.describe_data(f"{len(task.train_ids):,} training and {len(task.valid_ids):,} "
                               f"held-out characters; encoder from {start.source}")
        # The split's promise holds only on the text the encoder was pre-trained on
        if start.data and load.data_name(start.data) != load.data_name(data):
            logger.log(f"The encoder was pre-trained on {start.data}, not on {data}: the "
                       f"held-out part of this text is not the part its pre-training never saw.",
                       Text.warning)
        summary = this_run.train(trainer, stop_at)
    return run.finish(this_run, summary, command.summary)


def parse(argv: List[str]) -> cli.Command:
    r"""
    The command line, where `--checkpoint WHERE` is `pretrained=WHERE` as in the
    [tools](../mlm_tools/fill.html): the tests call this, the console calls `main`.
    """
    return cli.parse(Configs, cli.option_as_config(argv, '--checkpoint', 'pretrained'))


def main(argv: Optional[List[str]] = None) -> None:
    r"""
    The console entry point: `--help`, or a fine-tuning run (exit status 128 + signal when
    stopped by one, so that scripts can tell a stopped run from a finished one).
    """
    argv = sys.argv[1:] if argv is None else argv
    argv = cli.option_as_config(argv, '--checkpoint', 'pretrained')
    prog = 'python -m labml_nn.transformers.mlm_fine_tuning.experiment'
    about = ("Fine-tune a pre-trained masked language model to restore the capitals of "
             "lower-cased text.")
    cli.main(Configs, train, argv, prog=prog, data_help=DATA_HELP, about=about)


if __name__ == '__main__':
    main()
