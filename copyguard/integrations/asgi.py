"""ASGI middleware for OpenAI-compatible servers: chat completions checked before they leave the server.

FastAPI or Starlette::

    from copyguard.integrations.asgi import CopyGuardMiddleware
    app.add_middleware(CopyGuardMiddleware, index="/srv/corpus.cgidx")

vLLM (the middleware reads ``COPYGUARD_INDEX`` and ``COPYGUARD_POLICY``)::

    COPYGUARD_INDEX=/srv/corpus.cgidx vllm serve MODEL --middleware copyguard.integrations.asgi.CopyGuardMiddleware

A JSON response has each choice's message checked: ``block`` replaces it by a
refusal and sets ``finish_reason`` to ``"content_filter"``, ``redact`` replaces
the copies by markers. A server-sent-event stream passes on, per choice, only
what ``Guard.stream`` releases (one check window is held back); at a copy the
policy redacts or blocks, the choice ends with ``finish_reason: "content_filter"``
and, once every choice has ended, the stream ends and the server sees the
client go (so generation stops).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any

from ..guard import Guard
from ..policy import Action
from ..stream import AsyncStream
from . import open_guard, refusal, stopped

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONTENT_FILTER = "content_filter"


class CopyGuardMiddleware:
    """Checks the responses of ``POST`` requests to ``paths`` (OpenAI chat completions, JSON or SSE)."""

    def __init__(self, app: Callable[..., Awaitable[None]], guard: Guard | None = None, index: str | None = None,
                 policy: str | None = None, paths: tuple[str, ...] = ("/v1/chat/completions",),
                 check_every: int = 256) -> None:
        self.app, self.paths, self.check_every = app, paths, check_every
        self.guard = guard or open_guard(index, policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        await _Exchange(self, receive, send).run(scope)


class _Exchange:
    """One request: buffers a JSON response, or rewrites an event stream as it passes."""

    def __init__(self, mw: CopyGuardMiddleware, receive: Receive, send: Send) -> None:
        self.mw, self.receive, self.send = mw, receive, send
        self.start: Message | None = None
        self.mode = ""  # "json", "sse" or "pass"
        self.body = b""
        self.streams: dict[int, AsyncStream] = {}
        self.ended: set[int] = set()  # choices finished, by the model or here
        self.stopped: set[int] = set()  # choices ended here at a copy
        self.done = asyncio.Event()  # the response is complete: further sends are dropped

    async def run(self, scope: Scope) -> None:
        await self.mw.app(scope, self._receive, self._send)

    async def _receive(self) -> Message:
        """The client's messages, or a disconnect once the stream was ended here (so the server stops)."""
        if self.done.is_set():
            return {"type": "http.disconnect"}
        got, ended = asyncio.ensure_future(self.receive()), asyncio.ensure_future(self.done.wait())
        finished, _ = await asyncio.wait({got, ended}, return_when=asyncio.FIRST_COMPLETED)
        if got in finished:
            ended.cancel()
            return got.result()
        got.cancel()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self.done.is_set():
            return
        if message["type"] == "http.response.start":
            self.start = message
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            kind = headers.get(b"content-type", b"")
            self.mode = "sse" if kind.startswith(b"text/event-stream") else (
                "json" if kind.startswith(b"application/json") and message["status"] == 200 else "pass")
            if self.mode != "json":
                await self.send(message)
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        if self.mode == "pass":
            await self.send(message)
        elif self.mode == "json":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                await self._send_json()
        else:
            await self._pass_events(message.get("body", b""), bool(message.get("more_body")))

    async def _send_json(self) -> None:
        assert self.start is not None
        try:
            reply = json.loads(self.body)
        except ValueError:
            reply = None
        if isinstance(reply, dict):
            for choice in reply.get("choices") or []:
                await self._check_choice(choice)
            body = json.dumps(reply, ensure_ascii=False).encode()
        else:
            body = self.body
        headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
        await self.send({**self.start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await self.send({"type": "http.response.body", "body": body})

    async def _check_choice(self, choice: dict) -> None:
        message = choice.get("message") or {}
        text = message.get("content")
        if not isinstance(text, str) or not text:
            return
        verdict = await self.mw.guard.acheck(text)
        if verdict.action == Action.BLOCK:
            message["content"], choice["finish_reason"] = refusal(verdict), CONTENT_FILTER
        elif verdict.action == Action.REDACT:
            message["content"] = await self.mw.guard.aredact(text, verdict=verdict)
        if verdict.matches:
            choice["copyguard"] = verdict.to_dict()

    async def _pass_events(self, chunk: bytes, more: bool) -> None:
        self.body += chunk
        events = self.body.replace(b"\r\n", b"\n").split(b"\n\n")
        self.body = events.pop() if more else b""
        out = []
        for event in events:
            if event.strip() and not self.done.is_set():
                out.extend(await self._event(event))
        ended = self.done.is_set() or not more
        if out or ended:
            await self.send({"type": "http.response.body", "body": b"".join(out), "more_body": not ended})

    async def _event(self, raw: bytes) -> list[bytes]:
        """The event as it goes on: its choices' text replaced by what may be shown."""
        data = b"\n".join(line[5:].lstrip() for line in raw.split(b"\n") if line.startswith(b"data:"))
        if data == b"[DONE]":
            flushed = await self._flush_all()
            self.done.set()
            return [*flushed, b"data: [DONE]\n\n"]
        try:
            chunk = json.loads(data)
        except ValueError:
            return [raw + b"\n\n"]
        if not isinstance(chunk, dict) or "choices" not in chunk:
            return [raw + b"\n\n"]
        choices = []
        for choice in chunk["choices"]:
            i = choice.get("index", 0)
            if i in self.ended:
                continue
            choices.append(choice)
            await self._stream_choice(i, choice)
        if not choices and chunk["choices"]:
            return self._maybe_end()
        return [_sse({**chunk, "choices": choices}), *self._maybe_end()]

    async def _stream_choice(self, i: int, choice: dict) -> None:
        delta = choice.setdefault("delta", {})
        s = self.streams.setdefault(i, self.mw.guard.astream(self.mw.check_every))
        r = await s.feed(delta.get("content") or "")
        if not r.should_stop and choice.get("finish_reason"):
            r = await s.close()  # the model ended the choice: release what was held back
        text = r.new_text
        if r.should_stop:
            if r.verdict.action == Action.BLOCK:
                text += stopped(r.verdict)
            choice["finish_reason"] = CONTENT_FILTER
            self.stopped.add(i)
        if "content" in delta or text:
            delta["content"] = text
        if choice.get("finish_reason"):
            self.ended.add(i)

    async def _flush_all(self) -> list[bytes]:
        """Choices still open when the stream ends: what they held back."""
        out = []
        for i, s in self.streams.items():
            if i in self.ended:
                continue
            r = await s.close()
            self.ended.add(i)
            finish = CONTENT_FILTER if r.should_stop else None
            if r.should_stop and r.verdict.action == Action.BLOCK:
                r = replace(r, new_text=r.new_text + stopped(r.verdict))
            if r.new_text or finish:
                out.append(_sse({"object": "chat.completion.chunk", "choices": [
                    {"index": i, "delta": {"content": r.new_text}, "finish_reason": finish}]}))
        return out

    def _maybe_end(self) -> list[bytes]:
        """When every choice was stopped here, end the stream ourselves: the server is told the client left."""
        if self.stopped and all(i in self.ended for i in self.streams):
            self.done.set()
            return [b"data: [DONE]\n\n"]
        return []


def _sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"
