r"""
---
title: The MLM model - embeddings, encoder, output projection
summary: The whole masked language model, and a loss that counts only the masked positions.
---

# The masked language model

The model plays the game of [the masking page](index.html): it reads a masked sequence and
scores every token of the vocabulary at each position. It is three parts in a row:

1. [embeddings with learned positions](../embeddings.html),
   `[batch_size, seq_len]` → `[batch_size, seq_len, d_model]`,
2. the [encoder](../models.html): layers of bidirectional [attention](../mha.html) and
   [feed-forward](../feed_forward.html) networks,
3. the [output projection](../models.html) to one logit per token.

## The loss, and only where it counts

The loss is the cross-entropy between the logits and the labels, averaged over the positions
whose label is not `[PAD]`. Elsewhere the model sees its own token, and a guess teaches
nothing.

So about 85% of the logits would be thrown away, and the model need not compute them. With
`positions=labels != padding_token`, the last layer's feed-forward network and the output
head run on the chosen rows only (attention still reads every position):

```python
target = labels != padding_token                       # [batch_size, seq_len]
logits = model(masked, positions=target)               # [n_selected, n_tokens]
loss, correct, total = masked_loss_and_accuracy(logits, labels[target], padding_token)
```

## Options that make it more like BERT

Each keyword option (and the experiment's `model.*` config of the same name) switches on one
way in which BERT differs:

* `tie_embeddings`: the output matrix *is* the token embedding table, $\mathrm{logits} = E\,h + b$;
* `head_transform`: dense → GELU → LayerNorm before the output projection;
* `embedding_norm`: a layer normalization of the embeddings;
* `activation`: `'relu'` (the default: it learned as well here, and costs less) or `'gelu'`;
* `post_norm`: post-norm layers ([pre-norm or post-norm](../models.html));
* `init`: `'normal'`, $\mathcal{N}(0, 0.02^2)$ as in BERT; `'scaled'`, GPT-2's variant of it;
  `'torch'`, the default, PyTorch's uniform $\pm 1/\sqrt{\text{fan-in}}$, whose larger weights
  keep attention from starting as a plain average.

Three more are levers for learning faster, off until
[a study](../../bench/results/recipe_study.html) shows that they help: `qk_norm`
([QK-norm](../mha.html)), `zero_init` (each layer's output projections start at zero) and
`bias=False` (no biases at all).

The [design notes](../../design_notes.html) say why the defaults are what they are.

## Measured

Each option was trained one change at a time ([ablations](../../bench/results/ablations.html)).
With the defaults, at the reference size, the model reached 40% masked accuracy in 0.54 to
0.58 times the training time of Hugging Face's BERT and 45% in 0.59 to 0.66 times, on two
seeds and two choices of CPU kernels, at 1.41 to 1.44 times its tokens/s
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

    Set on the [experiment's](experiment.html) command line (`model.d_model=256`), and saved
    with every checkpoint.
    """
    # Width of every vector in the model
    d_model: PositiveInt = 128
    # Number of transformer layers
    n_layers: PositiveInt = 6
    # Attention heads per layer; must divide d_model
    n_heads: PositiveInt = 8
    # Hidden width of the feed-forward networks
    d_ff: PositiveInt = 512
    # Dropout probability
    dropout: Probability = 0.0
    # Dropout on the attention weights (0 keeps PyTorch's fused attention kernel)
    attention_dropout: Probability = 0.0
    # Initial weights of the linear layers: torch, normal or scaled
    init: str = 'torch'
    # Activation of the feed-forward networks: relu or gelu
    activation: str = 'relu'
    # Use the token embedding table as the output matrix (BERT does)
    tie_embeddings: bool = False
    # BERT's dense, GELU and LayerNorm before the output projection
    head_transform: bool = False
    # A LayerNorm on the embeddings (BERT has one)
    embedding_norm: bool = False
    # Post-norm layers, as in BERT
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


