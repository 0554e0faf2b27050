# Copied from labml_nn/transformers/models.py of labml_nn by its exporter; imports of labml_nn made relative.
r"""
---
title: Pre-norm transformer layers, the encoder stack and the output projection
summary: Residual connections, layer normalization before each sub-layer, a final norm, and the linear map from vectors back to token scores.
---

# Layers, the encoder and the output projection

A transformer layer runs [multi-head attention](mha.html) and then the
[feed-forward network](feed_forward.html), each wrapped in a *residual connection*: the
sub-layer computes a change that is added to its input instead of replacing it. Gradients
then flow straight through the additions from the loss to the first layer, which is what
lets deep stacks train.

## Pre-norm

Each sub-layer sees a layer-normalized copy of the running vector,

$$x \leftarrow x + \mathrm{Attention}(\mathrm{LN}(x)) \qquad x \leftarrow x + \mathrm{FFN}(\mathrm{LN}(x))$$

The original transformer and BERT normalized *after* the addition ("post-norm"),
$x \leftarrow \mathrm{LN}(x + \mathrm{Sublayer}(x))$. Post-norm puts a normalization on the
residual path itself, so the gradient of the first layers shrinks or grows with depth and
training needs a long learning-rate warm-up to stay stable. Pre-norm leaves the residual
path untouched, trains with a short warm-up, and is what GPT-2 and most models since use.
Because nothing normalizes the sum at the end of the stack, the encoder adds one final
layer normalization.
"""

from typing import Optional

import torch
from torch import nn

from .dropout import Dropout, DropoutFactory
from .feed_forward import FeedForward
from .mha import MultiHeadAttention


class TransformerLayer(nn.Module):
    r"""
    ## One pre-norm layer

    `d_model`, `n_heads` and `d_ff` size the sub-layers. `dropout` is applied inside the
    feed-forward network and to each sub-layer's output before it joins the residual path;
    `attention_dropout` to the attention weights ([why it defaults to 0](mha.html)).
    `make_dropout` builds the dropout modules ([ours](dropout.html) unless told otherwise).
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float, attention_dropout: float = 0.0,
                 make_dropout: DropoutFactory = Dropout):
        super().__init__()
        self.norm_attention = nn.LayerNorm(d_model)
        self.attention = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.norm_ff = nn.LayerNorm(d_model)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, make_dropout)
        self.dropout = make_dropout(dropout)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result.
        """
        # $x \leftarrow x + \mathrm{Attention}(\mathrm{LN}(x))$
        x = x + self.dropout(self.attention(self.norm_attention(x), mask))
        # $x \leftarrow x + \mathrm{FFN}(\mathrm{LN}(x))$
        x = x + self.dropout(self.feed_forward(self.norm_ff(x)))
        return x


class Encoder(nn.Module):
    r"""
    ## The encoder stack

    `n_layers` identical layers (each with its own weights) and the final normalization.
    """

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int, dropout: float,
                 attention_dropout: float = 0.0, make_dropout: DropoutFactory = Dropout):
        super().__init__()
        self.layers = nn.ModuleList(TransformerLayer(d_model, n_heads, d_ff, dropout, attention_dropout, make_dropout)
                                    for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result.
        """
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x)


class OutputProjection(nn.Module):
    r"""
    ## From vectors to token scores

    A linear map from `d_model` to one score (a *logit*) per token of the vocabulary. The
    softmax of the logits is the model's probability for each token; the loss function
    applies it, so the module returns the raw scores.
    """

    def __init__(self, d_model: int, n_tokens: int):
        super().__init__()
        self.projection = nn.Linear(d_model, n_tokens)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""
        `x` is `[..., d_model]`; the result is `[..., n_tokens]`.
        """
        return self.projection(x)
