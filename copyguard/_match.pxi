# Included by _core.pyx: the compiled twins of ``match.tiles`` (``_extend(tile(fragments(a, b)), a, b)``):
# equal shingles paired through a hash table of the source's, runs on one diagonal, greedy tiling of the
# longest runs, and each tile grown over the shingles too common to have been paired), of
# ``match.align_batch`` (every candidate of a round: shingles, shared positions, tiles, chains, measures) and of
# ``evidence.region_evidence`` (what each region weighs): no Python per candidate or per region.

from libc.math cimport sqrt, NAN


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


cdef struct Scratch:
    # buffers of the alignment kernels, grown as needed and reused from one candidate to the next
    Slot* slots
    int32_t* positions
    int32_t* fill
    Pair* pairs
    int64_t* used
    int64_t* rows
    Py_ssize_t n_slots, n_positions, n_fill, n_pairs, n_used, n_rows


cdef int _grow(void** p, Py_ssize_t* cap, Py_ssize_t need, size_t item) noexcept nogil:
    """Make ``*p`` hold at least ``need`` items (its content is not kept); -1 when memory runs out."""
    cdef void* q
    if need <= cap[0]:
        return 0
    if need < 2 * cap[0]:
        need = 2 * cap[0]
    q = malloc((need if need > 0 else 1) * item)
    if q == NULL:
        return -1
    free(p[0])
    p[0], cap[0] = q, need
    return 0


cdef void _free_scratch(Scratch* sc) noexcept nogil:
    free(sc.slots)
    free(sc.positions)
    free(sc.fill)
    free(sc.pairs)
    free(sc.used)
    free(sc.rows)
    memset(sc, 0, sizeof(Scratch))


cdef Py_ssize_t _tiles(const uint64_t* a, Py_ssize_t na, const uint64_t* b, Py_ssize_t nb, Py_ssize_t max_occurrences,
                       Py_ssize_t max_tiles, const int64_t* at, Py_ssize_t n_at, Scratch* sc,
                       const int64_t* b_at=NULL, Py_ssize_t n_b_at=-1) noexcept nogil:
    """``match.tiles`` into ``sc.pairs`` (a, b, n: by output start); returns how many, or -1 when memory runs out.

    ``b_at`` (ascending, ``n_b_at`` of them): the positions of ``b`` whose value ``a`` holds at some
    position of ``at``, every position of each such value (``align_batch`` knows them); the others
    pair with nothing, so the table of ``b``'s values holds only these. NULL: every position.
    """
    cdef Py_ssize_t i, j, c, n_frags = 0, n_kept = 0, m, t, size = 16, s, k, prev_i = -2, n_prev = 0, n_cur = 0, p
    cdef Py_ssize_t n_tab = nb if b_at == NULL else n_b_at
    cdef Py_ssize_t cap = 0, room
    cdef Slot* slots
    cdef int32_t* positions
    cdef int32_t* fill
    cdef Pair* pairs
    cdef int64_t* used
    cdef int64_t* prev_j
    cdef int64_t* prev_f
    cdef int64_t* cur_j
    cdef int64_t* cur_f
    cdef int64_t* swap
    cdef int64_t run_a, run_b, run_n, back, reach, jj
    if na == 0 or nb == 0 or n_at == 0 or n_tab == 0:
        return 0
    while size < 2 * n_tab:
        size *= 2
    if _grow(<void**> &sc.slots, &sc.n_slots, size, sizeof(Slot)) or \
            _grow(<void**> &sc.positions, &sc.n_positions, n_tab, sizeof(int32_t)) or \
            _grow(<void**> &sc.fill, &sc.n_fill, size, sizeof(int32_t)) or \
            _grow(<void**> &sc.rows, &sc.n_rows, (max_occurrences + 1) * 4, sizeof(int64_t)):
        return -1
    slots, positions, fill = sc.slots, sc.positions, sc.fill
    memset(slots, 0, size * sizeof(Slot))
    cur_j, cur_f = sc.rows, sc.rows + max_occurrences + 1  # this row's and the last row's pairs
    prev_j, prev_f = sc.rows + 2 * (max_occurrences + 1), sc.rows + 3 * (max_occurrences + 1)
    for t in range(n_tab):  # the source's values, each with its positions in ascending order
        j = t if b_at == NULL else b_at[t]
        s = _slot_of(slots, size - 1, b[j])
        slots[s].value = b[j]
        slots[s].count += 1
    c = 0
    for s in range(size):
        slots[s].start = <int32_t> c
        fill[s] = <int32_t> c
        c += slots[s].count
    for t in range(n_tab):
        j = t if b_at == NULL else b_at[t]
        s = _slot_of(slots, size - 1, b[j])
        positions[fill[s]] = <int32_t> j
        fill[s] += 1
    for t in range(n_at):  # room for every pair at most
        s = _slot_of(slots, size - 1, a[at[t]])
        if slots[s].count <= max_occurrences:
            cap += slots[s].count
    room = cap if cap > max_tiles else max_tiles
    if _grow(<void**> &sc.pairs, &sc.n_pairs, room, sizeof(Pair)) or \
            _grow(<void**> &sc.used, &sc.n_used, 4 * (max_tiles + 1), sizeof(int64_t)):
        return -1
    pairs, used = sc.pairs, sc.used
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
    m = 0
    for i in range(n_frags):  # greedy tiling of the first ``max_tiles`` runs of 2+ shingles
        if m == max_tiles:
            break
        m += 1
        if _overlaps(used, used + max_tiles + 1, n_kept, pairs[i].a, pairs[i].a + pairs[i].n) or \
                _overlaps(used + 2 * (max_tiles + 1), used + 3 * (max_tiles + 1), n_kept, pairs[i].b,
                          pairs[i].b + pairs[i].n):
            continue
        _insert(used, used + max_tiles + 1, n_kept, pairs[i].a, pairs[i].a + pairs[i].n)
        _insert(used + 2 * (max_tiles + 1), used + 3 * (max_tiles + 1), n_kept, pairs[i].b, pairs[i].b + pairs[i].n)
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
    return m


def tiles(const uint64_t[::1] a, const uint64_t[::1] b, Py_ssize_t max_occurrences, Py_ssize_t max_tiles,
          const int64_t[::1] at):
    """``match.tiles``: (n, 3) rows ``(a_start, b_start, length)`` of the tiles, grown, by output start.

    Only the sorted output positions ``at`` are paired (the others pair with nothing): a source is
    paired with the part of a long answer it shares, not with all of it. The source's positions are
    found through a hash table of its values, and runs are grown row by row (a pair extends the run
    of the pair one position back on both sides): nothing is sorted but the runs of 2+ pairs.
    """
    cdef Scratch sc
    cdef Py_ssize_t m
    memset(&sc, 0, sizeof(Scratch))
    try:
        with nogil:
            m = _tiles(&a[0] if a.shape[0] else NULL, a.shape[0], &b[0] if b.shape[0] else NULL, b.shape[0],
                       max_occurrences, max_tiles, &at[0] if at.shape[0] else NULL, at.shape[0], &sc)
        if m < 0:
            raise MemoryError()
        out_arr = np.empty((m, 3), dtype=np.int64)
        _fill_tiles(out_arr, sc.pairs, m)
        return out_arr
    finally:
        _free_scratch(&sc)


cdef void _fill_tiles(int64_t[:, ::1] out, const Pair* p, Py_ssize_t m) noexcept:
    cdef Py_ssize_t i
    for i in range(m):
        out[i, 0], out[i, 1], out[i, 2] = p[i].a, p[i].b, p[i].n


# --- the evidence of one region (``evidence.rarity`` and ``covered``, as ``Guard._align`` weighs a match) ------


cdef double _pairwise(const double* a, Py_ssize_t n) noexcept nogil:
    """numpy's pairwise summation of float64 (``np.sum`` of a contiguous array), bit for bit."""
    cdef Py_ssize_t i, n2
    cdef double r0, r1, r2, r3, r4, r5, r6, r7, res
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
        i = 8
        while i < n - (n % 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, n2) + _pairwise(a + n2, n - n2)


cdef int _set_empty(HashSet* hs, Py_ssize_t n) noexcept nogil:
    """An empty set with room for ``n`` values."""
    return _set_init(hs, NULL, 0) if n <= 0 else _set_sized(hs, n)


cdef int _set_sized(HashSet* hs, Py_ssize_t n) noexcept nogil:
    cdef uint64_t size = 16
    while size < 2 * <uint64_t> n:
        size <<= 1
    hs.keys = <uint64_t*> calloc(size, sizeof(uint64_t))
    if hs.keys == NULL:
        return -1
    hs.mask, hs.has_zero = size - 1, False
    return 0


