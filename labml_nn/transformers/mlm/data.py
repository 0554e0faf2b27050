r"""
---
title: Data - Tiny Shakespeare, characters as tokens, and an offline fallback
summary: Downloading and checking the corpus, building a character vocabulary with [PAD] and [MASK], and the random windows that make a training batch.
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
2. Otherwise the corpus is read from the cache (`~/.cache/labml_nn/`, or under
   `$XDG_CACHE_HOME`), or downloaded from the char-rnn repository and checked against its
   SHA-256, so a truncated or altered download is never used.
3. If the download is impossible (no network, say), the run prints one line and trains on
   an **offline corpus**: the docstrings of the Python standard library installed with the
   interpreter, read from the source files without importing them. It is English prose
   about code, a different task from Shakespeare, but it means the experiment always runs.

The file is split once: the first 90% of characters train, the last 10% validate.
"""

import ast
import hashlib
import os
import sysconfig
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

import torch

# The canonical copy, and the SHA-256 of its 1,115,394 bytes
TINY_SHAKESPEARE_URL = ('https://raw.githubusercontent.com/karpathy/char-rnn/master/'
                        'data/tinyshakespeare/input.txt')
TINY_SHAKESPEARE_SHA256 = '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed'
# An environment variable may point at a local copy (tests and offline machines use it)
LOCAL_COPY_VARIABLE = 'LABML_NN_TINY_SHAKESPEARE'

PAD, MASK = '[PAD]', '[MASK]'


class DataError(Exception):
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
    # Write the cache atomically: a partial file is never left under the final name
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix('.part')
    tmp.write_bytes(raw)
    os.replace(tmp, cached)
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


def load_corpus(data: Optional[str]) -> Tuple[str, str]:
    r"""
    ## Choosing the text

    Returns `(text, description)`. `data` is the `--data` path, or `None` for the default.
    """
    if data is not None:
        path = Path(data).expanduser()
        return read_text_file(path), str(path)
    text = download_tiny_shakespeare()
    if text is not None:
        return text, 'tiny_shakespeare'
    print("Could not download Tiny Shakespeare (offline?); training on the Python standard "
          "library's docstrings instead. Use --data PATH to train on a file of your own.")
    return stdlib_docstrings(), 'stdlib_docstrings'


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
