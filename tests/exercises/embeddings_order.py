"""Embeddings, exercise 3: without positions, the encoder cannot tell one order from another."""
import torch
from torch import nn


@torch.no_grad()
def order_gap(embeddings: nn.Module, encoder: nn.Module, x: torch.Tensor, order: torch.Tensor) -> float:
    """The largest difference between encoding the tokens of `x` (`[batch_size, seq_len]`) in the
    order `order` (a permutation of the positions) and encoding `x` then reordering the result.
    Zero means the encoder only ever saw a set of tokens."""
    shuffled_first = encoder(embeddings(x[:, order]))  # [batch_size, seq_len, d_model]
    shuffled_after = encoder(embeddings(x))[:, order]  # [batch_size, seq_len, d_model]
    return float((shuffled_first - shuffled_after).abs().max())
