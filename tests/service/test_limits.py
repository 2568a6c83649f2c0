"""Hostile and unlucky clients against a real server: size limits, slow clients, idle sockets, many connections.

The server fixture runs with ``--max-body-bytes 200000`` and ``--client-timeout 1``.
Includes the server repros of issue 10 (negative Content-Length, idle sockets, listen backlog).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes or ``wait`` passes."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def status_and_body(reply: bytes) -> tuple[int, dict]:
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body) if body else {}


def chunked(body: bytes, size: int = 65536) -> bytes:
    out = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(out) + b"0\r\n\r\n"


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_declared_oversized_body_is_refused_before_it_is_read(server):
    head = b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
    status, body = status_and_body(exchange(server.port, head))
    assert status == 413 and "200,000-byte limit" in body["error"]


def test_a_chunked_body_is_cut_at_the_limit(server):
    big = json.dumps({"text": "word " * 100_000}).encode()
    head = b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    status, body = status_and_body(exchange(server.port, head + chunked(big)).split(b"}", 1)[0] + b"}")
    assert status == 413 and "limit" in body["error"]


def test_negative_content_length_is_a_json_400_not_a_read_to_eof(server):
    head = b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"
    started = time.monotonic()
    status, body = status_and_body(exchange(server.port, head + b'{"text": "x"}'))
    assert status == 400 and "Content-Length" in body["error"] and time.monotonic() - started < 1


def test_oversized_headers_get_431(server):
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + b"X-Pad: " + b"a" * 100_000 + b"\r\n\r\n"
    assert status_and_body(exchange(server.port, head))[0] == 431


def test_a_slow_client_is_cut_off(server):
    started = time.monotonic()
    reply = exchange(server.port, b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{", wait=10)
    took = time.monotonic() - started
    status, body = status_and_body(reply)
    assert status == 408 and "1 s" in body["error"] and 0.9 < took < 5


def test_a_connection_that_never_speaks_is_closed(server):
    started = time.monotonic()
    status, _ = status_and_body(exchange(server.port, b"", wait=10))
    assert status == 408 and time.monotonic() - started < 5


def test_a_thousand_idle_sockets_do_not_make_it_unreachable(server, texts):
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(1000)]
    try:
        started = time.monotonic()
        status, body = server.post("/v1/check", {"text": texts["answer"]}, timeout=10)
        assert status == 200 and body["action"] == "block"
        assert time.monotonic() - started < 3
    finally:
        for s in idle:
            s.close()


def test_two_hundred_parallel_connections_are_all_answered(server, texts):
    payload = json.dumps({"text": texts["paragraph"]}).encode()
    request = (b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nConnection: close\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))

    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 60)
        writer.close()
        return int(reply.split()[1]) if reply else 0

    async def all_at_once() -> list[int]:
        return await asyncio.gather(*(one() for _ in range(200)), return_exceptions=True)

    results = asyncio.run(all_at_once())
    assert results == [200] * 200, {repr(r) for r in results}


def test_memory_stays_bounded_under_a_100_mb_body(server):
    before = peak_rss_kb(server.proc.pid)
    body = b'{"text": "' + b"a" * (100 * 1024 * 1024) + b'"}'
    head = b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    reply = exchange(server.port, head + chunked(body, 1 << 20), wait=10)
    assert reply.startswith(b"HTTP/1.1 413")
    head = b"POST /v1/check HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    assert exchange(server.port, head + body, wait=10).startswith(b"HTTP/1.1 413")
    assert peak_rss_kb(server.proc.pid) - before < 64 * 1024  # KB: far below the body's 100 MB
    assert server.request("GET", "/healthz")[0] == 200
