# Included by _core.pyx: the compiled twin of ``normalize/code.py``'s ``_normalize_closed``.
#
# The reference parses with the tree-sitter Python binding, runs one query, and lexes, hashes and
# classifies with numpy. Here the same runtime (vendored: vendor/tree-sitter, the binding's version)
# parses, one walk of the tree (_ts_walk.h) collects what the query captures, and one pass over the
# characters lexes, hashes and classifies: no Python object per node, no query cursor, and no
# interpreter between the steps. ``tests/test_core.py`` compares the tokens of both on real and broken code of
# every grammar, bit for bit.

from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport int32_t
from libc.stdlib cimport qsort, realloc
from libc.string cimport memchr, memset

cdef extern from "tree_sitter/api.h" nogil:
    ctypedef struct TSLanguage:
        pass
    ctypedef struct TSParser:
        pass
    ctypedef struct TSTree:
        pass
    TSParser *ts_parser_new()
    void ts_parser_delete(TSParser *self)
    bint ts_parser_set_language(TSParser *self, const TSLanguage *language)
    void ts_tree_delete(TSTree *self)

cdef extern from *:
    """
    /* A parse within a budget of progress callbacks (the runtime calls back every 100 parse operations):
       the input reads as ts_parser_parse_string's does, so the binding parsing through a function that
       returns data[at:] (grammars.parse) runs the same operations and gives up at the same call. */
    typedef struct { const char *text; uint32_t length; uint64_t calls, limit; } CgBudget;
    static const char *cg_budget_read(void *payload, uint32_t at, TSPoint point, uint32_t *n) {
        const CgBudget *b = (const CgBudget *)payload;
        (void)point;
        if (at >= b->length) { *n = 0; return ""; }
        *n = b->length - at;
        return b->text + at;
    }
    static bool cg_budget_progress(TSParseState *state) {
        CgBudget *b = (CgBudget *)state->payload;
        return ++b->calls > b->limit;
    }
    /* The tree, or NULL with *gave_up set when the budget ran out (the parser is then reset: it would
       resume that parse on its next call). NULL without *gave_up: out of memory. */
    static TSTree *cg_parse_within(TSParser *parser, const char *text, uint32_t length, uint64_t limit,
                                   int *gave_up) {
        CgBudget b = {text, length, 0, limit};
        TSInput input = {&b, cg_budget_read, TSInputEncodingUTF8, NULL};
        TSParseOptions options = {&b, cg_budget_progress};
        TSTree *tree = ts_parser_parse_with_options(parser, NULL, input, options);
        *gave_up = tree == NULL && b.calls > b.limit;
        if (tree == NULL) ts_parser_reset(parser);
        return tree;
    }
    """
    TSTree *cg_parse_within(TSParser *parser, const char *text, uint32_t length, uint64_t limit, int *gave_up)

cdef extern from *:
    """
    static void cg_use_pymalloc(void) { ts_set_allocator(PyMem_Malloc, PyMem_Calloc, PyMem_Realloc, PyMem_Free); }
    """
    void cg_use_pymalloc()

# The runtime allocates through Python's small-object allocator, as the tree-sitter binding does: a parse
# makes and frees hundreds of thousands of small blocks, and pymalloc packs them densely (parses ~10%
# faster than with malloc). It needs the GIL, so every call into the runtime below holds it, the walk too (it
# frees the tree as it goes); the lexing does not. Set before any parser exists.
cg_use_pymalloc()

cdef enum:
    # token categories, as in code.py
    C_PUNCT = 0
    C_NAME = 1
    C_DIGITS = 2
    C_STR = 3
    C_NUM = 4
    C_KEPT = 5
    # character classes and special-word bits, as in code.py
    K_SPACE = 0
    K_WORD = 1
    K_PUNCT = 2
    W_HARD = 1
    W_SOFT = 2
    W_BUILTIN = 4

_EMPTY, _U64, _I64, _U8 = np.empty, np.dtype(np.uint64), np.dtype(np.int64), np.dtype(np.uint8)

TREE_SITTER_VERSION = "0.26.1"  # of vendor/tree-sitter; the reference's binding must be the same release

cdef uint64_t HASH_BASE = 0x100000001B3ULL
cdef uint8_t word_start[128]
for _c in range(128):
    word_start[_c] = chr(_c).isalpha() or chr(_c) in "_$"


cdef struct Tok:
    int64_t s
    int64_t e
    uint64_t h  # exact hash
    uint64_t lit  # hash of a literal's contents (``code._literal_contents``), for the normalized channel
    uint8_t cat


cdef struct Toks:
    Tok* p
    Py_ssize_t n
    Py_ssize_t cap


cdef class CodeParser:
    """A tree-sitter parser of one grammar on the vendored runtime (not thread-safe: one per thread)."""

    cdef TSParser* parser
    # buffers kept from one call to the next (this object is one thread's): a fresh block of a megabyte is
    # a fresh mapping, its pages faulted in and zeroed by the kernel on every file
    cdef Tok* tok_buf
    cdef Py_ssize_t tok_cap
    cdef void* scratch
    cdef size_t scratch_cap

    def __cinit__(self, language_capsule):
        cdef const TSLanguage* lang = <const TSLanguage*> PyCapsule_GetPointer(language_capsule, "tree_sitter.Language")
        self.parser = ts_parser_new()
        if self.parser == NULL or not ts_parser_set_language(self.parser, lang):
            raise ValueError("this grammar's ABI version is not supported by copyguard's tree-sitter runtime")

    def __dealloc__(self):
        if self.parser != NULL:
            ts_parser_delete(self.parser)
        free(self.tok_buf)
        free(self.scratch)

    cdef void* scratch_for(self, size_t size) noexcept:
        """A block of ``size`` bytes that stays valid until the next call (NULL when out of memory)."""
        cdef void* grown
        if size > self.scratch_cap:
            grown = realloc(self.scratch, size)
            if grown == NULL:
                return NULL
            self.scratch, self.scratch_cap = grown, size
        return self.scratch

    cdef void keep_tokens(self, Toks* toks) noexcept:
        """Take back the token buffer of a finished call, up to ``RETAINED_TOKENS`` entries (else free it)."""
        if toks.cap <= RETAINED_TOKENS and self.tok_buf == NULL:
            self.tok_buf, self.tok_cap = toks.p, toks.cap
        else:
            free(toks.p)
        toks.p, toks.cap, toks.n = NULL, 0, 0

    cdef void trim(self) noexcept:
        """Give back a scratch block grown past ``RETAINED_SCRATCH`` bytes by one large text."""
        if self.scratch_cap > RETAINED_SCRATCH:
            free(self.scratch)
            self.scratch, self.scratch_cap = NULL, 0


cdef enum:
    RETAINED_TOKENS = 1 << 16  # 2.6 MB of Tok
    RETAINED_SCRATCH = 1 << 23


cdef extern from "_ts_walk.h" nogil:
    ctypedef struct CgSpan:
        int64_t s
        int64_t e
        int32_t code
    ctypedef struct CgSpans:
        CgSpan* p
        Py_ssize_t n
        Py_ssize_t cap
    ctypedef struct CgWalk:
        CgSpans opaque
        CgSpans kept
        CgSpans imports
        CgSpans units
        CgSpans soft
        CgSpans shorthand
    int cg_walk_delete(TSTree* tree, const uint16_t* flags, uint32_t n_flags, const uint32_t* fields,
                       Py_ssize_t n_fields, const uint8_t* text, const uint8_t* word_starts, CgWalk* w)
    void cg_free_walk(CgWalk* w)

ctypedef CgSpan Span
ctypedef CgSpans Spans
ctypedef CgWalk Walk


cdef int _by_start_longest(const void* a, const void* b) noexcept nogil:
    """(start, -end, code) order: the reference's sort of capture rows."""
    cdef const Span* x = <const Span*> a
    cdef const Span* y = <const Span*> b
    if x.s != y.s:
        return -1 if x.s < y.s else 1
    if x.e != y.e:
        return -1 if x.e > y.e else 1
    return (x.code > y.code) - (x.code < y.code)


