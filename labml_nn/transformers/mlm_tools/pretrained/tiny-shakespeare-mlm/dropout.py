# Copied from labml_nn/transformers/dropout.py of labml_nn by its exporter; imports of labml_nn made relative.
r"""
---
title: Dropout with fewer random numbers
summary: Why dropout can be the most expensive operation of a small model on a CPU, and a dropout that draws one 64-bit random number for every three elements instead of one per element.
---

# Dropout on a CPU

Dropout zeroes each element of a tensor with probability $p$ while training and scales the
survivors by $\frac{1}{1-p}$, so that the expected value is unchanged:

$$\mathrm{dropout}(x)_i = \frac{m_i\,x_i}{1 - p}, \qquad m_i \sim \mathrm{Bernoulli}(1 - p)$$

It is one multiply per element, but it needs a *random number* per element, and PyTorch's
CPU generator (a Mersenne Twister) produces them one at a time, on one core. For a small model
that is a large share of the work: with PyTorch's dropout at 0.1, a training step of the
experiment's model takes 1.40 times as long as without dropout; with the dropout below, 1.22
times ([recorded](../bench/results/dropout_cost.html)).

## One draw, three masks

A decision with $p = 0.1$ needs far fewer than 32 random bits. A 16-bit number $r$ is enough:
drop when $r < t$ with $t = \mathrm{round}(p \cdot 2^{16})$, which gives a drop probability of
$t / 2^{16}$ (0.100006 for $p = 0.1$); we scale the survivors by $\frac{2^{16}}{2^{16} - t}$ so
the expectation stays exact. PyTorch fills an `int64` tensor with 63 random bits per element
(the sign bit stays 0), so each 64-bit draw holds three full 16-bit numbers. Drawing a third
as many numbers, and cheaper ones, is what takes the cost of dropout from 46% of a step to
18% (the [comparison benchmark](../bench/results/compare.html) uses it too).

On a GPU, PyTorch's own dropout is already fast (its generator makes many numbers at once),
so `Dropout` uses it there, and everywhere when the model is not training.
"""

import sys
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

# Which of the four 16-bit lanes of an int64 holds the (always zero) sign bit
_SIGN_LANE = 3 if sys.byteorder == 'little' else 0
_KEPT_LANES = [lane for lane in range(4) if lane != _SIGN_LANE]


def keep_mask(shape: torch.Size, p: float, dtype: torch.dtype) -> torch.Tensor:
    r"""
    ## The mask

    `1 / (1 - p')` where an element is kept and `0` where it is dropped, with
    $p' = t / 2^{16}$ the drop probability that 16 bits can express.
    """
    n = shape.numel()
    # One 63-bit random number for every three elements
    words = torch.empty((n + 2) // 3, dtype=torch.int64).random_()  # [n/3]
    # Three 16-bit lanes of each, as signed numbers uniform over $-2^{15} \dots 2^{15} - 1$
    lanes = words.view(torch.int16).view(-1, 4)[:, _KEPT_LANES[0]:_KEPT_LANES[-1] + 1]  # [n/3, 3]
    r = lanes.reshape(-1)[:n].view(shape)
    # Drop when $r + 2^{15} < t$
    t = round(p * 65536)
    mask = (r >= t - 32768).to(dtype)
    # Scale in place: one tensor allocated for the mask, not two
    return mask.mul_(65536 / (65536 - t))


class Dropout(nn.Module):
    r"""
    ## A drop-in for `nn.Dropout`

    The same behaviour: identity in eval mode or with `p = 0`, PyTorch's dropout on GPUs, and
    the cheap mask on CPUs.
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != 'cpu':
            return F.dropout(x, self.p, training=True)
        return x * keep_mask(x.shape, self.p, x.dtype)

    def extra_repr(self) -> str:
        return f'p={self.p}'


# What the model's modules take to build their dropout: a function from the probability $p$ to
# a module. `Dropout` itself is one; so is PyTorch's `nn.Dropout`, which the
# [dropout benchmark](../bench/dropout_cost.html) swaps in to compare the two.
DropoutFactory = Callable[[float], nn.Module]
