"""Evidence lab (TUNING group only): every match a permissive check finds, with per-token rarity, saved once.

    python bench/accuracy/lab.py collect        # runs the checks, writes bench/.cache/accuracy/lab-tuning.pkl
    python bench/accuracy/lab.py [SET] [-v]     # scores a set of rules (lab_rules.SETS) on the saved matches

A rule turns the matches naming one source into a number and a floor; the
lab reports per rule what documented.py and falsealarms.py would report
(recall per graded slice, false alarms per negative slice, pip, IR-Plag),
without rerunning any check. The checks run with floors far below any
default (regions of 8 tokens), so every rule sees a superset of the matches
the default pipeline aligns; the rule chosen is then confirmed end to end.
"""

from __future__ import annotations

import pickle
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import data  # noqa: E402
import documented  # noqa: E402
import falsealarms  # noqa: E402

from copyguard.candidates import boilerplate_mask, sketch_query  # noqa: E402
from copyguard.guard import Guard, shared_positions  # noqa: E402
from copyguard.index.arrays import isin_sorted, sorted_unique  # noqa: E402
from copyguard.match import align_regions, attribute  # noqa: E402
from copyguard.policy import Policy  # noqa: E402
from copyguard.sketch import exact_shingles, stream_shingles  # noqa: E402

OUT = data.CACHE / "lab-tuning.pkl"
PERMISSIVE = Policy(min_tokens_code=8, min_tokens_prose=8, min_tokens_exact=8, min_region_tokens=8)


@dataclass
class M:
    """One region: channel, tokens, and per output token the rarest shared shingle's source count (0: none)."""

    source: str
    prose: bool
    tokens: int
    distinct: int
    kind: str
    similarity: float
    df: np.ndarray  # per token of the region: min source count of the shared shingles covering it (0 = uncovered)
    exact: np.ndarray  # per token: covered by a shared exact shingle (code only)
    src_tokens: int  # tokens of the source file (its channel)
    src_span: int  # tokens of the source region
    out_tokens: int  # tokens of the whole output stream of that channel
    counted: int  # today's Match.tokens - Match.boilerplate
    cur_exact: int  # today's Match.exact
    span: tuple[int, int] = (0, 0)  # output characters
    xdf: np.ndarray | None = None  # per token: min exact-channel source count of the shared exact shingles covering it


@dataclass
class Rec:
    id: str
    group: str  # documented slice kind, "pip-own", "pip-vendored", "irplag-neg", "irplag-L1"...
    lang: str
    right: set[str]  # names that count as a hit (empty: a negative)
    matches: list[M] = field(default_factory=list)
    units: list[tuple[int, int, int]] = field(default_factory=list)  # code blocks and prose paragraphs: start, end, chars
    length: int = 0


def exact_counts(index) -> tuple[np.ndarray, np.ndarray]:
    """Sorted exact-channel code shingles of every source and how many sources hold each (what an index could store)."""
    from copyguard.index.df import source_counts

    sets = []
    k = index.params.shingle_code
    for ref in range(len(index)):
        try:
            toks = index.source_tokens(ref)
        except Exception:
            continue
        seg, row = index._locate_source(ref)
        first = int(seg.source_tok[row][0])
        words = int(seg.source_words[row]) - first
        code = toks[:words]
        if len(code) >= k:
            sets.append(sorted_unique(exact_shingles(code, k)))
    return source_counts(sets)


