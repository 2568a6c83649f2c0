"""Why each miss and each false alarm of the documented-code slices happens (TUNING group by default).

    python bench/accuracy/diagnose_words.py [--split tuning] [--n 80] [--only KIND] [--lang LANG] [--verbose]

Replays ``Guard.check`` step by step for every item and prints one reason per
miss (or false alarm), then a count of reasons per (language, slice):

- ``no-stream``: the answer gave no stream of the copied kind (language not detected);
- ``lsh``: no band key of the answer found any passage of the true source;
- ``containment``: passages of the source were found, none reached ``min_candidate_containment``;
- ``boilerplate-cand``: the source is a candidate only when boilerplate shingles count;
- ``ranked-out``: it passed containment but ``max_sources`` others ranked before it;
- ``no-region``: aligned, but no region met the per-region limits;
- ``floor``: regions found, their evidence (code tokens / words, minus boilerplate) under the floors;
- ``boilerplate``: evidence enough only with the boilerplate tokens counted.

False alarms print the source, kind, tokens, boilerplate and similarity of each region.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import documented  # noqa: E402

from copyguard.candidates import rank_candidates, shingle_counts, sketch_query, without  # noqa: E402
from copyguard.evidence import block_evidence, evidence, weigh  # noqa: E402
from copyguard.normalize import PROSE_ALIASES  # noqa: E402
from copyguard.policy import Policy  # noqa: E402


def replay(g, text: str, lang: str | None):
    """Every intermediate of one check: streams, queries, masks, ranked candidates, matches, kept."""
    from copyguard.base import base_mask
    from copyguard.candidates import boilerplate_mask

    p = g.policy
    indexes = g.indexes
    streams, _, blocks = g._read(text, lang)
    queries = [sketch_query(ts, g.params) for ts in streams]
    base = g.base_shingles(indexes)
    queries = [without(q, base_mask(q.shingles, base)) for q in queries]
    counts = [shingle_counts(indexes, q) for q in queries]
    common = [boilerplate_mask(indexes, q, p.max_shingle_sources, p.max_shingle_share, c)
              for q, c in zip(queries, counts)]
    ranked = g._candidates(indexes, queries, common, counts)
    held = g._held_only(indexes, [r for r, _ in ranked])
    matches, _ = g._rounds(indexes, streams, queries, common, ranked, counts, blocks, held)
    kept, _ = weigh(text, matches, p.floors(), blocks, held)
    found = [list(r.candidates) for r, _ in ranked]
    return streams, queries, common, found, found, matches, kept


def reason(g, text: str, lang: str | None, source: str, right: set[str] | None = None) -> tuple[str, str]:
    """Why ``source`` is not reported for ``text`` ("hit" when a match names it or another holder in ``right``)."""
    index = g.index
    ref = index.find_sources([source]).get(source)
    if ref is None:
        return "not-indexed", ""
    p = g.policy
    streams, queries, common, first, found, matches, kept = replay(g, text, lang)
    if any(m.source == source or m.source in (right or ()) for m in kept):
        return "hit", ""
    mine = [m for m in matches if m.source == source]
    kinds = [("prose" if ts.lang in PROSE_ALIASES else "code") + f":{len(ts)}" for ts in streams]
    if mine:
        ev = evidence(mine, p.floors())
        evb = evidence(mine, p.floors(), with_boilerplate=True)
        blk = block_evidence(mine, p.floors())
        detail = " ".join(f"{m.lang[:2]}/{m.kind}/{m.tokens}t-{m.boilerplate}b-{m.exact}x-{m.weight or 0:.1f}w-{m.names}n/"
                          f"s{m.similarity:.2f}" for m in mine)
        return ("boilerplate" if evb >= 1 else "floor"), (f"ev={ev:.2f} evb={evb:.2f} block={blk:.2f} {detail} "
                                                          f"streams={kinds}")
    if any(c.ref == ref for cands in found for c in cands):
        return "no-region", f"streams={kinds}"
    for q, c in zip(queries, common):
        gids = index.lookup_passages(q.keys)
        if gids.shape[0] == 0:
            continue
        info = index.passage_info(gids)
        if (info.source == ref).any():
            loose = rank_candidates([index], q, p.min_candidate_containment, 10_000).candidates
            strict = rank_candidates([index], without(q, c), p.min_candidate_containment, 10_000).candidates
            if any(x.ref == ref for x in strict):
                rank = [x.ref for x in strict].index(ref)
                return "ranked-out", f"rank={rank} streams={kinds}"
            if any(x.ref == ref for x in loose):
                return "boilerplate-cand", f"streams={kinds}"
            return "containment", f"streams={kinds}"
    if not streams:
        return "no-stream", ""
    return "lsh", f"streams={kinds}"


def false_alarm(g, text: str, lang: str | None) -> str:
    *_, kept = replay(g, text, lang)
    return " ".join(f"{m.source}:{m.lang[:2]}/{m.kind}/{m.tokens}t-{m.boilerplate}b-{m.exact}x-{m.weight or 0:.1f}w/"
                    f"s{m.similarity:.2f}" for m in kept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="tuning")
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--only", default="", help="comma-separated slice names")
    ap.add_argument("--lang", default="")
    ap.add_argument("--verbose", action="store_true", help="print each case, not only the counts")
    args = ap.parse_args()
    protected, items, _ = documented.make(args.split, args.n)
    g = cg.guard(cg.build(protected, f"documented-{args.split}"), Policy())
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    only = set(filter(None, args.only.split(",")))
    for it in items:
        if (only and it.kind.removeprefix("negative-") not in only) or (args.lang and it.lang != args.lang):
            continue
        if it.source is None:
            if it.shared:  # not independent (audit.Shared): left out, as documented.py does
                counts[(it.lang, it.kind)]["shared"] += 1
                continue
            fa = false_alarm(g, it.text, it.check_lang)
            counts[(it.lang, it.kind)]["false-alarm" if fa else "ok"] += 1
            if fa and args.verbose:
                print(f"FA {it.id}: {fa}")
            continue
        why, detail = reason(g, it.text, it.check_lang, it.source, it.right())
        counts[(it.lang, it.kind)][why] += 1
        if why != "hit" and args.verbose:
            print(f"{why:16s} {it.id} {it.source}: {detail}")
    print("\n| language | slice | reasons |\n|---|---|---|")
    for (lang, kind), c in sorted(counts.items()):
        print(f"| {lang} | {kind} | {', '.join(f'{k} {v}' for k, v in c.most_common())} |")


if __name__ == "__main__":
    main()
