"""Prose that detection calls code, but whose code tokens are one literal or comment, is compared as prose.

Short documents mixing docstring sentences with a numpy doctest (``array([...])``) were detected
as PHP, which parsed text outside ``<?php`` as one inline ``text`` token (now detection and
normalization parse a text without ``<?`` after ``<?php``, and they are prose); Debian changelog lines
(``Closes: #364726 ...``) are detected as Bash, where ``#`` starts a comment to the end of the
row. Compared as code, every such row had one or two shingles and all of them were "identical":
``python bench/dedup.py --rows 100000`` merged 397 unrelated rows into one cluster (precision 0.134).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from copyguard.dedup import DedupConfig, cluster, row_shingles, signatures_for_batch
from copyguard.normalize.detect import detect_language

DOCTEST_ROWS = [
    "Examples -------- >>> import numpy as np >>> x = np.array([1, 2, 3]) >>> np.cumsum(x) array([1, 3, 6]) "
    "The window manager keeps one frame per monitor and redraws it when the layout changes.",
    "Return the indices of the maximum values along an axis. Examples -------- >>> a = np.arange(6) >>> "
    "np.argmax(a) 5 >>> np.array([[10, 11], [12, 13]]) array([[10, 11], [12, 13]])",
    "Examples -------- >>> from scipy.special import comb >>> k = np.array([3, 4]) >>> comb(10, k) "
    "array([120., 210.]) Older releases of the installer ignored the proxy setting for mirrors.",
    "Fixed a crash when the configuration file was empty. Examples -------- >>> np.array([0.5, 1.5]).round() "
    "array([0., 2.]) The cache is cleared every night by a timer unit.",
]
CHANGELOG_ROWS = [
    "Closes: #177753 * Patch dpkg-buildpackage to call debian/rules -qn build-arch (-B[arch] handling). "
    "* src/util.c: Use print_flags for the mask. The parser now accepts tabs between fields.",
    "Closes: #290118 * Make dpkg-source -x extract into a temporary directory (-x[dir] option). "
    "* lib/tar.c: Use write_all, read_all and MAX_PATH. The manual page now lists every option.",
    "Closes: #412006 * Teach dpkg-query to call debian/rules -qn show-status (-W[format] option). "
    "* src/query.c: Use varbuf_add_str for the name. Translations were updated for German and French.",
]


def _labels(texts: list[str], config: DedupConfig) -> list[int]:
    sigs = signatures_for_batch(pa.record_batch({"text": pa.array(texts, pa.string())}), config)
    return cluster(sigs, config).tolist()


def test_the_rows_are_detected_as_code_or_prose():
    assert {detect_language(t) for t in DOCTEST_ROWS} == {None}  # PHP's parse of them is all errors
    assert {detect_language(t) for t in CHANGELOG_ROWS} == {"bash"}


def test_unrelated_rows_detected_as_code_are_not_merged_at_the_defaults():
    rows = DOCTEST_ROWS + CHANGELOG_ROWS
    assert _labels(rows, DedupConfig()) == list(range(len(rows)))


def test_their_copies_are_still_found():
    rows = DOCTEST_ROWS + CHANGELOG_ROWS
    edited = [r.replace("The", "A", 1) for r in rows]
    labels = _labels(rows + rows + edited, DedupConfig())
    n = len(rows)
    assert labels == list(range(n)) * 3


def test_such_a_row_gets_its_prose_shingles():
    cfg = DedupConfig()
    for text in CHANGELOG_ROWS:
        lang = detect_language(text)
        assert lang is not None
        assert np.array_equal(row_shingles(text, lang, cfg), row_shingles(text, None, cfg))


def test_code_with_a_long_docstring_stays_code():
    """A function that is mostly docstring is still compared as code: a renamed copy matches."""
    doc = " ".join(["Merge two sorted lists into one sorted list, keeping equal items in input order."] * 6)
    original = (f'def merge(left, right):\n    """{doc}"""\n    out = []\n    i = j = 0\n'
                "    while i < len(left) and j < len(right):\n        if left[i] <= right[j]:\n"
                "            out.append(left[i])\n            i += 1\n        else:\n"
                "            out.append(right[j])\n            j += 1\n    return out + left[i:] + right[j:]\n")
    renamed = original.replace("left", "xs").replace("right", "ys").replace("out", "acc")
    cfg = DedupConfig()
    assert not np.array_equal(row_shingles(original, "python", cfg), row_shingles(original, None, cfg))
    assert _labels([original, renamed], cfg) == [0, 0]
