"""Which implementation runs the hot loops: the compiled core or its numpy reference.

``copyguard._core`` (Cython, built by ``pip install .``) holds compiled twins
of the numpy functions in ``sketch``, ``index.segment`` and ``match``; each of
those functions asks ``core()`` and falls back to its own numpy body when it
gets ``None``. Set ``COPYGUARD_NO_EXT=1`` to run the reference everywhere
(benchmarks, debugging), or use ``with reference():`` in one thread of code.

>>> with reference():
...     core() is None
True
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

# What this source tree's _core.pyx provides; a module built from an older tree (an editable install
# not rebuilt after a pull) is not used: the numpy reference runs, and tests/test_core.py says to rebuild.
API = 42

try:
    from . import _core as _loaded
except ImportError:  # a source checkout that was never built: the numpy reference runs
    _loaded = None
if _loaded is not None and getattr(_loaded, "API", 0) != API:
    warnings.warn(f"copyguard's compiled core was built from another source tree (API {getattr(_loaded, 'API', 0)}, "
                  f"this tree needs {API}); the slower numpy reference runs. Rebuild it: pip install -e .",
                  RuntimeWarning, stacklevel=2)
    _loaded = None

_on = [_loaded is not None and os.environ.get("COPYGUARD_NO_EXT", "") in ("", "0")]


def core() -> ModuleType | None:
    """The compiled module, or ``None`` when it is missing or switched off."""
    return _loaded if _on[0] else None


def available() -> bool:
    """Whether the extension was built from this source tree and imports (whatever the switch says)."""
    return _loaded is not None


@contextmanager
def reference() -> Iterator[None]:
    """Run the numpy reference inside the block (process-wide; meant for tests and benchmarks)."""
    before = _on[0]
    _on[0] = False
    try:
        yield
    finally:
        _on[0] = before
