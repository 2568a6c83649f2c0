"""``copyguard demo``: index the bundled sample corpus and check a sample answer that copies from it."""

from __future__ import annotations

import argparse
import tempfile
from importlib import resources
from pathlib import Path

from .options import command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "demo", "index the bundled sample corpus and check a sample answer", [
        "copyguard demo", "copyguard demo --out sample.cgidx"])
    p.add_argument("--out", metavar="DIR", help="where to build the sample index (default: a temporary folder)")
    p.set_defaults(run=run)


def sample_path(*parts: str) -> Path:
    """Path of a file in the bundled sample corpus (``copyguard/samples``)."""
    return Path(str(resources.files("copyguard.samples").joinpath(*parts)))


def run(args: argparse.Namespace) -> int:
    from ..guard import Guard
    from ..index.build import build_index
    from ..policy import Action, Policy
    from .check import render

    with tempfile.TemporaryDirectory(prefix="copyguard-demo-") as tmp:
        out = args.out or str(Path(tmp) / "sample.cgidx")
        corpus = sample_path("corpus")
        print(f"$ copyguard index build {corpus} --out {out}")
        report = build_index([str(corpus)], out)
        print(f"indexed {report.sources} sources, {report.passages:,} passages in {report.seconds:.2f} s\n")
        answer_path = sample_path("answer.md")
        answer = answer_path.read_text(encoding="utf-8")
        print(f"$ copyguard check --index {out} {answer_path}")
        guard = Guard.open(out)
        verdict = guard.check(answer)
        print(render(answer, verdict))
        # The default policy annotates copies under permissive licenses (both here are): show what a
        # policy that redacts every copy would let through.
        strict = Guard.open(out, policy=Policy(default_action=Action.REDACT, licenses={}))
        print("\nthe same answer under a policy that redacts every copy (default_action = \"redact\", licenses = {}):\n")
        print(strict.redact(answer))
    return 0
