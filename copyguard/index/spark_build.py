"""Building an index on Spark: the local build's functions on executors, one manifest commit on the driver.

- The driver walks the corpus (``CorpusReader.pieces``: no file is read) and
  cuts it into tasks of contiguous pieces of about equal bytes.
- Each task runs through ``mapInArrow``: it reads its pieces with
  ``CorpusReader.read``, sketches each document with ``sketch_document`` and
  groups them with ``segments_from``, exactly as the local build does, and
  writes its segments under ``tmp/<build>/t<task>-a<attempt>/`` in the index
  (the index directory must be on a file system every executor mounts). It
  returns one row per document and one summary row.
- Spark writes those rows as Parquet through its own commit protocol, so only
  the rows of each task's one successful attempt exist. The driver commits the
  segments those rows name, in task order, and nothing else: a failed,
  retried or speculative attempt leaves files no manifest names, which the
  commit sweeps. A source id seen twice keeps its first occurrence, as in the
  local build; later ones are tombstoned in the same commit.

The driver holds the index's writer lock from start to commit. The result
answers every check as the local build's does: sources keep the input order,
only the segment layout differs.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..corpus import CorpusReader, Document, Piece
from ..errors import ConfigError
from ..normalize import versions
from ..params import Params
from . import fsutil
from .build import BuildReport, Sketched, declare_base, segments_from, sketch_all
from .integrity import digest_dir
from .segment import arrays_of, source_table, text_table, write_segment
from .store import Transaction

TASK_BYTES = 64 << 20  # a task reads about this much, unless that leaves cores idle
ROWS = ("kind string, task int, ordinal long, source_id string, place string, segment string, row int, "
        "passages long, tokens long, chars long, info string")


@dataclass(frozen=True)
class _Job:
    """What every task needs: where to stage, the parameters, and how to read the corpus."""

    staging: str
    params: Params
    corpus_options: dict
    flush_passages: int
    base: str  # the driver's working directory: relative input paths are read from there


def plan_tasks(pieces: list[Piece], parallelism: int, task_bytes: int = TASK_BYTES) -> list[list[Piece]]:
    """Contiguous runs of ``pieces`` of about equal bytes: a multiple of ``parallelism``, about ``task_bytes`` each.

    >>> [len(t) for t in plan_tasks([Piece("file", "a", "", "a", size=1)] * 5, 2)]
    [3, 2]
    """
    if not pieces:
        return []
    sizes = np.array([max(p.size, 1) for p in pieces], dtype=np.int64)
    total = int(sizes.sum())
    rounds = -(-max(parallelism, -(-total // task_bytes)) // parallelism)  # whole rounds keep every core busy
    n = int(min(len(pieces), rounds * parallelism))
    owner = np.minimum((np.cumsum(sizes) - sizes) * n // total, n - 1)
    bounds = np.flatnonzero(np.diff(owner)) + 1
    return [pieces[a:b] for a, b in zip([0, *bounds.tolist()], [*bounds.tolist(), len(pieces)])]


# --- inside Spark ------------------------------------------------------------------------


def _build_tasks(batches: Iterator[pa.RecordBatch], job: _Job) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(task, pieces)`` rows in; per document and per task summary rows out."""
    from pyspark import TaskContext

    ctx = TaskContext.get()
    attempt = ctx.taskAttemptId() if ctx is not None else 0
    for batch in batches:
        for task, pieces in zip(batch.column("task").to_pylist(), batch.column("pieces").to_pylist()):
            directory = Path(job.staging) / f"t{task:05d}-a{attempt}"
            yield _run_task(task, [Piece(**p) for p in json.loads(pieces)], directory, job)


