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
import sys
import threading
from dataclasses import dataclass, fields
from itertools import chain, islice
from typing import NamedTuple

import numpy as np

from ..compiled import core
from ..sorted_sets import isin_sorted
from . import grammars
from .grammars import Grammar
from .tokens import ID, NUM, STR, Kind, TokenStream, codepoints, hash_string, mix64, span_hashes

# Capture codes. Opaque captures (1-3) are lexed as one literal token, or dropped (comments);
# the others are spans that mark the tokens inside them.
_OPAQUE = {"str": 1, "num": 2, "comment": 3}
_CODES = {**_OPAQUE, "kept": 4, "unit": 5, "import": 6, "shorthand": 7}
_N_CODES = 8
_WORD_RE = re.compile(r"[A-Za-z_]\w*\Z")

# Character classes: 0 space, 1 word, 2 punctuation. Code points >= 128 are word characters.
_SPACE, _WORD, _PUNCT = 0, 1, 2
_CLASS = np.full(129, _WORD, dtype=np.uint8)
_CLASS[:33] = _SPACE
_CLASS[127] = _SPACE
for _c in "!\"#%&'()*+,-./:;<=>?@[\\]^`{|}~":
    _CLASS[ord(_c)] = _PUNCT
_CLASS_BYTES = bytes(_CLASS[np.minimum(np.arange(256), 128)].tolist())  # for bytes.translate
# Token boundaries from the classes of two neighbouring characters (index 3 * a + b): a
# character starts a token if it is punctuation or a word character after a non-word one,
# and is the last of a token if it is punctuation or a word character before a non-word one.
_START = np.array([3 * a + b for a in range(3) for b in range(3)]) < 0
_LAST = _START.copy()
for _a in range(3):
    _START[3 * _a + _PUNCT] = _LAST[3 * _PUNCT + _a] = True
    _START[3 * _a + _WORD] = _LAST[3 * _WORD + _a] = _a != _WORD
# Class of a token's first character: 0 not a word, 1 name start, 2 digit (a number).
_FIRST = np.where(_CLASS == _WORD, 1, 0).astype(np.uint8)
_FIRST[ord("0") : ord("9") + 1] = 2
_UNICODE_SPACES = np.array(
    [0x85, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF],
    dtype=np.uint32,
)

# Token categories while classifying, and the kind and replacement hash of each.
_PUNCT_CAT, _NAME, _DIGITS, _STR_LIT, _NUM_LIT, _KEPT_NAME = range(6)
_KIND = np.array([Kind.OTHER, Kind.IDENT, Kind.LITERAL, Kind.LITERAL, Kind.LITERAL, Kind.KEPT],
                 dtype=np.uint8)
_REPLACED = np.array([False, True, True, True, True, False])
_REPLACEMENT = np.array([0, ID, NUM, STR, NUM, 0], dtype=np.uint64)

# Bits of a special word: a hard keyword, a soft keyword, a builtin name (soft words may be builtins).
_HARD, _SOFT, _BUILTIN = 1, 2, 4


@dataclass
class _Compiled:
    """Per-grammar objects built once: the query and the hash table of special words."""

    query: object
    words: np.ndarray  # sorted unique hashes of hard keywords, soft keywords and builtins
    word_bits: np.ndarray  # _HARD | _SOFT | _BUILTIN bits of each of ``words``
    member_ops: tuple[tuple[int, ...], ...]  # code points of each member-access operator
    kept_fields: dict[str, tuple[str, ...]]  # parent node type -> fields holding kept names
    # for the compiled twin (``_core.normalize_code``): what the query captures, as tables by symbol
    symbol_flags: np.ndarray  # uint16 per node symbol: the _FLAG bits of the captures it belongs to
    field_keys: np.ndarray  # uint32 parent_symbol << 16 | field_id of every kept field
    member_op_table: np.ndarray  # uint32 (operators, longest), code points, 0-padded
    optional: np.ndarray  # uint64 hashes of ``Grammar.optional``, ``type_operators`` and ``type_marks`` (_drop_optional)
    type_operators: np.ndarray
    type_marks: np.ndarray
    statement_end: np.ndarray  # its hash, or none (``_line_ends``)
    tables: object = None  # the above as a ``_core.CodeTables``, made on first use
    pass_tables: object = None  # what the passes of ``_core.normalize_code`` need, a ``_core.PassTables``


_COMPILED: dict[str, _Compiled] = {}


def _compiled(grammar: Grammar) -> _Compiled:
    """The grammar's ``_Compiled``, cached by name (hashing a ``Grammar`` costs microseconds)."""
    c = _COMPILED.get(grammar.name)
    if c is None:
        c = _COMPILED[grammar.name] = _compile(grammar)
    return c


def _compile(grammar: Grammar) -> _Compiled:
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
    table, bits = _word_table([(hard, _HARD), (soft, _SOFT), (grammar.builtins, _BUILTIN)])
    member_ops = tuple(tuple(map(ord, op)) for op in grammar.member_access)
    ops = np.zeros((len(member_ops), max(map(len, member_ops), default=1)), dtype=np.uint32)
    for i, op in enumerate(member_ops):
        ops[i, : len(op)] = op
    kept_fields = _fields_by_parent(grammar.kept_fields)
    return _Compiled(
        query=query,
        words=table,
        word_bits=bits,
        member_ops=member_ops,
        kept_fields=kept_fields,
        symbol_flags=_symbol_flags(grammar, lang),
        field_keys=np.array(sorted({lang.id_for_node_kind(parent, True) << 16 | lang.field_id_for_name(f)
                                    for parent, fs in kept_fields.items() for f in fs}), dtype=np.uint32),
        member_op_table=ops,
        optional=_hashes(grammar.optional),
        type_operators=_hashes(grammar.type_operators),
        type_marks=_hashes(grammar.type_marks),
        statement_end=_hashes(grammar.statement_end[:1]),
    )


def _hashes(words: tuple[str, ...]) -> np.ndarray:
    return np.array(sorted({hash_string(w) for w in words}), dtype=np.uint64)


# Bits of ``_Compiled.symbol_flags``, one per capture of the query (soft: an anonymous soft keyword).
_FLAG = {"str": 1, "num": 2, "comment": 4, "kept": 8, "unit": 16, "import": 32, "kept_parent": 64, "anonymous": 128,
         "shorthand": 256}


def _symbol_flags(g: Grammar, lang) -> np.ndarray:
    """Per node symbol, the captures of ``_query_source`` it falls in (symbols as the query resolves names),
    and whether it is anonymous (``_parsed_as_keyword`` asks for an anonymous node spanning a word)."""
    flags = np.zeros(lang.node_kind_count, dtype=np.uint16)
    groups = [(g.strings, "str"), (g.numbers, "num"), (g.comments, "comment"), (g.kept, "kept"), (g.units, "unit"),
              (g.imports + g.erased, "import"), (sorted({e.split(".")[0] for e in g.kept_fields}), "kept_parent"),
              (g.shorthand, "shorthand")]
    for types, name in groups:
        for t in types:
            flags[lang.id_for_node_kind(t, True)] |= _FLAG[name]
    for i in range(lang.node_kind_count):  # any anonymous node spanning a soft keyword makes it a keyword
        if not lang.node_kind_is_named(i) and lang.node_kind_is_visible(i):
            flags[i] |= _FLAG["anonymous"]
    return flags


