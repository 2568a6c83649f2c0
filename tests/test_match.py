"""The verification algorithm on hand-made token arrays: fragments, tiling, chaining, kinds, spans, renames."""

from __future__ import annotations

import numpy as np

from copyguard.index import SourceRecord
from copyguard.match import Limits, MatchKind, align_regions, attribute, fragments, rename_map, tile
from copyguard.normalize.tokens import Kind, Tokens
from copyguard.sketch import stream_shingles

K = 3
LOOSE = Limits(min_tokens=6, min_distinct_shingles=3, min_similarity=0.5, max_gap=4)


def toks(values: list[int], idents: dict[int, int] | None = None) -> Tokens:
    """Token i has normalized hash ``values[i]`` and characters ``[3i, 3i+2)``; ``idents`` maps position -> name."""
    n = len(values)
    hashes = np.array(values, dtype=np.uint64)
    exact = hashes.copy()
    kinds = np.full(n, Kind.OTHER, dtype=np.uint8)
    for pos, name in (idents or {}).items():
        hashes[pos] = 999  # the identifier placeholder
        exact[pos] = 10_000 + name
        kinds[pos] = Kind.IDENT
    starts = np.arange(n, dtype=np.int64) * 3
    return Tokens(hashes, exact, kinds, starts, starts + 2)


def text_of(t: Tokens, names: dict[int, str] | None = None) -> str:
    """A text whose token i reads as its name (identifiers) or ``t<hash>``, each in a 3-character cell."""
    cells = []
    for i in range(len(t)):
        word = (names or {}).get(i, f"{int(t.hashes[i]) % 100:02d}")
        cells.append(word[:2].ljust(2) + " ")
    return "".join(cells)


def align(out: Tokens, src: Tokens, limits: Limits = LOOSE):
    return align_regions(out, stream_shingles(out, K, True), src, K, True, limits)


def test_fragments_are_runs_on_one_diagonal():
    a = np.array([1, 2, 3, 4, 9, 5, 6], dtype=np.uint64)
    b = np.array([7, 1, 2, 3, 4, 5, 6], dtype=np.uint64)
    got = sorted(map(tuple, fragments(a, b).tolist()))
    assert got == [(0, 1, 4), (5, 5, 2)]


def test_fragments_ignore_values_too_common_in_the_source():
    a = np.array([5, 5], dtype=np.uint64)
    b = np.full(40, 5, dtype=np.uint64)
    assert fragments(a, b, max_occurrences=32).shape == (0, 3)
    assert fragments(a, b[:3], max_occurrences=32).shape[0] > 0


def test_tile_keeps_the_longest_of_overlapping_fragments():
    frags = np.array([[0, 10, 3], [1, 50, 6], [8, 20, 2]], dtype=np.int64)
    kept = tile(frags).tolist()
    assert kept == [[1, 50, 6], [8, 20, 2]]  # [0, 10, 3] overlaps the longer one on the output side


def test_verbatim_copy_inside_a_longer_output():
    body = list(range(100, 120))
    src = toks(body)
    out = toks([1, 2, 3] + body + [4, 5])
    [region] = align(out, src)
    assert region.kind == MatchKind.VERBATIM and region.similarity == 1.0
    assert region.out_tok == (3, 23) and region.src_tok == (0, 20)


def test_consistent_renaming_is_renamed_with_its_map():
    body = list(range(100, 116))
    src = toks(body, idents={2: 1, 7: 1, 11: 2})
    out = toks(body, idents={2: 5, 7: 5, 11: 6})
    [region] = align(out, src)
    assert region.kind == MatchKind.RENAMED
    src_names = {2: "aa", 7: "aa", 11: "bb"}
    out_names = {2: "xx", 7: "xx", 11: "yy"}
    renames = rename_map(text_of(out, out_names), out, text_of(src, src_names), src)
    assert renames == {"xx": "aa", "yy": "bb"}


def test_inconsistent_renaming_is_near():
    body = list(range(100, 116))
    src = toks(body, idents={2: 1, 7: 1})
    out = toks(body, idents={2: 5, 7: 6})  # one source name became two names
    regions = align(out, src, Limits(min_tokens=6, min_distinct_shingles=3, min_similarity=0.1, max_gap=8))
    assert regions and all(r.kind == MatchKind.NEAR for r in regions)


def test_an_edit_inside_the_copy_chains_into_one_near_region():
    body = list(range(100, 130))
    src = toks(body)
    edited = body[:15] + [7] + body[16:]
    [region] = align(toks(edited), src)
    assert region.kind == MatchKind.NEAR and region.out_tok == (0, 30)
    assert 0.8 < region.similarity < 1.0


def test_a_gap_wider_than_max_gap_splits_the_region():
    first, second = list(range(100, 112)), list(range(200, 212))
    src = toks(first + second)
    out = toks(first + list(range(300, 320)) + second)
    regions = align(out, src)
    assert [r.out_tok for r in regions] == [(0, 12), (32, 44)]
    joined = align(out, src, Limits(min_tokens=6, min_distinct_shingles=3, min_similarity=0.3, max_gap=40))
    assert [r.out_tok for r in joined] == [(0, 44)]


