"""Second pass: re-read the inputs and write them with their cluster columns, atomically.

Every input column is written unchanged, followed by ``cluster_id`` (int64:
the row number of the cluster's first row), ``cluster_size`` (int64) and
``duplicate_of`` (the id of the cluster's first row, which is always kept:
the id field's value, or its row number without an id field; null for kept
rows). Rows of rank ``max_copies`` or more in their cluster are dropped, or
kept and marked with ``mark_only``. Input columns with these names are replaced.

The output's extension picks its format (``writer_for``). It is written in a
hidden folder beside it, ``.NAME.partial``, and renamed onto ``NAME`` at the
end; a run killed before that leaves only that folder, which the next run
writing ``NAME`` removes first. Nothing half-written ever has the output's name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from ..errors import ConfigError, InputError
from .sources import Source, file_format, read

ADDED = ("cluster_id", "cluster_size", "duplicate_of")
OUT_KINDS = ".parquet, .jsonl, .jsonl.gz, .jsonl.zst or .csv"


@dataclass(frozen=True)
class Labels:
    """Per-row results of clustering, indexed by row number."""

    cluster_id: np.ndarray  # int64
    cluster_size: np.ndarray  # int64
    rank: np.ndarray  # int64, 0 for the first row of each cluster in input order
    ids: pa.ChunkedArray | None  # id field values, or None to use row numbers

    @property
    def rows(self) -> int:
        return int(self.cluster_id.shape[0])

    @property
    def clusters(self) -> int:
        """Clusters of two or more rows."""
        return int((self.rank == 1).sum())

    def beyond(self, max_copies: int) -> int:
        """Rows past the first ``max_copies`` of their cluster."""
        return int((self.rank >= max_copies).sum())


def output_schema(schema: pa.Schema, id_type: pa.DataType | None) -> pa.Schema:
    """The input schema without any old ``ADDED`` columns, plus the three new ones."""
    keep = [f for f in schema if f.name not in ADDED]
    return pa.schema(
        keep + [pa.field("cluster_id", pa.int64()), pa.field("cluster_size", pa.int64()),
                pa.field("duplicate_of", id_type or pa.int64())],
        metadata=schema.metadata,
    )


def check_out(out: str, sources: list[Source], folder: bool = False) -> None:
    """Refuse an output that is an input, an existing folder (a file is expected) or of unknown format."""
    if "://" in out and not folder:
        raise ConfigError(f"--out must be a local path, got {out}; write locally, then copy")
    if "://" in out:
        return  # the Spark engine writes URLs itself
    path = Path(out)
    if folder:
        if path.exists() and not path.is_dir():
            raise InputError(f"--out {out} is a file; the Spark engine writes a folder of Parquet files")
    else:
        if path.is_dir():
            raise InputError(f"--out {out} is a folder; give a file name ending in {OUT_KINDS}")
        kind = file_format(path.name)
        if kind is None:
            raise ConfigError(f"--out {out}: cannot tell the format from the extension; use {OUT_KINDS}")
    real = os.path.realpath(out)
    for s in sources:
        if "://" not in s.path and os.path.realpath(s.path) == real:
            raise InputError(f"--out {out} is also an input; write to another file")


class Writer(Protocol):
    def write_table(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...


class _JsonLines:
    """JSON Lines, optionally gzip / zstd compressed (one ``json.dumps`` per row)."""

    def __init__(self, path: str, compression: str | None):
        raw = pa.OSFile(path, "wb")
        self._f = pa.CompressedOutputStream(raw, compression) if compression else raw

    def write_table(self, table: pa.Table) -> None:
        lines = "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in table.to_pylist())
        self._f.write(lines.encode("utf-8"))

    def close(self) -> None:
        self._f.close()


def writer_for(path: str, name: str, schema: pa.Schema) -> Writer:
    """A writer of ``schema`` to ``path`` in the format ``name``'s extension names."""
    kind = file_format(name)
    if kind is None:
        raise ConfigError(f"cannot tell the output format of {name}; use {OUT_KINDS}")
    fmt, compression = kind
    if fmt == "parquet":
        return pq.ParquetWriter(path, schema)
    if fmt == "jsonl":
        return _JsonLines(path, compression)
    if compression:
        return pcsv.CSVWriter(pa.CompressedOutputStream(pa.OSFile(path, "wb"), compression), schema)
    return pcsv.CSVWriter(path, schema)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clear_stale(partial: Path) -> None:
    """Remove a ``.partial`` folder left by a killed run (its owner's pid is gone)."""
    if not partial.exists():
        return
    try:
        owner = int((partial / "pid").read_text())
    except (OSError, ValueError):
        owner = -1
    if owner > 0 and owner != os.getpid() and _alive(owner):
        raise InputError(f"another copyguard process (pid {owner}) is writing {partial.name[1:-8]}")
    shutil.rmtree(partial, ignore_errors=True)


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """While writing, SIGTERM unwinds like an exception so the partial folder is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def atomic_output(out: str, schema: pa.Schema) -> Iterator[Writer]:
    """A writer to a file in ``.NAME.partial/`` beside ``out``, renamed onto ``out`` on success."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    _clear_stale(partial)
    partial.mkdir()
    (partial / "pid").write_text(str(os.getpid()))
    tmp = partial / path.name
    with _terminate_cleanly():
        try:
            writer = writer_for(str(tmp), path.name, schema)
            try:
                yield writer
            finally:
                writer.close()
            os.replace(tmp, path)
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def write_labelled(sources: list[Source], schema: pa.Schema, out: str, labels: Labels,
                   max_copies: int, mark_only: bool, bar=None) -> int:
    """Write every input row with its labels to ``out``; returns the number of rows written."""
    id_type = labels.ids.type if labels.ids is not None else None
    target = output_schema(schema, id_type)
    start = written = 0
    with atomic_output(out, target) as writer:
        for batch in read(sources, schema):
            stop = start + batch.num_rows
            table = label_batch(batch, labels, start, stop, max_copies, mark_only, target)
            if table.num_rows:
                writer.write_table(table)
            written += table.num_rows
            start = stop
            if bar is not None:
                bar.update(batch.num_rows)
    return written


def label_batch(batch: pa.RecordBatch, labels: Labels, start: int, stop: int, max_copies: int,
                mark_only: bool, target: pa.Schema) -> pa.Table:
    """Rows ``start:stop`` of the dataset (``batch``) with their three columns, duplicates dropped unless marking."""
    cid = labels.cluster_id[start:stop]
    dup = labels.rank[start:stop] >= max_copies
    if labels.ids is None:
        valid = pa.py_buffer(np.packbits(dup, bitorder="little"))
        dup_of = pa.Array.from_buffers(pa.int64(), len(dup), [valid, pa.py_buffer(np.where(dup, cid, 0))])
    else:
        dup_of = labels.ids.take(pa.array(np.where(dup, cid, 0))).combine_chunks()
        dup_of = pc.if_else(pa.array(dup), dup_of, pa.nulls(len(dup), dup_of.type))
    cols = [batch.column(n) for n in target.names[:-3]]
    cols += [pa.array(cid), pa.array(labels.cluster_size[start:stop]), dup_of]
    table = pa.Table.from_arrays(cols, schema=target)
    return table if mark_only else table.filter(pa.array(~dup))
