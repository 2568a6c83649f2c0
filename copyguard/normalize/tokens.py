"""The token stream every layer shares, and vectorized hashing of token spans.

A ``TokenStream`` is what normalization produces from prose or code: one
64-bit hash per token plus the character span of that token in the original
string. Hashing is a polynomial over code points computed with prefix sums,
so a whole document's tokens are hashed in a handful of numpy calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from ..compiled import core


class Kind(IntEnum):
    """What a token is; only ``IDENT`` tokens are renumbered when shingling."""

    OTHER = 0  # prose word, keyword, operator, punctuation
    IDENT = 1  # identifier the code may rename (locals, parameters, functions...)
    LITERAL = 2  # string or number literal (hash is its type placeholder)
    KEPT = 3  # identifier kept verbatim: attribute, keyword argument, import, builtin


PROSE = "prose"  # the one spelling of "not code"; "text" is accepted as an alias on input
PROSE_ALIASES = frozenset({PROSE, "text"})


@dataclass(frozen=True, eq=False)
class Tokens:
    """Plain token arrays: an output stream, or a slice of a source read back from the index.

    The one token-array type of the check: the index returns it, the matcher
    aligns two of them. ``starts``/``ends`` are character offsets into the
    text the tokens came from.
    """

    hashes: np.ndarray
    exact: np.ndarray
    kinds: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    def __getitem__(self, sl: slice | np.ndarray) -> Tokens:
        """Tokens of a slice, or of an array of rows."""
        return Tokens(self.hashes[sl], self.exact[sl], self.kinds[sl], self.starts[sl], self.ends[sl])


@dataclass(frozen=True, eq=False)
class TokenStream:
    """Normalized tokens of one string, each pointing back at its characters.

    ``hashes`` is the normalized channel (identifiers -> one placeholder,
    literals -> typed placeholders); ``exact`` hashes each token as written
    (after Unicode folding for prose), the channel that decides ``verbatim``.
    ``starts``/``ends`` are character offsets into ``text``. ``units`` holds
    ``(first_token, end_token)`` rows for syntactic units (functions, methods,
    classes); it is empty for prose.

    >>> ts = TokenStream.empty("")
    >>> len(ts)
    0
    """

    text: str
    lang: str
    hashes: np.ndarray
    exact: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    kinds: np.ndarray
    units: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    @property
    def is_code(self) -> bool:
        return self.lang != PROSE

    @property
    def tokens(self) -> Tokens:
        """The token arrays without the text, language and units."""
        return Tokens(self.hashes, self.exact, self.kinds, self.starts, self.ends)

    def token_text(self, i: int) -> str:
        """The original characters of token ``i``."""
        return self.text[int(self.starts[i]) : int(self.ends[i])]

    def shift(self, offset: int, text: str) -> TokenStream:
        """The same tokens with character offsets moved by ``offset`` into a larger ``text``."""
        return TokenStream(
            text, self.lang, self.hashes, self.exact, self.starts + offset,
            self.ends + offset, self.kinds, self.units,
        )

    @classmethod
    def concat(cls, streams: list[TokenStream], text: str) -> TokenStream:
        """Streams of one text (offsets already into ``text``) as one; the language of the first."""
        if len(streams) == 1:
            return streams[0]
        counts = np.cumsum([0] + [len(s) for s in streams[:-1]])
        return cls(
            text, streams[0].lang,
            np.concatenate([s.hashes for s in streams]), np.concatenate([s.exact for s in streams]),
            np.concatenate([s.starts for s in streams]), np.concatenate([s.ends for s in streams]),
            np.concatenate([s.kinds for s in streams]),
            np.concatenate([s.units + c for s, c in zip(streams, counts)]).reshape(-1, 2),
        )

    @classmethod
    def empty(cls, text: str, lang: str = PROSE) -> TokenStream:
        z64 = np.zeros(0, dtype=np.uint64)
        zi = np.zeros(0, dtype=np.int64)
        return cls(text, lang, z64, z64, zi, zi, np.zeros(0, dtype=np.uint8))


# --- hashing ---------------------------------------------------------------

_M64 = (1 << 64) - 1
_BASE = 0x100000001B3  # odd, hence invertible modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_pow_cache: dict[str, np.ndarray] = {
    "pow": np.ones(1, dtype=np.uint64),
    "inv": np.ones(1, dtype=np.uint64),
}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**i and BASE**-i mod 2**64 for i < n (cached, grown by doubling)."""
    have = _pow_cache["pow"]
    if have.shape[0] < n:
        size = max(n, 2 * have.shape[0], 1024)
        with np.errstate(over="ignore"):
            p = np.full(size, _BASE, dtype=np.uint64)
            p[0] = 1
            q = np.full(size, _BASE_INV, dtype=np.uint64)
            q[0] = 1
            _pow_cache["pow"] = np.cumprod(p, dtype=np.uint64)
            _pow_cache["inv"] = np.cumprod(q, dtype=np.uint64)
    return _pow_cache["pow"][:n], _pow_cache["inv"][:n]


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: an avalanching bijection on uint64 arrays."""
    x = np.asarray(x, dtype=np.uint64)
    if x.ndim == 0:  # numpy scalars warn when a product wraps; arrays wrap silently (and errstate costs microseconds)
        with np.errstate(over="ignore"):
            return mix64(x.reshape(1))[0]
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def codepoints(text: str) -> np.ndarray:
    """The string as a uint32 array of Unicode code points (one per ``str`` index)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def span_hashes(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """64-bit hash of each ``cps[start:end]``, all spans at once.

    Equal code point sequences give equal hashes wherever they sit: the
    prefix sum of ``cp[i] * BASE**i`` difference is rescaled by ``BASE**-start``.
    """
    n = int(cps.shape[0])
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    pw, inv = _powers(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(cps.astype(np.uint64) * pw[:n], out=prefix[1:])
        raw = (prefix[ends] - prefix[starts]) * inv[starts]
        return mix64(raw ^ ((ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))


def hash_string(s: str) -> int:
    """Hash of one string, equal to ``span_hashes`` over the same characters."""
    c = core()
    if c is not None:
        return c.hash_string(s)
    cps = codepoints(s)
    return int(span_hashes(cps, np.array([0]), np.array([len(s)]))[0])


def placeholder(name: str) -> np.uint64:
    """A fixed token hash for a placeholder such as ``<ID>`` or ``<STR>``."""
    return np.uint64(hash_string("\x00" + name))


ID = placeholder("ID")
STR = placeholder("STR")
NUM = placeholder("NUM")