cdef void _to_chars(Spans* v, const int64_t* b2c) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(v.n):
        v.p[i].s = b2c[v.p[i].s]
        v.p[i].e = b2c[v.p[i].e]


cdef void _sort(Spans* v) noexcept nogil:
    """Sort by (start, -end, code); the walk visits nodes in that order already, almost always."""
    cdef Py_ssize_t i
    for i in range(1, v.n):
        if _by_start_longest(&v.p[i - 1], &v.p[i]) > 0:
            qsort(v.p, v.n, sizeof(Span), _by_start_longest)
            return


cdef Py_ssize_t _outermost(Spans* v) noexcept nogil:
    """Keep (in place) the non-empty spans not inside or overlapping an earlier one; returns how many."""
    cdef Py_ssize_t i, n = 0
    cdef int64_t reach = -1
    for i in range(v.n):
        if v.p[i].e > v.p[i].s and v.p[i].s >= reach:
            v.p[n] = v.p[i]
            n += 1
        if v.p[i].e > reach:
            reach = v.p[i].e
    v.n = n
    return n


cdef void _reach(Spans* v) noexcept nogil:
    """Ends replaced by their running maximum (spans sorted by start): ``_inside_from`` then needs one look."""
    cdef Py_ssize_t i
    cdef int64_t top = -1
    for i in range(v.n):
        if v.p[i].e > top:
            top = v.p[i].e
        v.p[i].e = top


cdef bint _exact_span(const Spans* v, int64_t s, int64_t e) noexcept nogil:
    """Whether ``v`` (sorted by start) holds the span ``[s, e)``."""
    cdef Py_ssize_t lo = 0, hi = v.n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if v.p[mid].s < s:
            lo = mid + 1
        else:
            hi = mid
    while lo < v.n and v.p[lo].s == s:
        if v.p[lo].e == e:
            return True
        lo += 1
    return False


ctypedef fused ucs_t:  # a str's characters as CPython stores them (PyUnicode_KIND 1, 2 or 4 bytes)
    uint8_t
    uint16_t
    uint32_t


ctypedef fused chars_t:
    uint8_t
    uint32_t


cdef class CodeTables:
    """One grammar's tables for ``normalize_code``, converted once (see ``code._Compiled``)."""

    cdef object keep  # the arrays the pointers below read
    cdef const uint16_t* flags
    cdef Py_ssize_t n_flags
    cdef const uint32_t* fields
    cdef Py_ssize_t n_fields
    cdef uint64_t* wkeys  # special words: open-addressing table of hashes (0: empty) ...
    cdef uint8_t* wbits  # ... and their _HARD | _SOFT | _BUILTIN bits
    cdef uint64_t wmask
    cdef const uint32_t* ops  # member-access operators, rows of ``op_width`` code points, 0-padded
    cdef Py_ssize_t n_ops, op_width
    cdef uint8_t ascii_class[128]
    cdef uint64_t replacement[6]
    cdef uint8_t kind_of[6]
    cdef int long_string_words

    def __cinit__(self, flags, fields, words, word_bits, member_ops, ascii_class, replacement, kind_of,
                  int long_string_words):
        cdef const uint16_t[::1] f = flags
        cdef const uint32_t[::1] fl = fields
        cdef const uint64_t[::1] w = words
        cdef const uint8_t[::1] wb = word_bits
        cdef const uint32_t[:, ::1] ops = member_ops
        cdef Py_ssize_t i, size = 16
        cdef uint64_t slot
        self.keep = (flags, fields, member_ops)
        self.flags, self.n_flags = &f[0] if f.shape[0] else NULL, f.shape[0]
        self.fields, self.n_fields = &fl[0] if fl.shape[0] else NULL, fl.shape[0]
        while size < 4 * w.shape[0]:
            size *= 2
        self.wmask = size - 1
        self.wkeys = <uint64_t*> calloc(size, sizeof(uint64_t))
        self.wbits = <uint8_t*> calloc(size, 1)
        if self.wkeys == NULL or self.wbits == NULL:
            raise MemoryError()
        for i in range(w.shape[0]):
            if w[i] == 0:
                raise ValueError("a special word hashes to 0")
            slot = w[i] & self.wmask
            while self.wkeys[slot] != 0:
                slot = (slot + 1) & self.wmask
            self.wkeys[slot], self.wbits[slot] = w[i], wb[i]
        self.ops, self.n_ops, self.op_width = (&ops[0, 0] if ops.shape[0] else NULL), ops.shape[0], ops.shape[1]
        for i in range(128):
            self.ascii_class[i] = ascii_class[i]
        for i in range(6):
            self.replacement[i] = replacement[i]
            self.kind_of[i] = kind_of[i]
        self.long_string_words = long_string_words

    def __dealloc__(self):
        free(self.wkeys)
        free(self.wbits)


cdef inline int _emit(Toks* v, int64_t s, int64_t e, uint64_t h, uint8_t cat) noexcept nogil:
    cdef Py_ssize_t cap
    cdef Tok* grown
    if v.n == v.cap:
        cap = 256 if v.cap == 0 else 2 * v.cap
        grown = <Tok*> realloc(v.p, cap * sizeof(Tok))
        if grown == NULL:
            return -1
        v.p, v.cap = grown, cap
    v.p[v.n].s, v.p[v.n].e, v.p[v.n].h, v.p[v.n].lit, v.p[v.n].cat = s, e, h, 0, cat
    v.n += 1
    return 0


cdef inline uint8_t _class_of(uint32_t cp, const uint8_t* ascii_class) noexcept nogil:
    """``code._padded_classes`` of one character: ASCII by table, Unicode spaces, every other code point a word."""
    if cp < 128:
        return ascii_class[cp]
    if (cp == 0x85 or cp == 0xA0 or cp == 0x1680 or 0x2000 <= cp <= 0x200B or cp == 0x2028 or cp == 0x2029
            or cp == 0x202F or cp == 0x205F or cp == 0x3000 or cp == 0xFEFF):
        return K_SPACE
    return K_WORD


cdef inline uint64_t _span_hash(const ucs_t* cps, int64_t s, int64_t e) noexcept nogil:
    """``tokens.span_hashes`` of one span: sum of cp[s + j] * BASE**j, the length mixed in, then mix64."""
    cdef uint64_t acc = 0
    cdef int64_t i = e - 1
    while i >= s:
        acc = acc * HASH_BASE + cps[i]
        i -= 1
    return mix64(acc ^ (<uint64_t> (e - s) * POLY))


cdef int _lex(const chars_t* cps, Py_ssize_t n, const Spans* opaque, const uint8_t* ascii_class, Toks* out) noexcept nogil:
    """``code._lex`` and ``span_hashes`` in one pass: words, punctuation, and each outermost literal as one token.

    Comments and the insides of literals are skipped; a word ends where a literal or comment starts.
    """
    cdef Py_ssize_t i = 0, k, j = 0, limit
    cdef uint8_t c
    cdef uint32_t head
    cdef int err = 0
    while i < n:
        if j < opaque.n and i == opaque.p[j].s:
            if opaque.p[j].code != 3:
                err |= _emit(out, i, opaque.p[j].e, _span_hash(cps, i, opaque.p[j].e),
                             C_STR if opaque.p[j].code == 1 else C_NUM)
            i = opaque.p[j].e
            j += 1
            continue
        c = _class_of(cps[i], ascii_class)
        if c == K_SPACE:
            i += 1
            continue
        head = cps[i]
        if c == K_PUNCT:
            err |= _emit(out, i, i + 1, _span_hash(cps, i, i + 1), C_PUNCT)
            i += 1
            continue
        limit = opaque.p[j].s if j < opaque.n else n
        k = i + 1
        while k < limit and _class_of(cps[k], ascii_class) == K_WORD:
            k += 1
        err |= _emit(out, i, k, _span_hash(cps, i, k), C_DIGITS if 0x30 <= head <= 0x39 else C_NAME)
        i = k
    return err


