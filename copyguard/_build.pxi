# Included by _core.pyx: the passes around the sort of ``index/bands.py``'s ``sort_with_order``, which a build
# runs on its band keys and on its shingles (holders table) and a compaction on its band keys. The sort itself
# stays numpy's; these are the elementwise passes before and after it, fused (one fresh array each instead of
# several numpy temporaries) and, after it, the gather of the keys in sorted order with its reads prefetched.

cdef uint64_t LOW32 = 0xFFFFFFFFULL


def pack_positions(const uint64_t[::1] keys):
    """``(keys & ~0xFFFFFFFF) | position`` of every key (fewer than ``2**32`` keys)."""
    cdef Py_ssize_t n = keys.shape[0], i
    out_arr = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] out = out_arr
    with nogil:
        for i in range(n):
            out[i] = (keys[i] & ~LOW32) | <uint64_t> i
    return out_arr


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
