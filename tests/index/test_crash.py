"""Kill a writer with SIGKILL at every file-system step and at random moments: the index is before or after, never between."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from crash_child import BIG_NEW, SMALL_NEW, base_index, run_op
from synth import make_data, passage_keys

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
                      [hashlib.sha1(toks.hashes[toks.offsets[i]:toks.offsets[i + 1]].tobytes()).hexdigest()
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
    run = subprocess.run([sys.executable, CHILD, "points", op, str(base), str(tmp_path)],
                         capture_output=True, text=True, check=True, timeout=60)
    first, *lines = run.stdout.splitlines()
    n_calls = int(first)
    assert n_calls > 5
    results = [json.loads(line) for line in lines]
    assert [r["signal"] for r in results] == [9] * n_calls + [0]
    outcomes = []
    for r in results:
        root = tmp_path / str(r["n"])
        got = state(root)
        assert got in (before, after), f"kill before file-system call {r['n']} of {n_calls} left a third state"
        outcomes.append(got == after)
        assert_clean_after_next_write(root, got)
    assert outcomes[0] is False and outcomes[-1] is True
    assert outcomes == sorted(outcomes), "once the manifest switched, a kill must not undo it"


def start_writer(root: Path) -> subprocess.Popen:
    """A writer child released once it has imported everything and built its data; returns when it starts writing."""
    proc = subprocess.Popen([sys.executable, CHILD, "timed", "add", str(root)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    proc.stdin.write("go\n")
    proc.stdin.flush()
    while proc.poll() is None and not any((root / "tmp").iterdir()):
        time.sleep(0.0005)  # the segment's temp directory appears: the write has begun
    return proc


def test_kill_at_random_moments(base, tmp_path):
    """SIGKILL from outside at random moments of a large segment write (tens of MB, fsync'd)."""
    before = state(base)
    shutil.copytree(base, tmp_path / "after")
    proc = start_writer(tmp_path / "after")
    t0 = time.perf_counter()
    assert proc.stdout.readline().strip() == "DONE"
    window = time.perf_counter() - t0
    proc.wait()
    after = state(tmp_path / "after")
    rng = random.Random()
    delays = [rng.uniform(0, 1.2 * window) for _ in range(6)]

    def trial(i: int) -> Path:
        root = tmp_path / f"t{i}"
        shutil.copytree(base, root)
        proc = start_writer(root)
        time.sleep(delays[i])
        proc.kill()
        proc.wait()
        return root

    with ThreadPoolExecutor(max_workers=2) as pool:
        roots = list(pool.map(trial, range(len(delays))))
    for root in roots:
        got = state(root)
        assert got in (before, after), f"kill after {delays[roots.index(root)]:.3f}s left a third state"
        assert_clean_after_next_write(root, got)


def test_small_new_ids_are_queried():
    assert set(SMALL_NEW) <= set(IDS)
