r"""
---
title: Data - Tiny Shakespeare, characters as tokens, and an offline fallback
summary: Downloading and checking the corpus, building a character vocabulary with [PAD] and [MASK], the random windows that make a training batch, and a curriculum of growing sequence lengths.
---

# The data

The experiment trains on **Tiny Shakespeare**, about a million characters of the plays,
collected by Andrej Karpathy for char-rnn. It is small enough to train on in minutes and
large enough that a model has to learn spelling, words and a little grammar to predict a
hidden character.

## Characters as tokens

Each character is a token. The vocabulary is the sorted set of characters in the corpus
(65 for Tiny Shakespeare) after two special tokens: `[PAD]` (id 0), which the labels use
for "nothing to predict here", and `[MASK]` (id 1). A character-level model needs no
tokenizer library and its guesses are easy to read, one character per `[MASK]`.

## Where the text comes from

1. `--data PATH` uses any UTF-8 text file.
2. Otherwise Tiny Shakespeare is read from a copy named by `$LABML_NN_TINY_SHAKESPEARE`, from
   the cache (`~/.cache/labml_nn/tiny_shakespeare.txt`, or under `$XDG_CACHE_HOME`), or
   downloaded from the char-rnn repository into the cache. Every copy is checked against the
   SHA-256 of the real file, so a truncated or altered one is never used. On a machine with
   no network, put a copy at one of those places, or give its path with `--data`.
3. If none of that works, the run says so in one line and trains on an **offline corpus**:
   the docstrings of the Python standard library installed with the interpreter, read from
   the source files without importing them. It is English prose about code, a different task
   from Shakespeare, but it means the experiment always runs.

The two built-in corpora have names that `--data` accepts: `--data tiny_shakespeare` (never
the fallback: an error when it can't be had) and `--data stdlib_docstrings`. Checkpoints
record the name, so a run resumes on the text it was trained on.

The text is split once: the first 90% of characters train, the last 10% validate.
"""

import ast
import hashlib
import math
import os
import sysconfig
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

import torch

from labml_nn.helpers.cli import UserError
from labml_nn.helpers.files import atomic_write

# The canonical copy, and the SHA-256 of its 1,115,394 bytes
TINY_SHAKESPEARE_URL = ('https://raw.githubusercontent.com/karpathy/char-rnn/master/'
                        'data/tinyshakespeare/input.txt')
TINY_SHAKESPEARE_SHA256 = '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed'
# An environment variable may point at a local copy (tests and offline machines use it)
LOCAL_COPY_VARIABLE = 'LABML_NN_TINY_SHAKESPEARE'

PAD, MASK = '[PAD]', '[MASK]'
# The names `--data` accepts for the built-in corpora
TINY_SHAKESPEARE, STDLIB_DOCSTRINGS = 'tiny_shakespeare', 'stdlib_docstrings'


class DataError(UserError):
    r"""A problem with the training text, worded for the user (one line)."""


