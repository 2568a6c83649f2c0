"""Parameter sweeps on the quick subsets: one parameter at a time around the defaults.

    python bench/accuracy/run.py --sweep           # writes bench/accuracy/sweeps.md

For each value: synthetic answers (n=30 per language and transformation:
recall of exact-ish code copies, renamed code, exact-ish prose, edited prose,
short copies, false positives on the negatives), pip vendored (recall of the
copies with 100+ tokens, false positives on pip's own files), IR-Plag end to
end (default-policy recall on L1-L3, false positives on the independent
solutions), SOCO C (precision of flagged pairs) and Clough-Stevenson (AUC of
the end-to-end score). Policy values reuse one index; Params values rebuild.

One variant patches normalization in this process only (no library change):
``literals kept`` hashes string and number literals by their content (quotes
stripped) in the normalized channel instead of a type placeholder.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from pathlib import Path

import cg
import data
import numpy as np
import synth
from metrics import auc
from sets import log

from copyguard.params import Params
from copyguard.policy import Policy

HERE = Path(__file__).resolve().parent
N = 30

GROUPS = {
    "code exact": ("python", "javascript"), "code renamed": ("python", "javascript"),
}
CODE_EXACT = ("verbatim", "untagged", "truncated", "embedded")
CODE_RENAMED = ("renamed", "tool-renamed", "add-remove")
PROSE_EXACT = ("verbatim", "upper", "reflow", "zero-width", "homoglyphs")
PROSE_EDITS = ("edits-5%", "edits-15%")
SHORT = ("lines-6", "lines-8", "chars-160", "chars-200")
COLS = ["code exact", "code renamed", "prose exact", "prose edits", "short", "synth FP", "pip recall", "pip FP",
        "IR L1-3 recall", "IR FP", "SOCO-C prec", "Clough AUC", "s"]


_MEMO: dict[str, dict[str, float]] = {}


def evaluate(params: Params, policy: Policy) -> dict[str, float]:
    key = repr((params, policy, cg.VARIANT))
    if key not in _MEMO:
        _MEMO[key] = _evaluate(params, policy)
    return _MEMO[key]


def _evaluate(params: Params, policy: Policy) -> dict[str, float]:
    t0 = time.perf_counter()
    out: dict[str, float] = {}
    protected, qs = synth.make(N)
    index = cg.build(protected, "synthetic", params)
    g = cg.guard(index, policy)
    hits, flags = defaultdict(list), []
    for q in qs:
        v = g.check(q.text)
        names = {m.source for m in v.matches}
        if q.source is None:
            flags.append(bool(names))
            continue
        key = ("code " if q.lang != "text" else "prose ") + q.kind
        hits[key].append(q.source in names)
    pick = lambda pre, kinds: float(np.mean([h for k in kinds for h in hits[pre + k]]))  # noqa: E731
    out["code exact"] = pick("code ", CODE_EXACT)
    out["code renamed"] = pick("code ", CODE_RENAMED)
    out["prose exact"] = pick("prose ", PROSE_EXACT)
    out["prose edits"] = pick("prose ", PROSE_EDITS)
    out["short"] = float(np.mean([h for k in SHORT for pre in ("code ", "prose ") for h in hits[pre + k]]))
    out["synth FP"] = float(np.mean(flags))

    protected, queries = data.pip_vendored()
    g = cg.guard(cg.build(protected, "pip", params), policy)
    rec, fp = [], []
    for q, src, _ in queries:
        names = {m.source for m in g.check(q.text, "python").matches}
        if src is None:
            fp.append(bool(names))
        elif cg.n_tokens(q.text, "python") >= 100:
            rec.append(src in names)
    out["pip recall"], out["pip FP"] = float(np.mean(rec)), float(np.mean(fp))

    items = data.irplag_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    g = cg.guard(cg.build(originals, "irplag", params), policy)
    pos, neg = [], []
    for it in items:
        named = any(m.source == it.original.id for m in g.check(it.query.text, "java").matches)
        if it.label and it.group in ("L1", "L2", "L3"):
            pos.append(named)
        elif not it.label:
            neg.append(named)
    out["IR L1-3 recall"], out["IR FP"] = float(np.mean(pos)), float(np.mean(neg))

    docs, truth = data.soco("c")
    g = cg.guard(cg.build(docs, "soco-c", params), policy)
    flagged = set()
    for d in docs:
        flagged |= {frozenset((d.id, m.source)) for m in g.check(d.text, "c").matches if m.source != d.id}
    out["SOCO-C prec"] = len(flagged & truth) / max(len(flagged), 1)

    items = data.clough_pairs()
    originals = list({it.original.id: it.original for it in items}.values())
    g = cg.guard(cg.build(originals, "clough", params), policy)
    sc = {it.query.id: cg.weighted(g.check(it.query.text, "text"), cg.n_tokens(it.query.text, "text"))
          .get(it.original.id, 0.0) for it in items}
    out["Clough AUC"] = auc([sc[i.query.id] for i in items if i.group in ("cut", "light")],
                            [sc[i.query.id] for i in items if i.group == "non"])
    out["s"] = time.perf_counter() - t0
    return out


def row(label: str, res: dict[str, float], default: bool) -> str:
    cells = [f"{res[c]:.0f}" if c == "s" else (f"{100 * res[c]:.1f}%" if "FP" in c else f"{res[c]:.3f}") for c in COLS]
    return f"| {'**' + label + '**' if default else label} | " + " | ".join(cells) + " |"


def header(name: str) -> list[str]:
    return [f"### {name}", "", "| value | " + " | ".join(COLS) + " |", "|---|" + "---|" * len(COLS)]


# --- the literal-content variant (process-local patch of normalization) -----------------------------------


def patch_literals() -> None:
    """Normalized hashes of string/number literals = hash of their content without quotes or prefixes."""
    import copyguard.normalize.code as code
    original = code.normalize_code

    def normalize_code(text: str, lang: str):
        ts = original(text, lang)
        return dataclasses.replace(ts, hashes=cg.literal_content(ts))

    code.normalize_code = normalize_code
    cg.VARIANT = "literals-kept"


def main(quick: bool = False) -> None:
    base_p, base_pol = Params(), Policy()
    lines = ["# Parameter sweeps (quick subsets)", "",
             "Generated by `python bench/accuracy/run.py --sweep`. One parameter varied at a time from the "
             "defaults (bold). Synthetic recall needs the right source; `short` = recall on the first 6 and 8 "
             "lines of code and the first 160 and 200 characters of prose; FP columns are false-positive rates "
             "(synthetic negatives; pip's own files; IR-Plag independent solutions of the same task). "
             "`s` = seconds for the row.", ""]
    policy_sweeps = {
        "min_similarity": [0.3, 0.4, 0.5, 0.6, 0.7],
        "min_tokens_code": [20, 30, 40, 60],
        "min_tokens_prose": [20, 30, 40],
        "min_distinct_shingles": [10, 20, 40],
        "max_gap": [8, 16, 32, 64],
        "min_candidate_containment": [0.2, 0.3, 0.4],
        "max_sources": [4, 8, 16],
    }
    param_sweeps = {
        "shingle_code": [4, 5, 6, 8],
        "shingle_prose": [2, 3, 4],
        ("window_code", "stride_code"): [(32, 8), (64, 16), (128, 32)],
        ("window_prose", "stride_prose"): [(24, 6), (48, 12), (96, 24)],
        ("bands", "rows"): [(64, 2), (42, 3), (32, 4)],
    }
    if quick:
        policy_sweeps = {k: v[::2] if len(v) > 3 else v for k, v in policy_sweeps.items()}
        param_sweeps = {k: v for k, v in param_sweeps.items() if k in ("shingle_code", "shingle_prose")}
    for name, values in policy_sweeps.items():
        lines += header(f"Policy.{name}")
        for v in values:
            log(f"sweep Policy.{name} = {v}")
            res = evaluate(base_p, dataclasses.replace(base_pol, **{name: v}))
            lines.append(row(str(v), res, getattr(base_pol, name) == v))
        lines.append("")
        (HERE / "sweeps.md").write_text("\n".join(lines))
    for name, values in param_sweeps.items():
        label = name if isinstance(name, str) else "/".join(name)
        lines += header(f"Params.{label}")
        for v in values:
            log(f"sweep Params.{label} = {v}")
            change = {name: v} if isinstance(name, str) else dict(zip(name, v))
            res = evaluate(dataclasses.replace(base_p, **change), base_pol)
            is_default = all(getattr(base_p, k) == x for k, x in change.items())
            lines.append(row(str(v), res, is_default))
        lines.append("")
        (HERE / "sweeps.md").write_text("\n".join(lines))
    lines += header("Normalization variant (process-local patch, see sweep.py)")
    lines.append(row("defaults", evaluate(base_p, base_pol), True))
    patch_literals()
    log("sweep variant: literals kept")
    lines.append(row("literals kept", evaluate(base_p, base_pol), False))
    lines.append("")
    lines += combinations()
    (HERE / "sweeps.md").write_text("\n".join(lines))
    print("\n".join(lines))


COMBOS = [
    ("defaults", {}, {}, False),
    ("shingle_code 8", {"shingle_code": 8}, {}, False),
    ("shingle_code 8, max_gap 16", {"shingle_code": 8}, {"max_gap": 16}, False),
    ("max_gap 16, min_tokens_code 30", {}, {"max_gap": 16, "min_tokens_code": 30}, False),
    ("literals kept", {}, {}, True),
    ("literals kept, shingle_code 8", {"shingle_code": 8}, {}, True),
    ("literals kept, shingle_code 8, max_gap 16", {"shingle_code": 8}, {"max_gap": 16}, True),
]


def combinations() -> list[str]:
    """The best single changes together (the literal variant last: its patch cannot be undone)."""
    lines = header("Combinations")
    for label, p_change, pol_change, literals in sorted(COMBOS, key=lambda c: c[3]):
        if literals and not cg.VARIANT:
            patch_literals()
        log(f"sweep combination: {label}")
        res = evaluate(dataclasses.replace(Params(), **p_change), dataclasses.replace(Policy(), **pol_change))
        lines.append(row(label, res, label == "defaults"))
    return lines + [""]
