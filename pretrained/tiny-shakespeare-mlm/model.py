# Copied from labml_nn/transformers/mlm/model.py of labml_nn by its exporter; imports of labml_nn made relative.
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
changing their logits does not change the loss. Computing the output projection at the
masked positions only would save a little work; with a vocabulary of a few dozen characters
it is not worth the extra indexing.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .dropout import Dropout, DropoutFactory
from .embeddings import Embeddings
from .ranges import PositiveInt, Probability
from .models import Encoder, OutputProjection


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

    def __post_init__(self):
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"model.d_model={self.d_model} is not divisible by model.n_heads={self.n_heads}")


class TransformerMLM(nn.Module):
    r"""
    ## Embeddings, encoder and output projection together

    `n_tokens` is the vocabulary size, `max_len` the longest sequence; the rest size the
    encoder and set its dropout.

    Two parts can be swapped without touching this module: `embeddings` (any module from
    token ids `[batch_size, seq_len]` to `[batch_size, seq_len, d_model]` with a `max_len`;
    the [position benchmark](../../bench/positions.html) passes the reference's scheme) and
    `make_dropout`, which builds every dropout module ([ours](../dropout.html) by default).
    """

    def __init__(self, *, n_tokens: int, max_len: int, d_model: int, n_layers: int, n_heads: int,
                 d_ff: int, dropout: float, attention_dropout: float = 0.0,
                 embeddings: Optional[nn.Module] = None, make_dropout: DropoutFactory = Dropout):
        super().__init__()
        self.embeddings = embeddings or Embeddings(n_tokens, d_model, max_len, dropout, make_dropout)
        self.encoder = Encoder(n_layers, d_model, n_heads, d_ff, dropout, attention_dropout, make_dropout)
        self.output = OutputProjection(d_model, n_tokens)
        # Linear layers start small (normal, $\sigma = 0.02$, zero bias) as in BERT and GPT-2,
        # so that at initialization each residual branch adds only a little to its input.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    @classmethod
    def from_configs(cls, c: ModelConfigs, n_tokens: int, max_len: int, **parts) -> 'TransformerMLM':
        r"""
        The model the configs describe, for `n_tokens` tokens and sequences of up to
        `max_len`; `parts` may swap `embeddings` or `make_dropout`.
        """
        return cls(n_tokens=n_tokens, max_len=max_len, d_model=c.d_model, n_layers=c.n_layers,
                   n_heads=c.n_heads, d_ff=c.d_ff, dropout=c.dropout, attention_dropout=c.attention_dropout,
                   **parts)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`; returns logits,
        `[batch_size, seq_len, n_tokens]`.
        """
        h = self.embeddings(x)  # [batch_size, seq_len, d_model]
        h = self.encoder(h, mask)  # [batch_size, seq_len, d_model]
        return self.output(h)  # [batch_size, seq_len, n_tokens]

    @classmethod
    def from_pretrained(cls, folder) -> 'TransformerMLM':
        r"""
        The model of an [export folder](export.html), in eval mode, with the outputs it had when
        it was exported (its vocabulary: `export.load_export`).
        """
        from . import export
        return export.load_export(folder, 'from_pretrained')[0]


def masked_loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor,
                             padding_token: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""
    ## Loss and accuracy on the masked positions

    `logits` is `[batch_size, seq_len, n_tokens]`, `labels` `[batch_size, seq_len]`.
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