def cache_dir() -> Path:
    r"""Where downloads are kept: `$XDG_CACHE_HOME/labml_nn`, by default `~/.cache/labml_nn`."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(Path.home(), '.cache')
    return Path(base) / 'labml_nn'


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_text_file(path: Path) -> str:
    r"""
    ## Reading a user's text file

    Every way a file can be unusable gets its own message, naming the file and saying what
    to do.
    """
    if not path.exists():
        raise DataError(f"--data {path}: no such file; give the path of a UTF-8 text file")
    if not path.is_file():
        raise DataError(f"--data {path}: not a regular file; give the path of a UTF-8 text file")
    raw = path.read_bytes()
    if not raw:
        raise DataError(f"--data {path}: the file is empty; give a text file with some content")
    # A NUL byte never occurs in text, and is the surest sign of a binary file
    if b'\x00' in raw:
        raise DataError(f"--data {path}: looks like a binary file (it contains NUL bytes); "
                        f"give a UTF-8 text file")
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as e:
        raise DataError(f"--data {path}: not valid UTF-8 (bad byte at offset {e.start}); "
                        f"convert it, e.g. with iconv -t UTF-8") from None


def download_tiny_shakespeare(timeout: float = 20.0) -> Optional[str]:
    r"""
    ## Tiny Shakespeare, from a local copy, the cache or the network

    Returns the text, or `None` when it can't be had (no network, a bad download).
    """
    # A local copy named by the environment, used only if it is the real thing
    local = os.environ.get(LOCAL_COPY_VARIABLE)
    if local and Path(local).is_file():
        raw = Path(local).read_bytes()
        if sha256_of(raw) == TINY_SHAKESPEARE_SHA256:
            return raw.decode('utf-8')

    cached = cache_dir() / 'tiny_shakespeare.txt'
    if cached.is_file():
        raw = cached.read_bytes()
        if sha256_of(raw) == TINY_SHAKESPEARE_SHA256:
            return raw.decode('utf-8')

    try:
        with urllib.request.urlopen(TINY_SHAKESPEARE_URL, timeout=timeout) as response:
            raw = response.read()
    except (OSError, ValueError):
        # `URLError`, timeouts and refused connections are all `OSError`s
        return None
    if sha256_of(raw) != TINY_SHAKESPEARE_SHA256:
        return None
    # Written atomically: a partial file is never left under the final name
    cached.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(cached, raw)
    return raw.decode('utf-8')


def stdlib_docstrings(limit: int = 1_200_000) -> str:
    r"""
    ## The offline corpus

    Docstrings of the standard library's modules, classes and functions, parsed with `ast`
    from the installed sources (nothing is imported), in a fixed order so that every machine
    with the same Python builds the same corpus. Stops after about `limit` characters.
    """
    root = Path(sysconfig.get_paths()['stdlib'])
    parts: List[str] = []
    size = 0
    for path in sorted(root.rglob('*.py')):
        relative = path.relative_to(root).parts
        # Tests and third-party packages are not the library's prose
        if relative[0] in ('site-packages', 'test', 'idlelib', 'lib2to3') or 'tests' in relative:
            continue
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 40:
                    parts.append(doc)
                    size += len(doc) + 2
        if size >= limit:
            break
    return '\n\n'.join(parts)


def where_to_put_tiny_shakespeare() -> str:
    r"""The routes to a local copy, for messages shown when the download is impossible."""
    return (f"--data PATH, a copy at {cache_dir() / 'tiny_shakespeare.txt'}, or "
            f"${LOCAL_COPY_VARIABLE}=PATH")


def load_corpus(data: Optional[str]) -> Tuple[str, str]:
    r"""
    ## Choosing the text

    Returns `(text, name)`. `data` is the `--data` value: a file, one of the two names, or
    `None` for Tiny Shakespeare with the fallback.
    """
    if data == STDLIB_DOCSTRINGS:
        return stdlib_docstrings(), STDLIB_DOCSTRINGS
    if data not in (None, TINY_SHAKESPEARE):
        path = Path(data).expanduser()
        return read_text_file(path), str(path)
    text = download_tiny_shakespeare()
    if text is not None:
        return text, TINY_SHAKESPEARE
    if data == TINY_SHAKESPEARE:
        raise DataError(f"--data {TINY_SHAKESPEARE}: can't download it (offline?); use "
                        f"{where_to_put_tiny_shakespeare()}")
    print(f"Could not download Tiny Shakespeare (offline?); training on the Python standard library's "
          f"docstrings instead (--data {STDLIB_DOCSTRINGS}). For Shakespeare use {where_to_put_tiny_shakespeare()}.",
          flush=True)
    return stdlib_docstrings(), STDLIB_DOCSTRINGS


# What `--help` says about `--data`
DATA_HELP = (f"train on this UTF-8 text file; '{TINY_SHAKESPEARE}' (the default, downloaded once into "
             f"~/.cache/labml_nn/ or read from ${LOCAL_COPY_VARIABLE}) or '{STDLIB_DOCSTRINGS}' (the offline "
             f"fallback: the Python standard library's docstrings) name the built-in corpora")


class CharVocabulary:
    r"""
    ## Characters ↔ token ids

    `chars` is the string of the vocabulary's characters in id order, after `[PAD]` and
    `[MASK]`. It is saved in checkpoints, so a model is always read with its own vocabulary.
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
        r"""The characters of `text` that are not in the vocabulary, each once, in order."""
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

    `batch_size` windows of `seq_len` consecutive tokens, each starting at a uniformly random
    offset. Sampling windows instead of walking through the text in order means there is no
    epoch boundary to save or restore: the generator's state is the data loader's whole state.
    Returns `[batch_size, seq_len]`.
    """
    starts = torch.randint(0, len(ids) - seq_len + 1, (batch_size,), generator=generator)
    # Every start plus $0 \dots \text{seq\_len} - 1$ indexes one window
    return ids[starts[:, None] + torch.arange(seq_len)]  # [batch_size, seq_len]


def sample_lines(text: str, vocabulary: CharVocabulary, n_valid: int,
                 seq_len: int) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    r"""
    Three lines from the last `n_valid` characters (the validation text), each as
    `(masked, original)` with fixed positions replaced by `[MASK]`: the experiment shows the
    model's guesses for them as it trains.
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


