r"""
---
title: Training a Masked Language Model on Tiny Shakespeare
summary: The experiment, top to bottom - the configs, the model, optimizer and data built from them, one training step, validation in eval mode, live samples and the loop.
---

# Training the masked language model

```bash
python -m labml_nn.transformers.mlm.experiment
python -m labml_nn.transformers.mlm.experiment --help
python -m labml_nn.transformers.mlm.experiment seq_len=128 model.n_layers=4 --steps 2000
```

This page trains the [model](model.html) with the [masking procedure](index.html) on Tiny Shakespeare's
characters ([the data](data.html)); checkpoints, the command line and the [labml](https://github.com/labmlai/labml)
bookkeeping live in [`labml_nn/helpers`](../../helpers/index.html).

## The loop at a glance

```text
for step in 1 … steps:
    draw random windows, mask 15% of the characters
    loss at the masked positions, backward, AdamW
    every valid_every steps:   validation
    every sample_every steps:  live samples
    every checkpoint_every:    save a checkpoint
```

## A recipe that learns on a laptop

The default run trains the 1.2M-parameter model for 5,400 steps of 32 windows of 64
characters. On a quiet 2-core CPU (AMD EPYC) it took **9.3 minutes** and ended at **66.0%**
masked-character accuracy on the validation text (charted at the end of this page, recorded by
[`bench/default_run.py`](../../bench/default_run.html)). Expect **64.3–66.0%, mean 65.3%**, the
spread of 6 runs over 3 seeds and 2 choices of CPU kernels ([recorded](../../bench/results/default_run_spread.html)).
**What repeats exactly:** the same machine and build give the same curve bit for bit, and a
resumed run the uninterrupted one's. **What does not:** another CPU or a GPU adds up in another
order, rounds differently and drifts from the recorded curve within that spread ([how far the
tests allow](../../bench/results/kernels.html)). Four choices make the model learn this fast:

1. **The model can see positions.** The reference implementation scales its token embeddings by
   $\sqrt{d_\text{model}}$ while they start at $\mathcal{N}(0, 1)$, which drowns the positional encodings
   ([why](../embeddings.html)): our model with that embedding is at 23.9% after 1,000 steps, no better
   than with no positions at all (23.5%), and with ours at 47.7% ([recorded](../../bench/results/positions.html)).
2. **PyTorch's initialization, ReLU, and scoring only the masked positions**, which the
   [ablations](../../bench/results/ablations.html) found ahead of BERT's choices
   ([the model page](model.html#what-they-are-worth) says by how much and why).
3. **A short warm-up.** Pre-norm layers need no 2,000-step warm-up: 100 steps, then a cosine
   decay (300 steps ended 1.5 points lower: [recorded](../../bench/results/default_run_warmup_300.html)).
4. **No dropout by default** (`model.dropout=0.1` puts it back). A ten-minute run sees each character
   of the training text about eleven times and is far from over-fitting, while dropout 0.1 makes every
   CPU step 1.40 times as long with PyTorch's dropout and 1.22 times with [ours](../dropout.html)
   ([recorded](../../bench/results/dropout_cost.html)).
"""

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import torch
from labml import logger
from labml.logger import Text

from labml_nn.helpers import checkpoint, cli, device, distributed, run, tracking
from labml_nn.helpers.cli import Count, Fraction, OpenFraction, PositiveFloat, PositiveInt
from labml_nn.transformers.mlm import MLM, MaskingConfigs
from labml_nn.transformers.mlm.data import (DATA_HELP, CharVocabulary, check_curriculum, check_fits,
                                            curriculum_length, load_corpus, random_windows,
                                            sample_lines, split)
from labml_nn.transformers.mlm.model import (ROUND_1, ModelConfigs, TransformerMLM,
                                             masked_loss_and_accuracy)


