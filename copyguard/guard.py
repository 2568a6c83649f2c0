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
import re
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

from .base import EMPTY as NO_BASE
from .base import base_mask, base_spans, merge_spans, read_base, trim
from .candidates import (
    NAMED_SOURCES,
    Candidate,
    Query,
    Ranking,
    boilerplate_mask,
    candidate_rows,
    cross_channel,
    declared_counts,
    held_candidates,
    kept_counts,
    literal_counts,
    name_counts,
    named_candidates,
    rank_candidates,
    shingle_counts,
    sketch_query,
    without,
)
from .errors import ConfigError, IndexFormatError, IndexStoreError
from .evidence import (
    Blocks,
    align_weigh_rows,
    kept_mask,
    kept_weights,
    literal_mask,
    literal_weights,
    name_mask,
    name_weights,
    rarity_weights,
    reported,
    weigh,
)
from .index import Index
from .index.background import Background
from .index.background import load as load_background
from .index.manifest import MANIFEST, check_compatible
from .index.segment import SourceRecord
from .match import Match, MatchKind, attribute_batch, near_renames, renamed_names
from .match import shared_positions as match_shared_positions
from .normalize import PROSE, PROSE_ALIASES, TokenStream, normalize, versions
from .normalize.code import normalize_code_spans, words_in
from .normalize.text import blank_outside, normalize_prose_in
from .normalize.tokens import Tokens
from .policy import Policy
from .sketch import exact_shingles
from .stream import AsyncStream, Stream
from .verdict import Verdict, marker_for_all, redact


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
        _require_live(self.indexes)
        self.names = [str(i.path) for i in self.indexes] if len(self.indexes) > 1 else None
        self._stamps: list[tuple[int, int, int] | None] = [None] * len(self.indexes)  # first check re-reads
        self._switch = threading.Lock()
        self.policy = policy or Policy()
        # base code the policy declares (policy.toml ``base = [...]``), normalized with the index's parameters
        self._policy_base = read_base(self.policy.base, self.params)[0] if self.policy.base else NO_BASE
        self._base: tuple[tuple, np.ndarray] = ((), NO_BASE)
        self._background: Background | bool | None = None  # the shipped table (False: none), read at the first check

    @classmethod
    def open(cls, path: str | Path | Sequence[str | Path], policy: Policy | None = None) -> Guard:
        """Open the index at ``path``, or every index of a list (memory-mapped: fast, whatever their size).

        An index built by another normalizer or other grammar versions is
        refused (``IndexFormatError``): its tokens would not be comparable.

        guard = Guard.open(["books.cgidx", "code-gpl.cgidx", "code-mit.cgidx"])
        """
        paths = [path] if isinstance(path, (str, Path)) else list(path)
        if len({os.path.realpath(p) for p in paths}) != len(paths):  # realpath: a symlink loop is no exception
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
        by default markdown fences and untagged code are detected. Candidates
        are aligned in rounds of ``max_sources`` per stream until a round
        brings no new source that qualifies (at most ``MAX_ROUNDS``); the
        verdict is ``truncated`` when a bound cut the check short.
        """
        self.refresh()
        indexes = self.indexes  # one generation for the whole check, whatever a refresh swaps in meanwhile
        _require_live(indexes)
        streams, cut, blocks = self._read(text, lang)
        p = self.policy
        queries = [sketch_query(ts, self.params) for ts in streams]
        base = self.base_shingles(indexes)
        declared = [base_mask(q.shingles, base) for q in queries]
        # declared base code matches nothing: it finds no candidate, and regions stop at it
        queries = [without(q, b) for q, b in zip(queries, declared)]
        counts = [shingle_counts(indexes, q) for q in queries]
        common = [boilerplate_mask(indexes, q, p.max_shingle_sources, p.max_shingle_share, self.capped(q, c))
                  for q, c in zip(queries, counts)]
        ranked = self._candidates(indexes, queries, common, counts)  # (ranking, first) per stream
        held = self._held_only(indexes, [r for r, _ in ranked])
        known: dict[tuple[str | None, str], tuple[int, list[Match]]] = {}
        matches, truncated = self._rounds(indexes, streams, queries, common, ranked, counts, blocks, held, known)
        kept, discounted = weigh(text, matches, p.floors(), blocks, held, known)
        kept = [_with_renames(m, streams, indexes, blocks, self.params.shingle_code) for m in kept]
        spans = merge_spans(span for ts, q, b in zip(streams, queries, declared)
                            for span in base_spans(ts, b, q.k, p.min_region_tokens))
        if spans:
            kept = [replace(m, output_span=trim(m.output_span, spans)) for m in kept]
        verdict = Verdict.from_matches(p, kept)
        return replace(verdict, boilerplate=int(sum(int(m.sum()) for m in common)), discounted=discounted,
                       truncated=cut or truncated or any(r.truncated for r, _ in ranked), base=spans)

    def capped(self, query: Query, counts: np.ndarray) -> np.ndarray:
        """The source counts the boilerplate cap reads: the indexes' ``counts`` of the query's shingles, raised to
        the shipped background's where the indexes hold them when the policy asks (``Policy.background_counts``,
        ``index.background``).

        Only the cap: rarity weights, held sources and name weights keep the indexes' own counts (raising those
        too lost tool-renamed copies on the tuning group: a minified getter's structure is common everywhere).
        """
        if not (self.policy.background_counts or self._live_sources() < self.policy.background_below):
            return counts
        if self._background is None:
            self._background = load_background(self.params) or False
        bg = self._background
        return bg.added(counts, query.shingles) if isinstance(bg, Background) else counts

    def _live_sources(self) -> int:
        """Live sources of every index (from their manifests): below ``Policy.background_below`` an index's own
        counts know too little of what is common code."""
        return sum(e.sources - e.dead_sources for i in self.indexes for e in i.manifest.segments)

    def base_shingles(self, indexes: Sequence[Index] | None = None) -> np.ndarray:
        """Sorted shingles of all declared base code: each index's, and the policy's ``base``."""
        indexes = self.indexes if indexes is None else indexes
        key = tuple(i.manifest.base.digest if i.manifest.base else None for i in indexes)
        cached = self._base
        if cached[0] != key:
            parts = [self._policy_base] + [i.base_shingles() for i in indexes if i.manifest.base]
            cached = (key, np.unique(np.concatenate(parts)) if len(parts) > 1 else parts[0])
            self._base = cached
        return cached[1]

    async def acheck(self, text: str, lang: str | None = None) -> Verdict:
        """``check`` for asyncio code: it runs in a worker thread, so the event loop keeps serving."""
        import asyncio

        return await asyncio.to_thread(self.check, text, lang)

    def redact(self, text: str, lang: str | None = None, verdict: Verdict | None = None) -> str:
        """``text`` with every copy the policy redacts or blocks replaced by a short marker citing its source.

        Copies the policy allows or only annotates stay. The result is checked
        again, and redacted again, until a check finds nothing to remove (at
        most ``REDACT_ROUNDS`` checks); if copies remain after that, the whole
        text is withheld. ``verdict``: the check of ``text`` already made.
        """
        verdict = self.check(text, lang) if verdict is None else verdict
        for _ in range(REDACT_ROUNDS):
            if not verdict.removed():
                return text
            text = redact(text, verdict)
            verdict = self.check(text, lang)
        return text if not verdict.removed() else marker_for_all(verdict)

    async def aredact(self, text: str, lang: str | None = None, verdict: Verdict | None = None) -> str:
        """``redact`` for asyncio code (in a worker thread)."""
        import asyncio

        return await asyncio.to_thread(self.redact, text, lang, verdict)

    def stream(self, check_every: int = 256) -> Stream:
        """An incremental checker for output that arrives in chunks (see ``Stream``)."""
        return Stream(self.check, self.policy, self.params, check_every)

    def astream(self, check_every: int = 256) -> AsyncStream:
        """``stream`` for asyncio code: ``await s.feed(chunk)`` re-checks in a worker thread."""
        return AsyncStream(self.stream(check_every))

    def _streams(self, text: str, lang: str | None) -> list[TokenStream]:
        """At most two token streams: the prose of the answer, and its code (see ``_read``)."""
        return self._read(text, lang)[0]

    def _read(self, text: str, lang: str | None) -> tuple[list[TokenStream], bool, Blocks]:
        """At most two token streams: the prose of the answer, and its code; whether a bound applied; the blocks.

        The prose stream holds the prose blocks and the words inside the code
        (comments, docstrings, long strings: the index holds them as prose of
        the code's source). It is normalized in one call on a copy of the
        answer with everything else blanked (prose folding is per character,
        so this is exact and offsets need no mapping). Code is parsed block
        by block: a fence that starts inside a string must not swallow the next one.
        Past ``MAX_CODE_BLOCKS`` blocks, the rest of each language is parsed in
        one piece (everything else blanked), so thousands of tiny fences cost
        one parse per language; the verdict then says ``truncated``. So it does when a parse outgrew its
        budget (``grammars.parse_budget``): that code is lexed without a tree. The blocks are what the answer shows:
        each code block, each paragraph of prose (the whole text when ``lang`` is given).
        """
        if lang is not None:
            unparsed = False
            words: list[tuple[int, int]] = []
            if lang in PROSE_ALIASES:
                streams = [normalize(text, lang)]
            else:
                parts = normalize_code_spans(text, lang)
                words = parts.words
                streams = [ts for ts in (words_in(text, words), parts.code) if len(ts)]
                unparsed = not parts.parsed
            return streams, unparsed, Blocks.whole(text, _starts(streams), self.policy.min_region_block,
                                                   _starts([ts for ts in streams if ts.is_code]), words)
        from .normalize.markdown import blocks

        prose: list[tuple[int, int]] = []
        inner: list[tuple[int, int]] = []  # the words inside the code (a code region does not cover them)
        code: list[TokenStream] = []
        rest: dict[str, list[tuple[int, int]]] = {}
        units: list[tuple[int, int]] = []
        unparsed = False
        for block in blocks(text):
            if block.kind == "code":
                units.append((block.start, block.end))
            else:
                units.extend(_paragraphs(text, block.start, block.end))
            if block.kind == "code" and block.lang and len(code) >= MAX_CODE_BLOCKS:
                rest.setdefault(block.lang, []).append((block.start, block.end))
            elif block.kind == "code" and block.lang:
                ts, words, parsed = normalize_code_spans(text[block.start : block.end], block.lang)
                unparsed |= not parsed
                code.append(ts.shift(block.start, text))
                inner.extend((block.start + s, block.start + e) for s, e in words)
            else:
                prose.append((block.start, block.end))
        for block_lang, spans in rest.items():
            lo, hi = spans[0][0], spans[-1][1]
            ts, words, parsed = normalize_code_spans(blank_outside(text[lo:hi], [(s - lo, e - lo) for s, e in spans]),
                                                     block_lang)
            unparsed |= not parsed
            code.append(replace(ts.shift(lo, text), units=np.zeros((0, 2), dtype=np.int64)))
            inner.extend((lo + s, lo + e) for s, e in words)
        prose.extend(inner)
        out = []
        if prose:
            whole = len(prose) == 1 and prose[0] == (0, len(text))
            out.append(normalize(text, PROSE) if whole else normalize_prose_in(text, sorted(prose)))
        if code:
            out.append(_in_order(TokenStream.concat(code, text)) if rest else TokenStream.concat(code, text))
        return out, bool(rest) or unparsed, Blocks(text, units, _starts(out), self.policy.min_region_block,
                                                   _starts([ts for ts in out if ts.is_code]), inner)

    def _candidates(self, indexes: tuple[Index, ...], queries: list[Query], common: list[np.ndarray],
                    counts: list[np.ndarray] | None = None, extra: int = 2) -> list[tuple[Ranking, int]]:
        """Per stream: sources by containment of its shingles that are not boilerplate, best first; the first round's size.

        When boilerplate was discounted, the best ``extra`` sources that only
        all shingles find are ranked right after the first round's: the
        evidence floor then drops them or, if their copy has enough of its
        own, reports them; the report names those dropped as discounted.
        With ``counts``, the sources holding ``min_held_shingles`` of the
        output's rare shingles (of all streams together) that no band of a
        stream proposed lead that stream's first round (``held_candidates``;
        ``Ranking.held`` names them).
        """
        ranked = [self._ranked(indexes, q, c, extra) for q, c in zip(queries, common)]
        p = self.policy
        if counts is None or p.min_held_shingles <= 0:
            return ranked
        haves = [{(c.shard, c.ref) for c in found.candidates} for found, _ in ranked]
        everywhere = set.intersection(*haves) if haves else set()
        pooled = held_candidates(indexes, queries, common, counts, p.min_held_shingles,
                                 p.max_sources * len(queries), everywhere)
        if p.min_held_names > 0:  # and the sources holding its rare names, after them (``named_candidates``)
            for mine, named in zip(pooled, named_candidates(indexes, queries, p.min_held_names, NAMED_SOURCES,
                                                            everywhere)):
                seen = {(c.shard, c.ref) for c in mine}
                mine.extend(c for c in named if (c.shard, c.ref) not in seen)
        out = []
        for (found, first), have, mine in zip(ranked, haves, pooled):
            held = [c for c in mine if (c.shard, c.ref) not in have][: p.max_sources]
            out.append((Ranking(held + found.candidates, found.truncated, found.more,
                                frozenset((c.shard, c.ref) for c in held)), first + len(held)) if held else (found, first))
        return out

    def _held_only(self, indexes: tuple[Index, ...], rankings: list[Ranking]) -> set[tuple[str | None, str]]:
        """(index name, source id) of the sources only the held shingles proposed, in no stream's ranking by bands."""
        banded = {(c.shard, c.ref) for r in rankings for c in r.candidates if (c.shard, c.ref) not in r.held}
        only = {key for r in rankings for key in r.held} - banded
        return {(self.names[shard] if self.names else None, indexes[shard].source(ref).source_id) for shard, ref in only}

    def _ranked(self, indexes: tuple[Index, ...], query: Query, common: np.ndarray, extra: int) -> tuple[Ranking, int]:
        """The band ranking of ``_candidates``, boilerplate discounted, with the ``extra`` sources it needs."""
        p = self.policy
        limit = p.max_sources * MAX_ROUNDS
        found = rank_candidates(indexes, without(query, common), p.min_candidate_containment, limit)
        if not common.any():
            return found, p.max_sources
        first = found.candidates[: p.max_sources]
        have = {(c.shard, c.ref) for c in first}
        loose = rank_candidates(indexes, query, p.min_candidate_containment, extra + len(have))
        extras = [c for c in loose.candidates if (c.shard, c.ref) not in have][:extra]
        seen = have | {(c.shard, c.ref) for c in extras}
        rest = [c for c in found.candidates[p.max_sources :] if (c.shard, c.ref) not in seen]
        return Ranking(first + extras + rest, found.truncated or loose.truncated, found.more), p.max_sources + len(extras)

    def _rounds(self, indexes: tuple[Index, ...], streams: list[TokenStream], queries: list[Query],
                common: list[np.ndarray], ranked: list[tuple[Ranking, int]], counts: list[np.ndarray] | None = None,
                blocks: Blocks | None = None, held: set[tuple[str | None, str]] | None = None,
                known: dict[tuple[str | None, str], tuple[int, list[Match]]] | None = None
                ) -> tuple[list[Match], bool]:
        """Candidates aligned round by round, best first, until a round qualifies no new source.

        A round aligns the next ``max_sources`` candidates of each stream (the
        first round also the ``extra`` ones of ``_candidates``), plus the other
        channel of the sources it holds (``cross_channel``). Returns the
        matches and whether ``MAX_ROUNDS`` stopped the rounds with candidates left.
        ``known`` is filled with what each source's test gave (``weigh``'s ``known``).
        """
        p = self.policy
        floors = p.floors()
        counts = counts if counts is not None else [np.ones(q.shingles.shape[0], dtype=np.int64) for q in queries]
        pending = [list(r.candidates) for r, _ in ranked]
        aligned: list[set[tuple[int, int]]] = [set() for _ in streams]
        matches: list[Match] = []
        by_source: dict[tuple[str | None, str], list[Match]] = {}
        qualified: set[tuple[str | None, str]] = set()
        exact: dict[int, np.ndarray] = {}  # each stream's exact shingles (code), made once if it has candidates
        weights: dict[int, np.ndarray] = {}  # and what each of its shingles weighs (``rarity_weights``)
        masks: dict[int, np.ndarray | None] = {}  # and which of its tokens may be surviving names (``name_mask``)
        records: dict[tuple[int, int], SourceRecord] = {}  # (shard, ref) -> its record, read once per check

        def align(i: int, cands: list[Candidate]) -> tuple[list[Candidate], list[Match]]:
            """Those of ``cands`` stream ``i`` has not aligned yet, and their matches."""
            fresh = [c for c in cands if (c.shard, c.ref) not in aligned[i]]
            aligned[i].update((c.shard, c.ref) for c in fresh)
            if fresh and i not in exact:
                exact[i] = exact_shingles(streams[i].tokens, queries[i].k) if queries[i].code else queries[i].shingles
                weights[i] = rarity_weights(counts[i], float(p.rarity))
                masks[i] = _names(indexes, streams[i].tokens, p.rare_name_weight) if queries[i].code else None
            return fresh, self._align(indexes, streams[i], queries[i], fresh, common[i], counts[i], exact.get(i), blocks,
                                      weights.get(i), records, masks.get(i))

        def source_key(c: Candidate) -> tuple[str | None, str]:
            """(index name, source id) of a candidate."""
            return (self.names[c.shard] if self.names else None), _record(records, indexes, c.shard, c.ref).source_id

        for round_no in range(MAX_ROUNDS):
            batch = [_take(todo, done, first if round_no == 0 else p.max_sources)
                     for todo, done, (_, first) in zip(pending, aligned, ranked)]
            if not any(batch):
                return matches, any(r.more for r, _ in ranked)
            new: list[Match] = []
            tried: list[list[Candidate]] = []
            for i, cands in enumerate(cross_channel(indexes, batch, p.max_sources)):
                fresh, found_here = align(i, cands)
                tried.append(fresh)
                new.extend(found_here)
            if len(streams) > 1 and new:
                # a source with regions in one stream is aligned in the others too, whatever room the round had:
                # its evidence is the sum of both channels, so how many rounds it took must not change a verdict
                hit = {(m.index, m.source) for m in new}
                found = [[c for c in cands if source_key(c) in hit] for cands in tried]
                for i, cands in enumerate(cross_channel(indexes, found, 2 * sum(map(len, found)))):
                    new.extend(align(i, cands)[1])
            matches.extend(new)
            for m in new:
                by_source.setdefault((m.index, m.source), []).append(m)
            now = set()
            for key in {(m.index, m.source) for m in new} - qualified:  # weigh's test, per source
                shown = reported(by_source[key], floors, blocks, key in (held or ()))
                if known is not None:
                    known[key] = (len(by_source[key]), shown)
                if shown:
                    now.add(key)
            if not now:
                return matches, False
            qualified |= now
        return matches, any(r.more for r, _ in ranked) or any(_take(todo, done, 1) for todo, done in zip(pending, aligned))

    def _align(self, indexes: tuple[Index, ...], ts: TokenStream, query: Query, cands: list[Candidate],
               common: np.ndarray, counts: np.ndarray | None = None, out_exact: np.ndarray | None = None,
               blocks: Blocks | None = None, weights: np.ndarray | None = None,
               records: dict[tuple[int, int], SourceRecord] | None = None,
               mask: np.ndarray | None = None) -> list[Match]:
        """Regions of ``ts`` copied from each candidate, attributed and weighed; the floors are applied later, over all.

        ``common`` marks the output shingles held by too many sources: the
        tokens of a match that only such shingles cover are its
        ``boilerplate`` and do not count as evidence. ``counts``: how many
        sources hold each output shingle, which weighs the others (``Match.weight``).
        All candidates are aligned and weighed in one call. ``out_exact``: the stream's exact shingles
        (code), when the rounds made them already. ``blocks``: where the whole-block test finds each
        source's text (``Blocks.sources``). ``weights``: what each output shingle weighs
        (``rarity_weights``), ``records``: (shard, ref) -> source record, kept by the rounds, and ``mask``: which
        output tokens may be surviving names (``name_mask``), made once per stream.
        """
        if not cands:
            return []
        out, k = ts.tokens, query.k
        sources = candidate_rows(cands)
        if out_exact is None:
            out_exact = exact_shingles(out, k) if query.code else query.shingles
        counts = np.ones(query.shingles.shape[0], dtype=np.int64) if counts is None else counts
        # code: a region not verbatim is moved where its slice holds the output's exact tokens (``match.reanchor``)
        regions, (boilerplate, exact, weight, exact_weight, surviving), source_spans, spans = align_weigh_rows(
            out, query.shingles, out_exact, common, counts, float(self.policy.rarity), sources, k, query.code,
            self.policy.region_limits(ts.is_code), reanchor=query.code, weights=weights, names=mask)
        for c, (lo, hi) in zip(cands, spans.tolist()):  # what ``Candidate.span`` would compute (``cross_channel``)
            if lo >= 0:
                c.__dict__.setdefault("span", (lo, hi))
        if len(regions) == 0:
            return []
        kept = {} if records is None else records

        def record(c: int) -> SourceRecord:
            return _record(kept, indexes, cands[c].shard, cands[c].ref)

        texts: dict[int, str] = {}

        def text(c: int) -> str:  # read once per candidate, however many of its regions are renamed
            if c not in texts:
                texts[c] = indexes[cands[c].shard].source_text(cands[c].ref)
            return texts[c]

        names = self.names
        if blocks is not None:
            for c in sorted(set(regions.cand.tolist())):
                shard, ref = cands[c].shard, cands[c].ref
                key = (names[shard] if names else None, record(c).source_id)
                if key not in blocks.sources:  # (the first candidate of a source registers it)
                    blocks.sources[key] = partial(indexes[shard].source_text, ref)
                blocks.refs.setdefault(key, (shard, ref))
        return attribute_batch(
            regions, ts.text, out, ts.lang, sources, record, text,
            (lambda c: names[cands[c].shard]) if names else (lambda c: None),
            boilerplate=boilerplate if common.any() else None, exact=exact, weight=weight,
            exact_weight=exact_weight if query.code else None, source_spans=source_spans, names=surviving)


