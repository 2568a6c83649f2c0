"""Verification: candidates from the index measured on the actual tokens.

LSH only proposes passages. Here each proposal is checked against the output
token stream: which output shingles occur in the source, where the shared
runs lie in both texts (character spans), how much of each region they cover,
and whether the copy is ``verbatim`` (equal tokens), ``renamed`` (equal but
for identifiers, with the rename map) or ``near`` (shared runs with edits).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

import numpy as np

from .compiled import core
from .index.arrays import expand_ranges, isin_sorted, sorted_unique
from .index.query import SliceRows, TokenSlices
from .index.segment import SourceRecord
from .normalize.tokens import Kind, Tokens
from .sketch import _ID_LABELS, _IDENT, stream_shingles


class MatchKind(StrEnum):
    """How closely a region copies its source."""

    VERBATIM = "verbatim"  # the exact tokens agree
    RENAMED = "renamed"  # equal but for identifier names, renamed consistently
    NEAR = "near"  # shared runs with edits between them


@dataclass(frozen=True)
class Limits:
    """What a region needs to count as a copy (``Policy.limits`` gives them; ``match`` never reads a policy)."""

    min_tokens: int = 40  # tokens (code) or words (prose) the region must span in the output
    min_distinct_shingles: int = 20  # repetitive boilerplate has few distinct shingles
    min_similarity: float = 0.5  # share of both sides covered by shared runs
    max_gap: int = 32  # shingles of edits tolerated inside one region


@dataclass(frozen=True)
class Match:
    """One region of the output that copies one region of a protected source."""

    source: str
    license: str | None
    kind: MatchKind
    similarity: float
    output_span: tuple[int, int]
    source_span: tuple[int, int]
    lang: str
    tokens: int
    renames: dict[str, str] = field(default_factory=dict)
    source_path: str | None = None
    index: str | None = None  # the index the source is in, when a check consults several
    boilerplate: int = 0  # tokens of the match that only boilerplate shingles (held by many sources) cover
    # tokens covered by non-boilerplate runs whose exact tokens (names, literals) equal the source's, a run repeated
    # inside the match counted once (words: every word of the match's non-boilerplate runs)
    exact: int = 0
    # tokens weighted by rarity: covered only by shingles n indexed sources hold, a token counts n ** -rarity (exact
    # ones n ** (-rarity / 2)); None: not weighed (copyguard.evidence counts tokens - boilerplate)
    weight: float | None = None
    exact_weight: float | None = None  # the part of ``weight`` from the exact tokens
    # distinct identifiers (and literals few sources hold) kept at their place in the source outside exact runs: what a
    # renamer may not touch, each weighed 1, or more when few indexed sources hold it (``evidence.surviving_names``)
    names: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.index is None:
            del d["index"]
        d["kind"] = str(self.kind)
        d["output_span"] = list(self.output_span)
        d["source_span"] = list(self.source_span)
        d["similarity"] = round(self.similarity, 4)
        if not d["names"]:
            del d["names"]
        for key in ("weight", "exact_weight"):
            if d[key] is None:
                del d[key]
            else:
                d[key] = round(d[key], 2)
        return d


@dataclass(frozen=True)
class Region:
    """A matched region before attribution: token ranges in output and source, and the measures."""

    out_tok: tuple[int, int]
    src_tok: tuple[int, int]
    similarity: float
    kind: MatchKind


def align_regions(
    out: Tokens, out_sh: np.ndarray, src: Tokens, k: int, code: bool, limits: Limits,
    src_sh: np.ndarray | None = None, src_order: np.ndarray | None = None, at: np.ndarray | None = None,
) -> list[Region]:
    """Regions where ``src`` (a source slice) is copied into ``out`` that meet ``limits``.

    Equal shingles give (output, source) position pairs; pairs on one
    diagonal with consecutive positions form fragments; the longest
    fragments win where they compete for output tokens (greedy string
    tiling), and fragments in order on both sides, with gaps of at most
    ``limits.max_gap`` tokens, chain into one region. ``src_sh`` (the
    shingles of ``src``), ``src_order`` (their stable argsort) and ``at``
    (the sorted positions of ``out_sh`` whose value ``src_sh`` holds) may be
    given: the cost then follows what the two share, not the output's length.
    """
    if src_sh is None:
        src_sh = stream_shingles(src, k, code)
    regions = []
    for chain in _chains(tiles(out_sh, src_sh, order=src_order, at=at), limits.max_gap):
        region = _measure(out, out_sh, src, chain, k, limits)
        if region is not None:
            regions.append(region)
    return regions


KINDS = (MatchKind.VERBATIM, MatchKind.RENAMED, MatchKind.NEAR)  # ``Regions.kind`` indexes this


@dataclass(frozen=True, eq=False)
class Regions:
    """The regions of one output stream found in a batch of source slices, one row each, by slice then output."""

    cand: np.ndarray  # int64: the slice of the batch
    tok: np.ndarray  # int64 (n, 4): output tokens [o0, o1) and the slice's tokens [s0, s1)
    similarity: np.ndarray  # float64
    kind: np.ndarray  # uint8: index into ``KINDS``

    def __len__(self) -> int:
        return int(self.cand.shape[0])

    def region(self, i: int) -> Region:
        o0, o1, s0, s1 = (int(x) for x in self.tok[i])
        return Region((o0, o1), (s0, s1), float(self.similarity[i]), KINDS[int(self.kind[i])])


def align_batch(out: Tokens, out_sh: np.ndarray, sources: TokenSlices, k: int, code: bool, limits: Limits,
                max_occurrences: int = 32) -> Regions:
    """``align_regions`` of ``out`` against every slice of ``sources`` (a round's candidates), in one call.

    The compiled twin shingles each slice, finds the output positions it
    shares through one table of the output's shingles, tiles, chains and
    measures, with no Python per candidate.
    """
    c = core()
    if c is not None:
        t = sources.tokens
        cand, tok, sim, kind = c.align_batch(
            _u64(out_sh), _u64(out.hashes), _u64(out.exact), _u8(out.kinds), _u64(t.hashes), _u64(t.exact),
            _u8(t.kinds), np.ascontiguousarray(sources.offsets, dtype=np.int64), k, code, _ID_LABELS,
            limits.min_tokens, limits.min_distinct_shingles, float(limits.min_similarity), limits.max_gap,
            max_occurrences, MAX_TILES)
        return Regions(cand, tok, sim, kind)
    by_value = _by_value(out_sh)
    rows: list[tuple[int, Region]] = []
    for i in range(len(sources)):
        src = sources[i]
        src_sh = stream_shingles(src, k, code)
        order = np.argsort(src_sh, kind="stable")
        at = shared_positions(by_value, src_sh[order])
        rows += [(i, r) for r in align_regions(out, out_sh, src, k, code, limits, src_sh, order, at)]
    return Regions(np.array([i for i, _ in rows], dtype=np.int64),
                   np.array([(*r.out_tok, *r.src_tok) for _, r in rows], dtype=np.int64).reshape(-1, 4),
                   np.array([r.similarity for _, r in rows], dtype=np.float64),
                   np.array([KINDS.index(r.kind) for _, r in rows], dtype=np.uint8))


def reanchor(regions: Regions, out: Tokens, sources: TokenSlices | SliceRows) -> tuple[Regions, np.ndarray]:
    """Regions that are not verbatim moved to where their slice holds the output's exact tokens, if it does.

    A source may hold the same normalized code twice (``get_absl_handler`` and
    ``get_absl_logger``, ``removeFirst`` and ``removeLast``): the tiling keeps
    the first of two equal runs, so a verbatim copy of the second can be
    aligned as a renamed copy of the first, and then counts no exact token.
    Only a whole region is moved, to a place equal token for token. Returns
    the regions and the rows moved (their evidence is to be weighed again).
    """
    rows = np.flatnonzero(regions.kind != 0)
    if rows.shape[0] == 0:
        return regions, rows
    tok, kind, sim = regions.tok.copy(), regions.kind.copy(), regions.similarity.copy()
    moved = []
    for r in rows.tolist():
        o0, o1, s0, s1 = (int(x) for x in tok[r])
        want = out.exact[o0:o1]
        n = want.shape[0]
        src = sources[int(regions.cand[r])].exact
        if n == 0 or src.shape[0] < n:
            continue
        last = src.shape[0] - n + 1
        at = np.flatnonzero((src[:last] == want[0]) & (src[n - 1 :] == want[-1]))  # both ends agree: few places
        for k in {n // 2, n // 4, (3 * n) // 4}:  # and three inner tokens: fewer places to compare whole
            at = at[src[at + k] == want[k]]
        for j in at.tolist():
            if np.array_equal(src[j : j + n], want):
                tok[r, 2:] = (j, j + n)
                kind[r], sim[r] = 0, 1.0
                moved.append(r)
                break
    return Regions(regions.cand, tok, sim, kind), np.array(moved, dtype=np.int64)


def _u64(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.uint64)


def _u8(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.uint8)


def _by_value(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    return values[order], order


def shared_positions(by_value: tuple[np.ndarray, np.ndarray], src_sorted: np.ndarray) -> np.ndarray:
    """Sorted positions of the output's shingles that a source whose shingles are ``src_sorted`` (sorted) holds.

    ``by_value``: the output's shingles sorted, and where each sits (``Query.by_value``). Only these
    positions can start a fragment, so aligning costs what the two share, not the output's length.
    """
    values, order = by_value
    if src_sorted.shape[0] == 0 or values.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    distinct = src_sorted[np.flatnonzero(np.diff(src_sorted, prepend=~src_sorted[:1]))]
    lo = np.searchsorted(values, distinct, side="left")
    counts = np.searchsorted(values, distinct, side="right") - lo
    return np.sort(order[expand_ranges(lo, counts)])


def tiles(a: np.ndarray, b: np.ndarray, max_occurrences: int = 32, order: np.ndarray | None = None,
          at: np.ndarray | None = None) -> np.ndarray:
    """``(a_start, b_start, length)`` rows of the tiles of ``a`` over ``b``, grown, by output start.

    ``_extend(tile(fragments(a, b)), a, b)``, in one compiled call when the
    core is built. ``at`` (sorted output positions whose shingle ``b`` holds)
    limits the pairing to them, on both paths; ``order`` spares the numpy path a sort.

    >>> tiles(np.array([1, 2, 3, 4], np.uint64), np.array([9, 1, 2, 3], np.uint64)).tolist()
    [[0, 1, 3]]
    """
    c = core()
    if c is not None:
        where = np.arange(a.shape[0], dtype=np.int64) if at is None else np.ascontiguousarray(at, dtype=np.int64)
        return c.tiles(np.ascontiguousarray(a, dtype=np.uint64), np.ascontiguousarray(b, dtype=np.uint64),
                       max_occurrences, MAX_TILES, where)
    return _extend(tile(fragments(a, b, max_occurrences, order=order, at=at)), a, b)


# Runs tiled at most per (output, source) pair, longest first.
MAX_TILES = 512


def fragments(a: np.ndarray, b: np.ndarray, max_occurrences: int = 32, order: np.ndarray | None = None,
              at: np.ndarray | None = None) -> np.ndarray:
    """(n, 3) rows ``(a_start, b_start, length)`` of runs where ``a[i + t] == b[j + t]``.

    A value occurring more than ``max_occurrences`` times in ``b`` pairs with
    none of them: such shingles are boilerplate and would only add noise.
    ``order`` is ``np.argsort(b, kind="stable")`` when already known; ``at``
    the sorted positions of ``a`` to pair (the others pair with nothing).
    """
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64)
    if order is None:
        order = np.argsort(b, kind="stable")
    at = np.arange(a.shape[0]) if at is None else at
    sb = b[order]
    lo = np.searchsorted(sb, a[at], side="left")
    count = np.searchsorted(sb, a[at], side="right") - lo
    count[count > max_occurrences] = 0
    ai = np.repeat(at, count)
    first = np.cumsum(count) - count
    bj = order[np.repeat(lo, count) + np.arange(ai.shape[0]) - np.repeat(first, count)]
    if ai.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64)
    diag = bj - ai
    srt = np.lexsort((ai, diag))
    ai, diag = ai[srt], diag[srt]
    new = np.ones(ai.shape[0], dtype=bool)
    new[1:] = (diag[1:] != diag[:-1]) | (ai[1:] != ai[:-1] + 1)
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, ai.shape[0]))
    return np.stack([ai[starts], ai[starts] + diag[starts], lengths], axis=1)


def tile(frags: np.ndarray) -> np.ndarray:
    """Longest fragments first; drop a fragment that overlaps a kept one on either side."""
    frags = frags[np.argsort(-frags[:, 2], kind="stable")]
    kept: list[np.ndarray] = []
    used_a: tuple[list[int], list[int]] = ([], [])  # starts and ends of the kept runs: disjoint, sorted
    used_b: tuple[list[int], list[int]] = ([], [])
    for f in frags[frags[:, 2] >= 2][:MAX_TILES]:
        a0, b0, n = int(f[0]), int(f[1]), int(f[2])
        if _overlaps(used_a, a0, a0 + n) or _overlaps(used_b, b0, b0 + n):
            continue
        kept.append(f)
        _insert(used_a, a0, a0 + n)
        _insert(used_b, b0, b0 + n)
    if not kept:
        return np.zeros((0, 3), dtype=np.int64)
    out = np.array(kept)
    return out[np.argsort(out[:, 0], kind="stable")]


def _overlaps(used: tuple[list[int], list[int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of the disjoint, sorted ``used`` intervals (a binary search)."""
    starts, ends = used
    j = bisect.bisect_left(starts, end) - 1  # the last interval starting before ``end`` reaches the furthest
    return j >= 0 and ends[j] > start


def _insert(used: tuple[list[int], list[int]], start: int, end: int) -> None:
    at = bisect.bisect_left(used[0], start)
    used[0].insert(at, start)
    used[1].insert(at, end)


def _extend(frags: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Grow each fragment along its diagonal over shingles too common to have been paired."""
    frags = frags.copy()
    for f in frags:
        a0, b0, n = int(f[0]), int(f[1]), int(f[2])
        back = _equal_run(a[:a0][::-1], b[:b0][::-1])
        a0, b0, n = a0 - back, b0 - back, n + back
        n += _equal_run(a[a0 + n :], b[b0 + n :])
        f[:] = (a0, b0, n)
    if frags.shape[0] < 2:
        return frags
    frags = frags[np.lexsort((-frags[:, 2], frags[:, 0]))]
    reach = np.maximum.accumulate(frags[:, 0] + frags[:, 2])
    inside = np.zeros(frags.shape[0], dtype=bool)
    inside[1:] = frags[1:, 0] + frags[1:, 2] <= reach[:-1]  # covered by an earlier, longer fragment
    return frags[~inside]


def _equal_run(x: np.ndarray, y: np.ndarray) -> int:
    """How many leading items ``x`` and ``y`` share, compared in doubling blocks (a long run of one repeated
    shingle costs a few numpy calls, not a Python step per shingle)."""
    n, done, step = min(x.shape[0], y.shape[0]), 0, 8
    while done < n:
        end = min(done + step, n)
        differ = np.flatnonzero(x[done:end] != y[done:end])
        if differ.shape[0]:
            return done + int(differ[0])
        done, step = end, step * 2
    return n


def _chains(frags: np.ndarray, max_gap: int) -> list[np.ndarray]:
    """Split fragments (sorted by output start) where the next one jumps back or too far."""
    if frags.shape[0] == 0:
        return []
    gap_a = frags[1:, 0] - (frags[:-1, 0] + frags[:-1, 2])
    gap_b = frags[1:, 1] - (frags[:-1, 1] + frags[:-1, 2])
    breaks = np.flatnonzero((gap_a > max_gap) | (gap_b > max_gap) | (gap_b < -max_gap)) + 1
    return np.split(frags, breaks)


def _measure(out: Tokens, out_sh: np.ndarray, src: Tokens, chain: np.ndarray,
             k: int, limits: Limits) -> Region | None:
    """Coverage of both sides of a chain of fragments, checked against ``limits``, and the kind."""
    o0, o1 = int(chain[:, 0].min()), int((chain[:, 0] + chain[:, 2]).max()) + k - 1
    s0, s1 = int(chain[:, 1].min()), int((chain[:, 1] + chain[:, 2]).max()) + k - 1
    if o1 - o0 < limits.min_tokens:
        return None
    matched = expand_ranges(chain[:, 0], chain[:, 2])
    if sorted_unique(out_sh[matched]).shape[0] < limits.min_distinct_shingles:
        return None
    similarity = min(_coverage(chain[:, 0] - o0, chain[:, 2], k, o1 - o0),
                     _coverage(chain[:, 1] - s0, chain[:, 2], k, s1 - s0))
    if similarity < limits.min_similarity:
        return None
    kind = _kind(out[o0:o1], src[s0:s1])
    if kind != MatchKind.NEAR:
        similarity = 1.0
    return Region((o0, o1), (s0, s1), similarity, kind)


def _coverage(starts: np.ndarray, lengths: np.ndarray, k: int, size: int) -> float:
    """Share of ``size`` tokens covered by fragments of ``lengths`` shingles starting at ``starts``."""
    delta = np.bincount(starts, minlength=size + 1) - np.bincount(np.minimum(starts + lengths + k - 1, size),
                                                                  minlength=size + 1)  # np.add.at is 10x slower
    return float(np.count_nonzero(np.cumsum(delta[:size]))) / float(max(size, 1))


def _kind(a: Tokens, b: Tokens) -> MatchKind:
    """``verbatim`` when exact tokens agree, ``renamed`` when only identifier names differ, consistently."""
    if a.hashes.shape[0] != b.hashes.shape[0]:
        return MatchKind.NEAR
    if np.array_equal(a.exact, b.exact):
        return MatchKind.VERBATIM
    if not np.array_equal(a.hashes, b.hashes):
        return MatchKind.NEAR
    ident = a.kinds == Kind.IDENT
    x, y = a.exact[ident], b.exact[ident]
    order = np.lexsort((y, x))  # distinct (x, y) pairs by sorting (np.unique imports numpy.ma: 10 ms a process)
    x, y = x[order], y[order]
    first = np.ones(x.shape[0], dtype=bool)
    first[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    x, y = x[first], y[first]
    consistent = sorted_unique(x).shape[0] == x.shape[0] == sorted_unique(y).shape[0]
    return MatchKind.RENAMED if consistent else MatchKind.NEAR


def rename_map(out_text: str, out: Tokens, src_text: str, src: Tokens) -> dict[str, str]:
    """Output identifier -> source identifier for two token-aligned regions."""
    renames: dict[str, str] = {}
    for i in np.flatnonzero((out.kinds == Kind.IDENT) & (out.exact != src.exact)):
        new = out_text[int(out.starts[i]) : int(out.ends[i])]
        renames.setdefault(new, src_text[int(src.starts[i]) : int(src.ends[i])])
    return renames


def _once(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values that occur once in ``x``, sorted, and their positions."""
    order = np.argsort(x, kind="stable")
    s = x[order]
    single = np.ones(s.shape[0], dtype=bool)
    same = s[1:] == s[:-1]
    single[1:] &= ~same
    single[:-1] &= ~same
    return s[single], order[single]


def near_rename_map(out_text: str, out: Tokens, src_text: str, src: Tokens, k: int) -> dict[str, str]:
    """Output identifier -> source identifier for a near copy, whose regions are not aligned token for token.

    The tokens under a shingle that occurs once in each region are aligned
    (shingles number identifiers, so a renamed run still agrees); a name
    aligned with one other name wherever it is aligned is renamed, one aligned
    with two is left out.

    >>> from copyguard.normalize import normalize
    >>> a = "def f(xs):\\n    total = 0\\n    for x in xs:\\n        total += x * x\\n    return total + 1\\n"
    >>> b = "def g(items):\\n    acc = 0\\n    for it in items:\\n        acc += it * it\\n    print(acc)\\n    return acc\\n"
    >>> near_rename_map(b, normalize(b, "python").tokens, a, normalize(a, "python").tokens, 4)
    {'g': 'f', 'items': 'xs', 'acc': 'total', 'it': 'x'}
    """
    i, j = near_renames(out, src, k)
    return renamed_names(out_text, out, i, src_text, src, j)


def renamed_names(out_text: str, out: Tokens, i: np.ndarray, src_text: str, src: Tokens, j: np.ndarray
                  ) -> dict[str, str]:
    """Output name -> source name of each aligned token pair ``(i, j)`` (``near_renames``), read from the texts."""
    return {out_text[int(out.starts[x]) : int(out.ends[x])]: src_text[int(src.starts[y]) : int(src.ends[y])]
            for x, y in zip(i.tolist(), j.tolist())}


def near_renames(out: Tokens, src: Tokens, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``near_rename_map`` on the tokens' exact hashes alone: one output token and one source token of each
    renamed name, in the order the output first shows them (the caller reads the names only when there are some).
    An output none of whose names is missing from the source renamed none (a swap of two names is not looked for)."""
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    names = out.exact[out.kinds == _IDENT]
    if isin_sorted(names, sorted_unique(src.exact[src.kinds == _IDENT])).all():  # no name of its own: none renamed
        return none
    a, b = stream_shingles(out, k, True), stream_shingles(src, k, True)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return none
    va, pa = _once(a)
    vb, pb = _once(b)
    if va.shape[0] == 0 or vb.shape[0] == 0:  # every shingle repeats on one side: nothing to align by
        return none
    at = np.minimum(np.searchsorted(vb, va), vb.shape[0] - 1)
    hit = vb[at] == va
    step = np.arange(k, dtype=np.int64)
    i = (pa[hit][:, None] + step).ravel()
    j = (pb[at[hit]][:, None] + step).ravel()
    named = (out.kinds[i] == _IDENT) & (src.kinds[j] == _IDENT)
    i, j = i[named], j[named]
    x, y = out.exact[i], src.exact[j]
    order = np.lexsort((i, y, x))  # by name, then the name it is aligned with, then output position
    x, y, i, j = x[order], y[order], i[order], j[order]
    pair = np.ones(x.shape[0], dtype=bool)  # the first row of each distinct (name, aligned name)
    pair[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    x, y, i, j = x[pair], y[pair], i[pair], j[pair]
    alone = np.ones(x.shape[0], dtype=bool)  # a name aligned with one name only
    alone[1:] &= x[1:] != x[:-1]
    alone[:-1] &= x[:-1] != x[1:]
    keep = alone & (x != y)
    i, j = i[keep], j[keep]
    order = np.argsort(i, kind="stable")
    return i[order], j[order]


def attribute(region: Region, out_text: str, out: Tokens, lang: str, src: Tokens, src_text: str,
              source: SourceRecord) -> Match:
    """A ``Match`` for ``region``: token ranges turned into character spans of both texts, plus the renames."""
    (o0, o1), (s0, s1) = region.out_tok, region.src_tok
    renames = {}
    if region.kind == MatchKind.RENAMED:
        renames = rename_map(out_text, out[o0:o1], src_text, src[s0:s1])
    return Match(
        source=source.source_id, license=source.license, kind=region.kind, similarity=region.similarity,
        output_span=(int(out.starts[o0]), int(out.ends[o1 - 1])),
        source_span=(int(src.starts[s0]), int(src.ends[s1 - 1])),
        lang=lang, tokens=o1 - o0, renames=renames, source_path=source.path,
    )


def attribute_batch(regions: Regions, out_text: str, out: Tokens, lang: str, sources: TokenSlices | SliceRows,
                    record: Callable[[int], SourceRecord], text: Callable[[int], str],
                    index: Callable[[int], str | None] = lambda c: None, *, boilerplate: np.ndarray | None = None,
                    exact: np.ndarray | None = None, weight: np.ndarray | None = None,
                    exact_weight: np.ndarray | None = None, source_spans: np.ndarray | None = None,
                    names: np.ndarray | None = None) -> list[Match]:
    """``attribute`` of every region of ``regions``: one ``Match`` each, with the measures given per region.

    ``record(c)``, ``text(c)`` and ``index(c)``: the source record, the source text (read only for a
    renamed copy's rename map) and the index name of slice ``c`` of the batch. ``source_spans``: each
    region's source characters when known (``evidence.align_weigh_rows``; needed with ``SliceRows``).
    """
    if len(regions) == 0:
        return []
    tok = regions.tok
    if source_spans is None:
        assert isinstance(sources, TokenSlices)
        at = sources.offsets[regions.cand]
        source_spans = np.stack([sources.tokens.starts[at + tok[:, 2]], sources.tokens.ends[at + tok[:, 3] - 1]],
                                axis=1)
    c = core()
    if c is not None:  # (the loop below, one ``Match`` per region, in one call)
        def names_of(i: int) -> tuple[str, str | None, str | None, str | None]:
            rec = record(i)
            return rec.source_id, rec.license, rec.path, index(i)

        def renamed(i: int, o0: int, o1: int, s0: int, s1: int) -> dict[str, str]:
            return rename_map(out_text, out[o0:o1], text(i), sources[i][s0:s1])

        i64, f64 = np.int64, np.float64
        return c.attribute_batch(
            Match, KINDS, np.ascontiguousarray(regions.cand, dtype=i64), np.ascontiguousarray(tok, dtype=i64),
            np.ascontiguousarray(regions.similarity, dtype=f64), np.ascontiguousarray(regions.kind, dtype=np.uint8),
            np.ascontiguousarray(out.starts, dtype=i64), np.ascontiguousarray(out.ends, dtype=i64),
            np.ascontiguousarray(source_spans, dtype=i64), lang, names_of, renamed,
            *(None if x is None else np.ascontiguousarray(x, dtype=i64) for x in (boilerplate, exact, names)),
            *(None if x is None else np.ascontiguousarray(x, dtype=f64) for x in (weight, exact_weight)))
    spans = zip(out.starts[tok[:, 0]].tolist(), out.ends[tok[:, 1] - 1].tolist(), source_spans[:, 0].tolist(),
                source_spans[:, 1].tolist())
    n = len(regions)
    cols = [x.tolist() if x is not None else [0] * n for x in (boilerplate, exact, names)]
    weights = [x.tolist() if x is not None else [None] * n for x in (weight, exact_weight)]
    out_list = []
    named: dict[int, tuple[str, str | None, str | None, str | None]] = {}  # slice -> its source's names, read once
    for c, (o0, o1, s0, s1), sim, kind, (a, b, x, y), boiler, exact_i, names_i, weight_i, exact_weight_i in zip(
            regions.cand.tolist(), tok.tolist(), regions.similarity.tolist(), regions.kind.tolist(), spans, *cols,
            *weights):
        who = named.get(c)
        if who is None:
            rec = record(c)
            who = named[c] = (rec.source_id, rec.license, rec.path, index(c))
        renames = rename_map(out_text, out[o0:o1], text(c), sources[c][s0:s1]) if kind == 1 else {}
        m = _new(Match)  # (``new_match`` of a dict display of every field, in their order)
        _set(m, "__dict__", {
            "source": who[0], "license": who[1], "kind": KINDS[kind], "similarity": sim, "output_span": (a, b),
            "source_span": (x, y), "lang": lang, "tokens": o1 - o0, "renames": renames, "source_path": who[2],
            "index": who[3], "boilerplate": boiler, "exact": exact_i, "weight": weight_i,
            "exact_weight": exact_weight_i, "names": names_i})
        out_list.append(m)
    return out_list


def new_match(values: dict) -> Match:
    """``Match(**values)`` given every field, without the frozen dataclass's ``object.__setattr__`` per field: a
    check makes a ``Match`` per region of every candidate (hundreds on a long copy of much-copied code), and
    ``evidence`` one per merge of touching ones."""
    assert values.keys() == _MATCH_FIELDS
    m = object.__new__(Match)
    m.__dict__.update(values)
    return m


_MATCH_FIELDS = {f.name for f in fields(Match)}
_new = object.__new__
_set = object.__setattr__
