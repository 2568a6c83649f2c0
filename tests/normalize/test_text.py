"""Prose normalization: folding invariances, offsets back into the original, odd inputs."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from copyguard.normalize import normalize
from copyguard.normalize.text import normalize_prose
from copyguard.normalize.tokens import PROSE, Kind, hash_string

CLEAN = "the quick brown fox jumps over the lazy dog"
CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "y": "\u0443"}
GREEK = {"o": "\u03bf", "i": "\u03b9", "v": "\u03bd", "a": "\u03b1"}


def _words(text: str) -> list[str]:
    ts = normalize_prose(text)
    return [ts.token_text(i) for i in range(len(ts))]


def _mathbold(s: str) -> str:
    return "".join(chr(0x1D41A + ord(c) - 97) if c.islower() else c for c in s)


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


def _accented(s: str) -> str:
    marks = {"a": "\u0301", "e": "\u0300", "o": "\u0308", "u": "\u0302"}
    return unicodedata.normalize("NFC", "".join(c + marks.get(c, "") for c in s))


EVASIONS = {
    "upper": CLEAN.upper(),
    "title": CLEAN.title(),
    "reflowed": CLEAN.replace(" ", "\n", 3).replace("fox ", "fox  \n\t  "),
    "zero_width": "th\u200be qu\u200cick bro\u200dwn f\ufeffox jumps over the lazy dog",
    "soft_hyphen": "the qui\u00adck br\u00adown fox ju\u00admps over the la\u00adzy dog",
    "bidi": "the \u202equick\u202c brown \u2066fox\u2069 jumps over the lazy \u200fdog",
    "cyrillic": "".join(CYRILLIC.get(c, c) for c in CLEAN),
    "greek": "".join(GREEK.get(c, c) for c in CLEAN),
    "fullwidth": _fullwidth(CLEAN),
    "mathbold": _mathbold(CLEAN),
    "accents": _accented(CLEAN),
    "decomposed_accents": unicodedata.normalize("NFD", _accented(CLEAN)),
    "punctuated": "The quick, brown fox -- jumps over (the) lazy dog!",
    "nbsp": CLEAN.replace(" ", "\u00a0"),
    "controls": "the qu\x07ick brown fox jumps over the lazy d\x1bog",
}


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_evasion_gives_the_clean_hashes(name: str) -> None:
    clean = normalize_prose(CLEAN)
    ts = normalize_prose(EVASIONS[name])
    assert len(ts) == 9
    np.testing.assert_array_equal(ts.hashes, clean.hashes)
    np.testing.assert_array_equal(ts.exact, clean.exact)


@pytest.mark.parametrize("name", sorted(EVASIONS))
def test_offsets_cover_the_original_word(name: str) -> None:
    text = EVASIONS[name]
    ts = normalize_prose(text)
    for i in range(len(ts)):
        piece = ts.token_text(i)
        assert int(ts.hashes[i]) == hash_string(CLEAN.split()[i])
        # the span folds to exactly one word and holds no separator
        assert len(normalize_prose(piece)) == 1 and normalize_prose(piece).hashes[0] == ts.hashes[i]
    assert np.all(np.diff(ts.starts) > 0) and np.all(ts.ends > ts.starts)


def test_zero_width_inside_a_word_is_inside_its_span() -> None:
    text = "a wo\u200brd b"
    ts = normalize_prose(text)
    assert ts.token_text(1) == "wo\u200brd"
    assert (int(ts.starts[1]), int(ts.ends[1])) == (2, 7)


def test_bidi_control_at_word_edge_is_outside_its_span() -> None:
    assert _words("x \u202eevil\u202c y") == ["x", "evil", "y"]


def test_stream_shape_and_kinds() -> None:
    ts = normalize_prose("Hello, World")
    assert ts.lang == PROSE and not ts.is_code
    assert ts.hashes.dtype == np.uint64 and ts.starts.dtype == np.int64 and ts.ends.dtype == np.int64
    assert ts.kinds.dtype == np.uint8 and set(ts.kinds.tolist()) == {int(Kind.OTHER)}
    assert ts.units.shape == (0, 2)
    assert ts.text == "Hello, World"


def test_package_entry_point_uses_prose() -> None:
    np.testing.assert_array_equal(normalize("Hello, World").hashes, normalize_prose("hello world").hashes)


def test_hash_is_hash_of_folded_word() -> None:
    ts = normalize_prose("Straße ﬁne İstanbul Æsir")
    assert [int(h) for h in ts.hashes] == [hash_string(w) for w in ("strasse", "fine", "istanbul", "aesir")]


def test_different_text_gives_different_hashes() -> None:
    a = normalize_prose(CLEAN)
    b = normalize_prose("the quick brown cat jumps over the lazy dog")
    assert (a.hashes != b.hashes).sum() == 1
    assert normalize_prose("form").hashes[0] != normalize_prose("from").hashes[0]
    assert normalize_prose("ab cd").hashes[0] != normalize_prose("abcd").hashes[0]


def test_case_and_homoglyph_collisions_are_narrow() -> None:
    # Real Cyrillic words that are not look-alikes of Latin ones keep distinct hashes.
    words = _words("привет мир")
    assert words == ["привет", "мир"]
    ts = normalize_prose("привет мир hello")
    assert len(set(ts.hashes.tolist())) == 3


def test_digits_of_any_script_and_fractions() -> None:
    assert normalize_prose("\u0661\u0662\u0663").hashes[0] == normalize_prose("123").hashes[0]
    assert normalize_prose("\U0001d7cf\U0001d7d0").hashes[0] == normalize_prose("12").hashes[0]
    assert _words("½ cup") == ["½", "½", "cup"]  # 1⁄2: two words, both from one character


def test_han_and_kana_are_one_word_per_character() -> None:
    assert _words("我能吞下 ひらがな한국어") == ["我", "能", "吞", "下", "ひ", "ら", "が", "な", "한국어"]
    # kana voicing is a different letter, not an accent
    assert normalize_prose("が").hashes[0] != normalize_prose("か").hashes[0]


def test_empty_and_punctuation_only() -> None:
    for text in ("", "   \n\t ", "...!?,;--()[]", "\u200b\u200b", "\x00\x01"):
        ts = normalize_prose(text)
        assert len(ts) == 0 and ts.text == text


def test_lone_surrogates_do_not_crash_and_separate() -> None:
    text = "ab\ud800cd \udfffef"
    assert _words(text) == ["ab", "cd", "ef"]


def test_huge_single_line_matches_small_pieces() -> None:
    unit = "Lorem ipsum dolor sit amet, consectetur adipiscing elit; "
    text = unit * (5_000_000 // len(unit) + 1)
    assert len(text) >= 5_000_000 and "\n" not in text
    ts = normalize_prose(text)
    small = normalize_prose(unit)
    assert len(ts) == len(small) * (len(text) // len(unit))
    np.testing.assert_array_equal(ts.hashes[: len(small) * 3], np.tile(small.hashes, 3))
    last = len(ts) - 1
    assert ts.token_text(last) == "elit" and int(ts.ends[last]) == len(text) - 2


def test_huge_word_without_spaces_is_one_token() -> None:
    text = "a" * 300_000 + " b"
    ts = normalize_prose(text)
    assert len(ts) == 2 and (int(ts.starts[0]), int(ts.ends[0])) == (0, 300_000)


def test_huge_non_ascii_text_matches_per_paragraph_results() -> None:
    para = "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Съешь ещё 我能\u200b吞\n"
    text = para * 3000
    ts = normalize_prose(text)
    small = normalize_prose(para)
    np.testing.assert_array_equal(ts.hashes, np.tile(small.hashes, 3000))
    np.testing.assert_array_equal(ts.starts[: len(small)], small.starts)
    np.testing.assert_array_equal(ts.starts[-len(small):] - len(para) * 2999, small.starts)


def _reference_words(text: str) -> list[tuple[str, int, int]]:
    """Slow, obvious tokenizer over the same per-character fold: (folded word, start, end)."""
    from copyguard.normalize.text import SINGLE_CHAR_WORDS, fold_char, in_ranges

    words: list[tuple[str, int, int]] = []
    cur, start, last = "", 0, 0
    for i, c in enumerate(text):
        for x in fold_char(c):
            if x == " " or in_ranges(ord(x), SINGLE_CHAR_WORDS):
                if cur:
                    words.append((cur, start, last + 1))
                cur = ""
                if x != " ":
                    words.append((x, i, i + 1))
                continue
            if not cur:
                start = i
            cur, last = cur + x, i
    if cur:
        words.append((cur, start, last + 1))
    return words


ALPHABET = (
    "abcXYZ019 ,.\n\t-" "\u0430\u0410\u0397\u03b9\u00e9\u00df\u00bd\ufb01\u200b\u00ad\u202e\u0301"
    "\u6211\u80fd\u304c\u3099\ud55c\u337b\U0001d407\uff21\u0661\ud800\x07\u2028\ue000"
)


@pytest.mark.parametrize("seed", range(30))
def test_vectorized_tokens_equal_the_reference(seed: int) -> None:
    rnd = np.random.default_rng(seed)
    text = "".join(rnd.choice(list(ALPHABET), size=int(rnd.integers(0, 400))))
    ts = normalize_prose(text)
    ref = _reference_words(text)
    assert [(int(s), int(e)) for s, e in zip(ts.starts, ts.ends)] == [(s, e) for _, s, e in ref]
    assert [int(h) for h in ts.hashes] == [hash_string(w) for w, _, _ in ref]


def test_uppercase_cyrillic_and_greek_look_alikes() -> None:
    look = {"T": "\u0422", "H": "\u041d", "E": "\u0395", "O": "\u039f", "C": "\u0421", "K": "\u039a",
            "I": "\u0399", "B": "\u0392", "P": "\u0420", "X": "\u0425", "Y": "\u03a5", "A": "\u0391"}
    text = "".join(look.get(c, c) for c in CLEAN.upper())
    assert not text.isascii()
    np.testing.assert_array_equal(normalize_prose(text).hashes, normalize_prose(CLEAN).hashes)