def _run_task(task: int, pieces: list[Piece], directory: Path, job: _Job) -> pa.RecordBatch:
    """Read, sketch and write one task's segments into ``directory``; its rows for the driver."""
    directory.mkdir(parents=True)
    reader = CorpusReader([], base=job.base, **job.corpus_options)
    report = BuildReport()
    docs: list[dict[str, Any]] = []
    pending: list[int] = []  # ordinals of documents sketched but not yet in a written segment

    def read() -> Iterator[Document]:
        seen: set[str] = set()  # duplicates across tasks are resolved by the driver
        for doc in (doc for piece in pieces for doc in reader.read(piece)):
            if doc.id in seen:
                reader.skipped.add("duplicate-id", doc.path or doc.id)
                continue
            seen.add(doc.id)
            yield doc

    def sketched() -> Iterator[Sketched]:
        items = sketch_all(read(), job.params)
        for ordinal, item in enumerate(items):
            if isinstance(item, tuple):
                report.skip(f"could not normalize: {item[1][:80]}", item[0])
                docs.append(_doc_row(task, ordinal, item[0], item[0]))
                continue
            pending.append(ordinal)
            if not item.parsed:
                report.unparsed.append(item.record.source_id)
            yield item

    segments = []
    for k, data in enumerate(segments_from(sketched(), job.flush_passages)):
        name = f"s{k:04d}"
        (directory / name).mkdir()
        arrays = arrays_of(data)
        write_segment(directory / name, arrays, source_table(data.sources), text_table(data.texts))
        segments.append({"dir": f"{directory.name}/{name}", "files": digest_dir(directory / name)})
        n_tok = data.source_tok[:, 1] - data.source_tok[:, 0]
        n_pass = np.bincount(data.p_source, minlength=len(data.sources))
        for row, record in enumerate(data.sources):
            docs.append(_doc_row(task, pending[row], record.source_id, record.path or record.source_id,
                                 f"{directory.name}/{name}", row, int(n_pass[row]), int(n_tok[row]), record.n_chars))
        report.sources += len(data.sources)
        report.passages += data.n_passages
        report.tokens += int(n_tok.sum())
        report.chars += sum(r.n_chars for r in data.sources)
        del pending[: len(data.sources)]
    report.merge_skips(reader.skipped.counts, reader.skipped.examples)
    summary = {"task": task, "segments": segments, "sources": report.sources, "passages": report.passages,
               "tokens": report.tokens, "chars": report.chars, "skipped": dict(report.skipped),
               "examples": report.examples, "unparsed": report.unparsed}
    rows = docs + [{"kind": "task", "task": task, "info": json.dumps(summary)}]
    return pa.RecordBatch.from_pylist(rows, schema=_ROW_SCHEMA)


def _doc_row(task: int, ordinal: int, source_id: str, place: str, segment: str | None = None, row: int = -1,
             passages: int = 0, tokens: int = 0, chars: int = 0) -> dict[str, Any]:
    return {"kind": "doc", "task": task, "ordinal": ordinal, "source_id": source_id, "place": place,
            "segment": segment, "row": row, "passages": passages, "tokens": tokens, "chars": chars}


_ROW_SCHEMA = pa.schema([
    ("kind", pa.string()), ("task", pa.int32()), ("ordinal", pa.int64()), ("source_id", pa.string()),
    ("place", pa.string()), ("segment", pa.string()), ("row", pa.int32()), ("passages", pa.int64()),
    ("tokens", pa.int64()), ("chars", pa.int64()), ("info", pa.string()),
])


# --- on the driver -----------------------------------------------------------------------


def spark_build_index(paths: list[str], out: str, *, params: Params | None = None, master: str | None = None,
                      jobs: int = 2, progress: bool = False, allow_empty: bool = False, flush_passages: int = 250_000,
                      task_bytes: int = TASK_BYTES, base: list[str] | None = None, **corpus_options) -> BuildReport:
    """Build a new index at ``out`` on Spark (``master``, else the active session, else ``local[jobs]``).

    ``out`` is a path or ``file://`` URL on a file system the driver and every
    executor share. Same arguments and same result as ``build_index``, all or
    nothing like it; declared ``base`` code (small) is read on the driver.

    spark_build_index(["corpus/"], "/shared/corpus.cgidx", master="spark://head:7077")
    """
    from ..dedup.spark import session
    from .store import Index

    started = time.perf_counter()
    with Index.building(_local_path(out), params or Params(), versions()) as txn:
        declare_base(txn, base)
        spark = session(jobs, master)
        reader = CorpusReader(paths, **corpus_options)
        tasks = plan_tasks(list(reader.pieces()), spark.sparkContext.defaultParallelism, task_bytes)
        staging = fsutil.new_tmp_dir(txn.path).resolve()
        job = _Job(str(staging), txn.manifest.params, corpus_options, flush_passages, os.getcwd())
        results = _run(spark, tasks, job, staging, progress) if tasks else None
        report = _commit(txn, staging, results, reader)
        report.fail_if_empty(paths, allow_empty)
    report.seconds = time.perf_counter() - started
    return report


