"""False alarms on code that shares boilerplate but was not copied, end to end with the default policy.

    python bench/accuracy/falsealarms.py [--split tuning|reporting|both]

- pip vendored: pip's own files checked against the eight libraries pip vendors (the upstream
  files indexed): any match is a false alarm; the vendored copies must name their upstream file.
  The files are split in two by a hash of their name: the TUNING half chose the defaults, the
  REPORTING half is reported.
- same-task independent solutions: IR-Plag (TUNING; each case's original indexed, its
  independent solutions checked: flagged = false alarm, its plagiarized copies: recall) and SOCO
  Java and C (REPORTING; every file indexed, each checked against the others: pairs flagged that
  the organisers did not judge as re-use, over all such pairs, and over the files).
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


def half(name: str) -> str:
    return "tuning" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "reporting"


def pip(split: str, policy=None) -> dict[str, tuple[float, int]]:
    protected, queries = data.pip_vendored()
    g = cg.guard(cg.build(protected, "pip"), policy)
    fp, hit, hit100 = [], [], []
    for q, src, _ in queries:
        if half(q.id) != split:
            continue
        v = g.check(q.text, "python")
        if src is None:
            fp.append(bool(v.matches))
        else:
            found = src in {m.source for m in v.matches}
            hit.append(found)
            if cg.n_tokens(q.text, "python") >= 100:
                hit100.append(found)
    return {"pip's own files flagged": _rate(fp), "vendored copies found": _rate(hit),
            "vendored copies of 100+ tokens found": _rate(hit100)}


def irplag(policy=None) -> dict[str, tuple[float, int]]:
    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    g = cg.guard(cg.build(originals, "irplag"), policy)
    neg, pos = [], {}
    for it in items:
        v = g.check(it.query.text, "java")
        flagged = any(m.source == it.original.id for m in v.matches)
        if it.label:
            pos.setdefault(it.group, []).append(flagged)
        else:
            neg.append(bool(v.matches))
    out = {"independent solutions flagged": _rate(neg)}
    for level in sorted(pos):
        out[f"copies {level} found"] = _rate(pos[level])
    return out


def soco(lang: str, policy=None) -> dict[str, tuple[float, int]]:
    docs, truth = data.soco(lang)
    g = cg.guard(cg.build(docs, f"soco-{lang}"), policy)
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
    return {"independent pairs flagged": (fp / independent, independent),
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
                      table(results), ""])
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
