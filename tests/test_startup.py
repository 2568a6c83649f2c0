"""A one-shot ``copyguard check`` imports only what a check needs (the modules, not the time, are asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
ANSWER = ROOT / "copyguard" / "samples" / "answer.md"
# Imported by other commands, by the service or by writers; a check that loads them pays 0.1-0.3 s per process.
NEVER = ("pyarrow.compute", "asyncio", "fastapi", "uvicorn", "tqdm", "copyguard.dedup", "copyguard.service",
         "importlib.metadata", "copyguard.index.compact", "numpy.random", "numpy.ma")

RUN = """
import contextlib, io, json, sys
from copyguard.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def loaded(mods: set[str], names) -> list[str]:
    """The modules of ``mods`` that are one of ``names`` or inside one."""
    return sorted(m for m in mods if any(m == n or m.startswith(n + ".") for n in names))


def modules_of(*args: str) -> tuple[int, set[str]]:
    r = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    code, mods = json.loads(r.stdout.strip().splitlines()[-1])
    return code, set(mods)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("startup") / "idx"
    r = subprocess.run([sys.executable, "-m", "copyguard", "index", "build", str(CORPUS), "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    return out


def test_a_check_that_finds_a_copy_loads_arrow_but_nothing_of_other_commands(index):
    code, mods = modules_of("check", "--index", str(index), str(ANSWER))
    assert code == 1  # the sample answer copies indexed sources
    assert "pyarrow" in mods  # the source records and texts of the matches are Arrow files
    assert not loaded(mods, NEVER)


def test_a_clean_check_never_loads_arrow(index, tmp_path):
    clean = tmp_path / "clean.md"
    clean.write_text("Nothing here was copied from anywhere: a short note written for this test only.\n")
    code, mods = modules_of("check", "--index", str(index), str(clean))
    assert code == 0
    assert not loaded(mods, ("pyarrow", *NEVER))
