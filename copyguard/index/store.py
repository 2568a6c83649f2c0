"""The on-disk index: a manifest, immutable memory-mapped segments, and tombstones.

Layout of an index directory::

    manifest.json            format, versions, params, grammars, segments (written last, atomically)
    lock                     writers hold fcntl.flock on it; readers never lock
    segments/<name>/         immutable: band table, tokens, passages (.npy), sources/texts (.arrow)
    tombstones/<file>.npz    dead source rows and passages of one segment
    tmp/                     writers' scratch space; ignored by readers, swept by the next writer

Global passage ids and source refs number passages and sources across
segments in manifest order; they are stable until ``compact()`` renumbers them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import IndexStoreError
from ..normalize.tokens import Tokens
from ..params import Params
from . import fsutil
from .arrays import arrow_ints
from .compact import merge
from .manifest import MANIFEST, Manifest, SegmentEntry, check_params, read_manifest, write_manifest
from .query import SEGMENTS, PassageInfo, TokenSlices, View, gather_tokens, live_rows, load_view, lookup, passage_info
from .segment import Segment, SegmentData, SourceRecord, arrays_of, describe, source_table, text_table, write_segment
from .tombstones import TOMBSTONES, write_tombstone

_LAYOUT = {SEGMENTS, TOMBSTONES, fsutil.TMP, fsutil.LOCK, MANIFEST + ".tmp"}


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

    # --- opening ---------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike, params: Params, grammars: dict[str, str], *,
               exist_ok: bool = False) -> Index:
        """Make a new, empty index at ``path`` (a missing or empty directory).

        With ``exist_ok`` an index already there is opened instead (its params must equal ``params``).
        """
        root = Path(path)
        if (root / MANIFEST).exists():
            if exist_ok:
                return cls.open(root, params)
            raise IndexStoreError(f"{root}: already holds an index; open it, or remove the directory first")
        if root.exists() and (not root.is_dir() or set(os.listdir(root)) - _LAYOUT):
            raise IndexStoreError(f"{root}: exists and is not empty and not a copyguard index; choose another path")
        for sub in (SEGMENTS, TOMBSTONES, fsutil.TMP):
            (root / sub).mkdir(parents=True, exist_ok=True)
        with fsutil.writer_lock(root):
            write_manifest(root, Manifest(params, dict(grammars)))
        return cls.open(root)

    @classmethod
    def open(cls, path: str | os.PathLike, params: Params | None = None) -> Index:
        """Open the index at ``path``; with ``params``, refuse an index built with other parameters.

        >>> Index.open("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        copyguard.errors.IndexStoreError: /nonexistent: no index here ...
        """
        root = Path(path)
        for _ in range(5):
            manifest = read_manifest(root)
            if params is not None:
                check_params(manifest, params, root)
            try:
                return cls(root, load_view(root, manifest, {}))
            except IndexStoreError:
                # a concurrent compaction may have deleted what this manifest named: retry with the new one
                if read_manifest(root).generation == manifest.generation:
                    raise
        raise IndexStoreError(f"{root}: the index kept changing while opening; try again")

    def refresh(self) -> bool:
        """Pick up writes made by other processes since this object was opened; True if anything changed."""
        manifest = read_manifest(self.path)
        if manifest.generation == self._view.manifest.generation:
            return False
        self._set_view(manifest)
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

    def passage_info(self, gids: Iterable[int] | np.ndarray) -> PassageInfo:
        """Source ref, token range within that source, and kind of each passage."""
        return passage_info(self._view, self._gids(gids))

    def passage_tokens(self, gids: Iterable[int] | np.ndarray) -> TokenSlices:
        """The token slices of these passages concatenated; passage ``i`` is ``tokens[offsets[i]:offsets[i+1]]``.

        ``starts``/``ends`` are character offsets into the passage's source text.
        """
        view = self._view
        gids = self._gids(gids)
        seg_of = np.searchsorted(view.p_base, gids, side="right") - 1
        ranges = np.empty((gids.shape[0], 2), dtype=np.int64)
        for s in np.unique(seg_of):
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
        view = self._view
        seg, row = self._locate_source(ref)
        s = view.segments.index(seg)
        first, last = (int(x) for x in seg.source_tok[row])
        lo = min(first + max(start, 0), last)
        hi = last if end is None else min(first + max(end, 0), last)
        return gather_tokens(view, np.array([s]), np.array([[lo, max(lo, hi)]], dtype=np.int64)).tokens

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
        sources = sum(e.sources for e in m.segments)
        passages = sum(e.passages for e in m.segments)
        return {
            "sources": sources, "live_sources": sources - sum(e.dead_sources for e in m.segments),
            "passages": passages, "live_passages": passages - sum(e.dead_passages for e in m.segments),
            "segments": len(m.segments), "tokens": sum(e.tokens for e in m.segments), "bytes": size,
            "generation": m.generation, "format": m.format, "params": m.params.to_dict(), "grammars": dict(m.grammars),
        }

    # --- writes ----------------------------------------------------------

    def add(self, data: SegmentData) -> None:
        """Write ``data`` as a new segment; sources whose id is already live are replaced in the same commit."""
        if data.band_keys.shape[1] != self.params.bands and data.n_passages:
            raise IndexStoreError(f"band_keys have {data.band_keys.shape[1]} bands, the index uses {self.params.bands}")
        if not data.sources:
            return

        def change(view: View) -> tuple[Manifest, None]:
            gen = view.manifest.generation + 1
            arrays = arrays_of(data)
            entry = self._new_segment(gen, arrays, source_table(data.sources), text_table(data.texts))
            rows = live_rows(view, [s.source_id for s in data.sources])
            return view.manifest.with_segments(self._tombstoned(view, rows, gen) + [entry]), None

        self._write(change)

    def remove(self, source_ids: Iterable[str], *, strict: bool = True) -> int:
        """Tombstone these sources; returns how many were removed.

        With ``strict`` (the default) an id that is not live in the index
        raises ``IndexStoreError`` naming the missing ids and nothing is removed;
        with ``strict=False`` unknown ids are ignored (``find_sources`` tells
        which exist). Effective at once here and for every later ``open``.
        """
        ids = list(dict.fromkeys(source_ids))

        def change(view: View) -> tuple[Manifest | None, int]:
            rows = live_rows(view, ids)
            count = sum(int(r.shape[0]) for r in rows)
            if strict and count < len(ids):
                found = set(Index(self.path, view).find_sources(ids))
                missing = [i for i in ids if i not in found]
                more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
                raise IndexStoreError(f"{len(missing)} source id(s) not in the index (or already removed): "
                                  f"{', '.join(missing[:10])}{more}; nothing was removed")
            if count == 0:
                return None, 0
            gen = view.manifest.generation + 1
            return view.manifest.with_segments(self._tombstoned(view, rows, gen)), count

        return self._write(change)

    def compact(self) -> None:
        """Merge all segments into one without the removed sources; renumbers passage ids and source refs."""

        def change(view: View) -> tuple[Manifest | None, None]:
            segs = view.manifest.segments
            if not segs or (len(segs) == 1 and segs[0].tombstone is None):
                return None, None
            arrays, sources, texts = merge(list(view.segments), list(view.dead_sources))
            entries = []
            if sources.num_rows:
                entries.append(self._new_segment(view.manifest.generation + 1, arrays, sources, texts))
            return view.manifest.with_segments(entries), None

        self._write(change)

    # --- internals -------------------------------------------------------

    def _write(self, change: Callable[[View], tuple[Manifest | None, Any]]) -> Any:
        """Run ``change`` on the latest manifest under the writer lock and commit what it returns."""
        with fsutil.writer_lock(self.path):
            manifest = read_manifest(self.path)
            fsutil.sweep(self.path, _keep(manifest))
            self._set_view(manifest)
            new, result = change(self._view)
            if new is not None:
                write_manifest(self.path, new)
                self._set_view(new)
                fsutil.sweep(self.path, _keep(new))
        return result

    def _set_view(self, manifest: Manifest) -> None:
        if manifest.generation != self._view.manifest.generation:
            self._view = load_view(self.path, manifest, self._cache)
            self._cache = {s.path.name: s for s in self._view.segments}

    def _new_segment(self, gen: int, arrays: dict, sources: pa.Table, texts: pa.Table) -> SegmentEntry:
        name = f"{gen:06d}-{uuid.uuid4().hex[:8]}"
        tmp = fsutil.new_tmp_dir(self.path)
        write_segment(tmp, arrays, sources, texts)
        (self.path / SEGMENTS).mkdir(exist_ok=True)
        fsutil.move_into_place(tmp, self.path / SEGMENTS / name)
        counts = describe(arrays)
        return SegmentEntry(name=name, sources=counts["sources"], passages=counts["passages"], tokens=counts["tokens"])

    def _tombstoned(self, view: View, rows: list[np.ndarray], gen: int) -> list[SegmentEntry]:
        """The view's segment entries with ``rows[i]`` of segment ``i`` added to its tombstone."""
        out = list(view.manifest.segments)
        for s, r in enumerate(rows):
            if r.shape[0]:
                dead = np.concatenate([view.dead_sources[s], r.astype(np.uint32)])
                out[s] = write_tombstone(self.path, out[s], dead, view.segments[s].p_source, gen)
        return out

    def _gids(self, gids: Iterable[int] | np.ndarray) -> np.ndarray:
        gids = np.asarray(gids if isinstance(gids, np.ndarray) else list(gids), dtype=np.int64).reshape(-1)
        if gids.shape[0] and (gids.min() < 0 or gids.max() >= self._view.n_passages):
            raise IndexStoreError(f"passage id out of range: the index has {self._view.n_passages} passages")
        return gids

    def _locate_source(self, ref: int) -> tuple[Segment, int]:
        view = self._view
        if not 0 <= ref < int(view.s_base[-1]):
            raise IndexStoreError(f"source ref {ref} out of range: the index has {int(view.s_base[-1])} sources")
        s = int(np.searchsorted(view.s_base, ref, side="right")) - 1
        return view.segments[s], int(ref - view.s_base[s])


def _keep(manifest: Manifest) -> dict[str, set[str]]:
    """What ``manifest`` names, per folder: everything else in these folders is a leftover."""
    return {fsutil.TMP: set(), SEGMENTS: {e.name for e in manifest.segments},
            TOMBSTONES: {e.tombstone for e in manifest.segments if e.tombstone}}


__all__ = ["Index", "PassageInfo", "TokenSlices", "Tokens"]
