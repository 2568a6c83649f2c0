"""Signatures to clusters: LSH band buckets, verified candidate pairs, connected components.

Candidates. Rows sharing a band key fall in one bucket. Inside a bucket,
ordered by row number, each row is paired with the bucket's first row (a
star) and with the row just before it (a chain): 2 pairs per row instead of
all ``s * (s - 1) / 2``, so a bucket of 100,000 exact copies costs 200,000
pairs. A pair is an edge when its signatures agree on at least
``config.min_equal`` slots (estimated Jaccard >= threshold).

Clusters. Connected components of the edges (so clusters are transitive),
labelled by their smallest row number. Everything is whole-array numpy: one
sort per band, then hook-and-compress union-find over the edge arrays.
The Spark engine applies the same rules, so both give the same labels.
"""

from __future__ import annotations

import numpy as np

from ..sketch import band_keys
from .config import DedupConfig
from .signatures import empty_rows
from .verify import ShingleSets, exact_jaccard

_VERIFY_CHUNK = 1 << 16  # pairs compared at once; bounds the (chunk, num_perm) temporaries


def bucket_pairs(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Star and chain pairs ``(lo, hi)`` of one band: ``keys[i]`` is the key of row ``rows[i]``.

    ``rows`` must be ascending, so a stable sort keeps each bucket in row order.

    >>> bucket_pairs(np.array([7, 5, 7, 7], np.uint64), np.arange(4))
    (array([0, 0, 2]), array([2, 3, 3]))
    """
    order = np.argsort(keys, kind="stable")
    k, r = keys[order], rows[order]
    n = k.shape[0]
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = k[1:] != k[:-1]
    pos = np.arange(n)
    first = r[np.maximum.accumulate(np.where(new, pos, 0))]
    member = ~new
    pred = np.empty_like(r)
    pred[1:] = r[:-1]
    chain = member & (pred != first)
    lo = np.concatenate([first[member], pred[chain]]).astype(np.int64)
    hi = np.concatenate([r[member], r[chain]]).astype(np.int64)
    return lo, hi


def candidate_pairs(sigs: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """Distinct candidate pairs ``(lo, hi)``, ``lo < hi``, sorted, from every band; empty rows excluded."""
    live = np.flatnonzero(~empty_rows(sigs))
    keys = band_keys(sigs if live.shape[0] == sigs.shape[0] else sigs[live], config.bands, config.rows)
    n = np.int64(sigs.shape[0])
    codes = []
    for j in range(config.bands):
        lo, hi = bucket_pairs(keys[:, j], live)
        codes.append(lo * n + hi)
    from ..index.arrays import sorted_unique  # not np.unique: numpy 2.3+ hashes, ~40x slower on millions of pairs

    code = sorted_unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    return code // n, code % n


def agreeing(sig_a: np.ndarray, sig_b: np.ndarray, min_equal: int) -> np.ndarray:
    """Mask of row pairs of two signature matrices that agree on at least ``min_equal`` slots."""
    return np.count_nonzero(sig_a == sig_b, axis=1) >= min_equal


def verify(sigs: np.ndarray, lo: np.ndarray, hi: np.ndarray, min_equal: int) -> np.ndarray:
    """Mask of pairs ``(lo[i], hi[i])`` of rows of ``sigs`` that agree on at least ``min_equal`` slots."""
    keep = np.zeros(lo.shape[0], dtype=bool)
    for s in range(0, lo.shape[0], _VERIFY_CHUNK):
        a, b = lo[s : s + _VERIFY_CHUNK], hi[s : s + _VERIFY_CHUNK]
        keep[s : s + _VERIFY_CHUNK] = agreeing(sigs[a], sigs[b], min_equal)
    return keep


def components(n: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes: the smallest node of its connected component.

    >>> components(5, np.array([3, 1]), np.array([4, 3])).tolist()
    [0, 1, 2, 1, 1]
    """
    parent = np.arange(n, dtype=np.int64)
    u, v = lo.astype(np.int64), hi.astype(np.int64)
    while u.shape[0]:
        pu, pv = parent[u], parent[v]
        small, big = np.minimum(pu, pv), np.maximum(pu, pv)
        live = small != big
        if not live.any():
            break
        np.minimum.at(parent, big[live], small[live])  # hook every root onto a smaller root
        while True:  # compress: every node points straight at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
        u, v = u[live], v[live]
    return parent


def cluster(sigs: np.ndarray, config: DedupConfig | None = None, sets: ShingleSets | None = None) -> np.ndarray:
    """Cluster label of each signature row: the smallest row number of its cluster.

    With ``sets`` (``config.verify``), pairs are decided on their exact shingle sets.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [5, 6, 7, 8]], np.uint32)
    >>> from copyguard.params import Params
    >>> cluster(sigs, DedupConfig(params=Params(num_perm=4, bands=2, rows=2), bands=2, rows=2)).tolist()
    [0, 0, 2]
    """
    config = config or DedupConfig()
    lo, hi = candidate_pairs(sigs, config)
    if sets is None:
        ok = verify(sigs, lo, hi, config.min_equal)
        return components(sigs.shape[0], lo[ok], hi[ok])
    ok = verify(sigs, lo, hi, config.prefilter_equal)
    lo, hi = lo[ok], hi[ok]
    ok = exact_jaccard(sets, lo, hi) >= config.threshold
    return components(sigs.shape[0], lo[ok], hi[ok])


def ranks(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cluster_size, rank)`` of each row; rank 0 is the cluster's first row in input order."""
    n = labels.shape[0]
    size = np.bincount(labels, minlength=n)[labels]
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_labels[1:] != sorted_labels[:-1]
    pos = np.arange(n)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = pos - np.maximum.accumulate(np.where(new, pos, 0))
    return size.astype(np.int64), rank