cdef bint _set_add(HashSet* hs, uint64_t v) noexcept nogil:
    """Put ``v`` in the set; whether it was not there yet."""
    cdef uint64_t slot
    if v == 0:
        if hs.has_zero:
            return False
        hs.has_zero = True
        return True
    slot = mix64(v) & hs.mask
    while hs.keys[slot] != 0:
        if hs.keys[slot] == v:
            return False
        slot = (slot + 1) & hs.mask
    hs.keys[slot] = v
    return True


cdef struct Weigh:
    # buffers of ``_weigh_region``, grown as needed and reused from one region to the next
    uint64_t* sh
    double* ps
    double* w
    double* part
    Py_ssize_t cap_sh, cap_d, cap_f, cap_u


cdef void _free_weigh(Weigh* ws) noexcept nogil:
    free(ws.sh)
    free(ws.ps)
    free(ws.w)
    free(ws.part)
    memset(ws, 0, sizeof(Weigh))


cdef int _weigh_region(const uint64_t* out_sh, const uint64_t* out_exact_sh, const uint8_t* common,
                       const double* weights, const uint8_t* held, const uint64_t* src_exact, const uint8_t* src_kinds,
                       int64_t o0, int64_t o1, int64_t s0, int64_t s1, int k, bint code, const uint64_t* labels,
                       Weigh* ws, int64_t* boiler, int64_t* exact, double* weight, double* ew_out,
                       const uint64_t* out_exact, const uint8_t* out_kinds, const uint8_t* out_names,
                       int64_t* names, const uint64_t* out_hashes, const uint64_t* src_hashes) noexcept nogil:
    """What one region weighs (``evidence.region_evidence``); -1 when memory runs out.

    ``held[i]``: whether output shingle ``i`` is among the source slice's shingles; ``src_exact`` and
    ``src_kinds``: the slice's tokens (``s0:s1`` the region's part of them). ``out_names`` (NULL: none
    counted): the output tokens that may count as surviving names (``evidence.surviving_names``), literals
    compared on ``out_hashes`` and ``src_hashes`` (their contents), names on their exact hashes.
    """
    cdef Py_ssize_t size = o1 - o0, n, t, u, j, covered, n_a, n_b, n_exact, m_ex
    cdef int64_t last = o1 - k + 1 if o1 - k + 1 > o0 else o0
    cdef bint ok, first
    cdef double ew
    cdef HashSet seen, ex_set, ex_seen
    cdef uint8_t* mark
    cdef uint8_t* ex_mark
    n = last - o0
    if _grow(<void**> &ws.ps, &ws.cap_d, n, sizeof(double)) or _grow(<void**> &ws.w, &ws.cap_f, size, sizeof(double)) or \
            _grow(<void**> &ws.part, &ws.cap_u, 2 * size, sizeof(double)):
        return -1
    mark = <uint8_t*> calloc(2 * size + 2, 1)
    if mark == NULL:
        return -1
    if _set_empty(&seen, n):
        free(mark)
        return -1
    ex_mark = mark + size + 1
    for t in range(n):  # shared, non-boilerplate shingles; weighed at their first occurrence
        ok = held[o0 + t] and not common[o0 + t]
        first = _set_add(&seen, out_sh[o0 + t])
        if ok:
            for u in range(t, t + k if t + k < size else size):
                mark[u] = 1
        ws.ps[t] = weights[o0 + t] if ok and first else 0.0
    free(seen.keys)
    covered = 0
    for u in range(size):
        covered += mark[u]
        ws.w[u] = 0.0
    for j in range(k):  # a token weighs what the heaviest shingle covering it weighs
        for u in range(j, j + n if j + n < size else size):
            if ws.ps[u - j] > ws.w[u]:
                ws.w[u] = ws.ps[u - j]
    boiler[0] = size - covered
    if code:  # tokens also covered by a shingle of the exact tokens the source's region holds
        m_ex = s1 - s0 - k + 1 if s1 - s0 >= k else 0
        if _grow(<void**> &ws.sh, &ws.cap_sh, m_ex, sizeof(uint64_t)):
            free(mark)
            return -1
        if m_ex:
            _shingles_p(&src_exact[s0], &src_kinds[s0], &src_exact[s0], False, k, labels, m_ex, ws.sh)
        if _set_init(&ex_set, ws.sh, m_ex):
            free(mark)
            return -1
        if _set_empty(&ex_seen, n):
            free(ex_set.keys)
            free(mark)
            return -1
        for t in range(n):
            ok = _set_has(&ex_set, out_exact_sh[o0 + t]) and not common[o0 + t]
            if _set_add(&ex_seen, out_exact_sh[o0 + t]) and ok:
                for u in range(t, t + k if t + k < size else size):
                    ex_mark[u] = 1
        free(ex_set.keys)
        free(ex_seen.keys)
        n_a, n_b = 0, 0
        for u in range(size):  # exact: covered by both; sqrt weighs them, the rest as they are
            if ex_mark[u] and ws.w[u] > 0:
                ws.part[n_a] = sqrt(ws.w[u])
                n_a += 1
            else:
                ws.part[size + n_b] = ws.w[u]
                n_b += 1
        ew = _pairwise(ws.part, n_a)
        exact[0] = n_a
        weight[0] = (0.0 + _pairwise(ws.part + size, n_b)) + (0.0 + ew)
        ew_out[0] = 0.0 + ew
        if out_names != NULL and _surviving_names(out_exact, out_kinds, out_names, src_exact, src_kinds, o0, o1, s0, s1,
                                                  k, ex_mark, ws.w, names, out_hashes, src_hashes):
            free(mark)
            return -1
    else:
        n_exact = 0
        for u in range(size):
            n_exact += ws.w[u] != 0.0
        exact[0] = n_exact
        weight[0] = 0.0 + _pairwise(ws.w, size)
    free(mark)
    return 0


cdef int _surviving_names(const uint64_t* out_exact, const uint8_t* out_kinds, const uint8_t* out_names,
                          const uint64_t* src_exact, const uint8_t* src_kinds, int64_t o0, int64_t o1, int64_t s0,
                          int64_t s1, int k, const uint8_t* ex_mark, const double* w, int64_t* names,
                          const uint64_t* out_hashes, const uint64_t* src_hashes) noexcept nogil:
    """``evidence.surviving_names`` of one region: the weights (``out_names``) of the distinct names not counted
    exact (kept names, kind 3, whether or not) whose source token within ``k`` of the region's diagonal (from its start, or from its end) is of their kind
    and exact hash."""
    cdef int64_t o, s, u, lo, hi, n = 0
    cdef int side
    cdef HashSet seen
    cdef bint found
    if _set_empty(&seen, o1 - o0):
        return -1
    for o in range(o0, o1):
        u = o - o0
        if not out_names[o] or (ex_mark[u] and w[u] > 0 and out_kinds[o] != 3):  # (a kept name counts exact too)
            continue
        found = False
        for side in range(2):
            lo = s0 + u - k if side == 0 else s1 - (o1 - o) - k
            hi = lo + 2 * k
            lo = lo if lo > s0 else s0
            hi = hi if hi < s1 - 1 else s1 - 1
            s = lo
            while s <= hi and not found:
                if out_kinds[o] == 2:  # a literal: by its contents (``'a'`` is ``"a"``), as normalized
                    found = src_hashes[s] == out_hashes[o] and src_kinds[s] == 2
                else:
                    found = src_exact[s] == out_exact[o] and src_kinds[s] == out_kinds[o]
                s += 1
        if found and _set_add(&seen, out_exact[o]):
            n += out_names[o]  # its weight (``evidence.name_weights``; 1 for a plain ``name_mask``)
    free(seen.keys)
    names[0] = n
    return 0


# --- a round: every candidate of one output stream aligned in one call ----------------------------------------------


cdef struct RegionRow:
    int64_t cand
    int64_t o0
    int64_t o1
    int64_t s0
    int64_t s1
    double similarity
    uint8_t kind  # 0 verbatim, 1 renamed, 2 near (``match.MatchKind`` in that order)
    int64_t boiler  # what the region weighs, when ``align_batch`` weighs it (``evidence.region_evidence``)
    int64_t exact
    double weight
    double exact_weight
    int64_t names  # surviving names (``evidence.surviving_names``)


cdef struct Rows:
    RegionRow* p
    Py_ssize_t n
    Py_ssize_t cap


