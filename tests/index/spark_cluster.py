"""A Spark standalone master and one worker on 127.0.0.1, started from the pyspark package, for tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_env() -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}


class Cluster:
    """``with Cluster(workdir) as c: c.url``: a master and a 2-core worker; both killed on exit."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.procs: list[subprocess.Popen] = []

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")
        proc = subprocess.Popen([str(SPARK_HOME / "bin" / "spark-class"), *args], env=spark_env(), stdout=log,
                                stderr=subprocess.STDOUT, cwd=self.workdir)
        self.procs.append(proc)
        return proc

    def _wait_log(self, name: str, needle: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in (self.workdir / f"{name}.log").read_text(errors="replace"):
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not log {needle!r}: {(self.workdir / f'{name}.log').read_text()[-2000:]}")

    def __enter__(self) -> Cluster:
        port = free_port()
        self.url = f"spark://127.0.0.1:{port}"
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                    "--webui-port", str(free_port()))
        self._wait_log("master", "ALIVE")
        self.worker = self._start("worker", "org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                                  "--cores", "2", "--memory", "2g", "--webui-port", str(free_port()),
                                  "--work-dir", str(self.workdir / "work"))
        self._wait_log("master", "Registering worker")
        return self

    def executors(self) -> list[int]:
        """Process ids of the executor JVMs the worker launched."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                cmd = (stat.parent / "cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.worker.pid and b"CoarseGrainedExecutorBackend" in cmd:
                found.append(int(stat.parent.name))
        return found

    def __exit__(self, *exc) -> None:
        for pid in self.executors():
            os.kill(pid, signal.SIGKILL)
        for proc in reversed(self.procs):
            proc.kill()
            proc.wait()
