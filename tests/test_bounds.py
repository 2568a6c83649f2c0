"""Bounds of the check (issue 10): hits per key, candidate passages, rounds, complete verdicts and redaction.

Performance itself is measured in ``bench/bounds.py``; these tests check that
each bound exists, holds, and is reported (``Verdict.truncated``), and that
``max_sources`` bounds the work of a round, never what is reported.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import pytest

from copyguard import candidates
from copyguard import guard as guard_module
from copyguard.candidates import MAX_KEY_HITS, passage_budget, rank_candidates, sketch_query
from copyguard.errors import ConfigError, IndexStoreError
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index.build import build_index
from copyguard.normalize import normalize
from copyguard.policy import Policy

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _modules(n: int) -> list[Path]:
    return sorted(p for p in STDLIB.glob("*.py") if 4_000 < p.stat().st_size < 40_000)[:n]


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> tuple[Path, list[Path]]:
    """An index of 90 standard-library modules under a license the default policy blocks, plus a numeric table."""
    root = tmp_path_factory.mktemp("many")
    corpus = root / "lib"
    corpus.mkdir()
    files = _modules(90)
    for p in files:
        (corpus / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "table.py").write_text("TABLE = [" + ", ".join(["1"] * 5_000) + "]\n")
    build_index([str(corpus)], str(root / "idx"), license="GPL-3.0-only")
    return root / "idx", files


def _quoting(files: list[Path], n: int) -> str:
    """An answer quoting a slice of the code of each of the first ``n`` files, one fence each."""
    parts = []
    for p in files[:n]:
        text = p.read_text(encoding="utf-8")
        at = text.find("\ndef ")
        at = at if at >= 0 else len(text) // 3
        parts.append(f"From {p.name}:\n\n```python\n{text[at + 1 : at + 1500]}\n```\n\n")
    return "".join(parts)


def test_a_band_key_held_by_more_passages_than_the_cap_is_skipped(many):
    index = Index.open(many[0])
    query = sketch_query(normalize("x = [" + ", ".join(["1"] * 400) + "]\n", "python"), index.params)
    gids, hits = index.passage_hits(query.keys)
    assert gids.shape[0] > MAX_KEY_HITS  # the table's windows share their keys
    capped, _ = index.passage_hits(query.keys, MAX_KEY_HITS)
    assert capped.shape[0] < gids.shape[0]
    assert hits.max() <= index.params.bands  # at most one key per band per passage
    assert np.array_equal(index.lookup_passages(query.keys, MAX_KEY_HITS), capped)


def test_the_repetitive_answer_against_a_numeric_table_is_a_clean_allow(many):
    verdict = Guard.open(many[0]).check("```python\nx = [" + ", ".join(["1"] * 20_000) + "]\n```\n")
    assert verdict.action == "allow" and not verdict.truncated


def test_max_sources_bounds_a_round_not_what_is_reported(many):
    index, files = many
    answer = _quoting(files, 71)
    everything = Guard.open(index, Policy(max_sources=512)).check(answer)  # one round holds them all
    rounds = Guard.open(index).check(answer)  # rounds of 8
    found = {m.source for m in everything.matches}
    assert len(found) >= 60
    assert {m.source for m in rounds.matches} == found
    assert rounds.action == everything.action == "block"
    assert not rounds.truncated and "truncated" not in rounds.to_dict()


def test_redaction_is_checked_again_until_nothing_is_left(many):
    index, files = many
    guard = Guard.open(index)
    answer = _quoting(files, 71)
    verdict = guard.check(answer)
    assert verdict.action == "block" and len({m.source for m in verdict.removed()}) >= 60
    safe = guard.redact(answer, verdict=verdict)
    assert safe.count("[copyguard: removed") >= 60
    assert not guard.check(safe).removed()
    assert guard.redact(answer) == safe


def test_a_copy_pasted_twice_is_redacted_twice(many):
    index, files = many
    guard = Guard.open(index)
    one = _quoting(files[3:], 1)
    safe = guard.redact("First:\n" + one + "Again:\n" + one)
    assert safe.count("[copyguard: removed") == 2
    assert not guard.check(safe).flagged


def test_rounds_stop_at_the_bound_and_the_verdict_says_it_was_truncated(many, monkeypatch):
    index, files = many
    answer = _quoting(files, 20)
    complete = {m.source for m in Guard.open(index, Policy(max_sources=3)).check(answer).matches}
    monkeypatch.setattr(guard_module, "MAX_ROUNDS", 2)
    verdict = Guard.open(index, Policy(max_sources=3)).check(answer)
    assert verdict.truncated and verdict.to_dict()["truncated"] is True
    cut = {m.source for m in verdict.matches}
    assert cut < complete
    assert len(cut) <= 2 * (3 + 3 + 2)  # two streams: two rounds of 3, and 2 extras in the first


def test_candidate_passages_measured_are_bounded_and_a_cut_is_reported(many, monkeypatch):
    index, files = many
    answer = _quoting(files, 10)
    monkeypatch.setattr(candidates, "MIN_PASSAGE_BUDGET", 0)
    monkeypatch.setattr(candidates, "PASSAGES_PER_WINDOW", 1)
    g = Guard.open(index)
    code = "\n".join(p.read_text(encoding="utf-8") for p in files[:10])
    query = sketch_query(normalize(code, "python"), g.params)
    found, _ = Index.open(index).passage_hits(query.keys, MAX_KEY_HITS)
    assert found.shape[0] > passage_budget(query) == query.keys.shape[0]
    assert rank_candidates(Index.open(index), query, 0.3, 8).truncated
    assert g.check(answer).truncated


def test_an_index_with_no_live_passages_is_refused(tmp_path, many):
    (tmp_path / "nothing").mkdir()
    build_index([str(tmp_path / "nothing")], str(tmp_path / "empty"), allow_empty=True)
    with pytest.raises(IndexStoreError, match="no live passages"):
        Guard.open(tmp_path / "empty")
    with pytest.raises(IndexStoreError, match="no live passages"):
        Guard.open([many[0], tmp_path / "empty"])


def test_a_takedown_of_every_source_makes_checks_refuse(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "a.py").write_text(_modules(1)[0].read_text(encoding="utf-8"), encoding="utf-8")
    build_index([str(tmp_path / "one")], str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx")
    assert guard.check("hello").action == "allow"
    Index.open(tmp_path / "idx").remove(["one/a.py"])
    with pytest.raises(IndexStoreError, match="no live passages"):
        guard.check("hello")


@pytest.mark.parametrize("values", [{"max_sources": 0}, {"min_similarity": "high"}, {"max_gap": 1.5},
                                    {"max_sources": True}, {"min_candidate_containment": float("nan")}])
def test_policy_values_that_disable_detection_are_refused(values):
    with pytest.raises(ConfigError):
        Policy(**values)


def test_redaction_that_cannot_clean_the_text_withholds_all_of_it(many, monkeypatch):
    index, files = many
    guard = Guard.open(index)
    one = _quoting(files[3:], 1)
    answer = "First:\n" + one + "Again:\n" + one  # the second copy is only found by the re-check
    monkeypatch.setattr(guard_module, "REDACT_ROUNDS", 1)
    safe = guard.redact(answer)
    assert safe.startswith("[copyguard: removed the whole text") and files[3].name in safe
