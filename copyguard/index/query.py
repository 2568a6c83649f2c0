"""Vectorized reads over an index's segments: band lookup and token gathers.

A ``View`` is one consistent state of an index (one manifest generation):
its open segments, their tombstones, and the base offsets that turn a
segment's local passage ids and source rows into global ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..compiled import core
from ..normalize.tokens import Tokens
from .arrays import arrow_strings, expand_ranges, isin_sorted, numpy_ints, sorted_unique
from .manifest import Manifest
from .segment import TOKEN_FIELDS, Segment
from .tombstones import load_tombstone

SEGMENTS = "segments"


@dataclass(frozen=True, eq=False)
class View:
    manifest: Manifest
    segments: tuple[Segment, ...]
    dead_sources: tuple[np.ndarray, ...]  # sorted local source rows, per segment
    dead_passages: tuple[np.ndarray, ...]  # sorted local passage ids, per segment
    p_base: np.ndarray  # int64 (n_segments + 1,): global id of each segment's first passage
    s_base: np.ndarray  # int64 (n_segments + 1,): global ref of each segment's first source

    @classmethod
    def build(cls, manifest: Manifest, segments: list[Segment], dead_s: list, dead_p: list) -> View:
        p_base = np.zeros(len(segments) + 1, dtype=np.int64)
        s_base = np.zeros(len(segments) + 1, dtype=np.int64)
        p_base[1:] = np.cumsum([e.passages for e in manifest.segments], dtype=np.int64)
        s_base[1:] = np.cumsum([e.sources for e in manifest.segments], dtype=np.int64)
        return cls(manifest, tuple(segments), tuple(dead_s), tuple(dead_p), p_base, s_base)

    @property
    def n_passages(self) -> int:
        return int(self.p_base[-1])

    @cached_property
    def band_arrays(self) -> list[tuple] | None:
        """Per segment ``(keys, pids, directory, dead_passages, p_base)``: what the compiled ``passage_hits`` reads
        (None if a segment's arrays are not of its types: the lookup then runs segment by segment)."""
        out = [(seg.keys, seg.pids, seg.dir, np.ascontiguousarray(dead, dtype=np.uint32), int(base))
               for seg, dead, base in zip(self.segments, self.dead_passages, self.p_base.tolist())]
        if any(k.dtype != np.uint64 or p.dtype != np.uint32 or d.dtype != np.int64 for k, p, d, _, _ in out):
            return None
        return out

    @cached_property
    def source_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per segment ``source_tok`` (int64 ``(sources, 2)``) and ``source_words``: what the compiled
        ``source_rows`` reads."""
        return ([np.ascontiguousarray(seg.source_tok, dtype=np.int64) for seg in self.segments],
                [np.asarray(seg.source_words, dtype=np.int64) for seg in self.segments])

    @cached_property
    def source_bases(self) -> list[int]:
        """``s_base`` as Python ints: one source is located per candidate, by ``bisect`` (no numpy call)."""
        return [int(x) for x in self.s_base]


@dataclass(frozen=True, eq=False)
class PassageInfo:
    """Per passage: global source ref, ``[start, end)`` in that source's tokens, kind (0 window, 1 unit)."""

    source: np.ndarray  # int64 (n,)
    tok: np.ndarray  # int64 (n, 2)
    kind: np.ndarray  # uint8 (n,)


@dataclass(frozen=True, eq=False)
class TokenSlices:
    """Token slices concatenated: slice ``i`` is ``tokens[offsets[i]:offsets[i+1]]``; starts/ends index source text."""

    tokens: Tokens
    offsets: np.ndarray  # int64 (slices + 1,)

    @classmethod
    def of(cls, slices: list[Tokens]) -> TokenSlices:
        """The slices concatenated (one copy of each field)."""
        offsets = np.zeros(len(slices) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in slices], out=offsets[1:])
        if len(slices) == 1:
            return cls(slices[0], offsets)
        return cls(Tokens(*(np.concatenate([getattr(t, f) for t in slices]) for f in TOKEN_FIELDS)), offsets)

    def __len__(self) -> int:
        return int(self.offsets.shape[0]) - 1

    def __getitem__(self, i: int) -> Tokens:
        return self.tokens[int(self.offsets[i]) : int(self.offsets[i + 1])]