@dataclass
class Recipe:
    r"""
    ## The configs

    Every config is set on the command line as `key=value`, nested groups' with dotted keys
    (`model.dropout=0.1`, `masking.masking_prob=0.2`); the comment above each is its `--help`
    text, its type says which values are allowed ([the command line](../../helpers/cli.html)),
    and labml records all. The recipe, what any run of training needs, comes first;
    [fine-tuning](../mlm_fine_tuning/experiment.html) shares it.
    """
    # Characters per training sequence
    seq_len: PositiveInt = 64
    # Sequences per training step
    batch_size: PositiveInt = 32
    # Training steps in the run (also sets the length of the learning-rate schedule)
    steps: PositiveInt = 5400
    # Peak learning rate of AdamW
    learning_rate: PositiveFloat = 2e-3
    # Steps of linear learning-rate warm-up
    warmup_steps: Count = 100
    # Final learning rate of the cosine decay, as a fraction of the peak
    min_lr_ratio: Fraction = 0.1
    # AdamW weight decay
    weight_decay: Fraction = 0.01
    # Largest gradient norm; larger gradients are scaled down
    grad_clip: PositiveFloat = 1.0
    # Validation windows from the held-out text, the same ones every time
    valid_sequences: PositiveInt = 512
    # Validate every this many steps
    valid_every: PositiveInt = 250
    # Save a checkpoint every this many steps (and always at the end)
    checkpoint_every: PositiveInt = 500
    # Seed of every random number generator of the run
    seed: int = 0


@dataclass
class Configs(Recipe):
    r"""The masked language model's own configs, after the recipe's."""
    # The [model's size](model.html)
    model: ModelConfigs = field(default_factory=ModelConfigs)
    # The [masking](index.html) probabilities
    masking: MaskingConfigs = field(default_factory=MaskingConfigs)
    # Fraction of the text (at its end) held out for validation
    valid_fraction: OpenFraction = 0.1
    # Show guesses for the sample lines every this many steps (0: never)
    sample_every: Count = 1000
    # Steps over which sequences grow from curriculum_start_len to seq_len (0: no curriculum)
    curriculum_steps: Count = 0
    # Sequence length the curriculum starts from; seq_len / curriculum_start_len must be a power of 2
    curriculum_start_len: PositiveInt = 16
    # Use bfloat16 autocast on CUDA GPUs (ignored on CPUs)
    bf16: bool = True
    # Compile the model with torch.compile (opt-in: it takes a minute to start, and was slower on CPUs)
    compile: bool = False

    def __post_init__(self):
        check_curriculum(self.seq_len, self.curriculum_start_len, self.curriculum_steps)


# This experiment's [checkpoints](../../helpers/checkpoint.html): the training state, vocabulary
# and data's name. On resume only configs that leave what is learned alone may change; older
# checkpoints get the model options they were trained with.
CHECKPOINTS = checkpoint.Format(
    'labml_nn.mlm.checkpoint/1',
    frozenset({'steps', 'valid_every', 'sample_every', 'checkpoint_every'}),
    {f'model.{k}': v for k, v in ROUND_1.items()},
    lambda t: {'vocabulary': t.vocabulary.chars, 'data': t.data})


