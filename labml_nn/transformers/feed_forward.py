r"""
---
title: Position-wise feed-forward network
summary: The two-layer network that transforms every position on its own, after attention has mixed information between positions.
---

# Position-wise feed-forward network

Attention moves information *between* positions but is, per position, only a weighted
average of linear maps. The feed-forward network adds the non-linear computing power. It is
applied to every position separately, with the same weights:

$$\mathrm{FFN}(x) = W_2 \max(0,\ W_1 x + b_1) + b_2$$

$W_1$ widens the vector from $d_\text{model}$ to $d_\text{ff}$ (usually $4 d_\text{model}$),
the activation decides which of those features fire, and $W_2$ projects back. The original
transformer used the ReLU, $\max(0, x)$, as we do. BERT uses the GELU, $x\,\Phi(x)$ with
$\Phi$ the standard normal distribution function: a smooth ReLU that lets small negative
values through a little (`activation='gelu'`). At our sizes the smoothness buys nothing: in
the [ablations](../bench/results/ablations.html) ReLU was as accurate per step (45.4% against
43.5% after 1,000 steps, one seed, within the noise between seeds) and is cheaper to compute.
"""

import torch
from torch import nn

from labml_nn.transformers.dropout import Dropout, DropoutFactory

# The activations to choose from, by name (a name, not a module, so it can be a config)
ACTIVATIONS = {'gelu': nn.GELU, 'relu': nn.ReLU}


class FeedForward(nn.Module):
    r"""
    ## The feed-forward module

    * `d_model` is the width of the input and output,
    * `d_ff` the width of the hidden layer,
    * `dropout` the dropout applied to the hidden layer (`make_dropout` builds its module),
    * `activation` is `'relu'` (the default) or `'gelu'` (BERT's),
    * `bias=False` drops $b_1$ and $b_2$.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float, make_dropout: DropoutFactory = Dropout,
                 activation: str = 'relu', bias: bool = True):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        # $W_1, b_1$
        self.layer1 = nn.Linear(d_model, d_ff, bias=bias)
        self.activation = ACTIVATIONS[activation]()
        self.dropout = make_dropout(dropout)
        # $W_2, b_2$
        self.layer2 = nn.Linear(d_ff, d_model, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r"""
        `x` is `[batch_size, seq_len, d_model]`; so is the result.
        """
        h = self.activation(self.layer1(x))  # [batch_size, seq_len, d_ff]
        return self.layer2(self.dropout(h))  # [batch_size, seq_len, d_model]
