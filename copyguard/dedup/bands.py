"""How many LSH bands, and rows per band, for a similarity threshold.

Two rows become candidates when any of their ``b`` bands of ``r`` signature
slots match, which happens with probability ``P(s) = 1 - (1 - s**r)**b`` at
Jaccard similarity ``s``. Following datasketch's ``_optimal_param``, we pick
the ``(b, r)`` with ``b * r <= num_perm`` minimizing

    fp_weight * integral_0^t P(s) ds  +  fn_weight * integral_t^1 (1 - P(s)) ds.

Dedup verifies every candidate pair on its signatures, so a false positive
costs one vectorized comparison while a false negative is a missed duplicate:
the default weights are 0.05 / 0.95, not datasketch's 0.5 / 0.5. At t = 0.8
and 128 permutations this gives 16 bands of 8 rows: P(0.8) = 0.95,
P(0.85) = 0.994, P(0.9) = 0.9999, P(0.5) = 0.06 (datasketch's weights give
9 x 13 with P(0.8) = 0.40 and P(0.85) = 0.69, which loses many true pairs).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..errors import ConfigError

_GRID = 201  # integration points on each side of the threshold


def candidate_probability(s: float | np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Probability that two rows of Jaccard ``s`` share at least one band.

    >>> round(float(candidate_probability(0.8, 16, 8)), 2)
    0.95
    """
    s = np.asarray(s, dtype=np.float64)
    return 1.0 - (1.0 - s**rows) ** bands


@lru_cache(maxsize=64)
def choose_bands(threshold: float, num_perm: int = 128, fp_weight: float = 0.05, fn_weight: float = 0.95) -> tuple[int, int]:
    """``(bands, rows)`` minimizing the weighted false positive and false negative areas.

    >>> choose_bands(0.8, 128)
    (16, 8)
    """
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"threshold must be strictly between 0 and 1, got {threshold!r}")
    if num_perm < 2:
        raise ConfigError(f"num_perm must be at least 2, got {num_perm!r}")
    below = np.linspace(0.0, threshold, _GRID)
    above = np.linspace(threshold, 1.0, _GRID)
    best, best_err = (1, 1), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.trapezoid(candidate_probability(below, b, r), below)
            fn = np.trapezoid(1.0 - candidate_probability(above, b, r), above)
            err = fp_weight * fp + fn_weight * fn
            if err < best_err - 1e-15:
                best, best_err = (b, r), err
    return best
