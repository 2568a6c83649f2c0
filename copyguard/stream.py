"""Checking output while it streams, so generation stops at the first copy the policy takes out, and only then.

``feed(chunk)`` re-checks only the recent tail of the text once at least
``check_every`` new characters have arrived; matches found earlier are kept.
A copy is reported as soon as one full check window of it has arrived
(``Stream.holdback_tokens``: words of prose, tokens of code), so what
``safe_text`` releases, everything but the last window of checked text,
never holds more than that of a copy.

Each result separates three things: ``flagged`` (something matched, maybe a
permissively licensed copy the policy only annotates), ``should_stop`` (the
policy says ``redact`` or ``block`` for a match: stop generating) and
``safe_text`` (what may be shown so far; it only ever grows).

    s = guard.stream()
    for chunk in model.generate():
        r = s.feed(chunk)
        show(r.new_text)
        if r.should_stop:
            break
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .match import Match
from .normalize import PROSE, normalize
from .normalize.markdown import open_code_block
from .params import Params
from .policy import Action, Policy
from .verdict import Verdict, redact

# characters per token, generously, for turning the token hold-back into a character look-back
_CHARS_PER_TOKEN = 8


@dataclass(frozen=True)
class StreamResult:
    """The state of a stream after one ``feed`` or ``close``."""

    verdict: Verdict  # every match so far, with the policy's action for each
    safe_text: str  # what may be shown so far: checked text less the hold-back, copies removed per the policy
    new_text: str  # the part of ``safe_text`` that the previous result did not have
    should_stop: bool  # the policy says redact or block for a match: stop generating
    closed: bool = False  # ``close`` was called: nothing is held back any more

    @property
    def flagged(self) -> bool:
        """Something matched, whatever the policy says about it (``annotate`` and ``allow`` included)."""
        return bool(self.verdict.matches)

    @property
    def action(self) -> Action:
        return self.verdict.action

    @property
    def matches(self) -> tuple[Match, ...]:
        return self.verdict.matches


class Stream:
    """Incremental check of a growing output; ``feed`` returns a ``StreamResult`` on all text so far."""

    def __init__(self, check: Callable[[str], Verdict], policy: Policy, params: Params, check_every: int = 256) -> None:
        self._check = check
        self.policy = policy
        self.params = params
        self.check_every = check_every
        self.text = ""
        self._checked = 0
        self._matches: list[Match] = []
        self._released = ""  # safe text handed out so far
        self._released_end = 0  # where it ends in ``text`` (before any removal)
        self._stopped = False
        self._holdback = (0, 0)  # (checked, where the hold-back starts), computed once per check
        longest = max(params.window_code + params.stride_code, params.window_prose + params.stride_prose)
        self._lookback = 2 * longest * _CHARS_PER_TOKEN

    @property
    def holdback_tokens(self) -> int:
        """Units of checked text held back: code tokens inside an open code fence, else words of prose.

        A copy is reported once one check window of it has arrived, and a
        window passage is ``window`` units long, cut every ``stride``.
        """
        window, stride = self.params.window(open_code_block(self.text[: self._checked]) is not None)
        return window + stride

    def feed(self, chunk: str) -> StreamResult:
        """Append ``chunk``; re-check the tail when enough new text has arrived."""
        self.text += chunk
        if self._due():
            self._check_tail()
        return self._result(closed=False)

    def close(self) -> StreamResult:
        """Check whatever arrived since the last check; nothing is held back any more."""
        if self._checked < len(self.text):
            self._check_tail()
        return self._result(closed=True)

    def verdict(self) -> Verdict:
        return Verdict.from_matches(self.policy, self._matches)

    def _due(self) -> bool:
        return len(self.text) - self._checked >= self.check_every

    def _result(self, closed: bool) -> StreamResult:
        verdict = self.verdict()
        before = self._released
        if not self._stopped:
            end = len(self.text) if closed else max(self._released_end, self._holdback_start())
            if verdict.removed():
                self._stopped = True
                self._release_stopped(verdict, end)
            else:
                self._released += self.text[self._released_end : end]
                self._released_end = end
        return StreamResult(verdict, self._released, self._released[len(before):], self._stopped, closed)

    def _release_stopped(self, verdict: Verdict, end: int) -> None:
        """The last release: up to the first blocked copy, with redacted copies replaced by their markers."""
        done = self._released_end
        removed = sorted(((verdict.matches[d.match], d.action) for d in verdict.decisions
                          if d.action.removes and verdict.matches[d.match].output_span[1] > done),
                         key=lambda ma: ma[0].output_span)
        if removed:  # the text checked up to the first copy is shown, up to its marker when it is redacted
            first, action = removed[0]
            end = max(end, first.output_span[0] + (action == Action.REDACT))
            blocked = [m.output_span[0] for m, a in removed if a == Action.BLOCK]
            end = max(done, min([end, *blocked]))
        rest = tuple(replace(m, output_span=(max(m.output_span[0], done), m.output_span[1])) for m, _ in removed)
        self._released += redact(self.text, Verdict(Action.REDACT, rest), end)[done:]
        self._released_end = end

    def _holdback_start(self) -> int:
        """Where the last window of the checked text starts: ``holdback_tokens`` code tokens or words back."""
        if self._holdback[0] != self._checked:
            self._holdback = (self._checked, window_start(self.text[: self._checked], self.params, self._lookback))
        return self._holdback[1]

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
        block = open_code_block(self.text[:start])
        if block is not None:  # re-check the open code block from its fence line
            return self.text.rfind("\n", 0, max(block.start - 1, 0)) + 1
        return self.text.rfind("\n", 0, start) + 1


def window_start(text: str, params: Params, lookback: int | None = None) -> int:
    """Where the last check window of ``text`` starts: what a stream holds back begins there.

    A window is ``window + stride`` code tokens inside an open code fence, else
    words of prose, counted as the check counts them (``normalize``); 0 when
    ``text`` is shorter. Only the last ``lookback`` characters are looked at.

    >>> window_start("one two three " * 40, Params())
    280
    """
    end = len(text)
    lookback = 2 * max(sum(params.window(True)), sum(params.window(False))) * _CHARS_PER_TOKEN if lookback is None else lookback
    block = open_code_block(text)
    if block is not None:
        n = sum(params.window(True))
        lo = max(block.start, end - lookback)
        tokens = normalize(text[lo:end], block.lang)
        if len(tokens) >= n:
            return lo + int(tokens.starts[-n])
        if lo > block.start:
            return lo
        end = block.start  # a code block shorter than a window: hold back the prose before it too
    n = sum(params.window(False))
    lo = max(0, end - lookback)
    words = normalize(text[lo:end], PROSE)
    return lo + int(words.starts[-n]) if len(words) >= n else lo


class AsyncStream:
    """``Stream`` for asyncio code: ``await feed(chunk)`` runs the re-checks in a worker thread.

        s = guard.astream()
        async for chunk in model.astream(prompt):
            if (await s.feed(chunk)).should_stop:
                break
    """

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    @property
    def holdback_tokens(self) -> int:
        return self.stream.holdback_tokens

    @property
    def text(self) -> str:
        return self.stream.text

    async def feed(self, chunk: str) -> StreamResult:
        import asyncio  # already loaded in a coroutine; not at module level, where a plain check would pay for it

        s = self.stream
        s.text += chunk
        if s._due():
            await asyncio.to_thread(s._check_tail)
        return s._result(closed=False)

    async def close(self) -> StreamResult:
        import asyncio

        return await asyncio.to_thread(self.stream.close)

    def verdict(self) -> Verdict:
        return self.stream.verdict()
