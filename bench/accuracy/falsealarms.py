"""False alarms on code that shares boilerplate but was not copied, end to end with the default policy.

    python bench/accuracy/falsealarms.py [--split tuning|reporting|both]
    (documented.py runs these too, with the peers, in its one report)

- pip vendored: pip's own files checked against the eight libraries pip vendors (the upstream
  files indexed): any match is a false alarm; the vendored copies must name their upstream file.
  The files are split in two by a hash of their name: the TUNING half chose the defaults, the
  REPORTING half is reported.
- same-task independent solutions: IR-Plag (TUNING; each case's original indexed, its
  independent solutions checked: flagged = false alarm, its plagiarized copies: recall) and SOCO
  Java and C (REPORTING; every file indexed, each checked against the others: pairs flagged that
  the organisers did not judge as re-use, over all such pairs, and over the files).

A negative that shares 5+ lines with what it is checked against (``audit.Shared``, measured on the
texts, not by copyguard: pip's ``utils/glibc.py`` holds 13 lines of packaging's ``_manylinux.py``), or 8+
lines equal under a consistent renaming (pip's ``network/utils.py`` holds 12 of requests' ``models.py``, its
``raise_for_status`` with ``self`` renamed ``resp``), or one doc comment or docstring holding 40 words in runs of
8+ equal to its doc text (``audit.SHARED_WORDS``), is not independent: the "flagged" rates leave such negatives
out, the "(all)" rates count them, and ``SHARED`` lists them with where they share lines. pip's own files that
are flagged and share nothing are listed with their largest match (``FLAGGED``), to be read by a person.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import data  # noqa: E402
from audit import Shared, window_keys  # noqa: E402

ALL = " (all)"  # a rate over all negatives, those sharing lines with what they are checked against included


def half(name: str) -> str:
    return "tuning" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "reporting"


# Negatives that share audit.SHARED_LINES+ lines with what they are checked against (not independent of it),
# per set name: [(negative, where)]. Filled by the functions below; they are left out of the "flagged" rates
# the goals use, and counted in the "(all)" ones.
SHARED: dict[str, list[tuple[str, str]]] = {}
# pip's own files flagged though they share no lines with what they are checked against, per set name:
# [(file, what its largest match names and quotes)], to be read by a person (``main`` lists them).
FLAGGED: dict[str, list[tuple[str, str]]] = {}


def pip_shared(split: str) -> dict[str, str]:
    """pip's own files of one half that share lines with an upstream file: {file: where}."""
    protected, queries = data.pip_vendored()
    shared = Shared({d.id: d.text for d in protected})
    out = {q.id: shared.find(q.text) for q, src, _ in queries if src is None and half(q.id) == split}
    found = {k: v for k, v in out.items() if v}
    SHARED[f"pip vendored ({split} half)"] = sorted(found.items())
    return found


def pip(split: str, policy=None, params=None) -> dict[str, tuple[float, int]]:
    protected, queries = data.pip_vendored()
    g = cg.guard(cg.build(protected, "pip", params), policy)
    shared = pip_shared(split)
    fp, fp_all, hit, hit100 = [], [], [], []
    flagged = FLAGGED.setdefault(f"pip vendored ({split} half)", [])
    flagged.clear()
    for q, src, _ in queries:
        if half(q.id) != split:
            continue
        v = g.check(q.text, "python")
        if src is None:
            fp_all.append(bool(v.matches))
            if q.id not in shared:
                fp.append(bool(v.matches))
                if v.matches:
                    flagged.append((q.id, _largest(q.text, v.matches)))
        else:
            found = src in {m.source for m in v.matches}
            hit.append(found)
            if cg.n_tokens(q.text, "python") >= 100:
                hit100.append(found)
    return {"pip's own files flagged": _rate(fp), "pip's own files flagged" + ALL: _rate(fp_all),
            "vendored copies found": _rate(hit), "vendored copies of 100+ tokens found": _rate(hit100)}


def _largest(text: str, matches) -> str:
    m = max(matches, key=lambda m: m.tokens)
    quote = " ".join(text[m.output_span[0] : m.output_span[1]].split())[:160].replace("|", "\\|")
    return f"{m.source} ({len(matches)} matches, largest {m.tokens} {m.lang} tokens at {m.similarity:.2f}): {quote}"


def irplag_shared() -> set[str]:
    """IR-Plag's "independent" solutions that share lines with their case's original."""
    found = sorted((it.query.id, where) for it in data.irplag_pairs() if not it.label
                   for where in [Shared({it.original.id: it.original.text}).find(it.query.text)] if where)
    SHARED["IR-Plag (same task)"] = found
    return {q for q, _ in found}


def irplag(policy=None, params=None) -> dict[str, tuple[float, int]]:
    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    g = cg.guard(cg.build(originals, "irplag", params), policy)
    shared = irplag_shared()
    neg, neg_all, pos = [], [], {}
    for it in items:
        v = g.check(it.query.text, "java")
        flagged = any(m.source == it.original.id for m in v.matches)
        if it.label:
            pos.setdefault(it.group, []).append(flagged)
        else:
            neg_all.append(bool(v.matches))
            if it.query.id not in shared:
                neg.append(bool(v.matches))
    out = {"independent solutions flagged": _rate(neg), "independent solutions flagged" + ALL: _rate(neg_all)}
    for level in sorted(pos):
        out[f"copies {level} found"] = _rate(pos[level])
    return out


