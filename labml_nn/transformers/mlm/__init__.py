r"""
---
title: Masked Language Model (MLM) masking
summary: BERT's masking - 15% of the tokens chosen, of those 80% hidden, 10% random, 10% kept.
---

# Masking for a Masked Language Model

This page decides which characters the model must guess, and what it is shown in their
place. It is the whole of the game: the [model](model.html) and the
[training loop](experiment.html) only play it.

## The procedure

Every token is **chosen** independently with probability $p_\text{select} = 0.15$, except
padding, `[MASK]` itself and any tokens the caller protects (such as `[CLS]` and `[SEP]`).
Each chosen token then meets exactly one of three fates:

| fate | probability | what the model sees |
|---|---|---|
| hidden | $1 - p_\text{random} - p_\text{same} = 0.8$ | `[MASK]` |
| replaced | $p_\text{random} = 0.1$ | a real token drawn uniformly |
| kept | $p_\text{same} = 0.1$ | the original token |

So $0.15 \times 0.8 = 12\%$ of all tokens become `[MASK]`, and $0.15 \times 0.1$ of them
each become a random token or are predicted in plain view. At every chosen position the
model must give the original token, whatever it was shown.

## Why not always `[MASK]`?

`[MASK]` never appears once the model is put to use. If it only ever had to guess at
`[MASK]`, the model could stop looking at the vectors of ordinary tokens. The random
replacements teach it that any token it sees might be wrong, so it checks every token
against its context; the kept ones teach it that what it sees is usually right.

Take `To be, or not to be`. With the `o` of `not` chosen, the model may see
`To be, or n[MASK]t to be` (hidden), `To be, or nxt to be` (replaced) or the line as it is
(kept); in each case its target there is `o`, and nowhere else does it have one.
"""

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

import torch


@dataclass
class MaskingConfigs:
    r"""
    ## The masking configs

    The three probabilities, as the [experiment](experiment.html) sets them
    (`masking.masking_prob=0.2` on its command line). `MLM` checks them.
    """
    # Probability that a token is chosen for prediction, $p_\text{select}$
    masking_prob: float = 0.15
    # Probability that a chosen token is replaced by a random token, $p_\text{random}$
    randomize_prob: float = 0.1
    # Probability that a chosen token is kept as it is, $p_\text{same}$
    no_change_prob: float = 0.1

    def __post_init__(self):
        # The same checks `MLM` makes, now, with the config names in the message
        try:
            MLM(padding_token=0, mask_token=1, n_tokens=3, **vars(self))
        except ValueError as e:
            raise ValueError(f"masking: {e}") from None


class MLM:
    r"""
    ## The masking procedure

    `padding_token` is the id of `[PAD]`, which the labels hold wherever there is nothing to
    predict; `mask_token` is the id of `[MASK]`; `no_mask_tokens` are never chosen;
    `n_tokens` is the vocabulary size. The probabilities are the configs'.
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
        # The two fates other than `[MASK]` cannot take more than all of the chosen tokens
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
        # The protected ids, and the *real* tokens that a random replacement is drawn from.
        # A "random" `[PAD]` or `[MASK]` would put the very token the model must learn to
        # distrust among the ones it should check against their context.
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

    def __call__(self, x: torch.Tensor, generator: Optional[torch.Generator] = None
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        r"""
        `x` holds token ids, e.g. `[batch_size, seq_len]`. Returns `(masked_x, labels)`, both
        shaped like `x`: what the model sees, and the token to predict at each position
        (`padding_token` where there is none). A `torch.Generator` makes the draws repeatable.
        """
        device = x.device
        # A position may be chosen unless it holds a protected token: `[batch_size, seq_len]`
        selectable = ~torch.isin(x, self.protected.to(device))
        # Choose each such position with probability $p_\text{select}$
        draw = torch.rand(x.shape, generator=generator, device=device)
        selected = (draw < self.masking_prob) & selectable
        # One uniform number $u$ per position picks its fate: $u < 0.8$ hides it,
        # $0.8 \le u < 0.9$ replaces it, the rest keep it. The intervals are disjoint, so each
        # chosen token gets exactly one fate. Drawing "replace" and "keep" as two independent
        # coins instead would let both land on one token and bend the split away from
        # 80/10/10 (to about 81/10/9).
        fate = torch.rand(x.shape, generator=generator, device=device)
        p_mask = 1.0 - self.randomize_prob - self.no_change_prob
        to_mask = selected & (fate < p_mask)
        p_mask_or_random = p_mask + self.randomize_prob
        to_randomize = selected & (fate >= p_mask) & (fate < p_mask_or_random)
        # A random real token for every position, chosen or not: the count of random numbers
        # then never depends on the data, and a generator advances the same way every call
        n_real = len(self.real_tokens)
        choice = torch.randint(n_real, x.shape, generator=generator, device=device)
        random_tokens = self.real_tokens.to(device)[choice]

        # Build the model's input on a copy: the caller's tensor stays as it was
        masked_x = x.clone()
        masked_x[to_mask] = self.mask_token
        masked_x[to_randomize] = random_tokens[to_randomize]
        # The labels: the original token at every chosen position, padding elsewhere
        labels = torch.full_like(x, self.padding_token)
        labels[selected] = x[selected]

        return masked_x, labels
