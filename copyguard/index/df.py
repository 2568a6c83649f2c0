"""How many sources hold each shingle: the table that tells boilerplate from a copy.

A shingle that occurs in hundreds of sources (a license header, ``def
__exit__(self, exc_type, exc_val, exc_tb):``, a typed keyword-argument list)
says nothing about which source an output copies; MOSS ignores passages
found in more than ``-m`` files for that reason. Each segment stores a table
of its shingles (both channels) and the number of its sources holding each;
tables of segments add up, and the sources a tombstone removed are
subtracted, so the counts stay exact under ``add``, ``remove`` and ``compact``
without a rebuild. The same functions serve a Spark build: count per
partition with ``source_counts``, combine with ``merge_counts``.

The table also counts the sources whose code names each identifier
(``name_keys``: a key per distinct ``Kind.IDENT`` name, apart from every
shingle), so a name a renamed copy kept can weigh by its own rarity: a
module function one file calls says more than ``options`` (``Index.name_counts``).

>>> keys, counts = source_counts([np.array([5, 7], np.uint64), np.array([7, 9], np.uint64)])
>>> keys.tolist(), counts.tolist()
([5, 7, 9], [1, 2, 1])
>>> count_of(keys, counts, np.array([7, 8], np.uint64)).tolist()
[2, 0]
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..compiled import core
from ..normalize.tokens import Kind, Tokens, hash_string
from ..sketch import stream_shingles
from .arrays import isin_sorted, sorted_unique
from .bands import sort_with_order

_EMPTY_KEYS = np.zeros(0, dtype=np.uint64)
_EMPTY_COUNTS = np.zeros(0, dtype=np.uint32)
# Sources recorded per key of a segment's count table (``holders``): a key more of its sources hold records none.
HOLDERS = 4
NO_HOLDER = np.uint32(0xFFFFFFFF)


def source_counts(shingle_sets: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct shingles of the sets and how many sets hold each (each set's values distinct)."""
    parts = [np.asarray(s, dtype=np.uint64) for s in shingle_sets]
    if not parts:
        return _EMPTY_KEYS, _EMPTY_COUNTS
    keys, counts = np.unique(np.concatenate(parts), return_counts=True)
    return keys, counts.astype(np.uint32)


def counts_and_holders(shingle_sets: Iterable[np.ndarray], unheld: Iterable[np.ndarray] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``source_counts`` of the sets, and the ``holders`` table of those keys with set ``i`` as source row ``i``.

    For a writer that has its sources' shingle sets at hand (a build): the
    compiled core makes both from one sort of the sets, where ``holders`` sorts
    every token's shingle again. ``unheld[i]`` (distinct, none of them in set
    ``i``) are keys source ``i`` adds to the count table that none of its
    tokens starts: its code's names (``name_keys``), counted, never a holder.
    Equal to ``holders`` of the segment's ``tok_shingles`` when a source's
    nonzero token shingles are its set without 0 (tested).

    >>> keys, counts, held = counts_and_holders([np.array([5, 7], np.uint64), np.array([7, 9], np.uint64)],
    ...                                         [np.array([9], np.uint64), np.array([], np.uint64)])
    >>> keys.tolist(), counts.tolist(), [row[row != NO_HOLDER].tolist() for row in held]
    ([5, 7, 9], [1, 2, 2], [[0], [0, 1], [1]])
    """
    parts = [np.asarray(s, dtype=np.uint64) for s in shingle_sets]
    extra = [np.asarray(u, dtype=np.uint64) for u in unheld] if unheld is not None else [_EMPTY_KEYS] * len(parts)
    if len(extra) != len(parts):
        raise ValueError("counts_and_holders: one unheld array per set")
    both = [a for p, u in zip(parts, extra) for a in (p, u)]
    values = np.concatenate(both) if both else _EMPTY_KEYS
    lengths = np.array([p.shape[0] + u.shape[0] for p, u in zip(parts, extra)], dtype=np.int64)
    c = core()
    if c is not None and values.shape[0] < 1 << 32:
        return c.counts_holders(values, lengths, np.array([u.shape[0] for u in extra], dtype=np.int64), HOLDERS)
    keys, counts = source_counts(np.concatenate([p, u]) for p, u in zip(parts, extra))
    n = np.array([p.shape[0] for p in parts], dtype=np.int64)
    ends = np.cumsum(n)
    held = np.concatenate(parts) if parts else _EMPTY_KEYS
    return keys, counts, holders(keys, held, np.stack([ends - n, ends], axis=1))


def merge_counts(tables: Iterable[tuple[np.ndarray, np.ndarray]], sign: Iterable[int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One table from several: counts of equal keys added (or subtracted where ``sign`` is -1); zeros dropped."""
    tables = list(tables)
    signs = list(sign) if sign is not None else [1] * len(tables)
    if not tables:
        return _EMPTY_KEYS, _EMPTY_COUNTS
    keys = np.concatenate([t[0] for t in tables])
    weights = np.concatenate([t[1].astype(np.int64) * s for t, s in zip(tables, signs)])
    out, inverse = np.unique(keys, return_inverse=True)
    total = np.bincount(inverse, weights=weights, minlength=out.shape[0]).astype(np.int64)
    keep = total > 0
    return out[keep], total[keep].astype(np.uint32)