def _word_table(groups) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique word hashes and the OR of the bits of the groups holding each word."""
    bits: dict[int, int] = {}
    for words, bit in groups:
        for w in words:
            h = hash_string(w)
            bits[h] = bits.get(h, 0) | bit
    keys = sorted(bits)
    return np.array(keys, dtype=np.uint64), np.array([bits[k] for k in keys], dtype=np.uint8)


def _fields_by_parent(entries: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        parent, field = entry.split(".")
        out[parent] = out.get(parent, ()) + (field,)
    return out


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
        alt(g.kept, "kept"), alt(g.units, "unit"), alt(g.imports + g.erased, "import"),
        alt(parents, "kept_parent"), alt(g.shorthand, "shorthand"),
    ])


# --- public entry point ---------------------------------------------------------


def normalize_code(text: str, lang: str) -> TokenStream:
    """Tokens of source code ``text`` in language ``lang`` (a grammar name or alias).

    Identifiers hash to one placeholder in ``hashes`` (their own name in
    ``exact``); short strings and numbers by their contents (quotes left
    out), strings of ``LONG_STRING_WORDS``+ words to ``<STR>``; comments and
    whitespace and import statements are dropped; keywords, operators,
    punctuation and kept names (attributes, keyword arguments, builtins)
    hash as written.
    Broken code never raises.

    >>> a = normalize_code("total = price * qty", "py")
    >>> b = normalize_code("t = p * q  # renamed", "py")
    >>> bool((a.hashes == b.hashes).all())
    True
    """
    return _normalize(text, lang)[0]


class CodeParts(NamedTuple):
    """``normalize_code_spans``'s answer: the code channel, the spans of the words channel, and whether it parsed."""

    code: TokenStream
    words: list[tuple[int, int]]
    # False when tree-sitter's parse outgrew its budget (``grammars.parse_budget``): the text was then
    # lexed without a tree (strings, comments and imports not told apart, no words channel)
    parsed: bool


def normalize_code_words(text: str, lang: str) -> tuple[TokenStream, TokenStream]:
    """The two channels of code: its tokens, and the words of its comments, docstrings and long strings.

    The second stream is prose (``lang == "prose"``) with spans into ``text``:
    the words a person reads in code are protected text of the same source,
    and often the most literal part of a copy. String literals of fewer than
    ``LONG_STRING_WORDS`` words (keys, format codes) stay ``<STR>`` only.

    >>> code, words = normalize_code_words("def f(x):\\n    # Add one to x, the count.\\n    return x + 1", "py")
    >>> [words.token_text(i) for i in range(len(words))]
    ['Add', 'one', 'to', 'x', 'the', 'count']
    """
    code, spans, _ = normalize_code_spans(text, lang)
    return code, words_in(text, spans)


def normalize_code_spans(text: str, lang: str) -> CodeParts:
    """The code channel of ``text``, the character spans of its prose channel (see ``normalize_code_words``),
    and whether it parsed within its budget."""
    code, opaque, parsed = _normalize(text, lang)
    if not opaque.shape[0] or opaque[-1, 2] != _IMPORT:  # (the spans of imports come last)
        return CodeParts(code, word_spans(text, opaque), parsed)
    imports = opaque[:, 2] == _IMPORT
    own = _own_imports(text, lang, opaque[imports])
    return CodeParts(code, _with_imports(text, word_spans(text, opaque[~imports]), own), parsed)


_IMPORT = _CODES["import"]
_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
_PY_MODULE = re.compile(r"(?:from|import)\s+(\.*)(\w*)")
_JAVA_PATH = re.compile(r"(?:package|import)\s+(?:static\s+)?([\w.]+)")
_JS_FROM = re.compile(r"""["'`]([^"'`]*)["'`]\s*;?\s*$""")


def _own_imports(text: str, lang: str, imports: np.ndarray) -> list[tuple[int, int]]:
    """The spans among ``imports`` (merged spans of the nodes the code channel drops) of the import statements of
    ``text``'s own code: what it imports from its own package or project, not from a standard library or another
    package, which every file using them imports alike.

    - Python: relative imports, and absolute ones of a module outside the standard library;
    - Java: the package line, and imports under the package's first two parts (``java.time.temporal`` in
      ``java.time.chrono``; none without a package line);
    - JavaScript, TypeScript: imports of a relative path (``./utils``);
    - other languages: none (their imports stay dropped).

    >>> t = "from __future__ import annotations\\nimport os\\nimport numpy as np\\nfrom .a import b\\n"
    >>> [t[s:e] for s, e in normalize_code_spans(t, "python").words]
    ['import numpy as np', 'from .a import b']
    >>> t = "package java.time.chrono;\\nimport java.io.Serializable;\\nimport static java.time.temporal.ChronoField.YEAR;\\n"
    >>> [t[s:e] for s, e in normalize_code_spans(t, "java").words]
    ['package java.time.chrono;', 'import static java.time.temporal.ChronoField.YEAR;']
    """
    name = grammars.get(lang).name
    out: list[tuple[int, int]] = []
    if name == "python":
        for s, e in imports[:, :2].tolist():
            m = _PY_MODULE.match(text, s, e)
            if m is not None and (m.group(1) or (m.group(2) and m.group(2) not in _STDLIB)):
                out.append((s, e))
    elif name == "java":
        paths = [(s, e, m.group(0).startswith("package"), m.group(1)) for s, e in imports[:, :2].tolist()
                 for m in [_JAVA_PATH.match(text, s, e)] if m is not None]
        package = next((p for _, _, is_package, p in paths if is_package), None)
        if package is not None:
            own = ".".join(package.split(".")[:2]) + "."
            out = [(s, e) for s, e, is_package, p in paths if is_package or p.startswith(own)]
    elif name in ("javascript", "typescript", "tsx"):
        for s, e in imports[:, :2].tolist():
            if text.startswith("import", s):
                m = _JS_FROM.search(text, s, e)
                if m is not None and m.group(1).startswith("."):
                    out.append((s, e))
    return out