def curriculum_length(c, step: int) -> int:
    r"""
    ## A curriculum of sequence lengths

    With `curriculum_steps` > 0 a run starts on sequences of `curriculum_start_len` and
    doubles their length in equal stages until it reaches `seq_len` after `curriculum_steps`
    steps; the experiment gives batches of shorter sequences proportionally more of them, so
    every step trains on as many tokens. Attention costs grow with the square of the length,
    so the early steps are cheaper, and the model learns spelling and common words before it
    has to use long contexts. At a final length of 128, a 600-step curriculum reached 40%
    validation accuracy in 101–104 seconds and 51.4–53.6% after 1,500 steps on three seeds;
    without it the model ended at 22.7–35.9% and never reached 40%
    ([recorded](../../bench/results/curriculum.html)).

    `c` holds the experiment's configs; returns the sequence length at `step`.
    """
    if c.curriculum_steps == 0 or step >= c.curriculum_steps:
        return c.seq_len
    stages = int(math.log2(c.seq_len // c.curriculum_start_len)) + 1
    return c.curriculum_start_len * 2 ** (step * (stages - 1) // c.curriculum_steps)


def check_curriculum(seq_len: int, start_len: int, steps: int) -> None:
    r"""Doubling must arrive at `seq_len` exactly; raises `ValueError` if it can't."""
    ratio = seq_len / start_len
    if steps and (ratio < 1 or ratio != 2 ** round(math.log2(ratio))):
        raise ValueError(f"curriculum_start_len={start_len}: seq_len={seq_len} must be it times a power of 2 "
                         f"(e.g. 16 and 128)")


def check_fits(text: str, seq_len: int, valid_fraction: float, resumed_chars: Optional[str] = None) -> None:
    r"""
    The text is long enough for one whole sequence in each split, and, when a run is resumed,
    has the characters its vocabulary was built from.
    """
    chars = CharVocabulary.from_text(text).chars
    if resumed_chars is not None and resumed_chars != chars:
        raise DataError(f"--resume: the checkpoint's vocabulary ({len(resumed_chars)} characters) "
                        f"differs from this data's ({len(chars)}); resume with the --data the run was trained on")
    needed = math.ceil(seq_len / valid_fraction) + seq_len
    if len(text) < needed:
        raise DataError(f"the text has {len(text)} characters, too short for seq_len={seq_len} with "
                        f"valid_fraction={valid_fraction}; give at least {needed} characters or a smaller seq_len")
