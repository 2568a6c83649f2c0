"""LiteLLM: a real ``litellm --config`` proxy on loopback, its models answering with ``mock_response``,
the guardrail loaded from the config by its dotted name, driven with the OpenAI client."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openai
import pytest
import yaml
from children import die_with_parent
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard.integrations.litellm import CopyGuardGuardrail

ANSWERS = {"blocked": BLOCKED, "redacted": REDACTED, "annotated": ANNOTATED, "clean": CLEAN}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def proxy(tmp_path_factory, index_dir, policy_file, guard):
    work = tmp_path_factory.mktemp("litellm")
    key = "sk-" + secrets.token_hex(16)
    config = {
        "model_list": [{"model_name": name, "litellm_params": {"model": "openai/fake", "api_key": "fake",
                                                               "mock_response": text}}
                       for name, text in ANSWERS.items()],
        "guardrails": [{"guardrail_name": "copyguard", "litellm_params": {
            "guardrail": "copyguard.integrations.litellm.CopyGuardGuardrail", "mode": "post_call",
            "default_on": True, "index": str(index_dir), "policy": str(policy_file)}}],
        "general_settings": {"master_key": key},
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    port = _free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"}
    log = open(work / "proxy.log", "w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("litellm")), "--config", "config.yaml",
                             "--host", "127.0.0.1", "--port", str(port)],
                            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # importing the proxy reads thousands of modules: slow on a loaded disk
    while True:
        try:
            with urllib.request.urlopen(url + "/health/liveliness", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("litellm proxy did not start:\n" + (work / "proxy.log").read_text()[-3000:]) from None
            time.sleep(0.5)
    yield openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=60)
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def _ask(client: openai.OpenAI, model: str) -> str:
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    return reply.choices[0].message.content


def _stream(client: openai.OpenAI, model: str) -> tuple[str, Exception | None, str | None]:
    """The streamed text, the error that ended the stream (if any), and the last finish_reason."""
    text, finish = "", None
    try:
        for chunk in client.chat.completions.create(model=model, stream=True,
                                                    messages=[{"role": "user", "content": "hi"}]):
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
    except openai.APIError as err:
        return text, err, finish
    return text, None, finish


def test_the_guardrail_loads_as_the_config_names_it(proxy, index_dir):
    g = CopyGuardGuardrail(index=str(index_dir), guardrail_name="copyguard", event_hook="post_call")
    assert g.guardrail_name == "copyguard" and g.uses_apply_guardrail_interface()


def test_a_blocked_copy_is_refused_naming_its_source(proxy):
    with pytest.raises(openai.BadRequestError) as err:
        _ask(proxy, "blocked")
    assert "corpus/tomli/_parser.py" in str(err.value) and "license MIT" in str(err.value)


def test_a_redacted_copy_is_rewritten_and_the_rest_kept(proxy):
    answer = _ask(proxy, "redacted")
    assert answer.startswith("Sure.") and answer.endswith("Hope this helps.")
    assert "[copyguard: removed a verbatim copy of corpus/jargon/hacker-writing-style.txt" in answer
    assert "overgeneralizing" not in answer


def test_clean_and_annotated_answers_pass_unchanged(proxy):
    assert _ask(proxy, "clean") == CLEAN
    assert _ask(proxy, "annotated") == ANNOTATED


def test_a_streamed_copy_stops_within_one_window_of_its_start(proxy, guard):
    text, err, _ = _stream(proxy, "blocked")
    assert err is not None and "corpus/tomli/_parser.py" in str(err)
    start = BLOCKED.index("def parse_inline_table")
    assert BLOCKED.startswith(text) and start < len(text) < len(BLOCKED)
    from copyguard.normalize import normalize

    shown = len(normalize(text[start:], "python"))
    assert shown <= guard.params.window_code + guard.params.stride_code, shown
    text, err, _ = _stream(proxy, "redacted")  # what was sent cannot be rewritten: redact stops too
    assert err is not None and len(text) < REDACTED.index("Hope this helps.")


def test_annotated_and_clean_streams_are_never_stopped(proxy):
    for model in ("annotated", "clean"):
        text, err, finish = _stream(proxy, model)
        assert err is None and finish == "stop" and text == ANSWERS[model], json.dumps([model, text[-80:]])
