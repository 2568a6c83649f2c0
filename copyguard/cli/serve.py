"""``copyguard serve``: answer checks over HTTP (see copyguard/server.py for the endpoints)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve checks over HTTP (POST /check)")
    p.add_argument("--index", required=True, metavar="DIR")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--policy", metavar="TOML", help="policy file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..guard import Guard
    from ..policy import Policy
    from ..server import make_server

    guard = Guard.open(args.index, Policy.from_toml(args.policy) if args.policy else None)
    server = make_server(guard, args.host, args.port)
    print(f"copyguard: serving {args.index} on http://{args.host}:{server.server_address[1]}/check", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
