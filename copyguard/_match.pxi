# Included by _core.pyx: the compiled twin of ``match.tiles`` (``_extend(tile(fragments(a, b)), a, b)``):
# equal shingles paired through a sorted copy of the source's, runs on one diagonal, greedy tiling of the
# longest runs, and each tile grown over the shingles too common to have been paired.


cdef struct Pair:
    int64_t key  # the sort key: (diagonal, output position), or (value, position), packed by the caller
    int64_t a
    int64_t b
    int64_t n


cdef int _by_key(const void* x, const void* y) noexcept nogil:
    cdef const Pair* p = <const Pair*> x
    cdef const Pair* q = <const Pair*> y
    if p.key != q.key:
        return -1 if p.key < q.key else 1
    if p.a != q.a:
        return -1 if p.a < q.a else 1
    return (p.b > q.b) - (p.b < q.b)


cdef struct ValuePos:
    uint64_t value
    int64_t pos


cdef int _by_value_pos(const void* x, const void* y) noexcept nogil:
    cdef const ValuePos* p = <const ValuePos*> x
    cdef const ValuePos* q = <const ValuePos*> y
    if p.value != q.value:
        return -1 if p.value < q.value else 1
    return (p.pos > q.pos) - (p.pos < q.pos)


cdef int _by_length_then_order(const void* x, const void* y) noexcept nogil:
    """Longest first; ties keep their order (``key`` holds it): ``np.argsort(-n, kind="stable")``."""
    cdef const Pair* p = <const Pair*> x
    cdef const Pair* q = <const Pair*> y
    if p.n != q.n:
        return -1 if p.n > q.n else 1
    return (p.key > q.key) - (p.key < q.key)


cdef int _by_start_then_order(const void* x, const void* y) noexcept nogil:
    cdef const Pair* p = <const Pair*> x
    cdef const Pair* q = <const Pair*> y
    if p.a != q.a:
        return -1 if p.a < q.a else 1
    return (p.key > q.key) - (p.key < q.key)


cdef int _by_start_longest_then_order(const void* x, const void* y) noexcept nogil:
    cdef const Pair* p = <const Pair*> x
    cdef const Pair* q = <const Pair*> y
    if p.a != q.a:
        return -1 if p.a < q.a else 1
    if p.n != q.n:
        return -1 if p.n > q.n else 1
    return (p.key > q.key) - (p.key < q.key)


cdef bint _overlaps(const int64_t* starts, const int64_t* ends, Py_ssize_t m, int64_t s, int64_t e) noexcept nogil:
    """Whether ``[s, e)`` overlaps one of ``m`` disjoint intervals sorted by start."""
    cdef Py_ssize_t lo = 0, hi = m, mid
    while lo < hi:  # the last interval starting before e reaches the furthest
        mid = (lo + hi) >> 1
        if starts[mid] < e:
            lo = mid + 1
        else:
            hi = mid
    return lo > 0 and ends[lo - 1] > s


cdef void _insert(int64_t* starts, int64_t* ends, Py_ssize_t m, int64_t s, int64_t e) noexcept nogil:
    cdef Py_ssize_t at = 0, i, lo = 0, hi = m, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if starts[mid] < s:
            lo = mid + 1
        else:
            hi = mid
    at = lo
    i = m
    while i > at:
        starts[i], ends[i] = starts[i - 1], ends[i - 1]
        i -= 1
    starts[at], ends[at] = s, e


