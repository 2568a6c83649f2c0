"""The decision: verified matches plus a policy give one ``Verdict``, and redaction applies it.

>>> from copyguard.policy import Policy
>>> v = Verdict.from_matches(Policy(), [])
>>> print(v.action, v.flagged, v.decided_by)
allow False None
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .match import Match
from .policy import Action, Policy, most_severe


@dataclass(frozen=True)
class Decision:
    """The action the policy gives one match, and the rule that gives it (``'licenses["MIT"]'``)."""

    match: int  # index into ``Verdict.matches``
    action: Action
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "action": str(self.action), "rule": self.rule}


@dataclass(frozen=True)
class Verdict:
    """What to do with one output, and why: every match with its source, license, spans and action."""

    action: Action
    matches: tuple[Match, ...]
    decisions: tuple[Decision, ...] = ()  # one per match, in the same order
    boilerplate: int = 0  # output shingles discounted as boilerplate (held by more than max_shingle_sources)
    discounted: tuple[str, ...] = ()  # sources whose regions were copies only when boilerplate counted
    truncated: bool = False  # a bound of the check (README "Reliability") left part of the answer unexamined
    base: tuple[tuple[int, int], ...] = ()  # output character spans of declared base code: never reported

    @classmethod
    def from_matches(cls, policy: Policy, matches: Iterable[Match]) -> Verdict:
        """Matches ordered by where they start in the output; the action is the most severe one the policy gives."""
        ordered = tuple(sorted(matches, key=lambda m: (m.output_span[0], -m.similarity)))
        decisions = tuple(Decision(i, *policy.rule_for(m.license, m.source)) for i, m in enumerate(ordered))
        return cls(most_severe([d.action for d in decisions]), ordered, decisions)

    @property
    def flagged(self) -> bool:
        """Something matched and the policy does not simply allow it."""
        return self.action != Action.ALLOW

    @property
    def decided_by(self) -> Decision | None:
        """The first match whose action is the verdict's, with its rule; ``None`` when nothing matched."""
        return next((d for d in self.decisions if d.action == self.action), None)

    def removed(self) -> tuple[Match, ...]:
        """The matches the policy takes out of what is shown (action ``redact`` or ``block``)."""
        if not self.decisions:  # a verdict built by hand, without a policy: its one action applies to all
            return self.matches if self.action.removes else ()
        return tuple(self.matches[d.match] for d in self.decisions if d.action.removes)

    def to_dict(self) -> dict[str, Any]:
        decided = self.decided_by
        matches = [m.to_dict() for m in self.matches]
        for m, d in zip(matches, self.decisions):
            m["action"], m["rule"] = str(d.action), d.rule
        out: dict[str, Any] = {"action": str(self.action), "decided_by": decided.to_dict() if decided else None,
                               "matches": matches}
        if self.boilerplate:
            out["boilerplate"] = self.boilerplate
        if self.discounted:
            out["discounted"] = list(self.discounted)
        if self.truncated:
            out["truncated"] = True
        if self.base:
            out["base"] = [list(span) for span in self.base]
        return out


def marker(m: Match) -> str:
    """What replaces a removed copy: its kind, source and license."""
    return f"[copyguard: removed a {m.kind} copy of {m.source} ({m.license or 'no license'})]"


def marker_for_all(verdict: Verdict) -> str:
    """What replaces a whole text whose copies redaction could not remove: the sources it still copies."""
    sources = sorted({m.source for m in verdict.removed()})
    return f"[copyguard: removed the whole text: it still copied {', '.join(sources)} after redaction]"


def redact(text: str, verdict: Verdict, end: int | None = None) -> str:
    """``text[:end]`` with every copy whose action is ``redact`` or ``block`` replaced by a marker citing its source.

    Copies the policy allows or only annotates stay as they are.
    """
    end = len(text) if end is None else end
    pieces, pos = [], 0
    for m in sorted(verdict.removed(), key=lambda m: m.output_span):
        start, stop = m.output_span
        if stop <= pos or start >= end:
            continue
        pieces.append(text[pos : max(start, pos)])
        pieces.append(marker(m))
        pos = min(stop, end)
    pieces.append(text[pos:end])
    return "".join(pieces)