# Code blocks of an answer parsed one by one; past them, the rest of each language is parsed in one piece.
MAX_CODE_BLOCKS = 256
# Rounds of ``max_sources`` candidates per stream that one check aligns at most (then ``Verdict.truncated``).
MAX_ROUNDS = 32
# Checks of a redacted text before ``Guard.redact`` withholds the whole text.
REDACT_ROUNDS = 4


def _with_renames(m: Match, streams: list[TokenStream], indexes: tuple[Index, ...], blocks: Blocks, k: int) -> Match:
    """A near copy of code with the names it renamed (``near_rename_map``), on the tokens the check already has:
    the answer's stream, and the source's code tokens stored in the index.

    Verification aligns a near copy by runs, not token for token, so only a
    renamed or verbatim region has its renames already; a reviewer wants them
    for the copy that was renamed and lightly edited too.
    """
    key = (m.index, m.source)
    if m.kind != MatchKind.NEAR or m.renames or m.lang in PROSE_ALIASES or key not in blocks.refs:
        return m
    (a, b), (x, y) = m.output_span, m.source_span
    ts = next((ts for ts in streams if ts.is_code), None)  # (one code stream: every fence of the answer)
    if ts is None or y - x > 3 * (b - a) + 256:  # regions of places far apart in the source, merged: no one copy
        return m
    out = ts.tokens[np.flatnonzero((ts.starts >= a) & (ts.starts < b))]
    shard, ref = blocks.refs[key]
    src = indexes[shard].source_code_tokens(ref, x, y)
    i, j = near_renames(out, src, k)
    if not i.shape[0]:
        return m
    return replace(m, renames=renamed_names(ts.text, out, i, blocks.read(key), src, j))


def shared_positions(query: Query, src_sorted: np.ndarray) -> np.ndarray:
    """Sorted positions of the query's shingles that a source whose shingles are ``src_sorted`` (sorted) holds
    (``match.shared_positions``)."""
    return match_shared_positions(query.by_value, src_sorted)


def _record(records: dict[tuple[int, int], SourceRecord], indexes: tuple[Index, ...], shard: int, ref: int
            ) -> SourceRecord:
    """The record of source ``ref`` of index ``shard``, read once per check (``records`` keeps it)."""
    rec = records.get((shard, ref))
    if rec is None:
        rec = records[(shard, ref)] = indexes[shard].source(ref)
    return rec


def _names(indexes: Sequence[Index], tokens: Tokens, weight: int) -> np.ndarray:
    """Which output tokens may be surviving names (``name_mask``), each weighted by how few indexed sources' code
    holds its name (``name_weights``, ``Policy.rare_name_weight``; 0: each weighs 1, no count looked up)."""
    mask = name_mask(tokens)
    if weight <= 0:
        return mask
    if mask.any():
        mask = name_weights(mask, name_counts(indexes, tokens.exact[mask != 0]), weight)
    literals = literal_mask(tokens)
    if literals.any():  # and the literals few sources hold (``literal_weights``)
        mask = np.maximum(mask, literal_weights(literals, literal_counts(indexes, tokens.hashes[literals]), weight))
    kept = kept_mask(tokens)
    if kept.any():  # and the attributes and methods few sources hold (``kept_weights``)
        ex = tokens.exact[kept]
        mask = np.maximum(mask, kept_weights(kept, kept_counts(indexes, ex), weight, declared_counts(indexes, ex)))
    return mask


