"""Real `copyguard serve` processes on loopback ports, over an index of the bundled sample corpus."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from children import die_with_parent
from sample_corpus import SAMPLES

ANSWER = (SAMPLES / "answer.md").read_text()
# the answer's edited Jargon File paragraph alone (prose), and a verbatim slice of distro.py (Apache-2.0)
PARAGRAPH = ANSWER[ANSWER.index("A note on quoting"):ANSWER.index("Let me know")].strip()
DISTRO = (SAMPLES / "corpus" / "distro" / "distro.py").read_text()
DISTRO_COPY = "Here you go:\n\n```python\n" + DISTRO[DISTRO.index("def _parse_distro_release_content"):][:1500] + "\n```\n"


class Server:
    """One `copyguard serve` child process; ``stop()`` ends it and returns its standard error."""

    def __init__(self, index: Path, *args: str, env: dict | None = None) -> None:
        cmd = [sys.executable, "-m", "copyguard", "serve", "--index", str(index), "--port", "0", *args]
        self.log = tempfile.TemporaryFile("w+")  # a pipe nobody reads would fill up and stall the server
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True, preexec_fn=die_with_parent,
                                     env={**os.environ, **(env or {})})
        line = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.stop()}")
        self.port = int(found.group(1))
        deadline = time.monotonic() + 60
        while True:  # the workers open the index after the socket is bound
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("serve never became healthy: " + self.stop())
            time.sleep(0.05)

    def request(self, method: str, path: str, body: object = None, headers: dict | None = None,
                timeout: float = 30) -> tuple[int, dict | str, dict]:
        """One request on a fresh connection: status, the body (JSON decoded when it is JSON), the headers."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
            hdrs = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            kind = resp.getheader("content-type", "")
            return resp.status, json.loads(raw) if "json" in kind and raw else raw.decode(), dict(resp.getheaders())
        finally:
            conn.close()

    def post(self, path: str, body: object, **kw) -> tuple[int, dict]:
        status, reply, _ = self.request("POST", path, body, **kw)
        return status, reply

    def errors(self) -> str:
        """What the server wrote to standard error so far."""
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.errors()


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    """Known answers: the sample answer (tomli + Jargon File), its paragraph alone, a distro.py copy, clean prose."""
    return {"answer": ANSWER, "paragraph": PARAGRAPH, "distro": DISTRO_COPY,
            "clean": "A short friendly answer that copies nothing from anywhere at all."}


@pytest.fixture(scope="session")
def server(sample_index, policy_file):
    """The service as a user starts it, with a policy that blocks tomli and redacts the Jargon File chapter."""
    srv = Server(sample_index, "--policy", str(policy_file), "--client-timeout", "1", "--max-body-bytes", "200000")
    yield srv
    srv.stop()


@pytest.fixture
def serve():
    """Start more servers in a test: ``serve(index, *flags, env=...)``; all are stopped after it."""
    started: list[Server] = []

    def start(index: Path, *args: str, env: dict | None = None) -> Server:
        started.append(Server(index, *args, env=env))
        return started[-1]

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def index_copy(sample_index, tmp_path) -> Path:
    dst = tmp_path / "idx"
    shutil.copytree(sample_index, dst)
    return dst
