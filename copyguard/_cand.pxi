# The candidate stage after the band lookup, in one call each: ``rank_passages`` (budget, containment, per-source
# ranking: ``candidates.rank_candidates``) and ``held_sources`` (rare shingles -> holders -> densest runs:
# ``candidates.held_candidates``). Their numpy references are those two functions' bodies.


cdef struct Seg:
    int64_t shard, p_base, s_base, n_p, n_s, n_tok
    const int64_t* p_tok
    const uint32_t* p_source
    const int64_t* source_tok
    const uint64_t* sh


cdef struct Hit:
    int64_t shard, gid, hits


cdef struct Measured:
    int64_t key, t0, t1
    double share


cdef int _by_hits(const void* x, const void* y) noexcept nogil:
    """Most band keys shared first; ties by shard, then gid (``_within_budget``'s lexsort)."""
    cdef const Hit* p = <const Hit*> x
    cdef const Hit* q = <const Hit*> y
    if p.hits != q.hits:
        return -1 if p.hits > q.hits else 1
    if p.shard != q.shard:
        return -1 if p.shard < q.shard else 1
    return (p.gid > q.gid) - (p.gid < q.gid)


cdef int _by_place(const void* x, const void* y) noexcept nogil:
    cdef const Hit* p = <const Hit*> x
    cdef const Hit* q = <const Hit*> y
    if p.shard != q.shard:
        return -1 if p.shard < q.shard else 1
    return (p.gid > q.gid) - (p.gid < q.gid)


cdef int _by_key(const void* x, const void* y) noexcept nogil:
    cdef const Measured* p = <const Measured*> x
    cdef const Measured* q = <const Measured*> y
    return (p.key > q.key) - (p.key < q.key)


cdef int _by_best(const void* x, const void* y) noexcept nogil:
    """Best containment first, ties by key (``best_sources``'s lexsort)."""
    cdef const Measured* p = <const Measured*> x
    cdef const Measured* q = <const Measured*> y
    if p.share != q.share:
        return -1 if p.share > q.share else 1
    return (p.key > q.key) - (p.key < q.key)


