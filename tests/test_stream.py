"""The streaming checker's own logic, with a checker that finds a marker word: cadence, offsets, merging, close."""

from __future__ import annotations

import re

from copyguard.match import Match, MatchKind
from copyguard.params import Params
from copyguard.policy import Action, Policy
from copyguard.stream import Stream
from copyguard.verdict import Verdict

POLICY = Policy(licenses={"MIT": Action.ANNOTATE}, default_action=Action.BLOCK)


class MarkerChecker:
    """Reports every run of ``COPY`` words as a match of source ``s`` (license given by the word after it)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> Verdict:
        self.calls.append(text)
        found = [Match(source="s", license="MIT" if m.group(2) == "mit" else "GPL-3.0", kind=MatchKind.VERBATIM,
                       similarity=1.0, output_span=(m.start(), m.end()), source_span=(0, m.end() - m.start()),
                       lang="prose", tokens=len(m.group(0).split()))
                 for m in re.finditer(r"(COPY )+(mit|gpl)", text)]
        return Verdict.from_matches(POLICY, found)


def stream(check_every: int = 50) -> tuple[Stream, MarkerChecker]:
    checker = MarkerChecker()
    return Stream(checker, POLICY, Params(), check_every), checker


def test_checks_only_after_check_every_new_characters():
    s, checker = stream(50)
    for _ in range(4):
        s.feed("x" * 12)
    assert checker.calls == []
    s.feed("x" * 12)
    assert len(checker.calls) == 1 and len(checker.calls[0]) == 60


def test_match_offsets_are_into_the_whole_stream():
    s, _ = stream(40)
    prefix = "".join(f"line {i} of ordinary words\n" for i in range(200))
    s.feed(prefix)
    verdict = s.feed("more " + "COPY " * 10 + "mit\n" + "y" * 40)
    [m] = verdict.matches
    assert s.text[m.output_span[0] : m.output_span[1]] == "COPY " * 10 + "mit"
    assert verdict.action == Action.ANNOTATE


def test_a_match_seen_again_longer_replaces_the_shorter_one():
    s, _ = stream(20)
    s.feed("COPY " * 5 + "gpl ")
    first = s.verdict().matches
    assert len(first) == 1
    s.feed("tail words " * 5)
    assert len(s.verdict().matches) == 1  # the same span is not reported twice
    assert s.verdict().action == Action.BLOCK


def test_close_checks_the_rest():
    s, checker = stream(1000)
    s.feed("COPY COPY mit")
    assert s.verdict().matches == ()
    final = s.close()
    assert len(final.matches) == 1 and len(checker.calls) == 1
    again = s.close()
    assert again.verdict == final.verdict and again.safe_text == final.safe_text and again.new_text == ""
    assert len(checker.calls) == 1  # nothing new: no second check


def test_holdback_covers_one_check_window_of_the_kind_of_text():
    s, _ = stream()
    p = Params()
    s.feed("plain words " * 40)
    assert s.holdback_tokens == p.window_prose + p.stride_prose  # words of prose
    s.feed("\n\n```python\n" + "total = total + 1\n" * 40)
    assert s.holdback_tokens == p.window_code + p.stride_code  # tokens inside an open code fence
    s.feed("```\nDone, " + "more words " * 30)
    assert s.holdback_tokens == p.window_prose + p.stride_prose