def soco_shared(lang: str, docs, truth: set[frozenset[str]]) -> set[frozenset[str]]:
    """Pairs the organisers did not judge as re-use whose two files share lines."""
    holding: dict[bytes, list[int]] = {}
    for i, d in enumerate(docs):
        for key in window_keys(d.text):
            holding.setdefault(key, []).append(i)
    pairs = {(a, b) for held in holding.values() for a in held for b in held if a < b}
    found = []
    for a, b in sorted(pairs):
        if frozenset((docs[a].id, docs[b].id)) not in truth:
            found.append((f"{docs[b].id} ~ {docs[a].id}", Shared({docs[a].id: docs[a].text}).find(docs[b].text)))
    SHARED[f"SOCO {lang} (same task)"] = found
    return {frozenset(name.split(" ~ ")) for name, _ in found}


def soco(lang: str, policy=None) -> dict[str, tuple[float, int]]:
    docs, truth = data.soco(lang)
    g = cg.guard(cg.build(docs, f"soco-{lang}"), policy)
    shared = soco_shared(lang, docs, truth)
    flagged = set()
    files_flagged = []
    reused = {x for pair in truth for x in pair}
    for d in docs:
        v = g.check(d.text, lang)
        pairs = {frozenset((d.id, m.source)) for m in v.matches if m.source != d.id}
        flagged |= pairs
        if d.id not in reused:
            files_flagged.append(bool(pairs))
    n = len(docs)
    independent = n * (n - 1) // 2 - len(truth)
    fp = len(flagged - truth)
    return {"independent pairs flagged": (len(flagged - truth - shared) / (independent - len(shared)),
                                          independent - len(shared)),
            "independent pairs flagged" + ALL: (fp / independent, independent),
            "files in no re-use pair that were flagged": _rate(files_flagged),
            "re-use pairs found": (len(flagged & truth) / len(truth), len(truth)),
            "precision of flagged pairs": (len(flagged & truth) / max(len(flagged), 1), len(flagged))}


def _rate(values: list[bool]) -> tuple[float, int]:
    return (sum(values) / len(values) if values else float("nan")), len(values)


def run(split: str, policy=None) -> dict[str, dict[str, tuple[float, int]]]:
    out = {f"pip vendored ({split} half)": pip(split, policy)}
    if split == "tuning":
        out["IR-Plag (same task)"] = irplag(policy)
    else:
        for lang in ("java", "c"):
            out[f"SOCO {lang} (same task)"] = soco(lang, policy)
    return out


Cells = dict[str, tuple[float, int]]  # tool -> (value, n)


def report(split: str, thresholds: dict[str, dict[str, float]] | None = None, policy=None
           ) -> dict[str, dict[str, Cells]]:
    """``{set: {measure: {tool: (value, n)}}}`` for one split; the peers too when their ``thresholds`` are given.

    ``thresholds[tool][lang]`` are read on documented.py's negatives of the same split (Python for
    pip, Java for IR-Plag and SOCO, C included: there are no documented C negatives).
    """
    import json

    out: dict[str, dict[str, Cells]] = {}
    for name, rows in run(split, policy).items():
        out[name] = {measure: {"copyguard": cell} for measure, cell in rows.items()}
    if not thresholds:
        return out
    # the peers' figures depend on their thresholds only: cached by them
    key = hashlib.sha1(json.dumps([split, thresholds, "audit-2"], sort_keys=True).encode()).hexdigest()[:10]
    cache = data.CACHE / f"falsealarms-peers-{key}.json"
    if cache.exists():
        peer_rows = json.loads(cache.read_text())
    else:
        peer_rows = {name: {measure: {} for measure in rows} for name, rows in out.items()}
        _peer_pip(split, thresholds, peer_rows[f"pip vendored ({split} half)"])
        if split == "tuning":
            _peer_irplag(thresholds, peer_rows["IR-Plag (same task)"])
        else:
            for lang in ("java", "c"):
                _peer_soco(lang, thresholds, peer_rows[f"SOCO {lang} (same task)"])
        cache.write_text(json.dumps(peer_rows))
    for name, rows in peer_rows.items():
        for measure, cells in rows.items():
            out[name].setdefault(measure, {}).update({t: tuple(v) for t, v in cells.items()})
    return out


def _thr(thresholds: dict[str, dict[str, float]], tool: str, lang: str) -> float:
    return thresholds.get(tool, {}).get(lang, thresholds.get(tool, {}).get("java", 0.0))


def _peer_scores(refs, queries, lang: str) -> dict[str, dict[str, dict[str, float]]]:
    """Per peer: {query: {ref: score}} (copydetect query side, Dolos share of the query covered)."""
    import peers

    group = [(refs, queries)]
    return {"copydetect": peers.copydetect_scores(group, lang)[0],
            "Dolos": peers.dolos_scores(group, lang, "query_cover" if queries is not None else "similarity")}