def learning_rate(c: Recipe, step: int) -> float:
    r"""
    ## The learning-rate schedule

    Linear warm-up over `warmup_steps`, then a cosine from the peak down to `min_lr_ratio` ×
    peak at the last step. It is a function of the step alone, so resuming needs no state.
    """
    if step < c.warmup_steps:
        return c.learning_rate * (step + 1) / c.warmup_steps
    progress = min(1.0, (step - c.warmup_steps) / max(1, c.steps - c.warmup_steps))
    decay = (1 - c.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    return c.learning_rate * (c.min_lr_ratio + decay)


def adamw(model: torch.nn.Module, c: Recipe, fused: Optional[bool] = None) -> torch.optim.AdamW:
    r"""
    ## The optimizer

    AdamW on the weights that train, with weight decay on the weight matrices only: pulling
    biases, layer norm gains and embeddings towards zero does not regularize, it only fights
    the model. The fused kernel updates all parameters in one pass (same arithmetic, less
    overhead).
    """
    trains = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decays = {n for n, p in trains if p.dim() == 2 and 'embeddings' not in n}
    groups = [{'params': [p for n, p in trains if n in decays], 'weight_decay': c.weight_decay},
              {'params': [p for n, p in trains if n not in decays], 'weight_decay': 0.0}]
    return torch.optim.AdamW(groups, lr=c.learning_rate, betas=(0.9, 0.98), eps=1e-9, fused=fused)


class Trainer(run.Experiment):
    r"""
    ## Building the run from the configs

    `text` is the corpus and `data` its name. `processes` says which rank this is under
    `torchrun` ([distributed training](../../helpers/distributed.html)). `make_model(model
    configs, vocabulary size, seq_len)` builds the model (the benchmarks train others). The
    [run's loop](../../helpers/run.html) calls the steps, validation and samples below.
    """

    def __init__(self, c: Configs, text: str, on: torch.device,
                 processes=distributed.Processes(), make_model=TransformerMLM.from_configs,
                 data: str = ''):
        self.c, self.device, self.processes, self.data = c, on, processes, data
        self.vocabulary = CharVocabulary.from_text(text)
        self.train_ids, self.valid_ids = split(self.vocabulary.encode(text), c.valid_fraction)
        self.masking = MLM.from_configs(c.masking, self.vocabulary)
        # Three random number generators, each with one job, so that the weights and dropout,
        # the data and the masking don't disturb each other's sequences. The data and masking
        # generators are the same on every rank: each rank draws the whole global batch.
        torch.manual_seed(c.seed)
        self.generators = {'data': torch.Generator().manual_seed(c.seed + 1),
                           'mask': torch.Generator().manual_seed(c.seed + 2)}
        self.model = make_model(c.model, len(self.vocabulary), c.seq_len).to(on)
        distributed.seed_dropout(processes, c.seed)
        self.optimizer = adamw(self.model, c, fused=True)
        # What the step calls: the model, wrapped for several processes or compiled when asked
        self.forward_model = device.wrap(self.model, on, processes.is_distributed, c.compile)
        # The validation set: fixed windows at the full length, masked once with a fixed generator
        valid_generator = torch.Generator().manual_seed(c.seed + 3)
        windows = random_windows(self.valid_ids, c.valid_sequences, c.seq_len, valid_generator)
        self.valid_inputs, self.valid_labels = self.masking(windows, generator=valid_generator)
        self.samples = sample_lines(text, self.vocabulary, len(self.valid_ids), c.seq_len)
        # Where the run is (`checkpoint.restore` sets it on resume) and what a step is worth
        self.step, self.elapsed, self.metrics = 0, 0.0, tracking.Metrics()
        self.sample_every, self.tokens_per_step = c.sample_every, c.batch_size * c.seq_len

    def train_step(self, stop: bool = False) -> Tuple[float, int, int, bool]:
        r"""
        ## One training step

        Draws `batch_size` random windows, masks them, and takes one AdamW step on the loss
        at the masked positions. Returns the loss (a mean over every masked position of the
        global batch), how many of them the model got right, their count, and whether any
        rank was asked to `stop`.
        """
        c, padding = self.c, self.vocabulary.padding_token
        # Random windows of the training text; while the [curriculum](data.html) runs, shorter
        # ones in proportionally larger batches
        seq_len = curriculum_length(c, self.step)
        rows = c.batch_size * (c.seq_len // seq_len)
        x = random_windows(self.train_ids, rows, seq_len, self.generators['data'])  # [rows, len]
        # Mask them: `labels` holds the hidden character where one was chosen, padding elsewhere
        masked, labels = self.masking(x, generator=self.generators['mask'])  # [rows, seq_len] each
        masked_count = int((labels != padding).sum())
        masked = distributed.shard(self.processes, masked).to(self.device)  # this rank's rows
        labels = distributed.shard(self.processes, labels).to(self.device)

        # Score the masked positions only: the model [skips the others' output](model.html)
        target = labels != padding  # [rows, seq_len]
        self.forward_model.train()
        with device.autocast(self.device, c.bf16):
            logits = self.forward_model(masked, positions=target)  # [masked positions, n_tokens]
        # The cross-entropy at those positions, and how many the model got right
        loss, correct, total = masked_loss_and_accuracy(logits.float(), labels[target], padding)

        # Backward (for several processes the loss is [scaled](../../helpers/distributed.html)
        # so that their gradients average to the global batch's), clip, and one AdamW step
        self.optimizer.zero_grad(set_to_none=True)
        distributed.global_mean(self.processes, loss, total, masked_count).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.grad_clip)
        for group in self.optimizer.param_groups:
            group['lr'] = learning_rate(c, self.step)
        self.optimizer.step()
        self.step += 1
        # One message carries every rank's loss sum, right guesses and stop request
        loss_sum, correct, stops = distributed.sum_across(
            self.processes, [loss.item() * int(total), int(correct), stop])
        return loss_sum / max(masked_count, 1), int(correct), masked_count, stops > 0

    @torch.no_grad()
    def validate(self) -> Tuple[float, float]:
        r"""
        ## Validation

        Loss and accuracy over every masked position of the fixed validation windows, in
        **eval mode** (dropout off), so that the numbers are comparable along the run. Each of
        several ranks takes every $N$-th batch.
        """
        self.model.eval()
        loss_sum, correct, total = 0.0, 0, 0
        size, processes = self.c.batch_size, self.processes
        for i in range(processes.rank * size, len(self.valid_inputs), size * processes.world_size):
            inputs = self.valid_inputs[i:i + size].to(self.device)
            labels = self.valid_labels[i:i + size].to(self.device)
            with device.autocast(self.device, self.c.bf16):
                logits = self.model(inputs).float()
            loss, c, t = masked_loss_and_accuracy(logits, labels, self.vocabulary.padding_token)
            loss_sum += loss.item() * int(t)
            correct, total = correct + int(c), total + int(t)
        loss_sum, correct, total = distributed.sum_across(processes, [loss_sum, correct, total])
        return loss_sum / max(total, 1), correct / max(total, 1)

    def validation(self) -> Dict[str, float]:
        r"""A validation point of the run's curve."""
        loss, accuracy = self.validate()
        return {'loss': loss, 'accuracy': accuracy}

    @torch.no_grad()
    def show_samples(self) -> None:
        r"""
        ## Live samples

        A few lines of validation text with fixed characters hidden, and the model's top guess
        at each: green where it is the hidden character, red where it is not
        ([where the trained model looks](../mlm_tools/attention_maps.html) in them). Line breaks
        show as ↵; the characters that were not hidden are grey.
        """
        self.model.eval()
        hidden = self.vocabulary.mask_token
        for masked, original in self.samples:
            guesses = self.model(masked[None].to(self.device))[0].argmax(-1).cpu()  # [seq_len]
            parts = []
            for m, o, g in zip(masked.tolist(), original.tolist(), guesses.tolist()):
                shown = self.vocabulary.decode_token(g if m == hidden else o).replace('\n', '↵')
                style = Text.subtle if m != hidden else Text.success if g == o else Text.danger
                parts.append((shown, style))
            logger.log(parts)


def train(command: cli.Command, stop_at: Optional[int] = None) -> Dict[str, Any]:
    r"""
    ## Putting it together

    Settles the processes, the device, the configs (the defaults, or the resumed run's, and the
    overrides) and the labml app, loads the text, and trains in [a labml run](../../helpers/run.html):
    each step, then the metrics, validation, samples and checkpoint when due; Ctrl-C or SIGTERM
    finishes the step, saves a [checkpoint](../../helpers/checkpoint.html) and stops, and
    `--resume <run uuid>` then continues exactly (the losses equal an uninterrupted run's).
    """
    s = run.prepare(command, Configs, CHECKPOINTS)  # processes, device, configs, resumed, app
    text, data = load_corpus(command.data or (s.resumed and s.resumed['data']))
    c, vocabulary = s.configs, s.resumed and s.resumed['vocabulary']
    check_fits(text, c.seq_len, c.valid_fraction, vocabulary)
    with run.start('mlm', s, command, data) as this_run:
        trainer = Trainer(s.configs, text, s.device, s.processes, data=data)
        this_run.describe_data(f"{len(text):,} characters, {len(trainer.vocabulary)} distinct")
        summary = this_run.train(trainer, stop_at)
    return run.finish(this_run, summary, command.summary)


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> None:
    r"""The console entry point: `--help`, or a training run (exit status 128 + signal when stopped)."""
    prog = prog or cli.program_name('labml_nn.transformers.mlm.experiment')
    about = "Train a character-level masked language model (BERT's MLM) and report it with labml."
    cli.main(Configs, train, argv, prog=prog, data_help=DATA_HELP, about=about)


if __name__ == '__main__':
    main()
