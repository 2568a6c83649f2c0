"""Dataset inputs: Parquet files, folders of them, and JSONL, read as a stream of record batches.

Row numbers are positions in the concatenation of the inputs in the order
given, a folder contributing its ``*.parquet`` files in sorted path order.
Every engine reads through ``Source``, so both agree on row numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from ..errors import InputError

BATCH_ROWS = 8192
_JSONL = (".jsonl", ".ndjson", ".json")
_JSON_BLOCK = 16 << 20  # JSONL types are inferred from the first block: make it large


@dataclass(frozen=True)
class Source:
    """One input file and how to read it."""

    path: str
    fmt: str  # "parquet" | "jsonl"

    def num_rows(self) -> int | None:
        """Row count from Parquet metadata; None for JSONL (unknown without reading it)."""
        return pq.ParquetFile(self.path).metadata.num_rows if self.fmt == "parquet" else None

    def batches(self, columns: list[str] | None = None, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Record batches of this file, restricted to ``columns`` when given."""
        try:
            if self.fmt == "parquet":
                yield from pq.ParquetFile(self.path).iter_batches(batch_size=batch_rows, columns=columns)
                return
            opts = pj.ReadOptions(block_size=_JSON_BLOCK)
            for batch in pj.open_json(self.path, read_options=opts):
                yield batch.select(columns) if columns is not None else batch
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot read {self.path} as {self.fmt}: {e}") from None
        except KeyError as e:
            raise InputError(f"{self.path} has no column {e}") from None


def expand(inputs: list[str]) -> list[Source]:
    """The files behind ``inputs`` (files or folders), in row-number order.

    >>> expand([])
    Traceback (most recent call last):
    copyguard.errors.InputError: no input given: pass Parquet files, folders of them, or JSONL files
    """
    if not inputs:
        raise InputError("no input given: pass Parquet files, folders of them, or JSONL files")
    out: list[Source] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*.parquet") if f.is_file())
            if not files:
                raise InputError(f"folder {item} holds no .parquet files")
            out.extend(Source(str(f), "parquet") for f in files)
        elif p.is_file():
            out.append(Source(str(p), "jsonl" if p.suffix.lower() in _JSONL else "parquet"))
        else:
            raise InputError(f"input {item} does not exist")
    return out


def schema_of(sources: list[Source]) -> pa.Schema:
    """The schema of the first input; every other input is cast to it."""
    first = sources[0]
    if first.fmt == "parquet":
        try:
            return pq.read_schema(first.path)
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot read {first.path} as parquet: {e}") from None
    for batch in first.batches():
        return batch.schema
    raise InputError(f"{first.path} holds no rows; cannot tell its columns")


def read(sources: list[Source], schema: pa.Schema, columns: list[str] | None = None,
         batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Batches of every source in order, conformed to ``schema`` (then restricted to ``columns``)."""
    target = schema if columns is None else pa.schema([schema.field(c) for c in columns])
    for src in sources:
        cols = columns if src.fmt == "parquet" else None
        for batch in src.batches(cols, batch_rows):
            yield conform(batch, target, src.path)


def conform(batch: pa.RecordBatch, schema: pa.Schema, where: str) -> pa.RecordBatch:
    """``batch`` with the columns and types of ``schema``, or ``InputError`` naming what differs."""
    if batch.schema.equals(schema):
        return batch
    missing = [n for n in schema.names if n not in batch.schema.names]
    if missing:
        raise InputError(f"{where} lacks column(s) {missing} that the first input has")
    try:
        return batch.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise InputError(f"{where} has columns of other types than the first input: {e}") from None


def total_rows(sources: list[Source]) -> int | None:
    """Total row count when every input is Parquet, else None."""
    counts = [s.num_rows() for s in sources]
    known = [c for c in counts if c is not None]
    return None if len(known) < len(counts) else int(sum(known))
