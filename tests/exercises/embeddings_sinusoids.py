"""Embeddings, exercise 2: fixed sinusoidal positions instead of a learned table."""
import torch

from labml_nn.transformers.embeddings import Embeddings


def sinusoidal_table(max_len: int, d_model: int) -> torch.Tensor:
    r"""`[max_len, d_model]`: row $p$ holds $\sin(p\,\omega_i)$ in column $2i$ and $\cos(p\,\omega_i)$
    in column $2i + 1$, with $\omega_i = 10000^{-2i/d_\text{model}}$ (`d_model` even)."""
    position = torch.arange(max_len, dtype=torch.float32)[:, None]  # [max_len, 1]
    omega = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)  # [d_model / 2]
    table = torch.empty(max_len, d_model)
    table[:, 0::2] = torch.sin(position * omega)
    table[:, 1::2] = torch.cos(position * omega)
    return table


def with_fixed_positions(embeddings: Embeddings) -> Embeddings:
    """`embeddings` with its position table replaced by the sinusoids, frozen: no optimizer changes it."""
    table = embeddings.positions.weight
    with torch.no_grad():
        table.copy_(sinusoidal_table(*table.shape))
    table.requires_grad_(False)
    return embeddings
