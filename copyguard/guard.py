"""The pre-display check: model output in, ``Verdict`` out.

Data flows one way: segment the output (prose / code fences), normalize each
segment, cut it into windows and units, look their band keys up in the
index, verify the candidates on tokens (``match``), and let the ``Policy``
turn verified matches into an action.

>>> guard = Guard.open("my-index")            # doctest: +SKIP
>>> verdict = guard.check(model_output)       # doctest: +SKIP
>>> verdict.action, [m.source for m in verdict.matches]  # doctest: +SKIP
('annotate', ['py/heapq.py'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .index import Index
from .match import Match, Region, Tokens, align_regions, passage_containment, rename_map
from .normalize import PROSE, TokenStream, normalize
from .normalize.tokens import codepoints
from .passages import sketch_passages
from .policy import Policy, most_severe

if TYPE_CHECKING:
    from .stream import Stream


@dataclass(frozen=True)
class Verdict:
    """What to do with one output, and why: every match with its source, license and spans."""

    action: str
    matches: tuple[Match, ...]

    @property
    def flagged(self) -> bool:
        return self.action != "allow"

    def to_dict(self) -> dict:
        return {"action": self.action, "matches": [m.to_dict() for m in self.matches]}


class Guard:
    """A loaded index plus a policy; thread-safe for concurrent ``check`` calls."""

    def __init__(self, index: Index, policy: Policy | None = None) -> None:
        self.index = index
        self.params = index.params
        self.policy = policy or Policy()

    @classmethod
    def open(cls, path: str | Path, policy: Policy | None = None) -> "Guard":
        """Open the index at ``path`` (memory-mapped: fast, whatever its size).

        An index built by another normalizer or other grammar versions is
        refused (``IndexFormatError``): its tokens would not be comparable.
        """
        from .index.build import check_compatible

        index = Index.open(path)
        check_compatible(index)
        return cls(index, policy)

    def check(self, text: str, lang: str | None = None) -> Verdict:
        """Every copy of protected content in ``text`` and the action the policy gives it.

        ``lang`` forces the whole text to be one code language (or ``"text"``
        for prose); by default markdown fences and untagged code are detected.
        """
        matches: list[Match] = []
        for ts in self._streams(text, lang):
            matches.extend(self._check_stream(ts))
        matches.sort(key=lambda m: (m.output_span[0], -m.similarity))
        action = most_severe([self.policy.action_for(m.license, m.source) for m in matches])
        return Verdict(action, tuple(matches))

    def redact(self, text: str, lang: str | None = None) -> str:
        """``text`` with every flagged copy replaced by a short marker citing its source."""
        return redact(text, self.check(text, lang))

    def stream(self, check_every: int = 256) -> "Stream":
        """An incremental checker for output that arrives in chunks (see ``Stream``)."""
        from .stream import Stream

        return Stream(self, check_every)

    def _streams(self, text: str, lang: str | None) -> list[TokenStream]:
        """At most two token streams: the prose of the answer, and its code.

        Prose segments are normalized in one call on a copy of the answer
        with the code blanked (prose folding is per character, so this is
        exact and offsets need no mapping). Code is parsed fence by fence:
        a fence that starts inside a string must not swallow the next one.
        """
        if lang is not None:
            return [normalize(text, lang)]
        from .normalize.segment import segments

        prose: list[tuple[int, int]] = []
        code: list[TokenStream] = []
        for seg in segments(text):
            if seg.kind == "code" and seg.lang:
                code.append(normalize(text[seg.start : seg.end], seg.lang).shift(seg.start, text))
            else:
                prose.append((seg.start, seg.end))
        out = []
        if prose:
            whole = len(prose) == 1 and prose[0] == (0, len(text))
            out.append(normalize(text if whole else _blank_outside(text, prose), PROSE).shift(0, text))
        if code:
            out.append(TokenStream.concat(code, text))
        return out

    def _check_stream(self, ts: TokenStream) -> list[Match]:
        ranges, _, keys, out_sh = sketch_passages(ts, self.params)
        if ranges.shape[0] == 0:
            return []
        _, gids = self.index.lookup(keys)
        gids = np.unique(gids)
        if gids.shape[0] == 0:
            return []
        code, k = ts.is_code, self.params.shingle(ts.is_code)
        out_sorted = np.unique(out_sh)
        gathered = self.index.passage_tokens(gids)
        contain = passage_containment(Tokens(*gathered[:5]), gathered.offsets, out_sorted, k, code)
        good = contain >= self.policy.min_candidate_containment
        if not good.any():
            return []
        info = self.index.passage_info(gids[good])
        out = Tokens.of(ts)
        matches: list[Match] = []
        for ref in _best_sources(info.source, contain[good], self.policy.max_sources):
            mine = info.source == ref
            # widen by a window: the copy may start or end inside a window that did not qualify
            margin = self.params.window(code)[0]
            lo = max(int(info.tok[mine, 0].min()) - margin, 0)
            hi = int(info.tok[mine, 1].max()) + margin
            src = Tokens(*self.index.source_tokens(int(ref), lo, hi)[:5])
            for region in align_regions(out, out_sh, src, k, code, self.policy):
                matches.append(self._attribute(ts, src, int(ref), region))
        return matches

    def _attribute(self, ts: TokenStream, src: Tokens, ref: int, region: Region) -> Match:
        record = self.index.source(ref)
        (o0, o1), (s0, s1) = region.out_tok, region.src_tok
        renames = {}
        if region.kind == "renamed":
            out = Tokens.of(ts)
            renames = rename_map(ts.text, out[o0:o1], self.index.source_text(ref), src[s0:s1])
        return Match(
            source=record.source_id, license=record.license, kind=region.kind,
            similarity=region.similarity,
            output_span=(int(ts.starts[o0]), int(ts.ends[o1 - 1])),
            source_span=(int(src.starts[s0]), int(src.ends[s1 - 1])),
            lang=ts.lang, tokens=o1 - o0, renames=renames, source_path=record.path,
        )


_SPACE, _NEWLINE = np.uint32(32), np.uint32(10)


def _blank_outside(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every character outside ``spans`` made a space (newlines kept): same length, same offsets."""
    cps = codepoints(text)
    keep = np.zeros(cps.shape[0] + 1, dtype=np.int32)
    for start, end in spans:
        keep[start] += 1
        keep[end] -= 1
    inside = np.cumsum(keep[:-1]) > 0
    blanked = np.where(inside | (cps == _NEWLINE), cps, _SPACE).astype(np.uint32)
    return blanked.tobytes().decode("utf-32-le", "surrogatepass")


def _best_sources(sources: np.ndarray, contain: np.ndarray, limit: int) -> np.ndarray:
    """Distinct sources ordered by their best passage's containment, at most ``limit`` of them."""
    order = np.lexsort((sources, -contain))
    _, first = np.unique(sources[order], return_index=True)
    return sources[order][np.sort(first)][:limit]


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
