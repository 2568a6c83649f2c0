"""The Spark engine on a real standalone cluster: a master and a worker started here (both ship with pyspark)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_synth import planted

from copyguard.cli import main
from copyguard.dedup import dedup


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path, ready: str, env: dict) -> subprocess.Popen:
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    proc = subprocess.Popen([str(spark_class), *args], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if ready in log.read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"spark {args[0]} did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    import pyspark

    root = tmp_path_factory.mktemp("spark-cluster")
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "SPARK_NO_DAEMONIZE": "1"}
    saved = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # the driver binds to loopback too
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    m = _start(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                "--webui-port", str(_free_port())], root / "master.log", "I have been elected leader", env)
    w = _start(["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "2",
                "--memory", "1500m", "--webui-port", str(_free_port()), "--work-dir", str(root / "work")],
               root / "worker.log", "Successfully registered with master", env)
    yield url, root / "work"
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    for p in (w, m):
        p.terminate()
        p.wait(timeout=60)
    if saved is None:
        os.environ.pop("SPARK_LOCAL_IP", None)
    else:
        os.environ["SPARK_LOCAL_IP"] = saved


@pytest.mark.spark
def test_standalone_cluster_gives_the_local_clusters_written_by_its_executors(tmp_path, master):
    url, work = master
    texts, origin = planted(400, seed=4, length=40)
    table = pa.table({"id": [f"d{i}" for i in range(400)], "text": texts})
    pq.write_table(table.slice(0, 300), tmp_path / "a.parquet", row_group_size=100)
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in table.slice(300).to_pylist()))
    inputs = [str(tmp_path / "a.parquet"), str(tmp_path / "b.jsonl")]
    local = dedup(inputs, str(tmp_path / "local.parquet"), id_field="id", mark_only=True)
    code = main(["dedup", *inputs, "--out", str(tmp_path / "spark"), "--id-field", "id", "--mark-only",
                 "--engine", "spark", "--spark-master", url])
    assert code == 0
    a = pq.read_table(tmp_path / "local.parquet").sort_by("id")
    b = pq.read_table(tmp_path / "spark").select(a.column_names).sort_by("id")
    for col in a.column_names:
        assert a.column(col).to_pylist() == b.column(col).to_pylist(), col
    assert 0 < local.clusters < 400
    assert any(work.glob("app-*/*/stderr"))  # executors ran on the worker, in their own processes
    assert (tmp_path / "spark" / "_SUCCESS").exists()
