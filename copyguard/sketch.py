"""Shingles, MinHash signatures and LSH band keys: a pure numpy core.

Everything works on whole arrays of token hashes. The only Python loops run
over the shingle width ``k`` or the rows of a band (single digits), never over
tokens, shingles or permutations.

Identifiers are renumbered inside every shingle by first occurrence (Baker's
parameterized strings): ``a = a + b`` and ``x = x + y`` give the same shingle,
while ``a = b + a`` does not. A moved declaration or a renamed variable
therefore only changes the shingles it appears in, never the whole file.

Each function here is the reference for its compiled twin in ``_core``
(same name, same bits): when the extension is built and not switched off
(``compiled.core()``), the public function hands its arrays to it.

Signatures follow datasketch's ``affine32`` scheme bit for bit, so
``to_datasketch(sig)`` can be compared with a ``datasketch.MinHash`` built
from the same 32-bit shingle values with the same seed.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .compiled import core
from .normalize.tokens import Kind, Tokens, mix64, placeholder

_U32 = np.uint32
_MAX32 = np.uint32(0xFFFFFFFF)
_POLY = np.uint64(0x9E3779B97F4A7C15)
_ID_LABELS = np.array([placeholder(f"ID{i}") for i in range(64)], dtype=np.uint64)


def shingles(hashes: np.ndarray, kinds: np.ndarray, k: int, names: np.ndarray | None = None) -> np.ndarray:
    """uint64 hash of every run of ``k`` consecutive tokens (``len - k + 1`` of them).

    With ``names`` (the ``exact`` channel), tokens of kind ``IDENT`` are
    replaced by the position of their name's first occurrence in the shingle.
    Without it, ``hashes`` are used as they are (the exact channel).

    >>> import numpy as np
    >>> h = np.arange(10, dtype=np.uint64)
    >>> shingles(h, np.zeros(10, np.uint8), 3).shape
    (8,)
    """
    c = core()
    if c is not None:
        return c.shingles(_u64(hashes), _u8(kinds), k, None if names is None else _u64(names), _ID_LABELS)
    n = int(hashes.shape[0])
    if n < k:
        return np.zeros(0, dtype=np.uint64)
    cols = _token_columns(hashes, kinds, k, names)
    acc = np.zeros(n - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in cols:
            acc = acc * _POLY + col
    return mix64(acc)


def _u64(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.uint64)


def _u8(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.uint8)


def _token_columns(hashes: np.ndarray, kinds: np.ndarray, k: int, names: np.ndarray | None) -> list[np.ndarray]:
    """Column ``j`` holds token ``j`` of every shingle, identifiers relabelled when ``names`` is given."""
    m = int(hashes.shape[0]) - k + 1
    cols = [hashes[j : j + m] for j in range(k)]
    if names is None:
        return cols
    ident = kinds == Kind.IDENT
    for j in range(1, k):
        here = names[j : j + m]
        first = np.full(m, j, dtype=np.intp)
        for i in range(j - 1, -1, -1):
            first[names[i : i + m] == here] = i
        cols[j] = np.where(ident[j : j + m], _ID_LABELS[first], cols[j])
    cols[0] = np.where(ident[:m], _ID_LABELS[0], cols[0])
    return cols


_IDENT = int(Kind.IDENT)


def code_shingles(hashes: np.ndarray, exact: np.ndarray, kinds: np.ndarray, k: int) -> np.ndarray:
    """Normalized-channel shingles: identifiers numbered per shingle, literals by type."""
    if not (kinds == _IDENT).any():  # (an IntEnum operand costs numpy ~10 us a call: compare with the int)
        return shingles(hashes, kinds, k)
    return shingles(hashes, kinds, k, names=exact)


def stream_shingles(tokens: Tokens, k: int, code: bool) -> np.ndarray:
    """The one shingling of index, check and dedup: code with identifiers numbered per shingle, prose as is.

    >>> from copyguard.normalize import normalize
    >>> ts = normalize("one two three four five")
    >>> stream_shingles(ts.tokens, 3, code=False).shape
    (3,)
    """
    if code:
        return code_shingles(tokens.hashes, tokens.exact, tokens.kinds, k)
    return shingles(tokens.hashes, tokens.kinds, k)


def exact_shingles(tokens: Tokens, k: int) -> np.ndarray:
    """Shingles of the tokens as written (names and literals kept): equal only where a copy is verbatim.

    >>> from copyguard.normalize import normalize
    >>> a, b = normalize("x = y + 1", "python"), normalize("a = b + 1", "python")
    >>> bool((exact_shingles(a.tokens, 3) == exact_shingles(b.tokens, 3)).any())
    False
    """
    return shingles(tokens.exact, tokens.kinds, k)


# --- MinHash ---------------------------------------------------------------


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``.

    The compiled core draws them from MT19937 itself: importing numpy.random costs a CLI process ~15 ms.
    """
    c = core()
    if c is not None and 0 <= seed < 1 << 32:
        a, b = c.affine_permutations(num_perm, seed)
    else:
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


