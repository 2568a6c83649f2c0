"""Near-duplicate clustering of datasets (MinHash LSH + connected components) and decontamination.

Files in, Parquet out, with ``dedup`` and ``decontaminate``; the same steps
over ``pyarrow.RecordBatch`` streams for Python pipelines
(``signatures_for_batch``, ``cluster``, ``dedup_batches``); and a Spark
engine giving the same clusters (``copyguard.dedup.spark``).

>>> import pyarrow as pa
>>> sigs = signatures_for_batch(pa.record_batch({"text": ["a b c d e", "a b c d e", "v w x y z"]}), DedupConfig())
>>> cluster(sigs, DedupConfig()).tolist()
[0, 0, 2]
"""

from __future__ import annotations

from .api import dedup
from .bands import choose_bands
from .clusters import cluster, ranks
from .config import THRESHOLD, Columns, DedupConfig
from .decontaminate import decontaminate
from .local import dedup_batches
from .report import DecontaminationReport, DedupReport
from .signatures import row_shingles, shingles_for_batch, signatures_for_batch
from .verify import ShingleSets, exact_jaccard

__all__ = [
    "THRESHOLD", "Columns", "DecontaminationReport", "DedupConfig", "DedupReport", "choose_bands", "cluster", "decontaminate",
    "ShingleSets", "dedup", "dedup_batches", "exact_jaccard", "ranks", "row_shingles", "shingles_for_batch",
    "signatures_for_batch",
]