cdef inline uint8_t _word_bits(CodeTables t, uint64_t h) noexcept nogil:
    """The special-word bits of a name's hash: one probe or two in an open-addressing table."""
    cdef uint64_t slot = h & t.wmask
    while t.wkeys[slot] != 0:
        if t.wkeys[slot] == h:
            return t.wbits[slot]
        slot = (slot + 1) & t.wmask
    return 0


cdef inline bint _inside_from(const Spans* v, Py_ssize_t* at, int64_t pos) noexcept nogil:
    """``_inside`` for positions that only grow: the search resumes where the last one stopped."""
    while at[0] < v.n and v.p[at[0]].s <= pos:
        at[0] += 1
    return at[0] > 0 and pos < v.p[at[0] - 1].e


cdef bint _after_member_op(CodeTables t, const chars_t* cps, const Tok* tok, Py_ssize_t m, Py_ssize_t i) noexcept nogil:
    """``code._after_member_op`` for token ``i``: right after ``.``/``->`` (glued), not after ``..``/``...``."""
    cdef Py_ssize_t j, k, w, q
    cdef const uint32_t* op
    cdef bint ok
    if m < 2:
        return False
    for j in range(t.n_ops):
        op = t.ops + j * t.op_width
        w = 0
        while w < t.op_width and op[w] != 0:
            w += 1
        if w == 0 or i < w or m <= w:
            continue
        ok = True
        for k in range(w):  # tokens i - w .. i - 1 are the operator's characters, glued together
            q = i - w + k
            if tok[q].e - tok[q].s != 1 or cps[tok[q].s] != op[k] or (k > 0 and tok[q - 1].e != tok[q].s):
                ok = False
                break
        if ok and i - w >= 1:  # and the operator is not glued to its own first character before it
            q = i - w - 1
            if tok[q].e == tok[q + 1].s and tok[q].e - tok[q].s == 1 and cps[tok[q].s] == op[0]:
                ok = False
        if ok:
            return True
    return False


cdef void _classify(CodeTables t, const chars_t* cps, Toks* toks, const Walk* w) noexcept nogil:
    """``code._classify_names``: each name becomes a keyword (punctuation category), a kept name, or stays a name."""
    cdef Py_ssize_t i, at = 0
    cdef uint8_t bits
    cdef Tok* tok = toks.p
    for i in range(toks.n):
        if tok[i].cat != C_NAME:
            continue
        bits = _word_bits(t, tok[i].h)
        if bits & W_HARD or (bits & W_SOFT and _exact_span(&w.soft, tok[i].s, tok[i].e)):
            tok[i].cat = C_PUNCT
        elif bits & W_BUILTIN or _inside_from(&w.kept, &at, tok[i].s) or _after_member_op(t, cps, tok, toks.n, i):
            tok[i].cat = C_KEPT


cdef extern from "Python.h":
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch) nogil


cdef uint64_t STR_TAG = 0x243F6A8885A308D3ULL
cdef uint64_t NUM_TAG = 0x13198A2E03707344ULL


cdef inline bint _quote(uint32_t c) noexcept nogil:
    return c == 0x27 or c == 0x22 or c == 0x60  # ' " `


cdef inline bint _prefix(uint32_t c) noexcept nogil:
    return c < 128 and c in b"rRbBuUfFLU8@$"


cdef inline bint _solid(uint32_t c) noexcept nogil:
    return c > 32 and c != 127


cdef bint _long_or_interpolated(const chars_t* cps, int64_t s, int64_t e, int min_words) noexcept nogil:
    """A string of ``min_words``+ words (``_WORDS`` runs: alphanumeric) or holding ``$`` or ``{``: it stays <STR>."""
    cdef int64_t i
    cdef int words = 0
    cdef bint inword = False, alnum
    cdef uint32_t c
    for i in range(s, e):
        c = cps[i]
        if c == 0x24 or c == 0x7B:
            return True
        alnum = Py_UNICODE_ISALNUM(<Py_UCS4> c) if c >= 128 else (0x30 <= c <= 0x39 or 0x41 <= (c & ~0x20) <= 0x5A)
        if alnum and not inword:
            words += 1
        inword = alnum
    return words >= min_words


cdef uint64_t _literal_hash(const chars_t* cps, int64_t s, int64_t e, bint is_str) noexcept nogil:
    """``code._literal_contents`` of one short literal: its contents without prefix, quotes and end spaces, tagged."""
    cdef int64_t cs = s, ce = e, s2, e2
    cdef int i
    cdef bint quoted = False
    cdef uint32_t c
    if is_str:
        for i in range(6):  # prefix letters until a quote, then quotes
            if cs >= e:
                break
            c = cps[cs]
            if not (_quote(c) or (_prefix(c) and not quoted)):
                break
            quoted = quoted or _quote(c)
            cs += 1
        if quoted:
            for i in range(3):
                if ce <= cs or not _quote(cps[ce - 1]):
                    break
                ce -= 1
    if ce < cs:
        ce = cs
    s2 = cs
    while s2 < ce and not _solid(cps[s2]):
        s2 += 1
    e2 = ce
    while e2 > s2 and not _solid(cps[e2 - 1]):
        e2 -= 1
    return mix64(_span_hash(cps, s2, e2) ^ (STR_TAG if is_str else NUM_TAG))


cdef void _literals(CodeTables t, const chars_t* cps, Toks* toks) noexcept nogil:
    cdef Py_ssize_t i
    cdef Tok* tok = toks.p
    for i in range(toks.n):
        if tok[i].cat == C_STR:
            if _long_or_interpolated(cps, tok[i].s, tok[i].e, t.long_string_words):
                tok[i].lit = t.replacement[C_STR]
            else:
                tok[i].lit = _literal_hash(cps, tok[i].s, tok[i].e, True)
        elif tok[i].cat == C_NUM or tok[i].cat == C_DIGITS:
            tok[i].lit = _literal_hash(cps, tok[i].s, tok[i].e, False)


cdef int _tokens(CodeTables t, const chars_t* cps, Py_ssize_t n, Walk* w, Toks* toks) noexcept nogil:
    """Lex, classify, hash literals by their contents, then drop the tokens of import statements (in place), and
    write each shorthand property as its key, a colon and its value (``_shorthand``)."""
    cdef Py_ssize_t i, keep = 0, at = 0
    if _lex(cps, n, &w.opaque, t.ascii_class, toks):
        return -1
    _classify(t, cps, toks, w)
    _literals(t, cps, toks)
    if w.imports.n:
        for i in range(toks.n):
            if not _inside_from(&w.imports, &at, toks.p[i].s):
                toks.p[keep] = toks.p[i]
                keep += 1
        toks.n = keep
    if w.shorthand.n:
        return _shorthand(toks, &w.shorthand)
    return 0


cdef uint8_t COLON = 0x3A


