"""The on-disk index: a manifest, immutable memory-mapped segments, and tombstones.

Layout of an index directory::

    manifest.json            format, versions, params, grammars, segments (written last, atomically)
    lock                     writers hold fcntl.flock on it; readers never lock
    segments/<name>/         immutable: band table, tokens, passages (.npy), sources/texts (.arrow)
    tombstones/<file>.npz    dead source rows and passages of one segment
    base/<file>.npy          shingles of the declared base code (starter code), when there is some
    tmp/                     writers' scratch space; ignored by readers, swept by the next writer

Global passage ids and source refs number passages and sources across
segments in manifest order; they are stable until ``compact()`` renumbers them.
"""

from __future__ import annotations

import os
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..compiled import core
from ..errors import IndexStoreError
from ..normalize.tokens import Tokens
from ..params import Params
from . import fsutil
from .arrays import arrow_ints, expand_ranges, isin_sorted, small_pages, sorted_unique
from .base import BASE, BaseEntry, base_problems, load_base, write_base
from .df import NO_HOLDER, count_of, declared_key, kept_key, literal_key, name_key, position_of, rows_counts
from .integrity import VerifyReport, check_segment_files, digest_dir, raise_problems
from .manifest import MANIFEST, Manifest, SegmentEntry, check_params, read_manifest, write_manifest
from .query import (
    SEGMENTS,
    PassageInfo,
    SliceRows,
    TokenSlices,
    View,
    gather_tokens,
    live_rows,
    load_view,
    lookup,
    lookup_passages,
    measure_passages,
    passage_containment,
    passage_hits,
    passage_info,
)
from .segment import (
    TOKEN_FIELDS,
    Segment,
    SegmentData,
    SourceRecord,
    arrays_of,
    describe,
    source_table,
    text_table,
    write_segment,
)
from .tombstones import TOMBSTONES, load_tombstone, write_tombstone

if TYPE_CHECKING:
    import pyarrow as pa

_LAYOUT = {SEGMENTS, TOMBSTONES, BASE, fsutil.TMP, fsutil.LOCK, MANIFEST + ".tmp"}
_ASCENDING_KEPT = 1 << 16  # sources whose channels' order ``source_near`` keeps (then it starts again)


