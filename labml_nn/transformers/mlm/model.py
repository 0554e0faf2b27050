r"""
---
title: The MLM model - embeddings, encoder, output projection
summary: The whole masked language model, and a loss that counts only the masked positions.
---

# The masked language model

The model reads a [masked](index.html) sequence and scores every token at each position:

1. [embeddings with learned positions](../embeddings.html),
   `[batch_size, seq_len]` → `[batch_size, seq_len, d_model]`,
2. the [encoder](../models.html): bidirectional [attention](../mha.html) and
   [feed-forward](../feed_forward.html) layers,
3. the [output projection](../models.html): one logit per token.

## The loss, and only where it counts

The loss is the cross-entropy over positions labelled other than `[PAD]`; elsewhere a guess
teaches nothing. So with `positions=labels != padding_token` the last feed-forward layer and
the head skip those rows (attention still reads them all):

```python
target = labels != padding_token                       # [batch_size, seq_len]
logits = model(masked, positions=target)               # [n_selected, n_tokens]
loss, correct, total = masked_loss_and_accuracy(logits, labels[target], padding_token)
```

## Options that make it more like BERT

Each option (a `model.*` config) switches on one of BERT's choices:

* `tie_embeddings`: the output matrix *is* the token embedding table, $\mathrm{logits} = E\,h + b$;
* `head_transform`: dense → GELU → LayerNorm before the output;
* `embedding_norm`: LayerNorm on the embeddings;
* `activation`: `'relu'` (default, cheaper) or `'gelu'`;
* `post_norm`: post-norm layers ([pre- or post-norm](../models.html));
* `init`: `'normal'`, $\mathcal{N}(0, 0.02^2)$ as in BERT; `'scaled'`, GPT-2's variant;
  `'torch'` (default), uniform $\pm 1/\sqrt{\text{fan-in}}$.

Three levers for learning faster, `qk_norm` ([QK-norm](../mha.html)), `zero_init` and
`bias=False`, are off here and on in [the experiment](experiment.html)
([why](../../design_notes.html)).
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

    Set on the [experiment's](experiment.html) command line (`model.d_model=256`).
    """
    # Width of every vector
    d_model: PositiveInt = 128
    # Transformer layers
    n_layers: PositiveInt = 6
    # Heads per layer; divides d_model
    n_heads: PositiveInt = 8
    # Feed-forward hidden width
    d_ff: PositiveInt = 512
    # Dropout probability
    dropout: Probability = 0.0
    # Attention dropout (0 keeps the fused kernel)
    attention_dropout: Probability = 0.0
    # torch, normal or scaled
    init: str = 'torch'
    # relu or gelu
    activation: str = 'relu'
    # BERT's choices (top of the page): the embeddings as the output matrix
    tie_embeddings: bool = False
    # Dense, GELU and LayerNorm before the output
    head_transform: bool = False
    # LayerNorm on the embeddings
    embedding_norm: bool = False
    # Post-norm layers
    post_norm: bool = False
    # Normalize each head's queries and keys before their dot product (QK-norm)
    qk_norm: bool = False
    # Start the attention's and feed-forward networks' output projections at zero
    zero_init: bool = False
    # Biases in the linear layers and norms (Cramming's BERT has none)
    bias: bool = True

    def __post_init__(self):
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"model.d_model={self.d_model} is not divisible by "
                             f"model.n_heads={self.n_heads}")
        for key, value, allowed in (('init', self.init, INITS),
                                    ('activation', self.activation, ACTIVATIONS)):
            if value not in allowed:
                raise ValueError(f"model.{key}={value}: must be one of "
                                 f"{', '.join(allowed)}")


# The options of older checkpoints, which name none
ROUND_1 = {'init': 'normal', 'activation': 'gelu', 'tie_embeddings': False,
           'head_transform': False, 'embedding_norm': False, 'post_norm': False,
           'qk_norm': False, 'zero_init': False, 'bias': True}


