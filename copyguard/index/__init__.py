"""The index on disk: immutable memory-mapped segments under an atomically replaced manifest.

from copyguard.index import Index, SegmentData, SourceRecord
idx = Index.open("my-index")
rows, gids = idx.lookup(keys)
"""

from __future__ import annotations

from ..normalize.tokens import Tokens
from .manifest import FORMAT_VERSION
from .query import PassageInfo, SliceRows, TokenSlices
from .segment import SegmentData, SourceRecord
from .store import Index

__all__ = ["FORMAT_VERSION", "Index", "PassageInfo", "SegmentData", "SliceRows", "SourceRecord", "TokenSlices", "Tokens"]
