"""Property tests (Hypothesis) of what a hostile answer reaches first: segments, normalize, check (issue 10).

``scripts/fuzz.py`` runs the same properties coverage-guided (atheris) for as
long as one likes; here they run a bounded number of examples in the suite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from copyguard.candidates import sketch_query
from copyguard.guard import MAX_ROUNDS, Guard, shared_positions
from copyguard.index.arrays import sorted_unique
from copyguard.index.build import build_index
from copyguard.match import fragments, tile
from copyguard.normalize import PROSE, grammars, normalize
from copyguard.normalize.markdown import blocks
from copyguard.normalize.tokens import hash_string

CORPUS = Path(__file__).resolve().parents[1] / "copyguard" / "samples" / "corpus"
PARSER = (CORPUS / "tomli" / "_parser.py").read_text()
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])

# Markdown-ish text: fences, tags, indentation, newlines, code and prose pieces, and any code point at all.
_PIECES = st.sampled_from(["```", "~~~", "````", "```python\n", "```js\n", "```text\n", "\n", "  ", "\t", "`",
                           "def f(x):\n    return x\n", "x = [1, 1, 1]", "The quick brown fox. ", "\u2028", "\x85",
                           "\ufeff", "\u200b", "é", "ﬁ", "¾", "\ud800", "İ", "/* ", " */", '"""', "# c\n", "{", "}"])
MARKDOWN = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join)
LANGS = st.sampled_from([None, "python", "javascript", "c", "java", "go", "rust", "typescript", "bash"])


@pytest.fixture(scope="module")
def guard(tmp_path_factory) -> Guard:
    out = tmp_path_factory.mktemp("props") / "idx"
    build_index([str(CORPUS)], str(out))
    return Guard.open(out)


@SETTINGS
@given(MARKDOWN)
def test_blocks_are_ordered_disjoint_and_inside_the_text(text):
    pos = 0
    for b in blocks(text):
        assert pos <= b.start < b.end <= len(text)
        assert b.kind in ("prose", "code") and (b.kind == "code" or b.lang is None)
        pos = b.end


@SETTINGS
@given(MARKDOWN, LANGS)
def test_normalize_spans_round_trip(text, lang):
    ts = normalize(text, lang)
    starts, ends = ts.starts.tolist(), ts.ends.tolist()
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
    assert starts == sorted(starts)
    if ts.is_code:  # each token's exact hash is the hash of its characters (a line break ending a statement: its end)
        ends_ = {hash_string(t) for t in grammars.get(lang).statement_end}
        spans = list(zip(starts, ends))
        # but a shorthand property ``{ x }`` is three tokens on the name's span (key, ``:``, name): the middle is ":"
        colon = [0 < i < len(spans) - 1 and spans[i - 1] == spans[i] == spans[i + 1] for i in range(len(spans))]
        assert [int(x) for x in ts.exact] == [
            int(x) if text[s:e] == "\n" and int(x) in ends_ else hash_string(":" if c else text[s:e])
            for x, (s, e), c in zip(ts.exact, spans, colon)]
    else:  # a span no other token overlaps, normalized alone, gives the same tokens ("¾" gives "3" and "4")
        for (s, e), exact in isolated_spans(starts, ends, ts.exact.tolist()).items():
            assert normalize(text[s:e], PROSE).exact.tolist() == exact


def isolated_spans(starts: list[int], ends: list[int], exact: list[int]) -> dict[tuple[int, int], list[int]]:
    """Token hashes by span, for the spans that no token of another span overlaps.

    A folded character may join its neighbours: in "0¼" ("01⁄4") the word "01" spans both characters.
    """
    by_span: dict[tuple[int, int], list[int]] = {}
    for span, x in zip(zip(starts, ends), exact):
        by_span.setdefault(span, []).append(int(x))
    spans = sorted(by_span)
    lone = {}
    for i, (s, e) in enumerate(spans):
        before = spans[i - 1][1] if i else -1
        after = spans[i + 1][0] if i + 1 < len(spans) else e
        if before <= s and after >= e:
            lone[(s, e)] = by_span[(s, e)]
    return lone


@SETTINGS
@given(st.lists(st.one_of(MARKDOWN, st.sampled_from([PARSER[15_000:16_500], PARSER[30_000:31_000]])),
                max_size=4).map("".join), st.one_of(st.none(), LANGS))
def test_check_never_raises_and_stays_within_its_bounds(guard, text, lang):
    verdict = guard.check(text, lang)
    for m in verdict.matches:
        assert 0 <= m.output_span[0] < m.output_span[1] <= len(text)
    sources = {m.source for m in verdict.matches}
    assert len(sources) <= 2 * (MAX_ROUNDS * guard.policy.max_sources + 2)  # two streams, the rounds' bound
    assert guard.check(text, lang) == verdict  # deterministic
    safe = guard.redact(text, lang, verdict)
    assert isinstance(safe, str) and not guard.check(safe, lang).removed()


@SETTINGS
@given(st.lists(st.integers(0, 6), max_size=300), st.lists(st.integers(0, 6), max_size=300))
def test_tile_keeps_longest_disjoint_fragments_greedily(a, b):
    a_sh, b_sh = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)
    frags = fragments(a_sh, b_sh)
    kept = tile(frags)
    kept_rows = {tuple(r) for r in kept.tolist()}

    def overlap(x, y, side):
        return x[side] < y[side] + y[2] and y[side] < x[side] + x[2]

    rows = kept.tolist()
    for i, x in enumerate(rows):
        for y in rows[i + 1 :]:
            assert not overlap(x, y, 0) and not overlap(x, y, 1)
    candidates = frags[np.argsort(-frags[:, 2], kind="stable")]
    for f in candidates[candidates[:, 2] >= 2][:512].tolist():
        if tuple(f) not in kept_rows:  # dropped: a kept fragment at least as long overlaps it
            assert any(k[2] >= f[2] and (overlap(f, k, 0) or overlap(f, k, 1)) for k in rows)


@SETTINGS
@given(st.lists(st.integers(0, 2**64 - 1), max_size=200) | st.lists(st.integers(0, 5), max_size=200))
def test_sorted_unique_is_np_unique(values):
    x = np.array(values, dtype=np.uint64)
    assert np.array_equal(sorted_unique(x), np.unique(x))


@SETTINGS
@given(*[st.lists(st.sampled_from(["a", "b", "c", ".", "=", "(", ")", "\n"]), min_size=10, max_size=200).map(" ".join)] * 2)
def test_shared_positions_are_the_output_shingles_the_source_holds(guard, out_text, src_text):
    query = sketch_query(normalize(out_text, "python"), guard.params)
    src = sketch_query(normalize(src_text, "python"), guard.params).shingles
    assume(query.shingles.shape[0] > 0)
    expected = np.flatnonzero(np.isin(query.shingles, src))
    assert np.array_equal(shared_positions(query, np.sort(src)), expected)
