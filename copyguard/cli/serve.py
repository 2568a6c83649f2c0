"""``copyguard serve``: the check as an HTTP service (copyguard/service/: FastAPI on uvicorn).

Binds to localhost unless ``--host`` says otherwise. With ``--workers N``
this process accepts the connections and hands each to the worker process
with the fewest open (copyguard/service/workers.py); each worker opens the
index read-only (memory-mapped, so they share its pages) and follows its
manifest.
"""

from __future__ import annotations

import argparse

from .options import add_index, add_policy, command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "serve", "serve checks over HTTP (POST /v1/check, the review page at /)", [
        "copyguard serve --index corpus.cgidx",
        "copyguard serve --index corpus.cgidx --workers 2 --port 9000 --policy policy.toml",
        "copyguard serve --index books.cgidx --index code.cgidx",
        "COPYGUARD_KEY=s3cret copyguard serve --index corpus.cgidx --api-key-env COPYGUARD_KEY --log-json",
    ], "Serve checks over HTTP. Routes: POST /v1/check, /v1/check/batch, /v1/review, "
       "/beta/litellm_basic_guardrail_api, /contentsafety/text:detectProtectedMaterial[ForCode]; "
       "GET / (review page), /healthz, /readyz, /metrics, /v1/version, /docs.")
    add_index(p, many=True)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one and prints it)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes; this one hands each connection to the worker with the fewest open (default 1)")
    p.add_argument("--threads", type=int, default=2, help="check threads per worker (default 2)")
    p.add_argument("--queue", type=int, default=256,
                   help="checks that may wait for a thread, per worker; more are refused 503 at once (default 256)")
    add_policy(p)
    p.add_argument("--api-key-env", metavar="VAR",
                   help="require 'Authorization: Bearer <key>', the key read from this environment variable")
    p.add_argument("--max-body-bytes", type=int, default=1024 * 1024, help="largest request body (default 1 MiB)")
    p.add_argument("--request-timeout", type=float, default=30.0,
                   help="seconds a check may take, then 503; its thread runs on to the end (default 30)")
    p.add_argument("--client-timeout", type=float, default=10.0,
                   help="seconds a client has to send a whole request (default 10)")
    p.add_argument("--keep-alive", type=float, default=5.0, help="seconds an idle connection is kept (default 5)")
    p.add_argument("--log-json", action="store_true", help="access log as one JSON object per line")
    p.add_argument("--no-access-log", action="store_true", help="no access log")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os
    import shutil
    import signal
    import tempfile

    from ..service.config import ENV, ServiceConfig

    indexes = args.index[0] if len(args.index) == 1 else list(args.index)
    config = ServiceConfig(
        index=indexes, policy=args.policy, host=args.host, port=args.port, workers=args.workers,
        threads=args.threads, queue=args.queue, api_key_env=args.api_key_env, max_body_bytes=args.max_body_bytes,
        request_timeout=args.request_timeout, client_timeout=args.client_timeout, keep_alive=args.keep_alive,
        log_json=args.log_json, access_log=not args.no_access_log,
    )
    config.api_key()  # refuse a missing key now, with one line, rather than in every worker
    _open_once(config)
    metrics_dir = tempfile.mkdtemp(prefix="copyguard-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # workers' metrics are summed on every scrape
    os.environ[ENV] = config.to_env()
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; under the default handler that
    # would end the process here and skip the clean-up below
    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        _serve(config)
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _exit(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _open_once(config) -> None:
    """Open the index and the policy here, so a bad path or file is one line and exit 2, not N worker tracebacks."""
    from ..guard import Guard
    from ..policy import Policy

    Guard.open(config.index, Policy.from_toml(config.policy) if config.policy else Policy())


def _serve(config) -> None:
    import uvicorn

    from ..service.protocol import Config
    from ..service.workers import Supervisor

    uv = Config("copyguard.service.app:create_from_env", factory=True, host=config.host, port=config.port,
                workers=config.workers, timeout_keep_alive=max(1, round(config.keep_alive)), backlog=2048,
                access_log=False, log_config=_logging(), server_header=False, timeout_graceful_shutdown=5,
                client_timeout=config.client_timeout, max_header_bytes=config.max_header_bytes)
    sock = uv.bind_socket()
    host, port = sock.getsockname()[:2]
    print(f"copyguard: serving {config.index} on http://{host}:{port}/ ({config.workers} worker"
          f"{'s' if config.workers > 1 else ''})", flush=True)
    if config.workers > 1:
        Supervisor(uv, sock).run()
    else:
        uvicorn.Server(uv).run(sockets=[sock])


def _logging() -> dict:
    """uvicorn's own messages and copyguard's access log, both to standard error, one line each."""
    plain = {"format": "%(message)s"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": plain, "server": {"format": "copyguard: %(levelname)s %(message)s"}},
        "handlers": {"access": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
                     "server": {"class": "logging.StreamHandler", "formatter": "server", "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
                    "copyguard.service": {"handlers": ["server"], "level": "INFO", "propagate": False},
                    "copyguard.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }
