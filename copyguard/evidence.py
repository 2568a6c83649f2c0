"""The evidence floor: regions of every channel that name one source are weighed together.

A copy of a documented function reaches the output as code regions (the
code channel) and word regions (its docstring and comments, the prose
channel); a renamed or edited copy may be split into several short regions.
Each region alone may be shorter than the policy's minimum span, and still
the copy is obvious. So the floors (``min_tokens_code`` tokens of code,
``min_tokens_prose`` words) apply to the sum of the evidence naming one
source: a source is reported when the shares of the floors its regions
cover add up to at least one. Regions of one source that touch in the
output (a docstring and the code around it, a doc comment and the function
under it) are then reported once, their coverage and similarity counted
over both.

Two things make the floors fair to short copies without flagging look-alikes:

- **Rarity.** A token counts by how distinctive the shared content covering it
  is: covered only by shingles that ``n`` indexed sources hold, it weighs
  ``n ** -rarity`` (``Match.weight``); a token copied with its exact names and
  literals weighs ``n ** (-rarity / 2)`` (exact text is stronger evidence than
  shared structure). Library-internal idioms (the same security check in
  five files of one package, a stock Javadoc sentence) then count for little,
  a line only one source holds counts in full.
- **Whole blocks.** A code block or paragraph of the answer that is a copy
  through and through (``block_share`` of its characters covered by regions of
  one source) is reported from ``min_tokens_block`` exact code tokens or
  ``min_words_block`` words, unweighted: the first lines of a documented
  function, a five-line function with its docstring. A look-alike rarely
  covers a whole block with exact text; a copy usually is the block. Renamed
  code tokens count too, weighted by rarity, against ``min_renamed_block``
  (shares add up): a function a minifier renamed throughout, copied alone
  without its docs, whose structure few sources hold. So do the free names
  such a copy kept at their places (``Match.names``, ``surviving_names``),
  against ``min_names_block``: a minifier never renames the module functions
  a one-statement wrapper calls, whose structure every wrapper holds. A name
  few indexed sources' code holds counts as several (``name_weights``): one
  kept ``RotateAroundXY`` says which source was copied, one ``options`` does not.

>>> from copyguard.match import Match, MatchKind
>>> doc = Match("a.py", "MIT", MatchKind.VERBATIM, 1.0, (0, 90), (10, 100), "prose", 18)
>>> code = Match("a.py", "MIT", MatchKind.VERBATIM, 1.0, (91, 200), (101, 210), "python", 24)
>>> floors = Floors(code=40, prose=30)
>>> [(m.lang, m.tokens, m.output_span) for m in weigh("x" * 90 + "\\n" + "y" * 109, [doc, code], floors)[0]]
[('python', 42, (0, 200))]
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from .compiled import core
from .index.arrays import isin_sorted, sorted_unique
from .index.query import SliceRows, TokenSlices
from .match import MAX_TILES, Limits, Match, MatchKind, Region, Regions, align_batch
from .match import reanchor as match_reanchor
from .normalize import PROSE_ALIASES
from .normalize.tokens import STR, Kind, Tokens, hash_string
from .sketch import _ID_LABELS, exact_shingles, stream_shingles

_WORD = re.compile(r"\w")
_MAX_GAP_CHARS = 200
_WEAKNESS = {MatchKind.VERBATIM: 0, MatchKind.RENAMED: 1, MatchKind.NEAR: 2}


@dataclass(frozen=True)
class Floors:
    """What the matches naming one source must reach to be reported (``Policy.floors()`` gives the defaults)."""

    code: int = 32  # rarity-weighted code tokens ...
    prose: int = 24  # ... or words (shares of the floors add up)
    exact: int = 32  # code tokens copied with their exact names and literals weigh against this floor
    region: int = 16  # a region shorter than this counts only toward a whole-block copy
    block_share: float = 0.75  # share of an answer's block (code block, paragraph) a whole-block copy covers
    block_code: int = 14  # a whole-block copy: this many exact code tokens ...
    block_words: int = 8  # ... or words (shares add up), unweighted
    block_region: int = 8  # the shortest region a whole-block copy counts
    block_renamed: int = 0  # ... or rarity-weighted renamed code tokens (shares add up; 0: they do not count)
    block_names: int = 0  # ... or surviving names of code regions (``Match.names``; shares add up; 0: they do not count)


class Blocks:
    """The units an answer shows (its code blocks and prose paragraphs): how much of them some spans cover.

    ``tokens``: where the answer's tokens and words start (every stream),
    ``code``: where its code tokens start, and ``short``: the stretch of a unit
    before its first covered span, and the one after its last, when that span
    is words and the stretch holds code and fewer than this many tokens and
    words, is left out of the share. No region that short is counted, so the
    test cannot tell whether it was copied: the signature line above a copied
    docstring (``def f(x):``, 5 tokens) or below a copied doc comment
    (``static Executor screenExecutor(Executor e) {``). The end of a paragraph
    of prose stays counted: a sentence cut short is not a signature.

    >>> b = Blocks("intro text\\n\\nx = 1\\ny = 2\\n", [(0, 10), (12, 24)])
    >>> round(b.share([(12, 17)]), 2), b.share([]), round(b.share([(0, 5), (12, 24)]), 2)
    (0.5, 0.0, 0.73)
    >>> short = Blocks(b.text, [(0, 10), (12, 24)], tokens=[0, 6, 12, 14, 16, 18, 20, 22], short=4, code=[18, 20, 22])
    >>> short.share([(12, 17)]), short.share([(12, 17)], words=[(12, 17)])
    (0.5, 1.0)
    >>> round(short.share([(0, 5)], words=[(0, 5)]), 2)  # the rest of the paragraph holds no code
    0.56

    ``inner``: the spans of the words inside the code (docstrings, comments,
    long strings: the prose stream's spans in code blocks). A docstring is one
    ``<STR>`` token of the code channel, so a code region holding it spans its
    words without having compared them (a signature of typed keywords like
    another source's, over a docstring of its own): code regions do not cover
    the words of a docstring (a span that starts where a token of ``code``
    does, first on its line, after a ``:`` or nothing else of its unit) in
    which no region of words of the same source lies. One that does was
    compared, and found copied at least in part (a minifier's docstring whose
    ``\\n`` escapes break some of its shingles): the code region covers it as
    before. So it does a string that is a part of a statement (a message
    passed to a call: an f-string's words hold names a renamed copy changed,
    its statement was aligned) and comments, which are no tokens (a copy
    with comments of its own added inside).

    >>> doc = Blocks("def f(a, b):\\n    '''Add two numbers.'''\\n", [(0, 40)], code=[0, 4, 5, 17],
    ...              inner=[(17, 39)])
    >>> round(doc.share([(0, 39)]), 2), doc.share([(0, 39), (20, 24)], words=[(20, 24)])
    (0.57, 1.0)
    """

    def __init__(self, text: str, units: Sequence[tuple[int, int]], tokens: np.ndarray | None = None,
                 short: int = 0, code: np.ndarray | None = None, inner: Iterable[tuple[int, int]] = ()):
        self.text = text
        ordered = sorted((int(a), int(b)) for a, b in units if b > a)
        self._starts, self._ends = [a for a, _ in ordered], [b for _, b in ordered]  # searched by bisect
        # the docstrings among ``inner`` (a string is a code token, a comment is not), and their words: from the
        # first letter or digit to the last (the quotes stay code's)
        spans = sorted((int(s), int(e)) for s, e in inner if e > s)
        if code is not None and spans:  # (a set: np.isin's sort costs more than the few spans it would test)
            starts = set(np.asarray(code, dtype=np.int64).tolist())
            spans = [p for p in spans if p[0] in starts]
        self._inner = [(s, e) for s, e in spans if self._is_docstring(s)]
        self._inner_starts = [s for s, _ in self._inner]
        self._words = [(m.start(), _last_word(text, m.start(), e)) if m is not None else (e, e)
                       for s, e in self._inner for m in [_WORD.search(text, s, e)]]
        self.starts = np.array(self._starts, dtype=np.int64)
        self.ends = np.array(self._ends, dtype=np.int64)
        self._raw = (tokens, code)
        self._tokens: list[int] | None = None  # sorted on first use: only the block test needs them
        self._code: list[int] | None = None
        self.short = short
        self._filled: np.ndarray | None = None
        self._shares: dict[tuple, float] = {}  # a source's regions are tested each round and again by ``weigh``
        self._asked: dict[tuple, float] = {}  # ... and ``share``'s arguments as given (many sources, one copy)
        # (index, source id) -> its text, read on demand: what ``agreeing`` compares a match's surroundings with
        self.sources: dict[tuple[str | None, str], Callable[[], str]] = {}
        self.refs: dict[tuple[str | None, str], tuple[int, int]] = {}  # ... and its (shard, ref) in the check's indexes
        self._texts: dict[tuple[str | None, str], str] = {}  # ... each read once per check (``read``)

    def read(self, key: tuple[str | None, str]) -> str:
        """The text of source ``key`` (``(index, source id)``, registered in ``sources``), read once per check: the
        rounds test a source's regions each round, and ``weigh`` merges them after."""
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self.sources[key]()
        return text

    @classmethod
    def whole(cls, text: str, tokens: np.ndarray | None = None, short: int = 0, code: np.ndarray | None = None,
              inner: Iterable[tuple[int, int]] = ()) -> Blocks:
        return cls(text, [(0, len(text))], tokens, short, code, inner)

    def _prefix(self) -> np.ndarray:
        """Non-blank characters before each position (made on first use: only the block test needs it)."""
        if self._filled is None:
            codes = np.frombuffer(self.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            blank = _IS_BLANK[np.minimum(codes, _IS_BLANK.shape[0] - 1)]
            self._filled = np.concatenate([[0], np.cumsum(~blank)])
        return self._filled

    def share(self, spans: Iterable[tuple[int, int]], words: Iterable[tuple[int, int]] = (),
              within: Iterable[tuple[int, int]] = (), agreed: Iterable[tuple[int, int]] = ()) -> float:
        """Non-blank characters the union of ``spans`` covers, over those of the units the spans touch.

        ``words``: those of the spans that are words (docstrings, comments,
        prose); a unit's stretch before its first span or after its last one,
        when that span is words and the stretch holds code and fewer than
        ``short`` tokens, is left out (see the class). ``within``: spans that
        cover only inside the units ``spans`` touch (regions too short to make
        a unit a copy, long enough to say that part of it was copied).
        Spans not in ``words`` are code: the words of a long string (``inner``)
        they hold are cut out of them, unless some span of ``words`` lies in
        that string (its words were compared then, found copied in part).
        ``agreed``: stretches whose text equals the source's (``agreeing``),
        covering like ``within``, never cut.
        """
        if not self._starts:
            return 0.0
        spans, words, within, agreed = tuple(spans), tuple(words), tuple(within), tuple(agreed)
        asked = (spans, words, within, agreed)
        known = self._asked.get(asked)
        if known is None:
            known = self._asked[asked] = self._share_of(spans, words, within, agreed)
        return known

    def _share_of(self, spans: Sequence[tuple[int, int]], words: Sequence[tuple[int, int]],
                  within: Sequence[tuple[int, int]], agreed: Sequence[tuple[int, int]]) -> float:
        """``share`` of spans not asked about before in this check (the sources of one copy share their spans)."""
        if self._inner:
            said_words = set(words)
            compared = self._compared(said_words)
            spans = [p for s in spans for p in ([s] if s in said_words else self._code_only(s, compared))]
            within = [p for s in within for p in ([s] if s in said_words else self._code_only(s, compared))]
        main = _merged_spans(spans)
        if not main:
            return 0.0
        said = sorted(set(words)) if self.short > 0 else []
        every = _merged_spans([*main, *within, *agreed]) if within or agreed else main
        key = (tuple(main), tuple(said), tuple(every))
        known = self._shares.get(key)
        if known is None:
            known = self._shares[key] = self._share(main, every, said)
        return known

    def _is_docstring(self, at: int) -> bool:
        """Whether the string starting at ``at`` is a statement of its own: first on its line, after a block's ``:``
        or nothing of its unit (a docstring), not a part of a statement (a message passed to a call, a value)."""
        line = self.text.rfind("\n", 0, at) + 1
        if self.text[line:at].strip():
            return False
        u = bisect_right(self._starts, at) - 1
        lo, i = (self._starts[u] if u >= 0 and at < self._ends[u] else 0), line - 1
        while i >= lo and self.text[i].isspace():
            i -= 1
        return i < lo or self.text[i] == ":"

    def _compared(self, words: Iterable[tuple[int, int]]) -> set[int]:
        """The long strings (indexes into ``inner``) that one of the spans ``words`` lies in."""
        out = set()
        for a, b in words:
            i = bisect_right(self._inner_starts, a) - 1
            if i >= 0 and self._inner[i][0] <= a and b <= self._inner[i][1]:
                out.add(i)
        return out

    def _code_only(self, span: tuple[int, int], compared: set[int]) -> list[tuple[int, int]]:
        """``span`` less the words of the long strings (``inner``) it holds, those in ``compared`` left."""
        a, b = span
        out = []
        for i in range(max(bisect_right(self._inner_starts, a) - 1, 0), len(self._inner)):
            lo, hi = self._words[i]
            if lo >= b:
                break
            if hi <= a or i in compared:
                continue
            if lo > a:
                out.append((a, lo))
            a = max(a, hi)
        if b > a:
            out.append((a, b))
        return out

    def _share(self, main: list[tuple[int, int]], every: list[tuple[int, int]], said: list[tuple[int, int]]
               ) -> float:
        """``share`` of merged spans: ``main`` picks the units, ``every`` (``main`` and ``within``) covers them."""
        starts, ends = self._starts, self._ends
        touched: set[int] = set()
        for a, b in main:
            touched.update(u for u in range(bisect_right(ends, a), bisect_left(starts, b))
                           if min(b, ends[u]) > max(a, starts[u]))
        filled = self._prefix()
        inside: dict[int, list[tuple[int, int]]] = defaultdict(list)
        covered = 0
        for a, b in every:
            for u in range(bisect_right(ends, a), bisect_left(starts, b)):
                lo, hi = max(a, starts[u]), min(b, ends[u])
                if hi > lo and u in touched:
                    inside[u].append((lo, hi))
                    covered += int(filled[hi] - filled[lo])
        total = 0
        for u, parts in inside.items():
            start, end = starts[u], ends[u]
            total += int(filled[end] - filled[start])
            if said:
                lo, hi = parts[0][0], parts[-1][1]
                if any(max(a, start) == lo and b > a for a, b in said):
                    total -= self._unreadable(start, lo)
                if any(min(b, end) == hi and b > a for a, b in said):
                    total -= self._unreadable(hi, end)
        return min(covered / total, 1.0) if total > 0 else 0.0

    def by_unit(self, matches: Sequence[Match]) -> list[list[Match]]:
        """``matches`` grouped by the unit their output span starts in (those starting outside every unit left out)."""
        groups: dict[int, list[Match]] = defaultdict(list)
        for m in matches:
            u = bisect_right(self._starts, m.output_span[0]) - 1
            if u >= 0 and m.output_span[0] < self._ends[u]:
                groups[u].append(m)
        return list(groups.values())

    def agreeing(self, matches: Sequence[Match]) -> list[tuple[int, int]]:
        """The stretches next to each match, inside its unit, whose text equals the source's next to its copy.

        Compared on non-blank characters, outwards from each end of the match
        up to the first one that differs: the ``/**`` and ``*/`` around copied
        words, a doc comment of three words above a copied method, the
        signature line under a copied doc comment. What is there is known to
        be the source's text, so it covers (it is never evidence). Beside a
        region of code, a stretch holding code tokens is left out: the code
        next to a code region was aligned already (what agrees there is
        closing brackets, not a copy). Empty when the source's text was not
        registered in ``sources``.
        """
        if self._tokens is None or self._code is None:
            self._sort_tokens()
        code = self._code or []
        out: list[tuple[int, int]] = []
        for m in matches:
            if (m.index, m.source) not in self.sources:
                continue
            src = self.read((m.index, m.source))
            (o0, o1), (s0, s1) = m.output_span, m.source_span
            words = m.lang in PROSE_ALIASES
            far = m.kind == MatchKind.VERBATIM  # a look-alike's surroundings: the first stretch only
            u = bisect_right(self._starts, max(o0, o1 - 1)) - 1
            if u >= 0 and self._ends[u] > o1:
                end = self._ends[u]
                n = _whole_lines(self.text, o1, _agree_far(self.text[o1:end], src, s1, True, far), end)
                if n and (words or bisect_left(code, o1 + n) == bisect_left(code, o1)):
                    out.append((o1, o1 + n))
            u = bisect_right(self._starts, o0) - 1
            if u >= 0 and self._starts[u] < o0 < self._ends[u]:
                start = self._starts[u]
                n = _whole_lines(self.text, o0, _agree_far(self.text[start:o0][::-1], src, s0, False, far), start)
                if n and (words or bisect_left(code, o0) == bisect_left(code, o0 - n)):
                    out.append((o0 - n, o0))
        return out

    def _sort_tokens(self) -> None:
        self._tokens, self._code = (np.sort(np.asarray(a if a is not None else [], dtype=np.int64)).tolist()
                                    for a in self._raw)

    def _unreadable(self, lo: int, hi: int) -> int:
        """Non-blank characters of ``text[lo:hi]`` when it holds code and fewer than ``short`` tokens, else 0."""
        if hi <= lo:
            return 0
        if self._tokens is None or self._code is None:
            self._sort_tokens()
        assert self._tokens is not None and self._code is not None
        n = bisect_left(self._tokens, hi) - bisect_left(self._tokens, lo)
        code = bisect_left(self._code, hi) - bisect_left(self._code, lo)
        return int(self._prefix()[hi] - self._prefix()[lo]) if 0 < code and n < self.short else 0


def _whole_lines(text: str, at: int, n: int, limit: int) -> int:
    """``n`` characters of ``text`` from ``at`` (backwards when ``limit < at``), cut back to whole lines.

    The rest of the line the stretch starts on counts; a line it ends inside
    (``public void`` of a signature that goes on otherwise) does not.

    >>> _whole_lines("x */\\npublic void f() {", 1, 13, 20), _whole_lines("x */\\npublic void f() {", 1, 20, 20)
    (3, 20)
    """
    if n <= 0:
        return 0
    if limit >= at:
        end = at + n
        if end >= limit or not text[end:limit].split("\n", 1)[0].strip():
            return n
        cut = text.rfind("\n", at, end)
        return cut - at if cut > at else 0
    start = at - n
    if start <= limit or not text[limit:start].rsplit("\n", 1)[-1].strip():
        return n
    cut = text.find("\n", start, at)
    return at - cut - 1 if 0 <= cut < at - 1 else 0


def _agree(a: str, b: str) -> int:
    """Characters of ``a`` up to its last non-blank one that, blanks left out, equal ``b``'s from the start.

    >>> _agree("  */\\n  void f(int x) {", " */\\nvoid f(int y) {")
    17
    """
    if not a or not b:
        return 0
    # most stretches differ within a few characters: those are compared here, before any array is made
    i = j = last = 0
    for _ in range(_AGREE_QUICK):
        while i < len(a) and a[i] in _BLANK_CHARS:
            i += 1
        while j < len(b) and b[j] in _BLANK_CHARS:
            j += 1
        if i == len(a) or j == len(b) or a[i] != b[j]:
            return last
        i, j, last = i + 1, j + 1, i + 1
    ca = np.frombuffer(a.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cb = np.frombuffer(b.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    at = np.flatnonzero(~_IS_BLANK[np.minimum(ca, _IS_BLANK.shape[0] - 1)])
    vb = cb[~_IS_BLANK[np.minimum(cb, _IS_BLANK.shape[0] - 1)]]
    n = min(at.shape[0], vb.shape[0])
    differ = np.flatnonzero(ca[at[:n]] != vb[:n])
    same = int(differ[0]) if differ.shape[0] else n
    return int(at[same - 1]) + 1 if same else 0


def _agree_far(a: str, src: str, at: int, forward: bool, far: bool = True) -> int:
    """``_agree`` of ``a`` (the answer's text beside a match, reversed when not ``forward``) with ``src`` from ``at``
    on (before ``at``, reversed): the first ``_AGREE_CHARS`` of ``a``, and all of it when those agree throughout
    and ``far`` (the match is verbatim).

    A file's header (a license notice, which is not indexed: no region covers it) can be longer than the
    first stretch compared: a raw file copied whole is then covered through its header. Only beside a
    verbatim match: sibling files of one package share the header and a look-alike doc comment (OpenJDK's
    ``IntToLongFunction`` and ``DoubleToLongFunction``), and the copy is the verbatim one.

    >>> src = "HEAD" * 300 + "copied words"
    >>> _agree_far(("HEAD" * 300)[::-1], src, 1200, False), _agree_far(("HEED" * 300)[::-1], src, 1200, False)
    (1200, 1)
    """
    def compare(n: int) -> int:
        b = src[at : at + 2 * n] if forward else src[max(at - 2 * n, 0) : at][::-1]
        return _agree(a[:n], b)

    got = compare(_AGREE_CHARS)
    if not far or len(a) <= _AGREE_CHARS or a[got:_AGREE_CHARS].strip():
        return got
    return compare(len(a))


# How far (characters) ``Blocks.agreeing`` first compares the answer with the source beside a match (``_agree_far``).
_AGREE_CHARS = 400


def _last_word(text: str, start: int, end: int) -> int:
    """Where the last letter or digit of ``text[start:end]`` ends (``start`` when there is none)."""
    while end > start and not _WORD.match(text, end - 1):
        end -= 1
    return end


def _merged_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-empty spans, sorted, overlapping and touching ones merged."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        elif b > a:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


_BLANKS = np.array([9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F,
                    0x3000, 0xFEFF], dtype=np.uint32)
_IS_BLANK = np.zeros(0xFF01, dtype=bool)  # every code point of _BLANKS is below 0xFF00: the last entry is no blank
_IS_BLANK[_BLANKS] = True
_BLANK_CHARS = frozenset(chr(c) for c in _BLANKS.tolist())
_AGREE_QUICK = 16  # non-blank characters ``_agree`` compares one by one before it compares arrays


def weigh(text: str, matches: Iterable[Match], floors: Floors, blocks: Blocks | None = None,
          blocks_only: set[tuple[str | None, str]] | None = None,
          known: dict[tuple[str | None, str], tuple[int, list[Match]]] | None = None
          ) -> tuple[list[Match], tuple[str, ...]]:
    """The matches of the sources whose evidence reaches the floors, touching ones of a source merged.

    Also returns the sources that reach the floors only when boilerplate and
    content many sources hold count in full: they are not reported, and the
    check report says they were discounted. ``blocks_only``: (index, source)
    keys that only the whole-block test may report (found by held shingles, not bands).
    ``known``: (index, source) -> (n, what ``reported`` gave for its first ``n`` matches, these
    floors, blocks and ``blocks_only``), as the check's rounds tested them: not tested again.
    """
    by_source: dict[tuple[str | None, str], list[Match]] = defaultdict(list)
    for m in matches:
        by_source[(m.index, m.source)].append(m)
    out: list[Match] = []
    discounted = []
    known = known or {}
    for (index, source), found in by_source.items():
        n, shown = known.get((index, source), (-1, []))
        if n != len(found):
            shown = reported(found, floors, blocks, (index, source) in (blocks_only or ()))
        if shown:
            key = (index, source)
            read = partial(blocks.read, key) if blocks is not None and key in blocks.sources else None
            out.extend(merge_touching(text, shown, read))
        elif evidence(found, floors, with_boilerplate=True) >= 1.0:
            discounted.append(source)
    return out, tuple(discounted)


def reported(matches: list[Match], floors: Floors, blocks: Blocks | None = None, block_only: bool = False
             ) -> list[Match]:
    """The matches of one source to report: none when its evidence reaches no floor.

    The floors first (regions of ``floors.region`` tokens and more, weighted by
    rarity; skipped when ``block_only``), then the whole-block test (regions of
    ``floors.block_region`` and more, exact tokens and words unweighted,
    covering ``floors.block_share`` of the blocks they touch; shorter regions of words cover, and count only
    when they touch counted code of the source in the answer and in the source: ``beside_code``).
    """
    if not block_only and evidence(matches, floors) >= 1.0:
        return [m for m in matches if m.tokens >= floors.region]
    if blocks is None:
        return []
    short = [m for m in matches if m.tokens >= floors.block_region]
    beside = beside_code(matches, short, floors, blocks)
    short += beside
    if block_evidence(short, floors, beside) < 1.0:
        return []
    words = [m.output_span for m in matches if m.lang in PROSE_ALIASES]
    tiny = [m.output_span for m in matches if m.tokens < floors.block_region]
    spans = [m.output_span for m in short]
    if blocks.share(spans, words, tiny) >= floors.block_share:
        return short
    # the text beside the regions that equals the source's covers too (the stretches a region is too short to hold)
    agree = blocks.agreeing(matches)
    if agree and blocks.share(spans, words, tiny, agree) >= floors.block_share:
        return short
    # one block copied through and through is a whole copy, whatever else of the answer the source's regions touch
    for group in blocks.by_unit(short):
        if len(group) < len(short) and block_evidence(group, floors, beside) >= 1.0:
            mine = [m.output_span for m in group]
            if max(blocks.share(mine, words, tiny), blocks.share(mine, words, tiny, agree) if agree else 0.0
                   ) >= floors.block_share:
                return short
    return []


def beside_code(matches: Sequence[Match], counted: Sequence[Match], floors: Floors, blocks: Blocks) -> list[Match]:
    """Regions of words too short to count alone that touch a counted region of code of the same source, both in
    the answer and in the source: one copy of a doc comment and the code under it (or of a docstring and the
    signature over it), read as two regions.

    A short doc comment (``Supports ForkJoinTask exception propagation.``, 4 words) is no evidence by itself: a
    phrase that short is anywhere. Copied with the signature under it, in the source's order and with nothing
    but punctuation between (``*/``, quotes), it is the same copy as the code, and its words count toward the
    whole-block test. Only regions whose words are not boilerplate count (``Match.exact``), beside code with
    ``floors.block_region`` exact tokens; the source's text must say they touch there too.
    """
    code = [m for m in counted if m.lang not in PROSE_ALIASES and m.exact >= floors.block_region]
    if not code:
        return []
    out: list[Match] = []
    for m in matches:
        if m.lang not in PROSE_ALIASES or m.tokens >= floors.block_region or m.exact <= 0:
            continue
        if (m.index, m.source) not in blocks.sources:
            continue
        for c in code:
            if c.source != m.source or c.index != m.index or \
                    not spans_touch(blocks.text, m.output_span, c.output_span):
                continue
            if spans_meet(m.source_span, c.source_span):  # (nearest_occurrence leaves m there, and they touch)
                out.append(m)
                break
            src = blocks.read((m.index, m.source))
            if spans_touch(src, nearest_occurrence(m, c, src).source_span, c.source_span):
                out.append(m)
                break
    return out


def spans_touch(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether spans ``a`` and ``b`` of ``text`` overlap or have nothing but punctuation and blanks between them.

    >>> spans_touch("x */ int f", (0, 1), (5, 10)), spans_touch("x */ @Foo int f", (0, 1), (10, 15))
    (True, False)
    """
    (a0, a1), (b0, b1) = sorted((a, b))
    return b0 <= a1 or (b0 - a1 <= _MAX_GAP_CHARS and not _WORD.search(text, a1, b0))


def evidence(matches: list[Match], floors: Floors, with_boilerplate: bool = False) -> float:
    """Sum over the regions of ``floors.region`` tokens and more of the share of its channel's floor each spans.

    1.0 and more: enough. A region counts its rarity-weighted tokens
    (``Match.weight``; its tokens minus boilerplate when it was not weighed);
    code tokens copied with their exact names and literals (``Match.exact``,
    weighed in ``Match.exact_weight``) weigh against ``floors.exact``, the
    others against ``floors.code``: independent code of one task shares its
    structure, rarely 20 tokens of it as written. ``with_boilerplate``: every
    token counts 1, boilerplate included (what ``weigh`` calls discounted).
    """
    total = 0.0
    region = floors.region
    prose, exact_floor, code = max(floors.prose, 1), max(floors.exact, 1), max(floors.code, 1)
    for m in matches:
        if m.tokens < region:
            continue
        if with_boilerplate:
            counted, exact = float(m.tokens), float(min(m.exact, m.tokens))
        else:
            counted = float(m.tokens - m.boilerplate) if m.weight is None else m.weight
            exact = float(min(m.exact, counted)) if m.exact_weight is None else m.exact_weight
        if m.lang in PROSE_ALIASES:
            total += counted / prose
            continue
        total += exact / exact_floor + (counted - exact) / code
    return total


def block_evidence(matches: list[Match], floors: Floors, beside: Sequence[Match] = ()) -> float:
    """The whole-block test's evidence: words and exact code tokens (``Match.exact``: repeats once), unweighted,
    renamed code tokens weighted by rarity (``Match.weight`` less ``Match.exact_weight``) against ``block_renamed``,
    and the names a renamed copy kept (``Match.names``) against ``block_names``.

    Regions of ``floors.block_region`` tokens and more count, and those of ``beside`` whatever their length
    (``beside_code``: short words that touch counted code of their source)."""
    total = 0.0
    extra = {id(m) for m in beside} if beside else ()
    region, words, code = floors.block_region, max(floors.block_words, 1), max(floors.block_code, 1)
    renamed_floor, names_floor = floors.block_renamed, floors.block_names
    for m in matches:
        if m.tokens >= region or id(m) in extra:
            if m.lang in PROSE_ALIASES:
                total += m.exact / words
                continue
            total += m.exact / code
            if renamed_floor and m.weight is not None:
                renamed = m.weight - (m.exact_weight if m.exact_weight is not None else 0.0)
                total += (0.0 if renamed < 0.0 else renamed) / renamed_floor  # (max(renamed, 0.0))
            if names_floor:
                total += m.names / names_floor
    return total


def region_evidence(out_sh: np.ndarray, out_exact: np.ndarray, common: np.ndarray, counts: np.ndarray,
                    exponent: float, sources: TokenSlices, regions: Regions, k: int, code: bool,
                    out: Tokens | None = None, names: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What each region of ``regions`` weighs: ``(boilerplate, exact, weight, exact_weight, names)`` arrays.

    Per region: its tokens no shared non-boilerplate shingle covers (``Match.boilerplate``), its exact
    tokens (``Match.exact``), its rarity weight (``Match.weight``) and, for code, the part of it from
    the exact tokens (``Match.exact_weight``; NaN for words) and, given the output's tokens ``out``,
    its surviving names (``Match.names``, ``surviving_names``; else 0). ``out_exact``: the output's exact
    shingles (code; any array of the shingles' length for words); ``counts``: how many sources hold
    each output shingle. ``names``: ``name_weights`` of the output's tokens (``name_mask(out)`` when not given).
    The compiled twin weighs every region of a round in one call.
    """
    c = core()
    naming = out is not None and code
    if naming and names is None and out is not None:
        names = name_mask(out)
    if c is not None:
        t = sources.tokens
        weights = np.maximum(counts, 1).astype(np.float64) ** -exponent  # as ``rarity`` makes them, once
        return c.region_evidence(
            np.ascontiguousarray(out_sh, dtype=np.uint64), np.ascontiguousarray(out_exact, dtype=np.uint64),
            np.ascontiguousarray(common, dtype=np.uint8), np.ascontiguousarray(weights),
            np.ascontiguousarray(t.hashes, dtype=np.uint64), np.ascontiguousarray(t.exact, dtype=np.uint64),
            np.ascontiguousarray(t.kinds, dtype=np.uint8), np.ascontiguousarray(sources.offsets, dtype=np.int64),
            np.ascontiguousarray(regions.cand, dtype=np.int64), np.ascontiguousarray(regions.tok, dtype=np.int64),
            k, code, _ID_LABELS, *((np.ascontiguousarray(out.exact, dtype=np.uint64),
                                    np.ascontiguousarray(out.kinds, dtype=np.uint8), names,
                                    np.ascontiguousarray(out.hashes, dtype=np.uint64))
                                   if naming and out is not None else ()))
    n = len(regions)
    boilerplate, exact = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    weight, exact_weight = np.zeros(n, dtype=np.float64), np.full(n, np.nan)
    kept = np.zeros(n, dtype=np.int64)
    mask = names if naming else None
    src_sh = np.zeros(0, dtype=np.uint64)
    for i in range(n):
        ci = int(regions.cand[i])
        if i == 0 or ci != int(regions.cand[i - 1]):
            src_sh = np.sort(stream_shingles(sources[ci], k, code))
        r = regions.region(i)
        shared = rarity(out_sh, common, counts, src_sh, r, k, 0.0, once=False)
        boilerplate[i] = r.out_tok[1] - r.out_tok[0] - int(np.count_nonzero(shared))
        w = rarity(out_sh, common, counts, src_sh, r, k, exponent)
        if code:  # exact runs of the region: against the source's region only, its cost
            src_exact = sorted_unique(exact_shingles(sources[ci][r.src_tok[0] : r.src_tok[1]], k))
            is_exact = covered(out_exact, common, src_exact, r, k) & (w > 0)
            exact_weight[i] = float(np.sqrt(w[is_exact]).sum())
            exact[i] = int(np.count_nonzero(is_exact))
            weight[i] = float(w[~is_exact].sum()) + exact_weight[i]
            if mask is not None and out is not None:
                kept[i] = surviving_names(out, mask, sources[ci], r, k, is_exact)
        else:  # words are compared as written: every covered word is exact
            exact[i] = int(np.count_nonzero(w))
            weight[i] = float(w.sum())
    return boilerplate, exact, weight, exact_weight, kept


# An identifier of fewer characters than this is no surviving name: a renamer's own names are one or two letters,
# and three-letter ones are conventions independent code shares (``Any`` of a typed signature, tuning negatives).
MIN_NAME_CHARS = 4


def name_mask(out: Tokens) -> np.ndarray:
    """The output tokens that may count as surviving names (uint8): identifiers (``Kind.IDENT``, names the
    normalizer replaced by placeholders) of ``MIN_NAME_CHARS`` characters and more that the output does not bind.

    A name the output declares (after ``def``, ``function``, ``class``, ``let``...), assigns (``name =``,
    not ``name ==``; ``a, b :=``, Go's and Python's ``:=``) or takes as a parameter (``parameters``) is its own,
    wherever it occurs: a copy whose
    parameters were renamed keeps its function's name, and independent code its conventional ones
    (``_LOGGER = logging.getLogger(__name__)``, ``*args, **kwargs`` passed through); the free names it calls
    and passes are the source's.

    >>> from copyguard.normalize import normalize
    >>> ts = normalize("def ratio(part, whole):\\n    total = base_ratio(part, whole)\\n    return total == whole\\n", "python")
    >>> [ts.token_text(i) for i in np.flatnonzero(name_mask(ts.tokens))]
    ['base_ratio']
    """
    c = core()
    if c is not None:
        return c.name_mask(out.exact, out.kinds, out.starts, out.ends, _CLASS_KEYS, _CLASS_VALUES, _ASSIGN,
                           MIN_NAME_CHARS)
    ex = out.exact
    cls = parameter_classes(ex, out.kinds)
    ok = (out.kinds == Kind.IDENT) & (out.ends - out.starts >= MIN_NAME_CHARS)
    bound = np.zeros(ex.shape[0], dtype=bool)
    bound[1:] = (cls[:-1] == P_FUNCTION) | (cls[:-1] == P_FUNC) | (cls[:-1] == P_DECLARE)
    assigned = np.zeros(ex.shape[0], dtype=bool)
    assigned[:-1] = ex[1:] == _ASSIGN
    assigned[:-2] &= ex[2:] != _ASSIGN
    bound |= assigned
    for w in np.flatnonzero((cls[:-1] == P_COLON) & (ex[1:] == _ASSIGN)):  # a, b := (not := =)
        if w + 2 < ex.shape[0] and ex[w + 2] == _ASSIGN:
            continue
        j = w - 1
        while j >= 0 and out.kinds[j] == Kind.IDENT:
            bound[j] = True
            if j < 2 or cls[j - 1] != P_COMMA:
                break
            j -= 2
    bound |= parameters_reference(cls, out.kinds)
    if bound.any():
        ok &= ~isin_sorted(ex, sorted_unique(ex[bound & (out.kinds == Kind.IDENT)]))
    return ok.astype(np.uint8)


def name_weights(mask: np.ndarray, counts: np.ndarray, weight: int) -> np.ndarray:
    """``mask`` (``name_mask``) with each name weighted by its rarity: a name the code of ``n`` indexed sources
    holds counts ``max(1, weight // n)`` names (at most 255; ``weight`` 0: each counts 1).

    ``counts``: how many sources hold the name of each token of the mask (``Index.name_counts``, in the order of
    ``np.flatnonzero(mask)``). A module function one file defines
    and one calls says which source was copied; ``options`` or ``callback`` says little.

    >>> name_weights(np.array([1, 0, 1, 1], np.uint8), np.array([1, 2, 9]), 6).tolist()
    [6, 0, 3, 1]
    """
    out = np.asarray(mask, dtype=np.uint8).copy()
    if weight <= 0:
        return out
    at = np.flatnonzero(out)
    n = np.maximum(np.asarray(counts, dtype=np.int64), 1)
    out[at] = np.clip(weight // n, 1, 255).astype(np.uint8)
    return out


def literal_weights(mask: np.ndarray, counts: np.ndarray, weight: int) -> np.ndarray:
    """The output's literals (``mask``: ``literal_mask``) weighted as kept names (uint8): a literal the code of
    ``n`` indexed sources holds counts ``weight // n`` names (at most 255), 0 when more hold it.

    A minifier keeps a string as it was (``PropertyValueSet(e, "alpha", ...)``), only its quotes change.
    Unlike a name, a literal many sources hold counts nothing: ``"function"`` of a ``typeof`` test is in
    every file. ``counts``: per literal of ``mask``, in order (``Index.literal_counts``).

    >>> literal_weights(np.array([True, False, True, True]), np.array([1, 9, 30]), 18).tolist()
    [18, 0, 2, 0]
    """
    out_w = np.zeros(np.asarray(mask).shape[0], dtype=np.uint8)
    at = np.flatnonzero(mask)
    n = np.asarray(counts, dtype=np.int64)
    out_w[at] = np.clip(np.where(n > 0, weight // np.maximum(n, 1), 0), 0, 255).astype(np.uint8)
    return out_w


def literal_mask(out: Tokens) -> np.ndarray:
    """The output's literals (``Kind.LITERAL``) of ``MIN_NAME_CHARS`` characters and more (bool), hashed by their
    contents: a long string (docstring, message) is the words channel's and its hash is the ``<STR>`` placeholder,
    which every long string shares (counted as a name, any docstring would "survive" as any other).

    >>> from copyguard.normalize import normalize
    >>> src = "def f(a):\\n    '''Return the value we compute for you.'''\\n    return g(a, 'abc1', 'a')\\n"
    >>> t = normalize(src, "python").tokens
    >>> [src[t.starts[i]:t.ends[i]] for i in np.flatnonzero(literal_mask(t))]
    ["'abc1'"]
    """
    return (out.kinds == Kind.LITERAL) & (out.ends - out.starts >= MIN_NAME_CHARS) & (out.hashes != STR)


def kept_weights(mask: np.ndarray, counts: np.ndarray, weight: int, declared: np.ndarray | None = None
                 ) -> np.ndarray:
    """The output's kept names (``mask``: ``kept_mask``) weighted by their rarity alone (uint8): one the code of ``n`` indexed
    sources holds counts ``weight // n`` names (at most 255), 0 when more hold it or when no indexed source
    declares it (``declared``, per token as ``counts``: ``Index.declared_counts``; ``logging.getLogger`` is
    called by whoever logs, declared by none of them).

    A minifier never renames an attribute or a method (``this.clearGcTimeout()``, ``getQueryCache() {``), so the
    normalizer keeps them as written and they are in the copy's exact runs, which the whole-block test counts one
    token each: a one-statement member is then under its floor of exact tokens, while its one rare kept name says
    which source it is. Unlike the identifiers' (``name_weights``), a common one counts nothing (``length``,
    ``push``, ``this`` are in every file), and a rare one counts inside exact runs too (``surviving_names``).
    ``counts``: per token of ``mask``, in order (``Index.kept_counts``).
    """
    out_w = np.zeros(np.asarray(mask).shape[0], dtype=np.uint8)
    at = np.flatnonzero(mask)
    n = np.asarray(counts, dtype=np.int64)
    ok = n > 0 if declared is None else (n > 0) & (np.asarray(declared, dtype=np.int64) > 0)
    out_w[at] = np.clip(np.where(ok, weight // np.maximum(n, 1), 0), 0, 255).astype(np.uint8)
    return out_w


def kept_mask(out: Tokens) -> np.ndarray:
    """The output's kept names (``Kind.KEPT``: attributes, methods, keyword arguments) of ``MIN_NAME_CHARS``
    characters and more (bool)."""
    return (out.kinds == Kind.KEPT) & (out.ends - out.starts >= MIN_NAME_CHARS)


# The assignment operator: a name before it (not before ``==``) is the output's own.
_ASSIGN = np.uint64(hash_string("="))
# What a token is to ``parameters`` (``parameter_classes``; 0: anything else). The compiled twin reads the same
# numbers: keep them in step with _core.pyx's P_* constants.
P_OPEN, P_CLOSE, P_COMMA, P_EQ, P_COLON, P_QUESTION, P_BRACKET, P_BRACE, P_MINUS, P_GT = range(1, 11)
P_LAMBDA, P_THROWS, P_FUNCTION, P_NOT_A_HEAD, P_DECLARE, P_FUNC = range(11, 17)
PARAMETER_WORDS = {"(": P_OPEN, ")": P_CLOSE, ",": P_COMMA, "=": P_EQ, ":": P_COLON, "?": P_QUESTION, "[": P_BRACKET,
                   "{": P_BRACE, "-": P_MINUS, ">": P_GT, "lambda": P_LAMBDA, "throws": P_THROWS,
                   # keywords that declare the name after them (``name_mask``); after the first five, a function's
                   # parameter list follows (after its name, or at once when anonymous)
                   **dict.fromkeys(("def", "function", "fn", "fun"), P_FUNCTION),
                   "func": P_FUNC,  # Go's (a P_FUNCTION whose lists name each item first: ``parameters``)
                   **dict.fromkeys(("class", "let", "const", "var"), P_DECLARE),
                   # before a method's name, a word that makes ``name(...) {`` a call in a condition or an
                   # expression, not a head (with ``(``, ``,``, ``=``, ``:``, ``?`` and ``-``)
                   # (Go and Rust test ``if n < size(items) {`` and loop ``for i := range keys(m) {`` without
                   # parentheses)
                   **dict.fromkeys(("if", "while", "for", "match", "switch", "return", "else", "in", "range", "not",
                                    "and", "or", "await", "new", ".", "!", "&", "|", "+", "<", "/", "%"), P_NOT_A_HEAD)}
_CLASS_KEYS = np.array([hash_string(w) for w in PARAMETER_WORDS], dtype=np.uint64)
_CLASS_VALUES = np.array(list(PARAMETER_WORDS.values()), dtype=np.uint8)[np.argsort(_CLASS_KEYS)]
_CLASS_KEYS = np.sort(_CLASS_KEYS)
_NOT_A_HEAD = np.zeros(17, dtype=bool)
_NOT_A_HEAD[[P_NOT_A_HEAD, P_OPEN, P_COMMA, P_EQ, P_COLON, P_QUESTION, P_MINUS]] = True
# What ends a parameter's name: the next parameter, the list's end, a default, a type annotation, TS's optional
# mark, a C array.
_AFTER_PARAMETER = np.zeros(17, dtype=bool)
_AFTER_PARAMETER[[P_COMMA, P_CLOSE, P_EQ, P_COLON, P_QUESTION, P_BRACKET]] = True


def parameter_classes(ex: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """What each token is to ``parameters`` (uint8, ``P_*``; 0 for anything else): punctuation and keywords
    (``Kind.OTHER``) by their exact text."""
    at = np.minimum(np.searchsorted(_CLASS_KEYS, ex), _CLASS_KEYS.shape[0] - 1)
    return np.where((_CLASS_KEYS[at] == ex) & (kinds == Kind.OTHER), _CLASS_VALUES[at], 0).astype(np.uint8)


def parameters(ex: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Which tokens name a parameter: the name part of each item of a function's parameter list (bool).

    A list is the parentheses after ``def``/``function``/``fn``/``func``/``fun`` and its name, before ``=>`` or
    ``->`` (a lambda), or between a method's name and ``{`` or ``throws``; Python's ``lambda`` takes the names
    up to its ``:``. An item's name is an identifier at the list's own depth, followed by ``,``, ``)``, ``=``,
    ``:``, ``?`` or ``[``, and not after the item's ``=`` or ``:`` (a default's or an annotation's names are
    free): ``*args``, ``int count``, ``List<T> items``, ``...rest``, ``a?: T``, ``$a`` (PHP), ``a: &T`` (Rust).
    Go writes the name first (``a, b int, r *http.Request``): in a list of ``func`` (after ``func``, its name,
    or its receiver list and the method's name; and the named results right after) the names are the
    identifiers that begin an item (after the list's ``(`` or a ``,`` of its depth) when some item has a type
    after its first identifier (else the list is of types alone: ``(Entry, error)``), and the types are free.
    Token patterns, no parse: the same rules whatever the language, and a list cut at the answer's end still
    counts. The compiled twin (``_core.parameters``, and ``_core.name_mask`` that calls it) scans the tokens
    once.

    >>> from copyguard.normalize import normalize
    >>> ts = normalize("def wrap(*args, limit: Limit = DEFAULT, **kwargs):\\n    return run(lambda item, n=base: item)", "python")
    >>> [ts.token_text(i) for i in np.flatnonzero(parameters(ts.tokens.exact, ts.tokens.kinds))]
    ['args', 'limit', 'kwargs', 'item', 'n']
    >>> ts = normalize("class A { send(message, options) { return post(message, options); } }", "javascript")
    >>> [ts.token_text(i) for i in np.flatnonzero(parameters(ts.tokens.exact, ts.tokens.kinds))]
    ['message', 'options']
    >>> ts = normalize("func (s *Server) Serve(conn Conn, a, b int, opts ...Option) (count int, err error) {}", "go")
    >>> [ts.token_text(i) for i in np.flatnonzero(parameters(ts.tokens.exact, ts.tokens.kinds))]
    ['s', 'conn', 'a', 'b', 'opts', 'count', 'err']
    """
    c = core()
    if c is not None:
        return c.parameters(ex, kinds, _CLASS_KEYS, _CLASS_VALUES).view(bool)
    return parameters_reference(parameter_classes(ex, kinds), kinds)


def parameters_reference(cls: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """``parameters`` on the tokens' classes (``parameter_classes``), in numpy: the specification.

    A token's list is the last ``(`` before it at its own depth (the depth after each token, counted from
    its least value: a slice of code may close more than it opens); a ``)`` closes the last ``(`` of the
    depth above its own. A name is in its list's name part when the last ``,``, ``=`` or ``:`` of its list
    before it is a ``,`` (the list's ``(`` counts as one); in a ``lambda``'s when the last ``lambda`` or
    ``:`` of its list before it is a ``lambda`` and no ``=`` comes between. In a list of Go's ``func`` (``go``),
    a name is an identifier right after the list's ``(`` or a ``,`` of it, when one such identifier of the list
    is followed by anything but ``,`` or ``)``; nothing else is.
    """
    n = cls.shape[0]
    found = np.zeros(n, dtype=bool)
    cand = np.zeros(n, dtype=bool)
    cand[:-1] = (kinds[:-1] == Kind.IDENT) & _AFTER_PARAMETER[cls[1:]]
    starts = np.zeros(n, dtype=bool)  # identifiers that begin an item (Go's names)
    starts[1:] = (kinds[1:] == Kind.IDENT) & ((cls[:-1] == P_OPEN) | (cls[:-1] == P_COMMA))
    opens, closes, lambdas = cls == P_OPEN, cls == P_CLOSE, cls == P_LAMBDA
    go_func = cls[:-1] == P_FUNC
    if not (cand.any() or (go_func.any() and starts.any())) or not (opens.any() or lambdas.any()):
        return found
    depth = np.cumsum(opens, dtype=np.int64) - np.cumsum(closes, dtype=np.int64)  # after each token
    depth -= depth.min(initial=0)
    stride = np.int64(n + 1)
    op = np.flatnonzero(opens)
    op_key = depth[op] * stride + op
    order = np.argsort(op_key, kind="stable")
    op, op_key = op[order], op_key[order]  # by level, then by place

    def last_open(level: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The last ``(`` of depth ``level`` before each of ``at`` (-1: none)."""
        if not op.shape[0]:
            return np.full(at.shape[0], -1, dtype=np.int64)
        j = np.searchsorted(op_key, level * stride + at) - 1
        ok = (j >= 0) & (op_key[np.maximum(j, 0)] // stride == level)
        return np.where(ok, op[np.maximum(j, 0)], -1)

    def after_keyword(f: np.ndarray) -> np.ndarray:
        """The ``(`` right after each keyword of ``f``, or after the name that follows it."""
        at = np.where(opens[np.minimum(f + 1, n - 1)], f + 1, f + 2)
        at = at[at < n]
        return at[opens[at]]

    heads = np.zeros(n, dtype=bool)
    heads[after_keyword(np.flatnonzero((cls[:-1] == P_FUNCTION) | go_func))] = True  # def name( / function(
    go = np.zeros(n, dtype=bool)  # lists of Go's func: func name( / func( / func (receiver)
    go[after_keyword(np.flatnonzero(go_func))] = True
    cl = np.flatnonzero(closes)
    o = last_open(depth[cl] + 1, cl)
    cl, o = cl[o >= 0], o[o >= 0]
    name = np.minimum(cl + 1, n - 1)
    then = np.where((cl + 1 < n) & opens[name], cl + 1, -1)  # a list's ) followed by a list: Go's named results
    then = np.where((then < 0) & (cl + 2 < n) & ((kinds[name] == Kind.IDENT) | (kinds[name] == Kind.KEPT))
                    & opens[np.minimum(cl + 2, n - 1)], cl + 2, then)  # a receiver's ) by a method's name and list
    while True:
        more = then[go[o] & (then >= 0)]
        more = more[~go[more]]
        if not more.shape[0]:
            break
        go[more] = True
    heads |= go
    nx, nx2 = cls[np.minimum(cl + 1, n - 1)], cls[np.minimum(cl + 2, n - 1)]
    arrow = ((nx == P_EQ) | (nx == P_MINUS)) & (nx2 == P_GT) & (cl + 2 < n)
    name, before = np.maximum(o - 1, 0), np.maximum(o - 2, 0)
    method = (((nx == P_BRACE) | (nx == P_THROWS)) & (cl + 1 < n) & (o >= 1)
              & ((kinds[name] == Kind.IDENT) | (kinds[name] == Kind.KEPT)) & ((o < 2) | ~_NOT_A_HEAD[cls[before]]))
    heads[o[arrow | method]] = True
    c = np.flatnonzero(cand)
    owner_c = last_open(depth[c], c)
    marks = np.flatnonzero((cls == P_COMMA) | (cls == P_EQ) | (cls == P_COLON) | lambdas)
    owner_m = last_open(depth[marks], marks)
    hop = op[heads[op]]  # a head's ( is its list's first comma
    mk = np.concatenate([(owner_m + 1) * stride + marks, (hop + 1) * stride + hop])
    mv = np.concatenate([cls[marks], np.full(hop.shape[0], P_COMMA, dtype=np.uint8)])
    if not mk.shape[0]:
        return found
    order = np.argsort(mk, kind="stable")
    mk, mv = mk[order], mv[order]
    key = (owner_c + 1) * stride + c
    i = np.searchsorted(mk, key) - 1
    same = (i >= 0) & (mk[np.maximum(i, 0)] // stride == owner_c + 1)
    last = np.where(same, mv[np.maximum(i, 0)], 0)
    is_param = (owner_c >= 0) & heads[np.maximum(owner_c, 0)] & (last == P_COMMA)
    lam = (mv == P_LAMBDA) | (mv == P_COLON)
    if lambdas.any():  # lambda a, b=1: the names after the last lambda of the list, before its colon
        lk, lv = mk[lam], mv[lam]
        i2 = np.searchsorted(lk, key) - 1
        same2 = (i2 >= 0) & (lk[np.maximum(i2, 0)] // stride == owner_c + 1)
        is_param |= same2 & (lv[np.maximum(i2, 0)] == P_LAMBDA) & ((last == P_COMMA) | (last == P_LAMBDA))
    found[c[is_param & ~((owner_c >= 0) & go[np.maximum(owner_c, 0)])]] = True
    g = np.flatnonzero(starts)  # Go: the identifier that begins each item of a func's list whose items are named
    owner_g = last_open(depth[g], g)
    named = np.zeros(n + 1, dtype=bool)  # per list (its ( + 1): an item's first identifier has its type after it
    typed = (g + 1 < n) & (cls[np.minimum(g + 1, n - 1)] != P_COMMA) & (cls[np.minimum(g + 1, n - 1)] != P_CLOSE)
    named[owner_g[typed] + 1] = True
    found[g[(owner_g >= 0) & go[np.maximum(owner_g, 0)] & named[owner_g + 1]]] = True
    return found


def surviving_names(out: Tokens, mask: np.ndarray, src: Tokens, region: Region, k: int, is_exact: np.ndarray) -> int:
    """The distinct names a renamed copy kept from its source in ``region``, weighed (``mask``): the free names a
    renamer may not touch.

    A minifier renames the locals and parameters of a function, never the
    globals it calls or the module functions it reaches (``baseZipObject``,
    ``RotateAroundXY``); the normalizer replaced both by placeholders, so the
    shingles of a one-statement wrapper are held by every wrapper of its
    form. A name of ``mask`` (``name_mask``) counts when the source token
    at its place in the region, give or take ``k`` tokens (from the region's
    start or from its end: a near copy's edits shift the rest), has its kind
    and exact hash, and it is not counted exact already (``is_exact``; a kept
    name, ``Kind.KEPT``, counts there too: no renamer touches it, so it is
    exact wherever it was copied, and ``kept_weights`` weighs only the rare
    ones). It counts its value in ``mask``: 1, or more for a name few sources hold
    (``name_weights``); each distinct name once.

    >>> from copyguard.normalize.tokens import Kind
    >>> def toks(names):
    ...     n = len(names)
    ...     return Tokens(np.zeros(n, np.uint64), np.array([hash(x) % 2**63 for x in names], np.uint64),
    ...                   np.full(n, Kind.IDENT, np.uint8), np.arange(n) * 10, np.arange(n) * 10 + [len(x) for x in names])
    >>> out, src = toks(["e", "baseSet", "t", "baseSet"]), toks(["props", "baseSet", "values", "baseSet"])
    >>> r = Region((0, 4), (0, 4), 1.0, MatchKind.RENAMED)
    >>> surviving_names(out, name_mask(out), src, r, 1, np.zeros(4, bool))
    1
    """
    (o0, o1), (s0, s1) = region.out_tok, region.src_tok
    o = np.arange(o0, o1)
    want = (mask[o0:o1] != 0) & (~is_exact | (out.kinds[o0:o1] == Kind.KEPT))
    if not want.any() or s1 <= s0:
        return 0
    o = o[want]
    ex, kinds = out.exact[o], out.kinds[o]
    literal = kinds == Kind.LITERAL  # compared by their contents (``'a'`` is ``"a"``), as normalized
    value = np.where(literal, out.hashes[o], ex)
    found = np.zeros(o.shape[0], dtype=bool)
    for at in (s0 + (o - o0), s1 - (o1 - o)):  # the place on the diagonal from the start, and from the end
        for d in range(-k, k + 1):
            s = at + d
            ok = (s >= s0) & (s < s1)
            s = np.clip(s, s0, s1 - 1)
            found |= ok & (np.where(literal, src.hashes[s], src.exact[s]) == value) & (src.kinds[s] == kinds)
    if not found.any():
        return 0
    _, first = np.unique(ex[found], return_index=True)  # each name once (one name has one weight)
    return int(mask[o[found][first]].astype(np.int64).sum())


def align_weigh(out: Tokens, out_sh: np.ndarray, out_exact: np.ndarray, common: np.ndarray, counts: np.ndarray,
                exponent: float, sources: TokenSlices, k: int, code: bool, limits: Limits, max_occurrences: int = 32,
                names: np.ndarray | None = None) -> tuple[Regions, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                                     np.ndarray]]:
    """``align_batch`` of a round's candidates and the ``region_evidence`` of the regions found.

    The compiled twin weighs each region in the same call, while its
    candidate's shingles and the output positions they hold are at hand:
    no candidate is shingled twice and no set of its shingles is made.
    """
    c = core()
    if c is None:
        regions = align_batch(out, out_sh, sources, k, code, limits, max_occurrences)
        return regions, region_evidence(out_sh, out_exact, common, counts, exponent, sources, regions, k, code, out,
                                        names)
    t = sources.tokens
    u64, u8 = np.uint64, np.uint8
    cand, tok, sim, kind, *evidence = c.align_batch(
        np.ascontiguousarray(out_sh, dtype=u64), np.ascontiguousarray(out.hashes, dtype=u64),
        np.ascontiguousarray(out.exact, dtype=u64), np.ascontiguousarray(out.kinds, dtype=u8),
        np.ascontiguousarray(t.hashes, dtype=u64), np.ascontiguousarray(t.exact, dtype=u64),
        np.ascontiguousarray(t.kinds, dtype=u8), np.ascontiguousarray(sources.offsets, dtype=np.int64), k, code,
        _ID_LABELS, limits.min_tokens, limits.min_distinct_shingles, float(limits.min_similarity), limits.max_gap,
        max_occurrences, MAX_TILES, np.ascontiguousarray(out_exact, dtype=u64), np.ascontiguousarray(common, dtype=u8),
        np.maximum(counts, 1).astype(np.float64) ** -exponent,
        (name_mask(out) if names is None else names) if code else None)
    return Regions(cand, tok, sim, kind), (evidence[0], evidence[1], evidence[2], evidence[3], evidence[4])


def align_weigh_rows(out: Tokens, out_sh: np.ndarray, out_exact: np.ndarray, common: np.ndarray, counts: np.ndarray,
                     exponent: float, sources: SliceRows, k: int, code: bool, limits: Limits, max_occurrences: int = 32,
                     reanchor: bool = False, weights: np.ndarray | None = None, names: np.ndarray | None = None
                     ) -> tuple[Regions, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray,
                                np.ndarray]:
    """``align_weigh`` of slices where they lie, and the characters they span.

    Also returns each region's source characters (``(n, 2)``: its first token's start, its last token's
    end) and each slice's (``(slices, 2)``: least start, greatest end; ``-1`` for a slice with no
    token). ``reanchor``: regions that are not verbatim are first moved where their slice holds the
    output's exact tokens (``match.reanchor``), and weighed there. The compiled twin reads the slices in
    the segments' arrays, none gathered; the reference gathers them (``SliceRows.gather``) and runs
    ``align_weigh``, ``reanchor`` and ``region_evidence`` of the regions moved. ``weights``:
    ``rarity_weights(counts, exponent)``, and ``names``: ``name_mask(out)``, when the caller made them already
    (once per output stream).
    """
    c = core()
    if c is None:
        gathered = sources.gather()
        regions, weighed = align_weigh(out, out_sh, out_exact, common, counts, exponent, gathered, k, code, limits,
                                       max_occurrences, names)
        if reanchor:
            regions, moved = match_reanchor(regions, out, gathered)
            if moved.shape[0]:  # weighed again where they now sit
                again = region_evidence(out_sh, out_exact, common, counts, exponent, gathered,
                                        Regions(regions.cand[moved], regions.tok[moved], regions.similarity[moved],
                                                regions.kind[moved]), k, code, out, names)
                weighed = tuple(x.copy() for x in weighed)  # type: ignore[assignment]
                for whole, part in zip(weighed, again):
                    whole[moved] = part
        t, at = gathered.tokens, gathered.offsets[regions.cand]
        src = np.stack([t.starts[at + regions.tok[:, 2]], t.ends[at + regions.tok[:, 3] - 1]], axis=1)
        return regions, weighed, src.astype(np.int64).reshape(-1, 2), sources.spans()
    u64, u8 = np.uint64, np.uint8
    cand, tok, sim, kind, *rest = c.align_rows(
        np.ascontiguousarray(out_sh, dtype=u64), np.ascontiguousarray(out.hashes, dtype=u64),
        np.ascontiguousarray(out.exact, dtype=u64), np.ascontiguousarray(out.kinds, dtype=u8),
        [(t.hashes, t.exact, t.kinds, t.starts, t.ends) for t in sources.segments], sources.seg, sources.lo,
        sources.hi, sources.rows, k, code, _ID_LABELS, limits.min_tokens, limits.min_distinct_shingles,
        float(limits.min_similarity), limits.max_gap, max_occurrences, MAX_TILES,
        np.ascontiguousarray(out_exact, dtype=u64), np.ascontiguousarray(common, dtype=u8),
        rarity_weights(counts, exponent) if weights is None else weights, reanchor,
        list(sources.stored) if sources.stored is not None else None, sources.channels,
        (name_mask(out) if names is None else names) if code else None)
    return Regions(cand, tok, sim, kind), (rest[0], rest[1], rest[2], rest[3], rest[4]), rest[5], rest[6]


def rarity_weights(counts: np.ndarray, exponent: float) -> np.ndarray:
    """What each output shingle weighs when it covers a token: ``n ** -exponent``, ``n`` the sources holding it
    (at least 1); what the compiled weighing reads (``rarity`` computes the same per region)."""
    return np.maximum(counts, 1).astype(np.float64) ** -exponent


def covered(out_sh: np.ndarray, common: np.ndarray, src_sorted: np.ndarray, region: Region, k: int) -> np.ndarray:
    """Per output token of ``region``: covered by a shingle the source shares that is not boilerplate (first occurrences)."""
    return rarity(out_sh, common, np.ones(out_sh.shape[0], dtype=np.int64), src_sorted, region, k, 0.0) > 0


def rarity(out_sh: np.ndarray, common: np.ndarray, counts: np.ndarray, src_sorted: np.ndarray, region: Region, k: int,
           exponent: float, once: bool = True) -> np.ndarray:
    """Per output token of ``region``: ``n ** -exponent`` for the rarest shared, non-boilerplate shingle covering it.

    ``counts[i]``: how many indexed sources hold output shingle ``i``; 0 where no
    such shingle covers the token. ``once``: a shingle repeated inside the region
    covers only at its first occurrence, so repeated content (a list of ``1, 1, 1``,
    rows of one statement) counts once. The loop runs over the shingle width, not the tokens.

    >>> r = Region((0, 5), (0, 5), 1.0, MatchKind.VERBATIM)
    >>> sh = np.array([5, 6, 7, 5], np.uint64)
    >>> rarity(sh, np.zeros(4, bool), np.array([1, 4, 4, 1]), np.array([5, 6], np.uint64), r, 2, 1.0).tolist()
    [1.0, 1.0, 0.25, 0.0, 0.0]
    """
    o0, o1 = region.out_tok
    last = max(o1 - k + 1, o0)
    values = out_sh[o0:last]
    shared = isin_sorted(values, src_sorted) & ~common[o0:last]
    if once:
        shared &= _first_occurrences(values)
    held = np.maximum(counts[o0:last], 1).astype(np.float64)
    per_shingle = np.where(shared, held ** -exponent, 0.0)
    out = np.zeros(o1 - o0, dtype=np.float64)
    n = per_shingle.shape[0]
    for j in range(k):
        window = out[j : j + n]
        np.maximum(window, per_shingle[: window.shape[0]], out=window)
    return out


def _first_occurrences(values: np.ndarray) -> np.ndarray:
    """Which items of ``values`` are the first of their value (a stable sort, no hash table)."""
    out = np.zeros(values.shape[0], dtype=bool)
    if values.shape[0]:
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        first = np.ones(values.shape[0], dtype=bool)
        first[1:] = ordered[1:] != ordered[:-1]
        out[order[first]] = True
    return out


def merge_touching(text: str, matches: list[Match], source: Callable[[], str] | None = None) -> list[Match]:
    """Matches of one source merged where their output spans overlap or nothing but punctuation lies between.

    Between a doc comment's last word and the function under it there is
    only ``.`` and ``*/``; between a docstring and the code around it, nothing.
    ``source``: reads the source's text. A verbatim region of words that the
    source holds more than once (sibling classes with one doc comment) is
    first moved to the occurrence nearest the code it touches (``nearest_occurrence``):
    the alignment took the first, and the merged span ran from there.
    """
    ordered = sorted(matches, key=lambda m: m.output_span)
    out = [ordered[0]]
    src: list[str] = []
    for m in ordered[1:]:
        last = out[-1]
        gap = text[last.output_span[1] : m.output_span[0]]
        if m.output_span[0] <= last.output_span[1] or (len(gap) <= _MAX_GAP_CHARS and not _WORD.search(gap)):
            if source is not None and (last.lang in PROSE_ALIASES) != (m.lang in PROSE_ALIASES) and \
                    (may_move(last, m) if last.lang in PROSE_ALIASES else may_move(m, last)):  # (others stay)
                if not src:
                    src.append(source())
                if last.lang in PROSE_ALIASES:
                    last = nearest_occurrence(last, m, src[0])
                else:
                    m = nearest_occurrence(m, last, src[0])
            out[-1] = merged_match(last, m)
        else:
            out.append(m)
    return out


def nearest_occurrence(words: Match, code: Match, src: str) -> Match:
    """``words`` (a region of words) moved to the occurrence of its source text nearest ``code``'s source span,
    when it is verbatim and ``src`` holds that text more than once (at most ``MAX_OCCURRENCES`` looked at).

    >>> from copyguard.match import MatchKind
    >>> src = "/** Adds one. */ int a() {}\\n/** Adds one. */ int b() {}"
    >>> doc = Match("s", "MIT", MatchKind.VERBATIM, 1.0, (0, 12), (4, 12), "prose", 2)
    >>> code = Match("s", "MIT", MatchKind.VERBATIM, 1.0, (16, 26), (44, 54), "java", 6)
    >>> nearest_occurrence(doc, code, src).source_span
    (32, 40)
    """
    s0, s1 = words.source_span
    piece = src[s0:s1]
    if words.kind != MatchKind.VERBATIM or not piece.strip():
        return words
    c0, c1 = code.source_span

    def apart(at: int) -> int:
        return max(c0 - (at + len(piece)), at - c1, 0)

    # only an occurrence starting within ``near`` of the code is nearer than ``s0``: when none lies there (most
    # often ``s0`` is the only one), the whole text need not be searched
    near = apart(s0)
    if near == 0 or src.find(piece, max(c0 - len(piece) - near + 1, 0), c1 + near - 1 + len(piece)) < 0:
        return words
    best, at = s0, src.find(piece)
    for _ in range(MAX_OCCURRENCES):
        if at < 0:
            break
        if apart(at) < apart(best):
            best = at
        at = src.find(piece, at + 1)
    return words if best == s0 else replace(words, source_span=(best, best + len(piece)))


def may_move(words: Match, code: Match) -> bool:
    """Whether ``nearest_occurrence(words, code, src)`` may move ``words``, told without the source's text: it
    leaves a region that is not verbatim, and one that touches or overlaps ``code`` in the source (most often
    a doc comment copied with the code under it: none nearer can be)."""
    return words.kind == MatchKind.VERBATIM and not spans_meet(words.source_span, code.source_span)


def spans_meet(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether spans ``a`` and ``b`` overlap or touch (``nearest_occurrence``'s distance 0; ``spans_touch`` without text).

    >>> spans_meet((0, 3), (3, 5)), spans_meet((0, 3), (4, 5))
    (True, False)
    """
    return a[0] <= b[1] and b[0] <= a[1]


MAX_OCCURRENCES = 64  # occurrences of a region's text ``nearest_occurrence`` looks at (a short stock phrase may be everywhere)


def merged_match(a: Match, b: Match) -> Match:
    """One match over both: spans joined, tokens added, similarity weighted by tokens, the weaker kind.

    (``new_match`` of every field in their order, written out: ``weigh`` merges the touching matches of
    every source it reports, one pair at a time.)"""
    tokens = a.tokens + b.tokens
    (ao0, ao1), (bo0, bo1) = a.output_span, b.output_span
    (as0, as1), (bs0, bs1) = a.source_span, b.source_span
    aw, bw = a.weight, b.weight
    ae, be = a.exact_weight, b.exact_weight
    m = _new(Match)
    _set(m, "__dict__", {
        "source": a.source, "license": a.license,
        "kind": b.kind if _WEAKNESS[b.kind] > _WEAKNESS[a.kind] else a.kind,  # (max: the first of the weakest)
        "similarity": (a.similarity * a.tokens + b.similarity * b.tokens) / (tokens if tokens > 1 else 1),
        "output_span": (bo0 if bo0 < ao0 else ao0, bo1 if bo1 > ao1 else ao1),
        "source_span": (bs0 if bs0 < as0 else as0, bs1 if bs1 > as1 else as1),
        # the first of code, else a's
        "lang": b.lang if a.lang in PROSE_ALIASES and b.lang not in PROSE_ALIASES else a.lang,
        "tokens": tokens, "renames": {**b.renames, **a.renames}, "source_path": a.source_path, "index": a.index,
        "boilerplate": a.boilerplate + b.boilerplate, "exact": a.exact + b.exact,
        "weight": None if aw is None and bw is None else
        (float(a.tokens - a.boilerplate) if aw is None else aw) + (float(b.tokens - b.boilerplate) if bw is None else bw),
        "exact_weight": None if ae is None and be is None else
        (float(a.exact) if ae is None else ae) + (float(b.exact) if be is None else be),
        "names": a.names + b.names})
    return m


_new = object.__new__
_set = object.__setattr__
