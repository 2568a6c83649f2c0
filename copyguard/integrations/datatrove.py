"""datatrove pipeline steps: near-duplicate clustering and decontamination of ``Document`` streams.

- ``CopyguardDedup``: clusters the documents of one task (as ``copyguard dedup``
  does a file: code-aware, same threshold and rules) and drops the copies past
  ``max_copies``, or only marks ``metadata`` with ``cluster_id``,
  ``cluster_size`` and ``duplicate_of`` (the kept document's id). It holds
  the task's documents until the stream ends: run it with ``tasks=1`` over a
  shard, or use ``copyguard dedup`` (Spark for many machines) on the files.
- ``CopyguardDecontaminate``: a filter dropping (or flagging) documents that
  copy a source of a copyguard index, with datatrove's ``exclusion_writer``
  for the dropped ones; the reason names the sources.

    pipeline = [
        JsonlReader("data/"),
        CopyguardDedup(),
        CopyguardDecontaminate("benchmarks.cgidx", exclusion_writer=JsonlWriter("removed/")),
        JsonlWriter("clean/"),
    ]
    LocalPipelineExecutor(pipeline, tasks=1).run()
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..errors import DependencyError

PIP = 'pip install "copyguard[datatrove]"'

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise DependencyError(f"copyguard.integrations.datatrove needs datatrove ({e.name} is missing); run: {PIP}") from None


class CopyguardDedup(PipelineStep):
    """Drop (or, with ``mark_only``, only mark) near-duplicate documents of the stream.

    ``lang_key``: a metadata key naming each document's language (default:
    detected per document). The first ``max_copies`` documents of each
    cluster in stream order are kept.
    """

    name = "copyguard dedup"
    type = "🫂 - DEDUP"

    def __init__(self, threshold: float | None = None, mode: str = "auto", lang_key: str | None = None,
                 max_copies: int = 1, mark_only: bool = False, batch_rows: int = 4096):
        super().__init__()
        from ..dedup import THRESHOLD, DedupConfig

        self.config = DedupConfig(threshold=THRESHOLD if threshold is None else threshold, mode=mode)
        self.lang_key, self.max_copies, self.mark_only, self.batch_rows = lang_key, max_copies, mark_only, batch_rows

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        import numpy as np

        from ..dedup import Columns, cluster, ranks, signatures_for_batch

        docs: list[Document] = list(data or [])
        columns = Columns("text", lang="lang" if self.lang_key else None)
        sigs = [np.zeros((0, self.config.num_perm), np.uint32)]
        with self.track_time():
            for s in range(0, len(docs), self.batch_rows):
                sigs.append(signatures_for_batch(self._batch(docs[s : s + self.batch_rows]), self.config, columns))
            labels = cluster(np.concatenate(sigs), self.config)
            size, rank_in = ranks(labels)
        for i, doc in enumerate(docs):
            self.stat_update("total")
            dup = bool(rank_in[i] >= self.max_copies)
            if dup and not self.mark_only:
                self.stat_update("dropped")
                continue
            doc.metadata["cluster_id"] = int(labels[i])
            doc.metadata["cluster_size"] = int(size[i])
            doc.metadata["duplicate_of"] = docs[int(labels[i])].id if dup else None
            self.stat_update("forwarded")
            yield doc

    def _batch(self, docs: list[Document]) -> pa.RecordBatch:
        cols: dict[str, Any] = {"text": pa.array([d.text for d in docs], pa.string())}
        if self.lang_key:
            cols["lang"] = pa.array([d.metadata.get(self.lang_key) for d in docs], pa.string())
        return pa.record_batch(cols)


class CopyguardDecontaminate(BaseFilter):
    """Drop documents that copy a source of the index at ``index`` (or flag them, with ``mark_only``).

    The rule is the index's check under its policy (or ``policy``, a TOML
    path), or with ``ngram=N`` the N-gram overlap rule; see
    ``copyguard.dedup.decontaminate``. Flagged documents get
    ``metadata["contaminated_by"]``; dropped ones go to ``exclusion_writer``
    with ``filter_reason`` naming the sources.
    """

    name = "copyguard decontaminate"

    def __init__(self, index: str, exclusion_writer: DiskWriter | None = None, lang_key: str | None = None,
                 policy: str | None = None, ngram: int | None = None, mark_only: bool = False,
                 batch_size: int = 64):
        super().__init__(exclusion_writer, batch_size)
        from ..dedup.decontaminate import checker

        checker(index, policy, ngram)  # a bad index fails here, when the pipeline is built
        self.index, self.lang_key, self.policy, self.ngram, self.mark_only = index, lang_key, policy, ngram, mark_only

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        from ..dedup.decontaminate import contaminated_by

        langs = [d.metadata.get(self.lang_key) for d in batch] if self.lang_key else None
        found = contaminated_by([d.text for d in batch], self.index, langs, self.policy, self.ngram)
        out: list[bool | tuple[bool, str]] = []
        for doc, sources in zip(batch, found):
            if sources is None:
                out.append(True)
            elif self.mark_only:
                doc.metadata["contaminated_by"] = sources
                out.append(True)
            else:
                out.append((False, "copyguard: copies " + ", ".join(sources)))
        return out
