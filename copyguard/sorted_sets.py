"""Set membership over sorted numpy arrays: the one helper that normalization and the index share.

It lives below both (it imports nothing of copyguard), so ``normalize`` need
not import ``index``.
"""

from __future__ import annotations

import numpy as np


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` are in the sorted array ``sorted_set``.

    >>> isin_sorted(np.array([3, 4, 9]), np.array([1, 4, 9])).tolist()
    [False, True, True]
    """
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    pos = np.searchsorted(sorted_set, values).clip(max=sorted_set.shape[0] - 1)
    return sorted_set[pos] == values