_S16, _S13 = np.uint32(16), np.uint32(13)
_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_LOW32 = np.uint64(0xFFFFFFFF)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting (arrays wrap silently)."""
    h = h ^ (h >> _S16)
    h = h * _M1
    h = h ^ (h >> _S13)
    h = h * _M2
    return h ^ (h >> _S16)


def _permuted_t(shingle_hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(num_perm, n + 1) matrix of permuted shingles plus a last column of the empty value, for ``reduceat``."""
    a, b = permutations(num_perm, seed)
    hv = fmix32((shingle_hashes & _LOW32).astype(np.uint32))
    mat = np.empty((num_perm, hv.shape[0] + 1), dtype=np.uint32)
    np.multiply(a[:, None], hv[None, :], out=mat[:, :-1])
    mat[:, :-1] += b[:, None]
    mat[:, -1] = _MAX32
    return mat


def permuted(shingle_hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """(n_shingles, num_perm) uint32 matrix of every shingle under every permutation."""
    return _permuted_t(shingle_hashes, num_perm, seed)[:, :-1].T


def minhash(shingle_hashes: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signature (uint32[num_perm]) of a set of shingle hashes; all ``0xFFFFFFFF`` when empty."""
    if shingle_hashes.shape[0] == 0:
        return np.full(num_perm, _MAX32, dtype=np.uint32)
    if core() is not None:
        return minhash_ranges(shingle_hashes, np.array([[0, shingle_hashes.shape[0]]]), num_perm, seed)[0]
    return permuted(shingle_hashes, num_perm, seed).min(axis=0)


def minhash_ranges(
    shingle_hashes: np.ndarray, ranges: np.ndarray, num_perm: int = 128, seed: int = 1, chunk: int = 1 << 15
) -> np.ndarray:
    """Signatures (n_ranges, num_perm) of many, possibly overlapping, ranges ``[start, end)`` of one shingle array.

    Each shingle is permuted once however many ranges cover it, and ranges
    are reduced with ``np.minimum.reduceat`` along the contiguous axis, so
    windows with a small stride cost little more than the shingles themselves.
    Empty ranges get the empty signature (all ``0xFFFFFFFF``).
    """
    ranges = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
    c = core()
    if c is not None:
        a, b = permutations(num_perm, seed)
        return c.minhash_ranges(_u64(shingle_hashes), np.ascontiguousarray(ranges), a, b)
    out = np.full((ranges.shape[0], num_perm), _MAX32, dtype=np.uint32)
    live = ranges[:, 1] > ranges[:, 0]
    n = int(shingle_hashes.shape[0])
    if n == 0 or not live.any():
        return out
    if n <= chunk:  # the common case at check time: one pass, no clipping
        mat = _permuted_t(shingle_hashes, num_perm, seed)
        out[live] = np.minimum.reduceat(mat, ranges[live].ravel(), axis=1)[:, 0::2].T
        return out
    lo, hi = int(ranges[live, 0].min()), int(ranges[live, 1].max())
    for start in range(lo, hi, chunk):
        stop = min(start + chunk, hi)
        sel = np.flatnonzero(live & (ranges[:, 0] < stop) & (ranges[:, 1] > start))
        if sel.shape[0] == 0:
            continue
        mat = _permuted_t(shingle_hashes[start:stop], num_perm, seed)
        idx = (np.clip(ranges[sel], start, stop) - start).ravel()
        part = np.minimum.reduceat(mat, idx, axis=1)[:, 0::2].T
        out[sel] = np.minimum(out[sel], part)
    return out


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (fraction of equal slots)."""
    return float(np.count_nonzero(sig_a == sig_b)) / float(sig_a.shape[0])


def to_datasketch(sig: np.ndarray, seed: int = 1):
    """The signature as a ``datasketch.MinHash`` (affine32 scheme) for use with datasketch's tools."""
    from datasketch import MinHash

    return MinHash(seed=seed, hashvalues=sig.astype(np.uint32), scheme="affine32")


# --- LSH bands -------------------------------------------------------------


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 keys; two signatures share key ``j`` iff their band ``j`` rows are equal.

    The band index is mixed into the key, so keys of different bands never
    collide by construction and one sorted table can hold all bands.
    """
    sigs = np.atleast_2d(sigs)
    c = core()
    if c is not None:
        return c.band_keys(np.ascontiguousarray(sigs, dtype=np.uint32), bands, rows)
    n = sigs.shape[0]
    view = sigs[:, : bands * rows].reshape(n, bands, rows)
    acc = np.empty((n, bands), dtype=np.uint64)
    acc[:] = np.arange(1, bands + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            acc *= _POLY
            acc += view[:, :, r]
    return mix64(acc)
