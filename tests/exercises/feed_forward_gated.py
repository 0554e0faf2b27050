"""Feed-forward, exercise 3: a gated network (SwiGLU)."""
import torch
import torch.nn.functional as F
from torch import nn


class GatedFeedForward(nn.Module):
    r"""$W_2\,(\mathrm{SiLU}(W_1 x) \odot V x)$: one projection decides how much of the other gets
    through. Three matrices instead of two, so `d_hidden` about $\frac23$ of a plain network's
    `d_ff` keeps the parameter count."""

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        self.gate = nn.Linear(d_model, d_hidden, bias=False)  # W_1
        self.value = nn.Linear(d_model, d_hidden, bias=False)  # V
        self.out = nn.Linear(d_hidden, d_model, bias=False)  # W_2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: [batch_size, seq_len, d_model]
        return self.out(F.silu(self.gate(x)) * self.value(x))  # [batch_size, seq_len, d_model]