def _local_path(out: str) -> Path:
    if out.startswith("file://"):
        return Path(out[len("file://"):])
    if "://" in out:
        raise ConfigError(f"{out}: the Spark build writes to a file system every executor mounts (a path or "
                          f"file:// URL); build there and copy the finished index to the object store")
    return Path(out)


def _run(spark, tasks: list[list[Piece]], job: _Job, staging: Path, progress: bool):
    """Run the tasks; the committed result rows (one successful attempt per task), as a DataFrame."""
    rows = [(i, json.dumps([asdict(p) for p in pieces])) for i, pieces in enumerate(tasks)]
    sc = spark.sparkContext
    frame = spark.createDataFrame(sc.parallelize(rows, max(1, len(rows))), "task int, pieces string")
    out = frame.mapInArrow(lambda it: _build_tasks(it, job), ROWS)
    where = str(staging / "results")
    group = f"copyguard-build-{staging.name}"
    sc.setJobGroup(group, "copyguard index build")
    with _Progress(sc, group, sum(p.size for t in tasks for p in t), len(tasks), progress):
        try:
            out.write.parquet(where)
        except Exception as err:
            raise _copyguard_error(err) from None
    return spark.read.parquet(where)


def _copyguard_error(err: Exception) -> Exception:
    """The ``CopyguardError`` a task raised (Spark wraps it in its own exception with the traceback), else ``err``."""
    from .. import errors

    found = re.findall(r"copyguard\.errors\.(\w+): ([^\n]*)", str(err))
    cls = getattr(errors, found[-1][0], None) if found else None
    if isinstance(cls, type) and issubclass(cls, errors.CopyguardError):
        return cls(found[-1][1])
    return err


def _commit(txn: Transaction, staging: Path, results, reader: CorpusReader) -> BuildReport:
    """Stage the committed tasks' segments in task order with later duplicates born removed; the build's report."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    summaries, later = [], []
    if results is not None:
        tasks = results.where(F.col("kind") == "task").select("info").collect()
        summaries = sorted((json.loads(r.info) for r in tasks), key=lambda s: s["task"])
        w = Window.partitionBy("source_id").orderBy("task", "ordinal")
        later = (results.where(F.col("kind") == "doc").withColumn("n", F.row_number().over(w)).where(F.col("n") > 1)
                 .select("task", "ordinal", "place", "segment", "row", "passages", "tokens", "chars")
                 .orderBy("task", "ordinal").collect())

    report = BuildReport()
    report.merge_skips(reader.skipped.counts, reader.skipped.examples)
    for s in summaries:
        report.sources += s["sources"]
        report.passages += s["passages"]
        report.tokens += s["tokens"]
        report.chars += s["chars"]
        report.merge_skips(s["skipped"], s["examples"])
        report.unparsed += s.get("unparsed", [])
    dead: dict[str, list[int]] = {}
    for d in later:
        report.skip("duplicate-id", d.place)
        if d.segment is not None:
            dead.setdefault(d.segment, []).append(d.row)
            report.sources -= 1
            report.passages -= d.passages
            report.tokens -= d.tokens
            report.chars -= d.chars
    for s in summaries:
        for seg in s["segments"]:
            txn.add_segment_dir(staging / seg["dir"], files=seg["files"], dead_rows=dead.get(seg["dir"], ()))
    return report


class _Progress:
    """A progress bar in bytes, fed from Spark's status tracker by a background thread."""

    def __init__(self, sc, group: str, total_bytes: int, tasks: int, enabled: bool):
        self.sc, self.group, self.total, self.tasks, self.enabled = sc, group, total_bytes, tasks, enabled
        self._stop = threading.Event()

    def __enter__(self) -> _Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.enabled:
            self._thread.join()

    def _poll(self) -> None:
        from tqdm import tqdm

        bar = tqdm(desc="indexing on Spark", total=self.total, unit="B", unit_scale=True, leave=False)
        tracker = self.sc.statusTracker()
        while not self._stop.wait(0.5):
            done = 0
            for job in tracker.getJobIdsForGroup(self.group):
                info = tracker.getJobInfo(job)
                for stage in info.stageIds if info else ():
                    s = tracker.getStageInfo(stage)
                    if s is not None and s.numTasks == self.tasks:
                        done = max(done, s.numCompletedTasks)
            bar.n = self.total * done // max(self.tasks, 1)
            bar.refresh()
        bar.close()
