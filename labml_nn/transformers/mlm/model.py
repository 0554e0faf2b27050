r"""
---
title: The MLM model - embeddings, encoder, output projection
summary: The complete masked language model in one module, and the loss that only counts the masked positions.
---

# The masked language model

The model is three parts in a row, each on its own page:

1. [embeddings with learned positions](../embeddings.html),
   `[batch_size, seq_len]` → `[batch_size, seq_len, d_model]`,
2. the [pre-norm encoder](../models.html), a stack of bidirectional
   [attention](../mha.html) and [feed-forward](../feed_forward.html) layers,
3. the [output projection](../models.html) to one logit per vocabulary token.

## The loss

Cross-entropy between the logits and the labels that [the masking](index.html) produced,
averaged over the positions whose label is not `[PAD]`. The other ~85% of positions hold
tokens the model could see; the loss ignores them (`ignore_index`), and a test checks that
changing their logits does not change the loss.

## Scoring only the masked positions

Since the loss ignores 85% of the logits, the model can skip computing them:
`model(x, positions=labels != padding_token)` returns logits only where `positions` is
`True`, `[n_selected, n_tokens]`, in the order of `labels[positions]`, and the last layer's
feed-forward network and the output head run on those rows only (see
[the layers](../models.html)). The training step then reads

```python
target = labels != padding_token                       # [batch_size, seq_len]
logits = model(masked, positions=target)               # [n_selected, n_tokens]
loss, correct, total = masked_loss_and_accuracy(logits, labels[target], padding_token)
```

`masked_loss_and_accuracy` takes logits of any leading shape, so it needs no change. The
numbers are the same as the full model's at those positions (a test checks it), up to the
rounding of sums in a different order.

## Options that make it more like BERT

The constructor's keyword options (and the experiment's `model.*` configs of the same names)
switch on, one at a time, the ways Hugging Face's `BertForMaskedLM` differs from our model;
the [ablations](../../bench/results/ablations.html) measure each one. Their defaults are what
the ablations taught us to keep: PyTorch's initialization, the ReLU, and none of BERT's other
differences.

* `tie_embeddings`: the output projection uses the token embedding table as its matrix,
  $\mathrm{logits} = E\,h + b$. A character's input vector and the vector that scores it
  are one and the same, learned from both ends, and the model has
  $n_\text{tokens} \times d_\text{model}$ fewer parameters.
* `head_transform`: BERT's dense → GELU → LayerNorm before the output projection.
* `embedding_norm`: a layer normalization of the embeddings ([why BERT has one](../embeddings.html)).
* `activation`: `'relu'` (the default) or BERT's `'gelu'` in the feed-forward networks.
* `post_norm`: BERT's post-norm layers ([pre-norm or post-norm](../models.html)).
* `init`: the initial weights of the linear layers. `'normal'` draws them from
  $\mathcal{N}(0, 0.02^2)$ with zero biases (BERT's and GPT-2's choice); `'scaled'` also
  divides the standard deviation of the two projections that write into the residual stream
  (attention output and the second feed-forward layer) by $\sqrt{2 n_\text{layers}}$, as
  GPT-2 does, so that the stream's variance at initialization doesn't grow with depth;
  `'torch'`, the default, keeps PyTorch's own initialization, uniform in
  $\pm 1/\sqrt{\text{fan-in}}$ (a standard deviation of 0.051 for a 128-wide input).

## What they are worth

[The ablations](../../bench/results/ablations.html) train the comparison benchmark's model
(dropout 0.1, sequences of 32) for 1,000 steps with one change at a time. What we learned:

* **Initialization matters most, and BERT's is not the best here.** PyTorch's own
  initialization took masked accuracy after 1,000 steps from 44.2% to 47.6% (the mean of two
  seeds; the two seeds of the baseline differ by 1.5 points, which is the noise to judge the
  other rows by). A likely reason: with linear layers at $\sigma = 0.02$ the attention scores
  start nearly equal (standard deviation 0.05 in the first layer), so attention begins as a
  plain average, its largest weight 0.035 where a plain average over 32 positions gives
  0.031, and the gradient that would teach it where to look is small too. PyTorch's larger
  initial weights give scores with a standard deviation of 0.33 and a start to learn from
  ([measured](../../bench/results/ablations.html)).
* **Tied embeddings help a little** at this size (+2.1 points on one seed) and cost nothing,
  but not in combination with the other changes (below).
* **BERT's head transform hurts** our pre-norm model (−3.6 points), and with tied
  embeddings even more (−9.0).
* **ReLU is as good as GELU** (+1.9 on one seed) and a little cheaper.
* **Post-norm layers and the embedding norm** both helped at this size (+3.8 and +4.1, one
  seed) but start slowly, and the embedding norm stalled in the default run's setting
  ([see the embeddings](../embeddings.html)).
* **Dropout on the attention weights** costs accuracy per step (−2.7) as well as speed.
* **Training choices.** A peak learning rate of 4e-3 is too high (−5.1) and 1e-3 no better
  than 2e-3 (+0.7); at the same number of characters, batches of 128 did a little better
  than 64 (+2.0) and batches of 32 worse (−3.7); a sequence-length curriculum gained nothing
  at sequences of 32 (+1.1). 300 warm-up steps instead of 100 helped most (+4.9, and +3.2 on
  top of the adopted defaults), but not where it counts: the default run with 300 warm-up steps
  ended at 64.5% against 66.0% ([recorded](../../bench/results/default_run_warmup_300.html)),
  so the warm-up stays at 100 steps.

The combinations do not simply add up. With dropout 0.1, tied embeddings and ReLU on top of
PyTorch's initialization were *slower* to learn than PyTorch's initialization alone (34.5% and
34.8% after 500 steps on two seeds, where PyTorch's initialization alone was at 41.0% and
42.3%). In the default run's setting (no dropout, sequences of 64) the same three reached
63.9% after 5,000 steps, against round 1's default run's 61.4%; without the tying, and with the
400 steps that the cheaper ReLU and scoring only the masked positions pay for, PyTorch's
initialization reached 66.0% after 5,400 steps, in an estimated 9.5 minutes against that
run's 9.8 ([recorded](../../bench/results/default_recipe.html)); it is the default run
now, and took 9.3 minutes when it was recorded ([the experiment](experiment.html)).

Against Hugging Face's BERT at the reference size, our model with these defaults reached 40%
masked accuracy in 0.54 to 0.58 times BERT's training time and 45% in 0.59 to 0.66 times, on
two seeds and two choices of CPU kernels, at 1.41 to 1.44 times its tokens/s
([time to accuracy](../../bench/results/time_to_accuracy.html)).
"""

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from labml_nn.transformers.dropout import Dropout, DropoutFactory
from labml_nn.transformers.embeddings import Embeddings
from labml_nn.transformers.feed_forward import ACTIVATIONS
from labml_nn.helpers.ranges import PositiveInt, Probability
from labml_nn.transformers.models import Encoder, OutputProjection

