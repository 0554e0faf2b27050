r"""
---
title: Masked Language Model (MLM) masking
summary: BERT's masking - 15% of the tokens chosen, of those 80% hidden, 10% random, 10% kept.
---

# Masking for a Masked Language Model

Which characters must the model guess, and what does it see there? The
[model](model.html) and [training loop](experiment.html) only play this game.

## The procedure

Each token is **chosen** independently with probability $p_\text{select} = 0.15$, unless
protected (padding, `[MASK]`, or ids such as `[CLS]`). A chosen token meets one of three fates:

| fate | probability | what the model sees |
|---|---|---|
| hidden | $1 - p_\text{random} - p_\text{same} = 0.8$ | `[MASK]` |
| replaced | $p_\text{random} = 0.1$ | a real token drawn uniformly |
| kept | $p_\text{same} = 0.1$ | the original token |

So $0.15 \times 0.8 = 12\%$ of tokens become `[MASK]`. At every chosen position the model
must give the original token, whatever it was shown.

## Why not always `[MASK]`?

`[MASK]` never appears in use, yet a model that guesses only at `[MASK]` could ignore other
tokens. Random replacements teach it that any token may be wrong; kept ones, that most are
right.

With the `o` of `not` chosen, the model sees `n[MASK]t`, `nxt` or `not`, and must say `o`.

## Why 15%?

A trade: each chosen character is one more guess to learn from, and one less character of
context for its neighbours. An untrained model uses little context, so [training](experiment.html)
starts at 30% (`masking_start=0.3`) and lowers $p_\text{select}$ steadily to 15%; validation
always uses 15%.
"""

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

import torch


@dataclass
class MaskingConfigs:
    r"""
    ## The masking configs

    The three probabilities; the [experiment](experiment.html) sets them
    (`masking.masking_prob=0.2`).
    """
    # $p_\text{select}$: a token is chosen
    masking_prob: float = 0.15
    # $p_\text{random}$: a chosen token turns random
    randomize_prob: float = 0.1
    # $p_\text{same}$: a chosen token stays
    no_change_prob: float = 0.1

    def __post_init__(self):
        # `MLM`'s checks, run now, naming the config
        try:
            MLM(padding_token=0, mask_token=1, n_tokens=3, **vars(self))
        except ValueError as e:
            raise ValueError(f"masking: {e}") from None


class MLM:
    r"""
    ## The masking procedure

    `padding_token` (`[PAD]`) fills the labels where there is nothing to predict;
    `no_mask_tokens` are never chosen; `n_tokens` is the vocabulary size.
    """

    def __init__(self, *, padding_token: int, mask_token: int,
                 no_mask_tokens: Iterable[int] = (), n_tokens: int,
                 masking_prob: float = 0.15, randomize_prob: float = 0.1,
                 no_change_prob: float = 0.1):
        for name, p in (('masking_prob', masking_prob),
                        ('randomize_prob', randomize_prob),
                        ('no_change_prob', no_change_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {p}")
        # The two fates besides `[MASK]` can't exceed all chosen tokens
        if randomize_prob + no_change_prob > 1.0:
            raise ValueError(f"randomize_prob + no_change_prob must be at most 1, "
                             f"got {randomize_prob} + {no_change_prob}")
        protected = {padding_token, mask_token, *no_mask_tokens}
        for t in protected:
            if not 0 <= t < n_tokens:
                raise ValueError(f"special token id {t} is outside the vocabulary "
                                 f"0..{n_tokens - 1}")

        self.padding_token = padding_token
        self.mask_token = mask_token
        self.n_tokens = n_tokens
        self.masking_prob = masking_prob
        self.randomize_prob = randomize_prob
        self.no_change_prob = no_change_prob
        # Random replacements are *real* tokens, never `[PAD]` or `[MASK]`
        self.protected = torch.tensor(sorted(protected), dtype=torch.long)
        is_real = torch.ones(n_tokens, dtype=torch.bool)
        is_real[self.protected] = False
        self.real_tokens = is_real.nonzero().squeeze(1)
        if randomize_prob > 0 and len(self.real_tokens) == 0:
            raise ValueError("randomize_prob > 0 needs at least one token that is "
                             "not special")

    @classmethod
    def from_configs(cls, c: MaskingConfigs, vocabulary) -> 'MLM':
        r"""The masking for a vocabulary with `padding_token` and `mask_token`, as `c` says."""
        return cls(padding_token=vocabulary.padding_token,
                   mask_token=vocabulary.mask_token, n_tokens=len(vocabulary),
                   **vars(c))

    def __call__(self, x: torch.Tensor, generator: Optional[torch.Generator] = None,
                 masking_prob: Optional[float] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        r"""
        `x` holds token ids, `[batch_size, seq_len]`. Returns `(masked_x, labels)` shaped like
        `x`: what the model sees, and the target per position (`padding_token` for none).
        `masking_prob` overrides $p_\text{select}$ for this call.
        """
        device = x.device
        # Unprotected positions, `[batch_size, seq_len]`
        selectable = ~torch.isin(x, self.protected.to(device))
        # Each chosen with probability $p_\text{select}$
        draw = torch.rand(x.shape, generator=generator, device=device)
        p_select = self.masking_prob if masking_prob is None else masking_prob
        selected = (draw < p_select) & selectable
        # One uniform $u$ per position picks its fate: $u < 0.8$ hides, $0.8 \le u < 0.9$
        # replaces, the rest keep. Disjoint intervals give exactly one fate; two independent
        # coins could both land on one token and bend the 80/10/10 split.
        fate = torch.rand(x.shape, generator=generator, device=device)
        p_mask = 1.0 - self.randomize_prob - self.no_change_prob
        to_mask = selected & (fate < p_mask)
        p_mask_or_random = p_mask + self.randomize_prob
        to_randomize = selected & (fate >= p_mask) & (fate < p_mask_or_random)
        # A random token for every position: the generator advances the same whatever the data
        n_real = len(self.real_tokens)
        choice = torch.randint(n_real, x.shape, generator=generator, device=device)
        random_tokens = self.real_tokens.to(device)[choice]

        # On a copy: the caller's tensor stays as it was
        masked_x = x.clone()
        masked_x[to_mask] = self.mask_token
        masked_x[to_randomize] = random_tokens[to_randomize]
        # Labels: the original token where chosen, padding elsewhere
        labels = torch.full_like(x, self.padding_token)
        labels[selected] = x[selected]

        return masked_x, labels


def masking_rate(start: float, end: float, progress: float) -> float:
    r"""
    ## A falling masking rate
    $p_\text{select}$ at `progress` (0 to 1) through the run: a straight line from `start` to
    `end` ([why](index.html#why-15)); a `start` of 0 means `end` throughout.
    """
    start = start or end
    return start + (end - start) * progress
