# Included by _core.pyx: the sort of ``index/bands.py``'s ``sort_with_order``, which a build runs on its band keys
# and on its shingles (holders table) and a compaction on its band keys: the packing of positions fused into a
# radix sort (numpy's comparison sort of the same packed array was 15% of a code build), and after it the
# gather of the keys in sorted order with its reads prefetched.

cdef uint64_t LOW32 = 0xFFFFFFFFULL


def sorted_positions(const uint64_t[::1] keys):
    """``np.sort(pack_positions(keys))``: the packed keys ordered by high half, then position (fewer than ``2**32``
    keys). A stable LSD radix sort of the high 32 bits, a byte a pass, the positions laid in order before the first:
    the same array as numpy's comparison sort, several times faster on millions of keys (a pass whose byte is the
    same in every key is skipped)."""
    cdef Py_ssize_t n = keys.shape[0], i, total, c
    cdef Py_ssize_t* counts
    cdef Py_ssize_t* slot
    cdef int p, shift
    cdef uint64_t v
    cdef uint64_t* src
    cdef uint64_t* dst
    cdef uint64_t* tmp
    a_arr = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] a = a_arr
    if n == 0:
        return a_arr
    b_arr = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] b = b_arr
    counts = <Py_ssize_t*> calloc(4 * 256, sizeof(Py_ssize_t))
    if counts == NULL:
        raise MemoryError()
    src, dst = &a[0], &b[0]
    with nogil:
        for i in range(n):
            v = (keys[i] & ~LOW32) | <uint64_t> i
            src[i] = v
            counts[(v >> 32) & 255] += 1
            counts[256 + ((v >> 40) & 255)] += 1
            counts[512 + ((v >> 48) & 255)] += 1
            counts[768 + (v >> 56)] += 1
        for p in range(4):
            shift = 32 + 8 * p
            slot = counts + 256 * p
            if slot[(src[0] >> shift) & 255] == n:  # one byte everywhere: the pass would move nothing
                continue
            total = 0
            for i in range(256):  # counts become each byte's first slot
                c = slot[i]
                slot[i] = total
                total += c
            for i in range(n):
                if i + 16 < n:
                    CG_PREFETCH(&dst[slot[(src[i + 16] >> shift) & 255]])
                v = src[i]
                c = (v >> shift) & 255
                dst[slot[c]] = v
                slot[c] += 1
            tmp = src
            src = dst
            dst = tmp
    free(counts)
    return a_arr if src == &a[0] else b_arr


def unpack_positions(const uint64_t[::1] keys, const uint64_t[::1] packed):
    """From the sorted ``pack_positions``: ``order`` (int64 positions), ``seen = keys[order]``, and where the keys
    come out of order (``np.flatnonzero(seen[1:] < seen[:-1])``: within a run of one high half)."""
    cdef Py_ssize_t n = packed.shape[0], i, m = 0, cap = 64
    cdef uint64_t pos
    cdef int64_t* found
    cdef int64_t* grown
    cdef int64_t[::1] out_of_order
    if keys.shape[0] != n:
        raise ValueError("unpack_positions: keys and packed differ in length")
    order_arr = np.empty(n, dtype=np.int64)
    seen_arr = np.empty(n, dtype=np.uint64)
    cdef int64_t[::1] order = order_arr
    cdef uint64_t[::1] seen = seen_arr
    found = <int64_t*> malloc(cap * sizeof(int64_t))
    if found == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                if i + 16 < n:
                    CG_PREFETCH(&keys[packed[i + 16] & LOW32])
                pos = packed[i] & LOW32
                order[i] = <int64_t> pos
                seen[i] = keys[pos]
                if i and seen[i] < seen[i - 1]:
                    if m == cap:
                        grown = <int64_t*> realloc(found, 2 * cap * sizeof(int64_t))
                        if grown == NULL:
                            m = -1
                            break
                        found, cap = grown, 2 * cap
                    found[m] = i - 1
                    m += 1
        if m < 0:
            raise MemoryError()
        out_arr = np.empty(m, dtype=np.int64)
        out_of_order = out_arr
        for i in range(m):
            out_of_order[i] = found[i]
    finally:
        free(found)
    return order_arr, seen_arr, out_arr


def holder_rows(const uint64_t[::1] keys, const uint64_t[::1] sorted_shingles, const int64_t[::1] order,
                const int64_t[::1] rows, uint32_t[:, ::1] out):
    """``df.holders`` after its sort: per run of one shingle in ``sorted_shingles`` (the rows holding it,
    ``rows[order[i]]``, ascending), the distinct rows written into ``out`` at the shingle's position in ``keys``
    (sorted, distinct) when at most ``out.shape[1]`` rows hold it and ``keys`` holds it; ``out`` is left as it
    is elsewhere."""
    cdef Py_ssize_t n = sorted_shingles.shape[0], nk = keys.shape[0], width = out.shape[1], i = 0, j, at = 0, d
    cdef Py_ssize_t distinct
    cdef uint64_t s
    cdef int64_t r, last
    cdef int64_t first[8]
    if order.shape[0] != n or out.shape[0] != nk or width > 8:
        raise ValueError("holder_rows: arrays do not match")
    with nogil:
        while i < n:
            s = sorted_shingles[i]
            distinct, last, j = 0, -1, i
            while j < n and sorted_shingles[j] == s:
                if j + 16 < n:  # order is a permutation: rows are read at random
                    CG_PREFETCH(&rows[order[j + 16]])
                r = rows[order[j]]
                if j == i or r != last:
                    if distinct < width:
                        first[distinct] = r
                    distinct += 1
                    last = r
                j += 1
            while at < nk and keys[at] < s:  # the shingles come in ascending order: the table is merged, not searched
                at += 1
            if distinct <= width and at < nk and keys[at] == s:
                for d in range(distinct):
                    out[at, d] = <uint32_t> first[d]
            i = j
