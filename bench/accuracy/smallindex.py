"""Small indexes: false alarms and recall when the protected set is a few dozen files.

    python bench/accuracy/smallindex.py                          # TUNING group, writes smallindex-tuning.md
    python bench/accuracy/smallindex.py --background --out /tmp/smallindex-background.md   # the cap reads the table
    python bench/accuracy/smallindex.py --split reporting --out /tmp/smallindex-reporting.md

The distinctiveness weights (rare names, literals, kept names) and the boilerplate cap come from how many
indexed sources hold a key, so an index of a dozen files finds every shingle and every name rare: code every
library writes (argument pass-through wrappers, ``if x is None: return`` guards, getters) then reads as a
copy of the one protected file that holds it. documented.py and negatives.py index whole libraries (hundreds
of files), where that scaffolding is common, so they cannot show it.

Each protected library of documented.py's group (``documented.LIBRARIES``, same tuning/reporting split) gives
``--per-lib`` disjoint samples of ``--files`` files; each sample is its own index. Checked against it:

- negatives: every library of the group in the same language other than the indexed one (protected or
  negative role) gives independent functions of the same style, fenced as documented.py's "verbatim" slice
  (their docs included), ``--negatives`` of them per index, and a third as many of their files' first 100 lines
  checked as raw files (no fence, no language); negatives sharing lines with an indexed file
  (``audit.Shared``) are left out of the rate (counted in "(all)");
- positives: the indexed files' own functions copied verbatim, renamed (locals and parameters), their first
  10 lines, and short functions of 5-6 lines of code (documented.py's slices, ``--copies`` each per index),
  so a remedy shows what it costs in recall.

Every check is ``Guard.check(answer)`` with the default ``Policy`` (``--background``: with
``background_counts = true``, the shipped table of ``copyguard.index.background``), language detected, as an
application does. Flagged independent negatives and missed copies are listed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import documented as D  # noqa: E402
import queries as Q  # noqa: E402
from audit import Holders, Shared, check_negative  # noqa: E402
from data import negative_corpus  # noqa: E402

POSITIVE_KINDS = ("verbatim", "renamed", "truncated-10", "short-5-6")


def _samples(rng: random.Random, docs: list, files: int, per_lib: int) -> list[list]:
    """``per_lib`` disjoint samples of ``files`` files, each file holding at least one documented function."""
    usable = [d for d in docs if D.functions([d])]
    rng.shuffle(usable)
    return [usable[i * files:(i + 1) * files] for i in range(per_lib) if len(usable) >= (i + 1) * files]


def run(split: str, files: int, per_lib: int, negatives: int, copies: int, seed: int = 1, policy=None,
        verbose: bool = True) -> tuple[dict, list[str], list[str]]:
    """``({(lang, kind): [hits, count, all hits, all count]}, flagged rows, missed rows)``: for a positive kind
    hits are copies found naming a right source, for a negative kind they are flagged independent negatives."""
    libs = [lib for lib in D.LIBRARIES if lib.split == split]
    rng = random.Random(seed)
    filler = [p for c in negative_corpus()[2][::2] for p in Q.paragraphs(c, 20, 60)]
    by_lib = {lib.name: D.sources(lib) for lib in libs}
    funcs_of = {lib.name: D.functions(by_lib[lib.name]) for lib in libs}
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    flagged: list[str] = []
    missed: list[str] = []
    for lib in libs:
        if lib.role != "protected":
            continue
        others = [f for o in libs if o.lang == lib.lang and o.name != lib.name for f in funcs_of[o.name]]
        others = [f for f in others if 3 <= D._lines(f) <= 120]
        other_files = [d for o in libs if o.lang == lib.lang and o.name != lib.name for d in by_lib[o.name]
                       if len(d.text.splitlines()) >= 20]
        for i, docs in enumerate(_samples(rng, by_lib[lib.name], files, per_lib)):
            t0 = time.time()
            name = f"small-{split}-{lib.name.replace('/', '_').replace(' ', '_')}-{files}-{i}"
            g = cg.guard(cg.build(docs, name), policy)
            texts = {d.id: d.text for d in docs}
            shared, holders = Shared(texts), Holders(texts)
            mine = D.functions(docs)
            for kind, text, src, original in D._slices(rng, mine, docs, lib.lang, copies, filler):
                if kind not in POSITIVE_KINDS:
                    continue
                right = set(holders.of(original)) | {src}
                v = g.check(text)
                found = bool({m.source for m in v.matches} & right)
                if not found:
                    missed.append(f"| {split} | {lib.lang} | {name} | {kind} | {src} | "
                                  f"{', '.join(sorted({m.source for m in v.matches})) or '-'} | {len(v.discounted)} |")
                row = counts[(lib.lang, kind)]
                row[0] += found
                row[1] += 1
            negs = [("negative", f.source, Q.wrap(rng, f.code, D.FENCE[lib.lang], filler))
                    for f in D._sample(rng, others, negatives)]
            negs += [("negative-raw-file", d.id, Q.truncate(d.text, 100) + "\n")
                     for d in D._sample(rng, other_files, negatives // 3)]
            for nkind, nsource, text in negs:
                v = check_negative(g, text, counts[(lib.lang, nkind)], shared)
                if v is not None:
                    m = max(v.matches, key=lambda m: m.tokens)
                    flagged.append(f"| {split} | {lib.lang} | {name} | {nkind} {nsource} | {m.source} | {m.tokens} | "
                                   f"{m.similarity:.2f} | {len(v.matches)} |")
            if verbose:
                print(f"  {name}: {len(docs)} files, {time.time() - t0:.1f}s", file=sys.stderr)
    return dict(counts), flagged, missed


def summary(counts: dict) -> dict[str, float]:
    """One number per language and kind (recall, or the independent false-alarm rate), for sweeps."""
    return {f"{lang}/{kind}": (r[0] / r[1] if r[1] else float("nan")) for (lang, kind), r in sorted(counts.items())}


def table(counts: dict, split: str) -> str:
    langs = sorted({lang for lang, _ in counts})
    out = [f"| {split} | " + " | ".join(langs) + " |", "|---|" + "---|" * len(langs)]
    for kind in ("negative", "negative-raw-file", *POSITIVE_KINDS):
        cells = []
        for lang in langs:
            r = counts.get((lang, kind))
            if r is None or not r[1]:
                cells.append("")
            elif kind.startswith("negative"):
                cells.append(f"{100 * r[0] / r[1]:.1f}% ({r[0]}/{r[1]}; all {r[2]}/{r[3]})")
            else:
                cells.append(f"{r[0] / r[1]:.3f} ({r[1]})")
        label = {"negative": "false alarms, independent functions", "negative-raw-file": "false alarms, independent raw files"
                 }.get(kind, f"recall, {kind}")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="tuning", choices=("tuning", "reporting"))
    ap.add_argument("--files", type=int, default=10, help="files per small index")
    ap.add_argument("--per-lib", type=int, default=5, help="disjoint small indexes per protected library")
    ap.add_argument("--negatives", type=int, default=300, help="independent functions checked per index "
                    "(and a third as many raw files)")
    ap.add_argument("--copies", type=int, default=10, help="copies per positive slice per index")
    ap.add_argument("--background", action="store_true",
                    help="Policy(background_counts=True): the boilerplate cap also reads the shipped background table")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    t0 = time.time()
    from copyguard.policy import Policy

    policy = Policy(background_counts=True) if a.background else None
    counts, flagged, missed = run(a.split, a.files, a.per_lib, a.negatives, a.copies, policy=policy)
    out = [f"# Small indexes ({a.split} group)", "",
           f"Made by `bench/accuracy/smallindex.py --split {a.split} --files {a.files} --per-lib {a.per_lib} "
           f"--negatives {a.negatives} --copies {a.copies}{' --background' * a.background}` "
           f"at {D._commit()} in {time.time() - t0:.0f} s. "
           f"Each protected library of documented.py's {a.split} group gives {a.per_lib} disjoint indexes of "
           f"{a.files} files; negatives are functions of the group's other libraries in the same language "
           "(fenced, with their docs) and their files' first 100 lines as raw files; positives are the indexed "
           f"files' own functions. {'Policy(background_counts=True)' if a.background else 'Default policy'}.",
           "",
           table(counts, a.split), "", "## Flagged independent negatives", "",
           "| split | lang | index | negative from | matched | tokens | similarity | matches |",
           "|---|---|---|---|---|---|---|---|", *flagged, "", "## Copies missed", "",
           "| split | lang | index | slice | copied from | named instead | discounted |", "|---|---|---|---|---|---|---|",
           *missed, ""]
    text = "\n".join(out)
    path = Path(a.out) if a.out else HERE / f"smallindex-{a.split}.md"
    path.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
