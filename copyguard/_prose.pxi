# Included by _core.pyx: the compiled twin of ``normalize/text.py``'s ``normalize_prose`` (and of
# ``normalize_prose(blank_outside(text, spans))``): fold each code point through the same fold table,
# cut words, hash them and map them back to the original characters in one pass, with no
# intermediate folded array and no chunks (chunks are cut at whitespace, so they change nothing).

cdef enum:
    FOLD_SOLO = 1 << 29  # a folded code point that is a word by itself (Han, kana)
    FOLD_ODD = 1 << 30  # folds to 0 or 2+ code points: low bits index the multi table
    SEPARATOR = 32

cdef uint32_t FOLD_UNKNOWN = 1U << 31  # not in the table yet


cdef struct WordState:
    int64_t start  # source index of the word's first character, -1 outside a word
    int64_t last  # source index of its last character so far
    uint64_t acc  # sum of folded code points times BASE**position
    uint64_t power
    int64_t length


cdef inline int _close_word(WordState* w, Toks* out) noexcept nogil:
    cdef int err = 0
    if w.start >= 0:
        err = _emit(out, w.start, w.last + 1, mix64(w.acc ^ (<uint64_t> w.length * POLY)), 0)
        w.start = -1
    return err


cdef inline int _add_folded(WordState* w, Toks* out, uint32_t f, int64_t src) noexcept nogil:
    """One folded code point at source index ``src``: a separator ends the word, a solo one is a word alone."""
    cdef int err = 0
    cdef uint32_t cp = f & ~(<uint32_t> FOLD_SOLO)
    if cp == SEPARATOR:
        return _close_word(w, out)
    if f & FOLD_SOLO:
        err |= _close_word(w, out)
    if w.start < 0:
        w.start, w.acc, w.power, w.length = src, 0, 1, 0
    w.acc += cp * w.power
    w.power *= HASH_BASE
    w.length += 1
    w.last = src
    if f & FOLD_SOLO:
        err |= _close_word(w, out)
    return err


def prose_words(const uint32_t[::1] cps, spans, const uint32_t[::1] entry, const uint8_t[::1] length,
                const uint32_t[::1] multi):
    """``(hashes, starts, ends)`` of the words of ``cps``; with ``spans`` ((n, 2) int64), only of the
    characters inside them (the others separate words, as ``blank_outside`` makes them spaces).

    Returns ``None`` when a code point's fold is not in the table yet: fill it and call again.
    """
    cdef Py_ssize_t n = cps.shape[0], i, j
    cdef const int64_t[:, ::1] sp
    cdef int32_t* depth = NULL
    cdef int32_t inside = 1
    cdef uint32_t f, cp
    cdef uint64_t off
    cdef WordState w
    cdef Toks toks
    cdef int err = 0
    memset(&toks, 0, sizeof(Toks))
    w.start = -1
    if spans is not None:
        sp = spans
        depth = <int32_t*> calloc(n + 1, sizeof(int32_t))
        if depth == NULL:
            raise MemoryError()
        for j in range(sp.shape[0]):
            if sp[j, 0] < 0 or sp[j, 1] > n or sp[j, 0] > sp[j, 1]:
                free(depth)
                raise ValueError(f"span {sp[j, 0]}:{sp[j, 1]} outside the text's {n} characters")
            depth[sp[j, 0]] += 1
            depth[sp[j, 1]] -= 1
        inside = 0
    try:
        with nogil:
            for i in range(n):
                cp = cps[i]
                if depth != NULL:
                    inside += depth[i]
                    if inside <= 0:
                        err |= _close_word(&w, &toks)
                        continue
                f = entry[cp]
                if f & FOLD_UNKNOWN:
                    err = 2
                    break
                if not (f & FOLD_ODD):
                    err |= _add_folded(&w, &toks, f, i)
                else:
                    off = f & ~(<uint32_t> FOLD_ODD)
                    for j in range(length[cp]):
                        err |= _add_folded(&w, &toks, multi[off + j], i)
            if err == 0:
                err |= _close_word(&w, &toks)
        if err == 2:
            return None
        if err:
            raise MemoryError()
        hashes_a = np.empty(toks.n, dtype=np.uint64)
        starts_a = np.empty(toks.n, dtype=np.int64)
        ends_a = np.empty(toks.n, dtype=np.int64)
        _fill_words(hashes_a, starts_a, ends_a, &toks)
        return hashes_a, starts_a, ends_a
    finally:
        free(depth)
        free(toks.p)


cdef void _fill_words(uint64_t[::1] hashes, int64_t[::1] starts, int64_t[::1] ends, const Toks* toks) noexcept:
    cdef Py_ssize_t i
    for i in range(toks.n):
        hashes[i], starts[i], ends[i] = toks.p[i].h, toks.p[i].s, toks.p[i].e
