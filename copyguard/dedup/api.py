"""``dedup``: the one call the CLI and pipelines make, on files, with either engine."""

from __future__ import annotations

import time

from tqdm import tqdm

from ..errors import ConfigError
from ..params import Params
from .config import THRESHOLD, Columns, DedupConfig
from .job import Job
from .output import check_out, write_labelled
from .report import DedupCounts, DedupReport
from .sources import check_inputs, expand, schema_of, total_rows

ENGINES = ("local", "spark")


def dedup(inputs: list[str], out: str, *, text_field: str = "text", id_field: str | None = None,
          lang_field: str | None = None, mode: str = "auto", threshold: float = THRESHOLD, max_copies: int = 1,
          mark_only: bool = False, engine: str = "local", jobs: int = 1, progress: bool = False,
          spark_master: str | None = None, verify: bool = False, params: Params | None = None) -> DedupReport:
    """Cluster near-duplicate rows of a dataset and keep at most ``max_copies`` rows of each cluster.

    - ``inputs``: Parquet, JSONL (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``) or CSV files, folders of
      them (sorted, recursive), local paths or fsspec / pyarrow URLs (``file://``, ``s3://``, ``gs://``,
      ``hf://``); row numbers count over them in this order.
    - ``out``: the output file; its extension picks the format (``.parquet``, ``.jsonl[.gz|.zst]``,
      ``.csv``). Every input column unchanged plus ``cluster_id`` (row number of the cluster's first
      row), ``cluster_size`` and ``duplicate_of`` (the id of the kept first row of the cluster, null
      for kept rows; the id is ``id_field``'s value, or the row number without one). With
      ``engine="spark"`` it is a folder of Parquet files written by the executors.
    - ``text_field``: the column compared; null, empty and token-less values are never duplicates.
    - ``lang_field``: a column naming each row's language (``python``, ``py``, ``prose``...).
    - ``mode``: ``"auto"`` (code in the row's language, from ``lang_field`` or detected per row; prose
      where no grammar fits), ``"code"`` or ``"prose"`` (words only).
    - ``threshold``: estimated Jaccard similarity of shingle sets at which two rows are duplicates;
      clusters are the connected components of such pairs (transitive).
    - ``max_copies``: rows kept per cluster: the first ``max_copies`` in input order.
    - ``mark_only``: keep every row; the extra ones only get ``duplicate_of``.
    - ``engine``: ``"local"`` (numpy on this machine) or ``"spark"`` (PySpark; same clusters).
    - ``jobs``: processes computing signatures (local) or Spark's ``local[jobs]`` master.
    - ``spark_master``: a Spark master URL for ``engine="spark"`` (default: the active session, else
      ``local[jobs]``).
    - ``verify``: decide candidate pairs on their exact shingle sets instead of signature estimates
      (local engine; costs memory for every row's shingles, see ``copyguard.dedup.verify``).
    - ``progress``: show tqdm progress bars on stderr.

    report = dedup(["data/"], "deduped.parquet", max_copies=1)
    report.rows_in - report.rows_out == report.duplicates
    # -> True
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    if not isinstance(max_copies, int) or max_copies < 1:
        raise ConfigError(f"max_copies must be a positive integer, got {max_copies!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    if spark_master is not None and engine != "spark":
        raise ConfigError("spark_master needs engine='spark'")
    if verify and engine != "local":
        raise ConfigError("verify runs on the local engine only")
    config = DedupConfig(threshold=threshold, mode=mode, params=params or Params(), verify=verify)
    t0 = time.perf_counter()
    sources = expand(inputs)
    check_out(out, sources, folder=engine == "spark")
    check_inputs(sources)
    schema = schema_of(sources)
    columns = Columns(text_field, id_field, lang_field)
    columns.check(schema.names)
    job = Job(sources, schema, columns, config, jobs, progress, total_rows(sources), spark_master)
    if engine == "spark":
        from .spark import spark_dedup

        counts = spark_dedup(job, out, max_copies, mark_only)
    else:
        from .local import local_labels

        labels = local_labels(job)
        with tqdm(total=job.total, unit="rows", desc="writing", disable=not progress) as bar:
            rows_out = write_labelled(sources, schema, out, labels, max_copies, mark_only, bar)
        counts = DedupCounts(labels.rows, rows_out, labels.clusters, labels.beyond(max_copies))
    return DedupReport(counts.rows_in, counts.rows_out, counts.clusters, counts.duplicates,
                       time.perf_counter() - t0, engine, config.bands, config.rows)
