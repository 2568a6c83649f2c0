"""Decontamination: drop (or mark) dataset rows that contain a copy of anything in a copyguard index.

A row is contaminated when ``Guard.check`` on its text returns any action
other than ``"allow"``; the index's policy therefore decides, exactly as it
would for model output. Marked rows get ``contaminated_by``: the distinct
sources of the matches in order of first appearance (null for clean rows).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from functools import lru_cache, partial

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from .local import signatures_stream
from .output import atomic_output
from .report import DecontaminationReport
from .sources import expand, read, schema_of, total_rows

COLUMN = "contaminated_by"


@lru_cache(maxsize=4)
def open_guard(index: str):
    """The ``Guard`` of an index, opened once per process (worker processes open their own)."""
    from ..guard import Guard

    return Guard.open(index)


def check_batch(batch: pa.RecordBatch, index: str, text_field: str = "text",
                lang_field: str | None = None) -> list[list[str] | None]:
    """For each row, the sources its text copies (None when the index's policy allows it)."""
    guard = open_guard(index)
    texts = batch.column(text_field).to_pylist()
    langs = batch.column(lang_field).to_pylist() if lang_field else [None] * len(texts)
    out: list[list[str] | None] = []
    for text, lang in zip(texts, langs):
        verdict = guard.check(text, lang) if text else None
        if verdict is None or verdict.action == "allow":
            out.append(None)
        else:
            out.append(list(dict.fromkeys(m.source for m in verdict.matches)))
    return out


def decontaminate_batches(batches: Iterable[pa.RecordBatch], index: str, text_field: str = "text",
                          lang_field: str | None = None, mark_only: bool = False,
                          jobs: int = 1) -> Iterator[pa.RecordBatch]:
    """Batches without contaminated rows, or with a ``contaminated_by`` column when ``mark_only``.

    clean = list(decontaminate_batches(batches, "protected-idx"))
    """
    for batch, sources in _checked(batches, index, text_field, lang_field, jobs):
        yield _apply(batch, sources, mark_only)


def _checked(batches, index, text_field, lang_field, jobs):
    check = partial(check_batch, index=index, text_field=text_field, lang_field=lang_field)
    return signatures_stream(batches, check, jobs)  # type: ignore[arg-type]  # same streaming, other per-batch result


def _apply(batch: pa.RecordBatch, sources: list[list[str] | None], mark_only: bool) -> pa.RecordBatch:
    col = pa.array(sources, type=pa.list_(pa.string()))
    table = pa.Table.from_batches([batch])
    if COLUMN in table.column_names:
        table = table.drop_columns([COLUMN])
    if mark_only:
        table = table.append_column(COLUMN, col)
    else:
        table = table.filter(pa.array(np.array([s is None for s in sources], dtype=bool)))
    return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], table.schema)


def decontaminate(inputs: list[str], out: str, *, index: str, text_field: str = "text",
                  lang_field: str | None = None, mark_only: bool = False, jobs: int = 1,
                  progress: bool = False) -> DecontaminationReport:
    """Write ``inputs`` to ``out`` (Parquet) without the rows that copy content of the index at ``index``.

    - ``inputs``: Parquet files, folders of them, or JSONL files (as for ``dedup``).
    - ``index``: a copyguard index directory; its policy decides what counts as a copy.
    - ``text_field``: the column checked; ``lang_field``: an optional column forcing each row's
      language (default: prose with code fences and untagged code detected).
    - ``mark_only``: keep every row and add ``contaminated_by`` (list of matching sources, null if clean).
    - ``jobs``: processes checking rows; ``progress``: tqdm bar on stderr.

    decontaminate(["train.parquet"], "clean.parquet", index="protected-idx").contaminated
    # -> 3
    """
    t0 = time.perf_counter()
    open_guard(index)  # fail early on a bad index, before reading any input
    sources = expand(inputs)
    schema = schema_of(sources)
    target = pa.schema([f for f in schema if f.name != COLUMN], metadata=schema.metadata)
    if mark_only:
        target = target.append(pa.field(COLUMN, pa.list_(pa.string())))
    rows_in = rows_out = marked = 0
    with tqdm(total=total_rows(sources), unit="rows", desc="decontaminate", disable=not progress) as bar, \
            atomic_output(out, target) as writer:
        for batch_in, done in _checked(read(sources, schema), index, text_field, lang_field, jobs):
            rows_in += batch_in.num_rows
            kept = _apply(batch_in, done, mark_only)
            rows_out += kept.num_rows
            marked += sum(s is not None for s in done)
            if kept.num_rows:
                writer.write_table(pa.Table.from_batches([kept.select(target.names).cast(target)]))
            bar.update(batch_in.num_rows)
    return DecontaminationReport(rows_in, rows_out, marked, time.perf_counter() - t0)