# The initializations `init` can name
INITS = ('normal', 'scaled', 'torch')


@dataclass
class ModelConfigs:
    r"""
    ## The model's configs

    The size of the model, set on the [experiment's](experiment.html) command line as
    `model.d_model=256` and so on, and saved with every checkpoint and export.
    """
    # Width of every vector in the model
    d_model: PositiveInt = 128
    # Number of transformer layers
    n_layers: PositiveInt = 6
    # Attention heads per layer; must divide d_model
    n_heads: PositiveInt = 8
    # Hidden width of the feed-forward networks
    d_ff: PositiveInt = 512
    # Dropout probability (0 trains fastest on a CPU; 0.1 for long runs)
    dropout: Probability = 0.0
    # Dropout on the attention weights (0 keeps PyTorch's fused attention kernel on CPUs)
    attention_dropout: Probability = 0.0
    # Initial weights of the linear layers: torch (PyTorch's own), normal (BERT's, std 0.02) or scaled (GPT-2's)
    init: str = 'torch'
    # Activation of the feed-forward networks: relu or gelu
    activation: str = 'relu'
    # Use the token embedding table as the output projection's matrix (BERT does)
    tie_embeddings: bool = False
    # BERT's dense, GELU and LayerNorm between the last layer and the output projection
    head_transform: bool = False
    # A LayerNorm on the embeddings (BERT has one)
    embedding_norm: bool = False
    # Post-norm layers, as in the original transformer and BERT
    post_norm: bool = False

    def __post_init__(self):
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"model.d_model={self.d_model} is not divisible by model.n_heads={self.n_heads}")
        for key, value, allowed in (('init', self.init, INITS), ('activation', self.activation, ACTIVATIONS)):
            if value not in allowed:
                raise ValueError(f"model.{key}={value}: must be one of {', '.join(allowed)}")


# The options that the [ablations](#what-they-are-worth) added, with the values that give round 1's model:
# checkpoints and exports written before an option existed are read with these
ROUND_1 = {'init': 'normal', 'activation': 'gelu', 'tie_embeddings': False, 'head_transform': False,
           'embedding_norm': False, 'post_norm': False}


