"""Servers the tests start as child processes end with the test run, even when pytest itself dies."""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``Popen(preexec_fn=...)``: the kernel sends the child SIGTERM when pytest's process ends.

    A test that crashes the interpreter (a segfault in a C extension) runs no
    ``finally``; without this its server keeps its port and CPU for good.
    """
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
