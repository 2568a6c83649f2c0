"""Rows to MinHash signatures: normalize by mode, shingle, one ``minhash_ranges`` call per batch.

A row's signature is the MinHash of its set of shingles (``Params.shingle_prose``
words or ``Params.shingle_code`` code tokens, identifiers renumbered per
shingle). A row shorter than one shingle is one shingle of all its tokens,
so short rows still match their exact copies. A row with no tokens (null,
empty, only punctuation) gets the empty signature, all ``0xFFFFFFFF``, and is
never anyone's duplicate.

A row detected (or tagged) as code whose code tokens number fewer than
``CODE_SHARE`` of its prose words, or fewer than one code shingle and than
its prose words, is compared as prose: nearly all of it is one comment or
literal (prose with ``array(`` detected as PHP is one inline
``text`` token; ``Closes: #123 ...`` detected as Bash is one comment), so its
code shingles would make unrelated rows identical.

Prose rows of a batch are normalized in one call on the rows joined by
newlines: prose folding is per code point and a newline always separates
words, so the tokens are those of each row on its own (a test checks this).
Code rows are parsed one by one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..normalize import normalize
from ..sketch import minhash_ranges, stream_shingles
from .config import Columns, DedupConfig

EMPTY = np.uint32(0xFFFFFFFF)
# Below every code item of bench/dedup_curves.py's tuning split (Python functions 0.080 at least, JavaScript
# 0.127) and above prose detected as code there and in bench/dedup.py (PHP 0.006-0.026, Bash 0.03).
CODE_SHARE = 0.05
_CHUNK = 4096  # shingles permuted at once: a (num_perm, 4096) block stays in L2 cache, 35% faster than 32768


def row_shingles(text: str | None, lang: str | None, config: DedupConfig) -> np.ndarray:
    """uint64 shingle hashes of one row; ``lang`` None means prose.

    >>> row_shingles("the cat sat on the mat", None, DedupConfig()).shape
    (4,)
    """
    if not text:
        return np.zeros(0, dtype=np.uint64)
    ts = normalize(text, lang)
    if lang is not None and _mostly_comment_or_literal(text, len(ts), config.params.shingle(True)):
        ts, lang = normalize(text, None), None
    n = len(ts)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    return stream_shingles(ts.tokens, min(config.params.shingle(lang is not None), n), code=lang is not None)


def _mostly_comment_or_literal(text: str, code_tokens: int, shingle: int) -> bool:
    """Whether a code row is to be compared as prose: its code tokens are fewer than ``CODE_SHARE`` of its
    prose words, or fewer than one code ``shingle`` and than its prose words (a short row that is one comment).

    >>> _mostly_comment_or_literal("Closes: #364726 * Let dpkg-buildpackage pass options through", 2, 6)
    True
    >>> _mostly_comment_or_literal("import numpy as np", 4, 6)
    False
    """
    if code_tokens >= shingle and code_tokens >= CODE_SHARE * len(text):  # a prose word has 1+ characters
        return False
    words = len(normalize(text, None))
    return code_tokens < CODE_SHARE * words or code_tokens < min(shingle, words)


def signatures_for_batch(batch: pa.RecordBatch, config: DedupConfig, columns: Columns | None = None) -> np.ndarray:
    """``(rows, num_perm)`` uint32 MinHash signatures of one record batch.

    >>> b = pa.record_batch({"text": ["a b c d", None]})
    >>> sigs = signatures_for_batch(b, DedupConfig())
    >>> sigs.shape, bool((sigs[1] == EMPTY).all())
    ((2, 128), True)
    """
    hashes, owner = shingles_for_batch(batch, config, columns)
    return signatures_from_shingles(hashes, owner, batch.num_rows, config)


def shingles_for_batch(batch: pa.RecordBatch, config: DedupConfig,
                       columns: Columns | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes (uint64) of every row of ``batch`` and the row (int64) each belongs to."""
    columns = columns or Columns()
    texts = _text_column(batch, columns.text).to_pylist()
    langs = row_languages(batch, config, columns.lang, texts)
    is_code = np.array([lang is not None for lang in langs], dtype=bool)
    parts, owners, k = [], [], config.params.shingle(True)
    for i in np.flatnonzero(is_code).tolist():
        text = texts[i]
        if not text:
            continue
        ts = normalize(text, langs[i])
        if _mostly_comment_or_literal(text, len(ts), k):
            is_code[i] = False
            continue
        if len(ts) == 0:
            continue
        sh = stream_shingles(ts.tokens, min(k, len(ts)), code=True)
        parts.append(sh)
        owners.append(np.full(sh.shape[0], i, dtype=np.int64))
    prose_rows = np.flatnonzero(~is_code)
    hashes, owner = _prose_shingles([texts[i] for i in prose_rows], config.params.shingle(False))
    return np.concatenate([hashes, *parts]), np.concatenate([prose_rows[owner], *owners])


