"""Prose to word tokens that survive the usual disguises of copied text.

A word is a run of letters and digits after folding each character:
compatibility forms (NFKD: full-width, mathematical alphanumerics, ligatures),
case folding, accents dropped, Latin look-alikes from Unicode's confusables
(Cyrillic ``а``, Greek ``Η``) mapped to ASCII, decimal digits of any script to
ASCII digits. Format and control characters (zero-width, bidi, soft hyphen)
vanish without splitting a word; every other non-word character separates.
Han and kana characters are one word each, as their text has no spaces.

Folding is per code point, so it is computed once per distinct code point and
applied to whole arrays with numpy; there is no Python loop per character.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..compiled import core
from .tokens import PROSE, TokenStream, codepoints, span_hashes

_CHUNK = 1 << 16  # characters per vectorized pass; bounds memory on huge inputs
_SPACE = re.compile(r"\s")
_SEP = " "
_DROP = 0  # byte that marks a vanishing ASCII control in the translated ASCII text

# Marks that carry an accent rather than a letter: generic diacritic blocks,
# overlays (ccc 1), Hebrew/Arabic/Syriac pointing (ccc 10-36), positional accents (ccc >= 200).
_DIACRITIC_BLOCKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
# Default-ignorable code points that are not format characters (Cf).
_IGNORABLE = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
              (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF))
# Scripts written without spaces between words: each character is a word.
SINGLE_CHAR_WORDS = ((0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3040, 0x30FF),
                      (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
                      (0x20000, 0x3FFFF))


def in_ranges(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def _load_confusables() -> dict[str, str]:
    """Non-ASCII letter -> the lowercase ASCII it passes for (see scripts/make_confusables.py)."""
    table: dict[str, str] = {}
    data = resources.files("copyguard.normalize").joinpath("data/confusables_latin.tsv")
    for line in data.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            cp, ascii_ = line.split("\t")
            table[chr(int(cp, 16))] = ascii_
    return table


_CONFUSABLES = _load_confusables()


def _is_accent(c: str) -> bool:
    if unicodedata.category(c) not in ("Mn", "Me"):
        return False
    cp, ccc = ord(c), unicodedata.combining(c)
    return in_ranges(cp, _DIACRITIC_BLOCKS) or in_ranges(cp, _IGNORABLE) or ccc == 1 or 10 <= ccc <= 36 or ccc >= 200


def _fold_simple(c: str) -> str:
    """Fold one character of an NFKD decomposition (no further decomposition needed)."""
    if c.isascii():
        return c.lower() if c.isalnum() else _SEP
    if _is_accent(c):
        return ""
    if c in _CONFUSABLES:
        return _CONFUSABLES[c]
    if unicodedata.category(c) == "Nd":
        return str(unicodedata.decimal(c))
    if c.isalnum() or unicodedata.category(c).startswith("M"):
        return c
    return _SEP


def fold_char(c: str) -> str:
    """What one code point becomes: word characters, ``" "`` for a separator, ``""`` to vanish.

    >>> fold_char("\\U0001d407"), fold_char("\\u0410"), fold_char("\\u200b"), fold_char("\\u00df")
    ('h', 'a', '', 'ss')
    """
    if c.isspace():
        return _SEP
    cat = unicodedata.category(c)
    if cat in ("Cc", "Cf") or in_ranges(ord(c), _IGNORABLE):
        return ""
    if cat in ("Cs", "Co", "Cn"):
        return _SEP
    out = []
    for d in unicodedata.normalize("NFKD", c):
        f = _fold_simple(d)
        if len(f) == 1 and not f.isascii() and f.casefold() != f:
            f = "".join(_fold_simple(e) for e in unicodedata.normalize("NFKD", f.casefold()))
        out.append(f)
    return unicodedata.normalize("NFKC", "".join(out))  # recompose Hangul, kana voicing


# Flags in the fold table's entries and in folded code points (code points need 21 bits).
_SOLO = np.uint32(1 << 29)  # a folded code point that is a word by itself (Han, kana)
_ODD = np.uint32(1 << 30)  # folds to 0 or 2+ code points: low bits index ``_FoldTable.multi``
_UNKNOWN = np.uint32(1 << 31)  # fold not computed yet


@dataclass(frozen=True)
class _Folded:
    """One chunk after folding: code points, single-character words, and where lengths changed.

    ``odd`` holds the source indices whose fold is not exactly one code point
    and ``odd_len`` their fold lengths; every other character maps one to one.
    """

    cps: np.ndarray
    solo: np.ndarray | None
    odd: np.ndarray
    odd_len: np.ndarray

    def source_index(self, k: np.ndarray) -> np.ndarray:
        """Index in the chunk of the character that folded position ``k`` came from."""
        if self.odd.shape[0] == 0:
            return k
        shift = np.cumsum(self.odd_len - 1)
        end = self.odd + shift + 1  # folded end of each odd character's output
        c = np.searchsorted(end, k, side="right")  # odd characters wholly before k
        src = k - np.concatenate(([0], shift))[c]
        cc = np.minimum(c, self.odd.shape[0] - 1)
        inside = (c < self.odd.shape[0]) & (k >= end[cc] - self.odd_len[cc])
        return np.where(inside, self.odd[cc], src)


def _folded(cps: np.ndarray, odd: np.ndarray, odd_len: np.ndarray, has_solo: bool) -> _Folded:
    """Split the single-word flag off folded code points."""
    solo = None
    if has_solo:
        solo = cps >= _SOLO
        cps = cps & ~_SOLO
    return _Folded(cps, solo, odd, odd_len.astype(np.int64))


class _FoldTable:
    """Dense code point -> fold table, filled lazily for the code points actually seen.

    ``entry[cp]`` is the folded code point (with ``_SOLO`` when it is a word by
    itself), or ``_ODD | offset`` of its fold in ``multi`` when the fold is not
    one code point long (``length[cp]`` code points), or ``_UNKNOWN``.
    """

    def __init__(self) -> None:
        self.entry = np.full(0x110000, _UNKNOWN, dtype=np.uint32)
        self.length = np.ones(0x110000, dtype=np.uint8)
        self.multi = np.zeros(0, dtype=np.uint32)
        self.lock = threading.Lock()

    def _fill(self, cps: np.ndarray) -> None:
        with self.lock:
            lengths: list[int] = []
            entries: list[int] = []
            extra: list[int] = []
            base = int(self.multi.shape[0])
            for cp in cps.tolist():
                f = [ord(x) | (int(_SOLO) if in_ranges(ord(x), SINGLE_CHAR_WORDS) else 0)
                     for x in fold_char(chr(cp))][:255]
                entries.append(f[0] if len(f) == 1 else int(_ODD) | (base + len(extra)))
                lengths.append(len(f))
                if len(f) != 1:
                    extra.extend(f)
            # readers do not lock: publish ``multi`` and lengths before the entries that point to them
            self.multi = np.concatenate([self.multi, np.array(extra, dtype=np.uint32)])
            self.length[cps] = lengths
            self.entry[cps] = entries

    def learn(self, cps: np.ndarray) -> None:
        """Fill the folds of the code points among ``cps`` that the table does not know yet."""
        entries = self.entry.take(cps)
        if entries.max(initial=0) >= _UNKNOWN:
            new = np.sort(cps[entries >= _UNKNOWN])  # distinct by sorting: np.unique imports numpy.ma
            self._fill(new[np.concatenate(([True], new[1:] != new[:-1]))])

    def fold(self, cps: np.ndarray) -> _Folded:
        entries = self.entry.take(cps)
        top = entries.max(initial=0)
        if top >= _UNKNOWN:
            self._fill(np.unique(cps[entries >= _UNKNOWN]))
            entries = self.entry.take(cps)
            top = entries.max(initial=0)
        if top < _ODD:
            return _folded(entries, _EMPTY, _EMPTY, bool(top >= _SOLO))
        odd = np.flatnonzero(entries >= _ODD)
        odd_len = self.length.take(cps[odd])
        if not odd_len.any():  # only vanishing characters
            folded = np.delete(entries, odd)
            return _folded(folded, odd, odd_len, bool(folded.max(initial=0) >= _SOLO))
        lengths = np.ones(cps.shape[0], dtype=np.int64)
        lengths[odd] = odd_len
        folded = np.repeat(entries, lengths)
        multi, sizes = odd[odd_len > 1], odd_len[odd_len > 1].astype(np.int64)
        within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        out_pos = np.repeat(np.cumsum(lengths)[multi] - sizes, sizes) + within
        offsets = (entries[multi] & ~_ODD).astype(np.int64)
        folded[out_pos] = self.multi[np.repeat(offsets, sizes) + within]
        return _folded(folded, odd, odd_len, bool(folded.max(initial=0) >= _SOLO))


_EMPTY = np.zeros(0, dtype=np.int64)
_TABLE: _FoldTable | None = None
_ASCII_MAP: bytes | None = None


def _table() -> _FoldTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = _FoldTable()
    return _TABLE


def _ascii_map() -> bytes:
    """``bytes.translate`` table equal to the fold of each ASCII character."""
    global _ASCII_MAP
    if _ASCII_MAP is None:
        folds = [fold_char(chr(b)) for b in range(128)]
        _ASCII_MAP = bytes(ord(f) if f else _DROP for f in folds) + bytes(128)
    return _ASCII_MAP


def _fold_chunk(chunk: str) -> _Folded:
    if chunk.isascii():
        folded = chunk.encode("ascii").translate(_ascii_map())
        arr = np.frombuffer(folded, dtype=np.uint8)
        if _DROP.to_bytes(1, "little") in folded:
            odd = np.flatnonzero(arr == _DROP)
            return _Folded(np.delete(arr, odd), None, odd, np.zeros(odd.shape[0], dtype=np.int64))
        return _Folded(arr, None, _EMPTY, _EMPTY)
    cps = np.frombuffer(chunk.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _table().fold(cps)


def _word_spans(f: _Folded) -> tuple[np.ndarray, np.ndarray]:
    """Folded ``[start, end)`` of each word: runs of word characters, solo characters alone."""
    if f.solo is None:
        word = np.zeros(f.cps.shape[0] + 2, dtype=bool)
        np.not_equal(f.cps, ord(_SEP), out=word[1:-1])
        flips = np.flatnonzero(word[1:] != word[:-1])  # alternately a word's start and end
        return flips[0::2], flips[1::2]
    word = f.cps != ord(_SEP)
    joins = word[1:] & word[:-1] & ~f.solo[1:] & ~f.solo[:-1]  # k + 1 continues the word at k
    is_start, is_end = word.copy(), word.copy()
    is_start[1:] &= ~joins
    is_end[:-1] &= ~joins
    return np.flatnonzero(is_start), np.flatnonzero(is_end) + 1


def _words(chunk: str, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes and original ``[start, end)`` offsets of the words of one chunk."""
    f = _fold_chunk(chunk)
    fs, fe = _word_spans(f)
    hashes = span_hashes(f.cps, fs, fe)
    return hashes, f.source_index(fs) + offset, f.source_index(fe - 1) + (offset + 1)


