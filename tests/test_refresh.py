"""Guard follows the index: writes committed by another process are seen by the next check, atomically."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from copyguard import Guard
from copyguard.index.build import build_index

SAMPLES = Path(__file__).resolve().parents[1] / "copyguard" / "samples"
ANSWER = (SAMPLES / "answer.md").read_text()
TOMLI = "corpus/tomli/_parser.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("refresh") / "idx"
    build_index([str(SAMPLES / "corpus")], str(out))
    return out


@pytest.fixture
def index(built, tmp_path) -> Path:
    shutil.copytree(built, tmp_path / "idx")
    return tmp_path / "idx"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "copyguard", *args], check=True, capture_output=True, timeout=120)


def named(guard: Guard) -> bool:
    return any(m.source == TOMLI for m in guard.check(ANSWER).matches)


def test_the_next_check_sees_a_takedown_by_another_process(index):
    guard = Guard.open(index)
    assert named(guard)
    cli("index", "remove", TOMLI, "--index", str(index))
    assert not named(guard)  # no refresh call, no sleep: the check looked at the manifest
    assert guard.refresh() is False  # already on the newest generation


def test_the_index_a_check_holds_is_never_changed_under_it(index):
    guard = Guard.open(index)
    held = guard.index  # what a check in flight reads
    cli("index", "remove", TOMLI, "--index", str(index))
    assert guard.refresh() is True and guard.index is not held
    assert not named(guard)
    assert TOMLI in held.find_sources([TOMLI])  # the held generation still has it: no torn reads


def test_a_generation_in_use_stays_readable_after_compaction_deletes_its_files(index):
    guard = Guard.open(index)
    before = guard.index
    ref = before.find_sources([TOMLI])[TOMLI]
    cli("index", "remove", TOMLI, "--index", str(index))
    cli("index", "compact", "--index", str(index))
    assert guard.refresh() is True and guard.index is not before
    assert guard.index.manifest.generation > before.manifest.generation
    # what a check in flight still holds: the old generation, its segment files gone from disk
    assert "def parse_inline_table" in before.source_text(ref)
    assert TOMLI not in guard.index.find_sources([TOMLI])