def rank_passages(list found, list segs, const uint64_t[::1] values, int k, double min_containment,
                  Py_ssize_t budget, Py_ssize_t limit, int shard_shift):
    """``candidates.rank_candidates`` after the lookup, in one call.

    ``found``: per shard ``(gids, hits)`` (``Index.passage_hits``, sorted gids); ``segs``: per segment of every
    shard, in shard then ``p_base`` order, ``(shard, p_base, s_base, p_tok, p_source, source_tok, tok_shingles)``.
    The ``budget`` passages sharing most keys are measured (ties: shard, gid); those at least
    ``min_containment`` contained in ``values`` (the output's shingles, in any order) rank their sources by best containment (ties: key);
    returns ``(keys, best, first, last, truncated, more)`` of the best ``limit`` sources, ``key`` being
    ``shard << shard_shift | ref`` and ``first``/``last`` the token range their measured passages span.
    """
    cdef Py_ssize_t n_shards = len(found), n_segs = len(segs), total = 0, i, j, s, m = 0, n_groups = 0, at
    cdef Py_ssize_t n_keep
    cdef const int64_t[::1] g_mv
    cdef const int64_t[::1] h_mv
    cdef const int64_t[:, ::1] pt
    cdef const uint32_t[::1] ps
    cdef const int64_t[:, ::1] st
    cdef const uint64_t[::1] sh
    cdef int64_t[::1] ok, of, ol
    cdef double[::1] ob
    cdef Hit* hits = NULL
    cdef Seg* sg = NULL
    cdef Measured* meas = NULL
    cdef HashSet hs
    cdef int64_t pid, a, length, row, c, seg_first
    cdef double share
    cdef bint truncated = False
    cdef uint64_t bloom[64]
    cdef uint64_t v, f
    cdef int64_t* seg_at = NULL
    hs.keys = NULL
    for s in range(n_shards):
        total += len(found[s][0])
    try:
        hits = <Hit*> malloc((total if total else 1) * sizeof(Hit))
        sg = <Seg*> malloc((n_segs if n_segs else 1) * sizeof(Seg))
        meas = <Measured*> malloc((total if total else 1) * sizeof(Measured))
        if hits == NULL or sg == NULL or meas == NULL:
            raise MemoryError()
        for i in range(n_segs):
            t = segs[i]
            sg[i].shard, sg[i].p_base, sg[i].s_base = t[0], t[1], t[2]
            pt, ps, st, sh = t[3], t[4], t[5], t[6]  # typed views: contiguity and types checked here
            sg[i].n_p, sg[i].n_s, sg[i].n_tok = pt.shape[0], st.shape[0], sh.shape[0]
            if ps.shape[0] != sg[i].n_p:
                raise IndexError("passage sources do not match the passages")
            # the arrays stay referenced by ``segs`` for the whole call
            sg[i].p_tok = &pt[0, 0] if pt.shape[0] else NULL
            sg[i].p_source = &ps[0] if ps.shape[0] else NULL
            sg[i].source_tok = &st[0, 0] if st.shape[0] else NULL
            sg[i].sh = &sh[0] if sh.shape[0] else NULL
        j = 0
        for s in range(n_shards):
            g_mv, h_mv = found[s][0], found[s][1]
            if h_mv.shape[0] != g_mv.shape[0]:
                raise ValueError("passage ids and hit counts differ in length")
            for i in range(g_mv.shape[0]):
                hits[j].shard, hits[j].gid, hits[j].hits = s, g_mv[i], h_mv[i]
                j += 1
        n_keep = total
        if total > budget:
            qsort(hits, total, sizeof(Hit), _by_hits)
            n_keep = budget if budget > 0 else 0
            qsort(hits, n_keep, sizeof(Hit), _by_place)
            truncated = True
        if n_keep and _set_init(&hs, &values[0] if values.shape[0] else NULL, values.shape[0]):
            raise MemoryError()
        memset(bloom, 0, sizeof(bloom))  # a 4096-bit filter of the values: most passage shingles stop there
        for i in range(values.shape[0] if n_keep else 0):
            f = (values[i] * POLY) >> 52
            bloom[f >> 6] |= (<uint64_t> 1) << (f & 63)
        # the passages' entries sit in random places of mapped tables: their reads are asked for all at once,
        # first the passage's range and source, then its shingles and its source's range, then used
        seg_at = <int64_t*> malloc((n_keep + 1) * sizeof(int64_t))
        if seg_at == NULL:
            raise MemoryError()
        seg_first = 0
        for i in range(n_keep):
            while seg_first < n_segs and sg[seg_first].shard < hits[i].shard:
                seg_first += 1
            at = -1
            for j in range(seg_first, n_segs):
                if sg[j].shard != hits[i].shard or sg[j].p_base > hits[i].gid:
                    break
                at = j
            if at < 0:
                raise IndexError(f"passage {hits[i].gid} of shard {hits[i].shard} outside its segments")
            seg_at[i] = at
            pid = hits[i].gid - sg[at].p_base
            if 0 <= pid < sg[at].n_p:
                CG_PREFETCH(&sg[at].p_tok[2 * pid])
                CG_PREFETCH(&sg[at].p_source[pid])
        for i in range(n_keep):
            at = seg_at[i]
            pid = hits[i].gid - sg[at].p_base
            if 0 <= pid < sg[at].n_p and 0 <= sg[at].p_tok[2 * pid] < sg[at].n_tok and sg[at].p_source[pid] < sg[at].n_s:
                CG_PREFETCH(&sg[at].sh[sg[at].p_tok[2 * pid]])
                CG_PREFETCH(&sg[at].source_tok[2 * sg[at].p_source[pid]])
        for i in range(n_keep):
            at = seg_at[i]
            pid = hits[i].gid - sg[at].p_base
            if pid >= sg[at].n_p or sg[at].p_tok[2 * pid] < 0 or sg[at].p_tok[2 * pid + 1] > sg[at].n_tok \
                    or sg[at].p_source[pid] >= sg[at].n_s:
                raise IndexError(f"passage {pid} outside the segment")
            a = sg[at].p_tok[2 * pid]
            length = sg[at].p_tok[2 * pid + 1] - a - k + 1
            if values.shape[0] == 0 and min_containment > 0:
                continue
            share = 0.0
            if length > 0 and values.shape[0]:
                c = 0
                for j in range(a, a + length):
                    v = sg[at].sh[j]
                    f = (v * POLY) >> 52
                    if (bloom[f >> 6] >> (f & 63)) & 1:
                        c += _set_has(&hs, v)
                share = <double> c / <double> length
            if share >= min_containment:
                row = sg[at].p_source[pid]
                meas[m].key = (hits[i].shard << shard_shift) | (row + sg[at].s_base)
                meas[m].t0 = sg[at].p_tok[2 * pid] - sg[at].source_tok[2 * row]
                meas[m].t1 = sg[at].p_tok[2 * pid + 1] - sg[at].source_tok[2 * row]
                meas[m].share = share
                m += 1
        # one entry per source: its best share and the token range of all its measured passages
        qsort(meas, m, sizeof(Measured), _by_key)
        for i in range(m):
            if n_groups and meas[n_groups - 1].key == meas[i].key:
                meas[n_groups - 1].t0 = min(meas[n_groups - 1].t0, meas[i].t0)
                meas[n_groups - 1].t1 = max(meas[n_groups - 1].t1, meas[i].t1)
                meas[n_groups - 1].share = max(meas[n_groups - 1].share, meas[i].share)
            else:
                meas[n_groups] = meas[i]
                n_groups += 1
        qsort(meas, n_groups, sizeof(Measured), _by_best)
        n_keep = min(n_groups, max(limit, 0))
        keys_arr = np.empty(n_keep, dtype=np.int64)
        best_arr = np.empty(n_keep, dtype=np.float64)
        first_arr = np.empty(n_keep, dtype=np.int64)
        last_arr = np.empty(n_keep, dtype=np.int64)
        ok, ob, of, ol = keys_arr, best_arr, first_arr, last_arr
        for i in range(n_keep):
            ok[i], ob[i], of[i], ol[i] = meas[i].key, meas[i].share, meas[i].t0, meas[i].t1
        return keys_arr, best_arr, first_arr, last_arr, truncated, n_groups > limit
    finally:
        free(hs.keys)
        free(hits)
        free(sg)
        free(meas)
        free(seg_at)