def test_limits_reject_short_and_repetitive_regions():
    body = list(range(100, 110))
    assert align(toks(body), toks(body), Limits(min_tokens=11, min_distinct_shingles=3)) == []
    assert align(toks(body), toks(body), Limits(min_tokens=5, min_distinct_shingles=20)) == []
    assert len(align(toks(body), toks(body), Limits(min_tokens=10, min_distinct_shingles=8))) == 1


def test_attribute_turns_token_ranges_into_character_spans():
    body = list(range(100, 120))
    src = toks([7, 8] + body)
    out = toks([1, 2, 3] + body)
    [region] = align(out, src)
    record = SourceRecord("lib/a.py", "/src/lib/a.py", "MIT", "python", 66, "0" * 64)
    m = attribute(region, text_of(out), out, "python", src, text_of(src), record)
    assert m.output_span == (9, 3 * 23 - 1) and m.source_span == (6, 3 * 22 - 1)
    assert (m.source, m.license, m.kind, m.tokens, m.renames) == ("lib/a.py", "MIT", MatchKind.VERBATIM, 20, {})
    assert m.to_dict()["kind"] == "verbatim"


def test_attribute_batch_makes_the_matches_attribute_makes():
    """Every region of a batch (verbatim, renamed) becomes the ``Match`` that ``attribute`` and the given measures
    make, a real one: equal, and every field set (the batch builds them without ``Match.__init__``)."""
    from dataclasses import fields, replace

    from copyguard.index.query import TokenSlices
    from copyguard.match import Match, Regions, attribute_batch

    body = list(range(100, 120))
    at = [{3: "x", 9: "y"}, {2: "a", 8: "b"}, {1: "x", 7: "y"}]  # the output's names where each source has them
    srcs = [toks([7, 8] + body, {3: 4, 9: 5}), toks([5] + body, {2: 1, 8: 2}), toks(body + [9, 9], {1: 4, 7: 5})]
    out = toks([1, 2, 3] + body, {4: 4, 10: 5})
    names = {4: "x", 10: "y"}
    regions = [(c, r) for c, src in enumerate(srcs) for r in align(out, src)]
    assert {r.kind for _, r in regions} == {MatchKind.VERBATIM, MatchKind.RENAMED}
    kinds = {MatchKind.VERBATIM: 0, MatchKind.RENAMED: 1, MatchKind.NEAR: 2}
    batch = Regions(np.array([c for c, _ in regions], dtype=np.int64),
                    np.array([[*r.out_tok, *r.src_tok] for _, r in regions], dtype=np.int64),
                    np.array([r.similarity for _, r in regions]), np.array([kinds[r.kind] for _, r in regions], np.uint8))
    records = [SourceRecord(f"lib/{c}.py", f"/src/lib/{c}.py", "MIT", "python", 66, "0" * 64) for c in range(3)]
    texts = [text_of(src, at[c]) for c, src in enumerate(srcs)]
    n = len(regions)
    boiler, exact = np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64) + 2
    weight, exact_weight = np.linspace(1.0, 2.0, n), np.linspace(0.5, 1.0, n)
    got = attribute_batch(batch, text_of(out, names), out, "python", TokenSlices.of(srcs), records.__getitem__,
                          texts.__getitem__, lambda c: f"idx{c}", boilerplate=boiler, exact=exact, weight=weight,
                          exact_weight=exact_weight)
    for i, ((c, r), m) in enumerate(zip(regions, got)):
        want = replace(attribute(r, text_of(out, names), out, "python", srcs[c], texts[c], records[c]),
                       index=f"idx{c}", boilerplate=int(boiler[i]), exact=int(exact[i]), weight=float(weight[i]),
                       exact_weight=float(exact_weight[i]))
        assert type(m) is Match and m == want and m.to_dict() == want.to_dict()
        assert list(m.__dict__) == [f.name for f in fields(Match)]
    assert any(m.renames for m in got)


def test_near_rename_map_leaves_out_a_name_aligned_with_two():
    """``near_rename_map`` on real tokens: a name that stands for two source names is no rename, a kept name none."""
    from copyguard.match import near_rename_map
    from copyguard.normalize import normalize

    src = "def area(w, h):\n    size = w * h\n    edge = w + h\n    log(size, edge)\n    return size + edge\n"
    out = "def area(v, v2):\n    val = v * v2\n    val2 = v + v2\n    note(val, val2)\n    return val + val2 * 2\n"
    both = "def area(v, v):\n    val = v * v\n    val2 = v + v\n    note(val, val2)\n    return val + val2 * 2\n"
    a, b, c = (normalize(t, "python") for t in (src, out, both))
    got = near_rename_map(out, b.tokens, src, a.tokens, 4)
    assert got == {"v": "w", "v2": "h", "val": "size", "val2": "edge", "note": "log"}
    assert "v" not in near_rename_map(both, c.tokens, src, a.tokens, 4)


def test_near_rename_map_of_a_source_whose_every_shingle_repeats_is_empty():
    """A region of one repeated line holds no shingle once: nothing aligns, and the map is empty (it raised IndexError
    on the empty lookup table: pip vendored, documented.py --split reporting)."""
    from copyguard.match import near_rename_map
    from copyguard.normalize import normalize

    rows = "x = 1\n" * 4
    code = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x * x\n    return total\n"
    assert near_rename_map(code, normalize(code, "python").tokens, rows, normalize(rows, "python").tokens, 4) == {}
    assert near_rename_map(rows, normalize(rows, "python").tokens, code, normalize(code, "python").tokens, 4) == {}
