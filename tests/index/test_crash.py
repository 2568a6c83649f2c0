"""Kill a writer with SIGKILL at every file-system step and at random moments: the index is before or after, never between."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from crash_child import SMALL_NEW, base_index, run_op
from synth import passage_keys

from copyguard.index import Index

CHILD = str(Path(__file__).with_name("crash_child.py"))
IDS = ["a", "b", "c", "d", "e", "x", "y", "big0", "big98"]


def queries(bands: int) -> np.ndarray:
    """Planted keys of passages 0 and 2 of every source, under both salts used by the tests."""
    return np.concatenate([passage_keys(s, 3, bands, salt)[[0, 2]] for s in IDS for salt in (0, 1)])


def state(root: Path) -> tuple:
    """Everything a reader can observe, reduced to comparable values."""
    index = Index.open(root)
    rows, gids = index.lookup(queries(index.params.bands))
    info = index.passage_info(gids)
    toks = index.passage_tokens(gids)
    names = [index.source(int(s)).source_id for s in info.source]
    hits = sorted(zip(rows.tolist(), names, info.tok[:, 0].tolist(), info.tok[:, 1].tolist(),
                      [hashlib.sha1(toks.tokens.hashes[toks.offsets[i]:toks.offsets[i + 1]].tobytes()).hexdigest()
                       for i in range(len(gids))]))
    live = index.find_sources(IDS)
    texts = {sid: hashlib.sha1(index.source_text(ref).encode()).hexdigest() for sid, ref in live.items()}
    s = index.stats()
    return (s["generation"], s["live_sources"], s["live_passages"], s["segments"], tuple(hits), tuple(sorted(texts.items())))


def assert_clean_after_next_write(root: Path, seen: tuple) -> None:
    """The next writer sweeps a killed writer's leftovers and changes nothing a reader sees."""
    Index.open(root).remove(["no-such-source"], strict=False)
    assert state(root) == seen
    manifest = json.loads((root / "manifest.json").read_text())
    assert {p.name for p in (root / "segments").iterdir()} == {s["name"] for s in manifest["segments"]}
    assert {p.name for p in (root / "tombstones").iterdir()} == {s["tombstone"] for s in manifest["segments"]} - {None}
    assert not list((root / "tmp").iterdir())


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "base"
    base_index(root)
    return root


def expected(base: Path, op: str, where: Path, data=None) -> tuple[tuple, tuple]:
    shutil.copytree(base, where)
    run_op(op, where, data)
    return state(base), state(where)


@pytest.mark.parametrize("op", ["add", "remove", "compact"])
def test_kill_at_every_step(base, tmp_path, op):
    before, after = expected(base, op, tmp_path / "after")
    assert before != after
    # verify each killed writer's directory while the child forks the next one
    child = subprocess.Popen([sys.executable, CHILD, "points", op, str(base), str(tmp_path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        n_calls = int(child.stdout.readline())
        assert n_calls > 5
        outcomes, signals = [], []
        for line in child.stdout:
            r = json.loads(line)
            signals.append(r["signal"])
            root = tmp_path / str(r["n"])
            got = state(root)
            assert got in (before, after), f"kill before file-system call {r['n']} of {n_calls} left a third state"
            outcomes.append(got == after)
            assert_clean_after_next_write(root, got)
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert signals == [9] * n_calls + [0]
    assert outcomes[0] is False and outcomes[-1] is True
    assert outcomes == sorted(outcomes), "once the manifest switched, a kill must not undo it"


class Writers:
    """A fork server of writers adding a large segment (tens of MB, fsync'd) to copies of the base index."""

    def __init__(self, base: Path, work: Path):
        self.work = work
        self.proc = subprocess.Popen([sys.executable, CHILD, "serve", "add", str(base), str(work)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "READY"

    def start(self, name: str) -> int:
        """Fork a writer on WORK/name; return its pid once its segment's temp directory exists (writing began)."""
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline().split()[1])
        tmp = self.work / name / "tmp"
        deadline = time.perf_counter() + 10
        while not any(tmp.iterdir()) and time.perf_counter() < deadline:
            time.sleep(0.0002)
        return pid

    def wait(self) -> int:
        """The signal that ended the last writer (0: it finished)."""
        return int(self.proc.stdout.readline().split()[1])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def test_kill_at_random_moments(base, tmp_path):
    """SIGKILL from outside at random moments while a large segment is being written."""
    writers = Writers(base, tmp_path)
    try:
        writers.start("after")
        t0 = time.perf_counter()
        assert writers.wait() == 0
        window = time.perf_counter() - t0
        before, after = state(base), state(tmp_path / "after")
        rng = random.Random()
        for i in range(8):
            delay = rng.uniform(0, 1.2 * window)
            pid = writers.start(str(i))
            time.sleep(delay)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it finished first: the "after" case
            writers.wait()
            got = state(tmp_path / str(i))
            assert got in (before, after), f"SIGKILL {delay * 1000:.1f} ms into the write left a third state"
            assert_clean_after_next_write(tmp_path / str(i), got)
    finally:
        writers.close()


def test_small_new_ids_are_queried():
    assert set(SMALL_NEW) <= set(IDS)
