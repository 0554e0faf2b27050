"""Layers, exercise 3: dropping the unscored rows one layer too early."""
import torch

from labml_nn.transformers.models import Encoder


@torch.no_grad()
def select_before_last_attention(encoder: Encoder, x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """The wrong shortcut: run every layer but the last on all rows, then the last layer on the
    selected rows only, as one sequence per batch row. Returns `[n_selected, d_model]`."""
    for layer in encoder.layers[:-1]:
        x = layer(x)
    rows = [layer_input[chosen] for layer_input, chosen in zip(x, positions)]  # each [n_b, d_model]
    last = encoder.layers[-1]
    return torch.cat([encoder.norm(last(r[None]))[0] for r in rows])  # [n_selected, d_model]
