"""One dedup run as data: what both engines take, so they share one interface.

An engine is a function ``Job -> Labels``: ``local.local_labels`` (numpy on
this machine) or ``spark.spark_labels`` (PySpark, local or on a cluster).
Both read the inputs through ``sources.read`` and sign batches with
``signatures_for_batch(batch, job.config, job.columns)``, so they agree on
row numbers and signatures bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from .config import Columns, DedupConfig
from .sources import Source


@dataclass(frozen=True)
class Job:
    """The inputs, the columns read, the duplicate rule and how much parallelism to use.

    ``jobs``: worker processes (local) or ``local[jobs]`` (Spark without a
    master); ``master``: a Spark master URL (``spark://host:7077``, ``yarn``...);
    ``total``: the row count when known from metadata.
    """

    sources: list[Source]
    schema: pa.Schema
    columns: Columns
    config: DedupConfig
    jobs: int = 1
    progress: bool = False
    total: int | None = None
    master: str | None = None
