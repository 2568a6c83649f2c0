"""copyguard serve: a real HTTP server on loopback answering checks."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from copyguard.guard import Guard
from copyguard.index.build import build_index
from copyguard.policy import Policy
from copyguard.server import make_server

ROOT = Path(__file__).resolve().parents[1]
ANSWER = (ROOT / "copyguard" / "samples" / "answer.md").read_text()


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    out = tmp_path_factory.mktemp("srv") / "idx"
    build_index([str(ROOT / "copyguard" / "samples" / "corpus")], str(out))
    server = make_server(Guard.open(out, Policy(licenses={"MIT": "redact", "LicenseRef-public-domain": "annotate"})),
                         "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_check_over_http_returns_the_verdict_and_redaction(url):
    status, body = post(url + "/check", json.dumps({"text": ANSWER, "redact": True}).encode())
    assert status == 200
    assert body["action"] != "allow"
    assert {m["source"] for m in body["matches"]} == {"corpus/tomli/_parser.py", "corpus/jargon/hacker-writing-style.txt"}
    assert "[copyguard: removed" in body["redacted"] and "idx += 1" not in body["redacted"]


def test_clean_text_is_allowed_and_health_answers(url):
    status, body = post(url + "/check", json.dumps({"text": "A short friendly answer."}).encode())
    assert (status, body) == (200, {"action": "allow", "decided_by": None, "matches": []})
    with urllib.request.urlopen(url + "/health", timeout=10) as resp:
        health = json.loads(resp.read())
    assert health["status"] == "ok" and health["sources"] == 18


@pytest.mark.parametrize("body", [b"not json", b'{"txt": "x"}', b'{"text": 5}'])
def test_bad_requests_get_400_with_a_message(url, body):
    status, reply = post(url + "/check", body)
    assert status == 400 and "text" in reply["error"]


def test_unknown_endpoint_is_404(url):
    status, reply = post(url + "/nope", b"{}")
    assert status == 404 and "/check" in reply["error"]
