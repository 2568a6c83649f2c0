"""Source code to a ``TokenStream`` with tree-sitter.

The tree supplies what a lexer cannot know robustly: where strings, numbers,
comments and import statements are (import statements are dropped like
comments), which names sit in a kept position (keyword arguments, fields),
which keywords are real keywords, and the syntactic units.
One tree-sitter query collects all of that in C. Everything between those
spans is lexed with numpy over code points: runs of word characters are
names or keywords, every other visible character is one punctuation token.
Words are therefore found even inside ERROR regions of broken code.

>>> ts = normalize_code("def f(x):\\n    return x + 1  # add\\n", "python")
>>> [ts.token_text(i) for i in range(len(ts))]
['def', 'f', '(', 'x', ')', ':', 'return', 'x', '+', '1']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import grammars
from .grammars import Grammar
from .tokens import ID, NUM, STR, Kind, TokenStream, codepoints, hash_string, span_hashes

# Capture names of the one query per grammar.
_OPAQUE = {"str": 1, "num": 2, "comment": 3}  # spans lexed as one literal token, or dropped
_WORD_RE = re.compile(r"[A-Za-z_]\w*\Z")

# Character classes: 0 space, 1 word, 2 punctuation. Code points >= 128 are word characters.
_SPACE, _WORD, _PUNCT = 0, 1, 2
_CLASS = np.full(129, _WORD, dtype=np.uint8)
_CLASS[:33] = _SPACE
_CLASS[127] = _SPACE
for _c in "!\"#%&'()*+,-./:;<=>?@[\\]^`{|}~":
    _CLASS[ord(_c)] = _PUNCT
_UNICODE_SPACES = np.array(
    [0x85, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF],
    dtype=np.uint32,
)


@dataclass(frozen=True)
class _Compiled:
    """Per-grammar objects built once: the query and the hash sets of special words."""

    query: object
    keywords: np.ndarray  # sorted hashes of hard keywords
    soft: np.ndarray  # sorted hashes of soft keywords
    builtins: np.ndarray  # sorted hashes of builtin names
    member_ops: tuple[tuple[int, ...], ...]  # code points of each member-access operator
    kept_fields: dict[str, tuple[str, ...]]  # parent node type -> fields holding kept names


@cache
def _compiled(grammar: Grammar) -> _Compiled:
    import tree_sitter

    lang = grammars.language(grammar)
    query = tree_sitter.Query(lang, _query_source(grammar))
    soft = set(grammar.soft_keywords)
    words = {
        lang.node_kind_for_id(i)
        for i in range(lang.node_kind_count)
        if not lang.node_kind_is_named(i) and lang.node_kind_is_visible(i)
    }
    hard = sorted(w for w in words if w and _WORD_RE.match(w) and w not in soft)
    return _Compiled(
        query=query,
        keywords=_hash_set(hard),
        soft=_hash_set(soft),
        builtins=_hash_set(grammar.builtins),
        member_ops=tuple(tuple(map(ord, op)) for op in grammar.member_access),
        kept_fields=_fields_by_parent(grammar.kept_fields),
    )


def _fields_by_parent(entries: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        parent, field = entry.split(".")
        out[parent] = out.get(parent, ()) + (field,)
    return out


def _hash_set(words) -> np.ndarray:
    return np.unique(np.array([hash_string(w) for w in words], dtype=np.uint64))


def _query_source(g: Grammar) -> str:
    """One pattern per capture name, each an alternation of plain node types.

    Field patterns (``(parent name: (_) @x)``) and anonymous-node patterns make
    the query cursor several times slower, so parents of kept fields are
    captured whole and soft keywords are checked afterwards, one by one.
    """

    def alt(types, capture: str) -> str:
        return f"[{' '.join(f'({t})' for t in types)}] @{capture}\n" if types else ""

    parents = sorted({entry.split(".")[0] for entry in g.kept_fields})
    return "".join([
        alt(g.strings, "str"), alt(g.numbers, "num"), alt(g.comments, "comment"),
        alt(g.kept, "kept"), alt(g.units, "unit"), alt(g.imports, "import"),
        alt(parents, "kept_parent"),
    ])


# --- public entry point ---------------------------------------------------------


def normalize_code(text: str, lang: str) -> TokenStream:
    """Tokens of source code ``text`` in language ``lang`` (a grammar name or alias).

    Identifiers hash to one placeholder in ``hashes`` (their own name in
    ``exact``); strings and numbers to ``<STR>``/``<NUM>``; comments and
    whitespace and import statements are dropped; keywords, operators,
    punctuation and kept names (attributes, keyword arguments, builtins)
    hash as written.
    Broken code never raises.

    >>> a = normalize_code("total = price * qty", "py")
    >>> b = normalize_code("t = p * q  # renamed", "py")
    >>> bool((a.hashes == b.hashes).all())
    True
    """
    grammar = grammars.get(lang)
    if not text:
        return TokenStream.empty(text, grammar.name)
    compiled = _compiled(grammar)
    data = text.encode("utf-8", "surrogatepass")
    tree = grammars.parser(grammar).parse(data)
    root = tree.root_node
    spans = _captures(compiled, root, data, len(text))
    cps = codepoints(text)
    starts, ends, lit = _lex(cps, spans)
    if starts.shape[0] == 0:
        return TokenStream.empty(text, grammar.name)
    exact = span_hashes(cps, starts, ends)
    ascii_only = len(data) == len(text)
    spans["keyword"] = _soft_keyword_spans(compiled, root, cps, starts, ends, exact, ascii_only)
    kinds, hashes = _classify(compiled, cps, starts, ends, lit, exact, spans)
    # Import statements are dropped: they are boilerplate, and a copied function rarely carries
    # its file's imports, so names must not normalize differently with and without them.
    keep = ~_inside(starts, spans.get("import"))
    if not keep.all():
        starts, ends, hashes, exact, kinds = starts[keep], ends[keep], hashes[keep], exact[keep], kinds[keep]
    units = _units(starts, spans.get("unit"))
    return TokenStream(text, grammar.name, hashes, exact, starts, ends, kinds, units)


# --- captures ---------------------------------------------------------------------


def _captures(c: _Compiled, root, data: bytes, n_chars: int) -> dict[str, np.ndarray]:
    """Capture name -> (k, 2) int64 array of character spans, sorted by start."""
    import tree_sitter

    found = tree_sitter.QueryCursor(c.query).captures(root)
    fields = c.kept_fields
    to_char = None if len(data) == n_chars else _byte_to_char(data)
    parents = found.pop("kept_parent", None)
    if parents:
        found.setdefault("kept", []).extend(_field_children(parents, fields))
    out = {}
    for name, nodes in found.items():
        spans = np.array([n.byte_range for n in nodes], dtype=np.int64).reshape(-1, 2)
        if to_char is not None:
            spans = to_char[spans]
        out[name] = spans[np.argsort(spans[:, 0], kind="stable")]
    return out


def _field_children(parents, fields: dict[str, tuple[str, ...]]) -> list:
    out = []
    for node in parents:
        for field in fields.get(node.type, ()):
            out.extend(node.children_by_field_name(field))
    return out


def _byte_to_char(data: bytes) -> np.ndarray:
    """Array mapping each UTF-8 byte offset (0..len) to its character offset."""
    b = np.frombuffer(data, dtype=np.uint8)
    table = np.zeros(b.shape[0] + 1, dtype=np.int64)
    np.cumsum((b & 0xC0) != 0x80, out=table[1:])
    return table


def _opaque_spans(spans: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outermost string/number/comment spans (starts, ends, type code), nested ones dropped."""
    parts = [(spans[k], code) for k, code in _OPAQUE.items() if k in spans]
    if not parts:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    s = np.concatenate([p[:, 0] for p, _ in parts])
    e = np.concatenate([p[:, 1] for p, _ in parts])
    t = np.concatenate([np.full(p.shape[0], c, dtype=np.int64) for p, c in parts])
    order = np.lexsort((-e, s))
    s, e, t = s[order], e[order], t[order]
    reach = np.maximum.accumulate(e)
    keep = (e > s) & np.concatenate(([True], s[1:] >= reach[:-1]))
    return s[keep], e[keep], t[keep]


