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
from .params import Params
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
    renames: dict[str, str]


def align_regions(
    out: Tokens, out_sh: np.ndarray, src: Tokens, k: int, code: bool, policy: Policy
) -> list[Region]:
    """Regions where ``src`` (a source slice) is copied into ``out``, filtered by the policy."""
    src_sh = src.shingles(k, code)
    if src_sh.shape[0] == 0 or out_sh.shape[0] == 0:
        return []
    order = np.argsort(src_sh, kind="stable")
    sorted_src = src_sh[order]
    hit = contains(sorted_src, out_sh)
    out_pos = np.flatnonzero(hit)
    if out_pos.shape[0] == 0:
        return []
    src_pos = order[np.searchsorted(sorted_src, out_sh[out_pos])]
    breaks = np.flatnonzero(np.diff(out_pos) > policy.max_gap) + 1
    regions = []
    for run_o, run_s in zip(np.split(out_pos, breaks), np.split(src_pos, breaks)):
        region = _measure_run(out, out_sh, src, run_o, run_s, k, policy, code)
        if region is not None:
            regions.append(region)
    return regions


def _measure_run(out: Tokens, out_sh: np.ndarray, src: Tokens, run_o: np.ndarray, run_s: np.ndarray,
                 k: int, policy: Policy, code: bool) -> Region | None:
    """Keep the run's dominant diagonal, then measure coverage and decide the kind."""
    diag = run_s - run_o
    values, counts = np.unique(diag, return_counts=True)
    main = values[np.argmax(counts)]
    keep = np.abs(diag - main) <= policy.max_gap
    run_o, run_s = run_o[keep], run_s[keep]
    o0, o1 = int(run_o.min()), int(run_o.max()) + k
    s0, s1 = int(run_s.min()), int(run_s.max()) + k
    if o1 - o0 < policy.min_tokens(code) or np.unique(out_sh[run_o]).shape[0] < policy.min_distinct_shingles:
        return None
    similarity = min(_coverage(run_o - o0, k, o1 - o0), _coverage(run_s - s0, k, s1 - s0))
    if similarity < policy.min_similarity:
        return None
    kind, renames = _kind(out[o0:o1], src[s0:s1])
    if kind != "near":
        similarity = 1.0
    return Region((o0, o1), (s0, s1), similarity, kind, renames)


def _coverage(starts: np.ndarray, k: int, length: int) -> float:
    """Share of ``length`` tokens inside at least one shingle starting at ``starts``."""
    delta = np.zeros(length + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, np.minimum(starts + k, length), -1)
    return float(np.count_nonzero(np.cumsum(delta[:-1]))) / float(max(length, 1))


def _kind(a: Tokens, b: Tokens) -> tuple[str, dict[str, str]]:
    """``verbatim`` when exact tokens agree, ``renamed`` when only identifier names differ."""
    if a.hashes.shape[0] != b.hashes.shape[0]:
        return "near", {}
    if np.array_equal(a.exact, b.exact):
        return "verbatim", {}
    if not np.array_equal(a.hashes, b.hashes):
        return "near", {}
    ident = a.kinds == Kind.IDENT
    pairs = np.unique(np.stack([a.exact[ident], b.exact[ident]], axis=1), axis=0)
    consistent = np.unique(pairs[:, 0]).shape[0] == pairs.shape[0] == np.unique(pairs[:, 1]).shape[0]
    if not consistent:
        return "near", {}
    return "renamed", {}


def rename_map(out_text: str, out: Tokens, src_text: str, src: Tokens) -> dict[str, str]:
    """Output identifier -> source identifier for two token-aligned regions."""
    renames: dict[str, str] = {}
    for i in np.flatnonzero((out.kinds == Kind.IDENT) & (out.exact != src.exact)):
        new = out_text[int(out.starts[i]) : int(out.ends[i])]
        renames.setdefault(new, src_text[int(src.starts[i]) : int(src.ends[i])])
    return renames


def passage_params_k(params: Params, code: bool) -> int:
    return params.shingle(code)