def _with_imports(text: str, spans: list[tuple[int, int]], heads: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` (the words channel) with the spans of import statements ``heads`` (``_own_imports``), in text
    order; a word span inside an import statement is left to it.

    The code channel drops import statements (a copied function rarely carries its file's imports), but the
    names a file imports from its own package are its own: a copy of a file's head (its license, package line
    and imports, all that the first lines of many files hold) would else have no tokens.

    >>> t = "import a.b\\nfrom a.b import (c,  # the c\\n  d)\\nx = 1  # set x to one here\\n"
    >>> [t[s:e] for s, e in normalize_code_spans(t, "python").words]
    ['import a.b', 'from a.b import (c,  # the c\\n  d)', '# set x to one here']
    """
    if not heads:
        return spans
    starts = np.array([s for s, _ in heads], dtype=np.int64)
    ends = np.array([e for _, e in heads], dtype=np.int64)
    out = list(heads)
    for s, e in spans:
        i = int(np.searchsorted(starts, s, side="right")) - 1
        if i < 0 or e > ends[i]:
            out.append((s, e))
    return sorted(out)


# Strings of at least this many words are prose too (docstrings, messages); shorter ones are only <STR>.
LONG_STRING_WORDS = 4
_WORDS = re.compile(r"[^\W_]+")


# A comment block that says this is a license notice: the license's text, not the source's own words.
_NOTICE = re.compile(r"licensed under|license,? version|permission is hereby granted|spdx-license-identifier|"
                     r"all rights reserved|without warranties or conditions|redistribution and use in source",
                     re.IGNORECASE)
# Every phrase of _NOTICE holds one of these words: the compiled core searches with the regex only the units
# that hold one (or a non-ASCII character). A new phrase needs one of them, or a word of its own here.
_NOTICE_WORDS = ("licens", "permission", "rights", "warranties", "redistribution")
assert all(any(w in alt.replace(",?", "").lower() for w in _NOTICE_WORDS) for alt in _NOTICE.pattern.split("|"))
_NOTICE_BYTES = " ".join(_NOTICE_WORDS).encode()


def word_spans(text: str, opaque: np.ndarray) -> list[tuple[int, int]]:
    """Spans of the comments and of the strings of ``LONG_STRING_WORDS``+ words among ``opaque`` spans.

    ``opaque`` holds ``(start, end, capture code)`` rows, as ``_normalize`` gives them.

    Runs of comments on consecutive lines form one block; a
    block that is a license notice (``Licensed under``, ``Permission is
    hereby granted``...) is left out: it is boilerplate copied into every file,
    not the words of this source. So is a string that is one (a module
    docstring holding the license), from the paragraph holding the notice's
    phrase on: the words before it are the source's (a function's docstring
    that ends on its data's attributions, one of them "licensed under").
    """
    c = core()
    if c is not None and opaque.shape[0]:
        return _word_spans_compiled(c, text, opaque)
    out: list[tuple[int, int]] = []
    block: list[tuple[int, int]] = []

    def flush() -> None:
        if block and not _NOTICE.search(text, block[0][0], block[-1][1]):
            out.extend(block)
        block.clear()

    for s, e, code in opaque.tolist():
        if code == _OPAQUE["comment"]:
            gap = text[block[-1][1] : s] if block else ""
            if gap.strip() or gap.count("\n") > 1:  # code or a blank line between: another block
                flush()
            block.append((s, e))
            continue
        if block:  # (a number literal comes by the 100,000 in a data table: no call for nothing)
            flush()
        if code == _OPAQUE["str"] and len(_WORDS.findall(text, s, e)) >= LONG_STRING_WORDS:
            end = _before_notice(text, s, e)
            if end > s:
                out.append((s, end))
    flush()
    return out


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_COPYRIGHT = re.compile(r"copyright|\(c\) \d{4}|©", re.IGNORECASE)


def _before_notice(text: str, start: int, end: int) -> int:
    """Where the words of the string ``text[start:end]`` end: before the paragraph holding a license notice's phrase.

    ``start`` when that leaves fewer than ``LONG_STRING_WORDS`` words or a copyright line (the string is a
    notice, a module docstring holding the license), ``end`` when it holds none.

    >>> doc = "Look up the altitude from a coarse map.\\n\\n* Canada: data licensed under the OGL."
    >>> doc[:_before_notice(doc, 0, len(doc))]
    'Look up the altitude from a coarse map.'
    >>> _before_notice(doc, 0, 8), _before_notice("Copyright 2021 The Authors.\\n\\nLicensed under MIT.", 0, 48)
    (8, 0)
    """
    m = _NOTICE.search(text, start, end)
    if m is None:
        return end
    cut = start
    for b in _PARAGRAPH_BREAK.finditer(text, start, m.start()):
        cut = b.start()
    if len(_WORDS.findall(text, start, cut)) < LONG_STRING_WORDS or _COPYRIGHT.search(text, start, cut):
        return start
    return cut


def _word_spans_compiled(c, text: str, opaque: np.ndarray) -> list[tuple[int, int]]:
    """``word_spans`` by the compiled core: units found in C, the notice regex run only on those that may hold one."""
    opaque = np.ascontiguousarray(opaque, dtype=np.int64)
    plain = c.word_spans_plain(text, opaque, LONG_STRING_WORDS, _NOTICE_BYTES)  # no unit may hold one: one call
    if plain is not None:
        return plain
    unit_of, units = c.word_units(codepoints(text), opaque, LONG_STRING_WORDS, _NOTICE_BYTES)
    for u in np.flatnonzero(units[:, 2]).tolist():
        units[u, 2] = 1 if _NOTICE.search(text, int(units[u, 0]), int(units[u, 1])) else 0
    keep = unit_of >= 0
    keep[keep] = units[unit_of[keep], 2] == 0
    out = list(zip(opaque[keep, 0].tolist(), opaque[keep, 1].tolist()))
    cut = np.flatnonzero((unit_of >= 0) & ~keep & (opaque[:, 2] == _OPAQUE["str"]))
    if cut.shape[0] == 0:
        return out
    for s, e in opaque[cut, :2].tolist():  # a string holding a notice: its words before the notice's paragraph
        end = _before_notice(text, s, e)
        if end > s:
            out.append((s, end))
    return sorted(out)


def words_in(text: str, spans: list[tuple[int, int]]) -> TokenStream:
    """Prose tokens of ``text[s:e]`` for each span, with offsets into ``text``."""
    from .text import normalize_prose_in

    return normalize_prose_in(text, spans)


def _normalize(text: str, lang: str) -> tuple[TokenStream, np.ndarray, bool]:
    """The code channel of ``text``, the outermost (start, end, code) spans of its literals and comments, and
    whether the parse stayed within its budget (else the text was lexed without a tree).

    The spans are an ``(n, 3)`` int64 array: only the words channel reads them.
    A copy that starts inside a docstring or comment is parsed opened, one cut
    inside one closed, a method pasted without its class inside a class
    (its name is then a member's, as in its source), and a PHP snippet without
    ``<?php`` after one (``Grammar.open_tag``); only the copy's own tokens are kept.
    """
    grammar = grammars.get(lang)
    if not text:
        return TokenStream.empty(text, grammar.name), np.zeros((0, 3), dtype=np.int64), True
    odd = _odd_triple_quotes(text) if grammar.name == "python" else ()
    marks = _block_marks(text, grammar) if grammar.block_comment and grammar.name != "python" else None
    opening = _opened(text, grammar, odd, marks)
    closing = "" if opening else _unclosed(text, grammar, odd, marks)
    before, after = _member_of(text, grammar, opening)
    tag = grammar.tag_before(text)
    head, tail = tag + before + opening, closing + after
    if not head and not tail:  # (the compiled core runs _unaliased in the same call)
        return _normalize_closed(text, grammar, unalias=grammar.name == "python")
    ts, opaque, parsed = _normalize_closed(head + text + tail, grammar)
    n = len(head)
    opaque = opaque[(opaque[:, 1] > n) & (opaque[:, 0] < n + len(text))] - np.array([n, n, 0], dtype=np.int64)
    opaque[:, 0] = np.maximum(opaque[:, 0], 0)
    opaque[:, 1] = np.minimum(opaque[:, 1], len(text))
    if tail:
        ts = _clip(ts, head + text)
    ts = _unshift(ts, text, n, len(tag + before)) if head else ts
    return (_unaliased(ts) if grammar.name == "python" else ts), opaque, parsed


_H_ASSIGN, _H_COLON, _H_DEF, _H_ASYNC = (np.uint64(hash_string(w)) for w in ("=", ":", "def", "async"))
_H_SELF = np.array(sorted(hash_string(w) for w in ("cls", "self")), dtype=np.uint64)
_IDENT, _OTHER, _KEPT = int(Kind.IDENT), int(Kind.OTHER), int(Kind.KEPT)  # plain ints: an enum member is a slow lookup
_H_OPEN = np.array(sorted(hash_string(c) for c in "([{"), dtype=np.uint64)
_H_SHUT = np.array(sorted(hash_string(c) for c in ")]}"), dtype=np.uint64)
# what _core.AliasTables reads: _unaliased's hashes in one array
_ALIAS_TABLE = np.array([_H_ASSIGN, _H_COLON, _H_DEF, _H_ASYNC, *_H_SELF, *_H_OPEN, *_H_SHUT], dtype=np.uint64)


def _unaliased(ts: TokenStream) -> TokenStream:
    """Python: a parameter aliased at the top of its function (``A = self``, ``B = units``) is the parameter.

    python-minifier renames what it may not rename (``self``, parameters a caller may
    name) this way: it binds a short alias on the first lines of the body and uses it
    throughout, so a renamed copy's ``A.results`` is ``self.results`` in its source.
    Each such statement (a line ``alias = parameter`` right after the ``def`` line or
    after another one) is dropped, and the alias reads as the parameter in the rest of
    the function: ``self`` again, or the parameter's own name (its exact tokens).

    >>> ts = normalize_code("def f(self, x):\\n    A = self\\n    B = x\\n    return A.g(B)\\n", "python")
    >>> [ts.token_text(i) for i in range(len(ts))]
    ['def', 'f', '(', 'self', ',', 'x', ')', ':', 'return', 'A', '.', 'g', '(', 'B', ')']
    >>> bool((ts.hashes == normalize_code("def f(self, x):\\n    return self.g(x)", "python").hashes).all())
    True
    """
    n = len(ts)
    if n < 8 or not ts.units.shape[0]:
        return ts
    ex, kinds = ts.exact, ts.kinds
    # alias ``=`` parameter, after a ``:`` or a name: rare, so only the ``=`` are looked at, and the rest one by one
    eq = np.flatnonzero(ex[2:-1] == _H_ASSIGN) + 2
    if eq.shape[0] == 0:
        return ts
    before, after = kinds[eq - 2], kinds[eq + 1]
    cand = (kinds[eq - 1] == _IDENT) & (kinds[eq] == _OTHER) & \
        ((after == _IDENT) | ((after == _KEPT) & isin_sorted(ex[eq + 1], _H_SELF))) & \
        ((ex[eq - 2] == _H_COLON) | (before == _IDENT) | (before == _KEPT))
    found = eq[cand] - 1
    text, starts, ends, units = ts.text, ts.starts, ts.ends, ts.units
    exact, work = ex, kinds  # copied at the first alias taken: most texts have none
    drop = None
    after_alias = -1  # the token that ended the last alias statement dropped
    for i in found.tolist():
        p = i + 2
        line_end = int(starts[p + 1]) if p + 1 < n else len(text)
        tail = text[int(ends[p]) : line_end]
        if "\n" not in text[int(ends[i - 1]) : int(starts[i])] or tail.strip() or ("\n" not in tail and p + 1 < n):
            continue  # not a line of its own
        inside = np.flatnonzero((units[:, 0] < i) & (units[:, 1] > p))
        if inside.shape[0] == 0:
            continue
        u0, u1 = (int(v) for v in units[inside[np.argmax(units[inside, 0])]])
        first = u0 + 1 if ex[u0] == _H_ASYNC else u0
        if ex[first] != _H_DEF:
            continue
        if i - 1 != after_alias and not _header_ends(ex, work, first, i - 1):
            continue
        if exact[i] == exact[p] or not (exact[first:i - 1] == exact[p]).any():  # the parameter is in the header
            continue
        if drop is None:
            hashes, exact, work = ts.hashes.copy(), ex.copy(), kinds.copy()
            drop = np.zeros(n, dtype=bool)
        rest = np.arange(p + 1, u1)
        same = rest[(kinds[p + 1 : u1] == _IDENT) & (exact[p + 1 : u1] == exact[i])]
        hashes[same], exact[same], work[same] = hashes[p], exact[p], work[p]
        drop[i : p + 1] = True
        after_alias = p
    if drop is None:
        return ts
    keep = ~drop
    index = np.concatenate([[0], np.cumsum(keep)])
    units = index[units]
    units = units[units[:, 1] > units[:, 0]]
    return TokenStream(text, ts.lang, hashes[keep], exact[keep], starts[keep], ends[keep], work[keep], units)


def _header_ends(ex: np.ndarray, kinds: np.ndarray, first: int, colon: int) -> bool:
    """Whether token ``colon`` is the ``:`` that ends the ``def`` header starting at token ``first``."""
    if ex[colon] != _H_COLON or kinds[colon] != _OTHER:
        return False
    head = ex[first:colon]
    other = kinds[first:colon] == _OTHER
    depth = np.cumsum(other & isin_sorted(head, _H_OPEN)) - np.cumsum(other & isin_sorted(head, _H_SHUT))
    return bool(depth[-1] == 0) and not bool((other & (head == _H_COLON) & (depth == 0)).any())


def _member_of(text: str, grammar: Grammar, opening: str) -> tuple[str, str]:
    """The text around ``text`` that puts it in a class, when its first line of code is a method's head; else ``("", "")``.

    ``clamp(min, max) {`` is no statement: parsed as it is, the method's name is a
    call's and hashes as a placeholder, where in its class it is a member's name, kept.
    """
    head = grammars.member_head(grammar)
    if head is None:
        return "", ""
    end = grammar.block_comment[1] if grammar.block_comment else opening
    start = text.find(end) + len(end) if opening else 0
    skipped = _LEADING_COMMENTS.match(text, start)
    pos = skipped.end() if skipped else start
    if head.match(text, pos) is None:
        return "", ""
    return grammar.member_of[0], grammar.member_of[1]


# Blank lines, comments and decorators before a method's head.
_LEADING_COMMENTS = re.compile(r"(?:\s+|//[^\n]*|/\*[\s\S]*?\*/|@[\w$.]+(?:\([^()\n]*\))?)*")


def _odd_triple_quotes(text: str) -> tuple[str, ...]:
    """The triple quotes (double, then single) ``text`` holds an odd number of: what ``_opened`` and ``_unclosed``
    both ask of a Python text, found once (a count scans the whole text; compiled: both counts in one pass)."""
    c = core()
    if c is not None:
        counts = c.triple_quotes(text)
        return tuple(q for q, k in zip(_TRIPLES, counts) if k % 2)
    return tuple(q for q in _TRIPLES if q in text and text.count(q) % 2)


_TRIPLES = ('"""', "'''")


def _block_marks(text: str, grammar: Grammar) -> tuple[int, int, int, int]:
    """Where the grammar's block comment delimiters are: ``text.find(end)``, ``text.find(start)``,
    ``text.rfind(start)`` and ``text.rfind(end)``, what ``_opened`` and ``_unclosed`` ask (compiled: one pass)."""
    start, end = grammar.block_comment
    c = core()
    if c is not None:
        return c.block_marks(text, start, end)
    return text.find(end), text.find(start), text.rfind(start), text.rfind(end)


def _unclosed(text: str, grammar: Grammar, odd: tuple[str, ...], marks: tuple[int, int, int, int] | None) -> str:
    """The delimiter that closes a block string or block comment left open at the end of ``text``, or ``""``.

    Models that stop early and answers cut at a line limit leave docstrings
    and ``/** ... */`` blocks open; parsed as they are, their words lex as code.
    """
    if grammar.name == "python":
        return odd[0] if odd else ""
    if marks is None:
        return ""
    start, end = grammar.block_comment
    opened = marks[2]  # the last start, and no end after it
    if opened >= 0 and marks[3] < opened + len(start):
        return end
    return ""


def _opened(text: str, grammar: Grammar, odd: tuple[str, ...], marks: tuple[int, int, int, int] | None) -> str:
    """The delimiter that opens a block string or comment ``text`` starts inside of, or ``""``.

    A slice of a file that starts in the middle of a docstring holds its
    closing quotes first: parsed as it is, the docstring's end lexes as code
    and the code after it as one string. In Python an odd count of triple
    quotes says a string is cut at one end; it is the start when what comes
    before the first triple quote reads as prose (few code symbols, some
    words, no line of code: a comment, a decorator, a ``def``, ``class`` or
    import, a line ending in ``:`` right before the quotes), else the end
    (``_unclosed``). Elsewhere the end of the grammar's ``block_comment`` before any start (``*/`` before ``/*``);
    a grammar without block comments (Ruby, Bash: ``*/`` is a glob there) is never cut in one. ``odd``:
    ``_odd_triple_quotes(text)`` (Python); ``marks``: ``_block_marks(text, grammar)`` (None without block comments).
    """
    if grammar.name == "python":
        for quote in odd:
            first = text.find(quote)
            if first > 0 and reads_as_prose(text[:first]) and not _PYTHON_CODE.search(text[:first]):
                return quote
        return ""
    if marks is None:
        return ""
    closed = marks[0]  # the first end, before any start
    if closed >= 0 and not 0 <= marks[1] < closed:
        return grammar.block_comment[0]
    return ""


_CODE_SYMBOLS = re.compile(r"[{}()\[\];=<>$#*&|:+\-/\\]")
# A line of Python code before the first triple quote: the text starts in code (a file's head, a function
# whose docstring is cut), not inside a docstring. A comment counts in the first column only (a docstring's
# examples hold indented ones).
_PYTHON_CODE = re.compile(r"^(?:\#|[ \t]*(?:@[\w.]+|(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:]"
                          r"|import[ \t]+[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*$|from[ \t]+[\w.]+[ \t]+import[ \t]))"
                          r"|:[ \t]*\n[ \t]*[rRbBuUfF]?\Z", re.MULTILINE)


def reads_as_prose(text: str) -> bool:
    """Three words or more, and under 4% of the visible characters code punctuation (as ``detect`` counts it)."""
    if next(islice(_WORDS.finditer(text), 2, None), None) is None:  # (the third word, not a list of them all)
        return False
    visible = len(text) - sum(text.count(c) for c in " \t\n")
    return len(_CODE_SYMBOLS.findall(text)) < 0.04 * max(visible, 1)


def _unshift(ts: TokenStream, text: str, n: int, wrapper: int = 0) -> TokenStream:
    """The tokens of ``ts`` (of ``opening + text``, ``len(opening) == n``) that reach into ``text``, moved into it.

    Units that start in the first ``wrapper`` characters (the class put around a method) are dropped.
    """
    keep = ts.ends > n
    starts, ends = np.maximum(ts.starts[keep] - n, 0), ts.ends[keep] - n
    exact = ts.exact[keep].copy()
    for i in np.flatnonzero(ts.starts[keep] < n):
        exact[i] = hash_string(text[: int(ends[i])])
    dropped = int((~keep).sum())
    units = ts.units
    if wrapper and units.shape[0]:
        units = units[ts.starts[np.minimum(units[:, 0], len(ts.starts) - 1)] >= wrapper]
    units = np.maximum(units - dropped, 0)
    units = units[units[:, 1] > units[:, 0]]
    return TokenStream(text, ts.lang, ts.hashes[keep], exact, starts, ends, ts.kinds[keep], units)


def _clip(ts: TokenStream, text: str) -> TokenStream:
    """The tokens of ``ts`` that start inside ``text`` (a prefix of ``ts.text``), ends clipped to it.

    A clipped token's ``exact`` hash is of the characters ``text`` holds, not of the closing added to parse it.
    """
    keep = ts.starts < len(text)
    ends = np.minimum(ts.ends[keep], len(text))
    exact = ts.exact[keep].copy()
    for i in np.flatnonzero(ts.ends[keep] > len(text)):
        exact[i] = hash_string(text[int(ts.starts[keep][i]) : len(text)])
    n = int(keep.sum())
    units = ts.units.copy()
    units[:, 1] = np.minimum(units[:, 1], n)
    units = units[units[:, 1] > units[:, 0]]
    return TokenStream(text, ts.lang, ts.hashes[keep], exact, ts.starts[keep], ends, ts.kinds[keep], units)


def _normalize_closed(text: str, grammar: Grammar, unalias: bool = False) -> tuple[TokenStream, np.ndarray, bool]:
    """``_normalize``'s work on a text that needs nothing around it: the tree's tokens, then the optional ones
    dropped (and with ``unalias``, ``_unaliased``)."""
    compiled = _compiled(grammar)
    c = core()
    if c is not None:
        return _normalize_compiled(c, text, grammars.source_bytes(grammar, text), grammar, compiled, unalias)
    ts, opaque, parsed = _normalize_tree(text, grammar, compiled)
    ts = _drop_optional(ts, compiled)
    ts = _line_ends(ts, compiled.statement_end[0]) if compiled.statement_end.shape[0] else ts
    return (_unaliased(ts) if unalias else ts), opaque, parsed


def _normalize_tree(text: str, grammar: Grammar, compiled: _Compiled) -> tuple[TokenStream, np.ndarray, bool]:
    """Tokens of the tree; of the text lexed without one (no span captured) when the parse was given up."""
    data = grammars.source_bytes(grammar, text)
    tree = grammars.parse(grammar, data)
    root = None if tree is None else tree.root_node
    ascii_only = len(data) == len(text)
    # ASCII text is lexed and hashed on its bytes, which equal its code points.
    cps = np.frombuffer(data, dtype=np.uint8) if ascii_only else codepoints(text)
    spans = _Spans.of(compiled, root, None if ascii_only else _byte_to_char(data))
    starts, ends, cat = _lex(data if ascii_only else cps, spans.opaque)
    opaque = np.concatenate([np.array(spans.opaque, dtype=np.int64).reshape(-1, 3), _merged(*spans.imports)])
    if starts.shape[0] == 0:
        return TokenStream.empty(text, grammar.name), opaque, root is not None
    exact = span_hashes(cps, starts, ends)
    _classify_names(compiled, root, cps, starts, ends, exact, cat, spans.kept)
    kinds = _KIND.take(cat)
    hashes = np.where(_REPLACED.take(cat), _REPLACEMENT.take(cat), exact)
    _literal_contents(text, cps, starts, ends, cat, spans.opaque, hashes)
    # Import statements are dropped: they are boilerplate, and a copied function rarely carries
    # its file's imports, so names must not normalize differently with and without them.
    if spans.imports[0].shape[0]:
        keep = ~_inside(starts, *spans.imports)
        if not keep.all():
            starts, ends, hashes, exact, kinds = starts[keep], ends[keep], hashes[keep], exact[keep], kinds[keep]
    if spans.shorthand[0].shape[0]:
        starts, ends, hashes, exact, kinds = _shorthand(starts, ends, hashes, exact, kinds, *spans.shorthand)
    units = _units(starts, *spans.units)
    return TokenStream(text, grammar.name, hashes, exact, starts, ends, kinds, units), opaque, root is not None


_COLON = np.uint64(hash_string(":"))


def _shorthand(starts, ends, hashes, exact, kinds, s_starts, s_ends) -> tuple:
    """The token arrays with each name spanning a shorthand property (``{ x }``, ``const { x } = o``) made three
    tokens on its span: the name kept (a property key), ``:``, and the name as it was: ``{ x: x }``, which a
    minifier writes ``{ x: a }`` (compiled: ``_core``'s ``_shorthand``).

    >>> ts = normalize_code("f({ data, n: 1 })", "js")
    >>> [(ts.token_text(i), Kind(ts.kinds[i]).name) for i in range(3, 7)]
    [('data', 'KEPT'), ('data', 'OTHER'), ('data', 'IDENT'), (',', 'OTHER')]
    >>> bool((ts.hashes == normalize_code("f({ data: a, n: 1 })", "js").hashes).all())
    True
    """
    named = (kinds == Kind.IDENT) | (kinds == Kind.KEPT)
    at = np.searchsorted(s_starts, starts)
    at = np.minimum(at, s_starts.shape[0] - 1)
    hit = named & (s_starts.take(at) == starts) & (s_ends.take(at) == ends)
    if not hit.any():
        return starts, ends, hashes, exact, kinds
    rep = np.where(hit, 3, 1)
    first = np.cumsum(rep) - rep  # where each old token's first copy goes
    out = [np.repeat(a, rep) for a in (starts, ends, hashes, exact, kinds)]
    keys, colons = first[hit], first[hit] + 1
    out[2][keys] = exact[hit]  # the key hashes as written (a kept name)
    out[4][keys] = Kind.KEPT
    out[2][colons] = out[3][colons] = _COLON
    out[4][colons] = Kind.OTHER
    return tuple(out)


# Forms that formatters and compilers change while the meaning stays: a comma before a closing bracket
# (a trailing comma, which black and prettier add or remove with the line breaks), and per grammar its
# ``optional`` tokens, ``type_operators`` and ``type_marks``.
_COMMA = np.uint64(hash_string(","))
_CLOSERS = np.array(sorted(hash_string(c) for c in ")]}"), dtype=np.uint64)
_TYPE_CONST = np.uint64(hash_string("const"))  # ``as const``
_MARK_BEFORE = {hash_string("?"): ",)]};", hash_string("!"): ".[(,)]};"}  # what may follow a type mark


def _drop_optional(ts: TokenStream, c: _Compiled) -> TokenStream:
    """``ts`` without the tokens that only the form of the code chose (see ``_COMMA``); compiled: in ``_core.normalize_code``.

    >>> ts = normalize_code("f(a, b,);", "js")
    >>> [ts.token_text(i) for i in range(len(ts))]
    ['f', '(', 'a', ',', 'b', ')', ';']
    """
    n = len(ts)
    if n < 2:
        return ts
    ex, kinds = ts.exact, ts.kinds
    other = kinds == Kind.OTHER
    nxt = np.empty(n, dtype=np.uint64)
    nxt[:-1], nxt[-1] = ex[1:], 0
    drop = other & (ex == _COMMA) & isin_sorted(nxt, _CLOSERS)
    if c.optional.shape[0]:
        drop |= other & isin_sorted(ex, c.optional)
    if c.statement_end.shape[0]:  # ``};``: a block's end or an expression's, the same statement
        drop[1:] |= other[1:] & (ex[1:] == c.statement_end[0]) & other[:-1] & (ex[:-1] == _CLOSE_BRACE)
    if c.type_operators.shape[0]:  # ``as Foo``, ``as const``: a longer type is an erased node
        op = other & isin_sorted(ex, c.type_operators)
        drop |= op
        drop[1:] |= op[:-1] & ((kinds[1:] == Kind.IDENT) | (kinds[1:] == Kind.KEPT) | (other[1:] & (ex[1:] == _TYPE_CONST)))
    if c.type_marks.shape[0]:
        marks = other & isin_sorted(ex, c.type_marks)
        marks[0] = False
        for i in np.flatnonzero(marks).tolist():  # rare: one in hundreds of tokens
            prev = ts.text[ts.starts[i - 1] : ts.ends[i - 1]]
            after = ts.text[ts.starts[i + 1] : ts.ends[i + 1]] if i + 1 < n else ";"
            glued = ts.ends[i - 1] == ts.starts[i]
            named = kinds[i - 1] != Kind.OTHER or prev in (")", "]")
            drop[i] = glued and named and len(after) == 1 and after in _MARK_BEFORE[int(ex[i])]
    if not drop.any():
        return ts
    keep = ~drop
    index = np.concatenate([[0], np.cumsum(keep)])
    units = index[ts.units] if ts.units.shape[0] else ts.units
    units = units[units[:, 1] > units[:, 0]] if units.shape[0] else units
    return TokenStream(ts.text, ts.lang, ts.hashes[keep], ex[keep], ts.starts[keep], ts.ends[keep], kinds[keep], units)


_CLOSE_BRACE = np.uint64(hash_string("}"))
_QUOTES = np.array(sorted(map(ord, "'\"`")), dtype=np.uint32)  # sorted: also an isin_sorted table
_CLOSING = np.array(sorted(hash_string(c) for c in ")]"), dtype=np.uint64)
# Words after a line break that continue the statement before it (no statement ends there).
_CONTINUING = np.array(sorted(hash_string(w) for w in ("else", "catch", "finally", "instanceof", "in", "of", "extends",
                                                       "as", "satisfies")), dtype=np.uint64)


def _line_ends(ts: TokenStream, end: np.uint64) -> TokenStream:
    """``ts`` with a statement end (``end``, its hash) put at each line break that ends a statement without one.

    Automatic semicolon insertion, as the tokens show it: the line ends with a
    name, a literal or a closing ``)``/``]``, and the next starts with a word or
    closes a block (or the text ends). The token spans the line break (no other token does);
    both its hashes are the statement end's: code with and without semicolons is the same
    code as written, its exact tokens too.

    >>> ts = normalize_code("let a = f(x)\\nreturn a", "js")
    >>> [ts.token_text(i) for i in range(len(ts))]
    ['let', 'a', '=', 'f', '(', 'x', ')', '\\n', 'return', 'a']
    """
    n = len(ts)
    if n < 2:
        return ts
    ex, kinds, text = ts.exact, ts.kinds, ts.text
    other = kinds == Kind.OTHER
    ended = ~other | isin_sorted(ex, _CLOSING)
    cps = codepoints(text)
    head = cps.take(ts.starts[1:])
    nxt_word = (_CLASS.take(np.minimum(head, 128)) == _WORD) | isin_sorted(head.astype(np.uint32), _QUOTES)
    begins = np.ones(n, dtype=bool)  # the end of the text ends a statement too
    begins[:-1] = (nxt_word & ~(other[1:] & isin_sorted(ex[1:], _CONTINUING))) | (other[1:] & (ex[1:] == _CLOSE_BRACE))
    cand = np.flatnonzero(ended & begins)
    if cand.shape[0] == 0:
        return ts
    breaks = np.flatnonzero(cps == 10)
    if breaks.shape[0] == 0:
        return ts
    first = np.searchsorted(breaks, ts.ends[cand])  # the first line break after the token
    at = breaks[np.minimum(first, breaks.shape[0] - 1)]
    following = np.append(ts.starts[1:], len(text)).take(cand)
    ok = (first < breaks.shape[0]) & (at < following)
    cand, at = cand[ok], at[ok]
    if cand.shape[0] == 0:
        return ts
    pos = cand + 1
    shifted = np.zeros(n + 1, dtype=np.int64)
    np.add.at(shifted, pos, 1)
    shift = np.cumsum(shifted)  # tokens put before each old position
    units = ts.units + shift[ts.units] if ts.units.shape[0] else ts.units
    return TokenStream(text, ts.lang, np.insert(ts.hashes, pos, end), np.insert(ex, pos, end),
                       np.insert(ts.starts, pos, at), np.insert(ts.ends, pos, at + 1),
                       np.insert(kinds, pos, np.uint8(Kind.OTHER)), units)


_native = threading.local()


def _normalize_compiled(c, text: str, data: bytes, grammar: Grammar, compiled: _Compiled, unalias: bool = False
                        ) -> tuple[TokenStream, np.ndarray, bool]:
    """``_normalize_closed`` by the compiled twin: parse, walk, lex, hash and classify, then ``_drop_optional``
    and ``_line_ends`` (and ``_unaliased``), in one C call."""
    parsers = _native.__dict__.setdefault("parsers", {})
    parser = parsers.get(grammar.name)
    if parser is None:
        parser = parsers[grammar.name] = c.CodeParser(grammars.capsule(grammar))
    tables = compiled.tables
    if tables is None:
        tables = compiled.tables = c.CodeTables(compiled.symbol_flags, compiled.field_keys, compiled.words,
                                                compiled.word_bits, compiled.member_op_table, _CLASS[:128],
                                                _REPLACEMENT, _KIND, LONG_STRING_WORDS)
    passes = compiled.pass_tables
    if passes is None:
        passes = compiled.pass_tables = c.PassTables(_pass_tables(compiled))
    cps = None if len(data) == len(text) else codepoints(text)
    aliases = None
    if unalias:
        aliases = _native.__dict__.get("aliases")
        if aliases is None:
            aliases = _native.aliases = c.AliasTables(_ALIAS_TABLE)
    arrays, opaque, parsed = c.normalize_code(parser, tables, passes, data, cps, grammars.parse_budget(len(data)),
                                              aliases)
    if arrays is None:
        return TokenStream.empty(text, grammar.name), opaque, parsed
    ts = _new_stream(TokenStream)  # TokenStream(text, grammar.name, *arrays) without the frozen dataclass's setattrs
    ts.__dict__.update(zip(_STREAM_FIELDS, (text, grammar.name, *arrays)))
    return ts, opaque, parsed


_new_stream = object.__new__
_STREAM_FIELDS = tuple(f.name for f in fields(TokenStream))


def _pass_tables(c: _Compiled) -> tuple:
    """What ``_core.normalize_code`` needs of ``_drop_optional`` and ``_line_ends``: their tables and constants."""
    after = np.zeros((c.type_marks.shape[0], 128), dtype=np.uint8)
    for i, mark in enumerate(c.type_marks.tolist()):
        for ch in _MARK_BEFORE.get(mark, ""):
            after[i, ord(ch)] = 1
    return (c.optional, c.type_operators, c.type_marks, after, c.statement_end, int(_COMMA), _CLOSERS,
            int(_TYPE_CONST), int(_CLOSE_BRACE), _CLOSING, _CONTINUING, _CLASS)


_PREFIX = np.array([ord(c) for c in "rRbBuUfFLU8@$"], dtype=np.uint32)
_STR_TAG, _NUM_TAG = np.uint64(0x243F6A8885A308D3), np.uint64(0x13198A2E03707344)


def _literal_contents(text: str, cps: np.ndarray, starts: np.ndarray, ends: np.ndarray, cat: np.ndarray,
                      opaque: list[tuple[int, int, int]], hashes: np.ndarray) -> None:
    """Hash short literals by their contents in ``hashes`` (in place); long strings stay ``<STR>``.

    Independent code of one task shares its structure but rarely its
    messages, keys and constants, so a literal's contents are evidence
    (IR-Plag's independent solutions, pip's own code against the code it
    vendors). A string's prefix letters and quotes are left out, so ``'a'``
    equals ``"a"``; numbers hash as written. Interpolated strings stay ``<STR>``. Strings of ``LONG_STRING_WORDS``+
    words (docstrings, messages) are the words channel's: they stay ``<STR>``
    here, so a copy cut inside its docstring still matches its code.
    """
    lit = np.flatnonzero((cat == _STR_LIT) | (cat == _NUM_LIT) | (cat == _DIGITS))
    if lit.shape[0] == 0:
        return
    s, e = starts[lit].astype(np.int64), ends[lit].astype(np.int64)
    is_str = cat[lit] == _STR_LIT
    long = np.zeros(lit.shape[0], dtype=bool)
    if is_str.any():
        long_starts = [a for a, b, code in opaque
                       if code == _OPAQUE["str"] and len(_WORDS.findall(text, a, b)) >= LONG_STRING_WORDS]
        long = is_str & np.isin(s, np.array(long_starts, dtype=np.int64))
    chars = cps.astype(np.uint32)
    cs, ce = s.copy(), e.copy()
    opening = is_str.copy()  # still stripping the prefix letters and opening quotes
    quoted = np.zeros(lit.shape[0], dtype=bool)
    for _ in range(6):
        c = chars.take(np.minimum(cs, e - 1))
        q = np.isin(c, _QUOTES)
        step = opening & (cs < e) & (q | (np.isin(c, _PREFIX) & ~quoted))
        quoted |= step & q
        opening &= step
        cs += step
    closing = is_str & quoted
    for _ in range(3):
        step = closing & (ce > cs) & np.isin(chars.take(np.maximum(ce - 1, 0)), _QUOTES)
        closing &= step
        ce -= step
    cs, ce = _trim_spaces(chars, cs, np.maximum(ce, cs))
    content = span_hashes(cps, cs, ce)
    tagged = mix64(content ^ np.where(is_str, _STR_TAG, _NUM_TAG))
    hashes[lit] = np.where(long | (is_str & _interpolates(chars, s, e)), STR, tagged)


def _trim_spaces(chars: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans ``[s, e)`` without the whitespace at either end (JSX text is laid out with the markup)."""
    n = chars.shape[0]
    pos = np.arange(n, dtype=np.int64)
    solid = (chars > 32) & (chars != 127)
    nxt = np.minimum.accumulate(np.where(solid, pos, n)[::-1])[::-1]  # first solid at or after i
    prv = np.maximum.accumulate(np.where(solid, pos, -1))  # last solid at or before i
    s2 = np.minimum(np.append(nxt, n).take(s), e)
    e2 = np.where(e > s2, prv.take(np.maximum(e - 1, 0)) + 1, s2)
    return s2, np.maximum(e2, s2)


def _interpolates(chars: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Whether each span holds ``$`` or ``{``: an interpolated string (``f"{x}"``, `` `${x}` ``, ``"$x"``).

    Such a string holds names a renamed copy changes, so it stays ``<STR>``.
    """
    marks = np.zeros(chars.shape[0] + 1, dtype=np.int64)
    np.cumsum((chars == ord("$")) | (chars == ord("{")), out=marks[1:])
    return marks[e] > marks[s]


# --- captures ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Spans:
    """Character spans of one query's captures.

    ``opaque``: outermost non-empty (start, end, capture code) of strings, numbers and
    comments, in text order. ``kept`` and ``imports``: (starts, running maximum of ends),
    sorted by start. ``units``: (starts, ends) sorted by start, longest first.
    """

    opaque: list[tuple[int, int, int]]
    kept: tuple[np.ndarray, np.ndarray]
    imports: tuple[np.ndarray, np.ndarray]
    units: tuple[np.ndarray, np.ndarray]
    shorthand: tuple[np.ndarray, np.ndarray]  # (starts, ends) of shorthand properties, sorted by start

    @classmethod
    def of(cls, c: _Compiled, root, to_char: np.ndarray | None) -> _Spans:
        """The spans the query captures in the tree at ``root`` (none without a tree)."""
        import tree_sitter

        found = tree_sitter.QueryCursor(c.query).captures(root) if root is not None else {}  # type: ignore[arg-type]
        parents = found.pop("kept_parent", None)
        if parents:
            found.setdefault("kept", []).extend(_field_children(parents, c.kept_fields))
        groups: list[list[np.ndarray]] = [[] for _ in range(_N_CODES)]
        for name, nodes in found.items():
            ranges = np.fromiter(chain.from_iterable(n.byte_range for n in nodes), dtype=np.int64,
                                 count=2 * len(nodes)).reshape(-1, 2)
            if to_char is not None:
                ranges = to_char[ranges]
            code = _CODES[name]
            groups[code if code > 3 else 0].append(np.column_stack([ranges, np.full(ranges.shape[0], code)]))
        rows = [_sorted_rows(g) for g in groups]
        return cls(_outermost(rows[0]), _reach(rows[4]), _reach(rows[6]), _starts_ends(rows[5]), _starts_ends(rows[7]))


def _sorted_rows(parts: list[np.ndarray]) -> np.ndarray:
    """(start, end, code) rows by start, longest first, then capture code (vectorized: literals come by the 100,000)."""
    rows = np.concatenate(parts) if parts else np.zeros((0, 3), dtype=np.int64)
    return rows[np.lexsort((rows[:, 2], -rows[:, 1], rows[:, 0]))]


def _outermost(rows: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, code) of the non-empty spans not inside or overlapping an earlier one."""
    starts, ends = rows[:, 0], rows[:, 1]
    reach = np.maximum.accumulate(np.concatenate([[-1], ends[:-1]]))  # the furthest end of the rows before
    keep = (ends > starts) & (starts >= reach)
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), rows[keep, 2].tolist()))


def _reach(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and the running maximum of ends of spans sorted by start."""
    return rows[:, 0].copy(), np.maximum.accumulate(np.maximum(rows[:, 1], -1))


def _merged(starts: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """(start, end, ``_CODES["import"]``) rows of the disjoint spans that spans sorted by start, with running-maximum
    ends (``_reach``), cover; the compiled core's ``_merged``.

    >>> _merged(np.array([0, 2, 9, 12]), np.array([5, 7, 11, 11])).tolist()
    [[0, 7, 6], [9, 11, 6]]
    """
    rows = np.zeros((0, 3), dtype=np.int64)
    keep = reach > starts
    starts, reach = starts[keep], reach[keep]
    if starts.shape[0] == 0:
        return rows
    new = np.ones(starts.shape[0], dtype=bool)
    new[1:] = starts[1:] >= reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:], starts.shape[0]) - 1
    return np.column_stack([starts[first], reach[last], np.full(first.shape[0], _CODES["import"])]).astype(np.int64)


def _starts_ends(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return rows[:, 0].copy(), rows[:, 1].copy()


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


# --- lexing -------------------------------------------------------------------------


def _lex(chars: bytes | np.ndarray, opaque: list[tuple[int, int, int]]):
    """Token (starts, ends, category) in text order, from ASCII bytes or code points.

    Runs of word characters are one token, every punctuation character is one,
    each outermost string or number is one, comments are skipped. The category
    is _NAME, _DIGITS or _PUNCT_CAT from the first character, or _STR_LIT/_NUM_LIT.
    """
    cls = _padded_classes(chars)
    if len(opaque) > 64:
        cover = np.zeros(cls.shape[0] + 1, dtype=np.int32)
        os_, oe, _ = np.array(opaque, dtype=np.int64).T
        cover[os_ + 1] = 1  # starts are distinct, and so are ends
        cover[oe + 1] -= 1
        cls[np.cumsum(cover[:-1]) > 0] = _SPACE
    else:
        for s, e, _ in opaque:
            cls[s + 1 : e + 1] = _SPACE
    pair = cls[:-1] * np.uint8(3) + cls[1:]  # pair[i]: classes of characters i - 1 and i
    first, last = _START.take(pair[:-1]), _LAST.take(pair[1:])
    lits = [(s, e, code) for s, e, code in opaque if code != 3]
    if lits:
        ls, le, lc = np.array(lits, dtype=np.int64).T
        first[ls] = True
        last[le - 1] = True
    starts = first.nonzero()[0]
    ends = last.nonzero()[0] + 1
    if isinstance(chars, bytes):
        head = np.frombuffer(chars, dtype=np.uint8).take(starts)
    else:
        head = np.minimum(chars.take(starts), 128)
    cat = _FIRST.take(head)
    if lits:
        cat[np.searchsorted(starts, ls)] = np.where(lc == 1, _STR_LIT, _NUM_LIT)
    return starts, ends, cat


def _padded_classes(chars: bytes | np.ndarray) -> np.ndarray:
    """Writable class of every character, with one space class before and after."""
    if isinstance(chars, bytes):
        return np.frombuffer(bytearray(b"\0" + chars.translate(_CLASS_BYTES) + b"\0"), dtype=np.uint8)
    cls = np.zeros(chars.shape[0] + 2, dtype=np.uint8)
    cls[1:-1] = _CLASS[np.minimum(chars, 128)]
    cls[1:-1][np.isin(chars, _UNICODE_SPACES)] = _SPACE
    return cls


# --- classification -----------------------------------------------------------------


def _classify_names(c: _Compiled, root, cps, starts, ends, exact, cat, kept_spans) -> None:
    """Set the category of each _NAME token to _PUNCT_CAT (a keyword), _KEPT_NAME, or leave it."""
    names = (cat == _NAME).nonzero()[0]
    if names.shape[0] == 0:
        return
    h = exact.take(names)
    pos = np.searchsorted(c.words, h)
    pos[pos == c.words.shape[0]] = 0
    bits = np.where(c.words.take(pos) == h, c.word_bits.take(pos), 0)
    keyword = (bits & _HARD) != 0
    soft = (bits & _SOFT).nonzero()[0]
    if soft.shape[0] and root is not None:
        keyword[_parsed_as_keyword(root, cps, starts[names[soft]], ends[names[soft]], soft)] = True
    kept = (bits & _BUILTIN) != 0
    kept |= _inside(starts.take(names), *kept_spans)
    kept |= _after_member_op(cps, starts, ends, c.member_ops).take(names)
    cat[names] = np.where(keyword, _PUNCT_CAT, np.where(kept, _KEPT_NAME, _NAME))


def _parsed_as_keyword(root, cps, s: np.ndarray, e: np.ndarray, cand: np.ndarray) -> list[int]:
    """Of the soft-keyword tokens ``cand`` at spans (s, e), those the parser read as keywords."""
    if cps.dtype != np.uint8:  # not ASCII: character to byte offsets
        utf8_len = 1 + (cps >= 0x80).astype(np.int64) + (cps >= 0x800) + (cps >= 0x10000)
        to_byte = np.concatenate(([0], np.cumsum(utf8_len)))
        s, e = to_byte[s], to_byte[e]
    hits = []
    for i, b0, b1 in zip(cand.tolist(), s.tolist(), e.tolist()):
        node = root.descendant_for_byte_range(b0, b1)
        if node is not None and not node.is_named and node.byte_range == (b0, b1):
            hits.append(i)
    return hits


def _inside(positions: np.ndarray, starts: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Whether each position lies inside a span, given span starts (sorted) and their ``_reach``."""
    if starts.shape[0] == 0:
        return np.zeros(positions.shape[0], dtype=bool)
    idx = np.searchsorted(starts, positions, side="right") - 1
    return (idx >= 0) & (positions < reach.take(idx))


def _after_member_op(cps, starts, ends, ops) -> np.ndarray:
    """Tokens right after a member-access operator (``.``, ``->``) not preceded by its own first char.

    The extra check keeps ``...rest`` and ``0..n`` from counting as attribute access.
    """
    n = starts.shape[0]
    out = np.zeros(n, dtype=bool)
    if not ops or n < 2:
        return out
    single = np.where(ends - starts == 1, cps.take(starts), 0)
    glued = ends[:-1] == starts[1:]  # glued[i]: token i+1 starts where token i ends
    for op in ops:
        k = len(op)
        if n <= k:
            continue
        ok = single[: n - k] == op[0]  # operator chars at tokens i-k+j, contiguous
        for j in range(1, k):
            ok &= single[j : n - k + j] == op[j]
            ok &= glued[j - 1 : n - k + j - 1]
        ok[1:] &= ~(glued[: n - k - 1] & (single[: n - k - 1] == op[0]))
        out[k:] |= ok
    return out


def _units(starts: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """(first_token, end_token) rows of syntactic units, dropping empty ones."""
    rows = np.empty((s.shape[0], 2), dtype=np.int64)
    rows[:, 0] = np.searchsorted(starts, s, side="left")
    rows[:, 1] = np.searchsorted(starts, e, side="left")
    return rows[rows[:, 1] > rows[:, 0]]