cdef int _shorthand(Toks* toks, const Spans* spans) noexcept nogil:
    """``code._shorthand``: a name token spanning a shorthand property (``{ x }``) becomes three on its span: ``x`` kept
    (a property key), ``:``, and the name as it was (``{ x: x }``, which a minifier writes ``{ x: a }``)."""
    cdef Py_ssize_t i, j = 0, hits = 0, m = toks.n, k
    cdef Tok* tok = toks.p
    cdef Tok* grown
    cdef Tok cur
    cdef uint8_t* mark = <uint8_t*> malloc(m if m else 1)
    if mark == NULL:
        return -1
    for i in range(m):  # both sorted by start: one merge
        mark[i] = 0
        if tok[i].cat != C_NAME and tok[i].cat != C_KEPT:
            continue
        while j < spans.n and spans.p[j].s < tok[i].s:
            j += 1
        k = j
        while k < spans.n and spans.p[k].s == tok[i].s:
            if spans.p[k].e == tok[i].e:
                mark[i] = 1
                hits += 1
                break
            k += 1
    if hits:
        if m + 2 * hits > toks.cap:
            grown = <Tok*> realloc(toks.p, (m + 2 * hits) * sizeof(Tok))
            if grown == NULL:
                free(mark)
                return -1
            toks.p, toks.cap = grown, m + 2 * hits
            tok = toks.p
        k = m + 2 * hits
        i = m
        while i > 0:  # from the end: each token moves right by the expansions before it
            i -= 1
            if mark[i]:
                k -= 3
                cur = tok[i]
                tok[k + 2] = cur
                tok[k + 1] = cur
                tok[k + 1].h, tok[k + 1].lit, tok[k + 1].cat = _span_hash(&COLON, 0, 1), 0, C_PUNCT
                tok[k] = cur
                tok[k].cat = C_KEPT
            else:
                k -= 1
                tok[k] = tok[i]
        toks.n = m + 2 * hits
    free(mark)
    return 0


cdef class AliasTables:
    """The hashes ``code._unaliased`` compares: ``=``, ``:``, ``def``, ``async``, ``cls`` and ``self`` (sorted),
    ``(``, ``[``, ``{`` and ``)``, ``]``, ``}`` (any order): a uint64 array of 12, as ``code._alias_tables`` gives it."""

    cdef uint64_t assign, colon, def_, async_
    cdef uint64_t selfs[2]
    cdef uint64_t opens[3]
    cdef uint64_t shuts[3]

    def __init__(self, const uint64_t[::1] h):
        if h.shape[0] != 12:
            raise ValueError("AliasTables: 12 hashes")
        self.assign, self.colon, self.def_, self.async_ = h[0], h[1], h[2], h[3]
        self.selfs[0], self.selfs[1] = h[4], h[5]
        self.opens[0], self.opens[1], self.opens[2] = h[6], h[7], h[8]
        self.shuts[0], self.shuts[1], self.shuts[2] = h[9], h[10], h[11]


cdef bint _header_ends(AliasTables t, const uint64_t* ex, const uint8_t* work, Py_ssize_t first,
                       Py_ssize_t colon) noexcept nogil:
    """``code._header_ends``: token ``colon`` is the ``:`` ending the ``def`` header from token ``first``
    (brackets balanced, no ``:`` at depth 0 before it)."""
    cdef Py_ssize_t q
    cdef int64_t depth = 0
    cdef uint64_t h
    if ex[colon] != t.colon or work[colon] != 0 or first >= colon:
        return False
    for q in range(first, colon):
        if work[q] != 0:
            continue
        h = ex[q]
        if h == t.opens[0] or h == t.opens[1] or h == t.opens[2]:
            depth += 1
        elif h == t.shuts[0] or h == t.shuts[1] or h == t.shuts[2]:
            depth -= 1
        elif h == t.colon and depth == 0:
            return False
    return depth == 0


cdef bint _own_line(const uint8_t* data, const uint32_t* cps, int64_t length, const int64_t* starts,
                    const int64_t* ends, Py_ssize_t n, Py_ssize_t i, Py_ssize_t p) noexcept nogil:
    """Whether tokens ``i .. p`` are a line of their own: a line break before ``i``, and after ``p`` only
    whitespace up to a line break (or the text's end, when ``p`` is the last token)."""
    cdef int64_t q, line_end = starts[p + 1] if p + 1 < n else length
    cdef bint broken = False
    cdef uint32_t ch
    for q in range(ends[i - 1], starts[i]):
        if _char_at(data, cps, q) == 10:
            broken = True
            break
    if not broken:
        return False
    broken = False
    for q in range(ends[p], line_end):
        ch = _char_at(data, cps, q)
        if ch == 10:
            broken = True
        elif not Py_UNICODE_ISSPACE(<Py_UCS4> ch):
            return False
    return broken or p + 1 >= n


cdef tuple _unalias(AliasTables t, tuple arrays, const uint8_t* data, const uint32_t* cps, int64_t length):
    """``code._unaliased`` of the arrays ``_arrays`` made (Python): each line ``alias = parameter`` at the top of
    a function is dropped and the alias reads as the parameter in the rest of the function. The same arrays when
    there is none (most texts)."""
    cdef Py_ssize_t n = len(arrays[1]), nu = len(arrays[5]), e, i, p, r, best, first, q, u1
    cdef Py_ssize_t after_alias = -1
    cdef const uint64_t* ex
    cdef const uint8_t* kinds
    cdef uint64_t* hashes = NULL
    cdef uint64_t* exact
    cdef uint8_t* work
    cdef uint8_t* drop = NULL
    cdef uint64_t hp, xp, xi
    cdef uint8_t wp, after, before
    cdef int64_t u0max
    if n < 8 or nu == 0:
        return arrays
    ex, kinds = <const uint64_t*> _array_data(arrays[1]), <const uint8_t*> _array_data(arrays[4])
    cdef const int64_t* starts_p = <const int64_t*> _array_data(arrays[2])
    cdef const int64_t* ends_p = <const int64_t*> _array_data(arrays[3])
    cdef const int64_t* units = <const int64_t*> _array_data(arrays[5])  # (first, end) rows
    exact, work = <uint64_t*> ex, <uint8_t*> kinds  # written only after the copies below
    cdef uint64_t[::1] hashes_v, exact_v
    cdef uint8_t[::1] work_v, drop_v
    for e in range(2, n - 1):
        if ex[e] != t.assign:
            continue
        after, before = kinds[e + 1], kinds[e - 2]
        if not (kinds[e - 1] == 1 and kinds[e] == 0
                and (after == 1 or (after == 3 and (ex[e + 1] == t.selfs[0] or ex[e + 1] == t.selfs[1])))
                and (ex[e - 2] == t.colon or before == 1 or before == 3)):
            continue
        i, p = e - 1, e + 1
        if not _own_line(data, cps, length, starts_p, ends_p, n, i, p):
            continue
        best, u0max = -1, -1
        for r in range(nu):  # the innermost unit around the statement: the first of the latest start
            if units[2 * r] < i and units[2 * r + 1] > p and units[2 * r] > u0max:
                best, u0max = r, units[2 * r]
        if best < 0:
            continue
        first = u0max + 1 if ex[u0max] == t.async_ else u0max
        if ex[first] != t.def_:
            continue
        if i - 1 != after_alias and not _header_ends(t, ex, work, first, i - 1):
            continue
        xi, xp = exact[i], exact[p]
        if xi == xp:
            continue
        for q in range(first, i - 1):
            if exact[q] == xp:
                break
        else:
            continue
        if drop == NULL:  # the first alias taken: copies to write
            hashes_v, exact_v, work_v = arrays[0].copy(), arrays[1].copy(), arrays[4].copy()
            hashes, exact, work = &hashes_v[0], &exact_v[0], &work_v[0]
            drop_a = np.zeros(n, dtype=np.uint8)
            drop_v = drop_a
            drop = &drop_v[0]
        hp, xp, wp = hashes[p], exact[p], work[p]
        u1 = units[2 * best + 1]
        for q in range(p + 1, u1):
            if kinds[q] == 1 and exact[q] == xi:
                hashes[q], exact[q], work[q] = hp, xp, wp
        for q in range(i, p + 1):
            drop[q] = 1
        after_alias = p
    if drop == NULL:
        return arrays
    keep = drop_a == 0
    index = np.concatenate([[0], np.cumsum(keep)])
    new_units = index[arrays[5]]
    new_units = new_units[new_units[:, 1] > new_units[:, 0]]
    return (np.asarray(hashes_v)[keep], np.asarray(exact_v)[keep], arrays[2][keep], arrays[3][keep],
            np.asarray(work_v)[keep], new_units)



