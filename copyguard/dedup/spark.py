"""The Spark engine: the local engine's algorithm on PySpark, giving the same clusters.

- Signatures: ``mapInArrow`` over work units (one per Parquet row group or
  JSONL file), each read with the same ``Source`` reader and signed by the
  same ``signatures_for_batch`` as the local engine, so row numbers and
  signatures agree bit for bit.
- Band buckets: ``sketch.band_keys`` in ``mapInArrow``, then per bucket,
  ordered by row, the same star (first row) and chain (previous row) pairs.
- Verification: the pairs joined with both signatures and compared by the
  same ``agreeing`` function.
- Components: large-star / small-star (``spark_graph``), labelled by the
  smallest row number.

``dedup(..., engine="spark")`` uses the active SparkSession or starts
``local[jobs]``; only the labels of rows in clusters of two or more come
back to the driver, which ranks them and writes the output like the local engine.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pyarrow as pa

from ..errors import DependencyError
from ..sketch import band_keys
from .clusters import agreeing, ranks
from .config import DedupConfig
from .output import Labels
from .signatures import empty_rows, signatures_for_batch
from .sources import BATCH_ROWS, Source, conform, read
from .spark_graph import connected_components

PIP = 'pip install "pyspark>=3.5" "pandas>=2.2,<3"'  # pyspark's mapInArrow imports pandas


def require_pyspark():
    """The pyspark module, or ``DependencyError`` with the pip command to install it."""
    try:
        import pandas  # noqa: F401
        import pyspark
    except ImportError as e:
        raise DependencyError(f"the Spark engine needs {e.name}, which is not installed; run: {PIP}") from None
    return pyspark


def session(jobs: int = 2):
    """The active SparkSession, or a quiet ``local[jobs]`` one with few shuffle partitions."""
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(f"local[{jobs}]").appName("copyguard-dedup")
             .config("spark.sql.shuffle.partitions", str(max(2, jobs)))
             .config("spark.default.parallelism", str(max(2, jobs)))
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.adaptive.enabled", "false").config("spark.driver.memory", "2g")
             .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- signatures as binary columns ----------------------------------------------------


def sig_column(sigs: np.ndarray) -> pa.Array:
    """A binary array with one ``num_perm * 4``-byte signature per row."""
    n, width = sigs.shape[0], sigs.shape[1] * 4
    offsets = np.arange(n + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(sigs, dtype=np.uint32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def sig_matrix(col: pa.Array, num_perm: int) -> np.ndarray:
    """Inverse of ``sig_column`` (also for sliced and large_binary arrays)."""
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(col)
    off_type = np.int64 if pa.types.is_large_binary(col.type) else np.int32
    offsets = np.frombuffer(col.buffers()[1], dtype=off_type)[col.offset : col.offset + n + 1]
    data = np.frombuffer(col.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]] if n else np.zeros(0, np.uint8)
    return data.view(np.uint32).reshape(n, num_perm)


# --- the steps run inside Spark -------------------------------------------------------


def _unit_batches(unit: dict, columns: list[str], schema: pa.Schema):
    """The batches of one work unit, read and conformed exactly as the local engine reads them."""
    src = Source(unit["path"], unit["fmt"])
    if unit["fmt"] != "parquet":
        yield from read([src], schema, columns)
        return
    import pyarrow.parquet as pq

    target = pa.schema([schema.field(c) for c in columns])
    for batch in pq.ParquetFile(src.path).iter_batches(BATCH_ROWS, row_groups=[unit["group"]], columns=columns):
        yield conform(batch, target, src.path)


def _sign_units(batches, config, columns, schema, text_field, lang_field):
    """mapInArrow body: work units in, ``(row, sig)`` out."""
    for units in batches:
        for unit in units.to_pylist():
            row = unit["first_row"]
            for batch in _unit_batches(unit, columns, schema):
                sigs = signatures_for_batch(batch, config, text_field, lang_field)
                rows = np.arange(row, row + batch.num_rows, dtype=np.int64)
                row += batch.num_rows
                yield pa.record_batch({"row": rows, "sig": sig_column(sigs)})


def _band_rows(batches, config):
    """mapInArrow body: ``(row, sig)`` in, ``(band, key, row)`` out for rows with tokens."""
    for batch in batches:
        sigs = sig_matrix(batch.column("sig"), config.num_perm)
        live = ~empty_rows(sigs)
        rows = batch.column("row").to_numpy()[live]
        keys = band_keys(sigs[live], config.bands, config.rows).view(np.int64)
        n = rows.shape[0]
        yield pa.record_batch({
            "band": np.repeat(np.arange(config.bands, dtype=np.int32)[None, :], n, axis=0).ravel(),
            "key": keys.ravel(), "row": np.repeat(rows, config.bands),
        })


def _verify(batches, config):
    """mapInArrow body: candidate pairs with both signatures in, verified edges ``(lo, hi)`` out."""
    for batch in batches:
        a = sig_matrix(batch.column("sig_lo"), config.num_perm)
        b = sig_matrix(batch.column("sig_hi"), config.num_perm)
        ok = agreeing(a, b, config.min_equal)
        yield pa.record_batch({"lo": batch.column("lo").filter(pa.array(ok)),
                               "hi": batch.column("hi").filter(pa.array(ok))})


# --- the plan -------------------------------------------------------------------------


def work_units(sources: list[Source], schema: pa.Schema) -> tuple[list[dict], int]:
    """One unit per Parquet row group or JSONL file with the row number of its first row; the row total."""
    import pyarrow.parquet as pq

    units, row = [], 0
    for s in sources:
        if s.fmt == "parquet":
            meta = pq.ParquetFile(s.path).metadata
            for g in range(meta.num_row_groups):
                units.append({"path": s.path, "fmt": s.fmt, "group": g, "first_row": row})
                row += meta.row_group(g).num_rows
        else:
            units.append({"path": s.path, "fmt": s.fmt, "group": -1, "first_row": row})
            row += sum(b.num_rows for b in read([s], schema, [schema.names[0]]))
    return units, row


def signature_frame(spark, sources, schema, columns, config, text_field, lang_field):
    """DataFrame ``(row long, sig binary)`` of every input row."""
    units, total = work_units(sources, schema)
    frame = spark.createDataFrame(units, "path string, fmt string, group int, first_row long")
    frame = frame.repartition(max(1, min(len(units), spark.sparkContext.defaultParallelism * 4)))
    fn = lambda it: _sign_units(it, config, columns, schema, text_field, lang_field)  # noqa: E731
    return frame.mapInArrow(fn, "row long, sig binary"), total


def edge_frame(sigs, config):
    """Verified edges ``(lo, hi)`` from star and chain pairs of every band bucket."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    bands = sigs.mapInArrow(lambda it: _band_rows(it, config), "band int, key long, row long")
    w = Window.partitionBy("band", "key").orderBy("row")
    b = bands.select("row", F.first("row").over(w).alias("first"), F.lag("row").over(w).alias("pred"))
    star = b.where(F.col("row") != F.col("first")).select(F.col("first").alias("lo"), F.col("row").alias("hi"))
    chain = b.where(F.col("pred").isNotNull() & (F.col("pred") != F.col("first")))
    pairs = star.union(chain.select(F.col("pred").alias("lo"), F.col("row").alias("hi"))).distinct()
    s_lo = sigs.select(F.col("row").alias("lo"), F.col("sig").alias("sig_lo"))
    s_hi = sigs.select(F.col("row").alias("hi"), F.col("sig").alias("sig_hi"))
    joined = pairs.join(s_lo, "lo").join(s_hi, "hi").select("lo", "hi", "sig_lo", "sig_hi")
    return joined.mapInArrow(lambda it: _verify(it, config), "lo long, hi long")


def spark_labels(sources, schema, columns, config: DedupConfig, text_field, lang_field, id_field,
                 jobs: int = 2) -> Labels:
    """Labels of every row computed on Spark; identical to the local engine's."""
    spark = session(jobs)
    sigs, total = signature_frame(spark, sources, schema, columns, config, text_field, lang_field)
    sigs = sigs.localCheckpoint()
    comp = connected_components(edge_frame(sigs, config)).toArrow()
    cid = np.arange(total, dtype=np.int64)
    cid[comp.column("u").to_numpy()] = comp.column("v").to_numpy()
    size, rank = ranks(cid)
    ids = None
    if id_field is not None:
        ids = pa.chunked_array([b.column(id_field) for b in read(sources, schema, [id_field])])
    return Labels(cid, size, rank, ids)
