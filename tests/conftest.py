"""Fixtures shared by tests in several folders: the index of the bundled sample corpus and its policy file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_corpus import CORPUS, SAMPLE_POLICY

from copyguard.index.build import build_index


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    """An index of the bundled sample corpus, built once per test session (never written to: copy it first)."""
    out = tmp_path_factory.mktemp("samples") / "samples.cgidx"
    build_index([str(CORPUS)], str(out))
    return out


@pytest.fixture(scope="session")
def policy_file(tmp_path_factory) -> Path:
    """``SAMPLE_POLICY`` as a file."""
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(SAMPLE_POLICY)
    return path