def normalize_code(CodeParser parser, CodeTables tables, PassTables passes, bytes data, cps_or_none,
                   uint64_t budget, AliasTables aliases=None):
    """``code._normalize_closed`` of the UTF-8 ``data`` of a text: ``(hashes, exact, starts, ends, kinds, units)``
    (``None`` when there is no token), the outermost literal and comment spans, an ``(n, 3)`` array, and
    whether the parse took at most ``budget`` progress callbacks (if not, it is given up and the text
    lexed without a tree, as the reference does).

    ``cps_or_none`` holds the text's code points when it is not ASCII; offsets are then in
    characters, as the reference's. ``aliases`` (Python): then ``code._unaliased`` too.
    """
    cdef const uint32_t[::1] wide
    cdef const char* raw = data
    cdef Py_ssize_t n_bytes = len(data), n = n_bytes, i, n_imports
    cdef bint ascii_only = cps_or_none is None
    cdef const uint32_t* cps_p = NULL
    if not ascii_only:
        wide = cps_or_none
        n = wide.shape[0]
        if n:
            cps_p = &wide[0]
    cdef Walk w
    cdef Toks toks
    memset(&w, 0, sizeof(Walk))
    memset(&toks, 0, sizeof(Toks))
    toks.p, toks.cap = parser.tok_buf, parser.tok_cap
    parser.tok_buf, parser.tok_cap = NULL, 0
    cdef TSTree* tree
    cdef int err = 0, gave_up = 0
    cdef int64_t* b2c = NULL
    tree = cg_parse_within(parser.parser, raw, <uint32_t> n_bytes, budget, &gave_up)  # (GIL held: pymalloc)
    if tree == NULL and not gave_up:
        raise MemoryError()
    try:
        if tree != NULL:  # walked and deleted in one pass (GIL held: it frees through pymalloc)
            err = cg_walk_delete(tree, tables.flags, tables.n_flags, tables.fields, tables.n_fields,
                                 <const uint8_t*> raw, word_start, &w)
            tree = NULL
        with nogil:
            if err == 0 and not ascii_only:
                b2c = _byte_to_char(<const uint8_t*> raw, n_bytes)
                if b2c == NULL:
                    err = -1
                else:
                    _to_chars(&w.opaque, b2c)
                    _to_chars(&w.kept, b2c)
                    _to_chars(&w.imports, b2c)
                    _to_chars(&w.units, b2c)
                    _to_chars(&w.soft, b2c)
                    _to_chars(&w.shorthand, b2c)
            if err == 0:
                _sort(&w.opaque)
                _outermost(&w.opaque)
                _sort(&w.kept)
                _reach(&w.kept)
                _sort(&w.imports)
                _reach(&w.imports)
                _sort(&w.units)
                _sort(&w.soft)
                _sort(&w.shorthand)
                if ascii_only:
                    err = _tokens(tables, <const uint8_t*> raw, n, &w, &toks)
                else:
                    err = _tokens(tables, &wide[0], n, &w, &toks)
        if err:
            raise MemoryError()
        n_imports = _merged(&w.imports)
        opaque = _EMPTY((w.opaque.n + n_imports, 3), _I64)
        if w.opaque.n + n_imports:
            _fill_opaque(opaque, &w.opaque, &w.imports, n_imports)
        if toks.n == 0:
            return None, opaque, not gave_up
        arrays = _arrays(parser, tables, passes, &toks, &w.units, <const uint8_t*> raw, cps_p, n)
        if aliases is not None:
            arrays = _unalias(aliases, arrays, <const uint8_t*> raw, cps_p, n)
        return arrays, opaque, not gave_up
    finally:
        if tree != NULL:
            ts_tree_delete(tree)
        free(b2c)
        parser.keep_tokens(&toks)
        parser.trim()
        cg_free_walk(&w)


cdef Py_ssize_t _merged(Spans* v) noexcept nogil:
    """Merge (in place) spans sorted by start with running-maximum ends into disjoint ones; returns how many."""
    cdef Py_ssize_t i, n = 0
    for i in range(v.n):
        if v.p[i].e <= v.p[i].s:
            continue
        if n and v.p[i].s < v.p[n - 1].e:
            v.p[n - 1].e = v.p[i].e if v.p[i].e > v.p[n - 1].e else v.p[n - 1].e
        else:
            v.p[n] = v.p[i]
            n += 1
    return n


cdef int _fill_opaque(object opaque, const Spans* v, const Spans* imports, Py_ssize_t n_imports) except -1:
    """The opaque rows, then the ``n_imports`` merged spans of import statements and erased nodes (code 6)."""
    cdef int64_t* out = <int64_t*> _array_data(opaque)
    cdef Py_ssize_t i
    for i in range(v.n):
        out[3 * i], out[3 * i + 1], out[3 * i + 2] = v.p[i].s, v.p[i].e, v.p[i].code
    out += 3 * v.n
    for i in range(n_imports):
        out[3 * i], out[3 * i + 1], out[3 * i + 2] = imports.p[i].s, imports.p[i].e, 6
    return 0


cdef inline void* _array_data(object a) except? NULL:
    """The data of a C-contiguous numpy array made here (or of ours), through the buffer protocol: a typed
    memoryview costs an object and its validation (~2,500 instructions) per array, per call. Our arrays are
    never resized, so the pointer stays valid while ``a`` lives."""
    cdef Py_buffer view
    PyObject_GetBuffer(a, &view, PyBUF_WRITABLE)
    cdef void* p = view.buf
    PyBuffer_Release(&view)
    return p


cdef Py_ssize_t _first_at(const Tok* tok, Py_ssize_t m, int64_t x) noexcept nogil:
    """The first token starting at or after ``x`` (``np.searchsorted(starts, x, side="left")``)."""
    cdef Py_ssize_t lo = 0, hi = m, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if tok[mid].s < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef int64_t* _byte_to_char(const uint8_t* b, Py_ssize_t n) noexcept nogil:
    """Character offset of every UTF-8 byte offset 0..n (continuation bytes share their character's)."""
    cdef int64_t* out = <int64_t*> malloc((n + 1) * sizeof(int64_t))
    cdef Py_ssize_t i
    cdef int64_t c = 0
    if out == NULL:
        return NULL
    out[0] = 0
    for i in range(n):
        if (b[i] & 0xC0) != 0x80:
            c += 1
        out[i + 1] = c
    return out


def parse_only(CodeParser parser, bytes data, uint64_t budget):
    """Parse ``data`` within ``budget`` progress callbacks and drop the tree: the parser's own cost, the floor
    of ``normalize_code``. Returns whether the parse finished within the budget."""
    cdef const char* raw = data
    cdef uint32_t n = len(data)
    cdef int gave_up = 0
    cdef TSTree* tree
    tree = cg_parse_within(parser.parser, raw, n, budget, &gave_up)  # (GIL held: pymalloc)
    if tree == NULL and not gave_up:
        raise MemoryError()
    if tree != NULL:
        ts_tree_delete(tree)
    return not gave_up



cdef extern from "Python.h":
    int PyUnicode_KIND(object o)
    void* PyUnicode_DATA(object o)


def word_units(const uint32_t[::1] cps, const int64_t[:, ::1] opaque, int min_words, bytes notice_words):
    """``code.word_spans`` without a regex call per unit: the words-channel units among the ``opaque`` rows.

    Returns ``(unit_of, units)``: each row's unit (-1: not words), and per unit ``(start, end, maybe)``,
    ``maybe`` 1 when the unit may hold a license notice (it holds a non-ASCII character, or one of the
    space-separated lowercase ASCII ``notice_words`` in any case, one of which every notice phrase holds):
    only those are searched with the notice regex.
    Comments on consecutive lines (nothing but spaces and one line break between) form one unit.
    """
    cdef Py_ssize_t n = opaque.shape[0], n_units = 0
    unit_of_arr = np.full(n, -1, dtype=np.int64)
    units_arr = np.zeros((n, 3), dtype=np.int64)
    cdef int64_t[::1] unit_of = unit_of_arr
    cdef int64_t[:, ::1] units = units_arr
    cdef const char* nw = notice_words
    if n == 0:
        return unit_of_arr, units_arr
    with nogil:
        n_units = _word_units(&cps[0], opaque, min_words, nw, &unit_of[0], &units[0, 0])
    return unit_of_arr, units_arr[:n_units]