# --- lexing -------------------------------------------------------------------------


def _lex(cps: np.ndarray, spans: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Token (starts, ends, literal code) in text order; literal code 0 for lexed tokens."""
    n = cps.shape[0]
    cls = _CLASS[np.minimum(cps, 128)]
    if cps.max() >= 128:
        cls[np.isin(cps, _UNICODE_SPACES)] = _SPACE
    os_, oe, ot = _opaque_spans(spans)
    if os_.shape[0]:
        cover = np.zeros(n + 1, dtype=np.int32)
        cover[os_] += 1
        cover[oe] -= 1
        cls[np.cumsum(cover[:n]) > 0] = _SPACE
    word = cls == _WORD
    word_start = word.copy()
    word_start[1:] &= ~word[:-1]
    word_end = word.copy()
    word_end[:-1] &= ~word[1:]
    end_at = np.empty(n, dtype=np.int64)
    end_at[word_start] = np.flatnonzero(word_end) + 1
    punct = cls == _PUNCT
    end_at[punct] = np.flatnonzero(punct) + 1
    lit_code = np.zeros(n, dtype=np.int8)
    is_start = word_start | punct
    literal = ot != 3
    is_start[os_[literal]] = True
    end_at[os_[literal]] = oe[literal]
    lit_code[os_[literal]] = ot[literal]
    starts = np.flatnonzero(is_start)
    return starts, end_at[starts], lit_code[starts]


def _soft_keyword_spans(c: _Compiled, root, cps, starts, ends, exact, ascii_only) -> np.ndarray:
    """Spans of soft-keyword words the parser read as keywords (anonymous leaf nodes)."""
    cand = np.flatnonzero(_member(exact, c.soft))
    if cand.shape[0] == 0:
        return np.zeros((0, 2), dtype=np.int64)
    s, e = starts[cand], ends[cand]
    if not ascii_only:
        utf8_len = 1 + (cps >= 0x80).astype(np.int64) + (cps >= 0x800) + (cps >= 0x10000)
        to_byte = np.concatenate(([0], np.cumsum(utf8_len)))
        s, e = to_byte[s], to_byte[e]
    hits = []
    for i, b0, b1 in zip(cand.tolist(), s.tolist(), e.tolist()):
        node = root.descendant_for_byte_range(b0, b1)
        if node is not None and not node.is_named and node.byte_range == (b0, b1):
            hits.append(i)
    return np.stack([starts[hits], ends[hits]], axis=1).reshape(-1, 2)


# --- classification -----------------------------------------------------------------


def _classify(c: _Compiled, cps, starts, ends, lit, exact, spans):
    """(kinds, normalized hashes) of every token."""
    first = cps[starts]
    word = (lit == 0) & (_CLASS[np.minimum(first, 128)] == _WORD)
    number = (lit == 2) | (word & (first >= 48) & (first <= 57))
    name = word & ~number
    keyword = name & _member(exact, c.keywords)
    keyword |= name & _inside(starts, spans.get("keyword"))
    kept = name & ~keyword & (
        _member(exact, c.builtins)
        | _inside(starts, spans.get("kept"))
        | _after_member_op(cps, starts, ends, c.member_ops)
    )
    ident = name & ~keyword & ~kept
    kinds = np.full(starts.shape[0], Kind.OTHER, dtype=np.uint8)
    kinds[ident] = Kind.IDENT
    kinds[kept] = Kind.KEPT
    kinds[number | (lit == 1)] = Kind.LITERAL
    hashes = exact.copy()
    hashes[ident] = ID
    hashes[lit == 1] = STR
    hashes[number] = NUM
    return kinds, hashes


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``values`` in ``sorted_set`` (a sorted unique array), by binary search."""
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), sorted_set.shape[0] - 1)
    return sorted_set[pos] == values