cdef int _push_row(Rows* v, int64_t cand, int64_t o0, int64_t o1, int64_t s0, int64_t s1, double sim,
                   uint8_t kind) noexcept nogil:
    cdef RegionRow* grown
    cdef Py_ssize_t cap
    if v.n == v.cap:
        cap = 16 if v.cap == 0 else 2 * v.cap
        grown = <RegionRow*> realloc(v.p, cap * sizeof(RegionRow))
        if grown == NULL:
            return -1
        v.p, v.cap = grown, cap
    v.p[v.n].cand, v.p[v.n].o0, v.p[v.n].o1, v.p[v.n].s0, v.p[v.n].s1 = cand, o0, o1, s0, s1
    v.p[v.n].similarity, v.p[v.n].kind = sim, kind
    v.p[v.n].boiler, v.p[v.n].exact, v.p[v.n].weight, v.p[v.n].exact_weight = 0, 0, 0.0, NAN
    v.p[v.n].names = 0
    v.n += 1
    return 0


cdef int _by_pair(const void* x, const void* y) noexcept nogil:
    """Two uint64 (or two int64 of the same sign) compared as a pair, first then second."""
    cdef const uint64_t* a = <const uint64_t*> x
    cdef const uint64_t* b = <const uint64_t*> y
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    return (a[1] > b[1]) - (a[1] < b[1])


