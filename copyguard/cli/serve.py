"""``copyguard serve``: answer checks over HTTP (see copyguard/server.py for the endpoints)."""

from __future__ import annotations

import argparse

from .options import add_index, add_policy, command, load_policy


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", "serve checks over HTTP (POST /check)", [
        "copyguard serve --index corpus.cgidx",
        "copyguard serve --index corpus.cgidx --port 9000 --policy policy.toml",
    ])
    add_index(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    add_policy(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..guard import Guard
    from ..server import make_server

    guard = Guard.open(args.index, load_policy(args))
    server = make_server(guard, args.host, args.port)
    print(f"copyguard: serving {args.index} on http://{args.host}:{server.server_address[1]}/check", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
