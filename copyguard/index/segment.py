"""One immutable index segment: what is handed to the store, and how it sits on disk.

A segment directory holds numpy ``.npy`` files opened with ``mmap_mode="r"``
(band table, tokens, passages) and two Arrow IPC files (source records, source
texts) that are memory-mapped and read by row. Opening a segment parses a few
headers and maps files; nothing proportional to its size is read.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import IndexStoreError
from .arrays import arrow_ints, arrow_strings, map_npy
from .bands import band_directory, band_table, lookup_sorted, passage_counts
from .df import HOLDERS
from .fsutil import save_npy

if TYPE_CHECKING:
    import pyarrow as pa

    from ..normalize.tokens import Tokens

SOURCES = "sources.arrow"
TEXTS = "texts.arrow"


@cache
def source_schema() -> pa.Schema:
    """The Arrow schema of ``sources.arrow`` (a function: pyarrow is imported when a source is read or written)."""
    import pyarrow as pa

    return pa.schema([
        ("source_id", pa.string()), ("path", pa.string()), ("license", pa.string()),
        ("lang", pa.string()), ("n_chars", pa.int64()), ("sha256", pa.string()),
    ])


@cache
def text_schema() -> pa.Schema:
    """The Arrow schema of ``texts.arrow``."""
    import pyarrow as pa

    return pa.schema([("text", pa.large_string())])

TOKEN_FIELDS = ("hashes", "exact", "kinds", "starts", "ends")
# file stem -> dtype; "tok_*" are the flat token arrays, "p_*" the passages
ARRAYS = {
    "band_keys": np.uint64, "band_pids": np.uint32, "band_dir": np.int64, "source_tok": np.int64,
    "tok_hashes": np.uint64, "tok_exact": np.uint64, "tok_kinds": np.uint8,
    "tok_starts": np.uint32, "tok_ends": np.uint32,
    "p_source": np.uint32, "p_tok": np.int64, "p_kind": np.uint8,
}
# The source-count table (copyguard.index.df) and where each source's words channel starts; a segment
# written before they existed has none (its index is refused by the normalization version anyway).
DF_ARRAYS = {"df_keys": np.uint64, "df_counts": np.uint32, "source_words": np.int64}
# The shingle starting at each token (0 where fewer than k tokens of its channel follow), so candidate
# passages are measured without shingling them again; a segment written without it shingles its tokens
# on first use (``Segment.token_shingles``).
SHINGLES = "tok_shingles"
# Per key of the count table, the rows of the (at most df.HOLDERS) sources holding it (``df.holders``), flattened;
# made from ``tok_shingles`` and the name keys of the tokens (``df.name_pairs``) when a segment is written, or on
# first use for a segment written without it. A table written with a smaller HOLDERS (2, before) is read with its own
# width: it names the sources of the shingles that few hold, and none for those more than its width hold (they are
# still counted; only held candidates miss them).
HOLDER_ROWS = "df_holders"


@dataclass(frozen=True)
class SourceRecord:
    """Where an indexed source came from; ``lang`` is a grammar name or ``"prose"``."""

    source_id: str
    path: str | None
    license: str | None
    lang: str
    n_chars: int
    sha256: str


@dataclass(frozen=True, eq=False)
class SegmentData:
    """Everything one ``Index.add`` writes: sources, their texts, flat tokens, passages and band keys.

    Token arrays hold all sources concatenated; ``source_tok[i]`` is source
    ``i``'s ``[start, end)`` in them and ``starts``/``ends`` are character
    offsets into that source's text. ``p_tok`` is a passage's ``[start, end)``
    in the flat token arrays, ``p_kind`` 0 for a window, 1 for a syntactic unit.
    Arrays are converted to the documented dtypes; inconsistent shapes raise
    ``IndexStoreError``.
    """

    sources: list[SourceRecord]
    texts: list[str]
    source_tok: np.ndarray
    hashes: np.ndarray
    exact: np.ndarray
    kinds: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    p_source: np.ndarray
    p_tok: np.ndarray
    p_kind: np.ndarray
    band_keys: np.ndarray
    source_words: np.ndarray | None = None  # int64 per source: first token of its words channel
    df_keys: np.ndarray | None = None  # sorted distinct shingles of the segment's sources ...
    df_counts: np.ndarray | None = None  # ... and how many of its sources hold each
    shingles: np.ndarray | None = None  # uint64 per token: the shingle starting there (``SHINGLES``)
    holders: np.ndarray | None = None  # (len(df_keys), df.HOLDERS) uint32: ``df.holders`` of the above, if made

    def __post_init__(self) -> None:
        dtypes = {"source_tok": np.int64, "hashes": np.uint64, "exact": np.uint64, "kinds": np.uint8,
                  "starts": np.uint32, "ends": np.uint32, "p_source": np.uint32, "p_tok": np.int64,
                  "p_kind": np.uint8, "band_keys": np.uint64}
        for name, dtype in dtypes.items():
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        object.__setattr__(self, "source_tok", self.source_tok.reshape(-1, 2))
        object.__setattr__(self, "p_tok", self.p_tok.reshape(-1, 2))
        if self.source_words is None:
            object.__setattr__(self, "source_words", self.source_tok[:, 1].copy())
        for name, dtype in DF_ARRAYS.items():
            value = getattr(self, name)
            object.__setattr__(self, name, np.zeros(0, dtype=dtype) if value is None else np.asarray(value, dtype=dtype))
        if self.shingles is not None:
            object.__setattr__(self, "shingles", np.asarray(self.shingles, dtype=np.uint64))
        if self.holders is not None:
            object.__setattr__(self, "holders", np.asarray(self.holders, dtype=np.uint32))
        _validate(self)

    @property
    def n_passages(self) -> int:
        return int(self.p_source.shape[0])


def _validate(d: SegmentData) -> None:
    def bad(msg: str) -> None:
        raise IndexStoreError(f"inconsistent segment data: {msg}")

    n_src, n_tok, n_p = len(d.sources), int(d.hashes.shape[0]), int(d.p_source.shape[0])
    if len(d.texts) != n_src or d.source_tok.shape[0] != n_src:
        bad(f"{n_src} sources, {len(d.texts)} texts, {d.source_tok.shape[0]} source_tok rows")
    if any(getattr(d, f).shape != (n_tok,) for f in TOKEN_FIELDS):
        bad("token arrays hashes/exact/kinds/starts/ends differ in length")
    if d.shingles is not None and d.shingles.shape != (n_tok,):
        bad(f"{d.shingles.shape[0]} token shingles for {n_tok} tokens")
    n_keys = d.df_keys.shape[0] if d.df_keys is not None else 0
    if d.holders is not None and (d.shingles is None or d.holders.ndim != 2 or d.holders.shape[0] != n_keys):
        bad(f"a holders table of shape {d.holders.shape} for {n_keys} count-table keys")
    if d.p_tok.shape[0] != n_p or d.p_kind.shape != (n_p,) or d.band_keys.ndim != 2 or d.band_keys.shape[0] != n_p:
        bad(f"{n_p} passages but p_tok {d.p_tok.shape}, p_kind {d.p_kind.shape}, band_keys {d.band_keys.shape}")
    st = d.source_tok
    if n_src and (st.min() < 0 or st.max() > n_tok or np.any(st[:, 0] > st[:, 1])):
        bad(f"source_tok ranges outside the {n_tok} tokens")
    if n_p and int(d.p_source.max()) >= n_src:
        bad(f"p_source refers to source {int(d.p_source.max())} of {n_src}")
    if n_p:
        own = st[d.p_source]
        if np.any(d.p_tok[:, 0] < own[:, 0]) or np.any(d.p_tok[:, 1] > own[:, 1]) or np.any(d.p_tok[:, 0] > d.p_tok[:, 1]):
            bad("a passage's token range is not inside its source's token range")
    ids = [s.source_id for s in d.sources]
    if len(set(ids)) != len(ids):
        bad("duplicate source_id within one segment")
    if any(len(t) != s.n_chars for s, t in zip(d.sources, d.texts)):
        bad("a source's n_chars differs from the length of its text")


def arrays_of(data: SegmentData) -> dict[str, np.ndarray]:
    """The ``.npy`` files of a new segment built from ``data``."""
    keys, pids = band_table(data.band_keys)
    out = {"band_keys": keys, "band_pids": pids, "source_tok": data.source_tok,
           "p_source": data.p_source, "p_tok": data.p_tok, "p_kind": data.p_kind}
    out.update({f"tok_{f}": getattr(data, f) for f in TOKEN_FIELDS})
    out.update({name: getattr(data, name) for name in DF_ARRAYS})
    if data.shingles is not None:
        out[SHINGLES] = data.shingles
        if data.holders is not None:
            out[HOLDER_ROWS] = data.holders
    return out


def source_table(sources: list[SourceRecord]) -> pa.Table:
    import pyarrow as pa

    cols = []
    for f in source_schema():
        values = [getattr(s, f.name) for s in sources]
        cols.append(arrow_ints(np.array(values, dtype=np.int64)) if f.type == pa.int64() else arrow_strings(values))
    return pa.Table.from_arrays(cols, schema=source_schema())


def text_table(texts: list[str]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_arrays([arrow_strings(texts, pa.large_string())], schema=text_schema())


def write_segment(directory: Path, arrays: dict[str, np.ndarray], sources: pa.Table, texts: pa.Table) -> None:
    """Write a segment's files into the empty ``directory``, each fsync'd."""
    arrays = {**arrays, "band_dir": band_directory(arrays["band_keys"])}
    for stem, dtype in ARRAYS.items():
        save_npy(directory / f"{stem}.npy", np.asarray(arrays[stem], dtype=dtype))
    for stem, dtype in {**DF_ARRAYS, SHINGLES: np.uint64}.items():
        if stem in arrays:
            save_npy(directory / f"{stem}.npy", np.asarray(arrays[stem], dtype=dtype))
    if SHINGLES in arrays and "df_keys" in arrays:
        from .df import holders, name_pairs

        rows = arrays.get(HOLDER_ROWS)  # (made with the count table by a build: the same table, tested)
        if rows is None:
            st = np.asarray(arrays["source_tok"], dtype=np.int64).reshape(-1, 2)
            words = arrays["source_words"] if "source_words" in arrays else st[:, 1]
            names = name_pairs({f: arrays[f"tok_{f}"] for f in ("hashes", "exact", "kinds")}, st, words)
            rows = holders(np.asarray(arrays["df_keys"], dtype=np.uint64), arrays[SHINGLES], st, names)
        save_npy(directory / f"{HOLDER_ROWS}.npy", np.asarray(rows, dtype=np.uint32).reshape(-1))
    _write_arrow(directory / SOURCES, sources)
    _write_arrow(directory / TEXTS, texts)


def _write_arrow(path: Path, table: pa.Table) -> None:
    import pyarrow.ipc

    with open(path, "xb") as f:
        with pyarrow.ipc.new_file(f, table.schema) as writer:
            writer.write_table(table, max_chunksize=1 << 16)
        f.flush()
        os.fsync(f.fileno())


class Segment:
    """A segment opened read-only: every array memory-mapped, Arrow tables parsed on first use.

    The Arrow files are mapped at open so that the segment stays readable
    even if a later compaction unlinks its directory; pyarrow itself is
    imported only when a source record or text is first read (a check that
    finds nothing never needs it).
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            self.arrays = {stem: map_npy(path / f"{stem}.npy", dtype) for stem, dtype in ARRAYS.items()}
            self._maps = {name: _map(path / name) for name in (SOURCES, TEXTS)}
        except (OSError, ValueError) as err:
            raise IndexStoreError(f"{path}: segment file missing or damaged ({err})") from err
        a = self.arrays
        self.keys, self.pids, self.dir = a["band_keys"], a["band_pids"], a["band_dir"]
        self.bits = int(self.dir.shape[0] - 1).bit_length() - 1
        if self.dir.shape[0] != (1 << self.bits) + 1:
            raise IndexStoreError(f"{path}: damaged band directory")
        self.p_source, self.p_tok, self.p_kind, self.source_tok = a["p_source"], a["p_tok"], a["p_kind"], a["source_tok"]
        self.tokens = {f: a[f"tok_{f}"] for f in TOKEN_FIELDS}
        try:
            df = {stem: map_npy(path / f"{stem}.npy", dtype) if (path / f"{stem}.npy").exists() else None
                  for stem, dtype in {**DF_ARRAYS, SHINGLES: np.uint64}.items()}
        except (OSError, ValueError) as err:
            raise IndexStoreError(f"{path}: segment file damaged ({err})") from err
        self.df_keys = df["df_keys"] if df["df_keys"] is not None else np.zeros(0, dtype=np.uint64)
        self.df_counts = df["df_counts"] if df["df_counts"] is not None else np.zeros(0, dtype=np.uint32)
        self.source_words = df["source_words"] if df["source_words"] is not None else self.source_tok[:, 1]
        self._shingles = df[SHINGLES]
        try:
            rows = map_npy(path / f"{HOLDER_ROWS}.npy", np.uint32) if (path / f"{HOLDER_ROWS}.npy").exists() else None
        except (OSError, ValueError) as err:
            raise IndexStoreError(f"{path}: segment file damaged ({err})") from err
        self._holders = None
        if rows is not None:
            n_keys = self.df_keys.shape[0]
            # the table's width is the HOLDERS of the copyguard that wrote it (2 before 8): read as written
            width = rows.shape[0] // n_keys if n_keys else HOLDERS
            if width * n_keys != rows.shape[0] or not 1 <= width <= HOLDERS:
                raise IndexStoreError(f"{path}: {HOLDER_ROWS}.npy does not match the source-count table")
            self._holders = rows.reshape(-1, width)
        self._records: dict[int, SourceRecord] = {}
        if self._shingles is not None and self._shingles.shape != self.tokens["hashes"].shape:
            raise IndexStoreError(f"{path}: {SHINGLES}.npy does not match the tokens")

    @cached_property
    def df_dir(self) -> np.ndarray:
        """Where each bucket of the source-count table's keys starts (``band_directory``), made on first use."""
        return band_directory(np.asarray(self.df_keys))

    @cached_property
    def token_arrays(self) -> Tokens:
        """The token arrays as one ``Tokens`` (what a round of the check reads in place: ``Index.source_rows``)."""
        from ..normalize.tokens import Tokens

        return Tokens(*(self.tokens[f] for f in TOKEN_FIELDS))

    def token_shingles(self, k_code: int, k_prose: int) -> np.ndarray:
        """The shingle starting at each token (the stored array, or made from the tokens once for an older segment)."""
        if self._shingles is None:
            from .df import token_shingles

            self._shingles = token_shingles(self.tokens, self.source_tok, self.source_words, k_code, k_prose)
        return self._shingles

    def holders(self, k_code: int, k_prose: int) -> np.ndarray:
        """``(len(df_keys), width)`` rows of the sources holding each key when at most ``width`` do (``df.holders``;
        ``width`` is ``HOLDERS``, or the smaller one of the copyguard that wrote the table)."""
        if self._holders is None:
            from .df import holders, name_pairs

            self._holders = holders(np.asarray(self.df_keys), self.token_shingles(k_code, k_prose), self.source_tok,
                                    name_pairs(self.tokens, self.source_tok, self.source_words))
        return self._holders

    @cached_property
    def sources(self) -> pa.Table:
        return self._table(SOURCES)

    @cached_property
    def _columns(self) -> list[tuple[str, pa.ChunkedArray]]:
        return list(zip(self.sources.column_names, self.sources.columns))

    @cached_property
    def texts(self) -> pa.ChunkedArray:
        return self._table(TEXTS).column("text")

    def _table(self, name: str) -> pa.Table:
        import pyarrow as pa
        import pyarrow.ipc

        try:
            return pyarrow.ipc.open_file(pa.py_buffer(self._maps[name])).read_all()  # zero-copy over the memory map
        except (OSError, pa.ArrowInvalid) as err:
            raise IndexStoreError(f"{self.path / name}: damaged segment file ({err})") from err

    def source_record(self, row: int) -> SourceRecord:
        """The record of source ``row``, read column by column (a one-row table costs 10x more); the last few
        thousand read are kept."""
        record = self._records.get(row)
        if record is None:
            record = SourceRecord(**{name: col[row].as_py() for name, col in self._columns})
            if len(self._records) >= _RECORDS_KEPT:
                self._records.clear()
            self._records[row] = record
        return record

    def lookup(self, needles: np.ndarray, max_hits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every ``(needle index, local passage id)`` whose band key equals the needle."""
        return lookup_sorted(self.keys, self.pids, self.dir, self.bits, needles, max_hits)

    def passage_counts(self, needles: np.ndarray, max_hits: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct local passage ids holding a key among the distinct ``needles``, and how many each holds."""
        return passage_counts(self.keys, self.pids, self.dir, self.bits, needles, max_hits)


_RECORDS_KEPT = 4096  # source records a segment keeps once read (records are frozen: sharing them is safe)


def _map(path: Path) -> mmap.mmap:
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def describe(arrays: dict[str, Any]) -> dict[str, int]:
    """Counts recorded in the manifest for a segment built from ``arrays``."""
    return {"sources": int(arrays["source_tok"].shape[0]), "passages": int(arrays["p_source"].shape[0]),
            "tokens": int(arrays["tok_hashes"].shape[0])}
