"""Verification: candidates from the index measured on the actual tokens.

LSH only proposes passages. Here each proposal is checked against the output
token stream: which output shingles occur in the source, where the shared
runs lie in both texts (character spans), how much of each region they cover,
and whether the copy is ``verbatim`` (equal tokens), ``renamed`` (equal but
for identifiers, with the rename map) or ``near`` (shared runs with edits).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .normalize.tokens import Kind, TokenStream
from .policy import Policy
from .sketch import code_shingles, shingles


@dataclass(frozen=True)
class Match:
    """One region of the output that copies one region of a protected source."""

    source: str
    license: str | None
    kind: str  # "verbatim" | "renamed" | "near"
    similarity: float
    output_span: tuple[int, int]
    source_span: tuple[int, int]
    lang: str
    tokens: int
    renames: dict[str, str] = field(default_factory=dict)
    source_path: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output_span"] = list(self.output_span)
        d["source_span"] = list(self.source_span)
        d["similarity"] = round(self.similarity, 4)
        return d


@dataclass(frozen=True)
class Tokens:
    """Plain token arrays (a slice of a source in the index, or an output stream)."""

    hashes: np.ndarray
    exact: np.ndarray
    kinds: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, ts: TokenStream) -> "Tokens":
        return cls(ts.hashes, ts.exact, ts.kinds, ts.starts, ts.ends)

    def __getitem__(self, sl: slice) -> "Tokens":
        return Tokens(self.hashes[sl], self.exact[sl], self.kinds[sl], self.starts[sl], self.ends[sl])

    def shingles(self, k: int, code: bool) -> np.ndarray:
        if code:
            return code_shingles(self.hashes, self.exact, self.kinds, k)
        return shingles(self.hashes, self.kinds, k)


def passage_containment(
    p_tokens: Tokens, offsets: np.ndarray, out_sorted: np.ndarray, k: int, code: bool
) -> np.ndarray:
    """Share of each candidate passage's shingles found in the output (passages concatenated at ``offsets``)."""
    all_sh = p_tokens.shingles(k, code)
    lengths = np.maximum(np.diff(offsets) - k + 1, 0)
    total = int(lengths.sum())
    if total == 0 or out_sorted.shape[0] == 0:
        return np.zeros(lengths.shape[0])
    pid = np.repeat(np.arange(lengths.shape[0]), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(total) - np.repeat(first, lengths) + np.repeat(offsets[:-1], lengths)
    hit = contains(out_sorted, all_sh[pos])
    return np.bincount(pid, weights=hit, minlength=lengths.shape[0]) / np.maximum(lengths, 1)


def contains(sorted_set: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in the sorted array ``sorted_set``."""
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    idx = np.searchsorted(sorted_set, values)
    idx[idx == sorted_set.shape[0]] = 0
    return sorted_set[idx] == values


@dataclass(frozen=True)
class Region:
    """A matched region before attribution: token ranges in output and source, and the measures."""

    out_tok: tuple[int, int]
    src_tok: tuple[int, int]
    similarity: float
    kind: str


def align_regions(
    out: Tokens, out_sh: np.ndarray, src: Tokens, k: int, code: bool, policy: Policy
) -> list[Region]:
    """Regions where ``src`` (a source slice) is copied into ``out``, filtered by the policy.

    Equal shingles give (output, source) position pairs; pairs on one
    diagonal with consecutive positions form fragments; the longest
    fragments win where they compete for output tokens (greedy string
    tiling), and fragments in order on both sides, with gaps of at most
    ``policy.max_gap`` tokens, chain into one region.
    """
    src_sh = src.shingles(k, code)
    tiles = _extend(_tile(fragments(out_sh, src_sh)), out_sh, src_sh)
    regions = []
    for chain in _chains(tiles, policy.max_gap):
        region = _measure(out, out_sh, src, chain, k, policy, code)
        if region is not None:
            regions.append(region)
    return regions


def fragments(a: np.ndarray, b: np.ndarray, max_occurrences: int = 32) -> np.ndarray:
    """(n, 3) rows ``(a_start, b_start, length)`` of runs where ``a[i + t] == b[j + t]``.

    A value occurring more than ``max_occurrences`` times in ``b`` pairs with
    none of them: such shingles are boilerplate and would only add noise.
    """
    if a.shape[0] == 0 or b.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64)
    order = np.argsort(b, kind="stable")
    sb = b[order]
    lo = np.searchsorted(sb, a, side="left")
    count = np.searchsorted(sb, a, side="right") - lo
    count[count > max_occurrences] = 0
    ai = np.repeat(np.arange(a.shape[0]), count)
    first = np.cumsum(count) - count
    bj = order[np.repeat(lo, count) + np.arange(ai.shape[0]) - np.repeat(first, count)]
    if ai.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64)
    diag = bj - ai
    srt = np.lexsort((ai, diag))
    ai, diag = ai[srt], diag[srt]
    new = np.ones(ai.shape[0], dtype=bool)
    new[1:] = (diag[1:] != diag[:-1]) | (ai[1:] != ai[:-1] + 1)
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, ai.shape[0]))
    return np.stack([ai[starts], ai[starts] + diag[starts], lengths], axis=1)


def _tile(frags: np.ndarray) -> np.ndarray:
    """Longest fragments first; drop a fragment that overlaps a kept one on either side."""
    frags = frags[np.argsort(-frags[:, 2], kind="stable")]
    kept: list[np.ndarray] = []
    used_a: list[tuple[int, int]] = []
    used_b: list[tuple[int, int]] = []
    for f in frags[frags[:, 2] >= 2][:512]:
        a0, b0, n = int(f[0]), int(f[1]), int(f[2])
        if any(a0 < e and s < a0 + n for s, e in used_a) or any(b0 < e and s < b0 + n for s, e in used_b):
            continue
        kept.append(f)
        used_a.append((a0, a0 + n))
        used_b.append((b0, b0 + n))
    if not kept:
        return np.zeros((0, 3), dtype=np.int64)
    out = np.array(kept)
    return out[np.argsort(out[:, 0], kind="stable")]


def _extend(frags: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Grow each fragment along its diagonal over shingles too common to have been paired."""
    frags = frags.copy()
    for f in frags:
        a0, b0, n = int(f[0]), int(f[1]), int(f[2])
        while a0 > 0 and b0 > 0 and a[a0 - 1] == b[b0 - 1]:
            a0, b0, n = a0 - 1, b0 - 1, n + 1
        while a0 + n < a.shape[0] and b0 + n < b.shape[0] and a[a0 + n] == b[b0 + n]:
            n += 1
        f[:] = (a0, b0, n)
    if frags.shape[0] < 2:
        return frags
    frags = frags[np.lexsort((-frags[:, 2], frags[:, 0]))]
    reach = np.maximum.accumulate(frags[:, 0] + frags[:, 2])
    inside = np.zeros(frags.shape[0], dtype=bool)
    inside[1:] = frags[1:, 0] + frags[1:, 2] <= reach[:-1]  # covered by an earlier, longer fragment
    return frags[~inside]


def _chains(frags: np.ndarray, max_gap: int) -> list[np.ndarray]:
    """Split fragments (sorted by output start) where the next one jumps back or too far."""
    if frags.shape[0] == 0:
        return []
    gap_a = frags[1:, 0] - (frags[:-1, 0] + frags[:-1, 2])
    gap_b = frags[1:, 1] - (frags[:-1, 1] + frags[:-1, 2])
    breaks = np.flatnonzero((gap_a > max_gap) | (gap_b > max_gap) | (gap_b < -max_gap)) + 1
    return np.split(frags, breaks)


def _measure(out: Tokens, out_sh: np.ndarray, src: Tokens, chain: np.ndarray,
             k: int, policy: Policy, code: bool) -> Region | None:
    """Coverage of both sides of a chain of fragments, the policy's minimums, and the kind."""
    o0, o1 = int(chain[:, 0].min()), int((chain[:, 0] + chain[:, 2]).max()) + k - 1
    s0, s1 = int(chain[:, 1].min()), int((chain[:, 1] + chain[:, 2]).max()) + k - 1
    if o1 - o0 < policy.min_tokens(code):
        return None
    matched = np.concatenate([np.arange(a, a + n) for a, _, n in chain.tolist()])
    if np.unique(out_sh[matched]).shape[0] < policy.min_distinct_shingles:
        return None
    similarity = min(_coverage(chain[:, 0] - o0, chain[:, 2], k, o1 - o0),
                     _coverage(chain[:, 1] - s0, chain[:, 2], k, s1 - s0))
    if similarity < policy.min_similarity:
        return None
    kind = _kind(out[o0:o1], src[s0:s1])
    if kind != "near":
        similarity = 1.0
    return Region((o0, o1), (s0, s1), similarity, kind)


def _coverage(starts: np.ndarray, lengths: np.ndarray, k: int, size: int) -> float:
    """Share of ``size`` tokens covered by fragments of ``lengths`` shingles starting at ``starts``."""
    delta = np.zeros(size + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, np.minimum(starts + lengths + k - 1, size), -1)
    return float(np.count_nonzero(np.cumsum(delta[:-1]))) / float(max(size, 1))


def _kind(a: Tokens, b: Tokens) -> str:
    """``verbatim`` when exact tokens agree, ``renamed`` when only identifier names differ, consistently."""
    if a.hashes.shape[0] != b.hashes.shape[0]:
        return "near"
    if np.array_equal(a.exact, b.exact):
        return "verbatim"
    if not np.array_equal(a.hashes, b.hashes):
        return "near"
    ident = a.kinds == Kind.IDENT
    pairs = np.unique(np.stack([a.exact[ident], b.exact[ident]], axis=1), axis=0)
    consistent = np.unique(pairs[:, 0]).shape[0] == pairs.shape[0] == np.unique(pairs[:, 1]).shape[0]
    return "renamed" if consistent else "near"


def rename_map(out_text: str, out: Tokens, src_text: str, src: Tokens) -> dict[str, str]:
    """Output identifier -> source identifier for two token-aligned regions."""
    renames: dict[str, str] = {}
    for i in np.flatnonzero((out.kinds == Kind.IDENT) & (out.exact != src.exact)):
        new = out_text[int(out.starts[i]) : int(out.ends[i])]
        renames.setdefault(new, src_text[int(src.starts[i]) : int(src.ends[i])])
    return renames
