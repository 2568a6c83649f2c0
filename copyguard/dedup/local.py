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

import numpy as np
import pyarrow as pa

from .clusters import cluster, ranks
from .config import DedupConfig
from .output import Labels
from .signatures import signatures_for_batch


def signatures_stream(batches: Iterable[pa.RecordBatch], sign: Callable[[pa.RecordBatch], np.ndarray],
                      jobs: int = 1) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
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


def collect(batches: Iterable[pa.RecordBatch], config: DedupConfig, text_field: str, lang_field: str | None,
            id_field: str | None, jobs: int = 1, bar=None,
            total: int | None = None) -> tuple[np.ndarray, pa.ChunkedArray | None]:
    """Pass 1: the signature matrix of every row and, with ``id_field``, the id column.

    ``total`` (the row count, when known) lets the matrix be allocated once.
    """
    sign = partial(signatures_for_batch, config=config, text_field=text_field, lang_field=lang_field)
    matrix = np.zeros((total or 0, config.num_perm), np.uint32)  # filled in place: no second copy
    ids: list[pa.Array] = []
    row = 0
    for batch, sig in signatures_stream(batches, sign, jobs):
        if row + sig.shape[0] > matrix.shape[0]:  # unknown total (JSONL): grow geometrically
            grown = np.zeros((max(2 * matrix.shape[0], row + sig.shape[0]), config.num_perm), np.uint32)
            grown[:row] = matrix[:row]
            matrix = grown
        matrix[row : row + sig.shape[0]] = sig
        row += sig.shape[0]
        if id_field is not None:
            ids.append(batch.column(id_field))
        if bar is not None:
            bar.update(batch.num_rows)
    id_col = pa.chunked_array(ids) if id_field is not None and ids else None
    return matrix[:row], id_col


def labels_for(sigs: np.ndarray, config: DedupConfig, ids: pa.ChunkedArray | None = None) -> Labels:
    """Cluster the signatures and rank the rows of each cluster in input order."""
    cid = cluster(sigs, config)
    size, rank = ranks(cid)
    return Labels(cid, size, rank, ids)


def dedup_batches(batches: Iterable[pa.RecordBatch], config: DedupConfig, text_field: str = "text",
                  lang_field: str | None = None, max_copies: int = 1,
                  mark_only: bool = False) -> Iterator[pa.RecordBatch]:
    """Dedup an in-memory stream of batches: yields them labelled, duplicates dropped unless ``mark_only``.

    The batches are held until clustering ends (use ``dedup`` on files to
    keep memory bounded by signatures). Row numbers count from 0 over the stream.

    >>> out = list(dedup_batches([pa.record_batch({"text": ["a b c d", "a b c d", "x y"]})], DedupConfig()))
    >>> out[0].column("duplicate_of").to_pylist()
    [None, None]
    """
    from .output import label_batch, output_schema

    held = list(batches)
    sigs, _ = collect(held, config, text_field, lang_field, None)
    labels = labels_for(sigs, config)
    start = 0
    for batch in held:
        target = output_schema(batch.schema, None)
        table = label_batch(batch, labels, start, start + batch.num_rows, max_copies, mark_only, target)
        start += batch.num_rows
        yield from table.to_batches()
