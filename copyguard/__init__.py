"""copyguard: stop AI systems from showing verbatim or near-verbatim copies of protected text and code."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import CopyguardError

__all__ = ["CopyguardError", "__version__"]
