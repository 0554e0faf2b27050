r"""
---
title: Data - characters as tokens, windows and a held-out split
summary: How a text becomes batches - characters and two special tokens, windows, a held-out split.
---

# The data

Text becomes token ids, batches of windows and a held-out part. The experiment uses **Tiny
Shakespeare**, a million characters, found by the [corpus helper](../../helpers/corpus.html).

## Characters as tokens

Each character is a token. With $C$ the sorted characters of the corpus, the vocabulary is
two special tokens, then $C$:

$$\text{id}([\text{PAD}]) = 0, \quad \text{id}([\text{MASK}]) = 1, \quad
\text{id}(c) = 2 + \big|\{c' \in C : c' < c\}\big|$$

`[PAD]` in a label means "nothing to predict"; `[MASK]` hides a character. To fill
`th[MASK]t` the model learns spelling (`a`, not `q`); to fill a word, grammar.

## Windows

A batch is $B$ windows of $T$ tokens, each at a random offset $s_b$ of $N$ tokens:

$$x_{b,t} = \text{ids}_{s_b + t}, \qquad s_b \sim \mathcal{U}\{0, \dots, N - T\}$$

No epochs: the generator's state is the loader's whole state, so a resumed run continues
exactly.

## The held-out split

The first 90% of the text trains, the last 10% validates. Windows overlap, so drawing both
from the whole text would train on every validation character; one cut keeps it unseen.
"""

import math
from typing import List, Optional, Tuple

import torch

# Reading the text lives in the corpus helper; the experiment imports these names from here
from labml_nn.helpers.corpus import (  # noqa: F401
    DATA_HELP, LOCAL_COPY_VARIABLE, STDLIB_DOCSTRINGS, TINY_SHAKESPEARE, TINY_SHAKESPEARE_SHA256,
    DataError, cache_dir, load_corpus, read_text_file, sha256_of, stdlib_docstrings)

PAD, MASK = '[PAD]', '[MASK]'


class CharVocabulary:
    r"""
    ## Characters ↔ token ids

    Checkpoints save `chars`, so a model keeps its vocabulary.
    """

    padding_token = 0
    mask_token = 1

    def __init__(self, chars: str):
        self.chars = chars
        self.char_to_id = {c: i + 2 for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> 'CharVocabulary':
        return cls(''.join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars) + 2

    def unknown_chars(self, text: str) -> str:
        r"""The characters of `text` missing from the vocabulary, each once, in order."""
        return ''.join(dict.fromkeys(c for c in text if c not in self.char_to_id))

    def encode(self, text: str) -> torch.Tensor:
        return torch.tensor([self.char_to_id[c] for c in text], dtype=torch.long)

    def decode_token(self, token: int) -> str:
        if token == self.padding_token:
            return PAD
        if token == self.mask_token:
            return MASK
        return self.chars[token - 2]


def split(ids: torch.Tensor, valid_fraction: float) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""The first $1 - $ `valid_fraction` of the tokens train, the rest validate."""
    n_train = int(len(ids) * (1 - valid_fraction))
    return ids[:n_train], ids[n_train:]


def random_windows(ids: torch.Tensor, batch_size: int, seq_len: int,
                   generator: torch.Generator) -> torch.Tensor:
    r"""
    ## A batch of random windows
    """
    starts = torch.randint(0, len(ids) - seq_len + 1, (batch_size,), generator=generator)
    # Every start plus $0 \dots T - 1$ indexes one window
    return ids[starts[:, None] + torch.arange(seq_len)]  # [batch_size, seq_len]


def sample_lines(text: str, vocabulary: CharVocabulary, n_valid: int,
                 seq_len: int) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    r"""
    Three fixed validation lines, `(masked, original)`, to show guesses.
    """
    start = len(text) - n_valid
    lines = []
    generator = torch.Generator().manual_seed(7)
    for k in range(3):
        offset = start + k * n_valid // 3
        window = vocabulary.encode(text[offset:offset + seq_len])
        if len(window) < seq_len:
            break
        selected = torch.rand(seq_len, generator=generator) < 0.15
        masked = window.clone()
        masked[selected] = vocabulary.mask_token
        lines.append((masked, window))
    return lines


def sample_guesses(model, samples, vocabulary: CharVocabulary, device
                   ) -> List[List[Tuple[str, bool, bool]]]:
    r"""
    ## Live samples
    Each sample line as `(shown, hidden, right)` per character: the model's top guess where a
    character was hidden (green when right, red when not), the character itself elsewhere
    (grey).
    """
    lines = []
    for masked, original in samples:
        guesses = model(masked[None].to(device))[0].argmax(-1).cpu()  # [seq_len]
        lines.append([(vocabulary.decode_token(g if m == vocabulary.mask_token else o),
                       m == vocabulary.mask_token, g == o)
                      for m, o, g in zip(masked.tolist(), original.tolist(), guesses.tolist())])
    return lines


def curriculum_length(c, step: int) -> int:
    r"""
    ## A curriculum of window lengths

    With `curriculum_steps` > 0, windows start at `curriculum_start_len` and double in equal
    stages to `seq_len`, in larger batches. Attention costs $T^2$, so early steps are cheap,
    and spelling comes before long contexts.
    """
    if c.curriculum_steps == 0 or step >= c.curriculum_steps:
        return c.seq_len
    stages = int(math.log2(c.seq_len // c.curriculum_start_len)) + 1
    return c.curriculum_start_len * 2 ** (step * (stages - 1) // c.curriculum_steps)


def check_curriculum(seq_len: int, start_len: int, steps: int) -> None:
    r"""Doubling must arrive at `seq_len` exactly; raises `ValueError` if it can't."""
    ratio = seq_len / start_len
    if steps and (ratio < 1 or ratio != 2 ** round(math.log2(ratio))):
        raise ValueError(f"curriculum_start_len={start_len}: seq_len={seq_len} must be it times "
                         f"a power of 2 (e.g. 16 and 128)")


def check_fits(text: str, seq_len: int, valid_fraction: float,
               resumed_chars: Optional[str] = None) -> None:
    r"""
    Each split must hold a window; a resumed run needs its own characters.
    """
    chars = CharVocabulary.from_text(text).chars
    if resumed_chars is not None and resumed_chars != chars:
        raise DataError(f"--resume: the checkpoint's vocabulary ({len(resumed_chars)} characters) "
                        f"differs from this data's ({len(chars)}); resume with the --data the run "
                        f"was trained on")
    needed = math.ceil(seq_len / valid_fraction) + seq_len
    if len(text) < needed:
        raise DataError(f"the text has {len(text)} characters, too short for seq_len={seq_len} "
                        f"with valid_fraction={valid_fraction}; give at least {needed} characters "
                        f"or a smaller seq_len")

# ## Measured
#
# On three seeds, a 600-step curriculum to a final length of 128 reached 40% validation
# accuracy in 101–104 seconds and ended at 51.4–53.6% after 1,500 steps; without it the model
# ended at 22.7–35.9% and never reached 40%
# ([the benchmark](../../bench/results/curriculum.html)).
