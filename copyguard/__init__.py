"""copyguard: stop AI systems from showing verbatim or near-verbatim copies of protected text and code.

from copyguard import Guard
Guard.open("corpus.cgidx").check(text)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import CopyguardError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .guard import Guard
    from .match import Match
    from .policy import Policy
    from .verdict import Verdict

_LAZY = {"Guard": "guard", "Verdict": "verdict", "Match": "match", "Policy": "policy"}


def __getattr__(name: str):
    """Import the heavy modules (numpy, pyarrow, tree-sitter) only when their names are used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'copyguard' has no attribute {name!r}")


__all__ = ["CopyguardError", "Guard", "Match", "Policy", "Verdict", "__version__"]
