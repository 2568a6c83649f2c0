"""Integrity: a damaged or edited index is a clear error, never a silent allow."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from synth import make_data

from copyguard.errors import IndexStoreError
from copyguard.index import Index
from copyguard.params import Params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("integrity") / "idx"
    index = Index.create(root, Params(), {})
    index.add(make_data(["a", "b", "c"], n_tokens=400))
    index.add(make_data(["d", "e"], seed=1))
    index.remove(["d"])
    return root


@pytest.fixture
def idx(pristine, tmp_path) -> Path:
    shutil.copytree(pristine, tmp_path / "idx")
    return tmp_path / "idx"


def segment(root: Path, n: int = 0) -> Path:
    return root / "segments" / json.loads((root / "manifest.json").read_text())["segments"][n]["name"]


def flip(path: Path, count: int = 200, seed: int = 0) -> None:
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    for pos in rng.integers(128, len(data), count):  # past the .npy header
        data[pos] ^= 0x5A
    path.write_bytes(bytes(data))


def edit_manifest(root: Path, change) -> None:
    """Edit manifest.json by hand, as an operator (or a bad script) would: the checksum is not updated."""
    data = json.loads((root / "manifest.json").read_text())
    change(data)
    (root / "manifest.json").write_text(json.dumps(data))


def verify_cli(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "copyguard", "index", "verify", "--index", str(root)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_pristine_index_verifies(idx):
    report = Index.open(idx).verify()
    assert report.ok and report.segments == 2 and report.files >= 2 * 13
    r = verify_cli(idx)
    assert r.returncode == 0 and "every checksum matches" in r.stdout


def test_flipped_bytes_in_source_tok_are_refused_on_open(idx):
    flip(segment(idx) / "source_tok.npy", count=20)
    with pytest.raises(IndexStoreError, match="source_tok.npy: checksum mismatch"):
        Index.open(idx)


def test_flipped_bytes_in_a_large_file_are_found_by_verify(idx):
    flip(segment(idx) / "tok_hashes.npy")
    report = Index.open(idx).verify()  # opening reads only the small files, by design
    assert not report.ok and "tok_hashes.npy: checksum mismatch" in report.problems[0]
    r = verify_cli(idx)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    assert "tok_hashes.npy: checksum mismatch" in r.stderr


@pytest.mark.parametrize("change", [
    lambda m: m["params"].__setitem__("seed", 2),
    lambda m: m.__setitem__("segments", []),
    lambda m: m["segments"][1].__setitem__("tombstone", None),  # would bring the removed source back
    lambda m: m["segments"][0].__setitem__("passages", 1),
], ids=["seed", "no-segments", "tombstone-dropped", "counts"])
def test_hand_edited_manifest_is_refused(idx, change):
    edit_manifest(idx, change)
    with pytest.raises(IndexStoreError, match="fails its checksum"):
        Index.open(idx)


def resign(data: dict) -> None:
    """Recompute the manifest checksum as documented (xxh3-64 of the canonical JSON), as a forger would."""
    import xxhash

    data.pop("checksum")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    data["checksum"] = "xxh3_64:" + xxhash.xxh3_64_hexdigest(canonical)


@pytest.mark.parametrize("field", ["name", "tombstone"])
@pytest.mark.parametrize("name", ["../../../etc", "/etc", "..", "a/b", ".hidden", ""])
def test_segment_and_tombstone_names_are_validated(idx, field, name):
    edit_manifest(idx, lambda m: (m["segments"][1].__setitem__(field, name), resign(m)))
    with pytest.raises(IndexStoreError, match=f"invalid (segment|tombstone) name {re.escape(repr(name))}"):
        Index.open(idx)


@pytest.mark.parametrize("damage", ["zero-length", "truncated", "missing", "tombstone"])
def test_damaged_files_are_one_clear_error(idx, damage):
    seg = segment(idx)
    if damage == "zero-length":
        (seg / "band_keys.npy").write_bytes(b"")
    elif damage == "truncated":
        data = (seg / "p_tok.npy").read_bytes()
        (seg / "p_tok.npy").write_bytes(data[: len(data) // 2])
    elif damage == "missing":
        (seg / "texts.arrow").unlink()
    else:
        [tomb] = list((idx / "tombstones").iterdir())
        flip(tomb, count=3)
    with pytest.raises(IndexStoreError, match="damaged|bytes, the manifest recorded|missing"):
        Index.open(idx)
    r = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(idx), "-"], input="hello",
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
