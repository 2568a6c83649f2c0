"""Background counts: how common a shingle or a name is in a broad corpus of ordinary code, shipped with copyguard.

An index's source-count table (``df``) knows what is common only among its own sources: in an index of a dozen
files every shingle and every name is rare, so an argument pass-through wrapper or an ``if x is None: return``
guard reads as a copy of the one protected file that holds it, where an index of a thousand files would call it
boilerplate. The background table gives a small index that knowledge: how many files of a named public corpus
(``bench/background.py`` builds it: the CPython standard library, the JavaScript packages of the benchmark's
node tools, packages of OpenJDK 17's ``java.base``) hold each key of the count table (shingle, identifier,
literal, kept name), kept only for keys at least ``MIN_COUNT`` files hold (a file's own rare names are never in
it, so copying a file of that corpus is no harder to see), keys cut to their high 32 bits, counts capped at 255.

A check raises the indexes' own count of each output shingle to its background count where they hold it, for
the boilerplate cap alone (``Guard.capped``, ``candidates.boilerplate_mask``): a shingle more files of the corpus
hold than ``Policy.max_shingle_sources`` is boilerplate in any index. A shingle no indexed source holds stays 0,
and the larger of the two counts is taken, so an index holding the corpus's own files does not count them twice
(in an index of more than 4,250 live sources the share cap is above every background count). Rarity weights,
held sources and the name, literal and kept-name weights keep the indexes' own counts: raising those too lost
tool-renamed copies on the tuning group (docs/parameters.md, ``background_counts``). The background is
counted, never reported: it names no source. It is static, so it holds under ``index add`` / ``remove`` /
``compact``. A table made by another normalizer, other grammar versions or other shingle sizes is ignored
(``load``), as is a missing one. Off by default (``Policy.background_counts = true`` turns it on): measured on
bench/accuracy/smallindex.py it removes 14 of 16 false alarms of 10-file indexes for one copy of 1,381 lost,
and on the whole-library tuning indexes it cost one Python truncated-5 copy (docs/parameters.md).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from ..params import Params

FILE = Path(__file__).with_name("data") / "background.npz"
# A key fewer files of the corpus hold is left out of the table.
MIN_COUNT = 3
_CAP = 255
_SHIFT = np.uint64(32)


class Background:
    """The background table: sorted distinct 32-bit key prefixes and how many corpus files hold each (uint8)."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, meta: dict) -> None:
        self.keys = np.ascontiguousarray(keys, dtype=np.uint32)
        self.counts = np.ascontiguousarray(counts, dtype=np.uint8)
        self.meta = meta

    def counts_of(self, keys: np.ndarray) -> np.ndarray:
        """How many corpus files hold each count-table key (int64 per key; 0 when it is not in the table).

        >>> b = Background(np.array([1, 5], np.uint32), np.array([3, 200], np.uint8), {})
        >>> b.counts_of(np.array([5 << 32 | 7, 2 << 32, 1 << 32], np.uint64)).tolist()
        [200, 0, 3]
        """
        prefix = (np.asarray(keys, dtype=np.uint64) >> _SHIFT).astype(np.uint32)
        at = np.searchsorted(self.keys, prefix)
        at[at == self.keys.shape[0]] = 0
        hit = self.keys[at] == prefix if self.keys.shape[0] else np.zeros(prefix.shape[0], dtype=bool)
        return np.where(hit, self.counts[at] if self.keys.shape[0] else 0, 0).astype(np.int64)

    def added(self, own: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """``own`` (the indexes' counts of ``keys``), raised to the background's where ``own`` is above 0.

        The larger of the two, not their sum: an index that holds the corpus's files itself (the standard
        library indexed) would count them twice, and a large index's own counts already know its boilerplate.
        """
        own = np.asarray(own, dtype=np.int64)
        held = own > 0
        if not held.any():
            return own
        out = own.copy()
        out[held] = np.maximum(out[held], self.counts_of(np.asarray(keys, dtype=np.uint64)[held]))
        return out


def table(keys: np.ndarray, counts: np.ndarray, meta: dict) -> Background:
    """The table from a corpus's whole count table (``keys`` uint64 distinct, ``counts`` files per key): keys at
    least ``MIN_COUNT`` files hold, cut to 32 bits (two keys with one prefix keep the larger count), capped."""
    keys = np.asarray(keys, dtype=np.uint64)
    counts = np.asarray(counts, dtype=np.int64)
    keep = counts >= MIN_COUNT
    prefix = (keys[keep] >> _SHIFT).astype(np.uint32)
    c = np.minimum(counts[keep], _CAP)
    order = np.lexsort((-c, prefix))  # per prefix, the largest count first
    prefix, c = prefix[order], c[order]
    first = np.ones(prefix.shape[0], dtype=bool)
    first[1:] = prefix[1:] != prefix[:-1]
    return Background(prefix[first], c[first].astype(np.uint8), {**meta, "min_count": MIN_COUNT})


def save(bg: Background, path: str | Path) -> None:
    """Write ``bg`` (keys as deltas, which compress; the metadata as JSON)."""
    deltas = np.diff(bg.keys, prepend=np.uint32(0)).astype(np.uint32)
    meta = np.frombuffer(json.dumps(bg.meta, sort_keys=True).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez_compressed(f, deltas=deltas, counts=bg.counts, meta=meta)


def read(path: str | Path) -> Background:
    with np.load(path, allow_pickle=False) as z:
        keys = np.cumsum(z["deltas"].astype(np.uint64)).astype(np.uint32)
        return Background(keys, z["counts"], json.loads(z["meta"].tobytes().decode()))


def stamp(params: Params) -> dict:
    """What the table's keys depend on: the normalizer and grammar versions, the shingle sizes."""
    from ..normalize import versions

    return {"versions": versions(), "shingle_code": params.shingle_code, "shingle_prose": params.shingle_prose}


_LOCK = threading.Lock()
_LOADED: dict[tuple, Background | None] = {}


def load(params: Params, path: str | Path | None = None) -> Background | None:
    """The shipped table if it was made for ``params``' shingle sizes and this normalizer (else None), read once
    per process."""
    path = Path(path) if path is not None else FILE
    key = (str(path), params.shingle_code, params.shingle_prose)
    with _LOCK:
        if key not in _LOADED:
            bg = None
            try:
                bg = read(path) if path.exists() else None
            except (OSError, ValueError, KeyError):
                bg = None
            if bg is not None:
                want = stamp(params)
                if any(bg.meta.get(k) != v for k, v in want.items()):
                    bg = None
            _LOADED[key] = bg
        return _LOADED[key]