def _peer_pip(split: str, thresholds, rows: dict[str, Cells]) -> None:
    import peers

    protected, queries = data.pip_vendored()
    mine = [(q, src) for q, src, _ in queries if half(q.id) == split]
    scores = _peer_scores(protected, [q for q, _ in mine], "python")
    lsh = peers.DatasketchLSH(protected)
    found = {q.id: lsh.query(q.text) for q, _ in mine}
    decide = {"datasketch": lambda q: found[q.id]}
    for tool, sc in scores.items():
        thr = _thr(thresholds, tool, "python")
        decide[tool] = lambda q, sc=sc, thr=thr: {r for r, v in sc.get(q.id, {}).items() if v > thr}
    shared = pip_shared(split)
    for tool, fn in decide.items():
        rows["pip's own files flagged"][tool] = _rate([bool(fn(q)) for q, src in mine
                                                      if src is None and q.id not in shared])
        rows["pip's own files flagged" + ALL][tool] = _rate([bool(fn(q)) for q, src in mine if src is None])
        rows["vendored copies found"][tool] = _rate([src in fn(q) for q, src in mine if src is not None])
        rows["vendored copies of 100+ tokens found"][tool] = _rate(
            [src in fn(q) for q, src in mine if src is not None and cg.n_tokens(q.text, "python") >= 100])


def _peer_irplag(thresholds, rows: dict[str, Cells]) -> None:
    import peers

    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    queries = list({it.query.id: it.query for it in items}.values())
    scores = _peer_scores(originals, queries, "java")
    lsh = peers.DatasketchLSH(originals)
    found = {q.id: lsh.query(q.text) for q in queries}
    decide = {"datasketch": lambda q: found[q]}
    for tool, sc in scores.items():
        thr = _thr(thresholds, tool, "java")
        decide[tool] = lambda q, sc=sc, thr=thr: {r for r, v in sc.get(q, {}).items() if v > thr}
    shared = irplag_shared()
    for tool, fn in decide.items():
        rows["independent solutions flagged"][tool] = _rate([bool(fn(it.query.id)) for it in items
                                                            if not it.label and it.query.id not in shared])
        rows["independent solutions flagged" + ALL][tool] = _rate([bool(fn(it.query.id)) for it in items
                                                                  if not it.label])
        for level in sorted({it.group for it in items if it.label}):
            rows.setdefault(f"copies {level} found", {})[tool] = _rate(
                [it.original.id in fn(it.query.id) for it in items if it.label and it.group == level])


def _peer_soco(lang: str, thresholds, rows: dict[str, Cells]) -> None:
    import peers

    docs, truth = data.soco(lang)
    scores = _peer_scores(docs, None, lang)
    lsh = peers.DatasketchLSH(docs)
    pairs_of = {"datasketch": {frozenset((d.id, r)) for d in docs for r in lsh.query(d.text) if r != d.id}}
    for tool, sc in scores.items():
        thr = _thr(thresholds, tool, "java")
        pairs_of[tool] = {frozenset((q, r)) for q, rs in sc.items() for r, v in rs.items() if v > thr and r != q}
    n = len(docs)
    independent = n * (n - 1) // 2 - len(truth)
    reused = {x for pair in truth for x in pair}
    shared = soco_shared(lang, docs, truth)
    for tool, flagged in pairs_of.items():
        in_pair = {x for pair in flagged for x in pair}
        rows["independent pairs flagged"][tool] = (len(flagged - truth - shared) / (independent - len(shared)),
                                                   independent - len(shared))
        rows["independent pairs flagged" + ALL][tool] = (len(flagged - truth) / independent, independent)
        rows["files in no re-use pair that were flagged"][tool] = _rate(
            [d.id in in_pair for d in docs if d.id not in reused])
        rows["re-use pairs found"][tool] = (len(flagged & truth) / len(truth), len(truth))
        rows["precision of flagged pairs"][tool] = (len(flagged & truth) / max(len(flagged), 1), len(flagged))


def table(results: dict[str, dict[str, dict[str, tuple[float, int]]]]) -> str:
    lines = ["| split | set | measure | copyguard | n |", "|---|---|---|---|---|"]
    for split, sets_ in results.items():
        for name, rows in sets_.items():
            for measure, (v, n) in rows.items():
                lines.append(f"| {split} | {name} | {measure} | {v:.3f} | {n} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="both", choices=["tuning", "reporting", "both"])
    ap.add_argument("--out", default=str(HERE / "falsealarms.md"))
    args = ap.parse_args()
    started = time.perf_counter()
    results = {s: run(s) for s in (("tuning", "reporting") if args.split == "both" else (args.split,))}
    text = "\n".join([f"# False alarms on shared boilerplate ({time.perf_counter() - started:.0f} s, default policy)",
                      "", "Generated by `python bench/accuracy/falsealarms.py`; see its docstring.", "",
                      table(results), "", "pip's own files flagged (sharing no lines with what they are checked "
                      "against; the largest match of each):", "",
                      *(f"- {name}: `{q}` → {where}" for name, rows in FLAGGED.items() for q, where in rows), ""])
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
