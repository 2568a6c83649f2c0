"""The compiled core against its numpy reference, bit for bit, on random and real inputs."""

import numpy as np
import pytest

from copyguard import compiled, sketch
from copyguard.normalize import normalize
from copyguard.normalize.tokens import Kind
from copyguard.params import Params
from copyguard.passages import sketch_passages


def both(fn, *args, **kwargs):
    """``fn`` run compiled, then on the numpy reference."""
    assert compiled.core() is not None, "copyguard._core is not built: run pip install -e ."
    fast = fn(*args, **kwargs)
    with compiled.reference():
        assert compiled.core() is None
        slow = fn(*args, **kwargs)
    return fast, slow


def same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b)


def test_the_extension_is_built_and_used():
    assert compiled.available()
    assert compiled.core() is not None


def _tokens(rng, n, alphabet):
    """Token arrays where names repeat often (a small alphabet) and kinds are mixed, so renumbering matters."""
    exact = rng.integers(0, alphabet, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    kinds = rng.choice([Kind.OTHER, Kind.IDENT, Kind.LITERAL, Kind.KEPT], n, p=[0.4, 0.4, 0.1, 0.1]).astype(np.uint8)
    hashes = np.where(kinds == Kind.IDENT, np.uint64(7), exact).astype(np.uint64)
    return hashes, exact, kinds


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 6, 9])
def test_shingles_equal_reference(seed, k):
    rng = np.random.default_rng(seed)
    hashes, exact, kinds = _tokens(rng, int(rng.integers(0, 400)), alphabet=int(rng.integers(2, 30)))
    same(*both(sketch.shingles, hashes, kinds, k))
    same(*both(sketch.shingles, hashes, kinds, k, names=exact))
    same(*both(sketch.code_shingles, hashes, exact, kinds, k))


@pytest.mark.parametrize("seed", range(4))
def test_minhash_ranges_and_band_keys_equal_reference(seed):
    rng = np.random.default_rng(seed)
    sh = rng.integers(0, 2**64 - 1, int(rng.integers(1, 3000)), dtype=np.uint64)
    n = sh.shape[0]
    starts = rng.integers(0, n, 50)
    ranges = np.stack([starts, np.minimum(starts + rng.integers(0, 200, 50), n)], axis=1)
    ranges[:3] = [[0, n], [n, n], [5 % n, 5 % n]]  # whole, empty at the end, empty inside
    sigs, ref = both(sketch.minhash_ranges, sh, ranges, 64, seed)
    same(sigs, ref)
    same(*both(sketch.minhash_ranges, sh, ranges, 64, seed, chunk=100))  # the reference's chunked path
    same(*both(sketch.minhash, sh[:100], 128, seed))
    same(*both(sketch.minhash, sh[:0], 128, seed))
    same(*both(sketch.band_keys, sigs, 21, 3))
    same(*both(sketch.band_keys, sigs[0], 16, 4))


def test_minhash_is_still_datasketch_minhash():
    from datasketch import MinHash

    sh = np.random.default_rng(9).integers(0, 2**63, 300, dtype=np.uint64)
    theirs = MinHash(num_perm=128, seed=3, hashfunc=lambda v: v)
    theirs.update_batch([int(v & 0xFFFFFFFF) for v in sh])
    assert np.array_equal(sketch.minhash(sh, 128, seed=3), theirs.hashvalues)


CODE = '''
def merge(left, right, key=None):
    """Merge two sorted lists."""
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if (key or (lambda v: v))(left[i]) <= right[j]:
            out.append(left[i]); i += 1
        else:
            out.append(right[j]); j += 1
    out.extend(left[i:]); out.extend(right[j:])
    return out.copy() if out else out
'''


@pytest.mark.parametrize("text,lang", [(CODE * 3, "python"), (CODE.replace("def", "function"), "javascript"),
                                       ("The quick brown fox jumps over the lazy dog. " * 20, "text")])
def test_passage_sketches_of_real_streams_equal_reference(text, lang):
    ts = normalize(text, lang)
    same(*both(sketch_passages, ts, Params()))


@pytest.mark.parametrize("n_needles", [40, 3000])  # both paths of the reference: plain and stepped search
@pytest.mark.parametrize("max_hits", [None, 2])
def test_band_lookup_equals_reference(n_needles, max_hits):
    from copyguard.index.bands import band_directory, lookup_sorted

    rng = np.random.default_rng(n_needles)
    keys = np.sort(rng.integers(0, 2**64 - 1, 20000, dtype=np.uint64))
    keys[100:104] = keys[100]  # a key held by four passages
    keys = np.sort(keys)
    pids = rng.integers(0, 5000, keys.shape[0]).astype(np.uint32)
    directory = band_directory(keys)
    bits = int(directory.shape[0] - 1).bit_length() - 1
    needles = np.concatenate([rng.choice(keys, n_needles // 2), rng.integers(0, 2**64 - 1, n_needles // 2, dtype=np.uint64)])
    needles = np.sort(np.append(needles, keys[100]))
    fast, slow = both(lookup_sorted, keys, pids, directory, bits, needles, max_hits)
    same(fast, slow)
    assert fast[0].shape[0] >= n_needles // 2 - (4 if max_hits else 0)
