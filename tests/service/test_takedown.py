"""Takedowns reach a running server at once: another process writes the index while clients keep checking."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "copyguard" / "samples" / "corpus"
TOMLI = "corpus/tomli/_parser.py"
LAG = 1.0  # seconds: the bound from the commit of a write to the first answer that reflects it


def index_cmd(*args: str) -> float:
    """Run `copyguard index ...` in its own process; returns the time its manifest was committed."""
    subprocess.run([sys.executable, "-m", "copyguard", "index", *args], check=True, capture_output=True, timeout=120)
    index = args[args.index("--index") + 1]
    return os.stat(os.path.join(index, "manifest.json")).st_mtime


class Checkers:
    """Threads checking the sample answer in a loop: (start, end, status, tomli named?) per request."""

    def __init__(self, server, text: str, threads: int = 4) -> None:
        self.server, self.text, self.log = server, text, []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            started = time.time()
            status, body = self.server.post("/v1/check", {"text": self.text}, timeout=30)
            named = status == 200 and any(m["source"] == TOMLI for m in body["matches"])
            self.log.append((started, time.time(), status, named))

    def after(self, t: float) -> list[tuple[float, float, int, bool]]:
        return [entry for entry in self.log if entry[0] >= t]

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def settle(checkers: Checkers, seconds: float) -> None:
    until = time.time() + seconds
    while time.time() < until:
        time.sleep(0.05)


def test_remove_add_and_compact_from_another_process_are_seen_within_a_second(serve, index_copy, texts):
    srv = serve(index_copy, "--workers", "2")
    checkers = Checkers(srv, texts["answer"])
    try:
        deadline = time.time() + 60  # both workers warm up (grammars load on the first check)
        while len(checkers.log) < 20 and time.time() < deadline:
            time.sleep(0.05)
        assert checkers.log and all(named for _, _, _, named in checkers.log), srv.errors()[-5000:]

        removed = index_cmd("remove", TOMLI, "--index", str(index_copy))
        settle(checkers, LAG + 0.5)
        late = checkers.after(removed + LAG)
        assert len(late) >= 5 and not any(named for _, _, _, named in late)  # gone from every worker
        assert srv.request("GET", "/readyz")[1]["live_sources"] == 17

        added = index_cmd("add", str(SAMPLES / "tomli"), "--prefix", "corpus/tomli", "--index", str(index_copy))
        settle(checkers, LAG + 0.5)
        late = checkers.after(added + LAG)
        assert len(late) >= 5 and all(named for _, _, _, named in late)  # back on every worker

        compacted = index_cmd("compact", "--index", str(index_copy))
        settle(checkers, LAG + 0.5)
        late = checkers.after(compacted + LAG)
        assert len(late) >= 5 and all(named for _, _, _, named in late)
    finally:
        checkers.finish()
    statuses = {status for _, _, status, _ in checkers.log}
    assert statuses == {200}, srv.errors()[-5000:]  # no torn reads: never an error while the index changed under the checks
    # answers that ended before the add was committed cannot have seen it
    lag = first_consistent([e for e in checkers.log if e[1] < added], removed, named=False)
    print(f"takedown seen {lag * 1000:.0f} ms after the commit, {len(checkers.log)} checks during the test")
    assert lag <= LAG


def first_consistent(log: list, since: float, named: bool) -> float:
    """Seconds from ``since`` to the start of the first request after which every answer agrees with ``named``."""
    last_bad = max((e[0] for e in log if e[0] >= since and e[3] != named), default=since)
    return last_bad - since