def word_spans_plain(str text, const int64_t[:, ::1] opaque, int min_words, bytes notice_words):
    """``code.word_spans`` of ``text`` when none of its units may hold a license notice (see ``word_units``): the
    ``(start, end)`` of each ``opaque`` row in a unit, in order, a list; None when some unit may (the caller
    then asks ``word_units`` and runs the notice regex on those). Reads the str as CPython stores it: no copy."""
    cdef Py_ssize_t n = opaque.shape[0], n_units = 0, i, u
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    cdef const char* nw = notice_words
    cdef bint maybe = False
    if n == 0:
        return []
    cdef int64_t* unit_of = <int64_t*> malloc(n * sizeof(int64_t))
    cdef int64_t* units = <int64_t*> malloc(n * 3 * sizeof(int64_t))
    if unit_of == NULL or units == NULL:
        free(unit_of)
        free(units)
        raise MemoryError()
    try:
        with nogil:
            if kind == 1:
                n_units = _word_units(<const uint8_t*> data, opaque, min_words, nw, unit_of, units)
            elif kind == 2:
                n_units = _word_units(<const uint16_t*> data, opaque, min_words, nw, unit_of, units)
            else:
                n_units = _word_units(<const uint32_t*> data, opaque, min_words, nw, unit_of, units)
            for u in range(n_units):
                if units[3 * u + 2]:
                    maybe = True
                    break
        if maybe:
            return None
        out = []
        for i in range(n):
            if unit_of[i] >= 0:
                out.append((opaque[i, 0], opaque[i, 1]))
        return out
    finally:
        free(unit_of)
        free(units)


cdef void _triples(const ucs_t* p, Py_ssize_t n, Py_ssize_t* counts) noexcept nogil:
    """``str.count`` of ``\"\"\"`` (``counts[0]``) and of ``'''`` (``counts[1]``) in one pass: a match of one quote
    cannot overlap one of the other, so skipping past either keeps both counts non-overlapping."""
    cdef Py_ssize_t i = 0
    cdef uint32_t c
    while i + 2 < n:
        c = p[i]
        if (c == 34 or c == 39) and p[i + 1] == c and p[i + 2] == c:
            counts[c == 39] += 1
            i += 3
        else:
            i += 1


cdef Py_ssize_t _count3_ascii(const uint8_t* p, Py_ssize_t n, uint8_t q) noexcept nogil:
    """``str.count`` of three ``q`` in a 1-byte str: memchr finds each ``q`` (quotes are a few in a hundred bytes)."""
    cdef Py_ssize_t i = 0, j, count = 0
    cdef const uint8_t* hit
    while i + 2 < n:
        hit = <const uint8_t*> memchr(p + i, q, n - 2 - i)
        if hit == NULL:
            break
        j = hit - p
        if p[j + 1] == q and p[j + 2] == q:
            count += 1
            i = j + 3
        else:
            i = j + 1
    return count


def triple_quotes(str text):
    """``(text.count('\"\"\"'), text.count("'''"))`` in one pass over the str as stored (``code._odd_triple_quotes``)."""
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t counts[2]
    counts[0] = counts[1] = 0
    with nogil:
        if kind == 1:
            counts[0] = _count3_ascii(<const uint8_t*> data, n, 34)
            counts[1] = _count3_ascii(<const uint8_t*> data, n, 39)
        elif kind == 2:
            _triples(<const uint16_t*> data, n, counts)
        else:
            _triples(<const uint32_t*> data, n, counts)
    return counts[0], counts[1]


cdef inline bint _at(const ucs_t* p, Py_ssize_t n, Py_ssize_t i, const Py_UCS4* w, Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t k
    if i + m > n:
        return False
    for k in range(1, m):
        if p[i + k] != w[k]:
            return False
    return True


cdef void _marks(const ucs_t* p, Py_ssize_t n, const Py_UCS4* a, Py_ssize_t la, const Py_UCS4* b, Py_ssize_t lb,
                 Py_ssize_t* out) noexcept nogil:
    """First ``b``, first ``a``, last ``a``, last ``b`` (-1: none) in one pass: a match is tried only where the
    character is the needle's first."""
    cdef Py_ssize_t i
    cdef uint32_t c
    cdef Py_UCS4 a0 = a[0], b0 = b[0]
    for i in range(n):
        c = p[i]
        if c == a0 and _at(p, n, i, a, la):
            if out[1] < 0:
                out[1] = i
            out[2] = i
        if c == b0 and _at(p, n, i, b, lb):
            if out[0] < 0:
                out[0] = i
            out[3] = i


cdef Py_ssize_t _first_ascii(const uint8_t* p, Py_ssize_t n, const Py_UCS4* w, Py_ssize_t m) noexcept nogil:
    """``find`` of ``w`` in a 1-byte str: memchr to each candidate first character."""
    cdef Py_ssize_t i = 0
    cdef const uint8_t* hit
    if w[0] > 255:
        return -1
    while i + m <= n:
        hit = <const uint8_t*> memchr(p + i, <int> w[0], n - m + 1 - i)
        if hit == NULL:
            return -1
        i = hit - p
        if _at(p, n, i, w, m):
            return i
        i += 1
    return -1


cdef extern from *:
    """
    #if defined(__GLIBC__)
    extern void *memrchr(const void *s, int c, size_t n);  /* a GNU extension glibc always exports */
    static const void *cg_memrchr(const void *s, int c, size_t n) { return memrchr(s, c, n); }
    #else
    static const void *cg_memrchr(const void *s, int c, size_t n) {
        const unsigned char *p = (const unsigned char *)s;
        while (n > 0) { if (p[--n] == (unsigned char)c) return p + n; }
        return NULL;
    }
    #endif
    """
    const void* cg_memrchr(const void* s, int c, size_t n) nogil


cdef Py_ssize_t _last_ascii(const uint8_t* p, Py_ssize_t n, const Py_UCS4* w, Py_ssize_t m) noexcept nogil:
    """``rfind`` of ``w`` in a 1-byte str: memrchr back to each candidate first character."""
    cdef Py_ssize_t end = n - m + 1, i
    cdef const uint8_t* hit
    if w[0] > 255:
        return -1
    while end > 0:
        hit = <const uint8_t*> cg_memrchr(p, <int> w[0], end)
        if hit == NULL:
            return -1
        i = hit - p
        if _at(p, n, i, w, m):
            return i
        end = i
    return -1


def block_marks(str text, str start, str end):
    """``(text.find(end), text.find(start), text.rfind(start), text.rfind(end))`` in one pass over the str as stored
    (``code._block_marks``); ``start`` and ``end`` are non-empty."""
    cdef Py_ssize_t la = len(start), lb = len(end), n = len(text), i
    if la == 0 or lb == 0:
        raise ValueError("block_marks: empty delimiter")
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t out[4]
    cdef Py_UCS4* a = <Py_UCS4*> malloc((la + lb) * sizeof(Py_UCS4))
    if a == NULL:
        raise MemoryError()
    cdef Py_UCS4* b = a + la
    for i in range(la):
        a[i] = start[i]
    for i in range(lb):
        b[i] = end[i]
    out[0] = out[1] = out[2] = out[3] = -1
    with nogil:
        if kind == 1:
            out[0], out[1] = _first_ascii(<const uint8_t*> data, n, b, lb), _first_ascii(<const uint8_t*> data, n, a, la)
            out[2], out[3] = _last_ascii(<const uint8_t*> data, n, a, la), _last_ascii(<const uint8_t*> data, n, b, lb)
        elif kind == 2:
            _marks(<const uint16_t*> data, n, a, la, b, lb, out)
        else:
            _marks(<const uint32_t*> data, n, a, la, b, lb, out)
    free(a)
    return out[0], out[1], out[2], out[3]


def hash_string(str text):
    """``tokens.hash_string``: ``span_hashes`` over all of ``text``'s code points, read as CPython stores them."""
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text)
    if kind == 1:
        return _span_hash(<const uint8_t*> data, 0, n)
    if kind == 2:
        return _span_hash(<const uint16_t*> data, 0, n)
    return _span_hash(<const uint32_t*> data, 0, n)


