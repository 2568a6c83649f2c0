"""The pre-display check: model output in, ``Verdict`` out.

``Guard`` only orchestrates; each step is its own module, and data flows one way:

1. ``normalize``: split the output into prose and code blocks (``normalize.markdown``)
   and turn them into at most two ``TokenStream`` s, prose and code;
2. ``candidates``: sketch each stream, look its band keys up in the index, keep
   the sources whose passages it contains;
3. ``match``: align each candidate's tokens with the stream into regions that
   meet the policy's limits, and attribute them (``Match``);
4. ``verdict``: the policy turns the matches into one action.

guard = Guard.open("my-index")
verdict = guard.check(model_output)
verdict.action, [m.source for m in verdict.matches]
# -> ('annotate', ['py/heapq.py'])
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .candidates import Candidate, Query, boilerplate_mask, cross_channel, find_candidates, sketch_query, without
from .errors import ConfigError, IndexFormatError
from .evidence import distinctive_tokens, weigh
from .index import Index
from .index.manifest import MANIFEST, check_compatible
from .match import Match, align_regions, attribute
from .normalize import PROSE, PROSE_ALIASES, TokenStream, normalize, versions
from .normalize.code import normalize_code_spans, normalize_code_words
from .normalize.text import blank_outside
from .policy import Policy
from .sketch import stream_shingles
from .stream import AsyncStream, Stream
from .verdict import Verdict, redact


class Guard:
    """One or more loaded indexes plus a policy; thread-safe for concurrent ``check`` calls.

    With several indexes (shards of one corpus, or one index per corpus or
    license family) every check consults all of them: their candidates are
    ranked together, so ``max_sources`` counts across indexes, and each match
    names the index its source is in (``Match.index``). Every check first
    follows writes to any index (a takedown, an add) by one ``stat`` of each
    manifest, so a removal is seen at once without reopening anything.
    """

    def __init__(self, index: Index | Sequence[Index], policy: Policy | None = None) -> None:
        self.indexes = (index,) if isinstance(index, Index) else tuple(index)
        if not self.indexes:
            raise ConfigError("a check needs at least one index")
        self.params = self.index.params
        for other in self.indexes[1:]:
            if other.params != self.params:
                diff = ", ".join(f"{k}={v} (vs {self.params.to_dict()[k]})"
                                 for k, v in other.params.to_dict().items() if v != self.params.to_dict()[k])
                raise IndexFormatError(f"{other.path}: built with other parameters than {self.index.path} ({diff}); "
                                       f"indexes checked together must share them: rebuild it with the same --params")
        self.names = [str(i.path) for i in self.indexes] if len(self.indexes) > 1 else None
        self._stamps: list[tuple[int, int, int] | None] = [None] * len(self.indexes)  # first check re-reads
        self._switch = threading.Lock()
        self.policy = policy or Policy()

    @classmethod
    def open(cls, path: str | Path | Sequence[str | Path], policy: Policy | None = None) -> Guard:
        """Open the index at ``path``, or every index of a list (memory-mapped: fast, whatever their size).

        An index built by another normalizer or other grammar versions is
        refused (``IndexFormatError``): its tokens would not be comparable.

        guard = Guard.open(["books.cgidx", "code-gpl.cgidx", "code-mit.cgidx"])
        """
        paths = [path] if isinstance(path, (str, Path)) else list(path)
        if len({Path(p).resolve() for p in paths}) != len(paths):
            raise ConfigError(f"the same index is given twice among {', '.join(map(str, paths))}")
        indexes = []
        for p in paths:
            index = Index.open(p)
            check_compatible(index.manifest, versions(), index.path)
            indexes.append(index)
        return cls(indexes, policy)

    def refresh(self) -> bool:
        """Follow writes made to any of the indexes since the last check; True if one changed.

        New generations are opened as new ``Index`` objects (sharing the mapped
        segments) and swapped in with one assignment; an ``Index`` a reader
        holds is never changed under it.
        """
        stamps = [_manifest_stamp(index) for index in self.indexes]
        if stamps == self._stamps:
            return False
        with self._switch:
            current = self.indexes
            fresh = tuple(index.latest() if stamp != seen and stamp is not None else index
                          for index, stamp, seen in zip(current, stamps, self._stamps))
            self._stamps = [stamp if stamp is not None else seen for stamp, seen in zip(stamps, self._stamps)]
            self.indexes = fresh
            return any(x is not y for x, y in zip(fresh, current))

    @property
    def index(self) -> Index:
        """The first index, at the generation the next check reads."""
        return self.indexes[0]

    def check(self, text: str, lang: str | None = None) -> Verdict:
        """Every copy of protected content in ``text`` and the action the policy gives it.

        ``lang`` forces the whole text to be one code language (or ``"prose"``);
        by default markdown fences and untagged code are detected.
        """
        self.refresh()
        indexes = self.indexes  # one generation for the whole check, whatever a refresh swaps in meanwhile
        streams = self._streams(text, lang)
        p = self.policy
        queries = [sketch_query(ts, self.params) for ts in streams]
        common = [boilerplate_mask(indexes, q, p.max_shingle_sources) for q in queries]
        found = cross_channel(indexes, [self._candidates(indexes, q, c) for q, c in zip(queries, common)], p.max_sources)
        matches: list[Match] = []
        for ts, query, cands, mask in zip(streams, queries, found, common):
            matches.extend(self._align(indexes, ts, query, cands, mask))
        kept, discounted = weigh(text, matches, p.min_tokens_code, p.min_tokens_prose)
        verdict = Verdict.from_matches(p, kept)
        return replace(verdict, boilerplate=int(sum(int(m.sum()) for m in common)), discounted=discounted)

    async def acheck(self, text: str, lang: str | None = None) -> Verdict:
        """``check`` for asyncio code: it runs in a worker thread, so the event loop keeps serving."""
        import asyncio

        return await asyncio.to_thread(self.check, text, lang)

    def redact(self, text: str, lang: str | None = None) -> str:
        """``text`` with every copy the policy redacts or blocks replaced by a short marker citing its source.

        Copies the policy allows or only annotates stay.
        """
        return redact(text, self.check(text, lang))

    async def aredact(self, text: str, lang: str | None = None) -> str:
        """``redact`` for asyncio code (in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.redact, text, lang)

    def stream(self, check_every: int = 256) -> Stream:
        """An incremental checker for output that arrives in chunks (see ``Stream``)."""
        return Stream(self.check, self.policy, self.params, check_every)

    def astream(self, check_every: int = 256) -> AsyncStream:
        """``stream`` for asyncio code: ``await s.feed(chunk)`` re-checks in a worker thread."""
        return AsyncStream(self.stream(check_every))

    def _streams(self, text: str, lang: str | None) -> list[TokenStream]:
        """At most two token streams: the prose of the answer, and its code.

        The prose stream holds the prose blocks and the words inside the code
        (comments, docstrings, long strings: the index holds them as prose of
        the code's source). It is normalized in one call on a copy of the
        answer with everything else blanked (prose folding is per character,
        so this is exact and offsets need no mapping). Code is parsed block
        by block: a fence that starts inside a string must not swallow the next one.
        """
        if lang is not None:
            if lang in PROSE_ALIASES:
                return [normalize(text, lang)]
            return [ts for ts in normalize_code_words(text, lang)[::-1] if len(ts)]
        from .normalize.markdown import blocks

        prose: list[tuple[int, int]] = []
        code: list[TokenStream] = []
        for block in blocks(text):
            if block.kind == "code" and block.lang:
                ts, words = normalize_code_spans(text[block.start : block.end], block.lang)
                code.append(ts.shift(block.start, text))
                prose.extend((block.start + s, block.start + e) for s, e in words)
            else:
                prose.append((block.start, block.end))
        out = []
        if prose:
            whole = len(prose) == 1 and prose[0] == (0, len(text))
            out.append(normalize(text if whole else blank_outside(text, prose), PROSE).shift(0, text))
        if code:
            out.append(TokenStream.concat(code, text))
        return out

    def _candidates(self, indexes: tuple[Index, ...], query: Query, common: np.ndarray, extra: int = 2) -> list[Candidate]:
        """Sources by containment of the output's shingles that are not boilerplate.

        When boilerplate was discounted, the best ``extra`` sources that only
        all shingles find are aligned too: the evidence floor then drops them
        or, if their copy has enough of its own, reports them; the report
        names those dropped as discounted.
        """
        p = self.policy
        found = find_candidates(indexes, without(query, common), p.min_candidate_containment, p.max_sources)
        if not common.any():
            return found
        have = {(c.shard, c.ref) for c in found}
        loose = find_candidates(indexes, query, p.min_candidate_containment, extra + len(have))
        return found + [c for c in loose if (c.shard, c.ref) not in have][:extra]

    def _align(self, indexes: tuple[Index, ...], ts: TokenStream, query: Query, cands: list[Candidate],
               common: np.ndarray) -> list[Match]:
        """Regions of ``ts`` copied from each candidate, attributed; the floors are applied later, over all.

        ``common`` marks the output shingles held by too many sources: the
        tokens of a match that only such shingles cover are its
        ``boilerplate`` and do not count as evidence.
        """
        limits = self.policy.region_limits(ts.is_code)
        out = ts.tokens
        matches: list[Match] = []
        for cand in cands:
            regions = align_regions(out, query.shingles, cand.tokens, query.k, query.code, limits)
            if not regions:
                continue
            index = indexes[cand.shard]
            record, src_text = index.source(cand.ref), index.source_text(cand.ref)
            src_sh = np.unique(stream_shingles(cand.tokens, query.k, query.code)) if common.any() else None
            for r in regions:
                m = attribute(r, ts.text, out, ts.lang, cand.tokens, src_text, record)
                if self.names:
                    m = replace(m, index=self.names[cand.shard])
                if src_sh is not None:
                    m = replace(m, boilerplate=m.tokens - distinctive_tokens(query.shingles, common, src_sh, r, query.k))
                matches.append(m)
        return matches


def _manifest_stamp(index: Index) -> tuple[int, int, int] | None:
    """Identity of the manifest file now (replaced atomically by every write), or None if it cannot be read."""
    try:
        st = os.stat(index.path / MANIFEST)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
