"""The ASGI layer around every request: the body-size limit, metrics, and one access-log line.

A pure ASGI middleware (no per-request task or body copy): a declared
Content-Length over the limit is answered 413 before a byte of the body
is read; a chunked body is counted as it arrives and refused the moment
it passes the limit, so memory stays bounded whatever the client sends.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics

log = logging.getLogger("copyguard.access")


class RequestLayer:
    """Limits the body, times the request, counts it and logs it (``scope["state"]["action"]`` is the verdict)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics, log_json: bool, access_log: bool):
        self.app = app
        self.max_body = max_body_bytes
        self.metrics = metrics
        self.log_json = log_json
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen = {"status": 500, "in": 0, "out": 0}
        declared = _content_length(scope)

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen["in"] += len(message.get("body", b""))
                if seen["in"] > self.max_body:
                    raise HTTPException(413, self._too_large(seen["in"], "so far"))
            return message

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        try:
            if declared is not None and declared > self.max_body:
                await _send_error(counted_send, 413, self._too_large(declared, "declared"))
            else:
                await self.app(scope, counted_receive, counted_send)
        finally:
            self._record(scope, seen, time.perf_counter() - started)

    def _too_large(self, size: int, how: str) -> str:
        return f"request body of {size:,} bytes ({how}) is over the {self.max_body:,}-byte limit (--max-body-bytes)"

    def _record(self, scope: Scope, seen: dict, seconds: float) -> None:
        route = scope.get("route")
        route_path = getattr(route, "path", None) or "unmatched"
        action = scope.get("state", {}).get("action")
        self.metrics.observe(route_path, scope["method"], seen["status"], seconds, action)
        if not self.access_log:
            return
        client = scope.get("client")
        entry: dict[str, Any] = {
            "client": f"{client[0]}:{client[1]}" if client else None, "method": scope["method"],
            "path": scope["path"], "route": route_path, "status": seen["status"], "ms": round(seconds * 1000, 2),
            "bytes_in": seen["in"], "bytes_out": seen["out"], "action": action,
        }
        if self.log_json:
            log.info(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **entry}))
        else:
            log.info('%s "%s %s" %d %.1fms in=%d out=%d action=%s', entry["client"], entry["method"], entry["path"],
                     entry["status"], entry["ms"], entry["bytes_in"], entry["bytes_out"], action or "-")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser has already refused a malformed length
    return None


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "field": None}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