cdef Py_ssize_t _distinct_sorted(const uint64_t* v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, d = 0
    for i in range(n):
        d += i == 0 or v[i] != v[i - 1]
    return d


cdef int64_t _union_length(int64_t* iv, Py_ssize_t n) noexcept nogil:
    """Positions covered by ``n`` half-open intervals (start, end pairs, sorted here in place)."""
    cdef Py_ssize_t i
    cdef int64_t total = 0, reach = -1, s, e  # (starts are never negative)
    qsort(iv, n, 2 * sizeof(int64_t), _by_pair)
    for i in range(n):
        s, e = iv[2 * i], iv[2 * i + 1]
        if s < reach:
            s = reach
        if e > s:
            total += e - s
        if e > reach:
            reach = e
    return total


cdef Py_ssize_t _descents(const int64_t* v, Py_ssize_t n) noexcept nogil:
    """How many of ``v[1:n]`` are not above the value before them (0: ``v`` ascends strictly)."""
    cdef Py_ssize_t i, d = 0
    for i in range(1, n):  # (a loop the compiler vectorizes)
        d += v[i] <= v[i - 1]
    return d


cdef int _kind(const uint64_t* ah, const uint64_t* ax, const uint8_t* ak, const uint64_t* bh, const uint64_t* bx,
               Py_ssize_t na, Py_ssize_t nb, uint64_t* buf) noexcept nogil:
    """``match._kind``: 0 when the exact tokens agree, 1 when only identifier names differ, consistently, else 2.
    ``buf`` holds room for ``3 * na`` values."""
    cdef Py_ssize_t i, m = 0, u, nx, ny
    cdef bint same = True
    if na != nb:
        return 2
    for i in range(na):
        if ax[i] != bx[i]:
            same = False
            break
    if same:
        return 0
    for i in range(na):
        if ah[i] != bh[i]:
            return 2
    for i in range(na):  # (output name, source name) of every identifier
        if ak[i] == IDENT:
            buf[2 * m], buf[2 * m + 1] = ax[i], bx[i]
            m += 1
    qsort(buf, m, 2 * sizeof(uint64_t), _by_pair)
    u = 0
    for i in range(m):  # distinct pairs, in place
        if i == 0 or buf[2 * i] != buf[2 * u - 2] or buf[2 * i + 1] != buf[2 * u - 1]:
            buf[2 * u], buf[2 * u + 1] = buf[2 * i], buf[2 * i + 1]
            u += 1
    nx = 0
    for i in range(u):
        nx += i == 0 or buf[2 * i] != buf[2 * i - 2]
    for i in range(u):
        buf[2 * u + i] = buf[2 * i + 1]
    cg_sort_u64(buf + 2 * u, u)
    ny = _distinct_sorted(buf + 2 * u, u)
    return 1 if nx == u and ny == u else 2


cdef struct OutTable:
    # the output's shingles: each value with its positions (ascending), and the last candidate that took them
    Slot* slots
    int64_t* stamp
    int32_t* positions
    uint64_t mask


cdef int _out_table(const uint64_t* v, Py_ssize_t n, OutTable* t) noexcept nogil:
    cdef Py_ssize_t size = 16, i, s, c = 0
    while size < 2 * n:
        size *= 2
    t.mask = size - 1
    t.slots = <Slot*> calloc(size, sizeof(Slot))
    t.stamp = <int64_t*> malloc(size * sizeof(int64_t))
    t.positions = <int32_t*> malloc((n if n else 1) * sizeof(int32_t))
    if t.slots == NULL or t.stamp == NULL or t.positions == NULL:
        return -1
    for i in range(n):
        s = _slot_of(t.slots, t.mask, v[i])
        t.slots[s].value = v[i]
        t.slots[s].count += 1
    for s in range(size):
        t.slots[s].start = <int32_t> c
        t.stamp[s] = c  # (where the next position of the slot goes, while filling)
        c += t.slots[s].count
    for i in range(n):
        s = _slot_of(t.slots, t.mask, v[i])
        t.positions[t.stamp[s]] = <int32_t> i
        t.stamp[s] += 1
    for s in range(size):
        t.stamp[s] = -1
    return 0


cdef void _free_out_table(OutTable* t) noexcept nogil:
    free(t.slots)
    free(t.stamp)
    free(t.positions)


cdef struct Round:
    # what every candidate of a round is aligned against (the output), the limits, and the buffers reused
    const uint64_t* out_sh
    const uint64_t* out_hashes
    const uint64_t* out_exact
    const uint8_t* out_kinds
    const uint64_t* out_exact_sh  # (these three NULL: regions are not weighed)
    const uint8_t* common
    const double* weights
    const uint8_t* out_names  # (NULL: no surviving names counted)
    const uint64_t* labels
    Py_ssize_t n_out, min_tokens, min_distinct, max_gap, max_occurrences, max_tiles
    double min_similarity
    int k
    bint code
    bint reanchor  # a region not verbatim moves to where its slice holds the output's exact tokens (``match.reanchor``)
    OutTable table
    Scratch sc
    Rows rows
    Weigh ws
    uint8_t* hit
    uint64_t* bloom
    uint64_t bloom_mask
    uint64_t* sh
    int64_t* at
    int64_t* b_at
    uint64_t* vals
    int64_t* iv
    Py_ssize_t n_sh, n_at_cap, n_b_at_cap, n_vals, n_iv


cdef int _round_init(Round* r) noexcept nogil:
    """The output's table and bloom bits (``r``'s output fields set, its buffers zeroed); -1 when memory runs out."""
    cdef Py_ssize_t j
    if _out_table(r.out_sh, r.n_out, &r.table):
        return -1
    r.hit = <uint8_t*> calloc(r.n_out + 1, 1)  # output positions taken by the candidate, cleared after each
    r.bloom_mask = 15
    while r.bloom_mask + 1 < <uint64_t> r.n_out:  # the output's values as bits: 64+ bits per value
        r.bloom_mask = 2 * r.bloom_mask + 1
    r.bloom = <uint64_t*> calloc(r.bloom_mask + 1, sizeof(uint64_t))
    if r.hit == NULL or r.bloom == NULL:
        return -1
    for j in range(r.n_out):
        r.bloom[(r.out_sh[j] >> 6) & r.bloom_mask] |= (<uint64_t> 1) << (r.out_sh[j] & 63)
    return 0


cdef void _round_free(Round* r) noexcept nogil:
    _free_out_table(&r.table)
    _free_scratch(&r.sc)
    free(r.rows.p)
    free(r.sh)
    free(r.at)
    free(r.b_at)
    free(r.hit)
    free(r.bloom)
    _free_weigh(&r.ws)
    free(r.vals)
    free(r.iv)


cdef int _align_slice(Round* r, Py_ssize_t c, const uint64_t* src_hashes, const uint64_t* src_exact,
                      const uint8_t* src_kinds, Py_ssize_t ns, const uint64_t* pre = NULL) noexcept nogil:
    """The regions of the output copied from one source slice (``ns`` tokens), appended to ``r.rows`` as candidate
    ``c`` (weighed when ``r.weights`` is set); -1 when memory runs out. ``pre``: the slice's shingles when the caller
    has them (``_stored_shingles``), else they are made here."""
    cdef Py_ssize_t j, t, i, first, last, f, m_tiles, m, n_at, n_v, room, n_b_at = 0
    cdef int64_t o0, o1, s0, s1, e, size_o, size_s, cov_o, cov_s
    cdef double sim, sim_s
    cdef int kind, k = r.k
    cdef Pair* tl
    cdef const uint64_t* out_sh = r.out_sh
    cdef const uint64_t* sh
    cdef Py_ssize_t n_out = r.n_out, max_gap = r.max_gap
    m = ns - k + 1
    if m <= 0 or n_out == 0:
        return 0
    if (pre == NULL and _grow(<void**> &r.sh, &r.n_sh, m, sizeof(uint64_t))) or \
            _grow(<void**> &r.at, &r.n_at_cap, n_out, sizeof(int64_t)) or \
            _grow(<void**> &r.b_at, &r.n_b_at_cap, m, sizeof(int64_t)):
        return -1
    if pre == NULL:
        _shingles_p(src_hashes, src_kinds, src_exact, r.code, k, r.labels, m, r.sh)
        sh = r.sh
    else:
        sh = pre
    n_at = 0
    for j in range(m):  # the output positions of the values this source holds, and where it holds them
        if not (r.bloom[(sh[j] >> 6) & r.bloom_mask] >> (sh[j] & 63)) & 1:
            continue  # (most of a source: one load, no hash)
        t = _slot_of(r.table.slots, r.table.mask, sh[j])
        if r.table.slots[t].count:
            r.b_at[n_b_at] = j
            n_b_at += 1
            if r.table.stamp[t] != c:
                r.table.stamp[t] = c
                for i in range(r.table.slots[t].start, r.table.slots[t].start + r.table.slots[t].count):
                    r.hit[r.table.positions[i]] = 1
                    r.at[n_at] = r.table.positions[i]
                    n_at += 1
    if n_at * 16 >= n_out:  # ascending: a scan of the marks when they are many, else a sort
        n_at = 0
        for i in range(n_out):
            if r.hit[i]:
                r.at[n_at] = i
                n_at += 1
    else:
        cg_sort_i64(r.at, n_at)
    m_tiles = _tiles(out_sh, n_out, sh, m, r.max_occurrences, r.max_tiles, r.at, n_at, &r.sc, r.b_at, n_b_at)
    if m_tiles < 0:
        return -1
    tl = r.sc.pairs
    first = 0
    while first < m_tiles:  # chains: fragments in order on both sides, gaps of at most max_gap
        last = first + 1
        while last < m_tiles and tl[last].a - (tl[last - 1].a + tl[last - 1].n) <= max_gap and \
                -max_gap <= tl[last].b - (tl[last - 1].b + tl[last - 1].n) <= max_gap:
            last += 1
        o0, o1, s0, s1 = tl[first].a, tl[first].a + tl[first].n, tl[first].b, tl[first].b + tl[first].n
        n_v = 0
        for f in range(first, last):
            o0 = tl[f].a if tl[f].a < o0 else o0
            o1 = tl[f].a + tl[f].n if tl[f].a + tl[f].n > o1 else o1
            s0 = tl[f].b if tl[f].b < s0 else s0
            s1 = tl[f].b + tl[f].n if tl[f].b + tl[f].n > s1 else s1
            n_v += tl[f].n
        o1 += k - 1
        s1 += k - 1
        f = first
        first = last
        if o1 - o0 < r.min_tokens:
            continue
        room = n_v if n_v > 3 * (o1 - o0) else 3 * (o1 - o0)
        if _grow(<void**> &r.vals, &r.n_vals, room, sizeof(uint64_t)) or \
                _grow(<void**> &r.iv, &r.n_iv, 2 * (last - f), sizeof(int64_t)):
            return -1
        n_v = 0
        for i in range(f, last):
            for j in range(tl[i].a, tl[i].a + tl[i].n):
                r.vals[n_v] = out_sh[j]
                n_v += 1
        cg_sort_u64(r.vals, n_v)
        if _distinct_sorted(r.vals, n_v) < r.min_distinct:
            continue
        size_o, size_s = o1 - o0, s1 - s0
        for i in range(f, last):
            e = tl[i].a - o0 + tl[i].n + k - 1
            r.iv[2 * (i - f)], r.iv[2 * (i - f) + 1] = tl[i].a - o0, e if e < size_o else size_o
        cov_o = _union_length(r.iv, last - f)
        for i in range(f, last):
            e = tl[i].b - s0 + tl[i].n + k - 1
            r.iv[2 * (i - f)], r.iv[2 * (i - f) + 1] = tl[i].b - s0, e if e < size_s else size_s
        cov_s = _union_length(r.iv, last - f)
        sim = <double> cov_o / <double> (size_o if size_o > 1 else 1)
        sim_s = <double> cov_s / <double> (size_s if size_s > 1 else 1)
        if sim_s < sim:
            sim = sim_s
        if sim < r.min_similarity:
            continue
        kind = _kind(&r.out_hashes[o0], &r.out_exact[o0], &r.out_kinds[o0], &src_hashes[s0], &src_exact[s0],
                     size_o, size_s, r.vals)
        if kind != 0 and r.reanchor and ns >= size_o:  # the first place equal token for token, if any
            for j in range(ns - size_o + 1):
                if src_exact[j] == r.out_exact[o0] and src_exact[j + size_o - 1] == r.out_exact[o1 - 1] and \
                        memcmp(&src_exact[j], &r.out_exact[o0], size_o * sizeof(uint64_t)) == 0:
                    s0, s1, kind = j, j + size_o, 0
                    break
        if _push_row(&r.rows, c, o0, o1, s0, s1, 1.0 if kind != 2 else sim, <uint8_t> kind):
            return -1
        if r.weights != NULL and _weigh_region(out_sh, r.out_exact_sh, r.common, r.weights, r.hit, src_exact,
                                               src_kinds, o0, o1, s0, s1, k, r.code, r.labels, &r.ws,
                                               &r.rows.p[r.rows.n - 1].boiler, &r.rows.p[r.rows.n - 1].exact,
                                               &r.rows.p[r.rows.n - 1].weight, &r.rows.p[r.rows.n - 1].exact_weight,
                                               r.out_exact, r.out_kinds, r.out_names, &r.rows.p[r.rows.n - 1].names,
                                               r.out_hashes, src_hashes):
            return -1
    for i in range(n_at):  # (``hit``: which output shingles the candidate holds, while it is weighed)
        r.hit[r.at[i]] = 0
    return 0


cdef _round_setup(Round* r, const uint64_t[::1] out_sh, const uint64_t[::1] out_hashes, const uint64_t[::1] out_exact,
                  const uint8_t[::1] out_kinds, int k, bint code, const uint64_t[::1] labels, Py_ssize_t min_tokens,
                  Py_ssize_t min_distinct, double min_similarity, Py_ssize_t max_gap, Py_ssize_t max_occurrences,
                  Py_ssize_t max_tiles, const uint64_t[::1] out_exact_sh, const uint8_t[::1] common,
                  const double[::1] weights, const uint8_t[::1] out_names):
    """``r`` zeroed and pointed at the output (checked here; the arrays stay referenced by the caller)."""
    cdef Py_ssize_t n_out = out_sh.shape[0]
    if weights is not None and (out_exact_sh is None or common is None or out_exact_sh.shape[0] != n_out or
                                common.shape[0] != n_out or weights.shape[0] != n_out):
        raise ValueError("output shingle arrays differ in length")
    if out_hashes.shape[0] != out_exact.shape[0] or out_hashes.shape[0] != out_kinds.shape[0]:
        raise ValueError("output token arrays differ in length")
    if out_names is not None and out_names.shape[0] != out_hashes.shape[0]:
        raise ValueError("out_names differs in length from the output tokens")
    if n_out and n_out + k - 1 != out_hashes.shape[0]:
        raise ValueError("output shingles do not match the output tokens")
    if k > labels.shape[0]:
        raise ValueError(f"shingle width {k} exceeds the {labels.shape[0]} identifier labels")
    memset(r, 0, sizeof(Round))
    r.n_out, r.k, r.code = n_out, k, code
    r.out_sh = &out_sh[0] if n_out else NULL
    r.out_hashes = &out_hashes[0] if out_hashes.shape[0] else NULL
    r.out_exact = &out_exact[0] if out_exact.shape[0] else NULL
    r.out_kinds = &out_kinds[0] if out_kinds.shape[0] else NULL
    r.labels = &labels[0]
    r.min_tokens, r.min_distinct, r.min_similarity, r.max_gap = min_tokens, min_distinct, min_similarity, max_gap
    r.max_occurrences, r.max_tiles = max_occurrences, max_tiles
    if weights is not None:
        r.out_exact_sh = &out_exact_sh[0] if n_out else NULL
        r.common = &common[0] if n_out else NULL
        r.weights = &weights[0] if n_out else NULL  # (with no output shingle no slice is weighed)
        r.out_names = &out_names[0] if out_names is not None and n_out else NULL


cdef _round_arrays(const Round* r, bint weigh):
    """The rows of a round as ``align_batch`` returns them."""
    cand_arr = np.empty(r.rows.n, dtype=np.int64)
    tok_arr = np.empty((r.rows.n, 4), dtype=np.int64)
    sim_arr = np.empty(r.rows.n, dtype=np.float64)
    kind_arr = np.empty(r.rows.n, dtype=np.uint8)
    _fill_rows(&r.rows, cand_arr, tok_arr, sim_arr, kind_arr)
    if not weigh:
        return cand_arr, tok_arr, sim_arr, kind_arr
    boiler_arr = np.empty(r.rows.n, dtype=np.int64)
    exact_arr = np.empty(r.rows.n, dtype=np.int64)
    weight_arr = np.empty(r.rows.n, dtype=np.float64)
    ew_arr = np.empty(r.rows.n, dtype=np.float64)
    names_arr = np.empty(r.rows.n, dtype=np.int64)
    _fill_evidence(&r.rows, boiler_arr, exact_arr, weight_arr, ew_arr, names_arr)
    return cand_arr, tok_arr, sim_arr, kind_arr, boiler_arr, exact_arr, weight_arr, ew_arr, names_arr


def align_batch(const uint64_t[::1] out_sh, const uint64_t[::1] out_hashes, const uint64_t[::1] out_exact,
                const uint8_t[::1] out_kinds, const uint64_t[::1] src_hashes, const uint64_t[::1] src_exact,
                const uint8_t[::1] src_kinds, const int64_t[::1] offsets, int k, bint code, const uint64_t[::1] labels,
                Py_ssize_t min_tokens, Py_ssize_t min_distinct, double min_similarity, Py_ssize_t max_gap,
                Py_ssize_t max_occurrences, Py_ssize_t max_tiles, const uint64_t[::1] out_exact_sh=None,
                const uint8_t[::1] common=None, const double[::1] weights=None, const uint8_t[::1] out_names=None):
    """``match.align_batch``: the regions of the output copied from each source slice ``offsets[c]:offsets[c + 1]``.

    Per candidate: its shingles (code: identifiers renumbered), the output positions whose shingle it
    holds (through a table of the output's shingles made once), ``tiles``, chains and the measures of
    ``match._measure``. Returns ``(cand, tok, similarity, kind)``: ``tok`` rows ``(o0, o1, s0, s1)``.
    With ``out_exact_sh``, ``common`` and ``weights`` (``region_evidence``'s), each region is also
    weighed while its candidate's shingles are at hand, and ``(boilerplate, exact, weight,
    exact_weight, names)`` follow (``evidence.align_weigh``; ``names`` counted with ``out_names``).
    """
    cdef Py_ssize_t n_c = offsets.shape[0] - 1, c, lo
    cdef int err = 0
    cdef Round r
    if src_hashes.shape[0] != src_exact.shape[0] or src_hashes.shape[0] != src_kinds.shape[0]:
        raise ValueError("source token arrays differ in length")
    if n_c < 0 or offsets[0] != 0 or offsets[n_c] != src_hashes.shape[0]:
        raise ValueError("offsets do not cover the source tokens")
    for c in range(n_c):
        if offsets[c + 1] < offsets[c]:
            raise ValueError("offsets must not decrease")
    _round_setup(&r, out_sh, out_hashes, out_exact, out_kinds, k, code, labels, min_tokens, min_distinct,
                 min_similarity, max_gap, max_occurrences, max_tiles, out_exact_sh, common, weights, out_names)
    try:
        with nogil:
            err = _round_init(&r)
            c = 0
            while err == 0 and c < n_c:
                lo = offsets[c]
                err = _align_slice(&r, c, &src_hashes[lo] if offsets[c + 1] > lo else NULL,
                                   &src_exact[lo] if offsets[c + 1] > lo else NULL,
                                   &src_kinds[lo] if offsets[c + 1] > lo else NULL, offsets[c + 1] - lo)
                c += 1
        if err:
            raise MemoryError()
        return _round_arrays(&r, weights is not None)
    finally:
        _round_free(&r)


def align_rows(const uint64_t[::1] out_sh, const uint64_t[::1] out_hashes, const uint64_t[::1] out_exact,
               const uint8_t[::1] out_kinds, list segments, const int64_t[::1] seg, const int64_t[::1] lo,
               const int64_t[::1] hi, const int64_t[::1] rows, int k, bint code, const uint64_t[::1] labels,
               Py_ssize_t min_tokens, Py_ssize_t min_distinct, double min_similarity, Py_ssize_t max_gap,
               Py_ssize_t max_occurrences, Py_ssize_t max_tiles, const uint64_t[::1] out_exact_sh,
               const uint8_t[::1] common, const double[::1] weights, bint reanchor, list stored=None,
               const int64_t[:, ::1] channels=None, const uint8_t[::1] out_names=None):
    """``align_batch`` (weighed) of slices read where they lie: no slice is gathered into one array first.

    ``segments``: token arrays ``(hashes, exact, kinds, starts, ends)`` (uint64, uint64, uint8, uint32,
    uint32) of each segment; slice ``c`` is rows ``lo[c]:hi[c]`` of segment ``seg[c]`` or, when ``lo[c]``
    is negative, rows ``rows[-lo[c] - 1 : -hi[c] - 1]`` of it (picked rows: copied to a buffer). Returns
    ``align_batch``'s nine arrays, then each region's source characters ``(first start, last end)`` and
    each slice's (its tokens' least start, greatest end; ``(-1, -1)`` when it holds none). ``reanchor``:
    each region that is not verbatim is moved, before it is weighed, to the first place of its slice
    that holds the output's exact tokens, if one does (``match.reanchor``).

    ``stored`` (per segment: the shingle starting at each token, as the build stored it, or None) and
    ``channels`` (per slice: the first code token, first word and end rows of its source in its segment):
    a slice's shingles that lie inside the source's channel of the output (code or words) are read from
    ``stored``, the others made as without them (equal values: the build made them with the same function).
    """
    cdef Py_ssize_t n_c = seg.shape[0], n_s = len(segments), c, s, a, b, n, i, cap = 0, n_rows = rows.shape[0]
    cdef Py_ssize_t m, j, j0, j1, e
    cdef int64_t clo, chi, row
    cdef const uint64_t** sts_sh = NULL
    cdef const uint64_t* pre
    cdef const uint64_t[::1] sh_mv
    cdef int err = 0
    cdef Round r
    cdef int64_t[:, ::1] spans_mv
    cdef int64_t[:, ::1] src_mv
    cdef const uint64_t[::1] h_mv
    cdef const uint64_t[::1] x_mv
    cdef const uint8_t[::1] k_mv
    cdef const uint32_t[::1] st_mv
    cdef const uint32_t[::1] en_mv
    cdef const uint64_t** hs = NULL
    cdef const uint64_t** xs = NULL
    cdef const uint8_t** ks = NULL
    cdef const uint32_t** sts = NULL
    cdef const uint32_t** ens = NULL
    cdef Py_ssize_t* lens = NULL
    cdef uint64_t* gh = NULL
    cdef uint64_t* gx = NULL
    cdef uint8_t* gk = NULL
    cdef const uint64_t* ph
    cdef const uint64_t* px
    cdef const uint8_t* pk
    cdef int64_t first, last, lo_c, r0, r1
    cdef uint32_t v, v_min, v_max
    if lo.shape[0] != n_c or hi.shape[0] != n_c:
        raise ValueError("seg, lo and hi differ in length")
    _round_setup(&r, out_sh, out_hashes, out_exact, out_kinds, k, code, labels, min_tokens, min_distinct,
                 min_similarity, max_gap, max_occurrences, max_tiles, out_exact_sh, common, weights, out_names)
    r.reanchor = reanchor
    try:
        hs = <const uint64_t**> malloc((n_s + 1) * sizeof(void*))
        xs = <const uint64_t**> malloc((n_s + 1) * sizeof(void*))
        ks = <const uint8_t**> malloc((n_s + 1) * sizeof(void*))
        sts = <const uint32_t**> malloc((n_s + 1) * sizeof(void*))
        ens = <const uint32_t**> malloc((n_s + 1) * sizeof(void*))
        lens = <Py_ssize_t*> malloc((n_s + 1) * sizeof(Py_ssize_t))
        sts_sh = <const uint64_t**> calloc(n_s + 1, sizeof(void*))
        if hs == NULL or xs == NULL or ks == NULL or sts == NULL or ens == NULL or lens == NULL or sts_sh == NULL:
            raise MemoryError()
        for s in range(n_s):  # (the arrays stay referenced by ``segments`` for the whole call)
            t = segments[s]
            h_mv, x_mv, k_mv, st_mv, en_mv = t[0], t[1], t[2], t[3], t[4]
            n = h_mv.shape[0]
            if x_mv.shape[0] != n or k_mv.shape[0] != n or st_mv.shape[0] != n or en_mv.shape[0] != n:
                raise ValueError("source token arrays differ in length")
            hs[s], xs[s], ks[s], sts[s], ens[s], lens[s] = NULL, NULL, NULL, NULL, NULL, n
            if n:
                hs[s], xs[s], ks[s], sts[s], ens[s] = &h_mv[0], &x_mv[0], &k_mv[0], &st_mv[0], &en_mv[0]
            if stored is not None and channels is not None and stored[s] is not None and n:
                sh_mv = stored[s]
                if sh_mv.shape[0] != n:
                    raise ValueError("stored shingles and source tokens differ in length")
                sts_sh[s] = &sh_mv[0]
        if channels is not None and (channels.shape[0] != n_c or (n_c and channels.shape[1] != 3)):
            raise ValueError("channels must hold (first, words, end) per slice")
        for c in range(n_c):
            s = seg[c]
            if s < 0 or s >= n_s:
                raise ValueError("a slice names no segment")
            if lo[c] >= 0:
                if lo[c] > hi[c] or hi[c] > lens[s]:
                    raise ValueError("a slice lies outside its segment's tokens")
            else:
                a, b = -lo[c] - 1, -hi[c] - 1
                if a > b or b > n_rows:
                    raise ValueError("a slice's rows lie outside rows")
                if sts_sh[s] != NULL:  # ascending rows lie in the segment when the first and last do
                    if b - a > 1 and _descents(&rows[a], b - a):
                        raise ValueError("a slice's rows must ascend to be read with stored shingles")
                    if b > a and (rows[a] < 0 or rows[b - 1] >= lens[s]):
                        raise ValueError("a slice's rows lie outside its segment's tokens")
                else:
                    for i in range(a, b):
                        if rows[i] < 0 or rows[i] >= lens[s]:
                            raise ValueError("a slice's rows lie outside its segment's tokens")
                if b - a > cap:
                    cap = b - a
            if sts_sh[s] != NULL and not 0 <= channels[c, 0] <= channels[c, 1] <= channels[c, 2] <= lens[s]:
                raise ValueError("a slice's channels lie outside its segment's tokens")
        span_arr = np.full((n_c, 2), -1, dtype=np.int64)
        spans_mv = span_arr
        with nogil:
            err = _round_init(&r)
            if err == 0 and cap:
                gh = <uint64_t*> malloc(cap * sizeof(uint64_t))
                gx = <uint64_t*> malloc(cap * sizeof(uint64_t))
                gk = <uint8_t*> malloc(cap)
                if gh == NULL or gx == NULL or gk == NULL:
                    err = -1
            c = 0
            while err == 0 and c < n_c:
                s = seg[c]
                if lo[c] >= 0:
                    n = hi[c] - lo[c]
                    ph = hs[s] + lo[c] if n else NULL
                    px = xs[s] + lo[c] if n else NULL
                    pk = ks[s] + lo[c] if n else NULL
                    v_min, v_max = MAX32, 0  # (the least start and greatest end: written only when n)
                    for i in range(lo[c], hi[c]):
                        v = sts[s][i]
                        v_min = v if v < v_min else v_min
                        v = ens[s][i]
                        v_max = v if v > v_max else v_max
                    first, last = v_min, v_max
                else:
                    a, b = -lo[c] - 1, -hi[c] - 1
                    n = b - a
                    v_min, v_max = MAX32, 0
                    for i in range(n):
                        row = rows[a + i]
                        gh[i], gx[i], gk[i] = hs[s][row], xs[s][row], ks[s][row]
                        v = sts[s][row]
                        v_min = v if v < v_min else v_min
                        v = ens[s][row]
                        v_max = v if v > v_max else v_max
                    first, last = v_min, v_max
                    ph, px, pk = gh, gx, gk
                if n:
                    spans_mv[c, 0], spans_mv[c, 1] = first, last
                pre, m = NULL, n - r.k + 1
                if sts_sh[s] != NULL and m > 0 and r.n_out:  # the stored shingles of the output's channel
                    clo = channels[c, 0] if r.code else channels[c, 1]
                    chi = channels[c, 1] if r.code else channels[c, 2]
                    if lo[c] >= 0:
                        j0 = clo - lo[c] if clo > lo[c] else 0
                        j1 = chi - r.k + 1 - lo[c]
                        j1 = j1 if j1 < m else m
                        if j0 == 0 and j1 == m:
                            pre = sts_sh[s] + lo[c]
                        elif j0 < j1:
                            if _grow(<void**> &r.sh, &r.n_sh, m, sizeof(uint64_t)):
                                err = -1
                                break
                            _shingles_p(ph, pk, px, r.code, r.k, r.labels, j0, r.sh)
                            memcpy(r.sh + j0, sts_sh[s] + lo[c] + j0, (j1 - j0) * sizeof(uint64_t))
                            _shingles_p(ph + j1, pk + j1, px + j1, r.code, r.k, r.labels, m - j1, r.sh + j1)
                            pre = r.sh
                    else:
                        if _grow(<void**> &r.sh, &r.n_sh, m, sizeof(uint64_t)):
                            err = -1
                            break
                        j = 0  # slice positions before ``j`` have their shingle
                        i = 0
                        while i < n:  # each run of consecutive rows [i, e): its stored shingles, those before made
                            e = i + 1
                            while e < n and rows[a + e] == rows[a + e - 1] + 1:
                                e += 1
                            row = rows[a + i]
                            j0 = i + (clo - row if clo > row else 0)  # rows in the channel, k of them in the run
                            j1 = e - r.k + 1
                            if i + chi - r.k + 1 - row < j1:
                                j1 = i + chi - r.k + 1 - row
                            if j1 > m:
                                j1 = m
                            if j0 < j1:
                                if j < j0:
                                    _shingles_p(ph + j, pk + j, px + j, r.code, r.k, r.labels, j0 - j, r.sh + j)
                                memcpy(r.sh + j0, sts_sh[s] + row + (j0 - i), (j1 - j0) * sizeof(uint64_t))
                                j = j1
                            i = e
                        if j < m:
                            _shingles_p(ph + j, pk + j, px + j, r.code, r.k, r.labels, m - j, r.sh + j)
                        pre = r.sh
                err = _align_slice(&r, c, ph, px, pk, n, pre)
                c += 1
        if err:
            raise MemoryError()
        out = _round_arrays(&r, True)
        src_arr = np.empty((r.rows.n, 2), dtype=np.int64)
        src_mv = src_arr
        for i in range(r.rows.n):  # the characters of each region's first and last source token
            c = r.rows.p[i].cand
            s, lo_c = seg[c], lo[c]
            if lo_c >= 0:
                r0, r1 = lo_c + r.rows.p[i].s0, lo_c + r.rows.p[i].s1 - 1
            else:
                r0, r1 = rows[-lo_c - 1 + r.rows.p[i].s0], rows[-lo_c - 1 + r.rows.p[i].s1 - 1]
            src_mv[i, 0], src_mv[i, 1] = sts[s][r0], ens[s][r1]
        return (*out, src_arr, span_arr)
    finally:
        _round_free(&r)
        free(hs)
        free(xs)
        free(ks)
        free(sts)
        free(ens)
        free(lens)
        free(sts_sh)
        free(gh)
        free(gx)
        free(gk)


cdef void _fill_rows(const Rows* rows, int64_t[::1] cand, int64_t[:, ::1] tok, double[::1] sim,
                     uint8_t[::1] kind) noexcept:
    cdef Py_ssize_t i
    for i in range(rows.n):
        cand[i] = rows.p[i].cand
        tok[i, 0], tok[i, 1], tok[i, 2], tok[i, 3] = rows.p[i].o0, rows.p[i].o1, rows.p[i].s0, rows.p[i].s1
        sim[i], kind[i] = rows.p[i].similarity, rows.p[i].kind


cdef void _fill_evidence(const Rows* rows, int64_t[::1] boiler, int64_t[::1] exact, double[::1] weight,
                         double[::1] exact_weight, int64_t[::1] names) noexcept:
    cdef Py_ssize_t i
    for i in range(rows.n):
        boiler[i], exact[i] = rows.p[i].boiler, rows.p[i].exact
        weight[i], exact_weight[i] = rows.p[i].weight, rows.p[i].exact_weight
        names[i] = rows.p[i].names


# --- the evidence of each region (``evidence.rarity`` and ``covered``, as ``Guard._align`` weighs a match) ----------


def region_evidence(const uint64_t[::1] out_sh, const uint64_t[::1] out_exact_sh, const uint8_t[::1] common,
                    const double[::1] weights, const uint64_t[::1] src_hashes, const uint64_t[::1] src_exact,
                    const uint8_t[::1] src_kinds, const int64_t[::1] offsets, const int64_t[::1] cand,
                    const int64_t[:, ::1] tok, int k, bint code, const uint64_t[::1] labels,
                    const uint64_t[::1] out_exact=None, const uint8_t[::1] out_kinds=None,
                    const uint8_t[::1] out_names=None, const uint64_t[::1] out_hashes=None):
    """``evidence.region_evidence``: per region ``(boilerplate, exact, weight, exact_weight, names)``.

    ``weights[i]``: what output shingle ``i`` weighs when it covers a token (``n ** -rarity``). Regions
    of one candidate come one after the other: its shingle set is made once. ``out_exact``,
    ``out_kinds``, ``out_names`` and ``out_hashes``: the output's tokens, to count surviving names (code; else 0).
    """
    cdef Py_ssize_t n_r = cand.shape[0], n_out = out_sh.shape[0], r, t, lo, ns, m, prev = -1, c, cap_sh = 0
    cdef int64_t o0, o1, last
    cdef int err = 0
    cdef HashSet src_set
    cdef Weigh ws
    cdef uint64_t* sh = NULL
    cdef uint8_t* held = NULL
    if out_exact_sh.shape[0] != n_out or common.shape[0] != n_out or weights.shape[0] != n_out:
        raise ValueError("output shingle arrays differ in length")
    if tok.shape[0] != n_r or (n_r and tok.shape[1] != 4):
        raise ValueError("tok must hold (o0, o1, s0, s1) per region")
    if k > labels.shape[0]:
        raise ValueError(f"shingle width {k} exceeds the {labels.shape[0]} identifier labels")
    cdef bint naming = out_names is not None and code
    if naming and (out_exact is None or out_kinds is None or out_hashes is None or
                   out_exact.shape[0] != out_names.shape[0] or out_hashes.shape[0] != out_names.shape[0] or
                   out_kinds.shape[0] != out_names.shape[0] or (n_out and out_names.shape[0] != n_out + k - 1)):
        raise ValueError("output token arrays differ in length")
    for r in range(n_r):
        c = cand[r]
        if c < 0 or c + 1 >= offsets.shape[0] or tok[r, 0] < 0 or tok[r, 0] >= tok[r, 1] or \
                tok[r, 1] > n_out + k - 1 or tok[r, 2] < 0 or tok[r, 2] > tok[r, 3] or \
                offsets[c] + tok[r, 3] > offsets[c + 1] or offsets[c + 1] > src_hashes.shape[0]:
            raise ValueError("a region lies outside its output or source")
    boiler_arr = np.zeros(n_r, dtype=np.int64)
    exact_arr = np.zeros(n_r, dtype=np.int64)
    weight_arr = np.zeros(n_r, dtype=np.float64)
    ew_arr = np.full(n_r, np.nan, dtype=np.float64)
    names_arr = np.zeros(n_r, dtype=np.int64)
    cdef int64_t[::1] boiler = boiler_arr, exact = exact_arr, names = names_arr
    cdef double[::1] weight = weight_arr, ew_out = ew_arr
    memset(&src_set, 0, sizeof(HashSet))
    memset(&ws, 0, sizeof(Weigh))
    try:
        with nogil:
            held = <uint8_t*> calloc(n_out + 1, 1)
            if held == NULL:
                err = -1
            for r in range(n_r if err == 0 else 0):
                c = cand[r]
                if c != prev:  # the candidate's shingles, as aligned
                    free(src_set.keys)
                    src_set.keys = NULL
                    lo, ns = offsets[c], offsets[c + 1] - offsets[c]
                    m = ns - k + 1 if ns >= k else 0
                    if _grow(<void**> &sh, &cap_sh, m, sizeof(uint64_t)):
                        err = -1
                        break
                    if m:
                        _shingles_p(&src_hashes[lo], &src_kinds[lo], &src_exact[lo], code, k, &labels[0], m, sh)
                    if _set_init(&src_set, sh, m):
                        err = -1
                        break
                    prev = c
                o0, o1 = tok[r, 0], tok[r, 1]
                last = o1 - k + 1 if o1 - k + 1 > o0 else o0
                for t in range(o0, last):
                    held[t] = _set_has(&src_set, out_sh[t])
                if _weigh_region(&out_sh[0], &out_exact_sh[0], &common[0], &weights[0], held,
                                 &src_exact[offsets[c]], &src_kinds[offsets[c]], o0, o1, tok[r, 2], tok[r, 3], k, code,
                                 &labels[0], &ws, &boiler[r], &exact[r], &weight[r], &ew_out[r],
                                 &out_exact[0] if naming else NULL, &out_kinds[0] if naming else NULL,
                                 &out_names[0] if naming else NULL, &names[r],
                                 &out_hashes[0] if naming else NULL, &src_hashes[offsets[c]]):
                    err = -1
                    break
        if err:
            raise MemoryError()
        return boiler_arr, exact_arr, weight_arr, ew_arr, names_arr
    finally:
        free(src_set.keys)
        free(sh)
        free(held)
        _free_weigh(&ws)


def slice_spans(list segments, const int64_t[::1] seg, const int64_t[::1] lo, const int64_t[::1] hi,
                const int64_t[::1] rows):
    """``SliceRows.spans``: each slice's least token start and greatest token end, ``(-1, -1)`` for an empty slice.

    ``segments``: ``(starts, ends)`` (uint32) of each segment; ``seg``, ``lo``, ``hi``, ``rows`` as ``align_rows``.
    """
    cdef Py_ssize_t n_c = seg.shape[0], c, s, i, a, b, n_s = len(segments)
    cdef const uint32_t[::1] st
    cdef const uint32_t[::1] en
    cdef int64_t first, last, row
    if lo.shape[0] != n_c or hi.shape[0] != n_c:
        raise ValueError("seg, lo and hi differ in length")
    out_arr = np.full((n_c, 2), -1, dtype=np.int64)
    cdef int64_t[:, ::1] out = out_arr
    for c in range(n_c):
        s = seg[c]
        if s < 0 or s >= n_s:
            raise ValueError("a slice names no segment")
        st, en = segments[s][0], segments[s][1]
        if st.shape[0] != en.shape[0]:
            raise ValueError("token starts and ends differ in length")
        a, b = lo[c], hi[c]
        if lo[c] < 0:
            a, b = -lo[c] - 1, -hi[c] - 1
        if a > b or (lo[c] >= 0 and b > st.shape[0]) or (lo[c] < 0 and b > rows.shape[0]):
            raise ValueError("a slice lies outside its segment's tokens or rows")
        first, last = -1, -1
        for i in range(a, b):
            row = i if lo[c] >= 0 else rows[i]
            if row < 0 or row >= st.shape[0]:
                raise ValueError("a slice's rows lie outside its segment's tokens")
            if first < 0 or st[row] < first:
                first = st[row]
            if en[row] > last:
                last = en[row]
        if b > a:
            out[c, 0], out[c, 1] = first, last
    return out_arr


_new_object = object.__new__
_set_field = object.__setattr__


def attribute_batch(match_type, tuple kinds, const int64_t[::1] cand, const int64_t[:, ::1] tok,
                    const double[::1] similarity, const uint8_t[::1] kind, const int64_t[::1] out_starts,
                    const int64_t[::1] out_ends, const int64_t[:, ::1] source_spans, str lang, who, renamed,
                    boilerplate, exact, names, weight, exact_weight):
    """``match.attribute_batch``'s loop: one ``match_type`` (``Match``) per region, its fields in their order.

    ``who(c)``: ``(source, license, source_path, index)`` of slice ``c``, asked once per slice; ``renamed(c, o0, o1,
    s0, s1)``: the rename map of a renamed region (kind 1). ``boilerplate``, ``exact``, ``names``
    (int64) and ``weight``, ``exact_weight`` (float64): per region, or None (0, or None, in every ``Match``).
    """
    cdef Py_ssize_t n = cand.shape[0], i, c, o0, o1
    cdef const int64_t[::1] boiler_v, exact_v, names_v
    cdef const double[::1] weight_v, ew_v
    cdef bint has_boiler = boilerplate is not None, has_exact = exact is not None, has_names = names is not None
    cdef bint has_weight = weight is not None, has_ew = exact_weight is not None
    if tok.shape[0] != n or similarity.shape[0] != n or kind.shape[0] != n or source_spans.shape[0] != n or \
            (n and (tok.shape[1] != 4 or source_spans.shape[1] != 2)):
        raise ValueError("region arrays differ in length")
    if has_boiler:
        boiler_v = boilerplate
    if has_exact:
        exact_v = exact
    if has_names:
        names_v = names
    if has_weight:
        weight_v = weight
    if has_ew:
        ew_v = exact_weight
    if (has_boiler and boiler_v.shape[0] != n) or (has_exact and exact_v.shape[0] != n) or \
            (has_names and names_v.shape[0] != n) or (has_weight and weight_v.shape[0] != n) or \
            (has_ew and ew_v.shape[0] != n):
        raise ValueError("region measures differ in length")
    cdef Py_ssize_t n_out = out_starts.shape[0]
    if out_ends.shape[0] != n_out:
        raise ValueError("token starts and ends differ in length")
    cdef dict named = {}
    cdef list out = []
    cdef tuple w
    cdef object zero = 0
    for i in range(n):
        c = cand[i]
        o0, o1 = tok[i, 0], tok[i, 1]
        if not (0 <= o0 < n_out and 1 <= o1 <= n_out) or kind[i] >= len(kinds):
            raise ValueError("a region lies outside the output's tokens or has no kind")
        key = c
        found = named.get(key)
        if found is None:
            found = named[key] = tuple(who(c))
        w = <tuple> found
        m = _new_object(match_type)
        _set_field(m, "__dict__", {
            "source": w[0], "license": w[1], "kind": kinds[kind[i]], "similarity": similarity[i],
            "output_span": (out_starts[o0], out_ends[o1 - 1]), "source_span": (source_spans[i, 0], source_spans[i, 1]),
            "lang": lang, "tokens": o1 - o0,
            "renames": renamed(c, o0, o1, tok[i, 2], tok[i, 3]) if kind[i] == 1 else {},
            "source_path": w[2], "index": w[3], "boilerplate": boiler_v[i] if has_boiler else zero,
            "exact": exact_v[i] if has_exact else zero, "weight": weight_v[i] if has_weight else None,
            "exact_weight": ew_v[i] if has_ew else None, "names": names_v[i] if has_names else zero})
        out.append(m)
    return out


def source_rows(list pieces, const int64_t[::1] bases, list source_tok, list source_words):
    """``Index.source_rows``' loop over its pieces: which segment, rows and channels each piece reads.

    ``pieces``: ``(ref, rows)`` as ``Index.source_rows`` takes them (``rows`` a range ``(start, end)``, ``end``
    None for all, or row numbers), ``bases``: where each segment's sources start among the index's (and their
    number last), ``source_tok`` / ``source_words`` per segment. Returns ``(segments, seg, lo, hi, rows,
    channels)``: the view's segments the pieces read, in the order first read, and ``SliceRows``' arrays; None
    when a ref is out of range (the reference raises the error).
    """
    cdef Py_ssize_t n = len(pieces), i, s = -1, n_seg = bases.shape[0] - 1, lo_s, hi_s, mid, j, m
    cdef int64_t ref, base = 0, nxt = 0, first, last, words, start, end, a, b, n_picked = 0
    cdef int64_t n_src = bases[n_seg] if n_seg >= 0 else 0
    cdef const int64_t[:, ::1] tok
    cdef const int64_t[:] wrd
    cdef const int64_t[::1] picked
    cdef int64_t[::1] out_rows
    seg_arr = np.empty(n, dtype=np.int64)
    lo_arr = np.empty(n, dtype=np.int64)
    hi_arr = np.empty(n, dtype=np.int64)
    ch_arr = np.empty((n, 3), dtype=np.int64)
    cdef int64_t[::1] seg_v = seg_arr, lo_v = lo_arr, hi_v = hi_arr
    cdef int64_t[:, ::1] ch = ch_arr
    cdef list used = []  # segment positions in the view, in the order first read
    cdef dict where = {}
    cdef list picks = []
    cdef tuple piece
    for i in range(n):
        piece = <tuple> pieces[i]
        ref = piece[0]
        rows = piece[1]
        if not 0 <= ref < n_src:
            return None
        if not (s >= 0 and base <= ref < nxt):  # (a round's sources are mostly in one segment)
            lo_s, hi_s = 0, n_seg + 1  # bisect_right(bases, ref) - 1
            while lo_s < hi_s:
                mid = (lo_s + hi_s) // 2
                if ref < bases[mid]:
                    hi_s = mid
                else:
                    lo_s = mid + 1
            s = lo_s - 1
            base, nxt = bases[s], bases[s + 1]
            tok, wrd = source_tok[s], source_words[s]
            if s not in where:
                where[s] = len(used)
                used.append(s)
        first, last = tok[ref - base, 0], tok[ref - base, 1]
        words = wrd[ref - base]
        ch[i, 0], ch[i, 1], ch[i, 2] = first, words, last
        seg_v[i] = <int64_t> where[s]
        if isinstance(rows, tuple):  # as source_tokens clamps them
            start = rows[0]
            a = first + start if start > 0 else first
            a = a if a < last else last
            lo_v[i] = a
            if rows[1] is not None:
                end = rows[1]
                b = first + end if end > 0 else first
                last = b if b < last else last
            hi_v[i] = last if last > a else a
        else:
            picked = np.ascontiguousarray(rows, dtype=np.int64)
            picks.append((first, picked))
            lo_v[i] = -n_picked - 1
            n_picked += picked.shape[0]
            hi_v[i] = -n_picked - 1
    rows_arr = np.empty(n_picked, dtype=np.int64)
    out_rows = rows_arr
    j = 0
    for first, picked in picks:
        for m in range(picked.shape[0]):
            out_rows[j] = first + picked[m]
            j += 1
    return used, seg_arr, lo_arr, hi_arr, rows_arr, ch_arr


cdef Py_ssize_t _first_at_least(const uint32_t* v, Py_ssize_t lo, Py_ssize_t hi, int64_t x) noexcept nogil:
    """The first of rows ``lo:hi`` of ascending ``v`` whose value is at least ``x`` (``hi`` when none is)."""
    cdef Py_ssize_t mid
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if <int64_t> v[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef inline bint _ascends(const uint32_t* v, Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    """Whether ``v[c0:c1]`` never descends."""
    cdef Py_ssize_t i, desc = 0
    for i in range(c0 + 1, c1):  # (a loop the compiler vectorizes)
        desc += v[i] < v[i - 1]
    return desc == 0


def channels_ascending(const uint32_t[::1] starts, Py_ssize_t first, Py_ssize_t words, Py_ssize_t last):
    """What ``rows_near`` needs to know of a source: bit 0 set when its code rows' starts (``first:words``) never
    descend, bit 1 when its words' (``words:last``) do not (a source's are read once: ``Index.source_near``)."""
    if not 0 <= first <= words <= last <= starts.shape[0]:
        raise ValueError("rows outside the tokens")
    cdef const uint32_t* v = &starts[0] if starts.shape[0] else NULL
    return int(_ascends(v, first, words)) | (int(_ascends(v, words, last)) << 1)


def rows_near(const uint32_t[::1] starts, Py_ssize_t first, Py_ssize_t words, Py_ssize_t last, int64_t lo, int64_t hi,
              int ascending=-1):
    """``Index.source_near``: rows ``first:last`` of a segment's tokens whose start lies in ``[lo, hi)``, counted from
    ``first``, ascending (int64).

    ``words``: the source's first word row (its code rows are ``first:words``, its words ``words:last``). A
    channel whose starts ascend (as the build writes them) is searched by bisection; another is read through.
    ``ascending``: ``channels_ascending`` of these rows when the caller knows it (-1: each channel is read to tell).
    """
    cdef Py_ssize_t i, n = 0, j = 0, ch, c0, c1
    cdef Py_ssize_t[2] run_lo, run_hi
    cdef bint[2] ascend
    cdef int64_t a = lo if lo > 0 else 0, b = hi if hi < 0x100000000 else 0x100000000
    cdef uint32_t a32, w32
    if not 0 <= first <= words <= last <= starts.shape[0]:
        raise ValueError("rows outside the tokens")
    if b <= a:  # no uint32 start lies in [lo, hi)
        return np.zeros(0, dtype=np.int64)
    # ``a <= v < b`` as one unsigned comparison (``b - a`` is 2**32 only when every start lies there)
    cdef bint every = b - a == 0x100000000
    a32, w32 = <uint32_t> a, <uint32_t> (b - a)
    cdef const uint32_t* v = &starts[0] if starts.shape[0] else NULL
    with nogil:
        for ch in range(2):
            c0 = first if ch == 0 else words
            c1 = words if ch == 0 else last
            ascend[ch] = _ascends(v, c0, c1) if ascending < 0 else (ascending >> ch) & 1
            if ascend[ch]:
                run_lo[ch] = _first_at_least(v, c0, c1, a)
                run_hi[ch] = _first_at_least(v, run_lo[ch], c1, b)
                n += run_hi[ch] - run_lo[ch]
            else:
                for i in range(c0, c1):
                    n += every or <uint32_t> (v[i] - a32) < w32
    buf_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] buf = buf_arr
    with nogil:
        for ch in range(2):
            c0 = first if ch == 0 else words
            c1 = words if ch == 0 else last
            if ascend[ch]:
                for i in range(run_lo[ch], run_hi[ch]):
                    buf[j] = i - first
                    j += 1
            else:
                for i in range(c0, c1):
                    if every or <uint32_t> (v[i] - a32) < w32:
                        buf[j] = i - first
                        j += 1
    return buf_arr
