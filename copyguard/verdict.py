"""The decision: verified matches plus a policy give one ``Verdict``, and redaction applies it.

>>> from copyguard.policy import Policy
>>> v = Verdict.from_matches(Policy(), [])
>>> print(v.action, v.flagged)
allow False
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .match import Match
from .policy import Action, Policy, most_severe


@dataclass(frozen=True)
class Verdict:
    """What to do with one output, and why: every match with its source, license and spans."""

    action: Action
    matches: tuple[Match, ...]

    @classmethod
    def from_matches(cls, policy: Policy, matches: Iterable[Match]) -> Verdict:
        """Matches ordered by where they start in the output; the action is the most severe one the policy gives."""
        ordered = tuple(sorted(matches, key=lambda m: (m.output_span[0], -m.similarity)))
        return cls(most_severe([policy.action_for(m.license, m.source) for m in ordered]), ordered)

    @property
    def flagged(self) -> bool:
        return self.action != Action.ALLOW

    def to_dict(self) -> dict[str, Any]:
        return {"action": str(self.action), "matches": [m.to_dict() for m in self.matches]}


def redact(text: str, verdict: Verdict) -> str:
    """``text`` with the output span of every match replaced by a marker citing its source."""
    pieces, pos = [], 0
    for m in sorted(verdict.matches, key=lambda m: m.output_span):
        start, end = m.output_span
        if end <= pos:
            continue
        pieces.append(text[pos : max(start, pos)])
        pieces.append(f"[copyguard: removed a {m.kind} copy of {m.source} ({m.license or 'no license'})]")
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)
