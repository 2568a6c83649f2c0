"""Starting `copyguard serve`: auth on and off, the JSON access log, and one-line errors for bad settings."""

from __future__ import annotations

import json
import subprocess
import sys


def test_auth_on_protects_the_checks_but_not_health(serve, sample_index, texts):
    srv = serve(sample_index, "--api-key-env", "CG_TEST_KEY", "--log-json", env={"CG_TEST_KEY": "s3cret"})
    body = {"text": texts["clean"]}
    status, reply = srv.post("/v1/check", body)
    assert status == 401 and "Bearer" in reply["error"]
    assert srv.post("/v1/check", body, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert srv.post("/v1/check", body, headers={"Authorization": "Bearer s3cret"})[0] == 200
    azure = srv.post("/contentsafety/text:detectProtectedMaterial", body, headers={"Ocp-Apim-Subscription-Key": "s3cret"})
    assert azure[0] == 200
    assert srv.post("/beta/litellm_basic_guardrail_api", {"texts": ["x"]})[0] == 401
    assert srv.request("GET", "/healthz")[0] == 200 and srv.request("GET", "/readyz")[0] == 200
    log = [json.loads(line) for line in srv.stop().splitlines() if line.startswith("{")]
    checks = [e for e in log if e["route"] == "/v1/check"]
    assert [e["status"] for e in checks] == [401, 401, 200]
    assert checks[-1]["action"] == "allow" and checks[-1]["method"] == "POST" and checks[-1]["ms"] >= 0


def test_auth_off_needs_no_key(server, texts):
    assert server.post("/v1/check", {"text": texts["clean"]})[0] == 200


def run_serve(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "copyguard", "serve", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def test_bad_settings_are_one_line_and_exit_2(sample_index, tmp_path):
    cases = [
        (["--index", str(tmp_path / "missing")], "no index"),
        (["--index", str(sample_index), "--api-key-env", "CG_UNSET_VAR"], "CG_UNSET_VAR"),
        (["--index", str(sample_index), "--workers", "0"], "--workers"),
        (["--index", str(sample_index), "--queue", "-1"], "--queue"),
        (["--index", str(sample_index), "--policy", str(tmp_path / "nope.toml")], "policy file not found"),
    ]
    for args, needle in cases:
        done = run_serve(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_serve_checks_against_several_indexes(serve, tmp_path):
    """``serve --index A --index B``: one check consults both, and each match names its index."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "copyguard" / "samples"
    answer = (samples / "answer.md").read_text()
    code = tmp_path / "code.cgidx"
    prose = tmp_path / "prose.cgidx"
    for src, out in ((samples / "corpus" / "tomli", code), (samples / "corpus" / "jargon", prose)):
        done = subprocess.run([sys.executable, "-m", "copyguard", "index", "build", str(src), "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    server = serve(code, "--index", str(prose))
    status, reply = server.post("/v1/check", {"text": answer})
    assert status == 200, reply
    found = {(m["source"], m["index"]) for m in reply["matches"]}
    assert ("tomli/_parser.py", str(code)) in found and ("jargon/hacker-writing-style.txt", str(prose)) in found, found
    # readiness and metrics report every index, not the first one only
    status, ready, _ = server.request("GET", "/readyz")
    assert status == 200 and [i["path"] for i in ready["indexes"]] == [str(code), str(prose)]
    assert all(i["live_sources"] > 0 and i["live_passages"] > 0 for i in ready["indexes"])
    assert ready["live_sources"] == sum(i["live_sources"] for i in ready["indexes"])
    assert ready["live_passages"] == sum(i["live_passages"] for i in ready["indexes"])
    metrics = server.request("GET", "/metrics")[1].splitlines()
    for i in ready["indexes"]:
        assert f'copyguard_index_live_sources{{index="{i["path"]}"}} {float(i["live_sources"])}' in metrics
        assert f'copyguard_index_live_passages{{index="{i["path"]}"}} {float(i["live_passages"])}' in metrics


def test_sigterm_leaves_no_metrics_folder_behind(serve, sample_index, tmp_path):
    """SIGTERM (systemd, Kubernetes, the conftest's stop) ends serve with 0, and its metrics folder goes with it."""
    for workers in ("1", "2"):
        tmp = tmp_path / workers
        tmp.mkdir()
        srv = serve(sample_index, "--workers", workers, env={"TMPDIR": str(tmp)})
        assert [p.name[:18] for p in tmp.iterdir()] == ["copyguard-metrics-"]
        srv.stop()
        assert srv.proc.returncode == 0, srv.errors()
        assert list(tmp.iterdir()) == []