def empty_rows(sigs: np.ndarray) -> np.ndarray:
    """Boolean mask of rows with the empty signature (no tokens): never duplicates."""
    return (sigs == EMPTY).all(axis=1)


def _text_column(batch: pa.RecordBatch, text_field: str) -> pa.Array:
    if text_field not in batch.schema.names:
        raise InputError(f"no column {text_field!r} in the input; columns are {batch.schema.names}")
    col = batch.column(text_field)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        raise InputError(f"column {text_field!r} must hold strings, not {col.type}")
    return col


def signatures_from_shingles(hashes: np.ndarray, owner: np.ndarray, n: int, config: DedupConfig) -> np.ndarray:
    """Signatures of ``n`` rows from shingle hashes tagged with their row."""
    order = np.argsort(owner, kind="stable")
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts)
    ranges = np.stack([ends - counts, ends], axis=1)
    p = config.params
    return minhash_ranges(hashes[order], ranges, p.num_perm, p.seed, chunk=_CHUNK)


def _prose_shingles(texts: list[str | None], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of many prose rows and the row (index into ``texts``) of each."""
    if not texts:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    cleaned = [t or "" for t in texts]
    lengths = np.fromiter((len(t) + 1 for t in cleaned), dtype=np.int64, count=len(cleaned))
    row_start = np.cumsum(lengths) - lengths
    ts = normalize("\n".join(cleaned))
    row = np.searchsorted(row_start, ts.starts, side="right") - 1
    counts = np.bincount(row, minlength=len(cleaned))
    out_h, out_row = [], []
    if ts.hashes.shape[0] >= k:
        sh = stream_shingles(ts.tokens, k, code=False)
        same = row[: sh.shape[0]] == row[k - 1 :]
        out_h.append(sh[same])
        out_row.append(row[: sh.shape[0]][same])
    first_token = np.cumsum(counts) - counts
    for c in range(1, k):  # rows shorter than a shingle: one shingle of all their tokens
        short = np.flatnonzero(counts == c)
        if short.shape[0]:
            sh = stream_shingles(ts.tokens, c, code=False)
            out_h.append(sh[first_token[short]])
            out_row.append(short)
    if not out_h:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_h), np.concatenate(out_row).astype(np.int64)


def row_languages(
    batch: pa.RecordBatch, config: DedupConfig, lang_field: str | None, texts: list[str | None]
) -> list[str | None]:
    """The code language of each row, or None for prose, as ``config.mode`` decides.

    ``auto`` and ``code`` take the language field where it names a grammar;
    rows without one (no field, or a null value) get ``detect_language``, prose
    when nothing fits. In ``auto`` a field value naming no grammar (``text``,
    ``markdown``) means prose; in ``code`` such rows are detected too.
    """
    n = batch.num_rows
    if config.mode == "prose":
        return [None] * n
    if lang_field is None:
        return [_detect(t) for t in texts]
    if lang_field not in batch.schema.names:
        raise InputError(f"no column {lang_field!r} in the input; columns are {batch.schema.names}")
    col = batch.column(lang_field)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col.cast(pa.string()))
    names = [grammar_name(v) for v in col.dictionary.to_pylist()]
    given = [None if i is None else names[i] for i in col.indices.to_pylist()]
    tagged = [i is not None for i in col.indices.to_pylist()]
    redetect = config.mode == "code"
    return [lang if lang is not None or (has and not redetect) else _detect(t)
            for lang, has, t in zip(given, tagged, texts)]


@lru_cache(maxsize=1024)
def grammar_name(value: str | None) -> str | None:
    """The grammar name for a language field value, None when no grammar is known for it."""
    if not value:
        return None
    from ..normalize import grammars

    g = grammars.find(value)
    return None if g is None else g.name


def _detect(text: str | None) -> str | None:
    """Guess the language of an untagged code row (None: treat as prose)."""
    if not text:
        return None
    from ..normalize.detect import detect_language

    return grammar_name(detect_language(text))
