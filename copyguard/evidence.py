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

>>> from copyguard.match import Match, MatchKind
>>> doc = Match("a.py", "MIT", MatchKind.VERBATIM, 1.0, (0, 90), (10, 100), "prose", 18)
>>> code = Match("a.py", "MIT", MatchKind.VERBATIM, 1.0, (91, 200), (101, 210), "python", 24)
>>> [(m.lang, m.tokens, m.output_span) for m in weigh("x" * 90 + "\\n" + "y" * 109, [doc, code], 40, 30)[0]]
[('python', 42, (0, 200))]
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from .index.arrays import isin_sorted
from .match import Match, MatchKind, Region
from .normalize import PROSE_ALIASES

_WORD = re.compile(r"\w")
_MAX_GAP_CHARS = 200
_WEAKNESS = {MatchKind.VERBATIM: 0, MatchKind.RENAMED: 1, MatchKind.NEAR: 2}


def weigh(text: str, matches: Iterable[Match], min_tokens_code: int, min_tokens_prose: int,
          min_tokens_exact: int | None = None) -> tuple[list[Match], tuple[str, ...]]:
    """The matches of the sources whose evidence reaches the floors, touching ones of a source merged.

    Also returns the sources that reach the floors only when boilerplate
    counts: they are not reported, and the check report says they were discounted.
    """
    by_source: dict[tuple[str | None, str], list[Match]] = defaultdict(list)
    for m in matches:
        by_source[(m.index, m.source)].append(m)
    out: list[Match] = []
    discounted = []
    for (_, source), found in by_source.items():
        if evidence(found, min_tokens_code, min_tokens_prose, min_tokens_exact) >= 1.0:
            out.extend(merge_touching(text, found))
        elif evidence(found, min_tokens_code, min_tokens_prose, min_tokens_exact, with_boilerplate=True) >= 1.0:
            discounted.append(source)
    return out, tuple(discounted)


def evidence(matches: list[Match], min_tokens_code: int, min_tokens_prose: int, min_tokens_exact: int | None = None,
             with_boilerplate: bool = False) -> float:
    """Sum over ``matches`` of the share of its channel's floor each one spans (1.0 and more: enough).

    Tokens that only boilerplate shingles cover (``Match.boilerplate``) do not count, unless ``with_boilerplate``.
    Code tokens copied with their exact names and literals (``Match.exact``) weigh against
    ``min_tokens_exact`` (default: ``min_tokens_code``), the others against ``min_tokens_code``:
    independent code of one task shares its structure, rarely 20 tokens of it as written.
    """
    exact_floor = min_tokens_code if min_tokens_exact is None else min_tokens_exact
    total = 0.0
    for m in matches:
        counted = m.tokens if with_boilerplate else m.tokens - m.boilerplate
        if m.lang in PROSE_ALIASES:
            total += counted / max(min_tokens_prose, 1)
            continue
        exact = min(m.exact, counted)
        total += exact / max(exact_floor, 1) + (counted - exact) / max(min_tokens_code, 1)
    return total


def distinctive_tokens(out_sh: np.ndarray, common: np.ndarray, src_sorted: np.ndarray, region: Region, k: int) -> int:
    """Output tokens of ``region`` covered by a shingle the source shares that is not boilerplate (``common``)."""
    o0, o1 = region.out_tok
    last = max(o1 - k + 1, o0)
    hit = np.flatnonzero(isin_sorted(out_sh[o0:last], src_sorted) & ~common[o0:last])
    if hit.shape[0] == 0:
        return 0
    size = o1 - o0
    delta = np.bincount(hit, minlength=size + 1) - np.bincount(np.minimum(hit + k, size), minlength=size + 1)
    return int(np.count_nonzero(np.cumsum(delta[:size])))


def merge_touching(text: str, matches: list[Match]) -> list[Match]:
    """Matches of one source merged where their output spans overlap or nothing but punctuation lies between.

    Between a doc comment's last word and the function under it there is
    only ``.`` and ``*/``; between a docstring and the code around it, nothing.
    """
    ordered = sorted(matches, key=lambda m: m.output_span)
    out = [ordered[0]]
    for m in ordered[1:]:
        last = out[-1]
        gap = text[last.output_span[1] : m.output_span[0]]
        if m.output_span[0] <= last.output_span[1] or (len(gap) <= _MAX_GAP_CHARS and not _WORD.search(gap)):
            out[-1] = _merged(last, m)
        else:
            out.append(m)
    return out


def _merged(a: Match, b: Match) -> Match:
    """One match over both: spans joined, tokens added, similarity weighted by tokens, the weaker kind."""
    tokens = a.tokens + b.tokens
    code = [m for m in (a, b) if m.lang not in PROSE_ALIASES]
    return Match(
        source=a.source, license=a.license, kind=max(a.kind, b.kind, key=_WEAKNESS.__getitem__),
        similarity=(a.similarity * a.tokens + b.similarity * b.tokens) / max(tokens, 1),
        output_span=(min(a.output_span[0], b.output_span[0]), max(a.output_span[1], b.output_span[1])),
        source_span=(min(a.source_span[0], b.source_span[0]), max(a.source_span[1], b.source_span[1])),
        lang=code[0].lang if code else a.lang, tokens=tokens, renames={**b.renames, **a.renames},
        source_path=a.source_path, index=a.index, boilerplate=a.boilerplate + b.boilerplate, exact=a.exact + b.exact,
    )