def _chunks(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` pieces of about ``_CHUNK`` characters, cut at whitespace."""
    bounds, start, n = [], 0, len(text)
    while start < n:
        end = start + _CHUNK
        if end < n:
            ws = _SPACE.search(text, end)
            end = ws.start() if ws else n
        else:
            end = n
        bounds.append((start, end))
        start = end
    return bounds


def normalize_prose(text: str) -> TokenStream:
    """Word tokens of ``text``; ``hashes`` and ``exact`` both hash the folded word.

    >>> a, b = normalize_prose("Hello, World"), normalize_prose("ＨＥＬＬＯ w\\u200borld")
    >>> bool((a.hashes == b.hashes).all()), b.token_text(1)
    (True, 'w\\u200borld')
    """
    if not text:
        return TokenStream.empty(text)
    c = core()
    if c is not None:
        return _prose_compiled(c, text, None)
    parts = [_words(text[a:b], a) for a, b in _chunks(text)]
    if len(parts) == 1:
        hashes, starts, ends = parts[0]
    else:
        hashes, starts, ends = (np.concatenate(p) for p in zip(*parts))
    kinds = np.zeros(hashes.shape[0], dtype=np.uint8)
    return TokenStream(text, PROSE, hashes, hashes, starts.astype(np.int64), ends.astype(np.int64), kinds)


def normalize_prose_in(text: str, spans: list[tuple[int, int]]) -> TokenStream:
    """The words of ``text`` inside ``spans`` (every other character separates words), offsets into ``text``.

    Equal to ``normalize_prose(blank_outside(text, spans))`` with ``text`` as its
    text; the compiled core skips the blanked copy.

    >>> ts = normalize_prose_in("keep these, not this", [(0, 10)])
    >>> [ts.token_text(i) for i in range(len(ts))]
    ['keep', 'these']
    """
    if not text or not spans:
        return TokenStream.empty(text)
    c = core()
    if c is not None:
        return _prose_compiled(c, text, np.array(spans, dtype=np.int64).reshape(-1, 2))
    return normalize_prose(blank_outside(text, spans)).shift(0, text)


def _prose_compiled(c, text: str, spans: np.ndarray | None) -> TokenStream:
    """``normalize_prose`` by the compiled core: one pass through the fold table, filled on demand."""
    cps = codepoints(text)
    table = _table()
    while True:
        found = c.prose_words(cps, spans, table.entry, table.length, table.multi)
        if found is not None:
            break
        table.learn(cps)
    hashes, starts, ends = found
    return TokenStream(text, PROSE, hashes, hashes, starts, ends, np.zeros(hashes.shape[0], dtype=np.uint8))


def blank_outside(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every character outside ``spans`` made a space (newlines kept): same length, same offsets.

    Prose normalization folds per character, so normalizing the blanked text
    gives exactly the words inside ``spans`` with their offsets into ``text``.

    >>> blank_outside("ab\\ncd ef", [(3, 5)])
    '  \\ncd   '
    """
    cps = codepoints(text)
    keep = np.zeros(cps.shape[0] + 1, dtype=np.int32)
    for start, end in spans:
        keep[start] += 1
        keep[end] -= 1
    inside = np.cumsum(keep[:-1]) > 0
    blanked = np.where(inside | (cps == _NEWLINE), cps, _BLANK).astype(np.uint32)
    return blanked.tobytes().decode("utf-32-le", "surrogatepass")


_BLANK, _NEWLINE = np.uint32(32), np.uint32(10)