cdef Py_ssize_t _word_units(const ucs_t* cps, const int64_t[:, ::1] opaque, int min_words, const char* nw,
                            int64_t* unit_of, int64_t* units) noexcept nogil:
    """``word_units`` into ``unit_of`` (``n`` rows) and ``units`` (``3 n``: start, end, maybe); returns the units."""
    cdef Py_ssize_t n = opaque.shape[0], i, j, n_units = 0, open_unit = -1, nl
    cdef int64_t s, e, prev_end = 0, g
    cdef bint gap_code
    for i in range(n):
        unit_of[i] = -1
        s, e = opaque[i, 0], opaque[i, 1]
        if opaque[i, 2] == 3:  # a comment
            if open_unit >= 0:
                gap_code, nl = False, 0
                for g in range(prev_end, s):
                    if cps[g] == 10:
                        nl += 1
                    elif not Py_UNICODE_ISSPACE(<Py_UCS4> cps[g]):
                        gap_code = True
                        break
                if gap_code or nl > 1:
                    open_unit = -1
            if open_unit < 0:
                open_unit = n_units
                units[3 * n_units], units[3 * n_units + 2] = s, 0
                n_units += 1
            units[3 * open_unit + 1] = e
            unit_of[i] = open_unit
            prev_end = e
            continue
        open_unit = -1
        if opaque[i, 2] == 1 and _word_count(cps, s, e, min_words) >= min_words:
            units[3 * n_units], units[3 * n_units + 1], units[3 * n_units + 2] = s, e, 0
            unit_of[i] = n_units
            n_units += 1
    for j in range(n_units):
        units[3 * j + 2] = _maybe_notice(cps, units[3 * j], units[3 * j + 1], nw)
    return n_units


cdef int _word_count(const ucs_t* cps, int64_t s, int64_t e, int enough) noexcept nogil:
    """Runs of alphanumeric characters (``[^\\W_]+``) in ``[s, e)``, counted up to ``enough``."""
    cdef int64_t i
    cdef int words = 0
    cdef bint inword = False, alnum
    cdef uint32_t c
    for i in range(s, e):
        c = cps[i]
        alnum = Py_UNICODE_ISALNUM(<Py_UCS4> c) if c >= 128 else (0x30 <= c <= 0x39 or 0x41 <= (c & ~0x20) <= 0x5A)
        if alnum and not inword:
            words += 1
            if words >= enough:
                return words
        inword = alnum
    return words


cdef int _maybe_notice(const ucs_t* cps, int64_t a, int64_t b, const char* words) noexcept nogil:
    """0 when ``[a, b)`` cannot hold a match of ``code._NOTICE``: it is ASCII (where ignoring case is ASCII's)
    and holds none of the space-separated ``words`` in any case; else 1. One pass: a word is compared only
    where the character is its first letter."""
    cdef int64_t i, j
    cdef const char* word
    cdef uint32_t c, head
    cdef uint8_t first[128]
    memset(first, 0, 128)
    word = words
    while word[0] != 0:
        first[<uint8_t> word[0] & 127] = 1
        while word[0] != 0 and word[0] != 32:
            word += 1
        while word[0] == 32:
            word += 1
    for i in range(a, b):
        head = cps[i]
        if head >= 128:
            return 1
        if 0x41 <= head <= 0x5A:
            head += 32
        if not first[head]:
            continue
        word = words
        while word[0] != 0:
            if <uint32_t> word[0] == head:
                j = 1
                while word[j] != 0 and word[j] != 32 and i + j < b:
                    c = cps[i + j]
                    if 0x41 <= c <= 0x5A:
                        c += 32
                    if c != <uint32_t> word[j]:
                        break
                    j += 1
                if word[j] == 0 or word[j] == 32:
                    return 1
            while word[0] != 0 and word[0] != 32:
                word += 1
            while word[0] == 32:
                word += 1
    return 0