class TransformerMLM(nn.Module):
    r"""
    ## Embeddings, encoder and output projection together

    `n_tokens` is the vocabulary size, `max_len` the longest sequence; the rest size the
    encoder and set its dropout.

    Two parts can be swapped without touching this module: `embeddings` (any module from
    token ids `[batch_size, seq_len]` to `[batch_size, seq_len, d_model]` with a `max_len`;
    the [position benchmark](../../bench/positions.html) passes the reference's scheme) and
    `make_dropout`, which builds every dropout module ([ours](../dropout.html) by default).

    The options `tie_embeddings`, `head_transform`, `embedding_norm`, `activation`,
    `post_norm` and `init` are described above; at their defaults the model is the one
    this page describes, bit for bit.
    """

    def __init__(self, *, n_tokens: int, max_len: int, d_model: int, n_layers: int, n_heads: int,
                 d_ff: int, dropout: float, attention_dropout: float = 0.0,
                 embeddings: Optional[nn.Module] = None, make_dropout: DropoutFactory = Dropout,
                 tie_embeddings: bool = False, head_transform: bool = False, embedding_norm: bool = False,
                 activation: str = 'relu', post_norm: bool = False, init: str = 'torch'):
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        if embeddings is not None and embedding_norm:
            raise ValueError("embedding_norm applies to the default embeddings; add the norm to "
                             "the embeddings module you pass instead")
        # (`is None`, not `or`: a module without parameters, or an empty container, is falsy)
        self.embeddings = embeddings if embeddings is not None else Embeddings(n_tokens, d_model, max_len, dropout, make_dropout,
                                                   norm=embedding_norm)
        self.encoder = Encoder(n_layers, d_model, n_heads, d_ff, dropout, attention_dropout, make_dropout,
                               activation, post_norm)
        self.output = OutputProjection(d_model, n_tokens, transform=head_transform)
        # By default the linear layers keep PyTorch's initialization (uniform in
        # $\pm 1/\sqrt{\text{fan-in}}$). BERT and GPT-2 start them small instead (normal,
        # $\sigma = 0.02$, zero bias), so that each residual branch adds only a little to its
        # input; here that left attention a plain average for longer (see above).
        if init != 'torch':
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, std=0.02)
                    nn.init.zeros_(module.bias)
        if init == 'scaled':
            # The residual stream is a sum of $2 n_\text{layers}$ branches; with each branch's
            # last projection $\sqrt{2 n_\text{layers}}$ times smaller, the sum starts with the
            # variance of one branch. (A second draw: the weights above are replaced.)
            std = 0.02 / math.sqrt(2 * n_layers)
            for layer in self.encoder.layers:
                nn.init.normal_(layer.attention.output.weight, std=std)
                nn.init.normal_(layer.feed_forward.layer2.weight, std=std)
        if tie_embeddings:
            tokens = getattr(self.embeddings, 'tokens', None)
            if not isinstance(tokens, nn.Embedding) or tokens.weight.shape != (n_tokens, d_model):
                raise ValueError("tie_embeddings needs embeddings with a `tokens` table of "
                                 "[n_tokens, d_model]")
            # One tensor in two places: the projection's `[n_tokens, d_model]` matrix *is* the
            # embedding table (its own initial values are dropped). Its gradient is the sum of
            # both uses; the projection keeps its own bias.
            self.output.projection.weight = tokens.weight

    @classmethod
    def from_configs(cls, c: ModelConfigs, n_tokens: int, max_len: int, **parts) -> 'TransformerMLM':
        r"""
        The model the configs describe (each config is the constructor's argument of the same
        name), for `n_tokens` tokens and sequences of up to `max_len`; `parts` may swap
        `embeddings` or `make_dropout`.
        """
        return cls(n_tokens=n_tokens, max_len=max_len, **vars(c), **parts)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`; returns logits,
        `[batch_size, seq_len, n_tokens]`. With `positions`, a boolean `[batch_size, seq_len]`
        tensor, only the logits where it is `True`: `[n_selected, n_tokens]`, in the order of
        `labels[positions]`.
        """
        h = self.embeddings(x)  # [batch_size, seq_len, d_model]
        h = self.encoder(h, mask, positions)  # [batch_size, seq_len, d_model] or [n_selected, d_model]
        return self.output(h)  # [batch_size, seq_len, n_tokens] or [n_selected, n_tokens]


def masked_loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor,
                             padding_token: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""
    ## Loss and accuracy on the masked positions

    `logits` is `[batch_size, seq_len, n_tokens]`, `labels` `[batch_size, seq_len]` (or any
    leading shape, the same for both: `[n_selected, n_tokens]` and `[n_selected]` when the
    model scored only the masked positions).
    Returns the mean cross-entropy over the positions to predict, the number of those
    positions that the model's top guess got right, and how many positions there were.
    """
    n_tokens = logits.shape[-1]
    # Positions with a label; all others are ignored by the loss
    target = labels != padding_token  # [batch_size, seq_len]
    if target.any():
        loss = F.cross_entropy(logits.reshape(-1, n_tokens), labels.reshape(-1),
                               ignore_index=padding_token)
    else:
        # Nothing was selected (possible in a tiny batch): a zero loss that still has a
        # gradient path, instead of the NaN that averaging over no positions would give
        loss = logits.sum() * 0.0
    correct = ((logits.argmax(dim=-1) == labels) & target).sum()
    return loss, correct, target.sum()
