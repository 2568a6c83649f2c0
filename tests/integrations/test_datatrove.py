"""The datatrove steps inside a real datatrove pipeline: JSONL reader, our steps, JSONL writers."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from integration_samples import FUNC, RENAMED

from copyguard.index.build import build_index
from copyguard.integrations.datatrove import CopyguardDecontaminate, CopyguardDedup


def _words(rng: np.random.Generator, n: int) -> str:
    vocab = "river stone garden window letter music paper engine forest signal mirror harbor lantern".split()
    return " ".join(vocab[i] for i in rng.integers(0, len(vocab), n)) + " " + " ".join(
        f"w{i}" for i in rng.integers(0, 10_000, n))


def _read(folder) -> list[dict]:
    out = []
    for f in sorted(folder.rglob("*.jsonl*")):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt") as fh:
            out.extend(json.loads(line) for line in fh)
    return out


def _write_input(folder, texts: list[str]) -> None:
    folder.mkdir()
    with open(folder / "part.jsonl", "w") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": f"d{i}", "text": t}) + "\n")


def test_dedup_step_drops_copies_and_renamed_code_in_a_pipeline(tmp_path):
    rng = np.random.default_rng(1)
    prose = _words(rng, 60)
    texts = [prose, FUNC, _words(rng, 60), prose, RENAMED]
    _write_input(tmp_path / "in", texts)
    pipeline = [JsonlReader(str(tmp_path / "in")), CopyguardDedup(), JsonlWriter(str(tmp_path / "out"))]
    LocalPipelineExecutor(pipeline, tasks=1, logging_dir=str(tmp_path / "logs")).run()
    assert [d["id"] for d in _read(tmp_path / "out")] == ["d0", "d1", "d2"]


def test_dedup_step_marks_metadata_with_the_kept_documents_id(tmp_path):
    rng = np.random.default_rng(2)
    prose = _words(rng, 60)
    _write_input(tmp_path / "in", [prose, _words(rng, 60), prose])
    pipeline = [JsonlReader(str(tmp_path / "in")), CopyguardDedup(mark_only=True), JsonlWriter(str(tmp_path / "out"))]
    LocalPipelineExecutor(pipeline, tasks=1, logging_dir=str(tmp_path / "logs")).run()
    meta = [d["metadata"] for d in _read(tmp_path / "out")]
    assert [m["duplicate_of"] for m in meta] == [None, None, "d0"]
    assert [m["cluster_size"] for m in meta] == [2, 1, 2]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("protected")
    (root / "corpus").mkdir()
    (root / "corpus" / "merge.py").write_text(FUNC)
    build_index([str(root / "corpus")], str(root / "idx"))
    return str(root / "idx")


def test_decontamination_filter_sends_copies_to_the_exclusion_writer(tmp_path, index):
    rng = np.random.default_rng(3)
    _write_input(tmp_path / "in", [_words(rng, 50), "Here you go:\n```python\n" + RENAMED + "```", _words(rng, 50)])
    step = CopyguardDecontaminate(index, exclusion_writer=JsonlWriter(str(tmp_path / "removed")))
    pipeline = [JsonlReader(str(tmp_path / "in")), step, JsonlWriter(str(tmp_path / "out"))]
    LocalPipelineExecutor(pipeline, tasks=1, logging_dir=str(tmp_path / "logs")).run()
    assert [d["id"] for d in _read(tmp_path / "out")] == ["d0", "d2"]
    removed = _read(tmp_path / "removed")
    assert [d["id"] for d in removed] == ["d1"]
    assert "merge.py" in removed[0]["metadata"]["filter_reason"]
