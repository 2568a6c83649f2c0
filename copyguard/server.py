"""``copyguard serve``: the check over HTTP, for apps that do not embed Python.

POST /check  {"text": "...", "lang": null, "redact": false} -> verdict JSON
             (with "redacted": "..." when "redact" is true)
GET  /health -> {"status": "ok", "sources": N, "passages": N}
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .errors import CopyguardError
from .guard import Guard
from .verdict import redact

MAX_BODY = 8 * 1024 * 1024


def make_server(guard: Guard, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """An HTTP server answering checks with ``guard``; call ``serve_forever()`` on it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:  # quiet: one line per request is too much
            pass

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/health":
                return self._send(404, {"error": f"no such endpoint {self.path}; try POST /check"})
            stats = guard.index.stats()
            self._send(200, {"status": "ok", "sources": stats.get("live_sources"), "passages": stats.get("passages")})

        def do_POST(self) -> None:
            if self.path != "/check":
                return self._send(404, {"error": f"no such endpoint {self.path}; try POST /check"})
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._send(413, {"error": f"body of {length} bytes is over {MAX_BODY}"})
            try:
                req = json.loads(self.rfile.read(length) or b"null")
                text = req["text"]
                if not isinstance(text, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"error": 'expected a JSON object {"text": "..."}'})
            try:
                verdict = guard.check(text, req.get("lang"))
            except CopyguardError as err:
                return self._send(400, {"error": str(err)})
            body = verdict.to_dict()
            if req.get("redact"):
                body["redacted"] = redact(text, verdict)
            self._send(200, body)

    return ThreadingHTTPServer((host, port), Handler)
