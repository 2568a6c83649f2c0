"""The band table's sort: the order of a stable argsort, on keys that repeat and keys whose high halves collide."""

import numpy as np
import pytest

from copyguard import compiled
from copyguard.index.bands import band_table, sort_order, sort_with_order


@pytest.mark.parametrize("seed", range(3))
def test_sort_order_is_a_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 17, 5000, 200_000):
        full = rng.integers(0, 2**64 - 1, n, dtype=np.uint64)
        repeated = rng.choice(full[: max(n // 50, 1)], n) if n else full  # band tables repeat keys a lot
        # few high halves, many low ones: collisions of the high half with low halves out of order
        colliding = (rng.integers(0, 4, n, dtype=np.uint64) << np.uint64(40)) | rng.integers(0, 2**32, n, dtype=np.uint64)
        mixed = np.where(rng.random(n) < 0.5, repeated, colliding).astype(np.uint64)
        for keys in (full, repeated, colliding, mixed, np.sort(mixed), np.sort(mixed)[::-1].copy(), mixed[::3]):
            expected = np.argsort(keys, kind="stable")
            assert np.array_equal(sort_order(keys), expected)
            with compiled.reference():  # the numpy reference, where the default runs the compiled passes
                assert np.array_equal(sort_order(keys), expected)


def test_band_table_orders_equal_keys_by_passage():
    band_keys = np.array([[5, 1 << 40], [5, 3], [(1 << 40) | 7, 3]], dtype=np.uint64)
    keys, pids = band_table(band_keys)
    assert keys.tolist() == [3, 3, 5, 5, 1 << 40, (1 << 40) | 7]
    assert pids.tolist() == [1, 2, 0, 1, 0, 2]


def test_sort_with_order_gives_the_sorted_keys():
    rng = np.random.default_rng(7)
    keys = (rng.integers(0, 3, 50_000, dtype=np.uint64) << np.uint64(33)) | rng.integers(0, 9, 50_000, dtype=np.uint64)
    keys[::7] = keys[0]
    got, order = sort_with_order(keys)
    assert np.array_equal(order, np.argsort(keys, kind="stable"))
    assert np.array_equal(got, np.sort(keys)) and got.dtype == np.uint64 and order.dtype == np.int64
