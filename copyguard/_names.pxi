# Included by _core.pyx: the compiled twins of ``evidence.name_mask`` (which output tokens may be surviving names)
# and of ``evidence.parameters`` (which name a parameter): one scan of the tokens instead of numpy's sorts and
# searches. ``tests/test_core.py`` compares them with the numpy reference.

# ``evidence.P_*``: what a token is (``evidence.parameter_classes``).
cdef enum:
    P_OPEN = 1
    P_CLOSE = 2
    P_COMMA = 3
    P_EQ = 4
    P_COLON = 5
    P_QUESTION = 6
    P_BRACKET = 7
    P_BRACE = 8
    P_MINUS = 9
    P_GT = 10
    P_LAMBDA = 11
    P_THROWS = 12
    P_FUNCTION = 13
    P_NOT_A_HEAD = 14
    P_DECLARE = 15
    P_FUNC = 16


cdef inline bint _after_parameter(uint8_t c) noexcept nogil:
    return c == P_COMMA or c == P_CLOSE or c == P_EQ or c == P_COLON or c == P_QUESTION or c == P_BRACKET


cdef inline bint _not_a_head(uint8_t c) noexcept nogil:
    return (c == P_NOT_A_HEAD or c == P_OPEN or c == P_COMMA or c == P_EQ or c == P_COLON or c == P_QUESTION
            or c == P_MINUS)


cdef void _classes(const uint64_t[::1] ex, const uint8_t[::1] kinds, const uint64_t[::1] keys,
                   const uint8_t[::1] values, uint8_t *cls) noexcept nogil:
    """``evidence.parameter_classes``: each ``Kind.OTHER`` token's class by its exact hash (``keys`` sorted)."""
    cdef Py_ssize_t n = ex.shape[0], i, lo, hi, mid
    cdef uint64_t v
    for i in range(n):
        cls[i] = 0
        if kinds[i] != 0:  # Kind.OTHER
            continue
        v = ex[i]
        lo, hi = 0, keys.shape[0]
        while lo < hi:
            mid = (lo + hi) >> 1
            if keys[mid] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo < keys.shape[0] and keys[lo] == v:
            cls[i] = values[lo]


