"""All or nothing: one build, add, remove or compact commits everything or nothing, whatever stops it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from synth import make_data

from copyguard.errors import IndexStoreError, InputError
from copyguard.index import Index
from copyguard.index.build import add_to_index, build_index
from copyguard.params import Params

ROOT = Path(__file__).resolve().parents[2]


def observed(root: Path) -> tuple:
    s = Index.open(root).stats()
    return s["generation"], s["live_sources"], s["live_passages"], s["segments"]


@pytest.fixture
def idx(tmp_path) -> Index:
    index = Index.create(tmp_path / "idx", Params(), {})
    index.add(make_data(["a", "b", "c"]))
    return index


def test_a_transaction_commits_once_or_not_at_all(idx):
    before = observed(idx.path)
    with pytest.raises(RuntimeError):
        with idx.transaction() as txn:
            assert txn.add(make_data(["x", "b"], salt=1)) == ["b"]
            txn.remove(["a"])
            assert txn.add(make_data(["y", "x"], salt=2)) == ["x"]  # replaces a source staged in this transaction
            assert len(list((idx.path / "segments").iterdir())) == 3  # written, but named by no manifest
            raise RuntimeError("the writer fails after two segments and a removal")
    assert observed(idx.path) == before
    assert len(list((idx.path / "segments").iterdir())) == 1 and not list((idx.path / "tombstones").iterdir())
    with idx.transaction() as txn:
        txn.add(make_data(["x", "b"], salt=1))
        txn.remove(["a"])
        txn.add(make_data(["y", "x"], salt=2))
    gen, live, _, segments = observed(idx.path)
    assert (gen, live, segments) == (before[0] + 1, 4, 3)
    assert sorted(Index.open(idx.path).find_sources(["a", "b", "c", "x", "y"])) == ["b", "c", "x", "y"]


def _kill_child(code: str) -> int:
    """Run ``code`` in a fresh interpreter that SIGKILLs itself where the code says; its exit status."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env={"PYTHONPATH": f"{ROOT}:{ROOT / 'tests' / 'index'}", "PATH": "/usr/bin:/bin"})
    assert r.returncode == -9, r.stderr
    return r.returncode


def test_killed_transaction_leaves_the_index_as_it_was(idx):
    before = observed(idx.path)
    _kill_child(f"""
        import os, signal
        from synth import make_data
        from copyguard.index import Index
        with Index.open({str(idx.path)!r}).transaction() as txn:
            txn.add(make_data(["x", "b"], salt=1))
            txn.add(make_data(["y"], salt=2))
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert observed(idx.path) == before
    idx.remove(["c"])  # the next writer sweeps the killed one's segments
    assert len(list((idx.path / "segments").iterdir())) == 1


def test_killed_build_leaves_no_index_and_can_be_rerun(tmp_path):
    out = tmp_path / "out"
    _kill_child(f"""
        import os, signal
        from copyguard.corpus import Document
        from copyguard.index.build import index_documents
        def docs():
            for i in range(30):
                yield Document(f"d{{i}}", " ".join(f"word{{i}}x{{j}}" for j in range(400)), "text", None, None)
            os.kill(os.getpid(), signal.SIGKILL)
        index_documents(docs(), {str(out)!r})
    """)
    assert out.exists() and not (out / "manifest.json").exists()
    with pytest.raises(IndexStoreError, match="not a copyguard index"):
        Index.open(out)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(" ".join(f"word{j}" for j in range(200)))
    report = build_index([str(corpus)], str(out))
    assert report.sources == 1 and Index.open(out).stats()["live_sources"] == 1


def test_failed_build_removes_what_it_created(tmp_path):
    data = tmp_path / "data.jsonl"
    lines = [json.dumps({"text": f"document {i} " + "some words here " * 30}) for i in range(50)]
    data.write_text("\n".join(lines + ["{broken"]) + "\n")
    with pytest.raises(InputError, match="data.jsonl:51"):
        build_index([str(data)], str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_failed_add_commits_none_of_its_documents(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(" ".join(f"word{j}" for j in range(200)))
    build_index([str(corpus)], str(tmp_path / "idx"))
    before = observed(tmp_path / "idx")
    data = tmp_path / "data.jsonl"
    lines = [json.dumps({"text": f"document {i} " + "other words there " * 30}) for i in range(700)]
    data.write_text("\n".join(lines + ['{"text": 5}']) + "\n")
    with pytest.raises(InputError, match="data.jsonl:701"):
        add_to_index([str(data)], str(tmp_path / "idx"))
    assert observed(tmp_path / "idx") == before