def tiles(const uint64_t[::1] a, const uint64_t[::1] b, Py_ssize_t max_occurrences, Py_ssize_t max_tiles,
          const int64_t[::1] at):
    """``match.tiles``: (n, 3) rows ``(a_start, b_start, length)`` of the tiles, grown, by output start.

    Only the sorted output positions ``at`` are paired (the others pair with nothing): a source is
    paired with the part of a long answer it shares, not with all of it.
    """
    cdef Py_ssize_t na = a.shape[0], nb = b.shape[0], i, j, lo, hi, mid, c, n_pairs = 0, n_frags = 0, n_kept = 0, m
    cdef Py_ssize_t t, n_at = at.shape[0]
    cdef ValuePos* sb = NULL
    cdef Pair* pairs = NULL
    cdef Pair* frags = NULL
    cdef int64_t* used = NULL
    cdef Py_ssize_t cap = 0
    cdef int64_t run_a, run_b, run_n, back, fwd, reach
    cdef uint64_t x
    if na == 0 or nb == 0:
        return np.zeros((0, 3), dtype=np.int64)
    try:
        sb = <ValuePos*> malloc(nb * sizeof(ValuePos))
        if sb == NULL:
            raise MemoryError()
        with nogil:
            for j in range(nb):
                sb[j].value, sb[j].pos = b[j], j
            qsort(sb, nb, sizeof(ValuePos), _by_value_pos)  # np.argsort(b, kind="stable")
            for t in range(n_at):  # pairs first counted, then made
                i = at[t]
                lo = _first_value(sb, nb, a[i])
                c = 0  # counted up to max_occurrences + 1 only: a source of one repeated shingle stays linear
                while lo + c < nb and c <= max_occurrences and sb[lo + c].value == a[i]:
                    c += 1
                if c <= max_occurrences:
                    cap += c
        pairs = <Pair*> malloc((cap if cap else 1) * sizeof(Pair))
        if pairs == NULL:
            raise MemoryError()
        with nogil:
            for t in range(n_at):
                i = at[t]
                x = a[i]
                lo = _first_value(sb, nb, x)
                c = 0
                while lo + c < nb and c <= max_occurrences and sb[lo + c].value == x:
                    c += 1
                if c > max_occurrences:
                    continue
                for j in range(lo, lo + c):
                    pairs[n_pairs].key = sb[j].pos - i  # the diagonal
                    pairs[n_pairs].a, pairs[n_pairs].b, pairs[n_pairs].n = i, sb[j].pos, 1
                    n_pairs += 1
            qsort(pairs, n_pairs, sizeof(Pair), _by_key)  # np.lexsort((ai, diag))
            # runs of consecutive output positions on one diagonal (in place: fragments in (diagonal, start) order)
            for i in range(n_pairs):
                if n_frags and pairs[n_frags - 1].key == pairs[i].key and \
                        pairs[n_frags - 1].a + pairs[n_frags - 1].n == pairs[i].a:
                    pairs[n_frags - 1].n += 1
                else:
                    pairs[n_frags] = pairs[i]
                    n_frags += 1
            for i in range(n_frags):
                pairs[i].key = i  # order of the fragments, to break ties as a stable sort does
            qsort(pairs, n_frags, sizeof(Pair), _by_length_then_order)
        used = <int64_t*> malloc(4 * (max_tiles + 1) * sizeof(int64_t))
        if used == NULL:
            raise MemoryError()
        with nogil:
            m = 0
            for i in range(n_frags):  # greedy tiling of the first ``max_tiles`` runs of 2+ shingles
                if pairs[i].n < 2:
                    break
                if m == max_tiles:
                    break
                m += 1
                if _overlaps(used, used + max_tiles + 1, n_kept, pairs[i].a, pairs[i].a + pairs[i].n) or \
                        _overlaps(used + 2 * (max_tiles + 1), used + 3 * (max_tiles + 1), n_kept, pairs[i].b,
                                  pairs[i].b + pairs[i].n):
                    continue
                _insert(used, used + max_tiles + 1, n_kept, pairs[i].a, pairs[i].a + pairs[i].n)
                _insert(used + 2 * (max_tiles + 1), used + 3 * (max_tiles + 1), n_kept, pairs[i].b,
                        pairs[i].b + pairs[i].n)
                pairs[n_kept] = pairs[i]
                pairs[n_kept].key = n_kept
                n_kept += 1
            qsort(pairs, n_kept, sizeof(Pair), _by_start_then_order)
            for i in range(n_kept):  # grown along the diagonal over unpaired equal shingles
                run_a, run_b, run_n = pairs[i].a, pairs[i].b, pairs[i].n
                back = 0
                while run_a - back > 0 and run_b - back > 0 and a[run_a - back - 1] == b[run_b - back - 1]:
                    back += 1
                run_a, run_b, run_n = run_a - back, run_b - back, run_n + back
                while run_a + run_n < na and run_b + run_n < nb and a[run_a + run_n] == b[run_b + run_n]:
                    run_n += 1
                pairs[i].a, pairs[i].b, pairs[i].n, pairs[i].key = run_a, run_b, run_n, i
            m = n_kept
            if n_kept >= 2:
                qsort(pairs, n_kept, sizeof(Pair), _by_start_longest_then_order)
                m = 1
                reach = pairs[0].a + pairs[0].n
                for i in range(1, n_kept):
                    if pairs[i].a + pairs[i].n <= reach:  # inside an earlier, longer tile
                        continue
                    reach = pairs[i].a + pairs[i].n if pairs[i].a + pairs[i].n > reach else reach
                    pairs[m] = pairs[i]
                    m += 1
        out_arr = np.empty((m, 3), dtype=np.int64)
        _fill_tiles(out_arr, pairs, m)
        return out_arr
    finally:
        free(sb)
        free(pairs)
        free(used)


cdef void _fill_tiles(int64_t[:, ::1] out, const Pair* p, Py_ssize_t m) noexcept:
    cdef Py_ssize_t i
    for i in range(m):
        out[i, 0], out[i, 1], out[i, 2] = p[i].a, p[i].b, p[i].n


cdef Py_ssize_t _first_value(const ValuePos* sb, Py_ssize_t n, uint64_t x) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if sb[mid].value < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