class LabGuard(Guard):
    """A Guard whose alignment keeps per-token rarity of every region (the policy is PERMISSIVE)."""

    xkeys: np.ndarray = np.zeros(0, np.uint64)
    xcounts: np.ndarray = np.zeros(0, np.uint32)

    def collect(self, text: str, lang: str | None) -> list[M]:
        indexes = self.indexes
        streams = self._streams(text, lang)
        queries = [sketch_query(ts, self.params) for ts in streams]
        p = self.policy
        common = [boilerplate_mask(indexes, q, p.max_shingle_sources, p.max_shingle_share) for q in queries]
        self._dfs = [sum(i.source_counts(q.shingles) for i in indexes) for q in queries]
        self._qi = {id(q): n for n, q in enumerate(queries)}
        self._out = []
        ranked = self._candidates(indexes, queries, common)
        self._rounds(indexes, streams, queries, common, ranked)
        return self._out

    def _align(self, indexes, ts, query, cands, common, counts=None, out_exact=None, blocks=None):
        limits = self.policy.region_limits(ts.is_code)
        out, k = ts.tokens, query.k
        dfq = self._dfs[self._qi[id(query)]] if id(query) in self._qi else np.ones(query.shingles.shape[0], np.int64)
        out_exact = exact_shingles(out, k) if query.code else None
        matches = []
        for cand in cands:
            cand_sh = stream_shingles(cand.tokens, k, query.code)
            order = np.argsort(cand_sh, kind="stable")
            at = shared_positions(query, cand_sh[order])
            regions = align_regions(out, query.shingles, cand.tokens, k, query.code, limits, cand_sh, order, at)
            if not regions:
                continue
            index = indexes[cand.shard]
            record, src_text = index.source(cand.ref), index.source_text(cand.ref)
            src_sorted = sorted_unique(cand_sh)
            whole = len(index.source_tokens(cand.ref))
            for r in regions:
                m = attribute(r, ts.text, out, ts.lang, cand.tokens, src_text, record)
                matches.append(m)
                o0, o1 = r.out_tok
                last = max(o1 - k + 1, o0)
                shared = isin_sorted(query.shingles[o0:last], src_sorted) & ~common[o0:last]
                df = np.where(shared, dfq[o0:last], 0)
                tok_df = _spread_min(df, k, o1 - o0)
                ex = np.zeros(o1 - o0, bool)
                if query.code:
                    src_ex = sorted_unique(exact_shingles(cand.tokens[r.src_tok[0] : r.src_tok[1]], k))
                    hit = isin_sorted(out_exact[o0:last], src_ex) & ~common[o0:last]
                    ex = _spread_min(np.where(hit, 1, 0), k, o1 - o0) > 0
                    from copyguard.index.df import count_of

                    xc = count_of(self.xkeys, self.xcounts, out_exact[o0:last])
                    xdf = _spread_min(np.where(hit, np.maximum(xc, 1), 0), k, o1 - o0)
                else:
                    xdf = None
                distinct = sorted_unique(query.shingles[o0:last][shared]).shape[0]
                counted = int((tok_df > 0).sum()) if common.any() else o1 - o0
                self._out.append(M(m.source, not query.code, o1 - o0, distinct, str(m.kind), m.similarity, tok_df, ex,
                                   whole, r.src_tok[1] - r.src_tok[0], len(out), counted, int(ex.sum()),
                                   m.output_span, xdf))
        return matches


def _spread_min(v: np.ndarray, k: int, n: int) -> np.ndarray:
    """Per token of ``n``: the smallest nonzero ``v`` of the shingles (width ``k``) covering it, 0 if none."""
    big = np.iinfo(np.int64).max
    src = np.where(v > 0, v, big).astype(np.int64)
    out = np.full(n, big, dtype=np.int64)
    for j in range(k):
        seg = out[j : j + src.shape[0]]
        np.minimum(seg, src[: seg.shape[0]], out=seg)
    return np.where(out == big, 0, out)


def units(text: str, lang: str | None) -> list[tuple[int, int, int]]:
    """The answer's code blocks and prose paragraphs: (start, end, non-blank characters)."""
    import re

    from copyguard.normalize.markdown import blocks

    spans = [(0, len(text))] if lang is not None else []
    if lang is None:
        for b in blocks(text):
            if b.kind == "code":
                spans.append((b.start, b.end))
            else:
                at = b.start
                for part in re.split(r"(\n\s*\n)", text[b.start : b.end]):
                    spans.append((at, at + len(part)))
                    at += len(part)
    return [(a, b, len("".join(text[a:b].split()))) for a, b in spans if text[a:b].strip()]


