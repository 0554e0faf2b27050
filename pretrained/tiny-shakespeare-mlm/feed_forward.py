# Copied from labml_nn/transformers/feed_forward.py of labml_nn by its exporter; imports of labml_nn made relative.
r"""
---
title: Position-wise feed-forward network
summary: The two-layer network that transforms every position on its own, after attention has mixed information between positions.
---

# Position-wise feed-forward network

Attention moves information *between* positions but is, per position, only a weighted
average of linear maps. The feed-forward network adds the non-linear computing power. It is
applied to every position separately, with the same weights:

$$\mathrm{FFN}(x) = W_2\, \mathrm{GELU}(W_1 x + b_1) + b_2$$

$W_1$ widens the vector from $d_\text{model}$ to $d_\text{ff}$ (usually $4 d_\text{model}$),
the activation decides which of those features fire, and $W_2$ projects back. BERT uses the
GELU activation, $x\,\Phi(x)$ with $\Phi$ the standard normal distribution function: a
smooth ReLU that lets small negative values through a little.
"""

import torch
from torch import nn

from .dropout import Dropout, DropoutFactory


class FeedForward(nn.Module):
    r"""
    ## The feed-forward module

    * `d_model` is the width of the input and output,
    * `d_ff` the width of the hidden layer,
    * `dropout` the dropout applied to the hidden layer (`make_dropout` builds its module).
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float, make_dropout: DropoutFactory = Dropout):
        super().__init__()
        # $W_1, b_1$
        self.layer1 = nn.Linear(d_model, d_ff)
        self.activation = nn.GELU()
        self.dropout = make_dropout(dropout)
        # $W_2, b_2$
        self.layer2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result.
        """
        h = self.activation(self.layer1(x))  # [batch_size, seq_len, d_ff]
        return self.layer2(self.dropout(h))  # [batch_size, seq_len, d_model]
