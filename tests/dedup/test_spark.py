"""The Spark engine (local mode) gives exactly the local engine's output."""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_synth import planted, sentence

from copyguard.dedup import dedup
from copyguard.errors import DependencyError


def test_missing_pyspark_raises_dependency_error_with_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": ["a b c"]}), src)
    with pytest.raises(DependencyError, match='pip install "pyspark'):
        dedup([str(src)], str(tmp_path / "out.parquet"), engine="spark")


def _dataset(tmp_path) -> tuple[list[str], np.ndarray]:
    """12,000 rows over a Parquet file (several row groups) and a JSONL file, with planted
    exact and near copies, a transitive chain, nulls and empty strings."""
    texts, origin = planted(12_000, seed=21, length=40)
    rng = np.random.default_rng(22)
    a = sentence(rng, 200)
    b = a[:-12] + sentence(rng, 12)
    c = sentence(rng, 12) + b[12:]
    for pos, words in zip((11_000, 11_500, 11_900), (a, b, c)):
        texts[pos] = " ".join(words)
        origin[pos] = 11_000
    for pos in (5, 6, 7007):
        texts[pos] = None if pos % 2 else ""
    table = pa.table({"id": [f"doc-{i}" for i in range(12_000)], "text": pa.array(texts, pa.string())})
    pq.write_table(table.slice(0, 9000), tmp_path / "a.parquet", row_group_size=2500)
    with open(tmp_path / "b.jsonl", "w") as f:
        for row in table.slice(9000).to_pylist():
            f.write(json.dumps(row) + "\n")
    return texts, origin


@pytest.fixture(scope="module", autouse=True)
def _one_session_per_module():
    yield
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def same_rows(local_out, spark_out, key: str) -> bool:
    """The local output file and the Spark output folder hold the same rows and labels."""
    a, b = pq.read_table(local_out), pq.read_table(spark_out)
    b = b.select(a.column_names).sort_by(key)
    a = a.sort_by(key)
    return a.num_rows == b.num_rows and all(a.column(c).to_pylist() == b.column(c).to_pylist() for c in a.column_names)


@pytest.mark.spark
def test_spark_and_local_engines_give_identical_output(tmp_path):
    _dataset(tmp_path)
    inputs = [str(tmp_path / "a.parquet"), str(tmp_path / "b.jsonl")]
    local = dedup(inputs, str(tmp_path / "local.parquet"), id_field="id", mark_only=True)
    spark = dedup(inputs, str(tmp_path / "spark"), id_field="id", mark_only=True, engine="spark", jobs=2)
    assert (tmp_path / "spark" / "_SUCCESS").exists()  # written by Spark, not by the driver
    assert same_rows(tmp_path / "local.parquet", tmp_path / "spark", "id")
    assert (local.rows_in, local.clusters, local.duplicates) == (spark.rows_in, spark.clusters, spark.duplicates)
    assert local.clusters > 900
    out_local = pq.read_table(tmp_path / "local.parquet")
    cid = out_local.column("cluster_id").to_numpy()
    assert cid[11_000] == cid[11_500] == cid[11_900] == 11_000  # the chain
    assert cid[5] == 5 and cid[6] == 6 and cid[7007] == 7007


@pytest.mark.spark
def test_spark_drops_the_same_rows_and_names_row_numbers_without_an_id(tmp_path):
    texts, _ = planted(600, seed=3, length=40)
    pq.write_table(pa.table({"text": texts}), tmp_path / "in.parquet", row_group_size=200)
    local = dedup([str(tmp_path / "in.parquet")], str(tmp_path / "local.parquet"))
    spark = dedup([str(tmp_path / "in.parquet")], str(tmp_path / "spark"), engine="spark")
    assert local.rows_out == spark.rows_out < 600
    a = pq.read_table(tmp_path / "local.parquet")
    b = pq.read_table(tmp_path / "spark").sort_by("cluster_id")
    assert a.column("cluster_id").to_pylist() == b.column("cluster_id").to_pylist()
    assert b.column("duplicate_of").null_count == b.num_rows  # only kept rows remain
