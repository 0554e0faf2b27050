"""Masking, exercise 3: span masking, the lesson's fates on runs of `span` characters."""
from typing import Optional, Tuple

import torch

from labml_nn.transformers.mlm import MLM


def span_masking(mlm: MLM, x: torch.Tensor, span: int,
                 generator: Optional[torch.Generator] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Like `mlm(x)`, but a chosen position also chooses the `span - 1` positions after it (in
    the same row, never a protected token). Each chosen position then meets its own fate, 80%
    `[MASK]`, 10% a random real token, 10% unchanged. The start probability is
    `mlm.masking_prob / span`, so that about the same share of tokens is chosen as by `mlm`.
    `x` is `[batch_size, seq_len]`."""
    selectable = ~torch.isin(x, mlm.protected)
    starts = torch.rand(x.shape, generator=generator) < mlm.masking_prob / span  # [batch_size, seq_len]
    selected = starts.clone()
    for k in range(1, span):
        # A start at position i chooses i + k too
        selected[:, k:] |= starts[:, :-k]
    selected &= selectable
    fate = torch.rand(x.shape, generator=generator)
    p_mask = 1.0 - mlm.randomize_prob - mlm.no_change_prob
    to_mask = selected & (fate < p_mask)
    to_randomize = selected & (fate >= p_mask) & (fate < p_mask + mlm.randomize_prob)
    choice = torch.randint(len(mlm.real_tokens), x.shape, generator=generator)
    random_tokens = mlm.real_tokens[choice]
    masked = x.clone()
    masked[to_mask] = mlm.mask_token
    masked[to_randomize] = random_tokens[to_randomize]
    labels = torch.full_like(x, mlm.padding_token)
    labels[selected] = x[selected]
    return masked, labels