cdef inline bint _among(uint64_t x, const uint64_t* table, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        if table[j] == x:
            return True
    return False


cdef inline uint32_t _char_at(const uint8_t* data, const uint32_t* cps, int64_t p) noexcept nogil:
    return cps[p] if cps != NULL else data[p]


cdef class PassTables:
    """One grammar's tables for the passes of ``normalize_code``, converted once: ``(optional, type_operators,
    type_marks, mark_after, statement_end, comma, closers, type_const, close_brace, closing, continuing, word_class)``
    as ``code._pass_tables`` builds them."""

    cdef object keep  # the arrays the pointers below read
    cdef const uint64_t* optional
    cdef const uint64_t* type_ops
    cdef const uint64_t* marks
    cdef const uint64_t* closers
    cdef const uint64_t* closing
    cdef const uint64_t* continuing
    cdef Py_ssize_t n_optional, n_type_ops, n_marks, n_closers, n_closing, n_continuing
    cdef const uint8_t* mark_after  # (n_marks, 128)
    cdef const uint8_t* word_class  # 129 classes: ASCII, then every other code point
    cdef bint has_end
    cdef uint64_t end, comma, type_const, close_brace

    def __init__(self, tuple tables):
        cdef const uint64_t[::1] optional = tables[0], type_ops = tables[1], marks = tables[2], ends = tables[4]
        cdef const uint64_t[::1] closers = tables[6], closing = tables[9], continuing = tables[10]
        cdef const uint8_t[:, ::1] mark_after = tables[3]
        cdef const uint8_t[::1] word_class = tables[11]
        if mark_after.shape[0] != marks.shape[0] or mark_after.shape[1] != 128 or word_class.shape[0] < 129:
            raise ValueError("PassTables: mark_after must be (marks, 128) and word_class 129 classes")
        self.keep = tables
        self.optional, self.n_optional = _u64p(optional), optional.shape[0]
        self.type_ops, self.n_type_ops = _u64p(type_ops), type_ops.shape[0]
        self.marks, self.n_marks = _u64p(marks), marks.shape[0]
        self.closers, self.n_closers = _u64p(closers), closers.shape[0]
        self.closing, self.n_closing = _u64p(closing), closing.shape[0]
        self.continuing, self.n_continuing = _u64p(continuing), continuing.shape[0]
        self.mark_after = &mark_after[0, 0] if mark_after.shape[0] else NULL
        self.word_class = &word_class[0]
        self.has_end = ends.shape[0] > 0
        self.end = ends[0] if self.has_end else 0
        self.comma, self.type_const, self.close_brace = tables[5], tables[7], tables[8]


cdef inline const uint64_t* _u64p(const uint64_t[::1] v) noexcept:
    return &v[0] if v.shape[0] else NULL


cdef Py_ssize_t _pass_marks(PassTables t, const Tok* tok, const uint8_t* kind_of, Py_ssize_t n, const uint8_t* data,
                            const uint32_t* cps, int64_t length, uint8_t* drop, int64_t* keep, int64_t* at,
                            Py_ssize_t* inserts_out) noexcept nogil:
    """``code._drop_optional`` then ``code._line_ends`` of one text's tokens (exact hash ``h``, span, kind
    ``kind_of[cat]``): which to drop (``drop``, n zeroed bytes), the kept ones (``keep``), and the line break after
    each kept one that ends a statement (``at``, -1: none). Characters: ``cps`` (code points) when not NULL, else
    the ASCII bytes ``data``. Returns how many are kept."""
    cdef Py_ssize_t i, j, k, kept, a, b, inserts = 0
    cdef uint64_t e
    cdef uint32_t ch
    cdef int64_t p, following
    cdef bint glued, named, ok, op, op_prev = False, ended, begins, word
    for i in range(n):
        e = tok[i].h
        if kind_of[tok[i].cat] == 0:
            if e == t.comma and i + 1 < n and _among(tok[i + 1].h, t.closers, t.n_closers):
                drop[i] = 1
            if t.n_optional and _among(e, t.optional, t.n_optional):
                drop[i] = 1
            if t.has_end and i > 0 and e == t.end and kind_of[tok[i - 1].cat] == 0 and tok[i - 1].h == t.close_brace:
                drop[i] = 1
        op = kind_of[tok[i].cat] == 0 and t.n_type_ops > 0 and _among(e, t.type_ops, t.n_type_ops)
        if op:
            drop[i] = 1
        if op_prev and (kind_of[tok[i].cat] == 1 or kind_of[tok[i].cat] == 3 or (kind_of[tok[i].cat] == 0 and e == t.type_const)):
            drop[i] = 1
        op_prev = op
    if t.n_marks:
        for i in range(1, n):
            if kind_of[tok[i].cat] != 0:
                continue
            for k in range(t.n_marks):
                if t.marks[k] == tok[i].h:
                    break
            else:
                continue
            glued = tok[i - 1].e == tok[i].s
            named = kind_of[tok[i - 1].cat] != 0 or (tok[i - 1].e - tok[i - 1].s == 1 and (
                _char_at(data, cps, tok[i - 1].s) == 41 or _char_at(data, cps, tok[i - 1].s) == 93))
            if i + 1 < n:
                ok = tok[i + 1].e - tok[i + 1].s == 1
                ch = _char_at(data, cps, tok[i + 1].s) if ok else 0
            else:
                ok, ch = True, 59  # ';'
            drop[i] = glued and named and ok and ch < 128 and t.mark_after[k * 128 + ch] != 0
    kept = 0
    for i in range(n):
        if not drop[i]:
            keep[kept] = i
            at[kept] = -1
            kept += 1
    if t.has_end and kept >= 2:
        for j in range(kept):
            a = keep[j]
            ended = kind_of[tok[a].cat] != 0 or _among(tok[a].h, t.closing, t.n_closing)
            if not ended:
                continue
            if j + 1 < kept:
                b = keep[j + 1]
                ch = _char_at(data, cps, tok[b].s)
                word = t.word_class[ch if ch < 128 else 128] == 1 or ch == 34 or ch == 39 or ch == 96
                begins = (word and not (kind_of[tok[b].cat] == 0 and _among(tok[b].h, t.continuing, t.n_continuing))) or (
                    kind_of[tok[b].cat] == 0 and tok[b].h == t.close_brace)
                following = tok[b].s
            else:
                begins = True
                following = length
            if not begins:
                continue
            p = tok[a].e if tok[a].e > 0 else 0
            while p < following:
                if _char_at(data, cps, p) == 10:
                    at[j] = p
                    inserts += 1
                    break
                p += 1
    inserts_out[0] = inserts
    return kept


cdef Py_ssize_t _pass_units(const int64_t* units, Py_ssize_t nu, const uint8_t* drop, const int64_t* at,
                            Py_ssize_t n, Py_ssize_t kept, int64_t* kidx, int64_t* shift, int64_t* out) noexcept nogil:
    """Units (``(first, end)`` token rows) through the dropped tokens (emptied ones go, when a token is dropped),
    then past the statement ends put before their tokens; ``out`` gets ``nu`` rows at most. Returns how many."""
    cdef Py_ssize_t i, j, k = 0, u, un = 0
    cdef int64_t a, b
    for i in range(n):
        kidx[i] = k
        if not drop[i]:
            k += 1
    kidx[n] = k
    shift[0] = 0
    for j in range(kept):
        shift[j + 1] = shift[j] + (1 if at[j] >= 0 else 0)
    for u in range(nu):
        a, b = kidx[units[2 * u]], kidx[units[2 * u + 1]]
        if b > a or kept == n:  # the reference drops emptied units only when it drops a token
            out[2 * un], out[2 * un + 1] = a + shift[a], b + shift[b]
            un += 1
    return un


cdef tuple _arrays(CodeParser parser, CodeTables t, PassTables passes, const Toks* toks, const Spans* unit_spans,
                   const uint8_t* data, const uint32_t* cps, int64_t length):
    """The token arrays of ``TokenStream`` and units as ``(first token, end token)`` rows (empty ones dropped),
    after ``code._drop_optional`` and ``code._line_ends`` (``_pass_marks``): one set of arrays, written once."""
    cdef Py_ssize_t m = toks.n, nus = unit_spans.n, i, j, k, a, b, n_units = 0, kept, inserts = 0, un
    cdef size_t size = m * (2 * sizeof(int64_t) + 1) + (m + 1) * 2 * sizeof(int64_t) + nus * 4 * sizeof(int64_t) + 64
    cdef char* block = <char*> parser.scratch_for(size)
    if block == NULL:
        raise MemoryError()
    cdef int64_t* keep = <int64_t*> block
    cdef int64_t* at = keep + m
    cdef int64_t* units = at + m
    cdef int64_t* units2 = units + 2 * nus
    cdef int64_t* kidx = units2 + 2 * nus
    cdef int64_t* shift = kidx + m + 1
    cdef uint8_t* drop = <uint8_t*> (shift + m + 1)
    cdef const Tok* tok = toks.p
    with nogil:
        memset(drop, 0, m)
        for i in range(nus):
            a = _first_at(tok, m, unit_spans.p[i].s)
            b = _first_at(tok, m, unit_spans.p[i].e)
            if b > a:
                units[2 * n_units], units[2 * n_units + 1] = a, b
                n_units += 1
        if m >= 2:
            kept = _pass_marks(passes, tok, t.kind_of, m, data, cps, length, drop, keep, at, &inserts)
        else:
            kept = m
            for i in range(m):
                keep[i], at[i] = i, -1
        un = n_units
        if kept < m or inserts:
            un = _pass_units(units, n_units, drop, at, m, kept, kidx, shift, units2)
            units = units2
    cdef Py_ssize_t size_out = kept + inserts
    hashes_a = _EMPTY(size_out, _U64)  # (positional, dtypes made once: a keyword call per array showed per text)
    exact_a = _EMPTY(size_out, _U64)
    starts_a = _EMPTY(size_out, _I64)
    ends_a = _EMPTY(size_out, _I64)
    kinds_a = _EMPTY(size_out, _U8)
    units_a = _EMPTY((un, 2), _I64)
    cdef uint64_t* ho = <uint64_t*> _array_data(hashes_a)
    cdef uint64_t* eo = <uint64_t*> _array_data(exact_a)
    cdef int64_t* so = <int64_t*> _array_data(starts_a)
    cdef int64_t* no = <int64_t*> _array_data(ends_a)
    cdef uint8_t* ko = <uint8_t*> _array_data(kinds_a)
    cdef int64_t* uo = <int64_t*> _array_data(units_a)
    cdef uint64_t end = passes.end
    cdef uint8_t cat
    with nogil:
        k = 0
        for j in range(kept):
            i = keep[j]
            cat = tok[i].cat
            if cat == C_STR or cat == C_NUM or cat == C_DIGITS:
                ho[k] = tok[i].lit
            else:
                ho[k] = t.replacement[cat] if t.replacement[cat] else tok[i].h
            eo[k], so[k], no[k], ko[k] = tok[i].h, tok[i].s, tok[i].e, t.kind_of[cat]
            k += 1
            if at[j] >= 0:
                ho[k], eo[k], so[k], no[k], ko[k] = end, end, at[j], at[j] + 1, 0
                k += 1
        memcpy(uo, units, un * 2 * sizeof(int64_t))
    return hashes_a, exact_a, starts_a, ends_a, kinds_a, units_a

