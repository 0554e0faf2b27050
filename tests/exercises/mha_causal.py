"""Attention, exercise 2: a causal mask, as in a model that reads left to right."""
import torch


def causal_mask(seq_len: int) -> torch.Tensor:
    """`[seq_len, seq_len]`, `True` where query $i$ may look at key $j$: at $j \\le i$ only."""
    return torch.ones(seq_len, seq_len, dtype=torch.bool).tril()
