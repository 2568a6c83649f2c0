"""The process that test_crash.py kills: runs one index write and dies by SIGKILL part-way.

``points OP BASE WORK``: a fork server. Runs OP once on a copy of BASE with
every file-system call in ``os`` hooked and counted, prints the count C; then
for N in 1..C+1 copies BASE to WORK/N and forks; the fork runs OP and, just
before its N-th hooked call, sends itself SIGKILL. Prints one JSON line per
fork: ``{"n": N, "signal": 9 or 0}``.

``serve OP BASE WORK``: builds a large segment once, prints READY, then for
every line ``N`` on stdin copies BASE to WORK/N, forks a writer running OP
there, prints ``PID <pid>``, waits for it and prints ``EXIT <signal>``. The
test kills the writer from outside (SIGKILL) at a random moment of its write.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])]

from synth import make_data  # noqa: E402

from copyguard.index import Index  # noqa: E402
from copyguard.params import Params  # noqa: E402

HOOKED = ("fsync", "rename", "replace", "unlink", "rmdir", "mkdir")  # every step that changes the disk
SMALL_NEW = ["b", "x", "y"]  # "b" replaces a live source
BIG_NEW = ["b"] + [f"big{i}" for i in range(99)]


def base_index(root: Path) -> Index:
    """Two segments and one tombstone: the state every kill must preserve."""
    index = Index.create(root, Params(), {"python": "0.25.0"})
    index.add(make_data(["a", "b", "c"]))
    index.add(make_data(["d", "e"], seed=1))
    index.remove(["d"])
    return index


def run_op(op: str, root: Path, data=None) -> None:
    index = Index.open(root)
    if op == "add":
        index.add(data if data is not None else make_data(SMALL_NEW, salt=1, seed=5))
    elif op == "remove":
        index.remove(["a", "e"])
    elif op == "compact":
        index.compact()
    else:
        raise SystemExit(f"unknown op {op}")


kill_at = [0]


def install_hook(kill_at_call: int) -> list[int]:
    """Wrap file-system calls in ``os``; SIGKILL ourselves right before call number ``kill_at[0]`` (0: never).

    ``fsync`` is counted but not performed: it only matters for power loss,
    and skipping it keeps dozens of forks fast.
    """
    calls = [0]
    kill_at[0] = kill_at_call

    def wrap(fn):
        def hooked(*args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at[0]:
                os.kill(os.getpid(), signal.SIGKILL)
            return None if fn is real_fsync else fn(*args, **kwargs)
        return hooked

    real_fsync = os.fsync

    for name in HOOKED:
        setattr(os, name, wrap(getattr(os, name)))
    return calls


def serve(op: str, base: Path, work: Path) -> None:
    data = make_data(BIG_NEW, n_tokens=1500, salt=1, seed=7)
    print("READY", flush=True)
    for line in sys.stdin:
        root = work / line.strip()
        shutil.copytree(base, root, copy_function=os.link)
        pid = os.fork()
        if pid == 0:
            run_op(op, root, data)
            os._exit(0)
        print(f"PID {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"EXIT {os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0}", flush=True)


def main(argv: list[str]) -> None:
    mode, op = argv[0], argv[1]
    base, work = Path(argv[2]), Path(argv[3])
    if mode == "serve":
        serve(op, base, work)
        return
    shutil.copytree(base, work / "count", copy_function=os.link)
    calls = install_hook(0)  # also warms up every code path before forking
    run_op(op, work / "count")
    print(calls[0], flush=True)
    for n in range(1, calls[0] + 2):
        shutil.copytree(base, work / str(n), copy_function=os.link)  # files are immutable
        pid = os.fork()
        if pid == 0:
            calls[0] = 0
            kill_at[0] = n
            run_op(op, work / str(n))
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        print(json.dumps({"n": n, "signal": sig}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
