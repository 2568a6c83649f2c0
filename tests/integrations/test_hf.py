"""The datasets functions on a real ``datasets.Dataset`` (built from a local JSONL file)."""

from __future__ import annotations

import json

import datasets
import numpy as np
from integration_samples import FUNC, RENAMED

from copyguard.index.build import build_index
from copyguard.integrations.hf import ClusterColumns, Decontaminate


def _dataset(tmp_path, texts: list[str]) -> datasets.Dataset:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))


def _prose(seed: int) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(f"w{i}" for i in rng.integers(0, 5000, 80))


def test_map_adds_cluster_columns_and_filter_keeps_the_first_copy(tmp_path):
    a, b = _prose(1), _prose(2)
    ds = _dataset(tmp_path, [a, FUNC, b, a, RENAMED, a])
    labels = ClusterColumns(ds, id_column="id")
    marked = ds.map(labels, batched=True, batch_size=2, with_indices=True, features=labels.features)
    assert marked["cluster_id"] == [0, 1, 2, 0, 1, 0]
    assert marked["cluster_size"] == [3, 2, 1, 3, 2, 3]
    assert marked["duplicate_of"] == [None, None, None, "r0", "r1", "r0"]
    kept = marked.filter(labels.keep, batched=True, batch_size=2, with_indices=True)
    assert kept["id"] == ["r0", "r1", "r2"]


def test_decontamination_filter_drops_rows_copying_the_index(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "merge.py").write_text(FUNC)
    build_index([str(tmp_path / "corpus")], str(tmp_path / "idx"))
    ds = _dataset(tmp_path, [_prose(3), "```python\n" + RENAMED + "```", _prose(4)])
    check = Decontaminate(str(tmp_path / "idx"))
    assert ds.filter(check, batched=True)["id"] == ["r0", "r2"]
    marks = ds.map(check.mark, batched=True, batch_size=1, features=check.features(ds))["contaminated_by"]
    assert marks[0] is None and marks[2] is None and any("merge.py" in s for s in marks[1])
