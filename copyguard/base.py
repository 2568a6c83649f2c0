"""Declared base code: the template or starter code every answer is expected to contain, never reported.

Plagiarism tools learned long ago that code handed to everyone is no
evidence (JPlag's ``-bc``). A user declares it once, stored with the index
(``copyguard index build --base starter/``) or for one policy (``base =
["starter/"]`` in policy.toml). It is normalized like any source (code and
the words in code, each its own channel), and its shingles are kept as one
sorted set. At check time an output shingle in that set is masked the way a
boilerplate shingle is: it finds no candidate and counts toward no match,
so the starter code in an answer is never reported, and a real copy beside
it still is. The report lists where base code was found (``Verdict.base``).

>>> from copyguard.params import Params
>>> from copyguard.corpus import Document
>>> starter = Document("hw1.py", "def main():\\n    data = read_input()\\n    print(solve(data))\\n", "python", None, None)
>>> base = shingle_set([starter], Params())
>>> base.dtype, base.shape[0] > 0
(dtype('uint64'), True)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .normalize import PROSE, PROSE_ALIASES, TokenStream, normalize
from .normalize.code import normalize_code_words
from .params import Params
from .sketch import stream_shingles

if TYPE_CHECKING:
    from .corpus import Document

EMPTY = np.zeros(0, dtype=np.uint64)


def document_shingles(text: str, lang: str | None, params: Params) -> np.ndarray:
    """Distinct shingles of one text over both channels, made exactly as the index and the check make them."""
    lang = lang or PROSE
    streams = [normalize(text, lang)] if lang in PROSE_ALIASES else list(normalize_code_words(text, lang))
    from .index.arrays import sorted_unique  # not np.unique: numpy 2.3+ hashes integers, ~40x slower

    parts = [stream_shingles(ts.tokens, params.shingle(ts.is_code), ts.is_code) for ts in streams if len(ts)]
    return sorted_unique(np.concatenate(parts)) if parts else EMPTY


def shingle_set(docs: Iterable[Document], params: Params) -> np.ndarray:
    """Sorted distinct shingles of every document: the base code as the check sees it."""
    from .index.arrays import sorted_unique

    parts = [document_shingles(d.text, d.lang, params) for d in docs]
    return sorted_unique(np.concatenate(parts)) if parts else EMPTY


def read_base(paths: Iterable[str | Path], params: Params) -> tuple[np.ndarray, list[str]]:
    """``(shingles, file ids)`` of the base code in ``paths`` (folders or files, read like a corpus).

    ``InputError`` when nothing there can be read: declaring base code that
    is not there would silently report what the user meant to exclude.
    """
    from .corpus import CorpusReader
    from .errors import InputError

    names = [str(p) for p in paths]
    docs = list(CorpusReader(names))
    if not docs:
        raise InputError(f"base code {', '.join(names)}: no file to read there")
    return shingle_set(docs, params), [d.id for d in docs]


def base_mask(shingles: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Which of ``shingles`` are base code (``base`` sorted).

    >>> base_mask(np.array([5, 7, 9], np.uint64), np.array([7, 8], np.uint64)).tolist()
    [False, True, False]
    """
    if base.shape[0] == 0 or shingles.shape[0] == 0:
        return np.zeros(shingles.shape[0], dtype=bool)
    pos = np.searchsorted(base, shingles).clip(max=base.shape[0] - 1)
    return base[pos] == shingles


def base_spans(ts: TokenStream, mask: np.ndarray, k: int, min_tokens: int) -> list[tuple[int, int]]:
    """Character spans of ``ts`` that are base code, in runs of at least ``min_tokens`` tokens.

    A token is base code when every shingle covering it is (shingle ``i``
    covers tokens ``i .. i+k-1``): a shingle that reaches from the starter
    code into the answer's own code does not make the answer's tokens base
    code. Runs of such tokens become spans from the first token's start to
    the last token's end.
    """
    n, m = len(ts), int(mask.shape[0])
    if m == 0 or n == 0 or not mask.any():
        return []
    t = np.arange(n)
    first = np.maximum(t - k + 1, 0)
    last = np.minimum(t, m - 1)
    masked = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
    total = last - first + 1
    covered = (total > 0) & (masked[np.maximum(last + 1, 0)] - masked[np.minimum(first, m)] == total)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], covered.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]  # token runs [start, end)
    keep = ends - starts >= max(min_tokens, 1)
    return [(int(ts.tokens.starts[a]), int(ts.tokens.ends[b - 1])) for a, b in zip(starts[keep], ends[keep])]


def merge_spans(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Overlapping or touching spans joined, in order.

    >>> merge_spans([(10, 20), (0, 5), (18, 30)])
    ((0, 5), (10, 30))
    """
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def trim(span: tuple[int, int], base: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """``span`` with its ends moved out of base code: a start inside a base span moves to its end, an end to its start.

    A region of the words channel spans the code between two docstrings, and
    a region's first and last shingles may reach into the starter code by a
    few tokens; the part reported is the part that is not base code.

    >>> trim((410, 1351), ((0, 824), (1309, 1750)))
    (824, 1309)
    >>> trim((10, 20), ((0, 30),))
    (10, 20)
    """
    start, end = span
    for a, b in base:
        if a <= start < b:
            start = b
        if a < end <= b:
            end = a
    return (start, end) if start < end else span
