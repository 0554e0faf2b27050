r"""
---
title: Finding the training text - Tiny Shakespeare from a named copy, the cache or the network, and an offline corpus
summary: Where an experiment's text comes from - a user's file, Tiny Shakespeare checked against its SHA-256 (from the copy a variable names, the cache, or a download), or the standard library's docstrings when there is no copy and no network; and one clear line for each way a source can be wrong.
---

# Finding the training text

*Part of the [machinery behind the lessons](index.html).*

The [data page](../transformers/mlm/data.html) turns a text into tokens; this module finds
the text. `load_corpus(data)` takes the experiment's `--data` value:

1. a path: any UTF-8 text file;
2. `tiny_shakespeare`, or nothing: Tiny Shakespeare, from the first of
   * the copy that `$LABML_NN_TINY_SHAKESPEARE` names,
   * the cache, `~/.cache/labml_nn/tiny_shakespeare.txt` (or under `$XDG_CACHE_HOME`),
   * a download from the char-rnn repository, kept in the cache;
3. `stdlib_docstrings`: the **offline corpus**, the docstrings of the Python standard library
   installed with the interpreter.

Every copy of Tiny Shakespeare is checked against the SHA-256 of the real file, so a truncated
or altered one is never trained on.

## A source the user named is never replaced

A run that trains on something other than what its user asked for looks like it worked. So
each way a source can be wrong is one line on stderr and exit status 2, naming the source and
saying how to fix it:

* `--data PATH` that is missing, a folder, empty, binary or not UTF-8;
* `$LABML_NN_TINY_SHAKESPEARE` naming a missing file, or one that is not Tiny Shakespeare;
* a cached copy that fails its checksum, when no good copy can be downloaded to replace it
  (with a network, the bad copy is named and downloaded again; it is replaced only once the
  new one has passed its check);
* a download that is not Tiny Shakespeare (a proxy's page, say);
* `--data tiny_shakespeare` on a machine with no copy and no network.

Only when nothing was named, no copy is anywhere and there is no network does the run fall
back: it says so in one line, names the corpus it uses instead and how to give it Tiny
Shakespeare, and trains on the offline corpus. That corpus is English prose about code, a
different task from Shakespeare, but it means the experiment always runs. Checkpoints record
the corpus's name, so a run resumes on the text it was trained on.
"""

import ast
import hashlib
import os
import sys
import sysconfig
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

from labml_nn.helpers.cli import UserError
from labml_nn.helpers.files import atomic_write

# The canonical copy, and the SHA-256 of its 1,115,394 bytes
TINY_SHAKESPEARE_URL = ('https://raw.githubusercontent.com/karpathy/char-rnn/master/'
                        'data/tinyshakespeare/input.txt')
TINY_SHAKESPEARE_SHA256 = '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed'
# An environment variable may point at a local copy (tests and offline machines use it)
LOCAL_COPY_VARIABLE = 'LABML_NN_TINY_SHAKESPEARE'
# The names `--data` accepts for the built-in corpora
TINY_SHAKESPEARE, STDLIB_DOCSTRINGS = 'tiny_shakespeare', 'stdlib_docstrings'


class DataError(UserError):
    r"""A problem with the training text, worded for the user (one line)."""


def cache_dir() -> Path:
    r"""Where downloads are kept: `$XDG_CACHE_HOME/labml_nn`, by default `~/.cache/labml_nn`."""
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(Path.home(), '.cache')
    return Path(base) / 'labml_nn'


def cached_copy() -> Path:
    return cache_dir() / 'tiny_shakespeare.txt'


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def where_to_put_tiny_shakespeare() -> str:
    r"""The routes to a local copy, for the messages shown when the download is impossible."""
    return f"--data PATH, a copy at {cached_copy()}, or ${LOCAL_COPY_VARIABLE}=PATH"


def read_checked(path: Path, name: str, fix: str) -> bytes:
    r"""
    The bytes of a file that should be text. `name` is how the message names the source
    (`--data x.txt`), `fix` what it suggests. Every way the file can be unusable gets its own
    message.
    """
    if not path.exists():
        raise DataError(f"{name}: no such file; {fix}")
    if not path.is_file():
        raise DataError(f"{name}: not a regular file; {fix}")
    raw = path.read_bytes()
    if not raw:
        raise DataError(f"{name}: the file is empty; {fix}")
    # A NUL byte never occurs in text, and is the surest sign of a binary file
    if b'\x00' in raw:
        raise DataError(f"{name}: looks like a binary file (it contains NUL bytes); {fix}")
    return raw


def read_text_file(path: Path) -> str:
    r"""A user's `--data` file, as text."""
    raw = read_checked(path, f"--data {path}", "give the path of a UTF-8 text file")
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as e:
        raise DataError(f"--data {path}: not valid UTF-8 (bad byte at offset {e.start}); "
                        f"convert it, e.g. with iconv -t UTF-8") from None