# The options as the model had them before they could be chosen: a checkpoint or an export
# that names none of them is read with these
ROUND_1 = {'init': 'normal', 'activation': 'gelu', 'tie_embeddings': False,
           'head_transform': False, 'embedding_norm': False, 'post_norm': False}


class TransformerMLM(nn.Module):
    r"""
    ## Embeddings, encoder and output projection together

    `n_tokens` is the vocabulary size and `max_len` the longest sequence. `embeddings` may
    replace the default embeddings with any module from `[batch_size, seq_len]` to
    `[batch_size, seq_len, d_model]`, and `make_dropout` builds every dropout module.
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
        # (`is None`, not `or`: a module without parameters, or an empty container, is falsy)
        if embeddings is None:
            embeddings = Embeddings(n_tokens, d_model, max_len, dropout,
                                    make_dropout, norm=embedding_norm, bias=bias)
        self.embeddings = embeddings
        self.encoder = Encoder(n_layers, d_model, n_heads, d_ff, dropout,
                               attention_dropout, make_dropout, activation, post_norm,
                               qk_norm, bias)
        self.output = OutputProjection(d_model, n_tokens, transform=head_transform, bias=bias)
        # BERT and GPT-2 start the linear layers small (normal, $\sigma = 0.02$, zero bias), so
        # that each residual branch adds only a little to its input. But small query and key
        # weights make every attention score nearly equal: attention starts as a plain average
        # and learns slowly where to look. So by default PyTorch's larger weights stay.
        if init != 'torch':
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, std=0.02)
                    if module.bias is not None:
                        nn.init.zeros_(module.bias)
        if init == 'scaled':
            # The residual stream is a sum of $2 n_\text{layers}$ branches; with each branch's
            # last projection $\sqrt{2 n_\text{layers}}$ times smaller, the sum starts with the
            # variance of one branch. (A second draw: the weights above are replaced.)
            std = 0.02 / math.sqrt(2 * n_layers)
            for layer in self.encoder.layers:
                nn.init.normal_(layer.attention.output.weight, std=std)
                nn.init.normal_(layer.feed_forward.layer2.weight, std=std)
        if zero_init:
            # Every residual branch starts by adding nothing: the model begins as embeddings →
            # norm → output, and each layer grows in from zero. With QK-norm it lets a higher
            # learning rate train stably (modded-nanogpt; Wortsman et al., 2023).
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
            # One tensor in two places: the projection's `[n_tokens, d_model]` matrix *is* the
            # embedding table (its own initial values are dropped). Its gradient is the sum of
            # both uses; the projection keeps its own bias.
            self.output.projection.weight = tokens.weight

    @classmethod
    def from_configs(cls, c: ModelConfigs, n_tokens: int, max_len: int,
                     **parts) -> 'TransformerMLM':
        r"""The model the configs describe; `parts` may swap `embeddings` or `make_dropout`."""
        return cls(n_tokens=n_tokens, max_len=max_len, **vars(c), **parts)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`. With `positions`, a boolean tensor of the
        same shape, only the rows where it is `True` are scored, in the order of
        `labels[positions]`: `[n_selected, d_model]` out of the encoder and
        `[n_selected, n_tokens]` out of the head.
        """
        h = self.embeddings(x)  # [batch_size, seq_len, d_model]
        h = self.encoder(h, mask, positions)  # [batch_size, seq_len, d_model]
        return self.output(h)  # [batch_size, seq_len, n_tokens]


def masked_loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor,
                             padding_token: int
                             ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""
    ## Loss and accuracy on the masked positions

    `logits` is `[batch_size, seq_len, n_tokens]` and `labels` `[batch_size, seq_len]`, or
    `[n_selected, n_tokens]` and `[n_selected]` when the model scored only the masked
    positions. Returns the mean cross-entropy over the positions to predict, how many of them
    the top guess got right, and how many there were.
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
