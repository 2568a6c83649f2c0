"""Several workers share the load: the parent hands each new connection to the worker with the fewest open.

With a shared listening socket, one worker could accept a whole burst of
keep-alive connections and hold them for good (seen 8/0 with 8 clients on
2 workers). These tests count, through /metrics, which worker holds each
connection and answered each check; no timing is involved.
"""

from __future__ import annotations

import http.client
import json
import re
import time


def per_worker(metrics: str, name: str, route: str | None = None) -> dict[str, float]:
    """One metric's value by worker pid (only the series of ``route`` when given)."""
    out: dict[str, float] = {}
    for line in metrics.splitlines():
        if not line.startswith(name + "{") or (route is not None and f'route="{route}"' not in line):
            continue
        out[re.search(r'worker="(\d+)"', line).group(1)] = float(line.rsplit(" ", 1)[1])
    return out


def get(conn: http.client.HTTPConnection, path: str) -> str:
    conn.request("GET", path)
    return conn.getresponse().read().decode()


def check(conn: http.client.HTTPConnection, text: str) -> dict:
    conn.request("POST", "/v1/check", body=json.dumps({"text": text}), headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    assert reply.status == 200
    return json.loads(reply.read())


def test_eight_keep_alive_connections_are_spread_four_and_four(serve, sample_index, texts):
    srv = serve(sample_index, "--workers", "2")
    first = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    deadline = time.monotonic() + 30
    while sum(per_worker(get(first, "/metrics"), "copyguard_worker_open_connections").values()) != 1:
        assert time.monotonic() < deadline, "the start-up probes' connections never closed"
        time.sleep(0.05)  # only this connection is open now: the probes' connections have closed
    conns = [first] + [http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30) for _ in range(7)]
    for conn in conns:  # each opens its connection on its first request, and keeps it
        assert check(conn, texts["clean"])["action"] == "allow"
    metrics = get(first, "/metrics")
    open_now = per_worker(metrics, "copyguard_worker_open_connections")
    checks = per_worker(metrics, "copyguard_worker_requests_total", "/v1/check")
    assert sorted(open_now.values()) == [4.0, 4.0], open_now
    assert sorted(checks.values()) == [4.0, 4.0], checks
    # every later request stays on its connection's worker: 8 more checks, 4 more on each
    for conn in conns:
        check(conn, texts["clean"])
    again = per_worker(get(first, "/metrics"), "copyguard_worker_requests_total", "/v1/check")
    assert sorted(again.values()) == [8.0, 8.0], again
    for conn in conns:
        conn.close()


def test_a_worker_that_dies_is_replaced_and_new_connections_reach_it(serve, sample_index, texts):
    import os
    import signal

    srv = serve(sample_index, "--workers", "2")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    before = set(per_worker(get(conn, "/metrics"), "copyguard_worker_connections_total"))
    conn.close()
    victim = int(sorted(before)[0])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while f"worker {victim} died" not in srv.errors():  # connections handed to it as it died are lost with it
        assert time.monotonic() < deadline
        time.sleep(0.02)
    a, b = (http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60) for _ in range(2))
    for conn in (a, b):  # two connections open at once: one to each live worker, the new one as soon as it is up
        assert check(conn, texts["clean"])["action"] == "allow"
    open_now = per_worker(get(a, "/metrics"), "copyguard_worker_open_connections")
    live = {w for w, n in open_now.items() if n > 0}
    assert len(live) == 2 and str(victim) not in live and len(live - before) == 1, (before, victim, open_now)
    a.close()
    b.close()
