r"""
---
title: Writing a file so that a crash never leaves half of it
summary: One atomic_write for every file this package writes that must survive a crash - checkpoints, the downloaded corpus and the labml app's store.
---

# Writing files atomically

*Part of the [machinery behind the lessons](index.html).*

A program that opens a file for writing *truncates* it first and then writes the new bytes.
Killed in between (Ctrl-C twice, SIGKILL, a full disk, a power cut), it leaves an empty or
half-written file under the real name: a checkpoint that can't be loaded, a corpus that fails
its checksum, a store that the labml app can't read back. The old contents are gone too.

The cure is to never write into the file that readers use:

1. write the new bytes to a temporary file **in the same folder**,
2. `fsync` it, so the bytes are on disk before anything points at them,
3. `os.replace` it over the real name: a rename within one file system, which POSIX makes
   atomic, so a reader (even after a crash) sees the whole old file or the whole new one,
4. `fsync` the folder, so that the rename itself is on disk.

Three parts of the package write this way: [checkpoints](checkpoint.html), the cached
[Tiny Shakespeare](corpus.html) download, and the
[labml app's file store](../app/store.html).
"""

import os
from pathlib import Path

# Temporary files start with this prefix. The app's store lists its records by file name, and
# its names start with a letter, so a temporary file is never mistaken for a record.
TMP_PREFIX = '.tmp-'


def atomic_write(path: Path, data: bytes) -> None:
    r"""
    Replace the file at `path` with `data`: whatever happens, `path` then holds either its old
    contents or all of `data`.
    """
    path = Path(path)
    # The process id keeps two writers (a server and a repair script, say) from sharing a
    # temporary file
    tmp = path.parent / f'{TMP_PREFIX}{path.name}.{os.getpid()}'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            # `os.write` may write fewer bytes than asked: loop until all are written
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            # The contents are durable before the rename makes them visible
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        # A failed write (disk full, say) leaves no temporary file behind; the old file is
        # untouched and the error still reaches the caller
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    r"""Flush a folder's entries (the rename just made) to disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
