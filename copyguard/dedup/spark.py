"""The Spark engine: the local engine's algorithm on PySpark, giving the same clusters.

- Signatures: ``mapInArrow`` over work units (one per Parquet row group or
  JSONL / CSV file), each read with the same ``Source`` reader and signed by
  the same ``signatures_for_batch`` as the local engine, so row numbers and
  signatures agree bit for bit.
- Band buckets: ``sketch.band_keys`` in ``mapInArrow``, then per bucket,
  ordered by row, the same star (first row) and chain (previous row) pairs.
- Verification: the pairs joined with both signatures and compared by the
  same ``agreeing`` function.
- Components: large-star / small-star (``spark_graph``), labelled by the
  smallest row number.
- Output: the executors read the rows again, join their labels, rank each
  cluster by row number and write a folder of Parquet files; nothing but
  counts comes back to the driver.

The session: the active one (``spark-submit``, a notebook), else one on
``job.master`` (``spark://host:7077``, ``yarn``, ``k8s://...``), else
``local[jobs]``. Executors must be able to import copyguard and read the inputs.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pyarrow as pa

from ..errors import DependencyError
from ..sketch import band_keys
from .clusters import agreeing, ranks
from .job import Job
from .output import ADDED, Labels
from .report import DedupCounts
from .signatures import empty_rows, signatures_for_batch
from .sources import BATCH_ROWS, Source, conform, read
from .spark_graph import connected_components

ROW = "_copyguard_row"

PIP = 'pip install "pyspark>=3.5" "pandas>=2.2,<3"'  # pyspark's mapInArrow imports pandas


def require_pyspark():
    """The pyspark module, or ``DependencyError`` with the pip command to install it."""
    try:
        import pandas  # noqa: F401
        import pyspark
    except ImportError as e:
        raise DependencyError(f"the Spark engine needs {e.name}, which is not installed; run: {PIP}") from None
    return pyspark


def session(jobs: int = 2, master: str | None = None):
    """The active SparkSession, else one on ``master`` (default ``local[jobs]``), quiet, few shuffle partitions.

    Under ``spark-submit`` the master comes from spark-submit's own configuration.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder
    if master is not None or "PYSPARK_GATEWAY_PORT" not in os.environ:  # not launched by spark-submit
        builder = builder.master(master or f"local[{jobs}]")
    spark = (builder.appName("copyguard-dedup")
             .config("spark.sql.shuffle.partitions", str(max(2, jobs)))
             .config("spark.default.parallelism", str(max(2, jobs)))
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.adaptive.enabled", "false").config("spark.driver.memory", "2g")
             .config("spark.locality.wait", "0")  # no 3 s wait per stage for a data-local slot
             .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
             .config("spark.executor.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
             .config("spark.executor.memory", "1g")
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


def _unit_batches(unit: dict, columns: list[str] | None, schema: pa.Schema):
    """The batches of one work unit, read and conformed exactly as the local engine reads them."""
    src = Source(unit["path"], unit["fmt"], unit["compression"])
    if unit["fmt"] != "parquet":
        yield from read([src], schema, columns)
        return
    target = schema if columns is None else pa.schema([schema.field(c) for c in columns])
    for batch in src.parquet().iter_batches(BATCH_ROWS, row_groups=[unit["group"]], columns=columns):
        yield conform(batch, target, src.path)


def _unit_rows(batches, columns: list[str] | None, schema: pa.Schema):
    """``(unit's batch, its row numbers)`` for every work unit of every arrow batch of units."""
    for units in batches:
        for unit in units.to_pylist():
            row = unit["first_row"]
            for batch in _unit_batches(unit, columns, schema):
                yield batch, np.arange(row, row + batch.num_rows, dtype=np.int64)
                row += batch.num_rows


def _sign_units(batches, job: Job):
    """mapInArrow body: work units in, ``(row, sig)`` out."""
    for batch, rows in _unit_rows(batches, job.columns.needed(), job.schema):
        sigs = signatures_for_batch(batch, job.config, job.columns)
        yield pa.record_batch({"row": rows, "sig": sig_column(sigs)})


def _all_rows(batches, schema: pa.Schema, names: list[str]):
    """mapInArrow body: work units in, the input columns ``names`` plus the row number out."""
    for batch, rows in _unit_rows(batches, None, schema):
        cols = [batch.column(n) for n in names] + [pa.array(rows)]
        yield pa.RecordBatch.from_arrays(cols, names=names + [ROW])


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
    """One unit per Parquet row group or text file with the row number of its first row; the row total."""
    units, row = [], 0
    for s in sources:
        unit = {"path": s.path, "fmt": s.fmt, "compression": s.compression, "group": -1, "first_row": row}
        if s.fmt == "parquet":
            meta = s.parquet().metadata
            for g in range(meta.num_row_groups):
                units.append({**unit, "group": g, "first_row": row})
                row += meta.row_group(g).num_rows
        else:
            units.append(unit)
            row += sum(b.num_rows for b in read([s], schema, [schema.names[0]]))
    return units, row


UNITS = "path string, fmt string, compression string, group int, first_row long"


def unit_frame(spark, units: list[dict]):
    """The work units as a DataFrame spread over the executors."""
    frame = spark.createDataFrame(units, UNITS)
    return frame.repartition(max(1, min(len(units), spark.sparkContext.defaultParallelism * 4)))


def signature_frame(spark, job: Job, units: list[dict]):
    """DataFrame ``(row long, sig binary)`` of every input row."""
    return unit_frame(spark, units).mapInArrow(lambda it: _sign_units(it, job), "row long, sig binary")


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


def spark_labels(job: Job) -> Labels:
    """Labels of every row computed on Spark, collected to the driver; identical to the local engine's."""
    spark = session(job.jobs, job.master)
    units, total = work_units(job.sources, job.schema)
    comp = _components(spark, job, units).toArrow()
    cid = np.arange(total, dtype=np.int64)
    cid[comp.column("u").to_numpy()] = comp.column("v").to_numpy()
    size, rank = ranks(cid)
    ids = None
    if job.columns.id is not None:
        ids = pa.chunked_array([b.column(job.columns.id) for b in read(job.sources, job.schema, [job.columns.id])])
    return Labels(cid, size, rank, ids)


def _components(spark, job: Job, units: list[dict]):
    """``(u, v)``: every row in a cluster of two or more, and its cluster's smallest row."""
    sigs = signature_frame(spark, job, units).localCheckpoint()
    return connected_components(edge_frame(sigs, job.config))


def spark_dedup(job: Job, out: str, max_copies: int, mark_only: bool) -> DedupCounts:
    """Cluster on Spark and have the executors write ``out``: a folder of Parquet files, same columns as local."""
    spark = session(job.jobs, job.master)
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    units, _ = work_units(job.sources, job.schema)
    comp = _components(spark, job, units).localCheckpoint()
    schema = pa.schema([f for f in job.schema if f.name not in ADDED])
    spark_schema = from_arrow_schema(schema.append(pa.field(ROW, pa.int64())))
    rows = unit_frame(spark, units).mapInArrow(lambda it: _all_rows(it, job.schema, schema.names), spark_schema)
    labelled = (rows.join(comp, rows[ROW] == comp["u"], "left")
                .withColumn("cluster_id", F.coalesce(F.col("v"), F.col(ROW))).drop("u", "v"))
    w = Window.partitionBy("cluster_id")
    labelled = (labelled.withColumn("cluster_size", F.count(F.lit(1)).over(w))
                .withColumn("_rank", F.row_number().over(w.orderBy(ROW)) - 1))
    if job.columns.id is None:
        first = F.col("cluster_id")
    else:
        roots = rows.select(F.col(ROW).alias("cluster_id"), F.col(job.columns.id).alias("_first_id"))
        labelled = labelled.join(roots, "cluster_id", "left")
        first = F.col("_first_id")
    labelled = labelled.withColumn("duplicate_of", F.when(F.col("_rank") >= max_copies, first)).localCheckpoint()
    counts = labelled.agg(F.count(F.lit(1)).alias("n"), F.sum((F.col("_rank") == 1).cast("long")).alias("c"),
                          F.sum((F.col("_rank") >= max_copies).cast("long")).alias("d")).first()
    kept = labelled if mark_only else labelled.where(F.col("_rank") < max_copies)
    kept = kept.sortWithinPartitions(ROW).select(*schema.names, "cluster_id", "cluster_size", "duplicate_of")
    kept.write.mode("overwrite").parquet(out)
    n, clusters, dups = int(counts["n"] or 0), int(counts["c"] or 0), int(counts["d"] or 0)
    return DedupCounts(n, n if mark_only else n - dups, clusters, dups)