def count_of(keys: np.ndarray, counts: np.ndarray, values: np.ndarray, directory: np.ndarray | None = None
             ) -> np.ndarray:
    """The count of each of ``values`` in a table (0 where absent).

    ``directory`` (``bands.band_directory(keys)``: shingles are hashes, so
    their top bits spread evenly) lets the compiled core find each value in a
    handful of keys instead of a binary search over the whole mapped table.
    """
    values = np.asarray(values, dtype=np.uint64)
    if keys.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=np.int64)
    c = core()
    if c is not None and directory is not None and keys.dtype == np.uint64 and counts.dtype == np.uint32:
        return c.count_of(keys, counts, directory, int(directory.shape[0] - 1).bit_length() - 1,
                          np.ascontiguousarray(values))
    pos = np.searchsorted(keys, values).clip(max=keys.shape[0] - 1)
    return np.where(keys[pos] == values, counts[pos], 0).astype(np.int64)



def position_of(keys: np.ndarray, values: np.ndarray, directory: np.ndarray | None = None) -> np.ndarray:
    """Where each of ``values`` is in ``keys`` (sorted, distinct): int64 positions, -1 where absent.

    ``directory``: as for ``count_of``, the compiled core's shortcut into the mapped table.

    >>> position_of(np.array([5, 7, 9], np.uint64), np.array([7, 8, 9], np.uint64)).tolist()
    [1, -1, 2]
    """
    values = np.asarray(values, dtype=np.uint64)
    if keys.shape[0] == 0:
        return np.full(values.shape[0], -1, dtype=np.int64)
    c = core()
    if c is not None and directory is not None and keys.dtype == np.uint64:
        return c.position_of(keys, directory, int(directory.shape[0] - 1).bit_length() - 1,
                             np.ascontiguousarray(values))
    pos = np.searchsorted(keys, values).clip(max=keys.shape[0] - 1)
    return np.where(keys[pos] == values, pos, -1).astype(np.int64)

# What a name's exact hash is multiplied by (odd: no two names share a key) and mixed with, so that its key in the
# count table is apart from every shingle's.
_NAME_MUL = np.uint64(0x9E3779B97F4A7C15)
_NAME_SALT = np.uint64(0x6E616D652D6B6579)  # "name-key"
_LITERAL_SALT = np.uint64(0x6C69742D76616C75)  # "lit-valu": a literal's key is apart from a name's of equal hash
_KEPT_SALT = np.uint64(0x6B6570742D6E616D)  # "kept-nam": a kept name's (attribute, method) apart from an identifier's
_DECLARED_SALT = np.uint64(0x6465636C2D6E616D)  # "decl-nam": and where a source declares it
_OWN_SALT = np.uint64(0x6F776E2D6E616D65)  # "own-name": a function's, class's, member's or parameter's own name


