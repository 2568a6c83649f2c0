"""ROC-AUC, recall at zero false positives, and recall at a threshold: plain numpy, ties counted half."""

from __future__ import annotations

import numpy as np


def auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a positive outscores a negative (Mann-Whitney), ties count one half."""
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos, dtype=float), np.asarray(neg, dtype=float)
    allv = np.concatenate([p, n])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(allv.shape[0])
    sorted_v = allv[order]
    # average ranks of ties
    uniq, first, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[: p.shape[0]].sum() - p.shape[0] * (p.shape[0] + 1) / 2) / (p.shape[0] * n.shape[0]))


def recall_at_zero_fp(pos: list[float], neg: list[float]) -> float:
    """Share of positives scoring strictly above every negative (0 scores never count as found)."""
    if not pos:
        return float("nan")
    top = max(neg) if neg else 0.0
    return float(np.mean([s > top and s > 0 for s in pos]))


def mean(values) -> float:
    vals = [v for v in values if v == v]
    return float(np.mean(vals)) if vals else float("nan")
