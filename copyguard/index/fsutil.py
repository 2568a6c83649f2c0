"""Crash-safe file primitives: fsync'd writes, atomic renames, the writer lock.

Every write to an index goes to a fresh directory under ``tmp/``, is fsync'd,
and is renamed into place; the manifest is replaced last. A killed writer
therefore leaves only files no manifest names, which readers never look at.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

LOCK = "lock"
TMP = "tmp"


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file and fsync it."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def save_npy(path: Path, array: np.ndarray) -> None:
    """``np.save`` into a new file, fsync'd; C-contiguous so it can be memory-mapped back."""
    with open(path, "xb") as f:
        np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def replace_file(root: Path, name: str, data: bytes) -> None:
    """Atomically replace ``root/name`` with ``data`` (write ``name.tmp``, fsync, ``os.replace``)."""
    tmp = root / f"{name}.tmp"
    tmp.unlink(missing_ok=True)
    write_bytes(tmp, data)
    os.replace(tmp, root / name)
    fsync_dir(root)


def new_tmp_dir(root: Path) -> Path:
    """A fresh, empty directory under ``root/tmp`` to write a segment or tombstone into."""
    tmp = root / TMP
    tmp.mkdir(exist_ok=True)
    path = tmp / uuid.uuid4().hex
    path.mkdir()
    return path


def move_into_place(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` (same file system) and make both directory entries durable."""
    fsync_dir(src if src.is_dir() else src.parent)
    os.rename(src, dst)
    fsync_dir(dst.parent)


def remove_path(path: Path) -> None:
    """Delete a file or a directory tree; missing is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep(root: Path, keep: dict[str, set[str]]) -> None:
    """Delete every entry of ``root/<folder>`` not in ``keep[folder]``: a killed writer's leftovers, superseded files."""
    for sub, names in keep.items():
        directory = root / sub
        if directory.is_dir():
            for child in directory.iterdir():
                if child.name not in names:
                    remove_path(child)


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the index's exclusive writer lock (``fcntl.flock`` on ``root/lock``); blocks until free."""
    try:
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        from ..errors import IndexStoreError

        raise IndexStoreError(f"{root}: cannot write to this index ({err.strerror}); "
                          f"is it read-only, or owned by another user?") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