def _starts(streams: list[TokenStream]) -> np.ndarray:
    """Where the tokens and words of every stream start in the answer (what ``Blocks`` counts in a stretch)."""
    return np.concatenate([ts.starts for ts in streams]) if streams else np.zeros(0, dtype=np.int64)


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The paragraphs of a prose block (split at blank lines): each is a unit the answer shows."""
    out, at = [], start
    for gap in _BLANK_LINE.finditer(text, start, end):
        out.append((at, gap.start()))
        at = gap.end()
    out.append((at, end))
    return [(a, b) for a, b in out if b > a]


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _in_order(ts: TokenStream) -> TokenStream:
    """``ts`` with its tokens sorted by where they start (streams parsed per language interleave); no units."""
    order = np.argsort(ts.starts, kind="stable")
    return TokenStream(ts.text, ts.lang, ts.hashes[order], ts.exact[order], ts.starts[order], ts.ends[order],
                       ts.kinds[order])


def _take(todo: list[Candidate], done: set[tuple[int, int]], n: int) -> list[Candidate]:
    """Pop the next ``n`` candidates of ``todo`` not aligned yet (``done``)."""
    out: list[Candidate] = []
    while todo and len(out) < n:
        c = todo.pop(0)
        if (c.shard, c.ref) not in done:
            out.append(c)
    return out


def _require_live(indexes: tuple[Index, ...]) -> None:
    """Fail closed: a check against an index with no live passage would allow everything."""
    for index in indexes:
        if sum(e.passages - e.dead_passages for e in index.manifest.segments) <= 0:
            raise IndexStoreError(f"{index.path}: the index holds no live passages, so every check would allow; "
                                  f"index some sources first (copyguard index add)")


def _manifest_stamp(index: Index) -> tuple[int, int, int] | None:
    """Identity of the manifest file now (replaced atomically by every write), or None if it cannot be read."""
    try:
        st = os.stat(index.path / MANIFEST)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size
