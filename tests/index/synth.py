"""Synthetic segment data for index tests: random tokens, window passages, reproducible band keys.

A passage's band keys depend only on its source id, its number within the
source and a ``salt``, so a test can rebuild the keys of any passage to plant
a query, and re-adding a source with the same salt gives the same keys.
"""

from __future__ import annotations

import hashlib

import numpy as np

from copyguard.index import SegmentData, SourceRecord
from copyguard.normalize.tokens import mix64


def passage_keys(source_id: str, n_passages: int, bands: int, salt: int = 0) -> np.ndarray:
    """(n_passages, bands) uint64 band keys of a synthetic source."""
    base = int.from_bytes(hashlib.blake2b(f"{salt}:{source_id}".encode(), digest_size=8).digest(), "little")
    cells = np.arange(n_passages * bands, dtype=np.uint64).reshape(n_passages, bands)
    return mix64(cells ^ np.uint64(base))


def make_data(ids: list[str], n_tokens: int = 40, bands: int = 42, window: int = 16, stride: int = 8,
              salt: int = 0, seed: int = 0) -> SegmentData:
    """One segment's data: each source has ``n_tokens`` words and windows of ``window`` tokens."""
    rng = np.random.default_rng(seed)
    sources, texts, source_tok, toks, p_source, p_tok, keys = [], [], [], [], [], [], []
    flat = 0
    for i, sid in enumerate(ids):
        words = [f"w{v}" for v in rng.integers(0, 1000, n_tokens)]
        text = " ".join(words)
        lens = np.array([len(w) for w in words], dtype=np.int64)
        starts = np.cumsum(lens + 1) - lens - 1
        hashes = rng.integers(0, 2**63, n_tokens, dtype=np.uint64)
        toks.append((hashes, hashes ^ np.uint64(1), (hashes % 4).astype(np.uint8), starts, starts + lens))
        pstarts = np.arange(0, max(n_tokens - window, 0) + 1, stride)
        p_source.append(np.full(pstarts.shape[0], i))
        p_tok.append(np.stack([pstarts + flat, np.minimum(pstarts + window, n_tokens) + flat], axis=1))
        keys.append(passage_keys(sid, pstarts.shape[0], bands, salt))
        sources.append(SourceRecord(sid, f"src/{sid}", "MIT", "text", len(text),
                                    hashlib.sha256(text.encode()).hexdigest()))
        texts.append(text)
        source_tok.append((flat, flat + n_tokens))
        flat += n_tokens
    cat = [np.concatenate([t[j] for t in toks]) for j in range(5)]
    return SegmentData(sources, texts, np.array(source_tok), *cat, np.concatenate(p_source),
                       np.concatenate(p_tok), np.zeros(sum(len(p) for p in p_source), np.uint8),
                       np.concatenate(keys))
