"""Sweep of the policy knobs of issue 8 on the TUNING group only (documented code, pip's tuning half, IR-Plag).

    python bench/accuracy/sweep_words.py [--n 80]

Each row is one policy; the columns summarize documented.py's tuning slices
(mean and minimum recall of the graded slices, short functions, false
alarms on the negatives of the same style) and falsealarms.py's tuning sets.
Defaults are chosen from this table; the reporting group is never read here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import documented  # noqa: E402
import falsealarms  # noqa: E402

from copyguard.params import Params  # noqa: E402
from copyguard.policy import Policy  # noqa: E402

OWN = "pip's own files flagged"
LAST: dict = {}  # the documented scores of the last summary
VARIANTS = {
    "default": {},
    "cap off": {"max_shingle_sources": 0},
    "cap 25": {"max_shingle_sources": 25},
    "cap 50": {"max_shingle_sources": 50},
    "cap 5": {"max_shingle_sources": 5},
    "region 8": {"min_region_tokens": 8},
    "region 16": {"min_region_tokens": 16},
    "floors 30/24": {"min_tokens_code": 30, "min_tokens_prose": 24},
    "floors 24/20": {"min_tokens_code": 24, "min_tokens_prose": 20},
    "floors 30/24 cap 25": {"min_tokens_code": 30, "min_tokens_prose": 24, "max_shingle_sources": 25},
}


def summary(policy: Policy, n: int, params: Params | None = None) -> dict[str, str]:
    res = documented.evaluate("tuning", n, params=params, policy=policy)["scores"]
    LAST.clear()
    LAST.update(res)
    graded = [v for (lang, kind), (v, _) in res.items() if kind in documented.GOALS]
    short = [v for (lang, kind), (v, _) in res.items() if kind in ("short-5-6", "short-7-9")]
    negs = [v for (lang, kind), (v, _) in res.items() if kind.startswith("negative-")]
    worst = min(((v, f"{lang} {kind}") for (lang, kind), (v, _) in res.items() if kind in documented.GOALS))
    pip = falsealarms.pip("tuning", policy, params)
    ir = falsealarms.irplag(policy, params)
    return {
        "graded mean": f"{sum(graded) / len(graded):.3f}", "graded min": f"{worst[0]:.3f} ({worst[1]})",
        "short 5-9 mean": f"{sum(short) / len(short):.3f}", "negatives max FP": f"{100 * max(negs):.1f}%",
        "negatives mean FP": f"{100 * sum(negs) / len(negs):.1f}%",
        "pip own FP": f"{100 * pip[OWN][0]:.1f}%",
        "vendored found": f"{pip['vendored copies found'][0]:.3f}",
        "IR-Plag indep. flagged": f"{100 * ir['independent solutions flagged'][0]:.1f}%",
        "IR-Plag L1 found": f"{ir.get('copies L1 found', (float('nan'),))[0]:.3f}",
    }


def _value(v: str) -> int | float | bool:
    if v in ("true", "false"):
        return v == "true"
    return float(v) if "." in v else int(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME:key=value,... (policy keys, or index keys prefixed with params.)")
    ap.add_argument("--slices", action="store_true", help="also print every slice of the documented set")
    ap.add_argument("--out", default=str(HERE / "sweep_words.md"))
    args = ap.parse_args()
    for spec in args.variant:
        name, _, body = spec.partition(":")
        VARIANTS[name] = {k: _value(v) for k, v in (kv.split("=") for kv in body.split(",") if kv)}
    names = [v for v in args.only.split(",") if v] or ([spec.partition(":")[0] for spec in args.variant]
                                                        or list(VARIANTS))
    rows = []
    for name in names:
        pol = {k: v for k, v in VARIANTS[name].items() if not k.startswith("params.")}
        par = {k.removeprefix("params."): v for k, v in VARIANTS[name].items() if k.startswith("params.")}
        cells = summary(Policy().with_overrides(**pol), args.n, Params(**par) if par else None)
        rows.append((name, cells))
        print(name, cells, flush=True)
        if args.slices:
            print("  " + "; ".join(f"{lang[:2]} {kind} {v:.3f}" for (lang, kind), (v, _) in sorted(LAST.items())
                                   if kind in documented.GOALS or kind.startswith(("short", "negative", "docstring"))),
                  flush=True)
    head = ["policy (tuning group only)", *rows[0][1]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([name, *cells.values()]) + " |" for name, cells in rows]
    text = "# Sweep of the issue-8 policy knobs (tuning group)\n\n" + "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