@dataclass(frozen=True, eq=False)
class SliceRows:
    """Token slices left where they lie in segments' token arrays: ``TokenSlices`` before the gather.

    Slice ``i`` is rows ``lo[i]:hi[i]`` of ``segments[seg[i]]`` or, when ``lo[i]`` is negative, the
    rows ``rows[-lo[i] - 1 : -hi[i] - 1]`` of it (sorted picks). The compiled round reads them in
    place; ``gather`` makes the ``TokenSlices`` its numpy reference aligns.

    >>> t = Tokens(*(np.arange(6, dtype=d) for d in (np.uint64, np.uint64, np.uint8, np.uint32, np.uint32)))
    >>> rows = SliceRows((t,), np.array([0, 0]), np.array([1, -1]), np.array([3, -3]), np.array([0, 5]))
    >>> rows.gather().tokens.hashes.tolist(), rows.gather().offsets.tolist(), rows[1].starts.tolist()
    ([1, 2, 0, 5], [0, 2, 4], [0, 5])
    """

    segments: tuple[Tokens, ...]  # per segment: hashes, exact, kinds, starts, ends (uint64, uint64, uint8, uint32 x2)
    seg: np.ndarray  # int64, per slice
    lo: np.ndarray  # int64, per slice
    hi: np.ndarray  # int64, per slice
    rows: np.ndarray  # int64: the picked rows of every slice that picks
    # per segment: the shingle the build stored at each token (``Segment.token_shingles``), and per slice the
    # (first, words, end) rows of its source's channels; read by the compiled round instead of shingling again
    stored: tuple[np.ndarray, ...] | None = None
    channels: np.ndarray | None = None  # int64 (slices, 3)

    @classmethod
    def of(cls, slices: TokenSlices) -> SliceRows:
        """Slices already gathered, as ranges of their concatenation."""
        t = slices.tokens
        arrays = Tokens(t.hashes, t.exact, t.kinds, t.starts.astype(np.uint32, copy=False),
                        t.ends.astype(np.uint32, copy=False))
        n = len(slices)
        return cls((arrays,), np.zeros(n, dtype=np.int64), slices.offsets[:-1].astype(np.int64),
                   slices.offsets[1:].astype(np.int64), np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.seg.shape[0])

    def picked(self, i: int) -> slice | np.ndarray:
        """The rows of slice ``i`` in its segment's arrays."""
        lo, hi = int(self.lo[i]), int(self.hi[i])
        return slice(lo, hi) if lo >= 0 else self.rows[-lo - 1 : -hi - 1]

    def __getitem__(self, i: int) -> Tokens:
        t, at = self.segments[int(self.seg[i])], self.picked(i)
        if isinstance(at, slice):
            return t[at]
        return Tokens(*(getattr(t, f)[at] for f in TOKEN_FIELDS))

    def spans(self) -> np.ndarray:
        """``(slices, 2)`` int64: each slice's least token start and greatest token end; ``-1`` for an empty slice."""
        c = core()
        if c is not None:
            return c.slice_spans([(t.starts, t.ends) for t in self.segments], self.seg, self.lo, self.hi, self.rows)
        gathered = self.gather()
        t, offsets = gathered.tokens, gathered.offsets
        out = np.full((len(self), 2), -1, dtype=np.int64)
        full = np.flatnonzero(offsets[1:] > offsets[:-1])
        if full.shape[0]:
            out[full, 0] = np.minimum.reduceat(t.starts, offsets[full])
            out[full, 1] = np.maximum.reduceat(t.ends, offsets[full])
        return out

    def gather(self) -> TokenSlices:
        """The slices' tokens copied into one ``TokenSlices`` (one gather per field and segment)."""
        n = len(self)
        lengths = np.where(self.lo >= 0, self.hi - self.lo, self.lo - self.hi)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if n == 0:
            return TokenSlices(Tokens(*(np.zeros(0, dtype=d) for d in (np.uint64, np.uint64, np.uint8, np.uint32,
                                                                         np.uint32))), offsets)
        at = [np.arange(p.start, p.stop) if isinstance(p, slice) else p for p in map(self.picked, range(n))]
        parts = []
        for s in sorted(set(self.seg.tolist())):
            mine = np.flatnonzero(self.seg == s)
            rows = np.concatenate([at[i] for i in mine.tolist()]).astype(np.int64)
            parts.append((mine, Tokens(*(getattr(self.segments[s], f)[rows] for f in TOKEN_FIELDS))))
        if len(parts) == 1:
            return TokenSlices(parts[0][1], offsets)
        where = np.concatenate([expand_ranges(offsets[mine], lengths[mine]) for mine, _ in parts])
        fields = []
        for f in TOKEN_FIELDS:
            whole = np.empty(int(offsets[-1]), dtype=getattr(parts[0][1], f).dtype)
            whole[where] = np.concatenate([getattr(t, f) for _, t in parts])
            fields.append(whole)
        return TokenSlices(Tokens(*fields), offsets)


