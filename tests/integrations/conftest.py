"""What every integration test shares: a tiny index of the bundled samples and a policy with all four actions.

The policy blocks tomli's parser, redacts a Jargon File chapter, and leaves
resolvelib at its license's default (ISC: annotate), so one index exercises
block, redact, annotate and a clean answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from copyguard import Guard, Policy
from copyguard.index.build import build_index

SAMPLES = Path(__file__).resolve().parents[2] / "copyguard" / "samples" / "corpus"
POLICY_TOML = '[sources]\n"corpus/tomli/_parser.py" = "block"\n"corpus/jargon/hacker-writing-style.txt" = "redact"\n'


def _function(path: str, name: str) -> str:
    source = (SAMPLES / path).read_text()
    start = source.rindex("\n", 0, source.index(f"def {name}(")) + 1
    ends = [e for e in (source.find(f"\n{kw}", start + 1) for kw in ("def ", "class ", "@")) if e > 0]
    return source[start : min(ends, default=len(source))].rstrip() + "\n"


# a verbatim copy the policy blocks, one it redacts, one it annotates, and an answer of its own
BLOCKED = "Here it is:\n\n```python\n" + _function("tomli/_parser.py", "parse_inline_table") + "```\n"
REDACTED = ("Sure.\n\n" + (SAMPLES / "jargon" / "hacker-writing-style.txt").read_text().split("\n\n")[1]
            + "\n\nHope this helps.")
ANNOTATED = ("Resolvelib does it like this:\n\n```python\n"
             + _function("resolvelib/resolvers/resolution.py", "_build_result") + "```\n")
CLEAN = "A short friendly answer of my own: sort the list first, then walk it once and keep a running total."


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("integrations") / "samples.cgidx"
    build_index([str(SAMPLES)], str(out))
    return out


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(POLICY_TOML)
    return path


@pytest.fixture(scope="session")
def guard(index_dir, policy_file) -> Guard:
    g = Guard.open(index_dir, Policy.from_toml(policy_file))
    # the premise of every integration test: each answer gets the action it is named after
    assert [g.check(t).action for t in (BLOCKED, REDACTED, ANNOTATED, CLEAN)] == [
        "block", "redact", "annotate", "allow"]
    return g
