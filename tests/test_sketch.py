"""Shingles, MinHash and band keys: correctness and compatibility with datasketch."""

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from copyguard import sketch
from copyguard.normalize.tokens import ID, Kind


def _idents(names):
    exact = np.array([hash_name(n) for n in names], dtype=np.uint64)
    kinds = np.array([Kind.IDENT if n.isalpha() else Kind.OTHER for n in names], dtype=np.uint8)
    hashes = np.where(kinds == Kind.IDENT, ID, exact).astype(np.uint64)
    return hashes, exact, kinds


def hash_name(n):
    from copyguard.normalize.tokens import hash_string

    return hash_string(n)


def test_signature_equals_datasketch_minhash():
    rng = np.random.default_rng(7)
    sh = rng.integers(0, 2**63, 300, dtype=np.uint64)
    ours = sketch.minhash(sh, 128, seed=3)
    theirs = MinHash(num_perm=128, seed=3, hashfunc=lambda v: v)
    theirs.update_batch([int(v & 0xFFFFFFFF) for v in sh])
    assert np.array_equal(ours, theirs.hashvalues)
    assert sketch.to_datasketch(ours, seed=3).jaccard(theirs) == 1.0


def test_signature_usable_in_datasketch_lsh():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**63, 200, dtype=np.uint64)
    near = base.copy()
    near[:10] = rng.integers(0, 2**63, 10, dtype=np.uint64)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("base", sketch.to_datasketch(sketch.minhash(base)))
    assert lsh.query(sketch.to_datasketch(sketch.minhash(near))) == ["base"]
    other = rng.integers(0, 2**63, 200, dtype=np.uint64)
    assert lsh.query(sketch.to_datasketch(sketch.minhash(other))) == []


def test_minhash_ranges_equal_one_signature_per_range():
    rng = np.random.default_rng(2)
    sh = rng.integers(0, 2**63, 1000, dtype=np.uint64)
    ranges = np.array([[0, 64], [16, 80], [500, 1000], [999, 1000], [5, 5]])
    sigs = sketch.minhash_ranges(sh, ranges, 64, 1, chunk=100)
    for (s, e), sig in zip(ranges, sigs):
        assert np.array_equal(sig, sketch.minhash(sh[s:e], 64, 1))


def test_renamed_identifiers_give_equal_shingles_but_reordered_names_do_not():
    a = _idents("a = a + b ; c = b".split())
    b = _idents("x = x + y ; z = y".split())
    c = _idents("a = b + a ; c = b".split())
    sa = sketch.code_shingles(*a, k=4)
    assert np.array_equal(sa, sketch.code_shingles(*b, k=4))
    assert not np.array_equal(sa, sketch.code_shingles(*c, k=4))
    # the exact channel tells the renamed copy apart
    assert not np.array_equal(sketch.shingles(a[1], a[2], 4), sketch.shingles(b[1], b[2], 4))


def test_numbering_is_per_shingle_so_a_moved_declaration_only_touches_its_shingles():
    names = "int i = 0 ; int j = i + 1 ; return j * 2 ;".split()
    moved = "int j = 0 ; int i = j + 1 ; return i * 2 ;".split()
    s1 = sketch.code_shingles(*_idents(names), k=5)
    s2 = sketch.code_shingles(*_idents(moved), k=5)
    assert np.array_equal(s1, s2)


def test_short_input_has_no_shingles():
    h = np.arange(3, dtype=np.uint64)
    assert sketch.shingles(h, np.zeros(3, np.uint8), 5).shape == (0,)


def test_band_keys_collide_exactly_when_a_band_is_equal():
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 2**32, (1, 12), dtype=np.uint32)
    other = sig.copy()
    other[0, 3:] += 1  # band 0 (rows 0..2) equal, the others differ
    ka, kb = sketch.band_keys(sig, 4, 3), sketch.band_keys(other, 4, 3)
    assert ka[0, 0] == kb[0, 0]
    assert (ka[0, 1:] != kb[0, 1:]).all()
    assert len(set(ka[0].tolist())) == 4  # bands are salted: equal rows in two bands give two keys


@pytest.mark.parametrize("bad", [dict(bands=50, rows=3), dict(num_perm=0), dict(shingle_code=80)])
def test_params_are_validated_with_the_numbers(bad):
    from copyguard.errors import ConfigError
    from copyguard.params import Params

    with pytest.raises(ConfigError):
        Params(**bad)
