import numpy as np

from copyguard.normalize.tokens import Kind, TokenStream
from copyguard.params import Params
from copyguard.passages import UNIT, WINDOW, cut, shingle_ranges, windows


def _stream(n, lang="prose", units=None):
    h = np.arange(n, dtype=np.uint64)
    pos = np.arange(n, dtype=np.int64)
    u = np.array(units or [], dtype=np.int64).reshape(-1, 2)
    return TokenStream("x" * n, lang, h, h, pos, pos + 1, np.full(n, Kind.OTHER, np.uint8), u)


def test_windows_cover_every_token_and_end_at_the_end():
    w = windows(100, 32, 8)
    assert w[0].tolist() == [0, 32] and w[-1].tolist() == [68, 100]
    covered = np.zeros(100, bool)
    for s, e in w:
        covered[s:e] = True
    assert covered.all()
    assert windows(10, 32, 8).tolist() == [[0, 10]]
    assert windows(0, 32, 8).shape == (0, 2)


def test_short_streams_give_no_passage():
    p = Params()
    ranges, kinds = cut(_stream(p.min_tokens_prose - 1), p)
    assert ranges.shape == (0, 2)


def test_code_units_become_passages_besides_windows():
    p = Params()
    ranges, kinds = cut(_stream(300, "python", units=[[10, 60], [0, 5], [0, 300]]), p)
    rows = {tuple(r) for r in ranges.tolist()}
    assert (10, 60) in rows  # a unit of fitting length
    assert (0, 5) not in rows  # too short: boilerplate
    assert (0, 300) not in rows  # longer than max_unit_code: windows cover it
    assert (kinds == UNIT).sum() == 1 and (kinds == WINDOW).sum() == len(ranges) - 1
    assert (np.diff(ranges[:, 0]) >= 0).all()


def test_shingle_ranges():
    assert shingle_ranges(np.array([[0, 10], [5, 7]]), 3).tolist() == [[0, 8], [5, 5]]
