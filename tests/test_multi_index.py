"""One check against several indexes: the same matches as one index of everything, named by index;
``max_sources`` counts across indexes; a takedown in one is seen at once; the CLI takes ``--index`` twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from copyguard.errors import ConfigError, IndexFormatError
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index.build import build_index
from copyguard.params import Params
from copyguard.policy import Policy

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
ANSWER = (ROOT / "copyguard" / "samples" / "answer.md").read_text()
SHARD_A = [str(CORPUS / "tomli"), str(CORPUS / "jargon")]
SHARD_B = [str(CORPUS / "resolvelib"), str(CORPUS / "distro")]


def _slice(path: Path, start: float, size: int = 1600) -> str:
    text = path.read_text()
    at = int(len(text) * start)
    return f"```python\n{text[at : at + size]}\n```\n"


# copies of sources in both shards: tomli and jargon (A), resolvelib and distro (B)
QUERY = (ANSWER + "\nAlso:\n\n" + _slice(CORPUS / "resolvelib" / "resolvers" / "resolution.py", 0.4)
         + "\nAnd:\n\n" + _slice(CORPUS / "distro" / "distro.py", 0.55))


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("shards")
    build_index(SHARD_A, str(root / "a"))
    build_index(SHARD_B, str(root / "b"))
    build_index(SHARD_A + SHARD_B, str(root / "all"))
    return root / "a", root / "b", root / "all"


def _without_index(verdict) -> list[dict]:
    return [{k: v for k, v in m.to_dict().items() if k != "index"} for m in verdict.matches]


@pytest.mark.parametrize("max_sources", [1, 2, 8])
def test_shards_give_the_matches_of_one_index_and_max_sources_counts_across_them(shards, max_sources):
    a, b, everything = shards
    policy = Policy(max_sources=max_sources)
    split = Guard.open([a, b], policy).check(QUERY)
    whole = Guard.open(everything, policy).check(QUERY)
    assert _without_index(split) == _without_index(whole)
    assert split.action == whole.action
    code_sources = {m.source for m in split.matches if m.lang == "python"}
    assert len(code_sources) == 3  # max_sources bounds a round of alignment, not what is reported
    assert not split.truncated
    if max_sources == 8:
        named = {m.source.split("/")[0]: m.index for m in split.matches}
        assert named == {"tomli": str(a), "jargon": str(a), "resolvelib": str(b), "distro": str(b)}
        assert all("index" not in m for m in whole.to_dict()["matches"])  # one index: the output is unchanged


def test_a_takedown_in_one_index_is_seen_without_reopening_the_others(shards, tmp_path):
    a, b, _ = shards
    b_copy = tmp_path / "b"
    build_index(SHARD_B, str(b_copy))
    guard = Guard.open([a, b_copy])
    before = {m.source for m in guard.check(QUERY).matches}
    distro = next(s for s in before if s.startswith("distro/"))
    view_of_a = guard.indexes[0].manifest
    Index.open(b_copy).remove([distro])  # another writer, as `copyguard index remove` would
    after = {m.source for m in guard.check(QUERY).matches}
    assert after == before - {distro}
    assert guard.indexes[0].manifest is view_of_a  # A was not reopened, nor even re-read


def test_indexes_with_other_parameters_or_given_twice_are_refused(shards, tmp_path):
    a, _, _ = shards
    build_index(SHARD_B, str(tmp_path / "other"), params=Params(num_perm=96, bands=32, rows=3))
    with pytest.raises(IndexFormatError, match="num_perm=96"):
        Guard.open([a, tmp_path / "other"])
    with pytest.raises(ConfigError, match="given twice"):
        Guard.open([a, str(a)])


def test_cli_check_with_two_indexes_names_the_index_of_each_match(shards):
    a, b, _ = shards
    r = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(a), "--index", str(b), "--json"],
                       input=QUERY, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    indexes = {m["source"].split("/")[0]: m["index"] for m in json.loads(r.stdout)["matches"]}
    assert indexes == {"tomli": str(a), "jargon": str(a), "resolvelib": str(b), "distro": str(b)}
    text = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(a), "--index", str(b)],
                          input=QUERY, capture_output=True, text=True, timeout=300).stdout
    assert f"copy of resolvelib/resolvers/resolution.py in {b} (license:" in text
