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

`post_norm=True` builds BERT's arrangement instead, for the
[ablations](../bench/results/ablations.html): the same modules, the normalization moved
after the addition, and no final norm (the last layer's output is already normalized). With
six layers, our short warm-up and dropout 0.1 it trained well (47.3% masked accuracy after
1,000 steps against 43.5%, one seed), though slowly at first (25.5% against 28.4% after 300
steps): at this depth the instability that pre-norm avoids has not set in yet.

## Only the positions that are scored

A masked language model is scored at about 15% of the positions. Everything before the last
layer is needed everywhere (every position is a key and a value for the others), but the
last layer's feed-forward network, the final norm and the output projection work on each
position alone, and their results at the other 85% are thrown away by the loss. Given
`positions`, a boolean `[batch_size, seq_len]` tensor, the last layer keeps only those rows
after its attention, and the stack returns `[n_selected, d_model]`: the rows where
`positions` is `True`, in row-major order, the order of `labels[positions]`.
"""

from typing import Optional

import torch
from torch import nn

from labml_nn.transformers.dropout import Dropout, DropoutFactory
from labml_nn.transformers.feed_forward import FeedForward
from labml_nn.transformers.mha import MultiHeadAttention


class TransformerLayer(nn.Module):
    r"""
    ## One pre-norm layer

    `d_model`, `n_heads` and `d_ff` size the sub-layers. `dropout` is applied inside the
    feed-forward network and to each sub-layer's output before it joins the residual path;
    `attention_dropout` to the attention weights ([why it defaults to 0](mha.html)).
    `make_dropout` builds the dropout modules ([ours](dropout.html) unless told otherwise).
    `activation` is the feed-forward network's (`'relu'`, the default, or `'gelu'`); `post_norm` moves the
    normalizations after the additions, as in BERT. `qk_norm` normalizes the attention's queries and keys
    ([why](mha.html)); `bias=False` leaves out every bias, of the linear layers and the norms, as
    the BERT of Cramming (Geiping and Goldstein, 2022) does: fewer tensors to update each step.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float, attention_dropout: float = 0.0,
                 make_dropout: DropoutFactory = Dropout, activation: str = 'relu', post_norm: bool = False,
                 qk_norm: bool = False, bias: bool = True):
        super().__init__()
        # The same modules either way; `post_norm` only changes where the norms are applied
        self.norm_attention = nn.LayerNorm(d_model, bias=bias)
        self.attention = MultiHeadAttention(d_model, n_heads, attention_dropout, qk_norm, bias)
        self.norm_ff = nn.LayerNorm(d_model, bias=bias)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, make_dropout, activation, bias)
        self.dropout = make_dropout(dropout)
        self.post_norm = post_norm

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result, unless `positions`
        (boolean, `[batch_size, seq_len]`) selects the rows to keep after the attention: then
        it is `[n_selected, d_model]`.
        """
        if self.post_norm:
            # $x \leftarrow \mathrm{LN}(x + \mathrm{Attention}(x))$
            x = self.norm_attention(x + self.dropout(self.attention(x, mask)))
            if positions is not None:
                x = x[positions]  # [n_selected, d_model]
            # $x \leftarrow \mathrm{LN}(x + \mathrm{FFN}(x))$
            return self.norm_ff(x + self.dropout(self.feed_forward(x)))
        # $x \leftarrow x + \mathrm{Attention}(\mathrm{LN}(x))$
        x = x + self.dropout(self.attention(self.norm_attention(x), mask))
        # Every position has been read by the attention; from here on each row is on its own,
        # so the rows nobody will score can go
        if positions is not None:
            x = x[positions]  # [n_selected, d_model]
        # $x \leftarrow x + \mathrm{FFN}(\mathrm{LN}(x))$
        x = x + self.dropout(self.feed_forward(self.norm_ff(x)))
        return x


class Encoder(nn.Module):
    r"""
    ## The encoder stack

    `n_layers` identical layers (each with its own weights) and the final normalization
    (none with `post_norm`, whose last layer ends with one).
    """

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int, dropout: float,
                 attention_dropout: float = 0.0, make_dropout: DropoutFactory = Dropout,
                 activation: str = 'relu', post_norm: bool = False, qk_norm: bool = False,
                 bias: bool = True):
        super().__init__()
        self.layers = nn.ModuleList(TransformerLayer(d_model, n_heads, d_ff, dropout, attention_dropout, make_dropout,
                                                     activation, post_norm, qk_norm, bias)
                                    for _ in range(n_layers))
        self.norm = nn.Identity() if post_norm else nn.LayerNorm(d_model, bias=bias)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result, or `[n_selected, d_model]`
        when `positions` selects rows (the last layer drops the others).
        """
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x, mask, positions if i == last else None)
        return self.norm(x)


class OutputProjection(nn.Module):
    r"""
    ## From vectors to token scores

    A linear map from `d_model` to one score (a *logit*) per token of the vocabulary. The
    softmax of the logits is the model's probability for each token; the loss function
    applies it, so the module returns the raw scores.

    With `transform=True` the vectors first pass through BERT's *prediction head transform*,
    a dense layer, GELU and a layer normalization,

    $$\mathrm{logits} = W_\text{out}\, \mathrm{LN}\big(\mathrm{GELU}(W_t h + b_t)\big) + b_\text{out}$$

    It gives the last layer's output a private non-linear map into the space the output
    matrix reads, so the encoder's final vectors need not *be* token scores; BERT pairs it with
    an output matrix [tied](mlm/model.html) to the token embeddings. In our pre-norm model it
    cost accuracy: 39.9% after 1,000 steps against 43.5% without it, and 34.5% together with
    tied embeddings ([measured](../bench/results/ablations.html), one seed). `bias=False` leaves
    out its biases.
    """

    def __init__(self, d_model: int, n_tokens: int, transform: bool = False, bias: bool = True):
        super().__init__()
        # The transform's parts, registered before the projection only when asked for, so
        # that the default model draws its initial weights in the same order as before
        if transform:
            self.dense = nn.Linear(d_model, d_model, bias=bias)
            self.activation = nn.GELU()
            self.norm = nn.LayerNorm(d_model, bias=bias)
        self.transform = transform
        self.projection = nn.Linear(d_model, n_tokens, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""
        `x` is `[..., d_model]`; the result is `[..., n_tokens]`.
        """
        if self.transform:
            x = self.norm(self.activation(self.dense(x)))  # [..., d_model]
        return self.projection(x)
