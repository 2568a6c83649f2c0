"""The shipped background count table: stamped, read once, ignored when made for other tokens, raising the
counts the boilerplate cap reads only where the index holds the shingle, and off with the policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from copyguard.candidates import shingle_counts, sketch_query
from copyguard.corpus import Document
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index import background as B
from copyguard.index.build import index_documents
from copyguard.normalize import normalize
from copyguard.params import Params
from copyguard.policy import Policy

# scaffolding every Python library writes: the background corpus (the standard library) holds it many times
WRAPPER = '''\
class Closing:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()
'''
ON = Policy(background_counts=True)
OWN = Policy(background_below=0)  # the index's own counts only: off for an index of any size
RARE = '''\
def zebra_quantile_fold(quokka_rows, wombat_step):
    return [quokka_rows[i] * 31 - wombat_step for i in range(0, len(quokka_rows), wombat_step)]
'''


@pytest.fixture
def small(tmp_path: Path) -> Path:
    out = tmp_path / "small.cgidx"
    index_documents([Document("wrap.py", WRAPPER, "python", "MIT", None),
                     Document("rare.py", RARE, "python", "MIT", None)], str(out))
    return out


def test_shipped_table_is_stamped_for_this_normalizer_and_small():
    bg = B.load(Params())
    assert bg is not None, "copyguard/index/data/background.npz missing or stale: run bench/background.py"
    assert bg.meta == {**bg.meta, **B.stamp(Params())}
    assert bg.meta["min_count"] == B.MIN_COUNT
    assert bg.keys.shape[0] > 10_000 and np.all(np.diff(bg.keys.astype(np.int64)) > 0)
    assert B.FILE.stat().st_size < 3_000_000
    assert B.load(Params()) is bg  # read once per process


def test_a_table_made_for_other_tokens_or_shingles_is_ignored(tmp_path: Path):
    bg = B.table(np.array([1 << 32, 2 << 32], np.uint64), np.array([5, 9]), B.stamp(Params()))
    good, stale = tmp_path / "good.npz", tmp_path / "stale.npz"
    B.save(bg, good)
    assert B.load(Params(), good).counts.tolist() == [5, 9]
    old = dict(bg.meta, versions={**bg.meta["versions"], "copyguard-normalization": -1})
    B.save(B.Background(bg.keys, bg.counts, old), stale)
    assert B.load(Params(), stale) is None
    assert B.load(Params(shingle_code=7), good) is None
    assert B.load(Params(), tmp_path / "missing.npz") is None


def test_table_keeps_keys_enough_files_hold_and_the_larger_count_per_prefix():
    keys = np.array([(7 << 32) | 1, (7 << 32) | 2, 9 << 32, 11 << 32], np.uint64)
    bg = B.table(keys, np.array([4, 300, 2, 3]), {})
    assert bg.keys.tolist() == [7, 11]  # 9 is under MIN_COUNT
    assert bg.counts.tolist() == [255, 3]  # 300 capped, and kept over 4 for the shared prefix
    assert bg.counts_of(np.array([(7 << 32) | 99, 9 << 32, 12 << 32], np.uint64)).tolist() == [255, 0, 0]
    assert bg.added(np.array([1, 0, 2]), keys[[0, 1, 3]]).tolist() == [255, 0, 3]  # the larger, where held
    assert bg.added(np.array([400, 9]), keys[[0, 3]]).tolist() == [400, 9]


def test_the_cap_reads_background_counts_where_the_index_holds_the_shingle(small: Path):
    g, off = Guard.open(small, ON), Guard.open(small, OWN)
    q = sketch_query(normalize(WRAPPER, "python"), g.params)
    own = shingle_counts(g.indexes, q)
    assert own.max() == 1 and np.array_equal(off.capped(q, own), own)
    capped = g.capped(q, own)
    assert (capped >= own).all()
    assert (capped > g.policy.max_shingle_sources).any()  # the wrapper is boilerplate now, as in a big index
    rare = sketch_query(normalize(RARE, "python"), g.params)
    rare_capped = g.capped(rare, shingle_counts(g.indexes, rare))
    assert (rare_capped >= 1).all() and (rare_capped == 1).sum() >= 8  # its own run of shingles is in no corpus file


def test_a_shingle_no_live_source_holds_gets_no_background_count(small: Path):
    q = sketch_query(normalize(WRAPPER, "python"), Params())
    Index.open(small).remove(["wrap.py"])
    g = Guard.open(small, ON)
    own = shingle_counts(g.indexes, q)
    assert not own.any() and not g.capped(q, own).any()


def test_the_wrapper_is_not_reported_as_a_copy_but_the_rare_function_is(small: Path):
    answer = f"Like this:\n\n```python\n{WRAPPER}\n```\n\nand\n\n```python\n{RARE}```\n"
    names = {m.source for m in Guard.open(small, ON).check(answer).matches}
    assert "rare.py" in names
    assert "wrap.py" not in names
    assert "wrap.py" in {m.source for m in Guard.open(small, OWN).check(answer).matches}  # the index's counts only
    # an index of fewer live sources than Policy.background_below (100) reads the background by default
    assert Index.open(small).stats()["live_sources"] < Policy().background_below
    assert {m.source for m in Guard.open(small).check(answer).matches} == names


def test_policy_refuses_a_non_boolean():
    from copyguard.errors import ConfigError

    with pytest.raises(ConfigError, match="background_counts"):
        Policy(background_counts="yes")
