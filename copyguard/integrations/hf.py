"""Hugging Face ``datasets``: cluster columns through ``Dataset.map`` and a decontamination filter.

``ClusterColumns(dataset)`` signs every row once (code-aware, as ``copyguard
dedup``) and clusters them; the object is then a batched function for
``Dataset.map(..., batched=True, with_indices=True, features=labels.features)``
adding ``cluster_id``, ``cluster_size`` and ``duplicate_of`` (the kept row's
id, or its index; None for kept rows); ``features`` types the new columns,
which a first batch of only kept rows would otherwise leave typed null.
``keep`` is the matching ``Dataset.filter`` predicate.
``Decontaminate(index)`` is a batched ``Dataset.filter`` predicate keeping the
rows that copy nothing of a copyguard index (or ``.mark`` for ``map``).

    from datasets import load_dataset
    ds = load_dataset("json", data_files="train.jsonl", split="train")
    labels = ClusterColumns(ds, text_column="text", id_column="id")
    ds = ds.map(labels, batched=True, with_indices=True, features=labels.features)
    ds = ds.filter(labels.keep, batched=True, with_indices=True)
    ds = ds.filter(Decontaminate("benchmarks.cgidx"), batched=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DependencyError, InputError

PIP = 'pip install "copyguard[datasets]"'

try:
    import datasets
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise DependencyError(f"copyguard.integrations.hf needs datasets ({e.name} is missing); run: {PIP}") from None


class ClusterColumns:
    """Cluster labels of every row of ``dataset``, applied by ``Dataset.map(self, batched=True, with_indices=True)``."""

    def __init__(self, dataset: datasets.Dataset, text_column: str = "text", id_column: str | None = None,
                 lang_column: str | None = None, threshold: float | None = None, mode: str = "auto",
                 max_copies: int = 1, batch_rows: int = 4096):
        from ..dedup import THRESHOLD, Columns, DedupConfig, cluster, ranks, signatures_for_batch

        missing = [c for c in (text_column, id_column, lang_column) if c and c not in dataset.column_names]
        if missing:
            raise InputError(f"no column(s) {missing} in the dataset; columns are {dataset.column_names}")
        config = DedupConfig(threshold=THRESHOLD if threshold is None else threshold, mode=mode)
        columns = Columns(text_column, lang=lang_column)
        table = dataset.with_format("arrow")
        wanted = columns.needed()
        sigs = [np.zeros((0, config.num_perm), np.uint32)]
        for batch in table.iter(batch_size=batch_rows):
            rb = pa.record_batch([batch.column(c).combine_chunks() for c in wanted], names=wanted)
            sigs.append(signatures_for_batch(rb, config, columns))
        self.cluster_id = cluster(np.concatenate(sigs), config)
        self.cluster_size, self.rank = ranks(self.cluster_id)
        self.ids = dataset.with_format("arrow")[id_column] if id_column else None
        self.max_copies = max_copies
        id_type = dataset.features[id_column] if id_column else datasets.Value("int64")
        # Pass as ``features=`` to ``map``: a first batch of only kept rows must not type duplicate_of as null.
        self.features = datasets.Features({**dataset.features, "cluster_id": datasets.Value("int64"),
                                           "cluster_size": datasets.Value("int64"), "duplicate_of": id_type})

    def __call__(self, batch: dict[str, list], indices: list[int]) -> dict[str, list[Any]]:
        idx = np.asarray(indices, dtype=np.int64)
        cid = self.cluster_id[idx]
        dup = pa.array(self.rank[idx] >= self.max_copies)
        first = pa.array(cid) if self.ids is None else self.ids.take(pa.array(cid)).combine_chunks()
        return {"cluster_id": cid, "cluster_size": self.cluster_size[idx],
                "duplicate_of": pc.if_else(dup, first, pa.nulls(len(idx), first.type)).to_pylist()}

    def keep(self, batch: dict[str, list], indices: list[int]) -> list[bool]:
        """``Dataset.filter`` predicate: the first ``max_copies`` rows of each cluster."""
        return (self.rank[np.asarray(indices, dtype=np.int64)] < self.max_copies).tolist()


class Decontaminate:
    """Batched ``Dataset.filter`` predicate: True for rows that copy no source of the index at ``index``.

    ``mark`` is the ``Dataset.map`` variant adding ``contaminated_by`` (the sources, None when clean).
    """

    def __init__(self, index: str, text_column: str = "text", lang_column: str | None = None,
                 policy: str | None = None, ngram: int | None = None):
        from ..dedup.decontaminate import checker

        checker(index, policy, ngram)  # fail on a bad index now, not inside a worker
        self.index, self.text_column, self.lang_column, self.policy, self.ngram = (
            index, text_column, lang_column, policy, ngram)

    def sources(self, batch: dict[str, list]) -> list[list[str] | None]:
        from ..dedup.decontaminate import contaminated_by

        langs = batch[self.lang_column] if self.lang_column else None
        return contaminated_by(batch[self.text_column], self.index, langs, self.policy, self.ngram)

    def __call__(self, batch: dict[str, list]) -> list[bool]:
        return [s is None for s in self.sources(batch)]

    def mark(self, batch: dict[str, list]) -> dict[str, list]:
        """``Dataset.map`` function adding ``contaminated_by``; pass ``features=`` as for ``ClusterColumns``."""
        return {"contaminated_by": self.sources(batch)}

    def features(self, dataset: datasets.Dataset) -> datasets.Features:
        """``dataset``'s features plus ``contaminated_by`` (a list of strings)."""
        return datasets.Features({**dataset.features, "contaminated_by": datasets.Sequence(datasets.Value("string"))})
