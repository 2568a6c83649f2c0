"""Inputs (JSONL .gz/.zst, CSV, folders, file:// and s3:// URLs) and outputs (format from the extension, atomic)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from children import die_with_parent
from dedup_synth import planted

from copyguard.cli import main
from copyguard.dedup import dedup
from copyguard.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def table() -> pa.Table:
    texts, _ = planted(300, seed=9, length=40)
    return pa.table({"id": [f"r{i}" for i in range(300)], "text": texts})


def _jsonl(table: pa.Table) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in table.to_pylist()).encode()


def _labels(path) -> list[int]:
    return pq.read_table(path).column("cluster_id").to_pylist()


@pytest.fixture(scope="module")
def expected(table, tmp_path_factory) -> list[int]:
    root = tmp_path_factory.mktemp("ref")
    pq.write_table(table, root / "in.parquet")
    dedup([str(root / "in.parquet")], str(root / "out.parquet"), id_field="id", mark_only=True)
    labels = _labels(root / "out.parquet")
    assert len(set(labels)) < 300  # the planted copies cluster
    return labels


def test_jsonl_gz_zst_csv_and_a_folder_of_them_give_the_same_clusters(tmp_path, table, expected):
    import pyarrow as pa_

    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(_jsonl(table.slice(0, 100))))
    with pa_.CompressedOutputStream(str(tmp_path / "b.jsonl.zst"), "zstd") as f:
        f.write(_jsonl(table.slice(100, 100)))
    pcsv.write_csv(table.slice(200), tmp_path / "c.csv")
    files = [str(tmp_path / n) for n in ("a.jsonl.gz", "b.jsonl.zst", "c.csv")]
    dedup(files, str(tmp_path / "out.parquet"), id_field="id", mark_only=True)
    assert _labels(tmp_path / "out.parquet") == expected
    (tmp_path / "folder").mkdir()
    for f in files:
        os.rename(f, tmp_path / "folder" / os.path.basename(f))
    dedup([f"file://{tmp_path / 'folder'}"], str(tmp_path / "out2.parquet"), id_field="id", mark_only=True)
    assert _labels(tmp_path / "out2.parquet") == expected


def test_output_format_follows_the_extension_and_duplicate_of_is_the_kept_id(tmp_path, table):
    pq.write_table(table, tmp_path / "in.parquet")
    for name in ("out.jsonl", "out.jsonl.gz", "out.csv", "out.parquet"):
        dedup([str(tmp_path / "in.parquet")], str(tmp_path / name), id_field="id", mark_only=True)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows == [json.loads(line) for line in gzip.decompress((tmp_path / "out.jsonl.gz").read_bytes()).splitlines()]
    ref = pq.read_table(tmp_path / "out.parquet")
    assert [r["duplicate_of"] for r in rows] == ref.column("duplicate_of").to_pylist()
    assert pcsv.read_csv(tmp_path / "out.csv").column("cluster_id").to_pylist() == ref.column("cluster_id").to_pylist()
    dup = [r for r in rows if r["duplicate_of"] is not None]
    assert dup and all(rows[r["cluster_id"]]["id"] == r["duplicate_of"] for r in dup)
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary left behind


def test_bad_outputs_and_inputs_exit_2_with_one_line_before_any_work(tmp_path, table, capsys):
    pq.write_table(table, tmp_path / "in.parquet")
    (tmp_path / "bad.jsonl").write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    (tmp_path / "dir").mkdir()
    cases = [
        ([str(tmp_path / "in.parquet"), "--out", str(tmp_path / "in.parquet")], "also an input"),
        ([str(tmp_path / "in.parquet"), "--out", str(tmp_path / "dir")], "is a folder"),
        ([str(tmp_path / "in.parquet"), "--out", str(tmp_path / "out.xlsx")], "cannot tell the format"),
        ([str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "o.parquet")], "line 2 is not valid UTF-8"),
    ]
    for argv, message in cases:
        assert main(["dedup", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "o.parquet").exists()
    with pytest.raises(ConfigError):
        dedup([str(tmp_path / "in.parquet")], str(tmp_path / "out.txt"))
    with pytest.raises(InputError):
        dedup([str(tmp_path / "in.parquet")], str(tmp_path / "in.parquet"))


def test_a_killed_run_leaves_no_temporary_and_the_next_run_clears_it(tmp_path, table):
    big = pa.concat_tables([table] * 40)
    pq.write_table(big, tmp_path / "in.parquet", row_group_size=300)
    out = tmp_path / "out.parquet"
    code = f"from copyguard.dedup import dedup; dedup([{str(tmp_path / 'in.parquet')!r}], {str(out)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code])
    partial = tmp_path / ".out.parquet.partial"
    deadline = time.time() + 120
    while not partial.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    dedup([str(tmp_path / "in.parquet")], str(out))  # clears what the killed run left
    assert out.exists() and not partial.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet", "out.parquet"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(table):
    """A local S3-compatible server (moto's server mode) holding one JSONL.gz and one Parquet object."""
    import boto3

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
    os.environ.update(env)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for _ in range(200):
        try:
            client.create_bucket(Bucket="data")
            break
        except Exception:
            time.sleep(0.05)
    sink = pa.BufferOutputStream()
    pq.write_table(table.slice(150), sink)
    client.put_object(Bucket="data", Key="shards/b.parquet", Body=sink.getvalue().to_pybytes())
    client.put_object(Bucket="data", Key="shards/a.jsonl.gz", Body=gzip.compress(_jsonl(table.slice(0, 150))))
    yield endpoint
    proc.terminate()
    proc.wait()


def test_s3_folder_on_a_local_s3_server_gives_the_same_clusters(tmp_path, s3, expected):
    url = f"s3://data/shards?endpoint_override={s3}&scheme=http&region=us-east-1"
    dedup([url], str(tmp_path / "out.parquet"), id_field="id", mark_only=True)
    assert _labels(tmp_path / "out.parquet") == expected
