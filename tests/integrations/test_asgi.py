"""ASGI middleware: a FastAPI app serving OpenAI-compatible chat completions, wrapped the way vLLM's
``--middleware`` wraps its app (the class alone, configured from the environment), on a real uvicorn
server on loopback, driven by the OpenAI client."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import openai
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard.integrations.asgi import CopyGuardMiddleware
from copyguard.normalize import normalize

PREAMBLE = "Let me explain how the parser handles inline tables before showing the code. " * 6 + "\n\n"
ANSWERS = {"blocked": PREAMBLE + BLOCKED, "redacted": REDACTED, "annotated": PREAMBLE + ANNOTATED, "clean": CLEAN}
produced: dict[str, int] = {}  # chunks each streamed answer got to generate before its stream ended


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        model, text = body["model"], ANSWERS[body["model"]]
        base = {"id": "chatcmpl-1", "created": 0, "model": model}
        if not body.get("stream"):
            return JSONResponse({**base, "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})

        async def events():
            pieces = [text[i : i + 12] for i in range(0, len(text), 12)]
            produced[model] = 0
            for n, piece in enumerate(pieces):
                produced[model] = n + 1
                delta = {"role": "assistant", "content": piece} if n == 0 else {"content": piece}
                yield "data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": [
                    {"index": 0, "delta": delta, "finish_reason": None}]}) + "\n\n"
                await asyncio.sleep(0.002)
            yield "data: " + json.dumps({**base, "object": "chat.completion.chunk", "choices": [
                {"index": 0, "delta": {}, "finish_reason": "stop"}]}) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app.add_middleware(CopyGuardMiddleware)  # as vLLM does with --middleware: no arguments
    return app


@pytest.fixture(scope="module")
def client(index_dir, policy_file, guard):
    mp = pytest.MonkeyPatch()
    mp.setenv("COPYGUARD_INDEX", str(index_dir))
    mp.setenv("COPYGUARD_POLICY", str(policy_file))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0, timeout=60)
    server.should_exit = True
    thread.join(timeout=30)
    mp.undo()


def _ask(client, model):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}]).choices[0]


def _stream(client, model):
    text, finish = "", None
    for chunk in client.chat.completions.create(model=model, stream=True, messages=[{"role": "user", "content": "hi"}]):
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return text, finish


def test_a_blocked_copy_is_refused_with_content_filter(client):
    choice = _ask(client, "blocked")
    assert choice.finish_reason == "content_filter"
    assert "corpus/tomli/_parser.py" in choice.message.content and "def parse_inline_table" not in choice.message.content


def test_a_redacted_copy_is_rewritten_and_clean_or_annotated_answers_pass_unchanged(client):
    choice = _ask(client, "redacted")
    assert choice.finish_reason == "stop" and "[copyguard: removed a verbatim copy" in choice.message.content
    assert choice.message.content.endswith("Hope this helps.")
    assert _ask(client, "clean").message.content == CLEAN
    assert _ask(client, "annotated").message.content == ANSWERS["annotated"]


def test_a_streamed_copy_ends_the_choice_with_content_filter_within_one_window(client, guard):
    text, finish = _stream(client, "blocked")
    answer = ANSWERS["blocked"]
    assert finish == "content_filter"
    shown, _, note = text.partition("\n[copyguard: the answer stopped here")
    assert note and answer.startswith(shown) and len(shown) >= len(PREAMBLE)
    start = answer.index("def parse_inline_table")
    assert len(normalize(shown[start:], "python")) <= guard.params.window_code + guard.params.stride_code
    time.sleep(0.5)
    assert produced["blocked"] < len(answer) // 12  # the server saw the client go and stopped generating


def test_a_streamed_redaction_ends_with_its_marker(client):
    text, finish = _stream(client, "redacted")
    assert finish == "content_filter" and text.startswith("Sure.") and text.endswith("(LicenseRef-public-domain)]")


def test_annotated_and_clean_streams_pass_whole(client):
    for model in ("annotated", "clean"):
        assert _stream(client, model) == (ANSWERS[model], "stop")
