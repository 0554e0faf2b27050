"""Layers, exercise 2: one layer's weights used at every depth (as ALBERT does)."""
import torch
from torch import nn

from labml_nn.transformers.models import TransformerLayer


class SharedEncoder(nn.Module):
    """`n_layers` applications of one pre-norm `layer`, then the final normalization."""

    def __init__(self, layer: TransformerLayer, n_layers: int, d_model: int):
        super().__init__()
        self.layer = layer
        self.n_layers = n_layers
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
        # x: [batch_size, seq_len, d_model]
        for _ in range(self.n_layers):
            x = self.layer(x, mask)
        return self.norm(x)