def download(timeout: float) -> Optional[bytes]:
    r"""The bytes at the canonical address, or `None` when there is no network."""
    try:
        with urllib.request.urlopen(TINY_SHAKESPEARE_URL, timeout=timeout) as response:
            return response.read()
    except (OSError, ValueError):
        # `URLError`, timeouts and refused connections are all `OSError`s
        return None


def find_tiny_shakespeare(timeout: float = 20.0) -> Optional[str]:
    r"""
    ## Tiny Shakespeare, from a named copy, the cache or the network

    Returns the text, or `None` only when there is no copy anywhere and no network. A named
    copy that is wrong, or a cached one that is corrupt and can't be replaced, is a
    `DataError`: it is never passed over for the next source.
    """
    named = os.environ.get(LOCAL_COPY_VARIABLE)
    if named:
        name = f"${LOCAL_COPY_VARIABLE}={named}"
        fix = f"point it at a copy of Tiny Shakespeare ({TINY_SHAKESPEARE_URL}) or unset it"
        raw = read_checked(Path(named).expanduser(), name, fix)
        if sha256_of(raw) != TINY_SHAKESPEARE_SHA256:
            raise DataError(f"{name}: not Tiny Shakespeare (its SHA-256 differs from the real "
                            f"file's); {fix}; for another text use --data PATH")
        return raw.decode('utf-8')

    cached = cached_copy()
    corrupt = False
    if cached.is_file():
        raw = cached.read_bytes()
        if sha256_of(raw) == TINY_SHAKESPEARE_SHA256:
            return raw.decode('utf-8')
        corrupt = True
        print(f"The cached copy of Tiny Shakespeare at {cached} is corrupt (its SHA-256 differs "
              f"from the real file's); downloading it again.", flush=True)

    raw = download(timeout)
    if raw is None and corrupt:
        raise DataError(f"the cached copy of Tiny Shakespeare at {cached} is corrupt (its SHA-256 "
                        f"differs from the real file's) and can't be downloaded again (offline?); "
                        f"replace it with a good copy or delete it, or use --data PATH or "
                        f"${LOCAL_COPY_VARIABLE}=PATH")
    if raw is None:
        return None
    if sha256_of(raw) != TINY_SHAKESPEARE_SHA256:
        raise DataError(f"the download from {TINY_SHAKESPEARE_URL} is not Tiny Shakespeare "
                        f"(its SHA-256 differs from the real file's: a proxy's page?); nothing was "
                        f"saved; give a copy with {where_to_put_tiny_shakespeare()}")
    # Written atomically: the old file (a corrupt one too) stays until the new one is whole
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


def load_corpus(data: Optional[str], needed_by: Optional[str] = None) -> Tuple[str, str]:
    r"""
    ## Choosing the text

    Returns `(text, name)`. `data` is the `--data` value: a file, one of the two names, or
    `None` for Tiny Shakespeare with the fallback. `needed_by` says who needs Tiny Shakespeare
    itself (fine-tuning a model pre-trained on it, say): then there is no fallback, and the
    error, when there is no copy and no network, starts with it.
    """
    if data == STDLIB_DOCSTRINGS:
        return stdlib_docstrings(), STDLIB_DOCSTRINGS
    if data not in (None, TINY_SHAKESPEARE):
        path = Path(data).expanduser()
        return read_text_file(path), str(path)
    text = find_tiny_shakespeare()
    if text is not None:
        return text, TINY_SHAKESPEARE
    if data == TINY_SHAKESPEARE or needed_by:
        raise DataError(f"{needed_by or f'--data {TINY_SHAKESPEARE}'}: Tiny Shakespeare is not on "
                        f"this machine and the run can't download it (offline?); give it with "
                        f"{where_to_put_tiny_shakespeare()}")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    print(f"No copy of Tiny Shakespeare on this machine and no network: training on the offline "
          f"corpus instead, the docstrings of Python {version}'s standard library "
          f"(--data {STDLIB_DOCSTRINGS}). For Shakespeare, give a copy with "
          f"{where_to_put_tiny_shakespeare()}.", flush=True)
    return stdlib_docstrings(), STDLIB_DOCSTRINGS


# What `--help` says about `--data`
DATA_HELP = (f"train on this UTF-8 text file; '{TINY_SHAKESPEARE}' (the default, downloaded once "
             f"into ~/.cache/labml_nn/ or read from ${LOCAL_COPY_VARIABLE}) or "
             f"'{STDLIB_DOCSTRINGS}' (the offline fallback: the Python standard library's "
             f"docstrings) name the built-in corpora")