class TransformerMLM(nn.Module):
    r"""
    ## Embeddings, encoder and output projection together

    `embeddings` may be any module `[batch_size, seq_len]` → `[batch_size, seq_len, d_model]`;
    `make_dropout` builds every dropout module.
    """

    def __init__(self, *, n_tokens: int, max_len: int, d_model: int, n_layers: int,
                 n_heads: int, d_ff: int, dropout: float,
                 attention_dropout: float = 0.0,
                 embeddings: Optional[nn.Module] = None,
                 make_dropout: DropoutFactory = Dropout,
                 tie_embeddings: bool = False, head_transform: bool = False,
                 embedding_norm: bool = False, activation: str = 'relu',
                 post_norm: bool = False, init: str = 'torch', qk_norm: bool = False,
                 zero_init: bool = False, bias: bool = True):
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
        if embeddings is not None and embedding_norm:
            raise ValueError("embedding_norm applies to the default embeddings; add "
                             "the norm to the embeddings module you pass instead")
        # (`is None`: an empty module is falsy)
        if embeddings is None:
            embeddings = Embeddings(n_tokens, d_model, max_len, dropout,
                                    make_dropout, norm=embedding_norm, bias=bias)
        self.embeddings = embeddings
        self.encoder = Encoder(n_layers, d_model, n_heads, d_ff, dropout,
                               attention_dropout, make_dropout, activation, post_norm,
                               qk_norm, bias)
        self.output = OutputProjection(d_model, n_tokens, transform=head_transform, bias=bias)
        # BERT starts small ($\sigma = 0.02$) so residual branches add little, but then all
        # attention scores start nearly equal: a plain average, slow to learn where to look.
        # Hence the default, `'torch'`, keeps PyTorch's larger weights
        if init != 'torch':
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, std=0.02)
                    if module.bias is not None:
                        nn.init.zeros_(module.bias)
        if init == 'scaled':
            # $2 n_\text{layers}$ branches add up; each last projection $\sqrt{2 n_\text{layers}}$
            # times smaller keeps the sum's variance that of one branch
            std = 0.02 / math.sqrt(2 * n_layers)
            for layer in self.encoder.layers:
                nn.init.normal_(layer.attention.output.weight, std=std)
                nn.init.normal_(layer.feed_forward.layer2.weight, std=std)
        if zero_init:
            # Each residual branch starts by adding nothing, so each layer grows in from zero;
            # with QK-norm, a higher learning rate trains stably (modded-nanogpt; Wortsman et
            # al., 2023).
            for layer in self.encoder.layers:
                for projection in (layer.attention.output, layer.feed_forward.layer2):
                    nn.init.zeros_(projection.weight)
                    if projection.bias is not None:
                        nn.init.zeros_(projection.bias)
        if tie_embeddings:
            tokens = getattr(self.embeddings, 'tokens', None)
            shape = (n_tokens, d_model)
            if not isinstance(tokens, nn.Embedding) or tokens.weight.shape != shape:
                raise ValueError("tie_embeddings needs embeddings with a `tokens` "
                                 "table of [n_tokens, d_model]")
            # One tensor in two places: the `[n_tokens, d_model]` output matrix *is* the
            # embedding table, and its gradient sums both uses
            self.output.projection.weight = tokens.weight

    @classmethod
    def from_configs(cls, c: ModelConfigs, n_tokens: int, max_len: int,
                     **parts) -> 'TransformerMLM':
        r"""The model the configs describe; `parts` may swap `embeddings` or `make_dropout`."""
        return cls(n_tokens=n_tokens, max_len=max_len, **vars(c), **parts)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x`: token ids, `[batch_size, seq_len]`. With boolean `positions` of that shape, only
        its `True` rows are scored, as `[n_selected, n_tokens]` in `labels[positions]` order.
        """
        h = self.embeddings(x)  # [batch_size, seq_len, d_model]
        h = self.encoder(h, mask, positions)  # [batch_size, seq_len, d_model]
        return self.output(h)  # [batch_size, seq_len, n_tokens]


def masked_loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor,
                             padding_token: int
                             ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""
    ## Loss and accuracy where masked

    `logits` `[batch_size, seq_len, n_tokens]` and `labels` `[batch_size, seq_len]`, or
    `[n_selected, n_tokens]` and `[n_selected]`. Returns the loss, the right top guesses, and
    the count.
    """
    n_tokens = logits.shape[-1]
    # Positions with a label
    target = labels != padding_token  # [batch_size, seq_len]
    if target.any():
        loss = F.cross_entropy(logits.reshape(-1, n_tokens), labels.reshape(-1),
                               ignore_index=padding_token)
    else:
        # Nothing chosen (a tiny batch): zero with a gradient path, not the NaN of an empty mean
        loss = logits.sum() * 0.0
    correct = ((logits.argmax(dim=-1) == labels) & target).sum()
    return loss, correct, target.sum()
