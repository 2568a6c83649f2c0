"""The one-machine engine: signatures over streamed record batches, numpy clustering, a second pass to write.

Memory holds the signatures (``num_perm * 4`` bytes a row), the band table
of one band at a time and the id column, never the text: pass 1 reads only
the text, language and id columns; pass 2 re-reads everything to write.
With ``jobs > 1`` batches are signed in worker processes, at most
``2 * jobs`` batches in flight, results taken in input order.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import TypeVar

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from .clusters import cluster, ranks
from .config import Columns, DedupConfig
from .job import Job
from .output import Labels
from .signatures import shingles_for_batch, signatures_for_batch, signatures_from_shingles
from .sources import read
from .verify import ShingleSets

T = TypeVar("T")

def signatures_stream(batches: Iterable[pa.RecordBatch], sign: Callable[[pa.RecordBatch], T],
                      jobs: int = 1) -> Iterator[tuple[pa.RecordBatch, T]]:
    """``(batch, signatures)`` for every batch in order, signed by ``jobs`` processes.

    >>> cfg = DedupConfig()
    >>> sign = partial(signatures_for_batch, config=cfg)
    >>> [s.shape for _, s in signatures_stream([pa.record_batch({"text": ["a b c"]})], sign)]
    [(1, 128)]
    """
    if jobs <= 1:
        for batch in batches:
            yield batch, sign(batch)
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append((batch, pool.submit(sign, batch)))
            if len(pending) >= 2 * jobs:
                done, fut = pending.popleft()
                yield done, fut.result()
        while pending:
            done, fut = pending.popleft()
            yield done, fut.result()


def _sign(batch: pa.RecordBatch, config: DedupConfig,
          columns: Columns) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Signatures of a batch, with its ``(shingles, row)`` when ``config.verify`` needs the sets."""
    if not config.verify:
        return signatures_for_batch(batch, config, columns), None
    hashes, owner = shingles_for_batch(batch, config, columns)
    return signatures_from_shingles(hashes, owner, batch.num_rows, config), (hashes, owner)


def collect(batches: Iterable[pa.RecordBatch], config: DedupConfig, columns: Columns, jobs: int = 1, bar=None,
            total: int | None = None) -> tuple[np.ndarray, pa.ChunkedArray | None, ShingleSets | None]:
    """Pass 1: the signature matrix of every row, the id column (with ``columns.id``), and with
    ``config.verify`` the shingle sets of every row.

    ``total`` (the row count, when known) lets the matrix be allocated once.
    """
    sign = partial(_sign, config=config, columns=columns)
    matrix = np.zeros((total or 0, config.num_perm), np.uint32)  # filled in place: no second copy
    ids: list[pa.Array] = []
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    row = 0
    for batch, (sig, shingled) in signatures_stream(batches, sign, jobs):
        if shingled is not None:
            kept.append((shingled[0], shingled[1] + row))
        if row + sig.shape[0] > matrix.shape[0]:  # unknown total (JSONL): grow geometrically
            grown = np.zeros((max(2 * matrix.shape[0], row + sig.shape[0]), config.num_perm), np.uint32)
            grown[:row] = matrix[:row]
            matrix = grown
        matrix[row : row + sig.shape[0]] = sig
        row += sig.shape[0]
        if columns.id is not None:
            ids.append(batch.column(columns.id))
        if bar is not None:
            bar.update(batch.num_rows)
    id_col = pa.chunked_array(ids) if columns.id is not None and ids else None
    return matrix[:row], id_col, ShingleSets.build(kept, row) if config.verify else None


def local_labels(job: Job) -> Labels:
    """The local engine: sign every row (``job.jobs`` processes), cluster with numpy, rank."""
    with tqdm(total=job.total, unit="rows", desc="signatures", disable=not job.progress) as bar:
        batches = read(job.sources, job.schema, job.columns.needed())
        sigs, ids, sets = collect(batches, job.config, job.columns, job.jobs, bar, job.total)
    return labels_for(sigs, job.config, ids, sets)


def labels_for(sigs: np.ndarray, config: DedupConfig, ids: pa.ChunkedArray | None = None,
               sets: ShingleSets | None = None) -> Labels:
    """Cluster the signatures (pairs decided on ``sets`` when given) and rank each cluster's rows in input order."""
    cid = cluster(sigs, config, sets)
    size, rank = ranks(cid)
    return Labels(cid, size, rank, ids)


def dedup_batches(batches: Iterable[pa.RecordBatch], config: DedupConfig, columns: Columns | None = None,
                  max_copies: int = 1, mark_only: bool = False) -> Iterator[pa.RecordBatch]:
    """Dedup an in-memory stream of batches: yields them labelled, duplicates dropped unless ``mark_only``.

    The batches are held until clustering ends (use ``dedup`` on files to
    keep memory bounded by signatures). Row numbers count from 0 over the stream.

    >>> out = list(dedup_batches([pa.record_batch({"text": ["a b c d", "a b c d", "x y"]})], DedupConfig()))
    >>> out[0].column("duplicate_of").to_pylist()
    [None, None]
    """
    from .output import label_batch, output_schema

    held = list(batches)
    columns = columns or Columns()
    sigs, ids, sets = collect(held, config, columns)
    labels = labels_for(sigs, config, ids, sets)
    start = 0
    for batch in held:
        target = output_schema(batch.schema, ids.type if ids is not None else None)
        table = label_batch(batch, labels, start, start + batch.num_rows, max_copies, mark_only, target)
        start += batch.num_rows
        yield from table.to_batches()
