"""``dedup``: the one call the CLI and pipelines make, on files, with either engine."""

from __future__ import annotations

import time

from tqdm import tqdm

from ..errors import ConfigError, InputError
from ..params import Params
from .config import DedupConfig
from .output import Labels, write_labelled
from .report import DedupReport
from .sources import expand, read, schema_of, total_rows

ENGINES = ("local", "spark")


def dedup(inputs: list[str], out: str, *, text_field: str = "text", id_field: str | None = None,
          lang_field: str | None = None, mode: str = "auto", threshold: float = 0.8, max_copies: int = 1,
          mark_only: bool = False, engine: str = "local", jobs: int = 1, progress: bool = False,
          params: Params | None = None) -> DedupReport:
    """Cluster near-duplicate rows of a dataset and keep at most ``max_copies`` rows of each cluster.

    - ``inputs``: Parquet files, folders of Parquet files (sorted, recursive), or JSONL files;
      row numbers count over them in this order.
    - ``out``: the output Parquet file: every input column unchanged plus ``cluster_id`` (row number
      of the cluster's first row), ``cluster_size`` and ``duplicate_of`` (``id_field`` value, or row
      number, of the cluster's first row; null for kept rows).
    - ``text_field``: the column compared; null, empty and token-less values are never duplicates.
    - ``id_field``: a column identifying rows in ``duplicate_of`` (default: row numbers).
    - ``lang_field``: a column naming each row's language (``python``, ``py``, ``text``...).
    - ``mode``: ``"prose"`` (Unicode-folded words), ``"code"`` (tokens with identifiers renumbered,
      so renamed copies match; rows of unknown language fall back to prose) or ``"auto"`` (code
      when ``lang_field`` names a known grammar, else prose).
    - ``threshold``: estimated Jaccard similarity of shingle sets at which two rows are duplicates;
      clusters are the connected components of such pairs (transitive).
    - ``max_copies``: rows kept per cluster: the first ``max_copies`` in input order.
    - ``mark_only``: keep every row; the extra ones only get ``duplicate_of``.
    - ``engine``: ``"local"`` (numpy on this machine) or ``"spark"`` (PySpark; same clusters).
    - ``jobs``: processes computing signatures (local) or Spark's ``local[jobs]`` master.
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
    config = DedupConfig(threshold=threshold, mode=mode, params=params or Params())
    t0 = time.perf_counter()
    sources = expand(inputs)
    schema = schema_of(sources)
    columns = _needed(schema.names, text_field, lang_field, id_field)
    total = total_rows(sources)
    if engine == "local":
        labels = _local_labels(sources, schema, columns, config, text_field, lang_field, id_field, jobs,
                               total, progress)
    else:
        from .spark import spark_labels

        labels = spark_labels(sources, schema, columns, config, text_field, lang_field, id_field, jobs)
    with tqdm(total=total, unit="rows", desc="writing", disable=not progress) as bar:
        rows_out = write_labelled(sources, schema, out, labels, max_copies, mark_only, bar)
    n = int(labels.cluster_id.shape[0])
    return DedupReport(
        rows_in=n, rows_out=rows_out, clusters=int(((labels.rank == 1)).sum()),
        duplicates=int((labels.rank >= max_copies).sum()), seconds=time.perf_counter() - t0,
        engine=engine, bands=config.bands, rows=config.rows,
    )


def _local_labels(sources, schema, columns, config, text_field, lang_field, id_field, jobs, total,
                  progress) -> Labels:
    from .local import collect, labels_for

    with tqdm(total=total, unit="rows", desc="signatures", disable=not progress) as bar:
        sigs, ids = collect(read(sources, schema, columns), config, text_field, lang_field, id_field, jobs, bar,
                             total)
    return labels_for(sigs, config, ids)


def _needed(names: list[str], text_field: str, lang_field: str | None, id_field: str | None) -> list[str]:
    """The columns pass 1 reads, checked to exist."""
    cols = [c for c in (text_field, lang_field, id_field) if c is not None]
    missing = [c for c in cols if c not in names]
    if missing:
        raise InputError(f"no column(s) {missing} in the input; columns are {names}")
    return list(dict.fromkeys(cols))
