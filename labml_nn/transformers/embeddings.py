r"""
---
title: Token embeddings and learned positions
summary: How token ids become vectors, how the model learns where each token is, and why scaling the embeddings by the square root of d_model hides the positions.
---

# Token embeddings and positions

Attention, the heart of the encoder, treats its input as a *set*: shuffle the tokens and
every output is shuffled the same way, nothing else changes. A masked language model that
cannot tell positions apart sees a bag of characters. It can learn which characters are
common, but not that `q` is followed by `u`; it gets stuck predicting the character
frequencies (the *unigram plateau*).

So every token vector gets a vector for its position added to it:

$$h^{(0)}_i = E[x_i] + P[i]$$

where $E$ is a table with one row per token and $P$ a table with one row per position. We
*learn* both, as BERT does, and start both with small random values ($\sigma = 0.02$) so
that at initialization the token and the position contribute on the same scale.

## Why the reference recipe plateaus

The reference implementation follows the original transformer: it multiplies the token
embedding by $\sqrt{d_\text{model}}$ and adds fixed sinusoids,
$h^{(0)}_i = \sqrt{d_\text{model}}\,E[x_i] + \mathrm{PE}(i)$. That is harmless when $E$ starts
small, but PyTorch's `nn.Embedding` starts with $E \sim \mathcal{N}(0, 1)$. With
$d_\text{model} = 128$ each token coordinate then has a standard deviation of
$\sqrt{128} \approx 11.3$, while the sinusoids stay in $[-1, 1]$ (standard deviation
$1/\sqrt 2 \approx 0.71$). The position is about 6% of the signal, and the layer
normalization in front of every layer keeps it that way. Adam changes each weight by roughly
the learning rate per step, so shrinking the token table from 11 to 1 takes thousands of
steps, and the reference's slow warm-up keeps the learning rate tiny for the first 2,000 of
them. The model trains, but it is blind to order for a long time.

[The position benchmark](../bench/positions.html) trains the experiment's model with both
schemes, and with no positions at all, everything else equal. After 1,000 steps the
reference's scheme is at 23.9% masked-character accuracy, indistinguishable from the model
with *no* positions (23.5%), while learned positions at our scale reach 47.7% and are still
climbing ([recorded results](../bench/results/positions.html)).

## A layer normalization on the sum?

BERT normalizes the sum before the first layer, $h^{(0)}_i = \mathrm{LN}(E[x_i] + P[i])$.
It needs to: BERT's layers are *post-norm* (see [the layers](models.html)), and the sum is
the only input to the first layer that nothing else normalizes. Our pre-norm layers
normalize every sub-layer's input anyway, so the extra norm only changes the *scale* of the
residual stream: from about $0.02 \sqrt 2 \approx 0.028$ per coordinate to 1. At
initialization each of our feed-forward branches adds about 0.038 to the stream, so without
the norm the embeddings are soon a small part of it (after six layers the stream's standard
deviation is 0.121); with the norm every branch is a small change to a large vector
([measured](../bench/results/ablations.html)). `norm=True` adds it.

What it is worth depends on the setting. At the comparison benchmark's size (dropout 0.1,
sequences of 32) it was the best single change on the one seed we ran, 47.6% masked accuracy
after 1,000 steps against 43.5%. In the default run's setting (no dropout, sequences of 64),
together with tied embeddings, it sat on a plateau: 23.6% after 750 steps, where the default
run is at 41.0% ([recorded](../bench/results/default_recipe.html)). A model whose residual
branches start as tiny changes to a unit-sized stream takes a while to make them matter.
"""

import torch
from torch import nn

from labml_nn.transformers.dropout import Dropout, DropoutFactory


class Embeddings(nn.Module):
    r"""
    ## Token embeddings plus learned positions

    * `n_tokens` is the size of the vocabulary,
    * `d_model` the width of every vector in the model,
    * `max_len` the longest sequence the position table covers,
    * `dropout` the probability of zeroing an element of the sum (a regularizer), applied
      by a module from `make_dropout`,
    * `norm` adds a layer normalization of the sum, before the dropout (BERT has one), with
      a bias unless `bias=False`.
    """

    def __init__(self, n_tokens: int, d_model: int, max_len: int, dropout: float,
                 make_dropout: DropoutFactory = Dropout, norm: bool = False, bias: bool = True):
        super().__init__()
        # One row of $E$ per token id
        self.tokens = nn.Embedding(n_tokens, d_model)
        # One row of $P$ per position $0 \dots \text{max\_len} - 1$
        self.positions = nn.Embedding(max_len, d_model)
        # $\mathrm{LN}$ of the sum, or nothing (a layer norm has no random initial values, so
        # adding one leaves the random numbers drawn for the tables as they were)
        self.norm = nn.LayerNorm(d_model, bias=bias) if norm else nn.Identity()
        self.dropout = make_dropout(dropout)
        self.max_len = max_len
        # Both tables start at the same small scale, so neither drowns the other
        nn.init.normal_(self.tokens.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`; the result is `[batch_size, seq_len, d_model]`.
        """
        seq_len = x.shape[1]
        if seq_len > self.max_len:
            raise ValueError(f"sequence of {seq_len} tokens is longer than the position table "
                             f"({self.max_len}); build the model with a larger max_len")
        # Positions $0, 1, \dots, \text{seq\_len} - 1$, `[seq_len]`
        positions = torch.arange(seq_len, device=x.device)
        # $E[x_i] + P[i]$; the position rows broadcast over the batch
        h = self.tokens(x) + self.positions(positions)  # [batch_size, seq_len, d_model]
        return self.dropout(self.norm(h))
