"""uvicorn's HTTP/1.1 protocol (httptools) with the limits it lacks against slow and hostile clients.

uvicorn closes idle keep-alive connections, but a connection that sends
nothing, or sends its headers or body a byte at a time, is held forever,
and header lines are collected without a bound. Here every request must
arrive whole (headers and body) within ``client_timeout`` seconds of its
first byte (or of the connection opening), else it is answered 408 and the
connection closed; headers beyond ``max_header_bytes`` are answered 431.
Parser errors (a negative or malformed Content-Length, say) answer JSON.

Each connection is also counted in the worker's metrics (the app's lifespan
state holds them under ``CONNECTIONS``), and ``Config.on_close``, when set,
hears of every connection that ends (``workers.py`` balances on it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .config import CONNECTIONS


class Config(uvicorn.Config):
    """uvicorn's settings plus the two limits of ``GuardedProtocol`` (a module-level class: workers unpickle it)."""

    def __init__(self, app: Any, *, client_timeout: float, max_header_bytes: int, **kwargs: Any) -> None:
        super().__init__(app, http=GuardedProtocol, **kwargs)
        self.client_timeout = client_timeout
        self.max_header_bytes = max_header_bytes
        self.on_close: Callable[[], None] | None = None  # set in a worker process, never pickled with a value


class GuardedProtocol(HttpToolsProtocol):
    """One HTTP connection: uvicorn's, plus an arrival deadline per request and a header-size cap."""

    def __init__(self, config: Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._client_timeout = float(getattr(config, "client_timeout", 10.0))
        self._max_header_bytes = int(getattr(config, "max_header_bytes", 64 * 1024))
        self._deadline: asyncio.TimerHandle | None = None
        self._in_headers = True
        self._header_bytes = 0  # bytes read while the headers are incomplete
        self._header_sum = 0  # bytes of the header lines parsed so far
        self._headers_too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        counter = self.app_state.get(CONNECTIONS)
        if counter is not None:
            counter.connection_opened()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        # the parent hears of it before the gauge (which the other workers' /metrics read) shows it: whoever sees
        # the connection closed there and opens a new one is placed by counts that already know it
        on_close = getattr(self.config, "on_close", None)
        if on_close is not None:
            on_close()
        counter = self.app_state.get(CONNECTIONS)
        if counter is not None:
            counter.connection_closed()

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._in_headers and self._header_bytes > self._max_header_bytes and not self.transport.is_closing():
            self._refuse(431, f"request headers over {self._max_header_bytes:,} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_sum += len(name) + len(value)  # headers that arrived whole, in one read with the rest
        if self._header_sum > self._max_header_bytes:
            self._headers_too_large = True
            raise httptools.HttpParserError("headers too large")  # uvicorn answers via send_400_response
        super().on_header(name, value)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()
        self._in_headers, self._header_bytes, self._header_sum = True, 0, 0

    def send_400_response(self, msg: str) -> None:
        if self._headers_too_large:
            self._refuse(431, f"request headers over {self._max_header_bytes:,} bytes")
        else:
            self._refuse(400, "malformed HTTP request (bad request line, header or Content-Length)")

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self._client_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()  # answered early (413, say) but still uploading: stop reading it
            return
        self._refuse(408, f"the request did not arrive within {self._client_timeout:g} s")

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with a JSON error and close, outside any ASGI request."""
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the app, if running, must not write after this
            self.cycle.message_event.set()
        body = json.dumps({"error": message, "field": None}).encode()
        head = [STATUS_LINE[status], b"content-type: application/json\r\n",
                b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
