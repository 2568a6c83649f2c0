# Included by _core.pyx: the sorts of ``index/bands.py``, which a build runs on its band keys (``band_table``)
# and on its shingles (holders table) and a compaction on its band keys (``sort_with_order``): a bucketed radix
# sort (``_radix.h``) that carries each key's position along, where the packed sort before it (high half and
# position in one word) had to gather every key back by position, at random, afterwards.

cdef extern from "_radix.h" nogil:
    int cg_sort_with_order(const uint64_t* keys, Py_ssize_t n, uint64_t* out_keys, int64_t* out_order,
                           uint32_t* out_pos, const uint32_t* payload, uint32_t divisor)


def sort_with_order(const uint64_t[::1] keys):
    """``bands.sort_with_order``: ``(keys[order], order)``, ``order`` the stable argsort (int64) of fewer than
    ``2**32`` keys, by the bucketed radix sort of ``_radix.h``."""
    cdef Py_ssize_t n = keys.shape[0]
    cdef int rc = 0
    out_arr = np.empty(n, dtype=np.uint64)
    order_arr = np.empty(n, dtype=np.int64)
    cdef uint64_t[::1] out = out_arr
    cdef int64_t[::1] order = order_arr
    if n:
        with nogil:
            rc = cg_sort_with_order(&keys[0], n, &out[0], &order[0], NULL, NULL, 0)
    if rc:
        raise MemoryError()
    return out_arr, order_arr


def band_table(const uint64_t[:, ::1] band_keys):
    """``bands.band_table``: every band key sorted, and the passage (row) of each, equal keys by ascending row
    (fewer than ``2**32`` keys); the sort of ``sort_with_order`` writing rows, not positions."""
    cdef Py_ssize_t n = band_keys.shape[0] * band_keys.shape[1]
    cdef uint32_t width = <uint32_t> band_keys.shape[1]
    cdef int rc = 0
    keys_arr = np.empty(n, dtype=np.uint64)
    pids_arr = np.empty(n, dtype=np.uint32)
    cdef uint64_t[::1] keys = keys_arr
    cdef uint32_t[::1] pids = pids_arr
    if n:
        with nogil:
            rc = cg_sort_with_order(&band_keys[0, 0], n, &keys[0], NULL, &pids[0], NULL, width)
    if rc:
        raise MemoryError()
    return keys_arr, pids_arr


def counts_holders(const uint64_t[::1] values, const int64_t[::1] lengths, const int64_t[::1] unheld, int width):
    """``df.counts_and_holders``: the sets ``values`` holds one after the other (``lengths``; each set's values
    distinct, fewer than ``2**32`` values in all) as their source-count table ``(keys, counts)`` and its holders
    table ((len(keys), width) uint32: the sets holding a nonzero key when at most ``width`` do, ascending,
    ``0xFFFFFFFF`` elsewhere), from one sort that carries each value's set along. The last ``unheld[s]`` values
    of set ``s`` are counted but hold nothing: no holder names the set for them (its name keys)."""
    cdef Py_ssize_t n = values.shape[0], n_sets = lengths.shape[0], i, j, k, m = 0, s, at = 0, d
    cdef int rc = 0
    cdef int64_t total = 0
    cdef uint32_t h
    if unheld.shape[0] != n_sets or n_sets >= 1 << 31:
        raise ValueError("counts_holders: unheld does not match the sets")
    for s in range(n_sets):
        if lengths[s] < 0 or unheld[s] < 0 or unheld[s] > lengths[s]:
            raise ValueError("counts_holders: a negative length")
        total += lengths[s]
    if total != n or width < 1:
        raise ValueError("counts_holders: lengths do not add up to the values")
    set_arr = np.empty(n, dtype=np.uint32)
    sorted_arr = np.empty(n, dtype=np.uint64)
    held_arr = np.empty(n, dtype=np.uint32)
    cdef uint32_t[::1] of_set = set_arr
    cdef uint64_t[::1] srt = sorted_arr
    cdef uint32_t[::1] held = held_arr
    with nogil:
        for s in range(n_sets):  # (the top bit marks a value the set counts without holding it)
            for j in range(lengths[s] - unheld[s]):
                of_set[at] = <uint32_t> s
                at += 1
            for j in range(unheld[s]):
                of_set[at] = <uint32_t> s | 0x80000000u
                at += 1
        if n:
            rc = cg_sort_with_order(&values[0], n, &srt[0], NULL, &held[0], &of_set[0], 0)
        i = 0
        while i < n and rc == 0:
            j = i + 1
            while j < n and srt[j] == srt[i]:
                j += 1
            m += 1
            i = j
    if rc:
        raise MemoryError()
    keys_arr = np.empty(m, dtype=np.uint64)
    counts_arr = np.empty(m, dtype=np.uint32)
    rows_arr = np.full((m, width), 0xFFFFFFFF, dtype=np.uint32)
    cdef uint64_t[::1] keys = keys_arr
    cdef uint32_t[::1] counts = counts_arr
    cdef uint32_t[:, ::1] rows = rows_arr
    with nogil:
        i, m = 0, 0
        while i < n:
            j = i + 1
            d = 0  # the sets holding the key (values not marked), in order
            if not held[i] & 0x80000000u:
                d = 1
            while j < n and srt[j] == srt[i]:
                if not held[j] & 0x80000000u:
                    d += 1
                j += 1
            keys[m], counts[m] = srt[i], <uint32_t> (j - i)
            if 0 < d <= width and srt[i] != 0:  # (no token holds shingle 0: df.holders names none for it)
                d = 0
                for k in range(i, j):
                    h = held[k]
                    if not h & 0x80000000u:
                        rows[m, d] = h
                        d += 1
            m += 1
            i = j
    return keys_arr, counts_arr, rows_arr


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
