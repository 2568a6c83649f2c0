"""The pieces: band choice, batch signatures equal row by row, candidate rules, components."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasketch.lsh import _optimal_param
from dedup_synth import planted, sentence

from copyguard.dedup import DedupConfig, choose_bands, cluster, dedup_batches, row_shingles, signatures_for_batch
from copyguard.dedup.clusters import bucket_pairs, components, ranks
from copyguard.errors import ConfigError
from copyguard.sketch import minhash


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8, 0.9])
def test_band_choice_matches_datasketch_with_its_weights(threshold):
    assert choose_bands(threshold, 128, 0.5, 0.5) == _optimal_param(threshold, 128, 0.5, 0.5)


def test_default_bands_favour_recall():
    cfg = DedupConfig(threshold=0.8)
    assert (cfg.bands, cfg.rows) == (16, 8) and cfg.min_equal == 103
    with pytest.raises(ConfigError, match="bands \\* rows"):
        DedupConfig(bands=20, rows=8)


def test_batch_signatures_equal_row_by_row_signatures():
    texts = [
        "The cat sat on the mat.", "ＨＥＬＬＯ w\u200borld again and again", None, "", "!!!", "one", "two words",
        "Ünïcödé façade naïve café " * 3, "a\u0301b c d", "hyphen-\nated line end", "漢字かな交じり文です",
        "tab\tseparated\u00a0nbsp and soft\u00adhyphen", "x" * 5000 + " y z",
    ]
    cfg = DedupConfig()
    sigs = signatures_for_batch(pa.record_batch({"text": pa.array(texts, pa.string())}), cfg)
    for i, t in enumerate(texts):
        assert np.array_equal(sigs[i], minhash(row_shingles(t, None, cfg), cfg.num_perm, cfg.params.seed)), t


def test_bucket_pairs_are_star_and_chain_in_row_order():
    keys = np.array([9, 4, 9, 9, 4, 9], dtype=np.uint64)
    lo, hi = bucket_pairs(keys, np.array([10, 11, 12, 13, 14, 15]))
    assert sorted(zip(lo.tolist(), hi.tolist())) == [(10, 12), (10, 13), (10, 15), (11, 14), (12, 13), (13, 15)]


def test_components_label_by_smallest_member_on_random_graphs():
    rng = np.random.default_rng(0)
    for n, m in [(1, 0), (50, 30), (2000, 1500)]:
        lo, hi = rng.integers(0, n, m), rng.integers(0, n, m)
        labels = components(n, lo, hi)
        expect = np.arange(n)
        for _ in range(n):  # naive label propagation to a fixed point
            new = expect.copy()
            np.minimum.at(new, lo, expect[hi])
            np.minimum.at(new, hi, expect[lo])
            if np.array_equal(new, expect):
                break
            expect = new
        assert np.array_equal(labels, expect)


def test_ranks_count_from_the_first_row_of_each_cluster():
    size, rank = ranks(np.array([0, 1, 0, 1, 4, 0]))
    assert size.tolist() == [3, 2, 3, 2, 1, 3] and rank.tolist() == [0, 0, 1, 1, 0, 2]


def test_cluster_and_dedup_batches_work_on_record_batches():
    b1 = pa.record_batch({"text": ["alpha beta gamma delta", "other words entirely here"]})
    b2 = pa.record_batch({"text": ["alpha beta gamma delta", "fresh row of text"]})
    cfg = DedupConfig()
    sigs = np.concatenate([signatures_for_batch(b, cfg) for b in (b1, b2)])
    assert cluster(sigs, cfg).tolist() == [0, 1, 0, 3]
    out = pa.Table.from_batches(list(dedup_batches([b1, b2], cfg)))
    assert out.column("text").to_pylist() == ["alpha beta gamma delta", "other words entirely here", "fresh row of text"]


def test_exact_jaccard_of_many_pairs_equals_python_sets():
    from copyguard.dedup.verify import ShingleSets, exact_jaccard

    rng = np.random.default_rng(8)
    rows = [rng.integers(0, 40, int(rng.integers(0, 30))).astype(np.uint64) for _ in range(50)]
    parts = [(r, np.full(r.shape[0], i, dtype=np.int64)) for i, r in enumerate(rows)]
    sets = ShingleSets.build(parts, len(rows))
    lo, hi = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    got = exact_jaccard(sets, lo, hi)
    for a, b, j in zip(lo.tolist(), hi.tolist(), got.tolist()):
        sa, sb = set(rows[a].tolist()), set(rows[b].tolist())
        assert j == (len(sa & sb) / len(sa | sb) if sa | sb else 0.0)


def test_verify_keeps_the_planted_clusters_and_drops_a_pair_below_the_threshold(tmp_path):
    from copyguard.dedup import dedup

    texts, origin = planted(400, seed=13, length=60)
    rng = np.random.default_rng(14)
    base = sentence(rng, 60)
    texts += [" ".join(base), " ".join(base[:33] + sentence(rng, 27))]  # exact Jaccard well under 0.5
    pq.write_table(pa.table({"text": texts}), tmp_path / "in.parquet")
    dedup([str(tmp_path / "in.parquet")], str(tmp_path / "v.parquet"), mark_only=True, verify=True)
    cid = pq.read_table(tmp_path / "v.parquet").column("cluster_id").to_numpy()
    assert (cid[:400][origin != np.arange(400)] == origin[origin != np.arange(400)]).mean() > 0.95
    assert cid[400] != cid[401]