class Index:
    """A copyguard index directory, open for queries and for writes.

    >>> import tempfile
    >>> idx = Index.create(tempfile.mkdtemp() + "/idx", Params(), {"python": "0.25.0"})
    >>> idx.stats()["passages"]
    0
    """

    def __init__(self, path: Path, view: View):
        self.path = path
        self._view = view
        self._cache: dict[str, Segment] = {s.path.name: s for s in view.segments}
        self._dead_counts: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
        # (segment file, source row) -> ``channels_ascending`` of its token starts (``source_near``)
        self._ascending: dict[tuple[str, int], int] = {}
        self._last_hits: tuple[np.ndarray, int | None, tuple[np.ndarray, np.ndarray]] | None = None
        self._base: tuple[str, np.ndarray] | None = None  # (digest, shingles) of the declared base code
        self._arrays: dict[str, tuple[View, list[tuple]]] = {}  # per view: what the compiled candidate stage reads

    # --- opening ---------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike, params: Params, grammars: dict[str, str], *,
               exist_ok: bool = False) -> Index:
        """Make a new, empty index at ``path`` (a missing or empty directory).

        With ``exist_ok`` an index already there is opened instead (its params must equal ``params``).
        """
        root = Path(path)
        if exist_ok and (root / MANIFEST).exists():
            return cls.open(root, params)
        with cls.building(root, params, grammars):
            pass
        return cls.open(root)

    @classmethod
    @contextmanager
    def building(cls, path: str | os.PathLike, params: Params, grammars: dict[str, str]) -> Iterator[Transaction]:
        """A new index at ``path`` that appears only once everything in the ``with`` block is written.

        Until then ``path`` holds no manifest, so no reader can open a half-built
        index; a failed build removes the directory it created, and a killed
        build can simply be run again (its leftovers are swept).

        with Index.building("new.cgidx", Params(), {}) as txn:
            txn.add(data)
        """
        root = Path(path)
        created = not root.exists()
        _check_new_root(root)
        try:
            for sub in (SEGMENTS, TOMBSTONES, fsutil.TMP):
                (root / sub).mkdir(parents=True, exist_ok=True)
            with fsutil.writer_lock(root):
                _check_new_root(root)  # another build may have finished while we waited for the lock
                empty = Manifest(params, dict(grammars))
                fsutil.sweep(root, _keep(empty))
                txn = Transaction(cls(root, load_view(root, empty, {})), new=True)
                yield txn
                txn._commit()
        except BaseException:
            if created:
                fsutil.remove_path(root)
            else:
                fsutil.sweep(root, _keep(Manifest(params)))
            raise

    @classmethod
    def open(cls, path: str | os.PathLike, params: Params | None = None) -> Index:
        """Open the index at ``path``; with ``params``, refuse an index built with other parameters.

        >>> Index.open("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        copyguard.errors.IndexStoreError: /nonexistent: no index here ...
        """
        return cls._open_latest(Path(path), params, {})

    @classmethod
    def _open_latest(cls, root: Path, params: Params | None, cache: dict[str, Segment]) -> Index:
        for _ in range(5):
            manifest = read_manifest(root)
            if params is not None:
                check_params(manifest, params, root)
            try:
                return cls(root, _open_view(root, manifest, cache))
            except IndexStoreError:
                # a concurrent compaction may have deleted what this manifest named: retry with the new one
                if read_manifest(root).generation == manifest.generation:
                    raise
        raise IndexStoreError(f"{root}: the index kept changing while opening; try again")

    def latest(self) -> Index:
        """This index at its newest committed generation: ``self`` if none is newer, else a new object.

        Unlike ``refresh``, this object is left as it is, so a reader in the
        middle of a check finishes on the generation it started with; the new
        object shares the segments both generations hold (already mapped).
        """
        if read_manifest(self.path).generation == self._view.manifest.generation:
            return self
        return Index._open_latest(self.path, self.params, self._cache)

    def refresh(self) -> bool:
        """Pick up writes made by other processes since this object was opened; True if anything changed."""
        if read_manifest(self.path).generation == self._view.manifest.generation:
            return False
        fresh = Index._open_latest(self.path, None, self._cache)  # retries if a writer swept what it named
        self._view, self._cache = fresh._view, fresh._cache
        return True

    @property
    def manifest(self) -> Manifest:
        """The manifest of the generation this object reads."""
        return self._view.manifest

    @property
    def params(self) -> Params:
        return self._view.manifest.params

    @property
    def grammars(self) -> dict[str, str]:
        return dict(self._view.manifest.grammars)

    def __len__(self) -> int:
        return self._view.n_passages

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r}, segments={len(self._view.segments)}, passages={len(self)})"

    # --- queries ---------------------------------------------------------

    def lookup(self, keys: np.ndarray, max_hits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All ``(query_row, passage_gid)`` pairs sharing a band key, unique, sorted, tombstones excluded.

        ``keys`` is ``(q, bands)`` uint64 from ``copyguard.sketch.band_keys``.
        With ``max_hits``, a key held by more than that many passages in one
        segment is ignored (boilerplate).

        rows, gids = idx.lookup(band_keys(sigs, p.bands, p.rows))
        """
        keys = np.asarray(keys, dtype=np.uint64)
        bands = self.params.bands
        if keys.ndim != 2 or keys.shape[1] != bands:
            raise IndexStoreError(f"lookup keys must have shape (q, {bands}) for this index, got {keys.shape}")
        return lookup(self._view, keys, max_hits)

    def lookup_passages(self, keys: np.ndarray, max_hits: int | None = None) -> np.ndarray:
        """Sorted unique global passage ids sharing any band key with ``keys``: ``np.unique(lookup(keys)[1])``."""
        keys = np.asarray(keys, dtype=np.uint64)
        if keys.ndim != 2 or keys.shape[1] != self.params.bands:
            raise IndexStoreError(f"lookup keys must have shape (q, {self.params.bands}) for this index, got {keys.shape}")
        return lookup_passages(self._view, keys, max_hits)

    def passage_hits(self, keys: np.ndarray, max_hits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``lookup_passages(keys)``, and for each passage how many distinct keys of ``keys`` it holds.

        The more band keys a passage shares, the more similar it likely is
        (LSH): the candidate stage measures those first when it has to choose.
        """
        keys = np.asarray(keys, dtype=np.uint64)
        if keys.ndim != 2 or keys.shape[1] != self.params.bands:
            raise IndexStoreError(f"lookup keys must have shape (q, {self.params.bands}) for this index, got {keys.shape}")
        last = self._last_hits  # the candidate stage asks twice for one query's keys (with and without boilerplate)
        if last is not None and last[0] is keys and last[1] == max_hits:
            return last[2]
        found = passage_hits(self._view, keys, max_hits)
        self._last_hits = (keys, max_hits, found)
        return found

    def passage_info(self, gids: Iterable[int] | np.ndarray) -> PassageInfo:
        """Source ref, token range within that source, and kind of each passage."""
        return passage_info(self._view, self._gids(gids))

    def passage_containment(self, gids: Iterable[int] | np.ndarray, out_sorted: np.ndarray, k: int) -> np.ndarray:
        """Share of each passage's shingles of ``k`` tokens that the sorted distinct ``out_sorted`` holds.

        Read from the shingles the index stores per token (passages are not
        shingled again); ``k`` is the output stream's shingle width.
        """
        return passage_containment(self._view, self._gids(gids), np.asarray(out_sorted, dtype=np.uint64), k)

    def measure_passages(self, gids: np.ndarray, out_sorted: np.ndarray, k: int,
                         min_containment: float) -> tuple[PassageInfo, np.ndarray, np.ndarray]:
        """Of the sorted passage ids ``gids``, those whose shingles of ``k`` tokens are at least ``min_containment``
        among the sorted distinct ``out_sorted``: ``(passage_info, containment, gids)`` of those, in ``gids`` order."""
        return measure_passages(self._view, self._gids(gids), np.asarray(out_sorted, dtype=np.uint64), k,
                                min_containment)

    def passage_tokens(self, gids: Iterable[int] | np.ndarray) -> TokenSlices:
        """The token slices of these passages concatenated; passage ``i`` is ``tokens[offsets[i]:offsets[i+1]]``.

        ``starts``/``ends`` are character offsets into the passage's source text.
        """
        view = self._view
        gids = self._gids(gids)
        seg_of = np.searchsorted(view.p_base, gids, side="right") - 1
        ranges = np.empty((gids.shape[0], 2), dtype=np.int64)
        for s in sorted_unique(seg_of):
            m = seg_of == s
            ranges[m] = view.segments[s].p_tok[gids[m] - view.p_base[s]]
        return gather_tokens(view, seg_of, ranges)

    def source(self, ref: int) -> SourceRecord:
        """The record of source ``ref`` (a global source ref, as in ``passage_info(...).source``)."""
        seg, row = self._locate_source(ref)
        return seg.source_record(row)

    def source_text(self, ref: int) -> str:
        """The original text of source ``ref``, read from disk on demand."""
        seg, row = self._locate_source(ref)
        return seg.texts[row].as_py()

    def source_tokens(self, ref: int, start: int = 0, end: int | None = None) -> Tokens:
        """Tokens ``start:end`` (default: all) of source ``ref``."""
        seg, row, _ = self._locate(ref)
        lo, hi = _token_range(seg, row, start, end)
        t = seg.tokens  # one range: views of the mapped arrays, nothing copied
        return Tokens(t["hashes"][lo:hi], t["exact"][lo:hi], t["kinds"][lo:hi], t["starts"][lo:hi], t["ends"][lo:hi])

    def source_slices(self, pieces: Sequence[tuple[int, tuple[int, int | None] | np.ndarray]]) -> TokenSlices:
        """Several sources' tokens concatenated: piece ``(ref, (start, end))`` is ``source_tokens(ref, start, end)``,
        piece ``(ref, rows)`` those rows (sorted) of ``source_tokens(ref)``.

        One gather per token field when the sources are in one segment (what a round of the check aligns).
        """
        bases = self._view.source_bases
        s = bisect_right(bases, pieces[0][0]) - 1 if pieces else -1
        if s < 0 or any(not bases[s] <= ref < bases[s + 1] for ref, _ in pieces):
            return TokenSlices.of([self.source_tokens(ref, *rows) if isinstance(rows, tuple)
                                   else self.source_tokens(ref)[rows] for ref, rows in pieces])
        seg = self._view.segments[s]
        ends = seg.source_tok[[ref - bases[s] for ref, _ in pieces]].tolist()
        lengths, parts = [], []
        for (first, last), (_, rows) in zip(ends, pieces):
            if isinstance(rows, tuple):  # as source_tokens clamps them
                start, end = rows
                lo = int(min(first + max(start, 0), last))
                hi = int(max(lo, last if end is None else min(first + max(end, 0), last)))
                lengths.append(hi - lo)
                parts.append(lo)
            else:
                lengths.append(len(rows))
                parts.append(first + np.asarray(rows, dtype=np.int64))
        if all(isinstance(p, int) for p in parts):  # ranges only: one expansion
            at = expand_ranges(np.array(parts, dtype=np.int64), np.array(lengths, dtype=np.int64))
        else:
            at = np.concatenate([np.arange(p, p + n) if isinstance(p, int) else p for p, n in zip(parts, lengths)])
        offsets = np.array([0, *accumulate(lengths)], dtype=np.int64)
        return TokenSlices(Tokens(*(seg.tokens[f][at] for f in TOKEN_FIELDS)), offsets)

    def source_rows(self, pieces: Sequence[tuple[int, tuple[int, int | None] | np.ndarray]]) -> SliceRows:
        """``source_slices(pieces)`` left where the tokens lie: which rows of which segment each piece reads.

        Nothing is copied but the picked rows' numbers; the compiled round reads the segments' arrays in place.
        """
        view = self._view
        c = core()
        if c is not None:  # (the loop below in one call: a round of a long copy reads a hundred pieces)
            found = c.source_rows(pieces, view.s_base, *view.source_arrays)
            if found is not None:  # (the segments read, and SliceRows' arrays)
                params = view.manifest.params
                return SliceRows(tuple(view.segments[s].token_arrays for s in found[0]), found[1], found[2], found[3], found[4],
                                 tuple(view.segments[s].token_shingles(params.shingle_code, params.shingle_prose)
                                       for s in found[0]), found[5])
        bases = view.source_bases
        n_src = bases[-1]
        where: dict[int, int] = {}  # segment position in the view -> in ``segments``
        seg: list[int] = []
        lo: list[int] = []
        hi: list[int] = []
        picks: list[np.ndarray] = []
        channels: list[int] = []  # first, words, end rows of each piece's source
        n_picked = 0
        s, base = -1, 0
        segment: Any = None  # (set with ``s``)
        for ref, rows in pieces:
            if not 0 <= ref < n_src:
                raise IndexStoreError(f"source ref {ref} out of range: the index has {n_src} sources")
            if not (s >= 0 and base <= ref < bases[s + 1]):  # (a round's sources are mostly in one segment)
                s = bisect_right(bases, ref) - 1
                base, segment = bases[s], view.segments[s]
            first, last = segment.source_tok[ref - base].tolist()
            channels += (first, segment.source_words[ref - base], last)
            seg.append(where.setdefault(s, len(where)))
            if isinstance(rows, tuple):  # as source_tokens clamps them
                start, end = rows
                a = first + start if start > 0 else first
                a = a if a < last else last
                lo.append(a)
                if end is not None:
                    b = first + end if end > 0 else first
                    last = b if b < last else last
                hi.append(last if last > a else a)
            else:
                picked = first + np.asarray(rows, dtype=np.int64)
                picks.append(picked)
                lo.append(-n_picked - 1)
                n_picked += picked.shape[0]
                hi.append(-n_picked - 1)
        p = view.manifest.params
        n = len(seg)
        return SliceRows(tuple(view.segments[s].token_arrays for s in where), np.fromiter(seg, np.int64, n),
                         np.fromiter(lo, np.int64, n), np.fromiter(hi, np.int64, n),
                         np.concatenate(picks) if picks else np.zeros(0, dtype=np.int64),
                         tuple(view.segments[s].token_shingles(p.shingle_code, p.shingle_prose) for s in where),
                         np.fromiter(channels, np.int64, 3 * n).reshape(n, 3))

    def source_near(self, ref: int, lo: int, hi: int) -> np.ndarray:
        """The rows of ``source_tokens(ref)`` (int64, ascending) whose token starts at a character in ``[lo, hi)``."""
        seg, row, _ = self._locate(ref)
        first, last = seg.source_tok[row].tolist()
        c = core()
        starts = seg.tokens["starts"]
        if c is not None and starts.dtype == np.uint32:
            words = min(max(int(seg.source_words[row]), first), last)
            # whether its channels ascend, read once per source (a check asks about a source in every round)
            key = (seg.path.name, row)
            ascending = self._ascending.get(key)
            if ascending is None:
                if len(self._ascending) >= _ASCENDING_KEPT:
                    self._ascending.clear()
                ascending = self._ascending[key] = c.channels_ascending(starts, first, words, last)
            return c.rows_near(starts, first, words, last, lo, hi, ascending)
        within = starts[first:last]
        return np.flatnonzero((within >= lo) & (within < hi))

    def source_code_tokens(self, ref: int, lo: int, hi: int) -> Tokens:
        """The tokens of source ``ref``'s code channel (not the words of its docstrings) that start in ``[lo, hi)``."""
        seg, row, _ = self._locate(ref)
        first, last = seg.source_tok[row].tolist()
        if seg.source_words is not None:
            last = int(seg.source_words[row])
        within = seg.tokens["starts"][first:last]
        return self.source_tokens(ref)[np.flatnonzero((within >= lo) & (within < hi))]

    def source_shingles(self, ref: int) -> np.ndarray:
        """The shingle starting at each token of source ``ref`` (``tok_shingles``; 0 where none starts)."""
        p = self._view.manifest.params
        seg, row = self._locate_source(ref)
        first, last = (int(x) for x in seg.source_tok[row])
        return np.asarray(seg.token_shingles(p.shingle_code, p.shingle_prose)[first:last])

    def source_counts(self, shingles: np.ndarray) -> np.ndarray:
        """How many live sources hold each shingle (int64 per value): boilerplate is held by many.

        Exact under ``add``, ``remove`` and ``compact``: each segment's table
        counts its sources, and the sources removed since are subtracted.
        """
        view = self._view
        p = view.manifest.params
        total = np.zeros(np.asarray(shingles).shape[0], dtype=np.int64)
        for s, seg in enumerate(view.segments):
            total += count_of(seg.df_keys, seg.df_counts, shingles, seg.df_dir)
            dead = view.dead_sources[s]
            if dead.shape[0]:
                key = (seg.path.name, int(dead.shape[0]))
                table = self._dead_counts.get(key)
                if table is None:
                    table = rows_counts(seg.tokens, seg.source_tok, seg.source_words, dead,
                                        p.shingle_code, p.shingle_prose)
                    self._dead_counts[key] = table
                total -= count_of(*table, shingles)
        return total

    def name_counts(self, exact: np.ndarray) -> np.ndarray:
        """How many live sources' code holds each identifier (``exact``: its exact hash; int64 per value), from the
        same table as ``source_counts`` (``df.name_keys``): exact under ``add``, ``remove`` and ``compact`` too."""
        return self.source_counts(name_key(exact))

    def literal_counts(self, hashes: np.ndarray) -> np.ndarray:
        """How many live sources' code holds each literal (``hashes``: its normalized hash, its contents), as
        ``name_counts`` does for names."""
        return self.source_counts(literal_key(hashes))

    def kept_counts(self, exact: np.ndarray) -> np.ndarray:
        """How many live sources' code holds each kept name (``exact``: an attribute's or method's exact hash), as
        ``name_counts`` does for identifiers."""
        return self.source_counts(kept_key(exact))

    def declared_counts(self, exact: np.ndarray) -> np.ndarray:
        """How many live sources' code declares each kept name (``df.declared``: not after a member access)."""
        return self.source_counts(declared_key(exact))

    def held_by(self, shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i, ref)`` pairs: live source ``ref`` holds ``shingles[i]``, for shingles at most two sources of a segment hold.

        ``shingles`` sorted and distinct. The holders are recorded per segment
        (``df.holders``); a source removed since is left out. For a shingle
        that at most ``df.HOLDERS`` live sources hold in all (``source_counts``),
        the pairs name every one of them, except where one segment held it in
        more sources before a removal (recorded again by ``compact``).
        """
        view = self._view
        p = view.manifest.params
        idx_parts, ref_parts = [], []
        values = np.asarray(shingles, dtype=np.uint64)
        for s, seg in enumerate(view.segments):
            keys = np.asarray(seg.df_keys)
            if keys.shape[0] == 0 or values.shape[0] == 0:
                continue
            pos = position_of(keys, values, seg.df_dir)
            found = np.flatnonzero(pos >= 0)
            rows = np.asarray(seg.holders(p.shingle_code, p.shingle_prose))[pos[found]]
            # every column at once, column after column: (found, holder) pairs in the order of one loop per column
            held = rows.T.reshape(-1).astype(np.int64)
            at = np.broadcast_to(found, (rows.shape[1], found.shape[0])).reshape(-1)  # np.tile(found, columns)
            live = held != int(NO_HOLDER)
            dead = view.dead_sources[s]
            if dead.shape[0]:
                live[live] = ~isin_sorted(held[live], dead.astype(np.int64))
            idx_parts.append(at[live])
            ref_parts.append(held[live] + int(view.s_base[s]))
        if not idx_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if len(idx_parts) == 1:  # one segment: its arrays, fresh already (boolean indexing copies)
            return idx_parts[0].astype(np.int64, copy=False), ref_parts[0]
        return np.concatenate(idx_parts).astype(np.int64), np.concatenate(ref_parts)

    def passage_arrays(self) -> list[tuple]:
        """Per segment, ``(p_base, s_base, p_tok, p_source, source_tok, tok_shingles)``: what the compiled
        candidate ranking reads (``_core.rank_passages``), gathered once per generation."""
        return self._segment_arrays("passages", lambda view, s, seg, p: (
            int(view.p_base[s]), int(view.s_base[s]), seg.p_tok, seg.p_source, seg.source_tok,
            seg.token_shingles(p.shingle_code, p.shingle_prose)))

    def holder_arrays(self) -> list[tuple]:
        """Per segment, ``(s_base, df_keys, df_dir, holders, dead_sources, source_tok, tok_shingles)``: what the
        compiled held-shingle lookup reads (``_core.held_sources``), gathered once per generation."""
        return self._segment_arrays("holders", lambda view, s, seg, p: (
            int(view.s_base[s]), np.asarray(seg.df_keys), seg.df_dir, np.asarray(seg.holders(p.shingle_code, p.shingle_prose)),
            np.ascontiguousarray(view.dead_sources[s], dtype=np.uint32), seg.source_tok,
            seg.token_shingles(p.shingle_code, p.shingle_prose)))

    def _segment_arrays(self, name: str, make: Any) -> list[tuple]:
        view = self._view
        kept = self._arrays.get(name)
        if kept is None or kept[0] is not view:
            p = view.manifest.params
            kept = (view, [make(view, s, seg, p) for s, seg in enumerate(view.segments)])
            self._arrays[name] = kept
        return kept[1]

    def base_shingles(self) -> np.ndarray:
        """Sorted shingles (both channels) of the declared base code: never reported (empty when none).

        Read once per base file (it is checked against its checksum) and kept.
        """
        entry = self._view.manifest.base
        if entry is None:
            return load_base(self.path, None)
        if self._base is None or self._base[0] != entry.digest:
            self._base = (entry.digest, load_base(self.path, entry))
        return self._base[1]

    def find_sources(self, source_ids: Iterable[str]) -> dict[str, int]:
        """Global refs of the live sources among ``source_ids``; ids not in the index are absent."""
        view = self._view
        found: dict[str, int] = {}
        for s, rows in enumerate(live_rows(view, list(source_ids))):
            col = view.segments[s].sources.column("source_id")
            found.update(zip(col.take(arrow_ints(rows)).to_pylist(), (rows + view.s_base[s]).tolist()))
        return found

    def stats(self) -> dict[str, Any]:
        """Counts, size on disk and parameters of the index."""
        m = self._view.manifest
        size = (self.path / MANIFEST).stat().st_size
        for e in m.segments:
            size += sum(f.stat().st_size for f in (self.path / SEGMENTS / e.name).iterdir())
            if e.tombstone:
                size += (self.path / TOMBSTONES / e.tombstone).stat().st_size
        if m.base is not None:
            size += m.base.size
        sources = sum(e.sources for e in m.segments)
        passages = sum(e.passages for e in m.segments)
        return {
            "sources": sources, "live_sources": sources - sum(e.dead_sources for e in m.segments),
            "passages": passages, "live_passages": passages - sum(e.dead_passages for e in m.segments),
            "segments": len(m.segments), "tokens": sum(e.tokens for e in m.segments), "bytes": size,
            "generation": m.generation, "format": m.format, "params": m.params.to_dict(), "grammars": dict(m.grammars),
            "base_files": len(m.base.sources) if m.base else 0, "base_shingles": m.base.shingles if m.base else 0,
        }

    # --- writes ----------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Writes that commit together, or not at all: one manifest swap at the end of the ``with`` block.

        The writer lock is held throughout. An exception (or a kill) before
        the end leaves the index as it was; the files already written are
        swept by the next writer.

        with idx.transaction() as txn:
            replaced = txn.add(data)
            txn.remove(["old.py"])
        """
        with fsutil.writer_lock(self.path):
            manifest = read_manifest(self.path)
            fsutil.sweep(self.path, _keep(manifest))
            self._set_view(manifest)
            txn = Transaction(self)
            try:
                yield txn
            except BaseException:
                fsutil.sweep(self.path, _keep(manifest))
                raise
            txn._commit()

    def add(self, data: SegmentData) -> list[str]:
        """Write ``data`` as a new segment; sources whose id is already live are replaced in the same commit.

        Returns the ids of the replaced sources.
        """
        with self.transaction() as txn:
            return txn.add(data)

    def remove(self, source_ids: Iterable[str], *, strict: bool = True) -> int:
        """Tombstone these sources; returns how many were removed.

        With ``strict`` (the default) an id that is not live in the index
        raises ``IndexStoreError`` naming the missing ids and nothing is removed;
        with ``strict=False`` unknown ids are ignored (``find_sources`` tells
        which exist). Effective at once here and for every later ``open``.
        """
        with self.transaction() as txn:
            return txn.remove(source_ids, strict=strict)

    def compact(self) -> None:
        """Merge all segments into one without the removed sources; renumbers passage ids and source refs."""
        with self.transaction() as txn:
            txn.compact()

    def verify(self) -> VerifyReport:
        """Read every file of the index and check it against the checksums in the manifest."""
        report = VerifyReport()
        for e in self._view.manifest.segments:
            report.segments += 1
            report.problems += check_segment_files(self.path / SEGMENTS / e.name, e.files, True, report, False)
            if e.tombstone:
                try:
                    load_tombstone(self.path, e)
                except IndexStoreError as err:
                    report.problems.append(str(err).split("; run")[0])
        base = self._view.manifest.base
        if base is not None:
            report.problems += base_problems(self.path, base)
            report.files += 1
            report.bytes += base.size
        return report

    # --- internals -------------------------------------------------------

    def _set_view(self, manifest: Manifest) -> None:
        if manifest.generation != self._view.manifest.generation:
            self._view = _open_view(self.path, manifest, self._cache)
            self._cache = {s.path.name: s for s in self._view.segments}

    def _gids(self, gids: Iterable[int] | np.ndarray) -> np.ndarray:
        gids = np.asarray(gids if isinstance(gids, np.ndarray) else list(gids), dtype=np.int64).reshape(-1)
        if gids.shape[0] and (gids.min() < 0 or gids.max() >= self._view.n_passages):
            raise IndexStoreError(f"passage id out of range: the index has {self._view.n_passages} passages")
        return gids

    def _locate_source(self, ref: int) -> tuple[Segment, int]:
        seg, row, _ = self._locate(ref)
        return seg, row

    def _locate(self, ref: int) -> tuple[Segment, int, int]:
        """The segment of source ``ref``, its row there and the segment's position in the view."""
        bases = self._view.source_bases
        if not 0 <= ref < bases[-1]:
            raise IndexStoreError(f"source ref {ref} out of range: the index has {bases[-1]} sources")
        s = bisect_right(bases, ref) - 1
        return self._view.segments[s], int(ref - bases[s]), s


def _token_range(seg: Segment, row: int, start: int, end: int | None) -> tuple[int, int]:
    """Rows of ``seg``'s token arrays holding tokens ``start:end`` (``end`` None: all) of its source ``row``."""
    first, last = seg.source_tok[row].tolist()
    lo = min(first + max(start, 0), last)
    return lo, max(lo, last if end is None else min(first + max(end, 0), last))


class Transaction:
    """Staged writes of one command, made visible together by one manifest swap (see ``Index.transaction``).

    Segments and tombstones are written as files that no manifest names yet;
    each staged step updates a working view, so a later ``add`` replaces
    sources staged by an earlier one and ``remove`` sees them. Reusable by
    any writer: ``add`` takes arrays, ``add_segment_dir`` a segment directory
    written elsewhere on the same file system (by Spark executors, say).
    """

    def __init__(self, index: Index, new: bool = False):
        self.index = index
        self.path = index.path
        self.view = index._view
        self.generation = self.view.manifest.generation + 1
        self.replaced: list[str] = []  # ids of sources this transaction replaced
        self._changed = new
        self._cache = dict(index._cache)

    @property
    def manifest(self) -> Manifest:
        return self.view.manifest

    def add(self, data: SegmentData) -> list[str]:
        """Stage ``data`` as a new segment, replacing live sources with the same ids; returns the replaced ids."""
        bands = self.view.manifest.params.bands
        if data.n_passages and data.band_keys.shape[1] != bands:
            raise IndexStoreError(f"band_keys have {data.band_keys.shape[1]} bands, the index uses {bands}")
        if not data.sources:
            return []
        with small_pages():
            entry = self._write_segment(arrays_of(data), source_table(data.sources), text_table(data.texts))
        return self._append(entry, [s.source_id for s in data.sources])

    def add_segment_dir(self, directory: str | os.PathLike, *, files: dict[str, list] | None = None,
                        dead_rows: Iterable[int] = ()) -> list[str]:
        """Stage a complete segment directory (as ``write_segment`` writes it) by moving it into the index.

        ``directory`` must be on the index's file system; it is checked
        (opened, ids unique, files digested) before it is moved. ``files``
        are digests its writer already made (``integrity.digest_dir``), saving
        a read of every byte; sizes are still checked. ``dead_rows`` are its
        rows born removed (a distributed build's later duplicates of an id):
        they are tombstoned in the same commit and replace nothing.
        """
        src = Path(directory)
        seg = Segment(src)
        ids = seg.sources.column("source_id").to_pylist()
        if len(set(ids)) != len(ids):
            raise IndexStoreError(f"{src}: duplicate source_id within one segment")
        if files is None:
            files = digest_dir(src)
        else:
            raise_problems(self.path, check_segment_files(src, files, full=False))
        entry = _entry(self._segment_name(), describe(seg.arrays), files)
        p_source = np.array(seg.p_source)
        del seg
        fsutil.move_into_place(src, self.path / SEGMENTS / entry.name)
        dead = set(dead_rows)
        if dead:
            entry = write_tombstone(self.path, entry, np.array(sorted(dead)), p_source, self.generation)
            ids = [i for row, i in enumerate(ids) if row not in dead]
        return self._append(entry, ids)

    def remove(self, source_ids: Iterable[str], *, strict: bool = True) -> int:
        """Stage the removal of these live sources; see ``Index.remove``."""
        ids = list(dict.fromkeys(source_ids))
        rows = live_rows(self.view, ids)
        count = sum(int(r.shape[0]) for r in rows)
        if strict and count < len(ids):
            found = set(_ids_of(self.view, rows))
            missing = [i for i in ids if i not in found]
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise IndexStoreError(f"{len(missing)} source id(s) not in the index (or already removed): "
                              f"{', '.join(missing[:10])}{more}; nothing was removed")
        if count:
            self._stage(self._tombstoned(rows))
        return count

    def set_base(self, shingles: np.ndarray, sources: list[str] | tuple[str, ...]) -> BaseEntry:
        """Stage ``shingles`` as the index's declared base code (replacing any), from the files ``sources``."""
        entry = write_base(self.path, shingles, sources, self.generation)
        manifest = replace(self.view.manifest, base=entry, generation=self.generation)
        self.view = replace(self.view, manifest=manifest)
        self._changed = True
        return entry

    def add_base(self, shingles: np.ndarray, sources: list[str] | tuple[str, ...]) -> BaseEntry:
        """Stage more base code: the union of the declared base code and ``shingles``."""
        old = self.view.manifest.base
        have = load_base(self.path, old)
        return self.set_base(np.concatenate([have, np.asarray(shingles, dtype=np.uint64)]),
                             (*(old.sources if old else ()), *sources))

    def compact(self) -> None:
        """Stage the merge of all segments into one without the removed sources."""
        segs = self.view.manifest.segments
        if not segs or (len(segs) == 1 and segs[0].tombstone is None):
            return
        p = self.view.manifest.params
        widths = (p.shingle_code, p.shingle_prose)
        from .compact import merge  # Arrow tables: imported by writers only

        with small_pages():
            arrays, sources, texts = merge(list(self.view.segments), list(self.view.dead_sources), widths)
            self._stage([self._write_segment(arrays, sources, texts)] if sources.num_rows else [])

    # --- internals -------------------------------------------------------

    def _append(self, entry: SegmentEntry, ids: list[str]) -> list[str]:
        rows = live_rows(self.view, ids)
        replaced = _ids_of(self.view, rows)
        self._stage(self._tombstoned(rows) + [entry])
        self.replaced += replaced
        return replaced

    def _stage(self, segments: list[SegmentEntry]) -> None:
        manifest = replace(self.view.manifest, segments=tuple(segments), generation=self.generation)
        self.view = load_view(self.path, manifest, self._cache)
        self._cache.update({s.path.name: s for s in self.view.segments})
        self._changed = True

    def _commit(self) -> None:
        if not self._changed:
            return
        manifest = replace(self.view.manifest, generation=self.generation, copyguard=__version__)
        write_manifest(self.path, manifest)
        self.index._view = replace(self.view, manifest=manifest)
        self.index._cache = {s.path.name: s for s in self.view.segments}
        fsutil.sweep(self.path, _keep(manifest))

    def _segment_name(self) -> str:
        return f"{self.generation:06d}-{uuid.uuid4().hex[:8]}"

    def _write_segment(self, arrays: dict, sources: pa.Table, texts: pa.Table) -> SegmentEntry:
        tmp = fsutil.new_tmp_dir(self.path)
        write_segment(tmp, arrays, sources, texts)
        files = digest_dir(tmp)
        name = self._segment_name()
        fsutil.move_into_place(tmp, self.path / SEGMENTS / name)
        return _entry(name, describe(arrays), files)

    def _tombstoned(self, rows: list[np.ndarray]) -> list[SegmentEntry]:
        """The view's segment entries with ``rows[i]`` of segment ``i`` added to its tombstone."""
        view = self.view
        out = list(view.manifest.segments)
        for s, r in enumerate(rows):
            if r.shape[0]:
                dead = np.concatenate([view.dead_sources[s], r.astype(np.uint32)])
                out[s] = write_tombstone(self.path, out[s], dead, view.segments[s].p_source, self.generation)
        return out


def _entry(name: str, counts: dict[str, int], files: dict[str, list]) -> SegmentEntry:
    return SegmentEntry(name=name, sources=counts["sources"], passages=counts["passages"], tokens=counts["tokens"],
                        files=files)


def _ids_of(view: View, rows: list[np.ndarray]) -> list[str]:
    """The source ids at ``rows[i]`` of segment ``i``, in segment order."""
    out: list[str] = []
    for seg, r in zip(view.segments, rows):
        if r.shape[0]:
            out += seg.sources.column("source_id").take(arrow_ints(r)).to_pylist()
    return out


def _open_view(root: Path, manifest: Manifest, cache: dict[str, Segment]) -> View:
    """``load_view`` after the checks that are cheap on open: file sizes and the small files' checksums."""
    problems: list[str] = []
    for e in manifest.segments:
        if e.name not in cache:
            problems += check_segment_files(root / SEGMENTS / e.name, e.files, full=False)
    problems += base_problems(root, manifest.base)  # a few bytes per shingle of starter code: digested on open
    raise_problems(root, problems)
    return load_view(root, manifest, cache)


def _check_new_root(root: Path) -> None:
    """Refuse to build where an index, or anything that is not a leftover of a killed build, already is."""
    if (root / MANIFEST).exists():
        raise IndexStoreError(f"{root}: already holds an index; open it, or remove the directory first")
    if root.exists() and (not root.is_dir() or set(os.listdir(root)) - _LAYOUT):
        raise IndexStoreError(f"{root}: exists and is not empty and not a copyguard index; choose another path")


def _keep(manifest: Manifest) -> dict[str, set[str]]:
    """What ``manifest`` names, per folder: everything else in these folders is a leftover."""
    return {fsutil.TMP: set(), SEGMENTS: {e.name for e in manifest.segments},
            TOMBSTONES: {e.tombstone for e in manifest.segments if e.tombstone},
            BASE: {manifest.base.file} if manifest.base else set()}


__all__ = ["Index", "PassageInfo", "SliceRows", "TokenSlices", "Tokens", "Transaction"]
