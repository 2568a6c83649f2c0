"""The Spark build gives the local build's index: same reports, same verdicts, first occurrence of an id wins;
it survives a lost executor on a standalone cluster without losing or duplicating a source."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

import pytest
from spark_cluster import Cluster, spark_env

from copyguard.errors import InputError
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index.build import build_index
from copyguard.index.manifest import read_manifest
from copyguard.index.spark_build import spark_build_index

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "copyguard" / "samples"
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if len(p.split()) >= 40]


def _corpus(tmp: Path) -> list[str]:
    """The sample corpus, and two JSONL files whose rows get the same ids (``data.jsonl:<row>``)."""
    shutil.copytree(SAMPLES / "corpus", tmp / "corpus")
    first = _paragraphs((SAMPLES / "corpus" / "distro" / "LICENSE").read_text())[:4]
    second = _paragraphs((STDLIB / "LICENSE.txt").read_text())[:4]
    for name, rows in (("a", first), ("b", second)):
        (tmp / name).mkdir()
        (tmp / name / "data.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in rows))
    return [str(tmp / "corpus"), str(tmp / "a" / "data.jsonl"), str(tmp / "b" / "data.jsonl")]


def _queries(tmp: Path) -> list[str]:
    """The sample answer, a 1,500-character slice of every source (fenced when code), every dataset row."""
    out = [(SAMPLES / "answer.md").read_text()]
    for path in sorted((tmp / "corpus").rglob("*")):
        if path.suffix in (".py", ".txt"):
            text = path.read_text()
            mid = len(text) // 2
            piece = text[mid : mid + 1500]
            out.append(f"Here you go:\n\n```python\n{piece}\n```\n" if path.suffix == ".py" else piece)
    for name in ("a", "b"):
        out += [json.loads(line)["text"] for line in (tmp / name / "data.jsonl").read_text().splitlines()]
    return out


@pytest.mark.spark
def test_spark_build_answers_every_query_as_the_local_build(tmp_path):
    inputs = _corpus(tmp_path)
    # text whose tree-sitter parse outgrows its budget (tests/test_parse_budget.py): indexed lexed, and reported
    _, hang = json.loads((ROOT / "tests" / "data" / "parse" / "tsx-hang.json").read_text(encoding="utf-8"))
    (tmp_path / "corpus" / "hang.tsx").write_text(hang, encoding="utf-8")
    local = build_index(inputs, str(tmp_path / "local"))
    spark = spark_build_index(inputs, str(tmp_path / "spark"), jobs=2, task_bytes=16_000)
    assert (spark.sources, spark.passages, spark.tokens, spark.chars) == \
        (local.sources, local.passages, local.tokens, local.chars)
    assert spark.skipped == local.skipped and spark.skipped["duplicate-id"] == 4
    assert spark.examples == local.examples
    assert spark.unparsed == local.unparsed and [Path(i).name for i in local.unparsed] == ["hang.tsx"]
    stats = Index.open(tmp_path / "spark").stats()
    assert stats["segments"] >= 8 and stats["live_sources"] == local.sources
    assert not any((tmp_path / "spark" / "tmp").iterdir())
    # every segment a task wrote holds its held-shingle table, checksummed like the rest
    assert all("df_holders.npy" in s.files for s in read_manifest(tmp_path / "spark").segments)
    assert Index.open(tmp_path / "spark").verify().ok

    g_local, g_spark = Guard.open(tmp_path / "local"), Guard.open(tmp_path / "spark")
    verdicts = [(g_local.check(q).to_dict(), g_spark.check(q).to_dict()) for q in _queries(tmp_path)]
    assert all(a == b for a, b in verdicts)
    found = [bool(a["matches"]) for a, _ in verdicts]
    assert found[0] and sum(found[:-8]) >= 10  # the answer and most slices of the corpus hold copies
    assert found[-8:] == [True] * 4 + [False] * 4  # rows of a/data.jsonl kept, those of b/ were duplicate ids


@pytest.mark.spark
def test_a_task_error_is_the_copyguard_error_and_leaves_no_index(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "one two three four five six seven"}\nnot json\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: not valid JSON"):
        spark_build_index([str(bad)], str(tmp_path / "idx"), jobs=2)
    assert not (tmp_path / "idx").exists()


def _stdlib_corpus(tmp: Path, n: int = 24) -> Path:
    """The sample corpus plus ``n`` modules of the standard library: enough tasks to outlive a lost executor."""
    corpus = tmp / "corpus"
    shutil.copytree(SAMPLES / "corpus", corpus)
    (corpus / "stdlib").mkdir()
    for path in sorted(STDLIB.glob("*.py"), key=lambda p: p.name)[:n]:
        shutil.copy(path, corpus / "stdlib" / path.name)
    return corpus


def test_standalone_cluster_build_survives_a_lost_executor(tmp_path):
    corpus = _stdlib_corpus(tmp_path)
    out = tmp_path / "spark.cgidx"
    (tmp_path / "cluster").mkdir()
    with Cluster(tmp_path / "cluster") as cluster:
        build = subprocess.Popen(
            [sys.executable, "-m", "copyguard", "index", "build", str(corpus), "--out", str(out), "--engine", "spark",
             "--spark-master", cluster.url, "--spark-task-mb", "0.01", "--no-progress"],
            env=spark_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = threading.Event()

        def kill_executor_mid_build() -> None:
            while build.poll() is None:
                attempts = list(out.glob("tmp/*/t*-a*"))
                pids = cluster.executors()
                if len(attempts) >= 4 and pids:
                    for pid in pids:
                        subprocess.run(["kill", "-9", str(pid)], check=False)
                    killed.set()
                    return
                time.sleep(0.1)

        killer = threading.Thread(target=kill_executor_mid_build)
        killer.start()
        stdout, stderr = build.communicate(timeout=600)
        killer.join()
    assert build.returncode == 0, stderr[-3000:]
    assert killed.is_set() and "lost executor" in stderr.lower()

    local = build_index([str(corpus)], str(tmp_path / "local.cgidx"))
    assert f"indexed into {out}: {local.sources:,} sources, {local.passages:,} passages" in stdout
    stats = Index.open(out).stats()
    assert (stats["live_sources"], stats["passages"]) == (local.sources, local.passages)
    assert not any((out / "tmp").iterdir())
    g_local, g_spark = Guard.open(tmp_path / "local.cgidx"), Guard.open(out)
    for path in sorted((corpus / "stdlib").glob("*.py"))[::4]:
        text = path.read_text()
        query = f"```python\n{text[len(text) // 3 : len(text) // 3 + 2000]}\n```"
        assert g_local.check(query).to_dict() == g_spark.check(query).to_dict()


def test_cli_spark_master_needs_the_spark_engine(tmp_path):
    r = subprocess.run([sys.executable, "-m", "copyguard", "index", "build", str(SAMPLES / "corpus"), "--out",
                        str(tmp_path / "idx"), "--spark-master", "spark://127.0.0.1:7077"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.strip() == "copyguard: error: --spark-master needs --engine spark"
    assert not (tmp_path / "idx").exists()