def _inside(starts: np.ndarray, spans: np.ndarray | None) -> np.ndarray:
    """Whether each token start lies inside one of ``spans`` (sorted by start)."""
    if spans is None or spans.shape[0] == 0:
        return np.zeros(starts.shape[0], dtype=bool)
    idx = np.searchsorted(spans[:, 0], starts, side="right") - 1
    reach = np.maximum.accumulate(spans[:, 1])
    return (idx >= 0) & (starts < reach[np.maximum(idx, 0)])


def _after_member_op(cps, starts, ends, ops) -> np.ndarray:
    """Tokens right after a member-access operator (``.``, ``->``) not preceded by its own first char.

    The extra check keeps ``...rest`` and ``0..n`` from counting as attribute access.
    """
    n = starts.shape[0]
    out = np.zeros(n, dtype=bool)
    single = np.where(ends - starts == 1, cps[starts], 0).astype(np.int64)
    for op in ops:
        k = len(op)
        if n <= k:
            continue
        ok = np.ones(n - k, dtype=bool)
        for j, ch in enumerate(op):  # operator chars at tokens i-k+j, contiguous
            tok = np.arange(j, n - k + j)
            ok &= single[tok] == ch
            if j:
                ok &= starts[tok] == ends[tok - 1]
        before = np.concatenate(([0], single[: n - k - 1]))
        glued = np.concatenate(([False], ends[: n - k - 1] == starts[1 : n - k]))
        ok &= ~(glued & (before == op[0]))
        out[k:] = ok
    return out


def _units(starts: np.ndarray, spans: np.ndarray | None) -> np.ndarray:
    """(first_token, end_token) rows of syntactic units, dropping empty ones."""
    if spans is None or spans.shape[0] == 0:
        return np.zeros((0, 2), dtype=np.int64)
    first = np.searchsorted(starts, spans[:, 0], side="left")
    end = np.searchsorted(starts, spans[:, 1], side="left")
    rows = np.stack([first, end], axis=1).astype(np.int64)
    return rows[end > first]