def name_keys(hashes: np.ndarray, exact: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The count table's keys of the distinct identifiers (``Kind.IDENT``, by exact hash), literals
    (``Kind.LITERAL``, by normalized hash: their contents, ``'a'`` as ``"a"``), kept names (``Kind.KEPT``:
    attributes, methods, by exact hash) and the kept names the code declares (``declared``: a method's head, an
    object's key) among code tokens (sorted, distinct).

    >>> kinds = np.array([Kind.IDENT, Kind.IDENT, Kind.OTHER, Kind.LITERAL, Kind.KEPT], np.uint8)
    >>> a = name_keys(np.array([1, 1, 2, 3, 4], np.uint64), np.array([7, 7, 9, 5, 7], np.uint64), kinds)
    >>> a.shape, bool(name_key(np.array([7], np.uint64))[0] in a), bool(literal_key(np.array([3], np.uint64))[0] in a)
    ((3,), True, True)
    >>> bool(kept_key(np.array([7], np.uint64))[0] in a), bool(declared_key(np.array([7], np.uint64))[0] in a)
    (True, False)
    """
    kinds = np.asarray(kinds)
    exact = np.asarray(exact, dtype=np.uint64)
    literals = np.asarray(hashes, dtype=np.uint64)[kinds == Kind.LITERAL]
    return sorted_unique(np.concatenate([name_key(exact[kinds == Kind.IDENT]), literal_key(literals),
                                         kept_key(exact[kinds == Kind.KEPT]),
                                         declared_key(exact[declared(exact, kinds)]),
                                         own_key(exact[own_names(exact, kinds) | _parameters(exact, kinds)])]))


def own_key(exact: np.ndarray) -> np.ndarray:
    """The count table's key of each name a source declares as its own: a function's, a class's or a member's
    (``own_names``), or a parameter's (``evidence.parameters``): ``name_keys``. Its holders are the sources that
    declare the name (``candidates.named_candidates``), not the ones that call it."""
    return name_key(np.asarray(exact, dtype=np.uint64) ^ _OWN_SALT)


def _parameters(exact: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    from ..evidence import parameters  # (evidence reads the index: imported when first needed)

    return parameters(exact, kinds)


def declared_key(exact: np.ndarray) -> np.ndarray:
    """The count table's key of each kept name a source declares (``name_keys``, ``declared``)."""
    return name_key(np.asarray(exact, dtype=np.uint64) ^ _DECLARED_SALT)


_COLON = np.uint64(hash_string(":"))
_OPEN = np.uint64(hash_string("("))
_KEY_BEFORE = np.sort(np.array([hash_string(w) for w in ("{", ",")], dtype=np.uint64))
_HEAD_BEFORE = np.sort(np.array([hash_string(w) for w in ("{", "}", ";", "get", "set", "static", "async", "*")],
                                dtype=np.uint64))


def declared(exact: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The kept names (``Kind.KEPT``) the code declares: a method's head (``clearGcTimeout() {`` after the class's
    ``{``, the member before's ``}``, or ``get``, ``static``...) and an object's key (``{ isPaused: false, ...``).
    A source that only calls ``logging.getLogger``, ``datetime.fromtimestamp`` or a builtin (``round(x)``), or
    passes a keyword argument (``tzinfo=None``), does not declare them: every user of an API calls it, its own
    source declares it.

    >>> from copyguard.normalize.tokens import hash_string as h
    >>> ex = np.array([h(w) for w in ("}", "run", "(", ")", "{", "x", ".", "run", "(", "round", "(", ")", ")", "}",
    ...                                "{", "key", ":", "x", "}")], np.uint64)
    >>> k = np.array([Kind.KEPT if w in (1, 7, 9, 15) else 0 for w in range(ex.shape[0])], np.uint8)
    >>> np.flatnonzero(declared(ex, k)).tolist()
    [1, 15]
    """
    exact = np.asarray(exact, dtype=np.uint64)
    out = np.zeros(exact.shape[0], dtype=bool)
    if exact.shape[0] < 3:
        return out
    prev, nxt = exact[:-2], exact[2:]
    out[1:-1] = (np.asarray(kinds)[1:-1] == Kind.KEPT) & (
        (isin_sorted(prev, _HEAD_BEFORE) & (nxt == _OPEN)) | (isin_sorted(prev, _KEY_BEFORE) & (nxt == _COLON)))
    return out


_DECLARING = np.sort(np.array([hash_string(w) for w in ("def", "function", "fn", "func", "fun", "class", "interface",
                                                           "struct", "enum", "trait")], dtype=np.uint64))


def own_names(exact: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The names an output declares (bool per token): an identifier or a kept name after ``def``, ``function``,
    ``class``... (``def _convert_and_call(``), or a member's head (``getQueryCache() {``: before ``(``, after what
    ``declared`` takes before a head, or first of all). What a copy of the first lines of a function, or of a
    one-line member, holds of its source's own; the names it only uses are any caller's.

    >>> from copyguard.normalize.tokens import hash_string as h
    >>> ex = np.array([h(w) for w in ("run", "(", ")", "{", "def", "go", "(", "x", ".", "call", "(", ")")], np.uint64)
    >>> k = np.array([Kind.IDENT if w in (0, 5, 7) else Kind.KEPT if w == 9 else 0 for w in range(12)], np.uint8)
    >>> np.flatnonzero(own_names(ex, k)).tolist()
    [0, 5]
    """
    exact = np.asarray(exact, dtype=np.uint64)
    return own_names_at(exact, kinds, np.arange(exact.shape[0]))


def own_names_at(exact: np.ndarray, kinds: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``own_names`` at the tokens ``at`` only (bool per position): what a long source is asked at the places of a
    few names, without a pass over all of it."""
    at = np.asarray(at, dtype=np.int64)
    n = exact.shape[0]
    if n == 0 or at.shape[0] == 0:
        return np.zeros(at.shape[0], dtype=bool)
    prev = exact[np.maximum(at - 1, 0)]
    pos = np.minimum(np.searchsorted(_BEFORE_OWN, prev), _BEFORE_OWN.shape[0] - 1)
    cls = np.where(_BEFORE_OWN[pos] == prev, _BEFORE_CLASS[pos], 0)
    cls[at == 0] = _HEAD  # first of all: a head when ``(`` follows
    head = (cls == _HEAD) & (exact[np.minimum(at + 1, n - 1)] == _OPEN) & (at + 1 < n)
    k = np.asarray(kinds)[at]
    return ((k == _IDENT) | (k == _KEPT)) & ((cls == _AFTER) | head)


# What the token before an own name is (``own_names_at``): a declaring keyword, or what comes before a member's head.
_AFTER, _HEAD = 1, 2
_BEFORE_OWN = np.concatenate([_DECLARING, _HEAD_BEFORE])
_BEFORE_CLASS = np.array([_AFTER] * _DECLARING.shape[0] + [_HEAD] * _HEAD_BEFORE.shape[0], dtype=np.uint8)
_BEFORE_CLASS = _BEFORE_CLASS[np.argsort(_BEFORE_OWN)]
_BEFORE_OWN = np.sort(_BEFORE_OWN)
_IDENT, _KEPT = int(Kind.IDENT), int(Kind.KEPT)


def kept_key(exact: np.ndarray) -> np.ndarray:
    """The count table's key of each kept name's exact hash (``name_keys``)."""
    return name_key(np.asarray(exact, dtype=np.uint64) ^ _KEPT_SALT)


def literal_key(hashes: np.ndarray) -> np.ndarray:
    """The count table's key of each literal's normalized hash (``name_keys``)."""
    return name_key(np.asarray(hashes, dtype=np.uint64) ^ _LITERAL_SALT)


def name_key(exact: np.ndarray) -> np.ndarray:
    """The count table's key of each identifier's exact hash (``name_keys``)."""
    with np.errstate(over="ignore"):
        return (np.asarray(exact, dtype=np.uint64) * _NAME_MUL) ^ _NAME_SALT


def source_shingles(tokens: Tokens, words_start: int, code: bool, k_code: int, k_prose: int) -> np.ndarray:
    """Distinct shingles of one source's stored tokens (code channel ``[0, words_start)``, words after it), and the
    keys of the names its code holds (``name_keys``): the keys the source adds to the count table."""
    if not code:
        return sorted_unique(stream_shingles(tokens, k_prose, False))
    parts = [stream_shingles(tokens[:words_start], k_code, True),
             stream_shingles(tokens[words_start:], k_prose, False),
             name_keys(tokens.hashes[:words_start], tokens.exact[:words_start], tokens.kinds[:words_start])]
    return sorted_unique(np.concatenate(parts))


def token_shingles(tokens: dict[str, np.ndarray], source_tok: np.ndarray, source_words: np.ndarray,
                   k_code: int, k_prose: int) -> np.ndarray:
    """The shingle starting at each stored token, 0 where fewer than k tokens of its channel follow.

    What a build stores as ``tok_shingles`` (``sketch_document``), made again
    from the tokens of a segment written without it.
    """
    out = np.zeros(np.asarray(tokens["hashes"]).shape[0], dtype=np.uint64)
    for (first, last), words in zip(np.asarray(source_tok).reshape(-1, 2).tolist(), np.asarray(source_words).tolist()):
        for lo, hi, k, code in ((first, words, k_code, True), (words, last, k_prose, False)):
            if hi - lo >= k:
                sl = slice(lo, hi)
                toks = Tokens(tokens["hashes"][sl], tokens["exact"][sl], tokens["kinds"][sl], tokens["starts"][sl],
                              tokens["ends"][sl])
                out[lo : hi - k + 1] = stream_shingles(toks, k, code)
    return out


def rows_counts(tokens: dict[str, np.ndarray], source_tok: np.ndarray, source_words: np.ndarray, rows: np.ndarray,
                k_code: int, k_prose: int) -> tuple[np.ndarray, np.ndarray]:
    """The source-count table of some sources of a segment (``rows``), shingled again from their stored tokens.

    This is what removing those sources takes off the segment's table: the
    shingles are made by the same function as at build time, so the
    subtraction is exact.
    """
    sets = []
    for row in np.asarray(rows, dtype=np.int64).tolist():
        first, last = (int(x) for x in source_tok[row])
        words = int(source_words[row])
        sl = slice(first, last)
        toks = Tokens(tokens["hashes"][sl], tokens["exact"][sl], tokens["kinds"][sl], tokens["starts"][sl],
                      tokens["ends"][sl])
        sets.append(source_shingles(toks, words - first, words > first, k_code, k_prose))
    return source_counts(sets)


def holders(keys: np.ndarray, tok_shingles: np.ndarray, source_tok: np.ndarray,
            names: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per key of a segment's count table, the rows of the sources holding it when at most ``HOLDERS`` do.

    ``(len(keys), HOLDERS)`` uint32, ``NO_HOLDER`` where fewer hold it or more
    do. Made from the segment's own ``tok_shingles`` (the shingle starting at
    each token) and ``names`` (``name_pairs`` of its tokens: the name keys each
    source's code holds), so every writer (build, Spark, compaction) makes the
    same table from what it writes; a removed source is filtered where it is read.
    What it is for: the sources an answer's rare shingles point at can be
    aligned even when the answer is too short for a MinHash band to meet them,
    and so can the sources that declare a rare name of it (a one-line getter
    holds one shingle with its name: ``candidates.named_candidates``).

    Six sources, key 7 in all of them (more than ``HOLDERS``: none named), 5 in the first, 9 in the next two:

    >>> keys, at = np.array([5, 7, 9], np.uint64), np.array([[0, 2], [2, 4], [4, 6], [6, 7], [7, 8], [8, 9]])
    >>> held = holders(keys, np.array([5, 7, 7, 9, 9, 7, 7, 7, 7], np.uint64), at)
    >>> held.shape == (3, HOLDERS), [row[row != NO_HOLDER].tolist() for row in held]
    (True, [[0], [], [1, 2]])
    """
    out = np.full((keys.shape[0], HOLDERS), NO_HOLDER, dtype=np.uint32)
    sh = np.asarray(tok_shingles, dtype=np.uint64)
    st = np.asarray(source_tok, dtype=np.int64).reshape(-1, 2)
    if keys.shape[0] == 0 or (sh.shape[0] == 0 and (names is None or names[0].shape[0] == 0)):
        return out
    row = _row_of_tokens(st, sh.shape[0])
    keep = sh != 0
    sh, row = sh[keep], row[keep]
    if names is not None and names[0].shape[0]:  # (after every shingle: a name key's rows stay ascending)
        sh = np.concatenate([sh, np.asarray(names[0], dtype=np.uint64)])
        row = np.concatenate([row, np.asarray(names[1], dtype=np.int64)])
    sh, order = sort_with_order(sh)  # np.argsort(kind="stable") without its random reads: rows stay ascending
    c = core()
    if c is not None and keys.dtype == np.uint64 and keys.flags.c_contiguous:
        c.holder_rows(keys, sh, order, row.astype(np.int64, copy=False), out)
        return out
    row = row[order]
    distinct = np.ones(sh.shape[0], dtype=bool)
    distinct[1:] = (sh[1:] != sh[:-1]) | (row[1:] != row[:-1])
    sh, row = sh[distinct], row[distinct]
    start = np.flatnonzero(np.concatenate([[True], sh[1:] != sh[:-1]]))
    n_rows = np.diff(np.concatenate([start, [sh.shape[0]]]))
    pos = np.searchsorted(keys, sh[start]).clip(max=keys.shape[0] - 1)
    few = (n_rows <= HOLDERS) & (keys[pos] == sh[start])
    for j in range(HOLDERS):
        has = few & (n_rows > j)
        out[pos[has], j] = row[start[has] + j]
    return out


def name_pairs(tokens: dict[str, np.ndarray], source_tok: np.ndarray, source_words: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Every (key, row) pair of a segment's name keys: the keys ``name_keys`` gives the code channel of source
    ``row`` (its tokens before ``source_words[row]``), sorted by key, then row, each pair once. What ``holders``
    adds to the token shingles, made for all sources at once.

    Source 0 is ``{ run``, source 1 ``( { run ( )``: only source 1 declares ``run`` (the ``(`` after source 0's is
    not its own), both hold it.

    >>> from copyguard.normalize.tokens import hash_string as h
    >>> ex = np.array([h(w) for w in ("{", "run", "(", "{", "run", "(", ")")], np.uint64)
    >>> kinds = np.array([0, Kind.KEPT, 0, 0, Kind.KEPT, 0, 0], np.uint8)
    >>> toks = {"hashes": ex, "exact": ex, "kinds": kinds}
    >>> keys, rows = name_pairs(toks, np.array([[0, 2], [2, 7]]), np.array([2, 7]))
    >>> sorted(rows[keys == declared_key(ex[1:2])[0]].tolist()), sorted(rows[keys == kept_key(ex[1:2])[0]].tolist())
    ([1], [0, 1])
    """
    st = np.asarray(source_tok, dtype=np.int64).reshape(-1, 2)
    words = np.asarray(source_words, dtype=np.int64)
    exact = np.asarray(tokens["exact"], dtype=np.uint64)
    kinds = np.asarray(tokens["kinds"])
    n = exact.shape[0]
    if n == 0 or st.shape[0] == 0:
        return _EMPTY_KEYS, np.zeros(0, dtype=np.int64)
    row = _row_of_tokens(st, n).clip(max=st.shape[0] - 1)
    t = np.arange(n)
    code = (t >= st[row, 0]) & (t < np.minimum(words[row], st[row, 1]))
    parts, rows = [], []
    for kind, key_of, values in ((Kind.IDENT, name_key, exact), (Kind.KEPT, kept_key, exact),
                                 (Kind.LITERAL, literal_key, np.asarray(tokens["hashes"], dtype=np.uint64))):
        at = np.flatnonzero(code & (kinds == kind))
        parts.append(key_of(values[at]))
        rows.append(row[at])
    inside = np.zeros(n, dtype=bool)  # a declared name's token before and after are of its source's code
    inside[1:-1] = code[:-2] & code[2:] & (row[:-2] == row[1:-1]) & (row[2:] == row[1:-1])
    at = np.flatnonzero(inside & code & declared(exact, kinds))
    parts.append(declared_key(exact[at]))
    rows.append(row[at])
    for r, (first, last) in enumerate(st.tolist()):  # own names: a parameter list is read source by source
        last = min(int(words[r]), last)
        if last > first:
            ex, k = exact[first:last], kinds[first:last]
            own = np.flatnonzero(own_names(ex, k) | _parameters(ex, k))
            parts.append(own_key(ex[own]))
            rows.append(np.full(own.shape[0], r, dtype=np.int64))
    keys, rows_all = np.concatenate(parts), np.concatenate(rows).astype(np.int64)
    order = np.lexsort((rows_all, keys))
    keys, rows_all = keys[order], rows_all[order]
    once = np.ones(keys.shape[0], dtype=bool)
    once[1:] = (keys[1:] != keys[:-1]) | (rows_all[1:] != rows_all[:-1])
    return keys[once], rows_all[once]


def _row_of_tokens(source_tok: np.ndarray, n: int) -> np.ndarray:
    """The source whose token range holds each of tokens ``0..n-1`` (``searchsorted`` of the range ends).

    A segment's ranges tile its tokens (each source starts where the one before
    ends), so the rows are a ``repeat``; anything else takes the search.
    """
    ends = source_tok[:, 1]
    if (source_tok.shape[0] and source_tok[0, 0] == 0 and ends[-1] == n
            and np.array_equal(source_tok[1:, 0], ends[:-1]) and bool((ends >= source_tok[:, 0]).all())):
        return np.repeat(np.arange(source_tok.shape[0], dtype=np.int64), ends - source_tok[:, 0])
    return np.searchsorted(ends, np.arange(n), side="right")
