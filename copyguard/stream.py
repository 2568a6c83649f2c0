"""Checking output while it streams, so generation can be stopped at the first copy.

``feed(chunk)`` re-checks only the recent tail of the text once at least
``check_every`` new characters have arrived; matches found earlier are kept.
A copy is reported as soon as one full check window of it (see
``Stream.holdback_tokens``) has arrived, so an app that holds back that many
tokens before display never shows more than that of a copy.

s = guard.stream()
for chunk in model.generate():
# -> ...     if s.feed(chunk).flagged: break
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .match import Match
from .params import Params
from .policy import Policy
from .verdict import Verdict

# characters per token, generously, for turning the token hold-back into a character look-back
_CHARS_PER_TOKEN = 8


class Stream:
    """Incremental check of a growing output; ``feed`` returns the verdict on all text so far."""

    def __init__(self, check: Callable[[str], Verdict], policy: Policy, params: Params, check_every: int = 256) -> None:
        self._check = check
        self.policy = policy
        self.check_every = check_every
        self.text = ""
        self._checked = 0
        self._matches: list[Match] = []
        self.holdback_tokens = max(params.window_code + params.stride_code, params.window_prose + params.stride_prose)
        self._lookback = 2 * self.holdback_tokens * _CHARS_PER_TOKEN

    def feed(self, chunk: str) -> Verdict:
        """Append ``chunk``; re-check the tail when enough new text has arrived."""
        self.text += chunk
        if len(self.text) - self._checked >= self.check_every:
            self._check_tail()
        return self.verdict()

    def close(self) -> Verdict:
        """Check whatever arrived since the last check and return the final verdict."""
        if self._checked < len(self.text):
            self._check_tail()
        return self.verdict()

    def verdict(self) -> Verdict:
        return Verdict.from_matches(self.policy, self._matches)

    def _check_tail(self) -> None:
        start = self._tail_start()
        tail = self.text[start:]
        for m in self._check(tail).matches:
            self._keep(replace(m, output_span=(m.output_span[0] + start, m.output_span[1] + start)))
        self._checked = len(self.text)

    def _keep(self, new: Match) -> None:
        """Add ``new`` unless a match of the same source already covers more of the same output."""
        overlapping = [m for m in self._matches if m.source == new.source
                       and m.output_span[0] < new.output_span[1] and new.output_span[0] < m.output_span[1]]
        if any(m.output_span[1] - m.output_span[0] >= new.output_span[1] - new.output_span[0] for m in overlapping):
            return
        self._matches = [m for m in self._matches if m not in overlapping] + [new]

    def _tail_start(self) -> int:
        """Start the re-check on a line boundary inside the look-back, or inside an open code fence."""
        start = max(0, self._checked - self._lookback)
        if start == 0:
            return 0
        fence = max(self.text.rfind("```", 0, start), self.text.rfind("~~~", 0, start))
        if fence >= 0 and (self.text.count("```", 0, start) + self.text.count("~~~", 0, start)) % 2 == 1:
            return self.text.rfind("\n", 0, fence) + 1
        return self.text.rfind("\n", 0, start) + 1
