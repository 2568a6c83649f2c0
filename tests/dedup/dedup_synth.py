"""Synthetic datasets with known duplicates for the dedup tests."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

WORDS = (
    "time person year way day thing man world life hand part child eye woman place work week case point "
    "government company number group problem fact be have do say get make go know take see come think look "
    "want give use find tell ask seem feel try leave call good new first last long great little own other old "
    "right big high different small large next early young important few public bad same able river stone "
    "garden window letter music paper engine forest signal mirror harbor lantern meadow pocket ribbon saddle "
    "thunder velvet whistle anchor blossom candle dragon feather glacier hammer island jungle kettle ladder"
).split()


def sentence(rng: np.random.Generator, n: int) -> list[str]:
    return [WORDS[i] for i in rng.integers(0, len(WORDS), n)]


def mutate(words: list[str], rng: np.random.Generator, changes: int) -> list[str]:
    """``words`` with ``changes`` randomly chosen words replaced by other words."""
    out = list(words)
    for pos in rng.choice(len(out), size=changes, replace=False):
        out[pos] = WORDS[(WORDS.index(out[pos]) + 1 + int(rng.integers(0, len(WORDS) - 1))) % len(WORDS)]
    return out


def planted(n_rows: int, seed: int = 0, dup_every: int = 10, length: int = 100) -> tuple[list[str], np.ndarray]:
    """Rows of random words; every ``dup_every``-th row copies (exactly or with one word in 100 changed) an
    earlier original. Returns the texts and each row's original (itself for originals)."""
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    origin = np.arange(n_rows)
    originals: list[int] = []
    for i in range(n_rows):
        if i % dup_every == dup_every - 1 and originals:
            src = originals[int(rng.integers(0, len(originals)))]
            words = texts[src].split()
            texts.append(" ".join(mutate(words, rng, max(1, length // 100)) if i % 2 else words))
            origin[i] = src
        else:
            texts.append(" ".join(sentence(rng, length)))
            originals.append(i)
    return texts, origin


def write_parquet(path, table: pa.Table, row_group_size: int | None = None) -> str:
    pq.write_table(table, path, row_group_size=row_group_size)
    return str(path)
