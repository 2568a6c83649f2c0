"""The check end to end on the bundled sample corpus: spans, kinds, boilerplate, takedowns, streaming."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index.build import add_to_index, build_index
from copyguard.policy import Policy
from copyguard.verdict import redact

CORPUS = Path(__file__).resolve().parents[1] / "copyguard" / "samples" / "corpus"
PARSER = (CORPUS / "tomli" / "_parser.py").read_text()
RESOLUTION = (CORPUS / "resolvelib" / "resolvers" / "resolution.py").read_text()
WRITING = (CORPUS / "jargon" / "hacker-writing-style.txt").read_text()


def _function(source: str, name: str) -> str:
    start = source.index(f"def {name}(")
    start = source.rindex("\n", 0, start) + 1
    ends = [e for e in (source.find(f"\n{kw}", start + 1) for kw in ("def ", "class ", "@", "if ")) if e > 0]
    return source[start : min(ends, default=len(source))].rstrip() + "\n"


@pytest.fixture(scope="module")
def index_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("idx") / "sample.cgidx"
    report = build_index([str(CORPUS)], str(out))
    assert report.sources >= 15 and report.passages > 500
    return out


@pytest.fixture(scope="module")
def guard(index_path) -> Guard:
    return Guard.open(index_path)


FILLER = (
    "Thanks for the question. Below I walk through the approach step by step and explain "
    "the trade-offs, so that you can adapt it to your own project without surprises.\n\n"
)


def test_verbatim_function_inside_a_long_answer_is_found_with_exact_spans(guard):
    func = _function(PARSER, "parse_inline_table")
    answer = FILLER * 6 + "```python\n" + func + "```\n\n" + FILLER * 6
    verdict = guard.check(answer)
    assert verdict.action == "annotate"  # tomli is MIT: annotate, not block
    [m] = [m for m in verdict.matches if m.source == "corpus/tomli/_parser.py"]
    assert m.kind == "verbatim" and m.license == "MIT" and m.similarity == 1.0
    start = answer.index("def parse_inline_table")
    assert m.output_span[0] == start
    assert m.output_span[1] == start + len(func.rstrip())
    s0, s1 = m.source_span
    assert PARSER[s0:s1] == answer[m.output_span[0] : m.output_span[1]]


def _rename(code: str, renames: dict[str, str]) -> str:
    """Rename local variables only: not attributes (``.name``) nor keyword arguments (``name=``)."""
    for old, new in renames.items():
        code = re.sub(rf"(?<![.\w]){old}(?![\w]|=[^=])", new, code)
    return code


def test_renamed_and_reformatted_function_is_renamed_with_its_rename_map(guard):
    func = _function(RESOLUTION, "_build_result")
    renamed = _rename(func, {"mapping": "table", "graph": "dag", "connected": "reachable",
                             "pkey": "parent_key", "all_keys": "index_of"})
    renamed = renamed.replace("    ", "  ")  # re-indented
    renamed = renamed.replace("# Sentinel as root dependencies' parent.", "# root")
    verdict = guard.check("Here you go:\n\n```py\n" + renamed + "```\n")
    [m] = verdict.matches
    assert m.source == "corpus/resolvelib/resolvers/resolution.py" and m.license == "ISC"
    assert m.kind == "renamed"
    assert m.renames["dag"] == "graph" and m.renames["reachable"] == "connected"


def test_copy_with_a_tenth_of_its_tokens_edited_is_near(guard):
    func = _function(RESOLUTION, "_build_result")
    edited = (func.replace("continue", "break", 1).replace("graph.add(key)", "graph.add(key, None)")
              .replace("if key not in graph:", "if key not in graph and key:")
              .replace("criteria=state.criteria,", "criteria=dict(state.criteria),"))
    verdict = guard.check("```python\n" + edited + "```")
    [m] = verdict.matches
    assert m.kind == "near" and 0.5 <= m.similarity < 1.0


def test_renamed_and_edited_copy_is_near_with_the_names_it_renamed(guard):
    func = _function(RESOLUTION, "_build_result")
    renamed = _rename(func, {"mapping": "table", "graph": "dag", "connected": "reachable"})
    edited = (renamed.replace("continue", "break", 1).replace("dag.add(key)", "dag.add(key, None)")
              .replace("criteria=state.criteria,", "criteria=dict(state.criteria),"))
    verdict = guard.check("```python\n" + edited + "```")
    [m] = verdict.matches
    assert m.kind == "near"
    assert m.renames["dag"] == "graph" and m.renames["reachable"] == "connected" and m.renames["table"] == "mapping"
    assert "key" not in m.renames  # a name kept as it was is no rename


def test_lightly_edited_paragraph_in_prose_is_found(guard):
    para = WRITING[WRITING.index("Hackers tend to use quotes"):WRITING.index("Consider, for example")]
    edited = para.replace("Hackers", "Programmers").replace("incorrect", "wrong").upper()
    verdict = guard.check(FILLER + edited + FILLER)
    [m] = verdict.matches
    assert m.source == "corpus/jargon/hacker-writing-style.txt" and m.kind == "near" and m.similarity > 0.8


UNRELATED_CODE = '''
def parse_ini_section(text, pos, out):
    """Parse one [section] header of an INI file and the key = value lines under it."""
    pos += 1
    end = text.find("]", pos)
    if end < 0:
        raise ValueError("Unclosed section header at %d" % pos)
    name = text[pos:end].strip()
    section = out.setdefault(name, {})
    pos = end + 1
    while pos < len(text):
        line_end = text.find("\\n", pos)
        if line_end < 0:
            line_end = len(text)
        line = text[pos:line_end].strip()
        if line.startswith("["):
            return pos, section
        if line and not line.startswith(";"):
            key, _, value = line.partition("=")
            section[key.strip()] = value.strip()
        pos = line_end + 1
    return pos, section
'''

UNRELATED_PROSE = (
    "Hacker speech style is a mix of techspeak and slang, with a tendency toward precise wording. "
    "Hackers tend to speak about their programs as if they were alive, with intentions and moods. "
    "A program that crashes is often said to be confused, and one that loops forever has lost its mind. "
    "This anthropomorphization is so common that outsiders sometimes take it literally, which is a mistake."
)


def test_unrelated_code_and_prose_in_the_same_style_are_allowed(guard):
    verdict = guard.check("```python\n" + UNRELATED_CODE + "```\n\n" + UNRELATED_PROSE)
    assert verdict.action == "allow" and verdict.matches == ()


BOILERPLATE = '''
from __future__ import annotations

import collections
import itertools
import operator
from typing import TYPE_CHECKING, Generic


class Point:
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z

    def get_x(self):
        return self.x

    def get_y(self):
        return self.y
'''


def test_boilerplate_is_not_flagged(guard):
    assert guard.check("```python\n" + BOILERPLATE + "```").action == "allow"


def test_redact_replaces_the_copy_with_a_marker_citing_the_source(guard):
    func = _function(PARSER, "parse_inline_table")
    answer = "Intro.\n\n```python\n" + func + "```\nOutro."
    redacting = Guard(guard.index, Policy(licenses={"MIT": "redact"}))
    redacted = redacting.redact(answer)
    assert "def parse_inline_table" not in redacted
    assert "corpus/tomli/_parser.py" in redacted and redacted.startswith("Intro.") and redacted.endswith("Outro.")
    assert redact(answer, redacting.check(answer)) == redacted


@pytest.mark.parametrize("action", ["allow", "annotate"])
def test_redact_keeps_copies_the_policy_allows_or_annotates(guard, action):
    func = _function(PARSER, "parse_inline_table")
    answer = "Intro.\n\n```python\n" + func + "```\nOutro."
    lenient = Guard(guard.index, Policy(sources={"corpus/tomli/_parser.py": action}))
    verdict = lenient.check(answer)
    assert verdict.matches and verdict.action == action
    assert lenient.redact(answer) == answer


def test_verdict_names_the_match_and_the_rule_that_decided_it(guard):
    func = _function(PARSER, "parse_inline_table")
    prose = WRITING.split("\n\n")[1]
    answer = prose + "\n\n```python\n" + func + "```\n"
    verdict = Guard(guard.index, Policy(sources={"corpus/tomli/_parser.py": "block"})).check(answer)
    sources = [m.source for m in verdict.matches]
    assert "corpus/tomli/_parser.py" in sources and "corpus/jargon/hacker-writing-style.txt" in sources
    assert verdict.action == "block"
    decided = verdict.decided_by
    assert verdict.matches[decided.match].source == "corpus/tomli/_parser.py"
    assert decided.rule == 'sources["corpus/tomli/_parser.py"]'
    prose_decision = verdict.decisions[sources.index("corpus/jargon/hacker-writing-style.txt")]
    assert prose_decision.action == "annotate" and prose_decision.rule == 'licenses["LicenseRef-public-domain"]'
    d = verdict.to_dict()
    assert d["decided_by"] == {"match": decided.match, "action": "block", "rule": 'sources["corpus/tomli/_parser.py"]'}
    assert [m["action"] for m in d["matches"]] == [str(x.action) for x in verdict.decisions]


def test_removed_source_no_longer_matches_and_add_brings_it_back(index_path, tmp_path):
    copy = tmp_path / "idx"
    shutil.copytree(index_path, copy)
    func = "```python\n" + _function(PARSER, "parse_inline_table") + "```"
    assert Guard.open(copy).check(func).flagged
    Index.open(copy).remove(["corpus/tomli/_parser.py"])
    assert not Guard.open(copy).check(func).flagged
    # the takedown takes effect without a rebuild; adding the folder again restores it
    report = add_to_index([str(CORPUS / "tomli")], str(copy), prefix="corpus/tomli")
    assert report.sources == 4
    assert sorted(report.replaced) == ["corpus/tomli/__init__.py", "corpus/tomli/_re.py", "corpus/tomli/_types.py"]
    [m] = Guard.open(copy).check(func).matches
    assert m.source == "corpus/tomli/_parser.py"


def test_stream_is_stopped_within_the_holdback(guard):
    func = _function(PARSER, "parse_inline_table")
    answer = FILLER * 3 + "```python\n" + func + "```\n" + FILLER * 3
    copy_start = answer.index("def parse_inline_table")
    stream = guard.stream(check_every=64)
    stopped_at = None
    for i in range(0, len(answer), 16):
        if stream.feed(answer[i : i + 16]).flagged:
            stopped_at = i + 16
            break
    assert stopped_at is not None
    from copyguard.normalize import normalize

    shown = normalize(answer[copy_start:stopped_at], "python")
    assert len(shown) <= stream.holdback_tokens
    assert stream.verdict().matches[0].source == "corpus/tomli/_parser.py"


def test_empty_and_tiny_outputs_are_allowed(guard):
    assert guard.check("").action == "allow"
    assert guard.check("ok").action == "allow"
    assert guard.check("```python\n```").action == "allow"


def test_index_from_another_normalizer_is_refused_with_the_rebuild_command(index_path, tmp_path):
    from dataclasses import replace

    from copyguard.errors import IndexFormatError
    from copyguard.index.manifest import read_manifest, write_manifest

    copy = tmp_path / "old"
    shutil.copytree(index_path, copy)
    manifest = read_manifest(copy)  # as an older copyguard would have written it, checksum included
    write_manifest(copy, replace(manifest, grammars={**manifest.grammars, "copyguard-normalization": "0"}))
    with pytest.raises(IndexFormatError, match="copyguard index build"):
        Guard.open(copy)
