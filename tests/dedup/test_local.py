"""The local engine end to end: files in, labelled Parquet out."""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_synth import mutate, planted, sentence, write_parquet

from copyguard.dedup import DedupConfig, dedup, signatures_for_batch
from copyguard.errors import ConfigError, InputError


def _run(tmp_path, table: pa.Table, **kw) -> tuple[pa.Table, object]:
    src = write_parquet(tmp_path / "in.parquet", table)
    out = str(tmp_path / "out.parquet")
    report = dedup([src], out, **kw)
    return pq.read_table(out), report


def test_exact_and_near_duplicates_cluster_and_distinct_rows_do_not(tmp_path):
    rng = np.random.default_rng(1)
    a = sentence(rng, 80)
    b = sentence(rng, 80)
    texts = [" ".join(a), " ".join(b), " ".join(a), " ".join(mutate(a, rng, 2)), " ".join(sentence(rng, 80))]
    out, report = _run(tmp_path, pa.table({"text": texts}), mark_only=True)
    assert out.column("cluster_id").to_pylist() == [0, 1, 0, 0, 4]
    assert out.column("cluster_size").to_pylist() == [3, 1, 3, 3, 1]
    assert out.column("duplicate_of").to_pylist() == [None, None, 0, 0, None]
    assert (report.rows_in, report.rows_out, report.clusters, report.duplicates) == (5, 5, 1, 2)


def test_prose_is_compared_after_unicode_folding(tmp_path):
    text = "The quick brown fox jumps over the lazy dog while the cat sleeps"
    disguised = "ＴＨＥ quick brоwn fox jumps\u200b over thé lazy dog while the cat sleeps"  # Cyrillic o
    out, _ = _run(tmp_path, pa.table({"text": [text, disguised]}), mark_only=True)
    assert out.column("cluster_id").to_pylist() == [0, 0]


def test_transitive_chain_is_one_cluster(tmp_path):
    rng = np.random.default_rng(7)
    a = sentence(rng, 200)
    b = a[:-12] + sentence(rng, 12)
    c = sentence(rng, 12) + b[12:]
    texts = [" ".join(w) for w in (a, b, c)]
    cfg = DedupConfig(threshold=0.8)  # A-C similarity ~0.6: a chain only above it
    sigs = signatures_for_batch(pa.record_batch({"text": texts}), cfg)
    agree = lambda i, j: int((sigs[i] == sigs[j]).sum())  # noqa: E731
    assert agree(0, 1) >= cfg.min_equal and agree(1, 2) >= cfg.min_equal
    assert agree(0, 2) < cfg.min_equal  # A and C are not near-duplicates of each other
    out, _ = _run(tmp_path, pa.table({"text": texts}), mark_only=True)
    assert out.column("cluster_id").to_pylist() == [0, 0, 0]


def test_max_copies_keeps_the_first_rows_of_each_cluster_in_input_order(tmp_path):
    rng = np.random.default_rng(2)
    a, b = " ".join(sentence(rng, 50)), " ".join(sentence(rng, 50))
    texts = [b, a, a, b, a, a, a]
    ids = ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]
    out, report = _run(tmp_path, pa.table({"id": ids, "text": texts}), id_field="id", max_copies=2)
    assert out.column("id").to_pylist() == ["r0", "r1", "r2", "r3"]
    assert out.column("duplicate_of").to_pylist() == [None] * 4
    assert report.duplicates == 3 and report.rows_out == 4
    marked, _ = _run(tmp_path, pa.table({"id": ids, "text": texts}), id_field="id", max_copies=2, mark_only=True)
    assert marked.column("duplicate_of").to_pylist() == [None, None, None, None, "r1", "r1", "r1"]
    assert marked.column("cluster_size").to_pylist() == [2, 5, 5, 2, 5, 5, 5]


