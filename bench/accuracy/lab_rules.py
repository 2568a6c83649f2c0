"""The rules bench/accuracy/lab.py scores: functions of (the matches naming one source, the answer's record).

A rule returns the evidence (1.0 and more: the source is reported). ``SETS`` groups the rules
compared in docs/parameters.md ("Issue 8, third round"); run ``python bench/accuracy/lab.py SET``.
"""

from __future__ import annotations

import numpy as np
from lab import current


def weighted(region=16, code=32.0, prose=24.0, exact=32.0, a_norm=1.0, a_exact=0.5, a_prose=1.0, xdf=False):
    """Tokens weighted by ``n ** -a`` (n: sources holding the rarest shared shingle covering the token).

    ``xdf``: exact tokens weighted by the exact channel's own source counts instead of the normalized ones.
    """
    def rule(ms, rec=None):
        total = 0.0
        for m in ms:
            if m.tokens < region or m.distinct < min(20, region // 2):
                continue
            d = np.maximum(m.df, 1).astype(float)
            cov = m.df > 0
            if m.prose:
                total += (cov * d ** -a_prose).sum() / prose
                continue
            ex = cov & m.exact
            xd = np.maximum(m.xdf, 1).astype(float) if xdf else d
            total += ex.astype(float) @ (xd ** -a_exact) / exact + (cov & ~m.exact).astype(float) @ (d ** -a_norm) / code
        return total
    return rule


def coverage(ms, rec, region=8):
    """Share of the non-blank characters of the units (code blocks, prose paragraphs) the matches touch that they cover."""
    merged: list[list[int]] = []
    for s, e in sorted(m.span for m in ms if m.tokens >= region):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    touched = [(a, b, n) for a, b, n in rec.units if any(s < b and e > a for s, e in merged)]
    total = sum(n for _, _, n in touched)
    if not total:
        return 0.0
    cov = sum(min(n, sum(max(0, min(e, b) - max(s, a)) for s, e in merged) * n / max(b - a, 1)) for a, b, n in touched)
    return cov / total


def gated(base=current, share=0.8, region=8, words=12, exact=16, code=None, gx=0.0, gp=0.0):
    """``base``, or a whole-block copy: ``share`` of the units covered, ``exact`` exact code tokens or ``words`` words.

    ``code``: renamed (non-exact) code tokens count too, against this floor; ``gx``/``gp``: weight them by rarity too.
    """
    def rule(ms, rec):
        if base(ms, rec) >= 1:
            return 1.0
        if coverage(ms, rec, region) < share:
            return 0.0
        tot = 0.0
        for m in ms:
            if m.tokens < region:
                continue
            cov = m.df > 0
            d = np.maximum(m.df, 1).astype(float)
            if m.prose:
                tot += (cov * d ** -gp).sum() / words
            else:
                tot += (cov & m.exact).astype(float) @ (d ** -gx) / exact
                if code:
                    tot += (cov & ~m.exact).sum() / code
        return tot
    return rule


W = weighted()  # the chosen weights and floors
SETS: dict[str, dict] = {
    "chosen": {"before (floors 40/24/40, no weights, no blocks)": current, "after (defaults)": gated(base=W)},
    "rarity-alone": {
        "unweighted 40/24": current,
        **{f"n^-{a} at {fl}/{round(fl * 0.6)}": weighted(code=fl, prose=round(fl * 0.6), exact=fl, a_norm=a, a_exact=a,
                                                         a_prose=a)
           for a in (0.5, 1.0) for fl in (40, 30, 24, 20)},
    },
    "blocks": {
        **{f"share {s} words {w} exact {x} region {r}": gated(share=s, words=w, exact=x, region=r)
           for s in (0.6, 0.7, 0.8, 0.9) for w, x in ((12, 16), (10, 12), (16, 20), (12, 32)) for r in (8, 12)},
        "share 0.8 + renamed code /24": gated(code=24),
        "share 0.8, gate weighted n^-0.5": gated(base=W, gx=0.5, gp=0.5),
    },
    "weights": {
        "blocks, unweighted base 40/24": gated(),
        **{f"blocks + n^-{an} exact n^-{ax} words n^-{ap} at {fl}": gated(base=weighted(code=fl, prose=round(fl * 0.6),
                                                                                    exact=fl, a_norm=an, a_exact=ax,
                                                                                    a_prose=ap))
           for an, ax, ap in ((1, 0.5, 1), (1, 1, 1), (0.5, 0.5, 0.5), (0.5, 0, 0.5)) for fl in (40, 32, 28, 24)},
        "blocks + exact-channel counts n^-0.5 at 40": gated(base=weighted(code=40, prose=24, exact=40, xdf=True)),
    },
}
