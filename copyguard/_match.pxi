# Included by _core.pyx: the compiled twin of ``match.tiles`` (``_extend(tile(fragments(a, b)), a, b)``):
# equal shingles paired through a hash table of the source's, runs on one diagonal, greedy tiling of the
# longest runs, and each tile grown over the shingles too common to have been paired.


cdef struct Pair:
    int64_t key  # the sort key: (diagonal, output position), or (value, position), packed by the caller
    int64_t a
    int64_t b
    int64_t n


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


cdef struct Slot:
    uint64_t value
    int32_t count  # positions of ``value`` in the source (0: an empty slot)
    int32_t start  # where they start in the positions array, ascending


cdef Py_ssize_t _slot_of(const Slot* slots, uint64_t mask, uint64_t v) noexcept nogil:
    """The slot holding ``v``, or the empty slot where it would go."""
    cdef uint64_t s = mix64(v) & mask
    while slots[s].count != 0 and slots[s].value != v:
        s = (s + 1) & mask
    return <Py_ssize_t> s


cdef int _by_length_diagonal_start(const void* x, const void* y) noexcept nogil:
    """Longest first, then by diagonal and output start: a stable sort by length of runs in (diagonal, start) order."""
    cdef const Pair* p = <const Pair*> x
    cdef const Pair* q = <const Pair*> y
    if p.n != q.n:
        return -1 if p.n > q.n else 1
    if p.key != q.key:
        return -1 if p.key < q.key else 1
    return (p.a > q.a) - (p.a < q.a)


def tiles(const uint64_t[::1] a, const uint64_t[::1] b, Py_ssize_t max_occurrences, Py_ssize_t max_tiles,
          const int64_t[::1] at):
    """``match.tiles``: (n, 3) rows ``(a_start, b_start, length)`` of the tiles, grown, by output start.

    Only the sorted output positions ``at`` are paired (the others pair with nothing): a source is
    paired with the part of a long answer it shares, not with all of it. The source's positions are
    found through a hash table of its values, and runs are grown row by row (a pair extends the run
    of the pair one position back on both sides): nothing is sorted but the runs of 2+ pairs.
    """
    cdef Py_ssize_t na = a.shape[0], nb = b.shape[0], i, j, c, n_frags = 0, n_kept = 0, m, t, n_at = at.shape[0]
    cdef Py_ssize_t size = 16, s, k, prev_i = -2, n_prev = 0, n_cur = 0, p
    cdef Slot* slots = NULL
    cdef int32_t* positions = NULL
    cdef int32_t* fill = NULL
    cdef Pair* pairs = NULL
    cdef int64_t* used = NULL
    cdef int64_t* prev_j = NULL
    cdef int64_t* prev_f = NULL
    cdef int64_t* cur_j = NULL
    cdef int64_t* cur_f = NULL
    cdef int64_t* rows = NULL
    cdef int64_t* swap
    cdef int64_t run_a, run_b, run_n, back, reach, jj
    cdef Py_ssize_t cap = 0
    if na == 0 or nb == 0 or n_at == 0:
        return np.zeros((0, 3), dtype=np.int64)
    while size < 2 * nb:
        size *= 2
    try:
        slots = <Slot*> calloc(size, sizeof(Slot))
        positions = <int32_t*> malloc(nb * sizeof(int32_t))
        fill = <int32_t*> malloc(size * sizeof(int32_t))
        rows = <int64_t*> malloc((max_occurrences + 1) * 4 * sizeof(int64_t))  # this row's and the last row's pairs
        if slots == NULL or positions == NULL or fill == NULL or rows == NULL:
            raise MemoryError()
        cur_j, cur_f = rows, rows + max_occurrences + 1
        prev_j, prev_f = rows + 2 * (max_occurrences + 1), rows + 3 * (max_occurrences + 1)
        with nogil:
            for j in range(nb):  # the source's values, each with its positions in ascending order
                s = _slot_of(slots, size - 1, b[j])
                slots[s].value = b[j]
                slots[s].count += 1
            c = 0
            for s in range(size):
                slots[s].start = <int32_t> c
                fill[s] = <int32_t> c
                c += slots[s].count
            for j in range(nb):
                s = _slot_of(slots, size - 1, b[j])
                positions[fill[s]] = <int32_t> j
                fill[s] += 1
            for t in range(n_at):  # room for every pair at most
                s = _slot_of(slots, size - 1, a[at[t]])
                if slots[s].count <= max_occurrences:
                    cap += slots[s].count
        pairs = <Pair*> malloc((cap if cap else 1) * sizeof(Pair))
        if pairs == NULL:
            raise MemoryError()
        with nogil:
            for t in range(n_at):  # runs on one diagonal, grown one output position at a time
                i = at[t]
                s = _slot_of(slots, size - 1, a[i])
                n_cur = 0
                if slots[s].count == 0 or slots[s].count > max_occurrences:
                    prev_i, n_prev = i, 0
                    continue
                p = 0
                for k in range(slots[s].start, slots[s].start + slots[s].count):
                    jj = positions[k]
                    if prev_i == i - 1:
                        while p < n_prev and prev_j[p] < jj - 1:
                            p += 1
                    if prev_i == i - 1 and p < n_prev and prev_j[p] == jj - 1:
                        pairs[prev_f[p]].n += 1
                        cur_f[n_cur] = prev_f[p]
                    else:
                        pairs[n_frags].key = jj - i  # the diagonal
                        pairs[n_frags].a, pairs[n_frags].b, pairs[n_frags].n = i, jj, 1
                        cur_f[n_cur] = n_frags
                        n_frags += 1
                    cur_j[n_cur] = jj
                    n_cur += 1
                swap = prev_j
                prev_j = cur_j
                cur_j = swap
                swap = prev_f
                prev_f = cur_f
                cur_f = swap
                n_prev, prev_i = n_cur, i
            m = 0
            for i in range(n_frags):  # runs of one pair never tile
                if pairs[i].n >= 2:
                    pairs[m] = pairs[i]
                    m += 1
            n_frags = m
            qsort(pairs, n_frags, sizeof(Pair), _by_length_diagonal_start)
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
        free(slots)
        free(positions)
        free(fill)
        free(pairs)
        free(used)
        free(rows)


cdef void _fill_tiles(int64_t[:, ::1] out, const Pair* p, Py_ssize_t m) noexcept:
    cdef Py_ssize_t i
    for i in range(m):
        out[i, 0], out[i, 1], out[i, 2] = p[i].a, p[i].b, p[i].n
