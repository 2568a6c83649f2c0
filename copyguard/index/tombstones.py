"""Tombstones: which sources (and so which passages) of an immutable segment are removed.

A tombstone file ``tombstones/<segment>.<generation>.<tag>.npz`` holds two
sorted uint32 arrays, the dead source rows and the dead passage ids of one
segment. Each removal writes a complete new file and the manifest switches to
it, so a segment's tombstones change atomically with the manifest.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from .arrays import sorted_unique
from .fsutil import move_into_place, new_tmp_dir, remove_path
from .integrity import digest_file
from .manifest import SegmentEntry

TOMBSTONES = "tombstones"
_EMPTY = np.zeros(0, dtype=np.uint32)


def load_tombstone(root: Path, entry: SegmentEntry) -> tuple[np.ndarray, np.ndarray]:
    """``(dead source rows, dead passage ids)`` of a segment, both sorted; empty when none."""
    if entry.tombstone is None:
        return _EMPTY, _EMPTY
    path = root / TOMBSTONES / entry.tombstone
    try:
        if digest_file(path) != entry.tombstone_digest:
            raise ValueError("checksum mismatch")
        with np.load(path, allow_pickle=False) as z:
            return z["sources"], z["passages"]
    except (OSError, KeyError, ValueError, EOFError) as err:
        raise IndexStoreError(f"{path}: tombstone file missing or damaged ({err}); "
                          f"run `copyguard index verify --index {root}`") from None


def write_tombstone(root: Path, entry: SegmentEntry, dead_sources: np.ndarray, p_source: np.ndarray,
                    generation: int) -> SegmentEntry:
    """Write a tombstone for ``dead_sources`` (all of them, old and new) and return the updated entry."""
    dead_sources = sorted_unique(np.asarray(dead_sources, dtype=np.uint32))
    dead_passages = np.flatnonzero(np.isin(p_source, dead_sources)).astype(np.uint32)
    name = f"{entry.name}.{generation:06d}.{uuid.uuid4().hex[:8]}.npz"
    tmp = new_tmp_dir(root)
    try:
        with open(tmp / name, "xb") as f:
            np.savez(f, sources=dead_sources, passages=dead_passages)
            f.flush()
            os.fsync(f.fileno())
        (root / TOMBSTONES).mkdir(exist_ok=True)
        digest = digest_file(tmp / name)
        move_into_place(tmp / name, root / TOMBSTONES / name)
    finally:
        remove_path(tmp)
    return replace(entry, tombstone=name, tombstone_digest=digest, dead_sources=int(dead_sources.shape[0]),
                   dead_passages=int(dead_passages.shape[0]))
