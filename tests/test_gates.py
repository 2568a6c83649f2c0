"""The gates that keep the code's shape: lint, import order and types are part of the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    result = _run("ruff", "check", "copyguard", "bench", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_and_benchmarks_use_public_names_only() -> None:
    """``from copyguard... import _private`` in tests/ or bench/ means the name should be public."""
    offenders = []
    for folder in ("tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(path.read_text().splitlines(), 1):
                stripped = line.strip()
                if stripped.startswith("from copyguard") and " import " in stripped:
                    names = stripped.split(" import ", 1)[1].strip("() ").split(",")
                    if any(name.strip().split(" as ")[0].startswith("_") for name in names):
                        offenders.append(f"{path.relative_to(ROOT)}:{n}: {stripped}")
                if "copyguard." in stripped and "._" in stripped.split("copyguard.", 1)[1].split(" ")[0]:
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {stripped}")
    assert not offenders, "private names used outside the package:\n" + "\n".join(offenders)
