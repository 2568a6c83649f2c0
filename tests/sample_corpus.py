"""The bundled sample corpus as tests in several folders use it (fixtures over it: tests/conftest.py).

The policy blocks tomli's parser, redacts a Jargon File chapter, and leaves
resolvelib and distro at their licenses' default (annotate), so one index
exercises block, redact, annotate and a clean answer.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "copyguard" / "samples"
CORPUS = SAMPLES / "corpus"
SAMPLE_POLICY = '[sources]\n"corpus/tomli/_parser.py" = "block"\n"corpus/jargon/hacker-writing-style.txt" = "redact"\n'


def sample_function(path: str, name: str) -> str:
    """The top-level function ``name`` of the sample corpus file ``path``, as written there."""
    source = (CORPUS / path).read_text()
    start = source.rindex("\n", 0, source.index(f"def {name}(")) + 1
    ends = [e for e in (source.find(f"\n{kw}", start + 1) for kw in ("def ", "class ", "@")) if e > 0]
    return source[start : min(ends, default=len(source))].rstrip() + "\n"


# Under SAMPLE_POLICY: a verbatim copy it blocks, one it redacts, one it annotates, and an answer of its own.
BLOCKED = "Here it is:\n\n```python\n" + sample_function("tomli/_parser.py", "parse_inline_table") + "```\n"
REDACTED = ("Sure.\n\n" + (CORPUS / "jargon" / "hacker-writing-style.txt").read_text().split("\n\n")[1]
            + "\n\nHope this helps.")
ANNOTATED = ("Resolvelib does it like this:\n\n```python\n"
             + sample_function("resolvelib/resolvers/resolution.py", "_build_result") + "```\n")
CLEAN = "A short friendly answer of my own: sort the list first, then walk it once and keep a running total."