def lookup(view: View, keys: np.ndarray, max_hits: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``(query_row, gid)`` pairs, sorted, of passages sharing any band key with a query row."""
    bands = keys.shape[1]
    flat = keys.reshape(-1)
    order = np.argsort(flat)  # sorted needles: each binary search starts where the last one ended
    needles = flat[order]
    found = []
    for s, seg in enumerate(view.segments):
        idx, pids = seg.lookup(needles, max_hits)
        live = ~isin_sorted(pids, view.dead_passages[s].astype(np.int64))
        found.append((order[idx[live]] // bands, pids[live] + view.p_base[s]))
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows = np.concatenate([f[0] for f in found]).astype(np.int64)
    gids = np.concatenate([f[1] for f in found]).astype(np.int64)
    n = max(view.n_passages, 1)
    pairs = sorted_unique(rows * n + gids)
    return pairs // n, pairs % n


def lookup_passages(view: View, keys: np.ndarray, max_hits: int | None) -> np.ndarray:
    """Sorted unique live ``gid``s of passages sharing any band key in ``keys``: ``lookup``'s passages, cheaper."""
    return passage_hits(view, keys, max_hits)[0]


# Distinct keys looked up at a time: bounds the (key, passage) pairs held at once to this times ``max_hits``.
_KEY_CHUNK = 1 << 15


def passage_hits(view: View, keys: np.ndarray, max_hits: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique live ``gid``s sharing a band key with ``keys``, and how many distinct keys each shares.

    Each distinct key is looked up once and no (query row, passage) pairs are
    formed, so an answer whose windows repeat (a long literal list) costs its
    distinct keys, not its rows times the passages each key hits. Keys are
    looked up in chunks, so memory stays within one chunk's hits.
    """
    c = core()
    arrays = view.band_arrays if c is not None else None
    if c is not None and arrays is not None:  # distinct keys, lookup and tombstones in one call
        keys = np.asarray(keys, dtype=np.uint64)
        found = c.passage_hits(np.ascontiguousarray(keys.reshape(-1, keys.shape[-1] if keys.ndim > 1 else 1)),
                               arrays, -1 if max_hits is None else max_hits, _KEY_CHUNK)
        if found is not None:
            return found
    needles = sorted_unique(np.asarray(keys, dtype=np.uint64))
    gids, hits = [], []
    for s, seg in enumerate(view.segments):
        dead = view.dead_passages[s].astype(np.int64)
        parts = [seg.passage_counts(needles[i : i + _KEY_CHUNK], max_hits)
                 for i in range(0, max(needles.shape[0], 1), _KEY_CHUNK)]
        pids, counts = parts[0]
        if len(parts) > 1:
            pids, inverse = np.unique(np.concatenate([p for p, _ in parts]), return_inverse=True)
            counts = np.bincount(inverse.reshape(-1), weights=np.concatenate([c for _, c in parts]),
                                 minlength=pids.shape[0]).astype(np.int64)
        live = ~isin_sorted(pids, dead)
        gids.append(pids[live].astype(np.int64) + view.p_base[s])
        hits.append(counts[live].astype(np.int64))
    if not gids:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(gids), np.concatenate(hits)  # segments are in p_base order: already sorted


def passage_info(view: View, gids: np.ndarray) -> PassageInfo:
    seg_of = np.searchsorted(view.p_base, gids, side="right") - 1
    source = np.empty(gids.shape[0], dtype=np.int64)
    tok = np.empty((gids.shape[0], 2), dtype=np.int64)
    kind = np.empty(gids.shape[0], dtype=np.uint8)
    for s in sorted_unique(seg_of):
        m = seg_of == s
        seg, local = view.segments[s], gids[m] - view.p_base[s]
        rows = np.asarray(seg.p_source[local], dtype=np.int64)
        source[m] = rows + view.s_base[s]
        tok[m] = seg.p_tok[local] - seg.source_tok[rows, :1]
        kind[m] = seg.p_kind[local]
    return PassageInfo(source, tok, kind)


def passage_containment(view: View, gids: np.ndarray, out_sorted: np.ndarray, k: int) -> np.ndarray:
    """Share of each passage's shingles (``k`` tokens each) that ``out_sorted`` (sorted, distinct) holds.

    Read from the shingles stored per token: passages are never shingled again.
    """
    out = np.zeros(gids.shape[0], dtype=np.float64)
    if gids.shape[0] == 0:
        return out
    p = view.manifest.params
    seg_of = np.searchsorted(view.p_base, gids, side="right") - 1
    for s in sorted_unique(seg_of).tolist():
        m = np.flatnonzero(seg_of == s)
        seg = view.segments[s]
        ranges = np.ascontiguousarray(seg.p_tok[gids[m] - view.p_base[s]], dtype=np.int64)
        out[m] = range_containment(seg.token_shingles(p.shingle_code, p.shingle_prose), ranges, k, out_sorted)
    return out


def measure_passages(view: View, gids: np.ndarray, out_sorted: np.ndarray, k: int,
                     min_containment: float) -> tuple[PassageInfo, np.ndarray, np.ndarray]:
    """Of the sorted passages ``gids``, those at least ``min_containment`` contained in ``out_sorted``:
    ``(info, containment, gids)`` of those, in ``gids`` order (``passage_containment`` then ``passage_info``)."""
    c = core()
    if c is None:
        contain = passage_containment(view, gids, out_sorted, k)
        good = contain >= min_containment
        return passage_info(view, gids[good]), contain[good], gids[good]
    p = view.manifest.params
    seg_of = np.searchsorted(view.p_base, gids, side="right") - 1
    parts = []
    for s in (sorted_unique(seg_of).tolist() if len(view.segments) > 1 else [0] if gids.shape[0] else []):
        seg = view.segments[s]
        local = gids[seg_of == s] - view.p_base[s] if len(view.segments) > 1 else gids
        pids, share, rows, tok, kind = c.measure_passages(
            np.ascontiguousarray(local, dtype=np.int64), seg.p_tok, seg.p_source, seg.source_tok, seg.p_kind,
            seg.token_shingles(p.shingle_code, p.shingle_prose), k, out_sorted, float(min_containment))
        parts.append((pids + view.p_base[s], share, rows + view.s_base[s], tok, kind))
    if not parts:
        return PassageInfo(np.zeros(0, dtype=np.int64), np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.uint8)), \
            np.zeros(0), np.zeros(0, dtype=np.int64)
    if len(parts) == 1:
        g, share, rows, tok, kind = parts[0]
        return PassageInfo(rows, tok, kind), share, g
    return (PassageInfo(*(np.concatenate([x[i] for x in parts]) for i in (2, 3, 4))),
            np.concatenate([x[1] for x in parts]), np.concatenate([x[0] for x in parts]))


def range_containment(shingles: np.ndarray, ranges: np.ndarray, k: int, out_sorted: np.ndarray) -> np.ndarray:
    """For each token range ``[a, b)``, the share of its ``b - a - k + 1`` shingles found in ``out_sorted``.

    >>> range_containment(np.array([5, 6, 7, 0], np.uint64), np.array([[0, 4]]), 2, np.array([6, 7], np.uint64)).tolist()
    [0.6666666666666666]
    """
    c = core()
    if c is not None and shingles.dtype == np.uint64:
        return c.range_containment(shingles, np.ascontiguousarray(ranges, dtype=np.int64), k,
                                   np.ascontiguousarray(out_sorted, dtype=np.uint64))
    lengths = np.maximum(ranges[:, 1] - ranges[:, 0] - k + 1, 0)
    if int(lengths.sum()) == 0 or out_sorted.shape[0] == 0:
        return np.zeros(ranges.shape[0])
    pid = np.repeat(np.arange(ranges.shape[0]), lengths)
    hit = isin_sorted(shingles[expand_ranges(ranges[:, 0], lengths)], out_sorted)
    return np.bincount(pid, weights=hit, minlength=ranges.shape[0]) / np.maximum(lengths, 1)


def gather_tokens(view: View, seg_of: np.ndarray, ranges: np.ndarray) -> TokenSlices:
    """Concatenate token ranges ``ranges[i]`` of segment ``seg_of[i]``, in the given order."""
    lengths = ranges[:, 1] - ranges[:, 0]
    offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    first = view.segments[0].tokens if view.segments else None
    out = {f: np.empty(total, dtype=first[f].dtype if first else np.uint64) for f in TOKEN_FIELDS}
    for s in sorted_unique(seg_of):
        idx = np.flatnonzero(seg_of == s)
        src = expand_ranges(ranges[idx, 0], lengths[idx])
        dst = expand_ranges(offsets[idx], lengths[idx])
        for f in TOKEN_FIELDS:
            out[f][dst] = view.segments[s].tokens[f][src]
    return TokenSlices(Tokens(**out), offsets)


def load_view(root: Path, manifest: Manifest, cache: dict[str, Segment]) -> View:
    """The segments and tombstones ``manifest`` names, reusing already open segments from ``cache``."""
    segments, dead_s, dead_p = [], [], []
    for e in manifest.segments:
        seg = cache.get(e.name) or Segment(root / SEGMENTS / e.name)
        ds, dp = load_tombstone(root, e)
        segments.append(seg)
        dead_s.append(ds)
        dead_p.append(dp)
    return View.build(manifest, segments, dead_s, dead_p)


def live_rows(view: View, ids: list[str]) -> list[np.ndarray]:
    """Per segment, the sorted live rows whose source_id is in ``ids``."""
    if not view.segments or not ids:  # (a new index's first segment: no import of Arrow's compute kernels, 0.2 s)
        return [np.zeros(0, dtype=np.int64) for _ in view.segments]
    import pyarrow.compute as pc  # a takedown's lookup by id; checks never need Arrow's compute kernels

    out = []
    value_set = arrow_strings(ids)
    for seg, dead in zip(view.segments, view.dead_sources):
        if not ids:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        hit = pc.indices_nonzero(pc.is_in(seg.sources.column("source_id"), value_set=value_set))
        rows = numpy_ints(hit)
        out.append(rows[~isin_sorted(rows, dead.astype(np.int64))])
    return out
