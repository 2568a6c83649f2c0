"""Second pass: re-read the inputs and write them with their cluster columns, atomically.

Every input column is written unchanged, followed by ``cluster_id`` (int64:
the row number of the cluster's first row), ``cluster_size`` (int64) and
``duplicate_of`` (the id of the cluster's first row, which is always kept:
the id field's value, or its row number without an id field; null for kept
rows). Rows of rank ``max_copies`` or more in their cluster are dropped, or
kept and marked with ``mark_only``. Input columns with these names are replaced.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .sources import Source, read

ADDED = ("cluster_id", "cluster_size", "duplicate_of")


@dataclass(frozen=True)
class Labels:
    """Per-row results of clustering, indexed by row number."""

    cluster_id: np.ndarray  # int64
    cluster_size: np.ndarray  # int64
    rank: np.ndarray  # int64, 0 for the first row of each cluster in input order
    ids: pa.ChunkedArray | None  # id field values, or None to use row numbers


def output_schema(schema: pa.Schema, id_type: pa.DataType | None) -> pa.Schema:
    """The input schema without any old ``ADDED`` columns, plus the three new ones."""
    keep = [f for f in schema if f.name not in ADDED]
    return pa.schema(
        keep + [pa.field("cluster_id", pa.int64()), pa.field("cluster_size", pa.int64()),
                pa.field("duplicate_of", id_type or pa.int64())],
        metadata=schema.metadata,
    )


@contextmanager
def atomic_parquet(out: str, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A Parquet writer to a temporary file beside ``out``, renamed onto it on success."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    writer = pq.ParquetWriter(str(tmp), schema)
    try:
        yield writer
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise


def write_labelled(sources: list[Source], schema: pa.Schema, out: str, labels: Labels,
                   max_copies: int, mark_only: bool, bar=None) -> int:
    """Write every input row with its labels to ``out``; returns the number of rows written."""
    id_type = labels.ids.type if labels.ids is not None else None
    target = output_schema(schema, id_type)
    start = written = 0
    with atomic_parquet(out, target) as writer:
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