cdef int _parameters_scan(const uint8_t *cls, const uint8_t[::1] kinds, Py_ssize_t n, uint8_t *out) noexcept nogil:
    """``evidence.parameters_reference``: sets ``out[i]`` for each token that names a parameter; -1: no memory.

    A name's list is the last ``(`` of its depth met so far; the marks of each list (``,``, ``=``, ``:``,
    ``lambda``) are remembered by the list's ``(``, and which lists are heads is only known at their ``)``:
    a second pass decides."""
    cdef Py_ssize_t i, o, m = 0
    cdef int64_t d = 0, lo = 0, hi = 0
    cdef uint8_t c, nx, nx2
    cdef bint any_open = False, any_lambda = False, any_cand = False, any_func = False, any_start = False
    for i in range(n):
        c = cls[i]
        if c == P_OPEN:
            d += 1
            any_open = True
        elif c == P_CLOSE:
            d -= 1
        elif c == P_LAMBDA:
            any_lambda = True
        elif c == P_FUNC and i + 1 < n:
            any_func = True
        if d < lo:
            lo = d
        if d > hi:
            hi = d
        if i + 1 < n and kinds[i] == IDENT and _after_parameter(cls[i + 1]):
            any_cand = True
        if i > 0 and kinds[i] == IDENT and (cls[i - 1] == P_OPEN or cls[i - 1] == P_COMMA):
            any_start = True
    if not (any_cand or (any_func and any_start)) or not (any_open or any_lambda):
        return 0
    cdef int64_t levels = hi - lo + 2
    cdef int64_t *last = <int64_t *> malloc(levels * sizeof(int64_t))  # last ( of each depth so far
    cdef uint8_t *heads = <uint8_t *> calloc(n, 1)
    cdef uint8_t *go = <uint8_t *> calloc(n, 1)  # lists of Go's func: their names begin the items
    cdef uint8_t *flags = <uint8_t *> malloc(n)  # per name: 1 after it a , ) = : ? [; 2 it begins an item
    cdef uint8_t *named = <uint8_t *> calloc(n + 1, 1)  # per list (its ( + 1): an item's first name has a type after
    cdef uint8_t *mark = <uint8_t *> calloc(n + 1, 1)  # per list (its ( + 1; 0: none): its last , = : lambda
    cdef uint8_t *lam = <uint8_t *> calloc(n + 1, 1)  # per list: its last lambda or :
    cdef int64_t *cand = <int64_t *> malloc(n * sizeof(int64_t))  # names: place, list, and the marks before
    cdef int64_t *owner = <int64_t *> malloc(n * sizeof(int64_t))
    cdef uint8_t *before = <uint8_t *> malloc(n)
    cdef uint8_t *before_lam = <uint8_t *> malloc(n)
    if last == NULL or heads == NULL or mark == NULL or lam == NULL or cand == NULL or owner == NULL \
            or before == NULL or before_lam == NULL or go == NULL or flags == NULL or named == NULL:
        free(last); free(heads); free(mark); free(lam); free(cand); free(owner); free(before); free(before_lam)
        free(go); free(flags); free(named)
        return -1
    for i in range(levels):
        last[i] = -1
    for i in range(n - 1):  # def name( / function( / func name( / func (receiver)
        if cls[i] == P_FUNCTION or cls[i] == P_FUNC:
            o = -1
            if cls[i + 1] == P_OPEN:
                o = i + 1
            elif i + 2 < n and cls[i + 2] == P_OPEN:
                o = i + 2
            if o >= 0:
                heads[o] = 1
                if cls[i] == P_FUNC:
                    go[o] = 1
    d = -lo
    for i in range(n):
        c = cls[i]
        if c == P_OPEN:
            d += 1
            last[d] = i
            mark[i + 1] = P_COMMA  # its list's first comma (counts only if the list is a head)
        elif c == P_CLOSE:
            d -= 1
            o = last[d + 1]
            if o >= 0 and i + 1 < n:
                nx = cls[i + 1]
                nx2 = cls[i + 2] if i + 2 < n else 0
                if go[o]:  # Go: the named results right after a list; a method's name and list after a receiver
                    if nx == P_OPEN:
                        go[i + 1] = heads[i + 1] = 1
                    elif i + 2 < n and (kinds[i + 1] == IDENT or kinds[i + 1] == 3) and nx2 == P_OPEN:
                        go[i + 2] = heads[i + 2] = 1
                if (nx == P_EQ or nx == P_MINUS) and nx2 == P_GT and i + 2 < n:  # (a, b) => / (a, b) ->
                    heads[o] = 1
                elif ((nx == P_BRACE or nx == P_THROWS) and o >= 1  # name(a, b) { / name(a) throws
                      and (kinds[o - 1] == IDENT or kinds[o - 1] == 3)  # Kind.KEPT
                      and (o < 2 or not _not_a_head(cls[o - 2]))):
                    heads[o] = 1
        elif c == P_COMMA or c == P_EQ or c == P_COLON or c == P_LAMBDA:
            o = last[d]
            mark[o + 1] = c
            if c == P_LAMBDA or c == P_COLON:
                lam[o + 1] = c
        if kinds[i] == IDENT:
            c = 0
            if i + 1 < n and _after_parameter(cls[i + 1]):
                c = 1
            if i > 0 and (cls[i - 1] == P_OPEN or cls[i - 1] == P_COMMA):
                c |= 2
            if c:
                o = last[d]
                cand[m], owner[m], before[m], before_lam[m], flags[m] = i, o, mark[o + 1], lam[o + 1], c
                m += 1
                if (c & 2) and i + 1 < n and cls[i + 1] != P_COMMA and cls[i + 1] != P_CLOSE:
                    named[o + 1] = 1
    for i in range(m):
        o = owner[i]
        c = before[i]
        if o >= 0 and go[o]:
            if (flags[i] & 2) and named[o + 1]:
                out[cand[i]] = 1
        elif (flags[i] & 1) and ((o >= 0 and heads[o] and c == P_COMMA)
                                 or (before_lam[i] == P_LAMBDA and (c == P_COMMA or c == P_LAMBDA))):
            out[cand[i]] = 1
    free(last); free(heads); free(mark); free(lam); free(cand); free(owner); free(before); free(before_lam)
    free(go); free(flags); free(named)
    return 0