cdef struct HeldPair:
    int64_t key, value, seg


cdef inline bint _pair_before(const HeldPair* p, const HeldPair* q) noexcept nogil:
    return p.key < q.key or (p.key == q.key and p.value < q.value)


cdef int _sort_pairs(HeldPair* a, Py_ssize_t n) noexcept nogil:
    """Sort ``a`` by key, then value (a key's pairs are one segment's: no two pairs are equal), without
    ``qsort``'s call per comparison: runs of 16 by insertion, then merged pairwise. -1 when out of memory."""
    cdef Py_ssize_t i, j, k, lo, mid, hi, w = 16
    cdef HeldPair x
    cdef HeldPair* src = a
    cdef HeldPair* dst
    cdef HeldPair* buf
    lo = 0
    while lo < n:
        hi = min(lo + w, n)
        for i in range(lo + 1, hi):
            x = a[i]
            j = i - 1
            while j >= lo and _pair_before(&x, &a[j]):
                a[j + 1] = a[j]
                j -= 1
            a[j + 1] = x
        lo = hi
    if n <= w:
        return 0
    buf = <HeldPair*> malloc(n * sizeof(HeldPair))
    if buf == NULL:
        return -1
    dst = buf
    while w < n:
        lo = 0
        while lo < n:
            mid, hi = min(lo + w, n), min(lo + 2 * w, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if _pair_before(&src[j], &src[i]):
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
            lo = hi
        src, dst = dst, src
        w *= 2
    if src != a:
        memcpy(a, src, n * sizeof(HeldPair))
    free(buf)
    return 0


cdef struct HeldGroup:
    int64_t key, n, start, seg


cdef int _by_count(const void* x, const void* y) noexcept nogil:
    """Most shingles held first, ties by key (shard, then ref)."""
    cdef const HeldGroup* p = <const HeldGroup*> x
    cdef const HeldGroup* q = <const HeldGroup*> y
    if p.n != q.n:
        return -1 if p.n > q.n else 1
    return (p.key > q.key) - (p.key < q.key)


ctypedef fused sorted_key_t:
    uint32_t
    int64_t


cdef bint _in_sorted(const sorted_key_t* xs, Py_ssize_t n, sorted_key_t v) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if xs[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < n and xs[lo] == v


def held_sources(const uint64_t[::1] shingles, const uint8_t[::1] streams, const uint8_t[::1] common,
                 const int64_t[::1] counts, int max_count, list segs, Py_ssize_t min_held, Py_ssize_t limit,
                 const int64_t[::1] exclude, const int64_t[:, ::1] margins, int shard_shift, Py_ssize_t max_runs):
    """``candidates.held_candidates`` in one call: ``(keys, lo, hi)`` of the sources to align.

    The rare shingles (not ``common``, held by 1 to ``max_count`` sources: ``counts``) of every stream together
    (``streams``: the bit of the stream each shingle is from, ``margins.shape[1]`` streams) are looked up in each
    segment's count table; each live holder is a pair; sources with ``min_held`` pairs or more and not in
    ``exclude`` (sorted keys) are taken most pairs first (ties: key), at most ``limit``; each is sliced, per stream
    whose rare shingles it holds, around the densest runs of its tokens starting one of them (runs split where two
    are over ``margins[shard, stream]`` apart; the first ``max_runs`` runs holding as many as the densest, the
    first only when that is one position);
    ``lo``/``hi`` (shape: sources, streams, ``max_runs``) are -1 for a stream it holds none of and past its runs. ``segs``: per segment of every shard ``(shard, s_base, df_keys, df_dir,
    holders, dead_sources, source_tok, tok_shingles)``; ``key``: ``shard << shard_shift | ref``.
    """
    cdef Py_ssize_t n = shingles.shape[0], n_rare = 0, n_values = 0, i, j, s, n_segs = len(segs), n_pairs = 0
    cdef Py_ssize_t n_groups = 0, cols, taken, lo_i, best_n, n_pos, g, n_held, a, b, mid, ch, k, n_maybe, c
    cdef Py_ssize_t cur_seg, cap_pos = 0, cap_held = 0
    cdef Py_ssize_t n_streams = margins.shape[1]
    cdef uint64_t[::1] values
    cdef uint64_t* hv = NULL
    cdef uint8_t* hm = NULL
    cdef uint8_t* vmask = NULL
    cdef int64_t* first = NULL
    cdef int64_t* found = NULL
    cdef HeldPair* pairs = NULL
    cdef HeldGroup* groups = NULL
    cdef int64_t* pos = NULL
    cdef uint8_t* pm = NULL
    cdef int64_t* sp = NULL
    cdef const uint64_t[::1] dk
    cdef const int64_t[::1] dd
    cdef const uint32_t[:, ::1] hold
    cdef const uint32_t[::1] dead
    cdef const int64_t[:, ::1] st
    cdef const uint64_t[::1] sh
    cdef int64_t shard, s_base, row, t0, t1, margin, h, ref
    cdef uint64_t v, f
    cdef uint64_t bloom[64]
    cdef uint8_t bit, mine
    cdef int bits
    cdef int64_t[:, :, ::1] olo, ohi
    cdef Py_ssize_t r
    cdef int64_t[::1] ok
    if common.shape[0] != n or counts.shape[0] != n or streams.shape[0] != n:
        raise ValueError("shingles, streams, common and counts differ in length")
    if n_streams > 8:
        raise ValueError("at most 8 streams")
    if max_runs < 1:
        raise ValueError("max_runs must be at least 1")
    empty = np.zeros(0, dtype=np.int64)
    none = np.zeros((0, n_streams, max_runs), dtype=np.int64)
    if min_held <= 0 or limit <= 0 or n == 0:
        return empty, none, none
    try:
        values_arr = np.empty(n, dtype=np.uint64)
        values = values_arr
        for i in range(n):
            if not common[i] and counts[i] > 0 and counts[i] <= max_count:
                values[n_rare] = shingles[i]
                n_rare += 1
        if n_rare < min_held:
            return empty, none, none
        cg_sort_u64(&values[0], n_rare)
        for i in range(n_rare):
            if i == 0 or values[i] != values[n_values - 1]:
                values[n_values] = values[i]
                n_values += 1
        first = <int64_t*> malloc(n_values * sizeof(int64_t))
        found = <int64_t*> malloc(n_values * sizeof(int64_t))
        vmask = <uint8_t*> calloc(n_values, sizeof(uint8_t))
        if first == NULL or found == NULL or vmask == NULL:
            raise MemoryError()
        for i in range(n):  # the streams each distinct rare value is from
            if not common[i] and counts[i] > 0 and counts[i] <= max_count:
                a, b = 0, n_values
                while a < b:
                    mid = (a + b) >> 1
                    if values[mid] < shingles[i]:
                        a = mid + 1
                    else:
                        b = mid
                vmask[a] |= streams[i]
        # every (source, value) pair, segment by segment
        for s in range(n_segs):
            t = segs[s]
            dk, dd, hold = t[2], t[3], t[4]
            if dk.shape[0] == 0:
                continue
            if hold.shape[0] != dk.shape[0]:
                raise IndexError("holders do not match the count table")
            bits = int(dd.shape[0] - 1).bit_length() - 1
            if dd.shape[0] != (1 << bits) + 1:
                raise ValueError("directory does not match the count table")
            _find_all(dk, dd, bits, values[:n_values], first, found)
            cols = hold.shape[1]
            pairs = <HeldPair*> realloc(pairs, (n_pairs + n_values * cols + 1) * sizeof(HeldPair))
            if pairs == NULL:
                raise MemoryError()
            dead, s_base, shard = t[5], t[1], t[0]
            for i in range(n_values):  # the holders' rows are read next, in random places of a mapped table
                if found[i]:
                    CG_PREFETCH(&hold[first[i], 0])
            for i in range(n_values):
                if not found[i]:
                    continue
                for j in range(cols):
                    h = hold[first[i], j]
                    if h == 0xFFFFFFFF or (dead.shape[0] and _in_sorted(&dead[0], dead.shape[0], <uint32_t> h)):
                        continue
                    pairs[n_pairs].key = (shard << shard_shift) | (h + s_base)
                    pairs[n_pairs].value, pairs[n_pairs].seg = i, s
                    n_pairs += 1
        if _sort_pairs(pairs, n_pairs) < 0:
            raise MemoryError()
        groups = <HeldGroup*> malloc((n_pairs + 1) * sizeof(HeldGroup))
        if groups == NULL:
            raise MemoryError()
        i = 0
        while i < n_pairs:
            j = i
            while j < n_pairs and pairs[j].key == pairs[i].key:
                j += 1
            if j - i >= min_held and not (exclude.shape[0] and _in_sorted(&exclude[0], exclude.shape[0], pairs[i].key)):
                groups[n_groups].key, groups[n_groups].n = pairs[i].key, j - i
                groups[n_groups].start, groups[n_groups].seg = i, pairs[i].seg
                n_groups += 1
            i = j
        qsort(groups, n_groups, sizeof(HeldGroup), _by_count)
        taken = min(n_groups, limit)
        keys_arr = np.empty(taken, dtype=np.int64)
        lo_arr = np.full((taken, n_streams, max_runs), -1, dtype=np.int64)
        hi_arr = np.full((taken, n_streams, max_runs), -1, dtype=np.int64)
        ok, olo, ohi = keys_arr, lo_arr, hi_arr
        cur_seg = -1
        for g in range(taken):  # the buffers below, made once for the longest source and the most pairs
            if groups[g].seg != cur_seg:
                cur_seg = groups[g].seg
                st, s_base = segs[cur_seg][6], segs[cur_seg][1]
            row = (groups[g].key & ((<int64_t> 1 << shard_shift) - 1)) - s_base
            if 0 <= row < st.shape[0] and st[row, 1] - st[row, 0] + 1 > cap_pos:
                cap_pos = st[row, 1] - st[row, 0] + 1
            cap_held = max(cap_held, groups[g].n)
        pos = <int64_t*> malloc((cap_pos + 1) * sizeof(int64_t))
        pm = <uint8_t*> malloc((cap_pos + 1) * sizeof(uint8_t))
        sp = <int64_t*> malloc((cap_pos + 1) * sizeof(int64_t))
        hv = <uint64_t*> malloc((cap_held + 1) * sizeof(uint64_t))
        hm = <uint8_t*> malloc((cap_held + 1) * sizeof(uint8_t))
        if pos == NULL or pm == NULL or sp == NULL or hv == NULL or hm == NULL:
            raise MemoryError()
        cur_seg = -1
        for g in range(taken):
            if groups[g].seg != cur_seg:  # (a segment's views are taken once, not per source)
                cur_seg = groups[g].seg
                t = segs[cur_seg]
                st, sh = t[6], t[7]
                shard, s_base = t[0], t[1]
            ref = groups[g].key & ((<int64_t> 1 << shard_shift) - 1)
            row = ref - s_base
            if row < 0 or row >= st.shape[0] or st[row, 0] < 0 or st[row, 1] > sh.shape[0] or st[row, 1] < st[row, 0]:
                raise IndexError(f"source {ref} outside its segment")
            t0, t1 = st[row, 0], st[row, 1]
            if shard < 0 or shard >= margins.shape[0]:
                raise IndexError("no margin for this shard")
            n_held = groups[g].n
            mine = 0
            for j in range(n_held):  # ascending: pairs are sorted by value within a source
                hv[j] = values[pairs[groups[g].start + j].value]
                hm[j] = vmask[pairs[groups[g].start + j].value]
                mine |= hm[j]
            memset(bloom, 0, sizeof(bloom))
            for j in range(n_held):  # (shingles are mix64's: their top bits are evenly spread)
                f = hv[j] >> 52
                bloom[f >> 6] |= (<uint64_t> 1) << (f & 63)
            n_pos = 0
            # the source's tokens starting one of its held shingles: a 4096-bit filter (``cg_bloom_scan``) keeps few
            n_maybe = cg_bloom_scan(&sh[t0], t1 - t0, bloom, sp) if t1 > t0 else 0
            for c in range(n_maybe):
                i = sp[c]
                v = sh[t0 + i]
                a, b = 0, n_held
                while a < b:
                    mid = (a + b) >> 1
                    if hv[mid] < v:
                        a = mid + 1
                    else:
                        b = mid
                if a < n_held and hv[a] == v:
                    pos[n_pos], pm[n_pos] = i, hm[a]
                    n_pos += 1
            ok[g] = groups[g].key
            for ch in range(n_streams):
                bit = <uint8_t> (1 << ch)
                if not (mine & bit):
                    continue
                margin = margins[shard, ch]
                k = 0
                for i in range(n_pos):  # this stream's positions
                    if pm[i] & bit:
                        sp[k] = pos[i]
                        k += 1
                if k == 0:
                    olo[g, ch, 0], ohi[g, ch, 0] = 0, t1 - t0
                    continue
                # the most positions a run holds (runs split where two are over ``margin`` apart) ...
                lo_i, best_n = 0, 0
                for i in range(1, k + 1):
                    if i == k or sp[i] - sp[i - 1] > margin:
                        best_n = max(best_n, i - lo_i)
                        lo_i = i
                # ... and the first ``max_runs`` runs holding that many
                lo_i, r = 0, 0
                for i in range(1, k + 1):
                    if i == k or sp[i] - sp[i - 1] > margin:
                        if i - lo_i == best_n and r < max_runs and (r == 0 or best_n > 1):
                            olo[g, ch, r] = max(sp[lo_i] - margin, 0)
                            ohi[g, ch, r] = sp[i - 1] + margin
                            r += 1
                        lo_i = i
        return keys_arr, lo_arr, hi_arr
    finally:
        free(hv)
        free(hm)
        free(vmask)
        free(first)
        free(found)
        free(pairs)
        free(groups)
        free(pos)
        free(pm)
        free(sp)


cdef uint64_t EMPTY64 = 0xFFFFFFFFFFFFFFFFULL


cdef Py_ssize_t _distinct(const uint64_t[:, ::1] keys, uint64_t* out, uint64_t* slots, uint64_t mask) noexcept nogil:
    """The distinct values of ``keys`` into ``out``, in the order they first occur: an open-addressing set of
    ``mask + 1`` zeroed ``slots`` (0 marks an empty slot, so a key 0 is kept aside). No sort: the lookup reads
    them in any order, and its hits are counted by passage, not by key."""
    cdef Py_ssize_t d = 0, i, j
    cdef uint64_t v, slot
    cdef bint zero = False
    for i in range(keys.shape[0]):
        for j in range(keys.shape[1]):
            v = keys[i, j]
            if v == 0:
                if not zero:
                    zero = True
                    out[d] = 0
                    d += 1
                continue
            slot = mix64(v) & mask
            while slots[slot] != 0 and slots[slot] != v:
                slot = (slot + 1) & mask
            if slots[slot] == 0:
                slots[slot] = v
                out[d] = v
                d += 1
    return d


def passage_hits(const uint64_t[:, ::1] keys, list segs, Py_ssize_t max_hits, Py_ssize_t max_needles):
    """``index.query.passage_hits`` in one call: the distinct band keys of ``keys`` looked up in every segment
    (``segs``: ``(keys, pids, directory, dead_passages, p_base)`` each, in ``p_base`` order); returns the sorted
    live global passage ids hit and how many distinct keys each holds, or ``None`` when there are more than
    ``max_needles`` distinct keys (the caller then looks them up in chunks, bounding memory)."""
    cdef Py_ssize_t n = keys.shape[0] * keys.shape[1], i, j, s, d = 0, total, m, w = 0, cap = 0
    cdef const uint64_t[::1] bk
    cdef const uint32_t[::1] pids
    cdef const int64_t[::1] dd
    cdef const uint32_t[::1] dead
    cdef uint64_t[::1] needles
    cdef uint64_t* slots = NULL
    cdef uint64_t* packed = NULL
    cdef int64_t* first = NULL
    cdef int64_t* count = NULL
    cdef int64_t* out_g = NULL
    cdef int64_t* out_h = NULL
    cdef int64_t p_base
    cdef uint64_t size = 16, pmask, slot, pid
    cdef int bits
    cdef int64_t[::1] og, oh
    needles_arr = np.empty(n, dtype=np.uint64)
    needles = needles_arr
    while size < 2 * <uint64_t> n:
        size <<= 1
    try:
        slots = <uint64_t*> calloc(size, sizeof(uint64_t))
        if slots == NULL:
            raise MemoryError()
        if n:
            d = _distinct(keys, &needles[0], slots, size - 1)
        if d > max_needles:
            return None
        first = <int64_t*> malloc((d + 1) * sizeof(int64_t))
        count = <int64_t*> malloc((d + 1) * sizeof(int64_t))
        if first == NULL or count == NULL:
            raise MemoryError()
        for s in range(len(segs)):
            t = segs[s]
            bk, pids, dd, dead, p_base = t[0], t[1], t[2], t[3], t[4]
            bits = int(dd.shape[0] - 1).bit_length() - 1
            if dd.shape[0] != (1 << bits) + 1 or pids.shape[0] != bk.shape[0]:
                raise ValueError("band directory or passage ids do not match the keys")
            if d == 0:
                continue
            _find_all(bk, dd, bits, needles[:d], first, count)
            total = 0
            for i in range(d):
                if max_hits >= 0 and count[i] > max_hits:
                    count[i] = 0
                if count[i]:
                    CG_PREFETCH(&pids[first[i]])
                total += count[i]
            # hits counted per passage in a hash table of pid << 32 | hits (all ones: empty; a count never gets
            # there, it is at most ``d``), then sorted by pid
            size = 16
            while size < 2 * <uint64_t> total:
                size <<= 1
            packed = <uint64_t*> realloc(packed, size * sizeof(uint64_t))
            if packed == NULL:
                raise MemoryError()
            memset(packed, 0xFF, size * sizeof(uint64_t))
            pmask = size - 1
            for i in range(d):
                for j in range(count[i]):
                    pid = pids[first[i] + j]
                    slot = mix64(pid) & pmask
                    while packed[slot] != EMPTY64 and (packed[slot] >> 32) != pid:
                        slot = (slot + 1) & pmask
                    if packed[slot] == EMPTY64:
                        packed[slot] = pid << 32
                    packed[slot] += 1
            m = 0
            for i in range(<Py_ssize_t> size):  # the distinct passages to the front, then in pid order
                if packed[i] != EMPTY64:
                    packed[m] = packed[i]
                    m += 1
            cg_sort_u64(packed, m)
            if w + m > cap:
                cap = w + m + 16
                out_g = <int64_t*> realloc(out_g, cap * sizeof(int64_t))
                out_h = <int64_t*> realloc(out_h, cap * sizeof(int64_t))
                if out_g == NULL or out_h == NULL:
                    raise MemoryError()
            for i in range(m):
                pid = packed[i] >> 32
                if not (dead.shape[0] and _in_sorted(&dead[0], dead.shape[0], <uint32_t> pid)):
                    out_g[w], out_h[w] = <int64_t> pid + p_base, <int64_t> (packed[i] & 0xFFFFFFFFULL)
                    w += 1
        gids_arr = np.empty(w, dtype=np.int64)
        counts_arr = np.empty(w, dtype=np.int64)
        og, oh = gids_arr, counts_arr
        for i in range(w):
            og[i], oh[i] = out_g[i], out_h[i]
        return gids_arr, counts_arr
    finally:
        free(slots)
        free(packed)
        free(first)
        free(count)
        free(out_g)
        free(out_h)


def unmatchable(const uint64_t[::1] shingles, const uint8_t[::1] common, uint64_t salt):
    """``candidates.without``'s shingles: a copy of ``shingles`` with each position ``i`` that ``common`` marks
    replaced by ``mix64(i ^ salt)`` (equal to no indexed shingle); ``None`` when ``common`` marks none."""
    cdef Py_ssize_t n = shingles.shape[0], i, first = -1
    if common.shape[0] != n:
        raise ValueError("shingles and common differ in length")
    for i in range(n):
        if common[i]:
            first = i
            break
    if first < 0:
        return None
    out_arr = np.array(shingles, dtype=np.uint64, copy=True)
    cdef uint64_t[::1] out = out_arr
    with nogil:
        for i in range(first, n):
            if common[i]:
                out[i] = mix64((<uint64_t> i) ^ salt)
    return out_arr