def collect() -> None:
    recs: list[Rec] = []
    protected, items, _ = documented.make("tuning", 80)
    g = LabGuard(cg.build(protected, "documented-tuning"), PERMISSIVE)
    g.xkeys, g.xcounts = exact_counts(g.index)
    for it in items:
        if it.source is None and it.shared:
            continue
        recs.append(Rec(it.id, it.kind, it.lang, it.right(), g.collect(it.text, it.check_lang),
                        units(it.text, it.check_lang), len(it.text)))
    print("documented", len(recs), file=sys.stderr)
    prot, queries = data.pip_vendored()
    g = LabGuard(cg.build(prot, "pip"), PERMISSIVE)
    g.xkeys, g.xcounts = exact_counts(g.index)
    shared = falsealarms.pip_shared("tuning")
    for q, src, _ in queries:
        if falsealarms.half(q.id) != "tuning" or q.id in shared:
            continue
        recs.append(Rec(q.id, "pip-own" if src is None else "pip-vendored", "python", set() if src is None else {src},
                        g.collect(q.text, "python"), units(q.text, "python"), len(q.text)))
    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    g = LabGuard(cg.build(originals, "irplag"), PERMISSIVE)
    g.xkeys, g.xcounts = exact_counts(g.index)
    for it in items:
        recs.append(Rec(it.query.id, f"irplag-{it.group}" if it.label else "irplag-neg", "java",
                        {it.original.id} if it.label else set(), g.collect(it.query.text, "java"),
                        units(it.query.text, "java"), len(it.query.text)))
    OUT.write_bytes(pickle.dumps(recs))
    print("saved", len(recs), OUT, file=sys.stderr)


# --- rules -------------------------------------------------------------------------------------


def current(ms: list[M], rec=None, region: int = 16, code: float = 40, prose: float = 24, exact: float = 40) -> float:
    """Today's evidence (copyguard.evidence): tokens not only covered by boilerplate, shares of the floors."""
    total = 0.0
    for m in ms:
        if m.tokens < region or m.distinct < min(20, region // 2):
            continue
        counted = m.counted
        if m.prose:
            total += counted / prose
        else:
            ex = min(m.cur_exact, counted)
            total += ex / exact + (counted - ex) / code
    return total


def evaluate(rule, recs: list[Rec]) -> dict[str, tuple[float, int]]:
    by = defaultdict(list)
    for r in recs:
        per = defaultdict(list)
        for m in r.matches:
            per[m.source].append(m)
        flagged = {s for s, ms in per.items() if rule(ms, r) >= 1.0}
        key = (r.lang, r.group)
        by[key].append(bool(flagged & r.right) if r.right else bool(flagged))
    return {k: (sum(v) / len(v), len(v)) for k, v in by.items()}


def summary(res: dict) -> str:
    graded = [v for (lang, k), (v, _) in res.items() if k in documented.GOALS]
    short = [v for (lang, k), (v, _) in res.items() if k in ("short-3-4", "short-5-6", "short-7-9")]
    negs = [v for (lang, k), (v, _) in res.items() if k.startswith("negative-")]
    t5 = [v for (lang, k), (v, _) in res.items() if k == "truncated-5"]
    worst = max((v, f"{lang[:2]} {k[9:]}") for (lang, k), (v, _) in res.items() if k.startswith("negative-"))
    pip = res.get(("python", "pip-own"), (float("nan"), 0))[0]
    vend = res.get(("python", "pip-vendored"), (float("nan"), 0))[0]
    ir = res.get(("java", "irplag-neg"), (float("nan"), 0))[0]
    irl = [res[("java", f"irplag-L{i}")][0] for i in range(1, 7) if ("java", f"irplag-L{i}") in res]
    return (f"graded {np.mean(graded):.3f} min {min(graded):.3f} | t5 {np.mean(t5):.3f} | short {np.mean(short):.3f} | "
            f"negFA max {100 * worst[0]:.1f}% ({worst[1]}) mean {100 * np.mean(negs):.2f}% | pip {100 * pip:.1f}% "
            f"vend {vend:.3f} | IR {100 * ir:.1f}% L {' '.join(f'{x:.2f}' for x in irl)}")


def detail(res: dict) -> str:
    rows = sorted(res.items())
    return "\n".join(f"  {lang[:2]} {k:28s} {v:.3f} ({n})" for (lang, k), (v, n) in rows)


def main() -> None:
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)
        return
    if sys.argv[1:2] == ["collect"]:
        collect()
        return
    if not OUT.exists():
        sys.exit(f"lab: no saved matches at {OUT}; run `python bench/accuracy/lab.py collect` first")
    recs = pickle.loads(OUT.read_bytes())
    import lab_rules

    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    for name, rule in lab_rules.SETS[names[0] if names else "chosen"].items():
        res = evaluate(rule, recs)
        print(f"{name:40s} {summary(res)}")
        if "-v" in sys.argv:
            print(detail(res))


if __name__ == "__main__":
    main()
