"""Conformance tests of the Index protocol on the on-disk store."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from synth import make_data, passage_keys

from copyguard.errors import IndexFormatError, IndexStoreError
from copyguard.index import FORMAT_VERSION, Index, SegmentData, SourceRecord, Tokens
from copyguard.params import Params

P = Params()
B = P.bands


@pytest.fixture
def idx(tmp_path):
    index = Index.create(tmp_path / "idx", P, {"python": "0.25.0"})
    index.add(make_data(["a", "b", "c"]))
    return index


def hits(index: Index, keys: np.ndarray) -> set[tuple[int, str, int, int]]:
    """Lookup results in ids that survive compaction: (query row, source id, token range)."""
    rows, gids = index.lookup(keys)
    info = index.passage_info(gids)
    return {(int(r), index.source(int(s)).source_id, int(t[0]), int(t[1]))
            for r, s, t in zip(rows, info.source, info.tok)}


def query(source_id: str, passage: int, salt: int = 0, bands: int = B) -> np.ndarray:
    return passage_keys(source_id, passage + 1, bands, salt)[passage:passage + 1]


def test_create_open_and_layout(tmp_path):
    root = tmp_path / "idx"
    Index.create(root, P, {"python": "0.25.0"})
    index = Index.open(root, P)
    assert index.params == P and index.grammars == {"python": "0.25.0"}
    assert {"manifest.json", "segments", "tombstones", "lock"} <= {p.name for p in root.iterdir()}
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["format"] == FORMAT_VERSION and manifest["params"] == P.to_dict() and manifest["segments"] == []
    rows, gids = index.lookup(np.zeros((2, B), np.uint64))
    assert rows.shape == gids.shape == (0,)


def test_lookup_finds_planted_collisions(idx):
    keys = np.concatenate([query("b", 2), query("a", 0), np.zeros((1, B), np.uint64)])
    keys[2, 5] = query("c", 1)[0, 5]  # one band in common is enough
    assert hits(idx, keys) == {(0, "b", 16, 32), (1, "a", 0, 16), (2, "c", 8, 24)}
    rows, gids = idx.lookup(keys)
    assert rows.dtype == gids.dtype == np.int64 and len(set(zip(rows, gids))) == len(rows) == 3


def test_lookup_shared_key_and_max_hits(tmp_path):
    index = Index.create(tmp_path / "i", P, {})
    data = make_data(["x", "y"])
    keys = data.band_keys.copy()
    keys[:, 0] = 7  # every passage shares band-0 key 7: a boilerplate key
    index.add(SegmentData(**{**data.__dict__, "band_keys": keys}))
    q = np.full((1, B), 3, np.uint64)
    q[0, 0] = 7
    rows, gids = index.lookup(q)
    assert gids.tolist() == list(range(data.n_passages))
    assert index.lookup(q, max_hits=data.n_passages - 1)[0].shape == (0,)


def test_passage_and_source_reads(idx):
    data = make_data(["a", "b", "c"])
    info = idx.passage_info([4, 0])
    assert info.source.tolist() == [1, 0] and info.tok.tolist() == [[0, 16], [0, 16]] and info.kind.tolist() == [0, 0]
    toks = idx.passage_tokens([4, 1])
    assert toks.offsets.tolist() == [0, 16, 32]
    assert np.array_equal(toks.tokens.hashes[:16], data.hashes[40:56]) and np.array_equal(toks.tokens.hashes[16:], data.hashes[8:24])
    assert np.array_equal(toks.tokens.starts[:16], data.starts[40:56])
    rec = idx.source(1)
    text = idx.source_text(1)
    assert rec == data.sources[1] and text == data.texts[1]
    whole = idx.source_tokens(1)
    assert len(whole) == 40 and np.array_equal(whole.exact, data.exact[40:80])
    word = text[int(whole.starts[3]):int(whole.ends[3])]
    assert word == text.split(" ")[3]
    with pytest.raises(IndexStoreError, match="out of range"):
        idx.passage_info([10**6])
    with pytest.raises(IndexStoreError, match="out of range"):
        idx.source(3)


def test_source_slices_equal_source_tokens(idx):
    """``source_slices`` and ``source_rows`` read what ``source_tokens`` (ranges clamped alike) and row picks read, in one segment
    and across segments."""
    fields = ("hashes", "exact", "kinds", "starts", "ends")

    def expected(index, pieces):
        return [index.source_tokens(ref, *rows) if isinstance(rows, tuple)
                else Tokens(*(getattr(index.source_tokens(ref), f)[rows] for f in fields)) for ref, rows in pieces]

    def same(index, pieces):
        want = expected(index, pieces)
        in_place = index.source_rows(pieces)  # not gathered: each slice read where it lies, or all gathered
        assert len(in_place) == len(want)
        for got in (index.source_slices(pieces), in_place.gather()):
            assert got.offsets.tolist() == [0, *np.cumsum([len(t) for t in want]).tolist()]
            for i, t in enumerate(want):
                for f in fields:
                    for part in (getattr(got[i], f), getattr(in_place[i], f)):
                        assert np.array_equal(part, getattr(t, f)) and part.dtype == getattr(t, f).dtype

    ranges = [(1, (3, 20)), (0, (0, None)), (2, (-5, 7)), (1, (35, 90)), (2, (50, 60)), (0, (12, 12))]
    same(idx, ranges)
    rows = [(2, np.array([0, 1, 5, 39])), (0, np.array([], dtype=np.int64))]
    same(idx, rows)
    same(idx, ranges[:2] + rows + ranges[2:])
    idx.add(make_data(["d"]))  # a second segment: the sources of both are read one by one
    same(idx, [(3, (2, 30)), (0, (4, 9)), (3, np.array([1, 2, 3]))])
    with pytest.raises(IndexStoreError, match="out of range"):
        idx.source_slices([(0, (0, 4)), (10**6, (0, 4))])
    with pytest.raises(IndexStoreError, match="out of range"):
        idx.source_rows([(0, (0, 4)), (10**6, (0, 4))])


def test_source_near_picks_the_tokens_starting_in_a_span(idx):
    """``source_near``: the rows of a source whose token starts in ``[lo, hi)``, compiled and reference alike."""
    from copyguard import compiled

    for ref in range(3):
        starts = idx.source_tokens(ref).starts.astype(np.int64)
        for lo, hi in ((-50, 10), (5, 40), (int(starts[-1]), int(starts[-1]) + 1), (10**6, 10**6 + 5), (30, 20)):
            want = np.flatnonzero((starts >= lo) & (starts < hi))
            with compiled.reference():
                slow = idx.source_near(ref, lo, hi)
            fast = idx.source_near(ref, lo, hi)
            assert fast.tolist() == slow.tolist() == want.tolist() and fast.dtype == slow.dtype == np.int64
        assert 0 < len(idx.source_near(ref, 5, 40)) < len(starts)


def test_rows_near_bisects_ascending_channels_and_reads_others_through():
    """The compiled ``rows_near`` against the reference's comparison, on channels that ascend (bisected), that do not
    (read through), empty ones, and spans past either end of uint32; told by ``channels_ascending`` which ascend
    (what ``Index.source_near`` keeps per source) or reading them to tell, and ``channels_ascending`` against numpy."""
    from copyguard import compiled

    c = compiled.core()
    if c is None:
        pytest.skip("compiled core not built")
    rng = np.random.default_rng(3)
    for trial in range(400):
        n_code, n_words = int(rng.integers(0, 40)), int(rng.integers(0, 40))
        code, words = rng.integers(0, 300, n_code), rng.integers(0, 300, n_words)
        if trial % 3:
            code.sort()
        if trial % 4:
            words.sort()
        pad = int(rng.integers(0, 5))
        starts = np.concatenate([rng.integers(0, 300, pad), code, words, [0xFFFFFFFF]]).astype(np.uint32)
        first, cut, last = pad, pad + n_code, pad + n_code + n_words
        if trial % 7 == 0:  # the last token of the segment, at the largest start
            last += 1
        a, b = sorted(int(x) for x in rng.integers(-20, 320, 2))
        for lo, hi in ((a, b), (a, 2**40), (-(2**40), b), (-(2**40), 2**40), (b, a)):
            within = starts[first:last].astype(np.int64)
            want = np.flatnonzero((within >= lo) & (within < hi))
            got = c.rows_near(starts, first, cut, last, lo, hi)
            assert got.dtype == np.int64 and got.tolist() == want.tolist(), (trial, lo, hi)
            told = c.rows_near(starts, first, cut, last, lo, hi, c.channels_ascending(starts, first, cut, last))
            assert told.tolist() == want.tolist(), (trial, lo, hi)
        ascends = [bool(np.all(np.diff(starts[x:y].astype(np.int64)) >= 0)) for x, y in ((first, cut), (cut, last))]
        assert c.channels_ascending(starts, first, cut, last) == ascends[0] | ascends[1] << 1, trial


def test_remove_hides_at_once_and_after_reopen(idx):
    other = Index.open(idx.path)
    keys = np.concatenate([query("a", 0), query("b", 1)])
    assert idx.remove(["b"]) == 1
    assert hits(idx, keys) == {(0, "a", 0, 16)}
    assert hits(Index.open(idx.path), keys) == {(0, "a", 0, 16)}
    assert len(hits(other, keys)) == 2 and other.refresh() and hits(other, keys) == {(0, "a", 0, 16)}
    s = idx.stats()
    assert (s["sources"], s["live_sources"], s["passages"], s["live_passages"]) == (3, 2, 12, 8)
    assert idx.find_sources(["a", "b"]) == {"a": 0}


def test_remove_unknown_ids(idx):
    with pytest.raises(IndexStoreError, match="nope.*nothing was removed"):
        idx.remove(["a", "nope"])
    assert idx.stats()["live_sources"] == 3
    assert idx.remove(["a", "nope"], strict=False) == 1
    assert idx.remove(["a"], strict=False) == 0  # already removed
    with pytest.raises(IndexStoreError, match="already removed"):
        idx.remove(["a"])


def test_add_replaces_existing_source(idx):
    idx.add(make_data(["b", "d"], salt=1))
    old, new = query("b", 0, salt=0), query("b", 0, salt=1)
    assert hits(idx, np.concatenate([old, new])) == {(1, "b", 0, 16)}
    s = idx.stats()
    assert (s["segments"], s["sources"], s["live_sources"]) == (2, 5, 4)
    assert idx.find_sources(["b"]) == {"b": 3}
    assert idx.source_text(3) == make_data(["b", "d"], salt=1).texts[0]
    assert hits(Index.open(idx.path), new) == {(0, "b", 0, 16)}


def test_compact_keeps_results_minus_removed(idx):
    idx.add(make_data(["d", "e"], seed=1))
    idx.add(make_data(["a"], salt=2, seed=2))  # replaces a
    idx.remove(["d"])
    keys = np.concatenate([query(s, p, salt) for s, p, salt in
                           [("a", 0, 0), ("a", 1, 2), ("b", 3, 0), ("c", 0, 0), ("d", 1, 0), ("e", 2, 0)]])
    before = hits(idx, keys)
    assert {h[1] for h in before} == {"a", "b", "c", "e"}
    old_names = {p.name for p in (idx.path / "segments").iterdir()}
    idx.compact()
    assert hits(idx, keys) == before and hits(Index.open(idx.path), keys) == before
    s = idx.stats()
    assert (s["segments"], s["sources"], s["live_sources"], s["passages"]) == (1, 4, 4, 16)
    assert not old_names & {p.name for p in (idx.path / "segments").iterdir()}
    assert not list((idx.path / "tombstones").iterdir())
    gids = idx.lookup(keys)[1]
    toks = idx.passage_tokens(gids)
    info = idx.passage_info(gids)
    for i, (src, tok) in enumerate(zip(info.source, info.tok)):
        whole = idx.source_tokens(int(src))
        assert np.array_equal(toks.tokens.hashes[toks.offsets[i]:toks.offsets[i + 1]], whole.hashes[tok[0]:tok[1]])


def test_compact_everything_removed(idx):
    idx.remove(["a", "b", "c"])
    idx.compact()
    assert idx.stats()["segments"] == 0 and idx.lookup(query("a", 0))[0].shape == (0,)


def test_stats_counts(idx):
    s = idx.stats()
    assert (s["sources"], s["passages"], s["tokens"], s["segments"]) == (3, 12, 120, 1)
    assert s["params"] == P.to_dict() and s["bytes"] > 120 * 25 + 12 * B * 12


def test_format_version_refused_with_rebuild_hint(idx):
    path = idx.path / "manifest.json"
    data = json.loads(path.read_text())
    data["format"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(IndexFormatError, match=r"format version.*copyguard index build .* --out"):
        Index.open(idx.path)


def test_params_mismatch_refused(idx):
    with pytest.raises(IndexFormatError, match=r"bands=42 \(asked 32\).*--out"):
        Index.open(idx.path, Params(bands=32, rows=4))
    assert Index.open(idx.path, P).params == P
    with pytest.raises(IndexStoreError, match="shape"):
        idx.lookup(np.zeros((1, 8), np.uint64))


def test_missing_and_damaged(tmp_path, idx):
    with pytest.raises(IndexStoreError, match="no index here"):
        Index.open(tmp_path / "nowhere")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "file.txt").write_text("x")
    with pytest.raises(IndexStoreError, match="not a copyguard index"):
        Index.open(tmp_path / "junk")
    with pytest.raises(IndexStoreError, match="not empty"):
        Index.create(tmp_path / "junk", P, {})
    with pytest.raises(IndexStoreError, match="already holds an index"):
        Index.create(idx.path, P, {})
    assert Index.create(idx.path, P, {}, exist_ok=True).stats()["sources"] == 3
    seg = next((idx.path / "segments").iterdir())
    (seg / "band_keys.npy").unlink()
    with pytest.raises(IndexStoreError, match="band_keys.npy: missing"):
        Index.open(idx.path)
    (idx.path / "manifest.json").write_text("{not json")
    with pytest.raises(IndexStoreError, match="damaged index manifest"):
        Index.open(idx.path)


def test_leftovers_ignored_then_swept(idx):
    junk = idx.path / "tmp" / "deadbeef"
    junk.mkdir(parents=True)
    (junk / "band_keys.npy").write_bytes(b"partial")
    orphan = idx.path / "segments" / "999999-orphan"
    orphan.mkdir()
    assert hits(Index.open(idx.path), query("a", 0)) == {(0, "a", 0, 16)}
    idx.remove(["c"])
    assert not junk.exists() and not orphan.exists()


def test_concurrent_writers_do_not_interleave(tmp_path):
    root = tmp_path / "idx"
    Index.create(root, P, {})

    def writer(prefix: str) -> None:
        index = Index.open(root)
        for i in range(3):
            index.add(make_data([f"{prefix}{i}"], seed=i))

    threads = [threading.Thread(target=writer, args=(p,)) for p in "xy"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = Index.open(root).stats()
    assert (s["segments"], s["live_sources"]) == (6, 6)


def test_segment_data_validation():
    data = make_data(["a", "b"])
    with pytest.raises(IndexStoreError, match="duplicate source_id"):
        SegmentData(**{**data.__dict__, "sources": [data.sources[0], data.sources[0]]})
    with pytest.raises(IndexStoreError, match="inside its source"):
        bad = data.p_tok.copy()
        bad[0, 1] = 41  # crosses into source b
        SegmentData(**{**data.__dict__, "p_tok": bad})
    with pytest.raises(IndexStoreError, match="n_chars"):
        rec = SourceRecord("a", None, None, "text", 1, "")
        SegmentData(**{**data.__dict__, "sources": [rec, data.sources[1]]})


def test_bucketed_lookup_equals_searchsorted(tmp_path):
    """The band directory + bounded search finds exactly what a plain searchsorted finds, duplicates included."""
    rng = np.random.default_rng(3)
    data = make_data([f"s{i}" for i in range(30)], n_tokens=200)
    keys = data.band_keys.copy()
    pool = rng.integers(0, 2**64 - 1, 50, dtype=np.uint64)
    mask = rng.random(keys.shape) < 0.1
    keys[mask] = rng.choice(pool, mask.sum())  # heavy duplicates, some across bands
    keys[:3, :] = np.uint64(2**64 - 1)  # the largest key, last bucket
    keys[3:5, :] = np.uint64(0)
    index = Index.create(tmp_path / "i", P, {})
    index.add(SegmentData(**{**data.__dict__, "band_keys": keys}))
    q = np.concatenate([keys[rng.integers(0, keys.shape[0], 40)], rng.integers(0, 2**64 - 1, (20, B), dtype=np.uint64)])
    q[0, :] = pool[0]
    rows, gids = index.lookup(q)
    flat = keys.reshape(-1)
    expect = {(r, p) for r in range(q.shape[0]) for p in np.flatnonzero(np.isin(keys, q[r]).any(axis=1))}
    assert set(zip(rows.tolist(), gids.tolist())) == {(int(r), int(p)) for r, p in expect}
    assert flat.shape[0] == data.n_passages * B


def test_lookup_passages_equals_the_passages_of_lookup(idx):
    """Distinct keys looked up once give the same passage set as the (row, passage) pairs, tombstones included."""
    rng = np.random.default_rng(3)
    keys = np.concatenate([query("b", 2), query("a", 0), query("c", 1), query("a", 0), query("a", 0)])
    noise = rng.integers(0, 2**63, size=(4, B), dtype=np.uint64)
    keys = np.concatenate([keys, noise, np.repeat(query("b", 1), 50, axis=0)])
    assert idx.lookup_passages(keys).tolist() == np.unique(idx.lookup(keys)[1]).tolist()
    assert len(idx.lookup_passages(keys)) == 4
    idx.remove(["a"])
    assert idx.lookup_passages(keys).tolist() == np.unique(idx.lookup(keys)[1]).tolist()
    assert len(idx.lookup_passages(keys)) == 3
    with pytest.raises(IndexStoreError, match="shape"):
        idx.lookup_passages(np.zeros((2, B + 1), np.uint64))


def test_refresh_retries_when_a_writer_swept_the_files_the_manifest_it_read_names(idx, monkeypatch):
    """A reader that read generation G's manifest just before a writer committed G+1 (and swept G's
    tombstone) must not fail: it reads the newer manifest and opens that."""
    from copyguard.index import store
    from copyguard.index.manifest import read_manifest

    reader = Index.open(idx.path)
    idx.remove(["a"])
    stale = read_manifest(idx.path)  # names a's tombstone file
    idx.remove(["b"])  # a new tombstone replaces it; the old file is swept
    real, calls = store.read_manifest, []

    def first_stale(root):
        calls.append(root)
        return stale if len(calls) <= 2 else real(root)

    monkeypatch.setattr(store, "read_manifest", first_stale)
    assert reader.refresh()
    assert reader.manifest.generation == real(idx.path).generation
    assert set(reader.find_sources(["a", "b", "c"])) == {"c"}


def test_index_writes_turn_numpy_huge_pages_off_and_back_on_after_the_last_writer(tmp_path):
    """``small_pages`` (around every segment write): off inside, nested and from two threads at once,
    the process's setting back when the last writer leaves."""
    from numpy._core.multiarray import _set_madvise_hugepage as flip

    from copyguard.index.arrays import small_pages

    def state() -> bool:
        now = flip(True)
        flip(now)
        return now

    before = flip(True)
    try:
        inside, leave = threading.Event(), threading.Event()

        def writer() -> None:
            with small_pages():
                inside.set()
                leave.wait(10)

        t = threading.Thread(target=writer)
        t.start()
        inside.wait(10)
        with small_pages():
            assert state() is False
            with small_pages():
                assert state() is False
        assert state() is False  # the other writer is still inside
        leave.set()
        t.join()
        assert state() is True
        flip(False)
        with small_pages():
            pass
        assert state() is False  # a process that had them off keeps them off
    finally:
        flip(before)