def parameters(const uint64_t[::1] ex, const uint8_t[::1] kinds, const uint64_t[::1] keys,
               const uint8_t[::1] values):
    """``evidence.parameters`` (uint8 0/1), given ``evidence._CLASS_KEYS`` and ``_CLASS_VALUES``."""
    cdef Py_ssize_t n = ex.shape[0]
    out_arr = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return out_arr
    cdef uint8_t[::1] out = out_arr
    cdef uint8_t *cls = <uint8_t *> malloc(n)
    cdef int err
    if cls == NULL:
        raise MemoryError()
    with nogil:
        _classes(ex, kinds, keys, values, cls)
        err = _parameters_scan(cls, kinds, n, &out[0])
    free(cls)
    if err:
        raise MemoryError()
    return out_arr


def name_mask(const uint64_t[::1] ex, const uint8_t[::1] kinds, const int64_t[::1] starts,
              const int64_t[::1] ends, const uint64_t[::1] keys, const uint8_t[::1] values, uint64_t assign,
              int64_t min_chars):
    """``evidence.name_mask`` of a token stream's arrays (uint8 0/1): identifiers of ``min_chars`` characters
    and more whose name the stream never binds (declared, assigned, or a parameter)."""
    cdef Py_ssize_t n = ex.shape[0], i, j, nb = 0
    out_arr = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return out_arr
    cdef uint8_t[::1] out = out_arr
    cdef uint8_t *cls = <uint8_t *> malloc(n)
    cdef uint8_t *bound = <uint8_t *> calloc(n, 1)
    cdef uint64_t *names = <uint64_t *> malloc(n * sizeof(uint64_t))
    cdef HashSet hs
    cdef int err = 0
    if cls == NULL or bound == NULL or names == NULL:
        free(cls); free(bound); free(names)
        raise MemoryError()
    with nogil:
        _classes(ex, kinds, keys, values, cls)
        err = _parameters_scan(cls, kinds, n, bound)
        for i in range(1, n):  # declared: def name, class name, let name...
            if cls[i - 1] == P_FUNCTION or cls[i - 1] == P_FUNC or cls[i - 1] == P_DECLARE:
                bound[i] = 1
        for i in range(n - 1):  # assigned: name = (not name ==)
            if ex[i + 1] == assign and (i + 2 >= n or ex[i + 2] != assign):
                bound[i] = 1
        for i in range(1, n - 1):  # a, b := (not := =)
            if cls[i] == P_COLON and ex[i + 1] == assign and (i + 2 >= n or ex[i + 2] != assign):
                j = i - 1
                while j >= 0 and kinds[j] == IDENT:
                    bound[j] = 1
                    if j < 2 or cls[j - 1] != P_COMMA:
                        break
                    j -= 2
        for i in range(n):
            if bound[i] and kinds[i] == IDENT:
                names[nb] = ex[i]
                nb += 1
        if not err and _set_init(&hs, names, nb):
            err = -1
        if not err:
            for i in range(n):
                if kinds[i] == IDENT and ends[i] - starts[i] >= min_chars and not (nb and _set_has(&hs, ex[i])):
                    out[i] = 1
            free(hs.keys)
    free(cls); free(bound); free(names)
    if err:
        raise MemoryError()
    return out_arr
