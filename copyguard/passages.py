"""Cutting a token stream into passages: the units that are sketched and indexed.

Code gives its syntactic units (functions, methods, classes) plus token
windows over everything; prose gives overlapping word windows. The output
side is cut the same way, so a protected passage copied into the middle of a
long answer meets a window of the same size wherever it sits.
"""

from __future__ import annotations

import numpy as np

from .compiled import core
from .normalize.tokens import TokenStream
from .params import Params
from .sketch import _ID_LABELS, band_keys, minhash_ranges, permutations, stream_shingles

WINDOW = 0
UNIT = 1


def windows(n: int, window: int, stride: int) -> np.ndarray:
    """(m, 2) token ranges of windows of ``window`` tokens every ``stride``; the last one ends at ``n``.

    >>> windows(10, 4, 3).tolist()
    [[0, 4], [3, 7], [6, 10]]
    """
    if n <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    if n <= window:
        return np.array([[0, n]], dtype=np.int64)
    starts = np.arange(0, n - window + 1, stride, dtype=np.int64)
    if starts[-1] + window < n:
        starts = np.append(starts, n - window)
    return np.stack([starts, starts + window], axis=1)


def cut(ts: TokenStream, params: Params, min_tokens: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Passages of ``ts`` as ``(ranges (m, 2) int64, kinds uint8)``, ordered by start.

    Streams and units shorter than the minimum passage length (``min_tokens``,
    by default the parameters') give no passage: a lone getter or a two-line
    snippet is boilerplate, not something to protect on its own.
    """
    code = ts.is_code
    n = len(ts)
    min_tok = params.min_tokens(code) if min_tokens is None else min_tokens
    if n < min_tok:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.uint8)
    ranges = [windows(n, *params.window(code))]
    kinds = [np.full(ranges[0].shape[0], WINDOW, dtype=np.uint8)]
    if code and ts.units.shape[0]:
        lengths = ts.units[:, 1] - ts.units[:, 0]
        keep = (lengths >= min_tok) & (lengths <= params.max_unit_code)
        units = ts.units[keep].astype(np.int64)
        ranges.append(units)
        kinds.append(np.full(units.shape[0], UNIT, dtype=np.uint8))
    all_ranges = np.concatenate(ranges)
    _, pick = np.unique(all_ranges[:, 0] * (n + 1) + all_ranges[:, 1], return_index=True)  # sorted by start, end
    return all_ranges[pick], np.concatenate(kinds)[pick]


def shingle_ranges(token_ranges: np.ndarray, k: int) -> np.ndarray:
    """Shingle index ranges covering each token range (shingle ``i`` spans tokens ``i..i+k-1``)."""
    out = token_ranges.copy()
    out[:, 1] = np.maximum(out[:, 1] - k + 1, out[:, 0])
    return out


def sketch_passages(ts: TokenStream, params: Params, min_tokens: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut ``ts`` and sketch every passage: ``(token_ranges, kinds, band_keys, shingles)`` (one compiled call)."""
    c = core()
    if c is not None:
        code = ts.is_code
        a, b = permutations(params.num_perm, params.seed)
        return c.sketch_passages(
            np.ascontiguousarray(ts.hashes, dtype=np.uint64), np.ascontiguousarray(ts.exact, dtype=np.uint64),
            np.ascontiguousarray(ts.kinds, dtype=np.uint8), np.ascontiguousarray(ts.units, dtype=np.int64).reshape(-1, 2),
            code, params.shingle(code), *params.window(code),
            params.min_tokens(code) if min_tokens is None else min_tokens, params.max_unit_code, _ID_LABELS, a, b,
            params.bands, params.rows)
    ranges, kinds = cut(ts, params, min_tokens)
    sh = stream_shingles(ts.tokens, params.shingle(ts.is_code), ts.is_code)
    if ranges.shape[0] == 0:
        return ranges, kinds, np.zeros((0, params.bands), dtype=np.uint64), sh
    sigs = minhash_ranges(sh, shingle_ranges(ranges, params.shingle(ts.is_code)), params.num_perm, params.seed)
    return ranges, kinds, band_keys(sigs, params.bands, params.rows), sh
