"""The candidate stage: which indexed sources an output stream may copy, and which of their tokens to align.

The output's passages are sketched like the index's; their band keys are
looked up; every passage found is measured by containment (the share of its
shingles that occur in the output); the sources of the passages that pass
``min_containment`` are ranked by their best passage, and each of the best
``max_sources`` gets one slice of its tokens, widened by a window on both
sides (a copy may start or end inside a window that did not qualify).
Several indexes (shards, or one index per corpus) are ranked together, so
``max_sources`` counts sources across all of them.

from copyguard.index import Index
query = sketch_query(normalize(answer), index.params)
[c.ref for c in find_candidates(index, query, 0.3, 8)]
# -> [17, 4]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .compiled import core
from .index import Index, PassageInfo, SliceRows, TokenSlices
from .index.arrays import isin_sorted, sorted_unique
from .normalize.tokens import Kind, Tokens, TokenStream, mix64
from .params import Params
from .passages import sketch_passages


@dataclass(frozen=True, eq=False)
class Query:
    """One output token stream, sketched: what the candidate stage and the matcher need of it."""

    stream: TokenStream
    shingles: np.ndarray  # uint64, one per shingle of the stream
    keys: np.ndarray  # uint64 (passages, bands): band keys of the output's passages
    k: int  # shingle width

    @property
    def code(self) -> bool:
        return self.stream.is_code

    @cached_property
    def by_value(self) -> tuple[np.ndarray, np.ndarray]:
        """The shingles sorted, and where each sits in the stream: searched by every candidate, sorted once."""
        order = np.argsort(self.shingles, kind="stable")
        return self.shingles[order], order


@dataclass(frozen=True, eq=False)
class Candidate:
    """A source worth aligning: its global ref, its best passage's containment, and the tokens to align.

    ``index`` is the index the source is in, ``shard`` its position among
    those searched. ``rows`` says which of the source's tokens to align: a
    range ``(start, end)`` (as ``Index.source_tokens`` takes it) or sorted
    row numbers. A ranking holds up to ``max_sources`` times the rounds'
    limit of candidates and a check aligns few of them, so tokens are read
    when first used (``tokens``, or ``candidate_tokens`` for a round's batch).
    """

    ref: int
    containment: float
    index: Index = field(repr=False)
    rows: tuple[int, int | None] | np.ndarray = (0, None)
    shard: int = 0

    @cached_property
    def tokens(self) -> Tokens:
        """A slice of the source's tokens; starts/ends index the source's text."""
        if isinstance(self.rows, tuple):
            return self.index.source_tokens(self.ref, *self.rows)
        return _take(self.index.source_tokens(self.ref), self.rows)

    @cached_property
    def span(self) -> tuple[int, int] | None:
        """The characters of the source the tokens lie in (first start, last end); None without tokens."""
        t = self.tokens
        if not len(t):
            return None
        return int(np.minimum.reduce(t.starts)), int(np.maximum.reduce(t.ends))


def candidate_tokens(cands: Sequence[Candidate]) -> TokenSlices:
    """The tokens of ``cands`` concatenated, slice ``i`` candidate ``i``'s (read in one gather per index when
    they are all in one)."""
    if len({id(c.index) for c in cands}) == 1:
        sources = cands[0].index.source_slices([(c.ref, c.rows) for c in cands])
    else:
        sources = TokenSlices.of([c.tokens for c in cands])
    # each candidate's span from the same tokens, for all at once (``cross_channel`` reads it next)
    offsets = sources.offsets
    full = np.flatnonzero(offsets[1:] > offsets[:-1])
    if full.shape[0]:
        lo = np.minimum.reduceat(sources.tokens.starts, offsets[full]).tolist()
        hi = np.maximum.reduceat(sources.tokens.ends, offsets[full]).tolist()
        for i, a, b in zip(full.tolist(), lo, hi):
            cands[i].__dict__.setdefault("span", (int(a), int(b)))  # what ``Candidate.span`` would compute
    return sources


def candidate_rows(cands: Sequence[Candidate]) -> SliceRows:
    """Where the tokens of ``cands`` lie, slice ``i`` candidate ``i``'s: ``candidate_tokens`` without the gather
    (read in place by the compiled round; ``SliceRows.gather`` is ``candidate_tokens``'s tokens)."""
    if len({id(c.index) for c in cands}) == 1:
        return cands[0].index.source_rows([(c.ref, c.rows) for c in cands])
    return SliceRows.of(TokenSlices.of([c.tokens for c in cands]))


def candidate_spans(cands: Sequence[Candidate]) -> None:
    """Record ``Candidate.span`` of every candidate of ``cands`` that has none yet, all in one call."""
    todo = [c for c in cands if "span" not in c.__dict__]
    if todo:
        for c, (lo, hi) in zip(todo, candidate_rows(todo).spans().tolist()):
            c.__dict__.setdefault("span", (lo, hi) if lo >= 0 else None)


# An output stream this short still makes a passage (the index's minimum is for what it stores): a short
# function the index holds as a unit is then found whole.
QUERY_MIN_TOKENS = 12


def sketch_query(ts: TokenStream, params: Params) -> Query:
    """Cut and sketch an output stream the way the index cut and sketched its sources."""
    k = params.shingle(ts.is_code)
    _, _, keys, sh = sketch_passages(ts, params, max(min(params.min_tokens(ts.is_code), QUERY_MIN_TOKENS), k + 1))
    return Query(ts, sh, keys, k)


def shingle_counts(indexes: Sequence[Index], query: Query) -> np.ndarray:
    """How many live indexed sources hold each of the query's shingles, over all the indexes a check consults."""
    return _summed(indexes, "source_counts", query.shingles)


def name_counts(indexes: Sequence[Index], exact: np.ndarray) -> np.ndarray:
    """How many live indexed sources' code holds each identifier (``exact``: its exact hash), over all the indexes."""
    return _summed(indexes, "name_counts", exact)


def literal_counts(indexes: Sequence[Index], hashes: np.ndarray) -> np.ndarray:
    """How many live indexed sources' code holds each literal (``hashes``: normalized), over all the indexes."""
    return _summed(indexes, "literal_counts", hashes)


def kept_counts(indexes: Sequence[Index], exact: np.ndarray) -> np.ndarray:
    """How many live indexed sources' code holds each kept name (attribute, method: ``exact``), over all the indexes."""
    return _summed(indexes, "kept_counts", exact)


def declared_counts(indexes: Sequence[Index], exact: np.ndarray) -> np.ndarray:
    """How many live indexed sources' code declares each kept name (``df.declared``), over all the indexes."""
    return _summed(indexes, "declared_counts", exact)


def _summed(indexes: Sequence[Index], method: str, keys: np.ndarray) -> np.ndarray:
    """``index.<method>(keys)`` (one count per key) added over the indexes a check consults."""
    if len(indexes) == 1:  # (an int64 array of its own already)
        return getattr(indexes[0], method)(keys)
    return sum((getattr(index, method)(keys) for index in indexes), np.zeros(np.asarray(keys).shape[0], dtype=np.int64))


def boilerplate_mask(indexes: Sequence[Index], query: Query, max_sources: int, share: float = 0.0,
                     counts: np.ndarray | None = None) -> np.ndarray:
    """Which of the query's shingles are boilerplate: they say nothing about which source was copied.

    A shingle is boilerplate when more indexed sources hold it than
    ``max_sources`` or, in a larger index, than ``share`` of its live sources
    (a license header, a standard signature, a stock phrase of doc comments;
    ``max_sources`` 0: the cap is off, whatever ``share``). Counts add up over all the indexes a check
    consults (``counts``: ``shingle_counts`` already made). This is the one place that decides what is boilerplate.
    """
    sh = query.shingles
    out = np.zeros(sh.shape[0], dtype=bool)
    if sh.shape[0] == 0:
        return out
    if max_sources > 0:
        live = sum(sum(e.sources - e.dead_sources for e in index.manifest.segments) for index in indexes)
        cap = max(max_sources, math.ceil(share * live))
        out |= (shingle_counts(indexes, query) if counts is None else counts) > cap
    return out


def without(query: Query, common: np.ndarray) -> Query:
    """``query`` with the ``common`` shingles made unmatchable: they count toward no candidate's containment."""
    c = core()
    if c is not None:  # one call: the numpy below is its reference
        shingles = c.unmatchable(np.ascontiguousarray(query.shingles, dtype=np.uint64),
                                 np.ascontiguousarray(common, dtype=np.bool_).view(np.uint8), int(_UNMATCHABLE))
        if shingles is None:
            return query
    else:
        at = np.flatnonzero(common)
        if at.shape[0] == 0:
            return query
        shingles = query.shingles.copy()
        shingles[at] = mix64(at.astype(np.uint64) ^ _UNMATCHABLE)  # equal to no indexed shingle
    out = _new(Query)  # ``replace(query, shingles=shingles)`` without its field-by-field introspection
    _set(out, "__dict__", {"stream": query.stream, "shingles": shingles, "keys": query.keys, "k": query.k})
    return out


_UNMATCHABLE = np.uint64(0x6A09E667F3BCC909)


# A band key held by more passages of one segment is skipped: too common to point at one copy.
MAX_KEY_HITS = 128
# Candidate passages measured per output passage (plus a floor): those sharing the most band keys first.
PASSAGES_PER_WINDOW = 4
MIN_PASSAGE_BUDGET = 2048
_MEASURE_CHUNK = 8192  # candidate passages gathered and measured at a time: bounds the memory of the stage


@dataclass(frozen=True, eq=False)
class Ranking:
    """The sources an output stream may copy, best first, and whether a bound left passages unmeasured."""

    candidates: list[Candidate]
    truncated: bool = False  # more candidate passages were found than ``passage_budget`` lets the stage measure
    more: bool = False  # more sources qualified than the ``limit`` asked for
    held: frozenset[tuple[int, int]] = frozenset()  # (shard, ref) of candidates only ``held_candidates`` proposed


def passage_budget(query: Query) -> int:
    """How many candidate passages the stage measures for ``query``: linear in the output's passages."""
    return MIN_PASSAGE_BUDGET + PASSAGES_PER_WINDOW * int(query.keys.shape[0])


def find_candidates(indexes: Index | Sequence[Index], query: Query, min_containment: float,
                    max_sources: int) -> list[Candidate]:
    """The best ``max_sources`` sources, over all ``indexes``, with a passage at least ``min_containment`` contained."""
    return rank_candidates(indexes, query, min_containment, max_sources).candidates


def rank_candidates(indexes: Index | Sequence[Index], query: Query, min_containment: float,
                    limit: int) -> Ranking:
    """At most ``limit`` sources, over all ``indexes``, with a passage at least ``min_containment`` contained.

    Work is bounded whatever the output and the index hold: each distinct
    band key is looked up once and skipped when more than ``MAX_KEY_HITS``
    passages of a segment hold it, and at most ``passage_budget(query)``
    passages are measured, those sharing the most keys with the output first
    (``Ranking.truncated`` says when the budget cut some).
    """
    if isinstance(indexes, Index):
        indexes = [indexes]
    if query.keys.shape[0] == 0 or limit <= 0:
        return Ranking([])
    found = [index.passage_hits(query.keys, MAX_KEY_HITS) for index in indexes]
    c = core()
    if c is not None:  # budget, containment and ranking in one call: the numpy below is its reference
        segs = [(s, *t) for s, index in enumerate(indexes) for t in index.passage_arrays()]
        keys, best, first, last, cut, more = c.rank_passages(
            found, segs, query.shingles, query.k, float(min_containment), passage_budget(query), limit, _SHARD_SHIFT)
        margins = [index.params.window(query.code)[0] for index in indexes]
        return Ranking(_candidates(indexes, margins, keys.tolist(), best.tolist(), first.tolist(), last.tolist()),
                       cut, more)
    gids, truncated = _within_budget(found, passage_budget(query))
    scored = [_contained(index, query, g, min_containment) for index, g in zip(indexes, gids)]
    if not any(info is not None for info, _ in scored):
        return Ranking([], truncated)
    only = scored[0][0] if len(scored) == 1 else None
    if only is not None:  # one index (shard 0): its arrays as they are, not copied by a concatenation
        keys, contain, tok = only.source, scored[0][1], only.tok
    else:
        keys = np.concatenate([info.source + (s << _SHARD_SHIFT) for s, (info, _) in enumerate(scored)
                               if info is not None])
        contain = np.concatenate([c for info, c in scored if info is not None])
        tok = np.concatenate([info.tok for info, _ in scored if info is not None])
    # each source's first and last token over its passages, for all sources in one pass
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    change = np.empty(ordered.shape[0], dtype=bool)
    change[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    distinct = ordered[starts]
    first = np.minimum.reduceat(tok[order, 0], starts)
    last = np.maximum.reduceat(tok[order, 1], starts)
    out = []
    more = distinct.shape[0] > limit
    picked = best_sources(keys, contain, limit)
    at = np.searchsorted(distinct, np.array([key for key, _ in picked], dtype=keys.dtype)).tolist()
    for (key, best), i in zip(picked, at):
        shard, ref = key >> _SHARD_SHIFT, key & ((1 << _SHARD_SHIFT) - 1)
        index = indexes[shard]
        margin = index.params.window(query.code)[0]
        lo = max(int(first[i]) - margin, 0)
        hi = int(last[i]) + margin
        out.append(Candidate(ref, best, index, (lo, hi), shard))
    return Ranking(out, truncated, more)


_SHARD_SHIFT = 40  # a source key is shard << 40 | ref: ranked by containment, ties by shard, then ref


def _candidates(indexes: Sequence[Index], margins: list[int], keys: list[int], containment: list[float],
                first: list[int], last: list[int]) -> list[Candidate]:
    """Per source key (``shard << _SHARD_SHIFT | ref``): ``Candidate(ref, containment, indexes[shard], (max(first -
    margin, 0), last + margin), shard)``, ``margin`` the shard's, without the frozen dataclass's setattr per field
    (a ranking makes one per source it keeps: up to ``max_sources * MAX_ROUNDS`` a stream)."""
    out = []
    mask = (1 << _SHARD_SHIFT) - 1
    for key, best, a, b in zip(keys, containment, first, last):
        shard = key >> _SHARD_SHIFT
        margin = margins[shard]
        a -= margin
        out.append(_new_candidate(key & mask, best, indexes[shard], (a if a > 0 else 0, b + margin), shard))
    return out


def _new_candidate(ref: int, containment: float, index: Index, rows: tuple[int, int | None] | np.ndarray,
                   shard: int) -> Candidate:
    """``Candidate(ref, containment, index, rows, shard)`` without the frozen dataclass's setattr per field."""
    c = _new(Candidate)
    _set(c, "__dict__", {"ref": ref, "containment": containment, "index": index, "rows": rows, "shard": shard})
    return c


_new = object.__new__
_set = object.__setattr__


def _within_budget(found: list[tuple[np.ndarray, np.ndarray]], budget: int) -> tuple[list[np.ndarray], bool]:
    """Per index, the sorted gids kept when at most ``budget`` passages over all indexes may be measured.

    Those sharing the most band keys are kept; ties go to the earlier index, then the lower gid.
    """
    total = sum(g.shape[0] for g, _ in found)
    if total <= budget:
        return [g for g, _ in found], False
    hits = np.concatenate([h for _, h in found])
    shard = np.concatenate([np.full(g.shape[0], s, dtype=np.int64) for s, (g, _) in enumerate(found)])
    gid = np.concatenate([g for g, _ in found])
    keep = np.lexsort((gid, shard, -hits))[:budget]
    return [np.sort(gid[keep][shard[keep] == s]) for s in range(len(found))], True


def _contained(index: Index, query: Query, gids: np.ndarray,
               min_containment: float) -> tuple[PassageInfo | None, np.ndarray]:
    """Info and containment of the passages ``gids`` of ``index`` that reach ``min_containment``; ``(None, [])`` if none.

    Measured in chunks of ``_MEASURE_CHUNK`` passages: memory stays within one chunk's tokens.
    """
    none = (None, np.zeros(0))
    if gids.shape[0] == 0:
        return none
    out_sorted = query.by_value[0]  # sorted once per query (duplicates change no share)
    parts = [index.measure_passages(gids[i : i + _MEASURE_CHUNK], out_sorted, query.k, min_containment)
             for i in range(0, gids.shape[0], _MEASURE_CHUNK)]
    if len(parts) == 1:
        info, contain, _ = parts[0]
    else:
        info = PassageInfo(*(np.concatenate([getattr(x[0], f) for x in parts]) for f in ("source", "tok", "kind")))
        contain = np.concatenate([x[1] for x in parts])
    if contain.shape[0] == 0:
        return none
    return info, contain


def best_sources(sources: np.ndarray, contain: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """Distinct sources with their best containment, best first, at most ``limit`` of them.

    >>> best_sources(np.array([3, 5, 3]), np.array([0.4, 0.9, 0.8]), 2)
    [(5, 0.9), (3, 0.8)]
    """
    order = np.lexsort((sources, -contain))
    _, first = np.unique(sources[order], return_index=True)
    pick = order[np.sort(first)][:limit]
    return [(int(s), float(c)) for s, c in zip(sources[pick], contain[pick])]


def held_candidates(indexes: Sequence[Index], queries: Sequence[Query], common: Sequence[np.ndarray],
                    counts: Sequence[np.ndarray], min_held: int, limit: int,
                    exclude: set[tuple[int, int]] | None = None) -> list[list[Candidate]]:
    """Per stream, the sources holding ``min_held`` or more of the output's rare shingles, most first.

    A rare shingle is one at most ``df.HOLDERS`` indexed sources hold (``counts``)
    and not boilerplate (``common``); each segment records its holders. This
    finds the copy MinHash cannot: an output too short (the first five lines of
    a documented function) for any band of it to meet an indexed window. The
    rare shingles of every stream (``queries``: the answer's code and its words)
    count together, as the floors count both channels: a short method under a
    one-line doc comment holds two rare shingles of code and one of words. At
    most ``limit`` sources are taken; each is sliced around the densest runs of
    the tokens where it holds a stream's shingles (``_densest``: every run
    holding as many, when the source holds the copied text more than once),
    stream by stream (a source's tokens hold one channel, then the other), and
    goes to the streams whose shingles it holds. ``exclude``: (shard, ref) not to take.
    """
    from .index.df import HOLDERS

    out: list[list[Candidate]] = [[] for _ in queries]
    if min_held <= 0 or limit <= 0 or not any(q.shingles.shape[0] for q in queries):
        return out
    c = core()
    if c is not None and len(queries) <= _MAX_STREAMS:  # one call: the numpy below is its reference
        segs = [(s, *t) for s, index in enumerate(indexes) for t in index.holder_arrays()]
        skip = (np.array(sorted((s << _SHARD_SHIFT) | r for s, r in exclude), dtype=np.int64) if exclude
                else _NO_KEYS)
        margins = np.array([[index.params.window(q.code)[0] for q in queries] for index in indexes], dtype=np.int64)
        stream = np.concatenate([np.full(q.shingles.shape[0], 1 << i, dtype=np.uint8) for i, q in enumerate(queries)])
        keys, lo, hi = c.held_sources(np.concatenate([q.shingles for q in queries]), stream,
                                      np.concatenate(common).view(np.uint8),
                                      np.concatenate(counts).astype(np.int64, copy=False), HOLDERS, segs, min_held,
                                      limit, skip, margins.reshape(len(indexes), len(queries)), _SHARD_SHIFT,
                                      TIED_RUNS)
        mask = (1 << _SHARD_SHIFT) - 1
        for key, los, his in zip(keys.tolist(), lo.tolist(), hi.tolist()):
            _held_slices(out, indexes, key >> _SHARD_SHIFT, key & mask,
                         [(i, a, b) for i, (ra, rb) in enumerate(zip(los, his)) for a, b in zip(ra, rb) if a >= 0])
        return out
    parts = [q.shingles[~m & (n > 0) & (n <= HOLDERS)] for q, m, n in zip(queries, common, counts)]
    if sum(int(x.shape[0]) for x in parts) < min_held:
        return out
    values = sorted_unique(np.concatenate(parts))
    found: list[tuple[int, int, int]] = []  # (-shingles held, shard, ref)
    held: dict[tuple[int, int], np.ndarray] = {}  # the output's values each of them holds
    for shard, index in enumerate(indexes):
        at, refs = index.held_by(values)
        if refs.shape[0] == 0:
            continue
        order = np.argsort(refs, kind="stable")
        at, refs = at[order], refs[order]
        start = np.flatnonzero(np.concatenate([[True], refs[1:] != refs[:-1]]))
        n = np.diff(np.concatenate([start, [refs.shape[0]]]))
        for i in np.flatnonzero(n >= min_held).tolist():
            ref = int(refs[start[i]])
            if exclude is None or (shard, ref) not in exclude:
                found.append((-int(n[i]), shard, ref))
                held[shard, ref] = np.sort(values[at[start[i]:start[i] + n[i]]])
    mine = [sorted_unique(x) for x in parts]
    for _, shard, ref in sorted(found)[:limit]:
        index = indexes[shard]
        stored = index.source_shingles(ref)
        ranges = []
        for i, (q, values_i) in enumerate(zip(queries, mine)):
            own = held[shard, ref][isin_sorted(held[shard, ref], values_i)]
            if own.shape[0]:
                at = _positions_of(stored, own)
                ranges += [(i, *r) for r in (_densest(at, index.params.window(q.code)[0]) if at.shape[0]
                                             else [(0, stored.shape[0])])]
        _held_slices(out, indexes, shard, ref, ranges)
    return out


def named_candidates(indexes: Sequence[Index], queries: Sequence[Query], min_held: int, limit: int,
                     exclude: set[tuple[int, int]] | None = None) -> list[list[Candidate]]:
    """Per code stream, the sources that declare ``min_held`` or more of its rare own names, most first.

    A one-line member (``getQueryCache() { return this.#e; }``) or the signature
    of a function (``def _convert_and_call(self, backend_name, ...``) holds one
    or two shingles of its names, or shingles that the same shape of signature
    in many sources holds: too few rare ones for ``held_candidates``, and too
    short for a band, while its names say which source it is. The output's own
    names (``df.own_names_at``: after ``def``, ``function``, ``class``..., a
    member's head; and its parameters: ``evidence.parameters``) of
    ``MIN_NAME_CHARS`` characters or more are looked up by ``df.own_key``: a
    name 1 to ``df.HOLDERS`` indexed sources declare is rare, and the holders
    table names them (``df.holders``). Only a code stream shorter than one
    window (``Params.window_code``) asks: a longer one holds a whole window for
    the bands, and a copy the names alone find is a whole block of its own
    (``evidence.reported``'s block-only test). At most ``limit`` sources are
    taken, most names first, then the rarer; each is sliced around the densest
    runs of the places of those names near where it declares them
    (``_densest``), and goes to the streams holding the names. ``exclude``:
    (shard, ref) not to take.
    """
    from .evidence import MIN_NAME_CHARS, parameters
    from .index.df import HOLDERS, own_key, own_names_at

    out: list[list[Candidate]] = [[] for _ in queries]
    if min_held <= 0 or limit <= 0:
        return out
    exact_parts, stream_parts = [], []
    window = max((index.params.window(True)[0] for index in indexes), default=0)
    for i, q in enumerate(queries):
        if not q.code or len(q.stream.tokens) > window:  # (a longer one holds a whole window for the bands)
            continue
        t = q.stream.tokens
        at = np.flatnonzero(((t.kinds == _IDENT) | (t.kinds == _KEPT)) & (t.ends - t.starts >= MIN_NAME_CHARS))
        if at.shape[0]:
            at = at[own_names_at(t.exact, t.kinds, at) | parameters(t.exact, t.kinds)[at]]
            exact_parts.append(t.exact[at])
            stream_parts.append(np.full(at.shape[0], i, dtype=np.int64))
    if not exact_parts or not sum(x.shape[0] for x in exact_parts):
        return out
    exact_of = np.concatenate(exact_parts)
    stream_of = np.concatenate(stream_parts)
    keys = own_key(exact_of)
    values = np.unique(keys)
    found: dict[tuple[int, int], set[int]] = {}  # (shard, ref) -> the values (positions in ``values``) it holds
    for shard, index in enumerate(indexes):
        at, refs = index.held_by(values)
        for a, ref in zip(at.tolist(), refs.tolist()):
            found.setdefault((shard, ref), set()).add(a)
    if not found:
        return out
    held = np.array(sorted({a for v in found.values() for a in v}), dtype=np.int64)
    n = _summed(indexes, "source_counts", values[held])
    weight = {a: 1.0 / c for a, c in zip(held.tolist(), n.tolist()) if 0 < c <= HOLDERS}  # the rarer, the more
    ranked = sorted((-len(rare), -sum(weight[a] for a in rare), shard, ref)
                    for (shard, ref), v in found.items() if len(rare := v & weight.keys()) >= min_held
                    and (exclude is None or (shard, ref) not in exclude))
    for _, _, shard, ref in ranked[:limit]:
        index = indexes[shard]
        mine = np.isin(keys, values[sorted(found[shard, ref] & weight.keys())])
        src = index.source_tokens(ref)
        margin = index.params.window(True)[0]
        ranges = []
        for i in np.unique(stream_of[mine]).tolist():
            at = _positions_of(src.exact, np.unique(exact_of[mine & (stream_of == i)]))
            at = at[(src.kinds[at] == _IDENT) | (src.kinds[at] == _KEPT)]
            if at.shape[0] == 0:
                continue
            decl = own_names_at(src.exact, src.kinds, at)  # where the source declares them (it does, somewhere)
            for j in np.flatnonzero(~decl)[:_PARAMETER_LOOKS].tolist():  # or a parameter, in the list before it
                lo, hi = max(int(at[j]) - _PARAMETER_REACH, 0), int(at[j]) + 2
                decl[j] = bool(parameters(src.exact[lo:hi], src.kinds[lo:hi])[int(at[j]) - lo])
            if decl.any():  # the places near a declaration (those of a caller say less)
                d = at[decl]
                i_d = np.searchsorted(d, at)
                near = np.minimum(np.abs(d[i_d.clip(max=d.shape[0] - 1)] - at), np.abs(at - d[np.maximum(i_d - 1, 0)]))
                at = at[near <= margin]
            ranges += [(i, *r) for r in _densest(at, margin)]
        if ranges:
            _held_slices(out, indexes, shard, ref, ranges)
    return out


_IDENT, _KEPT = int(Kind.IDENT), int(Kind.KEPT)
# At most this many sources are proposed by the output's names (``named_candidates``) per check: the copy a name
# alone finds is short, and its source holds the most of them, the rarest first.
NAMED_SOURCES = 4
# A name of a source's parameter list is looked for this many tokens back from it (``parameters`` of that stretch),
# at this many places per source at most.
_PARAMETER_REACH = 64
_PARAMETER_LOOKS = 8
_MAX_STREAMS = 8  # the compiled lookup marks a shingle's streams in 8 bits


def _held_slices(out: list[list[Candidate]], indexes: Sequence[Index], shard: int, ref: int,
                 ranges: list[tuple[int, int, int]]) -> None:
    """Give source ``ref`` to each stream of ``ranges`` ((stream, lo, hi); a stream may have several), sliced to the
    union of their token ranges."""
    index = indexes[shard]
    rows: tuple[int, int] | np.ndarray
    if len(ranges) == 1:
        rows = (ranges[0][1], ranges[0][2])
    else:
        n = len(index.source_tokens(ref))  # (every lo is >= 0: ``_densest`` and the compiled lookup clamp it)
        rows = sorted_unique(np.concatenate([np.arange(lo, min(hi, n)) for _, lo, hi in ranges]))
    for i in sorted({i for i, _, _ in ranges}):
        out[i].append(Candidate(ref, 0.0, index, rows, shard))


def _positions_of(stored: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Positions of ``stored`` holding one of ``values``: a few values are compared one by one (np.isin does the
    same for so few, after a setup that costs more than the comparisons on a source of a few thousand tokens).

    >>> _positions_of(np.array([4, 7, 4, 9], np.uint64), np.array([4, 9], np.uint64)).tolist()
    [0, 2, 3]
    """
    if values.shape[0] == 0 or values.shape[0] > _FEW_VALUES:
        return np.flatnonzero(np.isin(stored, values))
    mask = stored == values[0]
    for v in values[1:]:
        mask |= stored == v
    return np.flatnonzero(mask)


_FEW_VALUES = 16
_NO_KEYS = np.zeros(0, dtype=np.int64)


def _densest(at: np.ndarray, margin: int, most: int | None = None) -> list[tuple[int, int]]:
    """The ranges around the runs of ``at`` (sorted token positions, split where two are over ``margin`` apart)
    holding most, the first ``most`` (default ``TIED_RUNS``) of them when several hold as many (the first only
    when each holds one position: a shingle or two held in several places is not worth aligning several times).

    Held shingles spread over a long source would otherwise make its whole
    text a candidate slice; a copy the bands missed is short, so one run holds
    it. But a source may hold the same text more than once (sibling classes
    with the same doc comment and body: Streams.java's four stream builders),
    and the copy may be any of them: each tied run is sliced, so that
    alignment (and ``match.reanchor``) sees the one copied.

    >>> _densest(np.array([3, 5, 400, 410, 415]), 16)
    [(384, 431)]
    >>> _densest(np.array([3, 5, 400, 410, 900, 905]), 16)
    [(0, 21), (384, 426), (884, 921)]
    >>> _densest(np.array([3, 5, 400, 410, 900, 905]), 16, 2)
    [(0, 21), (384, 426)]
    >>> _densest(np.array([3, 400, 900]), 16)
    [(0, 19)]
    """
    gap = np.empty(at.shape[0] + 1, dtype=bool)  # where a run starts, and one past the last
    gap[0] = gap[-1] = True
    np.greater(at[1:] - at[:-1], margin, out=gap[1:-1])
    edges = np.flatnonzero(gap)
    n = edges[1:] - edges[:-1]
    best = np.flatnonzero(n == n.max())[:(TIED_RUNS if most is None else most) if n.max() > 1 else 1]
    return [(max(int(at[edges[b]]) - margin, 0), int(at[edges[b + 1] - 1]) + margin) for b in best.tolist()]


# At most this many equally dense runs of a source are sliced per stream (see ``_densest``): Streams.java holds
# four same-bodied builders; more copies than that of one text in one source are rare, and each costs alignment.
TIED_RUNS = 4


# Characters around a candidate's slice in which the other channel of the same source is aligned.
CROSS_MARGIN = 1500


def cross_channel(indexes: Sequence[Index], found: list[list[Candidate]], max_sources: int) -> list[list[Candidate]]:
    """Each stream's candidates plus the sources another stream found, sliced around the same characters.

    A short function's code may be too short to be looked up while its
    docstring is found (or the reverse): the code is then aligned with the
    source's tokens near the docstring's characters, so both channels give
    evidence. Slices hold the tokens of both channels of the source whose
    start lies in the span; shingles of one channel never equal the other's.
    A stream gets such sources only up to ``max_sources`` candidates in all.
    """
    if len(found) < 2 or not any(found) or all(len(cands) >= max_sources for cands in found):
        return found  # (no stream has room for another source)
    candidate_spans([c for cands in found for c in cands])
    spans: dict[tuple[int, int], tuple[int, int, float]] = {}
    for cands in found:
        for c in cands:
            span = c.span
            if span is not None:
                lo, hi = span
                key, contain = (c.shard, c.ref), c.containment
                old = spans.get(key)
                # (min and max of the spans and of the containments, written out: a round holds dozens of sources)
                spans[key] = (lo, hi, contain) if old is None else (
                    old[0] if old[0] < lo else lo, old[1] if old[1] > hi else hi,
                    old[2] if old[2] > contain else contain)
    out = []
    for cands in found:
        have = {(c.shard, c.ref) for c in cands}
        extra: list[Candidate] = []
        room = max_sources - len(cands) if max_sources > len(cands) else 0
        for (shard, ref), (lo, hi, contain) in spans.items():
            if len(extra) == room:
                break
            if (shard, ref) not in have:
                near = indexes[shard].source_near(ref, lo - CROSS_MARGIN, hi + CROSS_MARGIN)
                if near.shape[0]:
                    extra.append(_new_candidate(ref, contain, indexes[shard], near, shard))
        out.append(cands + extra)
    return out


def _take(tokens: Tokens, rows: np.ndarray) -> Tokens:
    return Tokens(tokens.hashes[rows], tokens.exact[rows], tokens.kinds[rows], tokens.starts[rows], tokens.ends[rows])
