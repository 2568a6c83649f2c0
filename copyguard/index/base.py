"""Declared base code on disk: the shingles of the starter code every answer is expected to contain.

A user declares base code (``copyguard index build --base DIR``): a template
or starter file handed to everyone, as JPlag's ``-bc``. Its shingles (both
channels: code, and the words in code) are one sorted ``uint64`` array in
``base/<generation>.<tag>.npy``; the manifest names that file with its size,
checksum, shingle count and the ids of the base files. Like a tombstone, a
change writes a complete new file and the manifest switches to it, so the
base code changes atomically with the rest; segments never hold it, so
``add``, ``remove`` and ``compact`` keep it as it is.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> entry = write_base(root, np.array([9, 3, 3], np.uint64), ["starter.py"], 1)
>>> load_base(root, entry).tolist(), entry.shingles, entry.sources
([3, 9], 2, ('starter.py',))
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from .arrays import sorted_unique
from .fsutil import move_into_place, new_tmp_dir, remove_path
from .integrity import check_name, digest_file

BASE = "base"
EMPTY = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class BaseEntry:
    """The manifest's record of the declared base code: its file, size, checksum, shingle count and files."""

    file: str
    size: int
    digest: str
    shingles: int
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.file, "base code file")
        object.__setattr__(self, "sources", tuple(self.sources))
        if not isinstance(self.size, int) or not isinstance(self.shingles, int) or not isinstance(self.digest, str):
            raise ValueError("base code record is not {file, size, digest, shingles, sources}")

    def to_dict(self) -> dict:
        return {"file": self.file, "size": self.size, "digest": self.digest, "shingles": self.shingles,
                "sources": list(self.sources)}


def write_base(root: Path, shingles: np.ndarray, sources: list[str] | tuple[str, ...], generation: int) -> BaseEntry:
    """Write the sorted distinct ``shingles`` as a new base file of ``root`` and return its manifest entry."""
    values = sorted_unique(np.asarray(shingles, dtype=np.uint64))
    name = f"{generation:06d}.{uuid.uuid4().hex[:8]}.npy"
    tmp = new_tmp_dir(root)
    try:
        with open(tmp / name, "xb") as f:
            np.save(f, values, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        (root / BASE).mkdir(exist_ok=True)
        size, digest = (tmp / name).stat().st_size, digest_file(tmp / name)
        move_into_place(tmp / name, root / BASE / name)
    finally:
        remove_path(tmp)
    return BaseEntry(name, size, digest, int(values.shape[0]), tuple(dict.fromkeys(sources)))


def base_problems(root: Path, entry: BaseEntry | None) -> list[str]:
    """What is wrong with the base file ``entry`` names (missing, other size, other checksum); [] when fine."""
    if entry is None:
        return []
    path = root / BASE / entry.file
    try:
        size = path.stat().st_size
    except OSError as err:
        return [f"{path}: base code file missing or unreadable ({err.strerror})"]
    if size != entry.size:
        return [f"{path}: {size:,} bytes, the manifest recorded {entry.size:,}"]
    if digest_file(path) != entry.digest:
        return [f"{path}: checksum mismatch (the file is damaged)"]
    return []


def load_base(root: Path, entry: BaseEntry | None) -> np.ndarray:
    """The sorted base shingles ``entry`` names (checked against its checksum); empty when there is none."""
    if entry is None:
        return EMPTY
    problems = base_problems(root, entry)
    if problems:
        raise IndexStoreError(f"{problems[0]}; run `copyguard index verify --index {root}`")
    try:
        values = np.load(root / BASE / entry.file, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise IndexStoreError(f"{root / BASE / entry.file}: damaged base code file ({err})") from None
    if values.dtype != np.uint64 or values.ndim != 1 or values.shape[0] != entry.shingles:
        raise IndexStoreError(f"{root / BASE / entry.file}: not the base code the manifest recorded")
    return values
