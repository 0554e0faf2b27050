r"""
---
title: Masked Language Model (MLM) masking
summary: BERT's masking procedure, exactly as the paper states it - 15% of tokens chosen, of those 80% replaced by [MASK], 10% by a random token and 10% left unchanged.
---

# Masking for a Masked Language Model

BERT learns by filling gaps. Take a sequence, hide some of its tokens, and train the
[encoder](../index.html) to predict the hidden ones from everything around them, on both
sides. The loss counts *only* the hidden positions: predicting a token the model can see
would teach it nothing.

## The procedure

Every token that may be hidden is **selected** independently with probability
$p_\text{select} = 0.15$. Padding, the `[MASK]` token itself and any tokens the caller
protects (`no_mask_tokens`, e.g. `[CLS]` and `[SEP]`) are never selected. Each selected
token then meets exactly one of three fates:

| outcome | probability | what the model sees |
|---|---|---|
| replaced by `[MASK]` | $1 - p_\text{random} - p_\text{same} = 0.8$ | `[MASK]` |
| replaced by a random token | $p_\text{random} = 0.1$ | a real token drawn uniformly |
| left unchanged | $p_\text{same} = 0.1$ | the original token |

So overall $0.15 \times 0.8 = 12\%$ of tokens become `[MASK]`, $1.5\%$ become a random token
and $1.5\%$ are predicted while in plain view. The model has to predict the original token
at all selected positions, whatever it was shown.

**Why not always `[MASK]`?** `[MASK]` never appears when the model is used later. If it only
ever had to predict at `[MASK]`, the model could ignore the vectors of ordinary tokens. The
random replacements teach it that any token might be wrong, so it must check every token
against its context; the unchanged ones teach it that the token it sees is often right.

## Getting the proportions right

The three outcomes are *disjoint*: one uniform number $u$ per selected token decides,
$u < 0.8$ gives `[MASK]`, $0.8 \le u < 0.9$ a random token, the rest stay. Drawing
"random" and "unchanged" independently instead, as the reference implementation does,
skews the split to about 81% / 10% / 9%
(`tests/test_mlm.py::test_independent_draws_skew_the_split` works it out). Its random tokens could also be `[PAD]` or
`[MASK]`, which puts the very token the model must learn to distrust into the "random"
case. Here random tokens are drawn only from real tokens. A statistical test
(`tests/test_mlm.py::test_proportions`) checks the rates above on a million tokens.

The masking also never writes into the caller's tensor, and takes an optional
`torch.Generator` so that a run (and a resumed run) masks exactly the same way.
"""

from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

import torch


@dataclass
class MaskingConfigs:
    r"""
    ## The masking configs

    The three probabilities as the [experiment](experiment.html) sets them
    (`masking.masking_prob=0.2` on its command line). `MLM` checks them.
    """
    # Probability that a token is selected for prediction
    masking_prob: float = 0.15
    # Probability that a selected token is replaced by a random token
    randomize_prob: float = 0.1
    # Probability that a selected token is left unchanged
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

    * `padding_token` is the id of `[PAD]`; the labels hold it wherever there is nothing to
      predict, so the loss function can ignore those positions,
    * `mask_token` is the id of `[MASK]`,
    * `no_mask_tokens` are ids that are never selected (e.g. `[CLS]`, `[SEP]`),
    * `n_tokens` is the vocabulary size: ids are $0 \dots n_\text{tokens} - 1$,
    * `masking_prob` is $p_\text{select}$, `randomize_prob` is $p_\text{random}$ and
      `no_change_prob` is $p_\text{same}$.
    """

    def __init__(self, *, padding_token: int, mask_token: int, no_mask_tokens: Iterable[int] = (),
                 n_tokens: int, masking_prob: float = 0.15, randomize_prob: float = 0.1,
                 no_change_prob: float = 0.1):
        # Each probability must be a probability, and the two non-`[MASK]` outcomes together
        # cannot take more than all of the selected tokens
        for name, p in (('masking_prob', masking_prob), ('randomize_prob', randomize_prob),
                        ('no_change_prob', no_change_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {p}")
        if randomize_prob + no_change_prob > 1.0:
            raise ValueError(f"randomize_prob + no_change_prob must be at most 1, "
                             f"got {randomize_prob} + {no_change_prob}")
        protected = {padding_token, mask_token, *no_mask_tokens}
        for t in protected:
            if not 0 <= t < n_tokens:
                raise ValueError(f"special token id {t} is outside the vocabulary 0..{n_tokens - 1}")

        self.padding_token = padding_token
        self.mask_token = mask_token
        self.n_tokens = n_tokens
        self.masking_prob = masking_prob
        self.randomize_prob = randomize_prob
        self.no_change_prob = no_change_prob
        # The protected ids, and the *real* tokens that a random replacement is drawn from
        self.protected = torch.tensor(sorted(protected), dtype=torch.long)
        is_real = torch.ones(n_tokens, dtype=torch.bool)
        is_real[self.protected] = False
        self.real_tokens = is_real.nonzero().squeeze(1)
        if randomize_prob > 0 and len(self.real_tokens) == 0:
            raise ValueError("randomize_prob > 0 needs at least one token that is not special")

    @classmethod
    def from_configs(cls, c: MaskingConfigs, vocabulary) -> 'MLM':
        r"""The masking for a vocabulary with `padding_token` and `mask_token`, as the configs say."""
        return cls(padding_token=vocabulary.padding_token, mask_token=vocabulary.mask_token,
                   n_tokens=len(vocabulary), **vars(c))

    def __call__(self, x: torch.Tensor,
                 generator: Optional[torch.Generator] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        r"""
        `x` is a long tensor of token ids of any shape, e.g. `[batch_size, seq_len]`.
        Returns `(masked_x, labels)`, both shaped like `x`: the input the model sees, and the
        token to predict at each position (`padding_token` where there is none).
        """
        device = x.device
        # A position may be selected unless it holds a protected token
        selectable = ~torch.isin(x, self.protected.to(device))
        # Select each such position with probability $p_\text{select}$
        selected = (torch.rand(x.shape, generator=generator, device=device) < self.masking_prob) & selectable
        # One uniform number per position picks its fate: the intervals
        # $[0, p_\text{mask})$, $[p_\text{mask}, p_\text{mask} + p_\text{random})$ and the rest
        # are disjoint, so each selected token gets exactly one outcome.
        fate = torch.rand(x.shape, generator=generator, device=device)
        p_mask = 1.0 - self.randomize_prob - self.no_change_prob
        to_mask = selected & (fate < p_mask)
        to_randomize = selected & (fate >= p_mask) & (fate < p_mask + self.randomize_prob)
        # Random replacements come from the real tokens only. Drawing one for every position
        # keeps the number of random numbers used independent of the data, so a generator
        # advances the same way every call.
        choice = torch.randint(len(self.real_tokens), x.shape, generator=generator, device=device)
        random_tokens = self.real_tokens.to(device)[choice]

        # Build the model's input on a copy: the caller's tensor stays as it was
        masked_x = x.clone()
        masked_x[to_mask] = self.mask_token
        masked_x[to_randomize] = random_tokens[to_randomize]
        # The labels: the original token at every selected position, padding elsewhere
        labels = torch.full_like(x, self.padding_token)
        labels[selected] = x[selected]

        return masked_x, labels
