"""``--verify``: candidate pairs decided on their exact shingle sets, not on signature estimates.

MinHash estimates Jaccard with a standard error of ``sqrt(J (1 - J) / num_perm)``
(0.044 at J = 0.5 with 128 slots), so pairs near the threshold fall on either
side by chance. With verification, pairs whose signatures agree on at least
``threshold - PREFILTER_MARGIN`` of their slots are kept as candidates and
accepted when the Jaccard of their actual shingle sets reaches the threshold.
The sets cost 8 bytes per distinct shingle of every row in memory.

Exact Jaccard of many pairs at once, with no loop over pairs: both sets of
every pair are laid side by side tagged with the pair's number, sorted by
``(pair, shingle)``; a shingle in both sets is an equal neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PREFILTER_MARGIN = 0.1  # signature agreement below the threshold still checked on the sets
_CHUNK = 1 << 22  # shingles of the pairs compared at once


@dataclass(frozen=True)
class ShingleSets:
    """The distinct shingles of every row: row ``i`` holds ``hashes[offsets[i]:offsets[i + 1]]``, sorted."""

    hashes: np.ndarray
    offsets: np.ndarray

    @classmethod
    def build(cls, parts: list[tuple[np.ndarray, np.ndarray]], n: int) -> ShingleSets:
        """From ``(hashes, row)`` parts (rows numbered over the whole dataset) of ``n`` rows.

        >>> s = ShingleSets.build([(np.array([5, 3, 5], np.uint64), np.array([0, 0, 1]))], 2)
        >>> s.hashes.tolist(), s.offsets.tolist()
        ([3, 5, 5], [0, 2, 3])
        """
        h = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.uint64)
        r = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        order = np.lexsort((h, r))
        h, r = h[order], r[order]
        keep = np.ones(h.shape[0], dtype=bool)
        keep[1:] = (h[1:] != h[:-1]) | (r[1:] != r[:-1])
        h, r = h[keep], r[keep]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=n), out=offsets[1:])
        return cls(h, offsets)

    def sizes(self, rows: np.ndarray) -> np.ndarray:
        return self.offsets[rows + 1] - self.offsets[rows]


def _gather(sets: ShingleSets, rows: np.ndarray) -> np.ndarray:
    """The shingles of ``rows`` one after the other."""
    lengths = sets.sizes(rows)
    starts = sets.offsets[rows]
    total = int(lengths.sum())
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return sets.hashes[np.arange(total, dtype=np.int64) + shift]


def exact_jaccard(sets: ShingleSets, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Jaccard similarity of the shingle sets of each pair ``(lo[i], hi[i])`` (0 for two empty sets).

    >>> s = ShingleSets.build([(np.array([1, 2, 3, 1, 2, 4], np.uint64), np.array([0, 0, 0, 1, 1, 1]))], 2)
    >>> exact_jaccard(s, np.array([0]), np.array([1])).tolist()
    [0.5]
    """
    out = np.zeros(lo.shape[0], dtype=np.float64)
    sa, sb = sets.sizes(lo), sets.sizes(hi)
    work = np.cumsum(sa + sb)
    start = 0
    while start < lo.shape[0]:
        stop = max(start + 1, int(np.searchsorted(work, (work[start - 1] if start else 0) + _CHUNK)))
        a, b = lo[start:stop], hi[start:stop]
        m = stop - start
        pid = np.concatenate([np.repeat(np.arange(m), sa[start:stop]), np.repeat(np.arange(m), sb[start:stop])])
        val = np.concatenate([_gather(sets, a), _gather(sets, b)])
        order = np.lexsort((val, pid))
        pid, val = pid[order], val[order]
        both = (pid[1:] == pid[:-1]) & (val[1:] == val[:-1])
        inter = np.bincount(pid[1:][both], minlength=m)
        union = sa[start:stop] + sb[start:stop] - inter
        out[start:stop] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        start = stop
    return out
