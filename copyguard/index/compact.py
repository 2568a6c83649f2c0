"""Merging segments into one, dropping tombstoned sources and their passages.

Live sources keep their order (segment by segment, row by row), so are their
passages; token and passage offsets are renumbered. The band table is not
re-sorted from scratch: each segment's table is already ordered by
``(key, passage)``, passage ids grow from segment to segment, so one stable
sort by key of the concatenation keeps that order.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrays import arrow_ints, expand_ranges
from .bands import sort_with_order
from .df import merge_counts, rows_counts
from .segment import SHINGLES, TOKEN_FIELDS, Segment, text_schema


def merge(segments: list[Segment], dead_sources: list[np.ndarray], shingle_widths: tuple[int, int] = (6, 3)
          ) -> tuple[dict[str, np.ndarray], pa.Table, pa.Table]:
    """``(arrays, sources table, texts table)`` of one segment holding every live source of ``segments``.

    The source-count table is the sum of the segments' tables less the dead
    sources' shingles (``shingle_widths``: code and prose shingle sizes).
    """
    parts = []
    src_base = tok_base = p_base = 0
    for seg, dead in zip(segments, dead_sources):
        part = _live_part(seg, dead, src_base, tok_base, p_base, shingle_widths)
        parts.append(part)
        src_base += part["source_tok"].shape[0]
        tok_base += part["tok_hashes"].shape[0]
        p_base += part["p_source"].shape[0]
    arrays = {name: np.concatenate([p[name] for p in parts]) for name in _NAMES}
    tables, signs = [], []
    for seg, dead in zip(segments, dead_sources):
        tables.append((np.asarray(seg.df_keys), np.asarray(seg.df_counts)))
        signs.append(1)
        if dead.shape[0]:
            tables.append(rows_counts(seg.tokens, seg.source_tok, seg.source_words, dead, *shingle_widths))
            signs.append(-1)
    arrays["df_keys"], arrays["df_counts"] = merge_counts(tables, signs)
    arrays["band_keys"], order = sort_with_order(arrays["band_keys"])
    arrays["band_pids"] = arrays["band_pids"][order]
    arrays["source_tok"] = arrays["source_tok"].reshape(-1, 2)
    arrays["p_tok"] = arrays["p_tok"].reshape(-1, 2)
    sources = pa.concat_tables([p["sources"] for p in parts]).combine_chunks()
    texts = pa.concat_tables([p["texts"] for p in parts])
    return arrays, sources, texts


_NAMES = ("band_keys", "band_pids", "source_tok", "source_words", "p_source", "p_tok", "p_kind", SHINGLES) + tuple(
    f"tok_{f}" for f in TOKEN_FIELDS)


def _live_part(seg: Segment, dead: np.ndarray, src_base: int, tok_base: int, p_base: int,
               shingle_widths: tuple[int, int]) -> dict:
    """The live sources of one segment, renumbered to start at the given bases."""
    n_src = int(seg.source_tok.shape[0])
    live = np.setdiff1d(np.arange(n_src, dtype=np.int64), dead)
    src_map = np.full(n_src, -1, dtype=np.int64)
    src_map[live] = np.arange(live.shape[0]) + src_base
    old_tok = np.asarray(seg.source_tok[live], dtype=np.int64).reshape(-1, 2)
    lengths = old_tok[:, 1] - old_tok[:, 0]
    new_start = np.cumsum(lengths) - lengths + tok_base
    shift = np.zeros(n_src, dtype=np.int64)
    shift[live] = new_start - old_tok[:, 0]
    take = expand_ranges(old_tok[:, 0], lengths)

    p_source = np.asarray(seg.p_source, dtype=np.int64)
    p_live = np.flatnonzero(src_map[p_source] >= 0)
    pid_map = np.full(p_source.shape[0], -1, dtype=np.int64)
    pid_map[p_live] = np.arange(p_live.shape[0]) + p_base
    band_pids = pid_map[np.asarray(seg.pids, dtype=np.int64)]
    keep = band_pids >= 0

    rows = arrow_ints(live)
    part = {f"tok_{f}": np.asarray(seg.tokens[f][take]) for f in TOKEN_FIELDS}
    part[SHINGLES] = np.asarray(seg.token_shingles(*shingle_widths)[take])
    part.update(
        band_keys=np.asarray(seg.keys[keep]), band_pids=band_pids[keep],
        source_tok=np.stack([new_start, new_start + lengths], axis=1),
        source_words=np.asarray(seg.source_words[live], dtype=np.int64) + shift[live],
        p_source=src_map[p_source[p_live]], p_tok=np.asarray(seg.p_tok[p_live]) + shift[p_source[p_live], None],
        p_kind=np.asarray(seg.p_kind[p_live]),
        sources=seg.sources.take(rows), texts=pa.Table.from_arrays([seg.texts.take(rows)], schema=text_schema()),
    )
    return part

