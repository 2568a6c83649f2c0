"""The index on disk: immutable memory-mapped segments under an atomically replaced manifest.

>>> from copyguard.index import Index, SegmentData, SourceRecord  # doctest: +SKIP
>>> idx = Index.open("my-index")                                   # doctest: +SKIP
>>> rows, gids = idx.lookup(keys)                                  # doctest: +SKIP
"""

from __future__ import annotations

from .manifest import FORMAT_VERSION
from ..normalize.tokens import Tokens
from .query import PassageInfo, TokenSlices
from .segment import SegmentData, SourceRecord
from .store import Index

__all__ = ["FORMAT_VERSION", "Index", "PassageInfo", "SegmentData", "SourceRecord", "TokenSlices", "Tokens"]