def test_schema_and_row_order_of_kept_rows_are_preserved(tmp_path):
    texts, origin = planted(300, seed=3)
    table = pa.table({
        "n": pa.array(np.arange(300), pa.int32()),
        "text": texts,
        "tags": pa.array([[i, i + 1] for i in range(300)], pa.list_(pa.int16())),
        "meta": pa.array([{"k": str(i)} for i in range(300)]),
    })
    out, report = _run(tmp_path, table)
    assert out.schema.names == ["n", "text", "tags", "meta", "cluster_id", "cluster_size", "duplicate_of"]
    for f in table.schema:
        assert out.schema.field(f.name).type == f.type
    kept = out.column("n").to_numpy()
    assert np.all(np.diff(kept) > 0)
    assert set(kept.tolist()) == set(np.flatnonzero(origin == np.arange(300)).tolist())
    assert out.slice(0, 5).select(["text", "tags", "meta"]).equals(table.take(kept[:5]).select(["text", "tags", "meta"]))
    assert out.column("cluster_id").type == pa.int64() and out.column("cluster_size").type == pa.int64()


def test_planted_duplicates_are_found_exactly(tmp_path):
    texts, origin = planted(2000, seed=4)
    out, _ = _run(tmp_path, pa.table({"text": texts}), mark_only=True)
    assert np.array_equal(out.column("cluster_id").to_numpy(), origin)


def test_null_empty_and_tokenless_rows_are_never_duplicates(tmp_path):
    texts = [None, "", None, "", "  ...  ", "  ...  ", "word", "word"]
    out, report = _run(tmp_path, pa.table({"text": pa.array(texts, pa.string())}))
    assert out.column("cluster_id").to_pylist() == [0, 1, 2, 3, 4, 5, 6]
    assert report.duplicates == 1  # the short row "word" still matches its exact copy


def test_huge_text_value(tmp_path):
    rng = np.random.default_rng(5)
    huge = " ".join(sentence(rng, 400_000))
    out, _ = _run(tmp_path, pa.table({"text": [huge, "small row here", huge]}), mark_only=True)
    assert out.column("cluster_id").to_pylist() == [0, 1, 0]


def test_jsonl_input_and_several_inputs_count_rows_in_order(tmp_path):
    texts, origin = planted(200, seed=6)
    jl = tmp_path / "part.jsonl"
    jl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts[:120])))
    pq_dir = tmp_path / "more"
    pq_dir.mkdir()
    write_parquet(pq_dir / "b.parquet", pa.table({"id": range(160, 200), "text": texts[160:]}))
    write_parquet(pq_dir / "a.parquet", pa.table({"id": range(120, 160), "text": texts[120:160]}))
    out = str(tmp_path / "out.parquet")
    dedup([str(jl), str(pq_dir)], out, id_field="id", mark_only=True)
    res = pq.read_table(out)
    assert res.column("id").to_pylist() == list(range(200))
    assert np.array_equal(res.column("cluster_id").to_numpy(), origin)


def test_jobs_give_the_same_output(tmp_path):
    texts, _ = planted(30_000, seed=8, length=20)
    src = write_parquet(tmp_path / "in.parquet", pa.table({"text": texts}), row_group_size=4000)
    dedup([src], str(tmp_path / "one.parquet"), mark_only=True)
    dedup([src], str(tmp_path / "two.parquet"), mark_only=True, jobs=2)
    assert pq.read_table(tmp_path / "one.parquet").equals(pq.read_table(tmp_path / "two.parquet"))


def test_user_mistakes_raise_copyguard_errors(tmp_path):
    src = write_parquet(tmp_path / "in.parquet", pa.table({"body": ["x y z"]}))
    with pytest.raises(InputError, match="no column"):
        dedup([src], str(tmp_path / "o.parquet"))
    with pytest.raises(InputError, match="does not exist"):
        dedup([str(tmp_path / "missing.parquet")], str(tmp_path / "o.parquet"))
    os.mkfifo(tmp_path / "pipe.jsonl")  # would block forever if opened
    for special in ("/dev/zero", str(tmp_path / "pipe.jsonl")):
        with pytest.raises(InputError, match="not a regular file"):
            dedup([special], str(tmp_path / "o.parquet"))
    with pytest.raises(ConfigError, match="threshold"):
        dedup([src], str(tmp_path / "o.parquet"), text_field="body", threshold=1.5)
    with pytest.raises(ConfigError, match="max_copies"):
        dedup([src], str(tmp_path / "o.parquet"), text_field="body", max_copies=0)
    with pytest.raises(InputError, match="strings"):
        dedup([write_parquet(tmp_path / "n.parquet", pa.table({"text": [1, 2]}))], str(tmp_path / "o.parquet"))
