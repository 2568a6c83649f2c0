"""What every integration test shares: a guard over the sample index giving each answer its action."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard import Guard, Policy


@pytest.fixture(scope="session")
def index_dir(sample_index) -> Path:
    return sample_index


@pytest.fixture(scope="session")
def guard(index_dir, policy_file) -> Guard:
    g = Guard.open(index_dir, Policy.from_toml(policy_file))
    # the premise of every integration test: each answer gets the action it is named after
    assert [g.check(t).action for t in (BLOCKED, REDACTED, ANNOTATED, CLEAN)] == [
        "block", "redact", "annotate", "allow"]
    return g
