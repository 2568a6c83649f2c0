# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The compiled core: the hot loops of sketching, lookup and verification in C.

Every function here has a numpy reference of the same name (``sketch.py``,
``index/segment.py``, ``match.py``) and gives bit-for-bit the same result;
``tests/test_core.py`` compares the two. The numpy code stays the
specification; this module only removes the interpreter and the per-call
overhead from the loops (``COPYGUARD_NO_EXT=1`` runs the reference instead).

Why Cython: it builds with the setuptools backend the project already uses
(``pip install .`` needs only ``Cython`` from PyPI and the machine's C
compiler; no cmake, no second build system), reads numpy arrays through
typed memoryviews without the numpy C headers, and keeps the kernels
readable next to their numpy twins. numba was ruled out: seconds of JIT
compilation and ~0.6 s of import in every one-shot CLI process and Spark
worker.
"""

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t
from libc.stdlib cimport calloc, malloc, realloc, free, qsort
from libc.string cimport memcmp, memcpy, memset

import numpy as np

API = 42  # compiled.API: bumped whenever a function is added or changes its arguments

cdef uint64_t POLY = 0x9E3779B97F4A7C15ULL
cdef uint32_t MAX32 = 0xFFFFFFFFU
cdef uint8_t IDENT = 1


cdef inline uint64_t mix64(uint64_t x) noexcept nogil:
    x = x ^ (x >> 30)
    x = x * 0xBF58476D1CE4E5B9ULL
    x = x ^ (x >> 27)
    x = x * 0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef inline uint32_t fmix32(uint32_t h) noexcept nogil:
    h = h ^ (h >> 16)
    h = h * 0x85EBCA6BU
    h = h ^ (h >> 13)
    h = h * 0xC2B2AE35U
    return h ^ (h >> 16)


cdef extern from *:
    """
    #define CG_PREFETCH(p) __builtin_prefetch((const void*)(p))
    """
    void CG_PREFETCH(const void* p) noexcept nogil


# --- (1) tokens -> shingles -> MinHash -> band keys --------------------------------


cdef void _shingles_p(const uint64_t* hashes, const uint8_t* kinds, const uint64_t* names, bint renumber, int k,
                      const uint64_t* labels, Py_ssize_t m, uint64_t* out) noexcept nogil:
    """The ``m`` shingles of ``k`` tokens starting at each of ``hashes[0:m]``, identifiers renumbered when ``renumber``."""
    cdef Py_ssize_t i, j, f, first
    cdef uint64_t acc, col, here
    for i in range(m):
        acc = 0
        for j in range(k):
            col = hashes[i + j]
            if renumber and kinds[i + j] == IDENT:
                here = names[i + j]
                first = j
                for f in range(j):
                    if names[i + f] == here:
                        first = f
                        break
                col = labels[first]
            acc = acc * POLY + col
        out[i] = mix64(acc)


cdef void _shingles(const uint64_t[::1] hashes, const uint8_t[::1] kinds, const uint64_t[::1] names,
                    bint renumber, int k, const uint64_t[::1] labels, uint64_t[::1] out) noexcept nogil:
    if out.shape[0]:
        _shingles_p(&hashes[0], &kinds[0], &names[0], renumber, k, &labels[0], out.shape[0], &out[0])


def shingles(const uint64_t[::1] hashes, const uint8_t[::1] kinds, int k, names, const uint64_t[::1] labels):
    """``sketch.shingles``: uint64 hash of every run of ``k`` tokens, identifiers renumbered when ``names`` is given."""
    cdef Py_ssize_t n = hashes.shape[0]
    if n < k:
        return np.zeros(0, dtype=np.uint64)
    if k > labels.shape[0]:
        raise ValueError(f"shingle width {k} exceeds the {labels.shape[0]} identifier labels")
    out = np.empty(n - k + 1, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef const uint64_t[::1] nm = hashes
    if names is not None:
        nm = names
        if nm.shape[0] != n:
            raise ValueError("names and hashes differ in length")
    if kinds.shape[0] != n:
        raise ValueError("kinds and hashes differ in length")
    with nogil:
        _shingles(hashes, kinds, nm, names is not None, k, labels, o)
    return out


cdef extern from "_sort.h" nogil:
    void cg_sort_u64(uint64_t* v, Py_ssize_t n)
    void cg_sort_i64(int64_t* v, Py_ssize_t n)


cdef extern from "_kernels.h" nogil:
    void cg_minhash_chunk(const uint64_t* sh, Py_ssize_t c0, Py_ssize_t c1, const int64_t* ranges, Py_ssize_t n_ranges,
                          const uint32_t* a, const uint32_t* b, Py_ssize_t P, uint32_t* out, uint32_t* buf,
                          uint32_t* blk)
    void cg_band_keys(const uint32_t* sigs, Py_ssize_t n, Py_ssize_t P, int bands, int rows, uint64_t* out)
    Py_ssize_t cg_bloom_scan(const uint64_t* sh, Py_ssize_t n, const uint64_t* bloom, int64_t* pos)


cdef void _minhash_ranges(const uint64_t[::1] sh, const int64_t[:, ::1] ranges, const uint32_t[::1] a,
                          const uint32_t[::1] b, uint32_t[:, ::1] out, uint32_t* buf, uint32_t* blk,
                          Py_ssize_t chunk) noexcept nogil:
    """Permute a chunk of shingles once into ``buf`` (and its blocks' minima into ``blk``), then fold every range
    overlapping it (``_kernels.h``)."""
    cdef Py_ssize_t n = sh.shape[0], P = a.shape[0], R = ranges.shape[0]
    cdef Py_ssize_t c0, c1, r
    for r in range(R):
        _fill(&out[r, 0], P)
    c0 = 0
    while c0 < n:
        c1 = c0 + chunk
        if c1 > n:
            c1 = n
        cg_minhash_chunk(&sh[0], c0, c1, &ranges[0, 0] if R else NULL, R, &a[0], &b[0], P, &out[0, 0] if R else NULL, buf,
                         blk)
        c0 = c1


cdef inline void _fill(uint32_t* dst, Py_ssize_t P) noexcept nogil:
    cdef Py_ssize_t p
    for p in range(P):
        dst[p] = MAX32


def minhash_ranges(const uint64_t[::1] sh, const int64_t[:, ::1] ranges, const uint32_t[::1] a,
                   const uint32_t[::1] b, Py_ssize_t chunk=4096):
    """``sketch.minhash_ranges``: (n_ranges, num_perm) uint32 signatures; empty ranges all ``0xFFFFFFFF``."""
    cdef Py_ssize_t P = a.shape[0]
    out = np.empty((ranges.shape[0], P), dtype=np.uint32)
    cdef uint32_t[:, ::1] o = out
    if chunk > sh.shape[0]:
        chunk = max(sh.shape[0], 1)
    cdef uint32_t* buf = <uint32_t*> malloc(chunk * P * sizeof(uint32_t))
    cdef uint32_t* blk = <uint32_t*> malloc((chunk // 16 + 1) * P * sizeof(uint32_t))  # (CG_BLOCK rows a block)
    try:
        if buf == NULL or blk == NULL:
            raise MemoryError()
        with nogil:
            _minhash_ranges(sh, ranges, a, b, o, buf, blk, chunk)
    finally:
        free(buf)
        free(blk)
    return out


cdef enum:
    MT_N = 624
    MT_M = 397


cdef uint32_t _mt_next(uint32_t* key, int* pos) noexcept nogil:
    """MT19937's next tempered 32-bit output (numpy's ``mt19937_next32``)."""
    cdef int i
    cdef uint32_t y
    if pos[0] == MT_N:
        for i in range(MT_N):
            y = (key[i] & 0x80000000U) | (key[(i + 1) % MT_N] & 0x7FFFFFFFU)
            key[i] = key[(i + MT_M) % MT_N] ^ (y >> 1) ^ (0x9908B0DFU if y & 1 else 0)
        pos[0] = 0
    y = key[pos[0]]
    pos[0] += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680U
    y ^= (y << 15) & 0xEFC60000U
    return y ^ (y >> 18)


def affine_permutations(int num_perm, uint32_t seed):
    """``sketch.permutations`` without importing numpy.random: ``RandomState(seed)``'s two ``randint`` draws
    (``[0, 2**31)`` then ``[0, 2**32)``, uint32: one MT19937 output each, masked or whole), as datasketch makes them."""
    cdef uint32_t key[MT_N]
    cdef int pos = MT_N, i
    key[0] = seed
    for i in range(1, MT_N):
        key[i] = 1812433253U * (key[i - 1] ^ (key[i - 1] >> 30)) + <uint32_t> i
    a_arr = np.empty(num_perm, dtype=np.uint32)
    b_arr = np.empty(num_perm, dtype=np.uint32)
    cdef uint32_t[::1] a = a_arr
    cdef uint32_t[::1] b = b_arr
    for i in range(num_perm):
        a[i] = (_mt_next(key, &pos) & 0x7FFFFFFFU) * 2 + 1
    for i in range(num_perm):
        b[i] = _mt_next(key, &pos)
    return a_arr, b_arr


def band_keys(const uint32_t[:, ::1] sigs, int bands, int rows):
    """``sketch.band_keys``: (n, bands) uint64 keys, the band index mixed in."""
    if bands * rows > sigs.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} exceeds the signature length {sigs.shape[1]}")
    out = np.empty((sigs.shape[0], bands), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    if sigs.shape[0] and bands:
        with nogil:
            cg_band_keys(&sigs[0, 0], sigs.shape[0], sigs.shape[1], bands, rows, &o[0, 0])
    return out


cdef struct Cut:
    int64_t start
    int64_t end
    int64_t order  # windows first, then units: of equal ranges the first is kept (``np.unique``'s first index)
    uint8_t kind


cdef int _by_range(const void* x, const void* y) noexcept nogil:
    cdef const Cut* p = <const Cut*> x
    cdef const Cut* q = <const Cut*> y
    if p.start != q.start:
        return -1 if p.start < q.start else 1
    if p.end != q.end:
        return -1 if p.end < q.end else 1
    return (p.order > q.order) - (p.order < q.order)


def sketch_passages(const uint64_t[::1] hashes, const uint64_t[::1] exact, const uint8_t[::1] kinds,
                    const int64_t[:, ::1] units, bint code, int k, Py_ssize_t window, Py_ssize_t stride,
                    Py_ssize_t min_tokens, Py_ssize_t max_unit, const uint64_t[::1] labels, const uint32_t[::1] a,
                    const uint32_t[::1] b, int bands, int rows):
    """``passages.sketch_passages`` in one call: ``(token_ranges, kinds, band_keys, shingles)`` of a token stream.

    Cuts the stream (windows every ``stride`` tokens, the last ending at the end; code units of
    ``min_tokens`` to ``max_unit`` tokens; equal ranges once, as a window), shingles it (code:
    identifiers renumbered), and MinHashes and bands every passage's shingles.
    """
    cdef Py_ssize_t n = hashes.shape[0], n_units = units.shape[0] if code else 0, m = 0, i, w, kept
    cdef int64_t s, length
    cdef Cut* cuts = NULL
    if exact.shape[0] != n or kinds.shape[0] != n:
        raise ValueError("token arrays differ in length")
    if n_units and units.shape[1] != 2:
        raise ValueError("units must be (first token, end token) rows")
    sh = shingles(hashes, kinds, k, exact if code else None, labels)
    if n < min_tokens or n == 0:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.uint8), np.zeros((0, bands), dtype=np.uint64), sh
    w = 1 if n <= window else (n - window) // stride + 2
    cuts = <Cut*> malloc((w + n_units) * sizeof(Cut))
    if cuts == NULL:
        raise MemoryError()
    try:
        with nogil:
            if n <= window:
                cuts[0].start, cuts[0].end, cuts[0].order, cuts[0].kind = 0, n, 0, 0
                m = 1
            else:
                s = 0
                while s <= n - window:
                    cuts[m].start, cuts[m].end, cuts[m].order, cuts[m].kind = s, s + window, m, 0
                    m += 1
                    s += stride
                if cuts[m - 1].start + window < n:
                    cuts[m].start, cuts[m].end, cuts[m].order, cuts[m].kind = n - window, n, m, 0
                    m += 1
            for i in range(n_units):
                length = units[i, 1] - units[i, 0]
                if length >= min_tokens and length <= max_unit:
                    cuts[m].start, cuts[m].end, cuts[m].order, cuts[m].kind = units[i, 0], units[i, 1], m, 1
                    m += 1
            qsort(cuts, m, sizeof(Cut), _by_range)
            kept = 0
            for i in range(m):
                if kept == 0 or cuts[i].start != cuts[kept - 1].start or cuts[i].end != cuts[kept - 1].end:
                    cuts[kept] = cuts[i]
                    kept += 1
        ranges_arr = np.empty((kept, 2), dtype=np.int64)
        kinds_arr = np.empty(kept, dtype=np.uint8)
        shingle_ranges = np.empty((kept, 2), dtype=np.int64)
        _fill_cuts(cuts, kept, k, ranges_arr, kinds_arr, shingle_ranges)
    finally:
        free(cuts)
    return ranges_arr, kinds_arr, band_keys(minhash_ranges(sh, shingle_ranges, a, b), bands, rows), sh


cdef void _fill_cuts(const Cut* cuts, Py_ssize_t m, int k, int64_t[:, ::1] ranges, uint8_t[::1] kinds,
                     int64_t[:, ::1] shingle_ranges) noexcept:
    cdef Py_ssize_t i
    for i in range(m):
        ranges[i, 0], ranges[i, 1], kinds[i] = cuts[i].start, cuts[i].end, cuts[i].kind
        shingle_ranges[i, 0] = cuts[i].start
        shingle_ranges[i, 1] = cuts[i].end - k + 1 if cuts[i].end - k + 1 > cuts[i].start else cuts[i].start


# --- (2) band lookup through the directory ------------------------------------------


cdef Py_ssize_t _left(const uint64_t[::1] keys, Py_ssize_t lo, Py_ssize_t hi, uint64_t x) noexcept nogil:
    cdef Py_ssize_t mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def lookup_sorted(const uint64_t[::1] keys, const uint32_t[::1] pids, const int64_t[::1] directory, int bits,
                  const uint64_t[::1] needles, Py_ssize_t max_hits):
    """``bands.lookup_sorted``: ``(needle index, passage id)`` of every key equal to a needle (``max_hits < 0``: no limit)."""
    cdef Py_ssize_t n = needles.shape[0], nk = keys.shape[0], i, lo, hi, left, c, total = 0, j, w
    cdef uint64_t x
    first_arr = np.empty(n, dtype=np.int64)
    count_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] first = first_arr
    cdef int64_t[::1] count = count_arr
    with nogil:
        for i in range(n):
            x = needles[i]
            if bits > 0:
                lo = directory[x >> (64 - bits)]
                hi = directory[(x >> (64 - bits)) + 1]
            else:
                lo = 0
                hi = nk
            left = _left(keys, lo, hi, x)
            c = 0
            while left + c < hi and keys[left + c] == x:
                c += 1
            if max_hits >= 0 and c > max_hits:
                c = 0
            first[i] = left
            count[i] = c
            total += c
    idx_arr = np.empty(total, dtype=np.int64)
    pid_arr = np.empty(total, dtype=np.int64)
    cdef int64_t[::1] idx = idx_arr
    cdef int64_t[::1] pid = pid_arr
    with nogil:
        w = 0
        for i in range(n):
            for j in range(count[i]):
                idx[w] = i
                pid[w] = pids[first[i] + j]
                w += 1
    return idx_arr, pid_arr


cdef inline Py_ssize_t _guess(uint64_t x, int bits, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Where ``x`` likely sits in its bucket ``[lo, hi)``: keys are hashes, so uniform within the bucket, and the
    bits after the bucket's say how far in (one cache line read instead of the whole bucket's)."""
    cdef uint64_t frac = (x << bits) >> 32
    if hi - lo >= (<Py_ssize_t> 1 << 31):
        return lo + ((hi - lo) >> 1)
    return lo + <Py_ssize_t> ((frac * <uint64_t> (hi - lo)) >> 32)


cdef void _find_all(const uint64_t[::1] keys, const int64_t[::1] directory, int bits, const uint64_t[::1] needles,
                    int64_t* first, int64_t* count) noexcept nogil:
    """Where each needle's run of equal keys starts and how long it is, the table read in passes: the directory
    entries of all needles are asked for first, then the key where each needle likely sits in its bucket
    (``_guess``), so that the memory latencies of the (mapped, mostly uncached) table overlap instead of adding
    up; the run's start is then found by stepping from the guess (a binary search past a few steps)."""
    cdef Py_ssize_t n = needles.shape[0], nk = keys.shape[0], i, lo, hi, left, c, steps
    cdef uint64_t x
    if bits > 0:
        for i in range(n):
            CG_PREFETCH(&directory[needles[i] >> (64 - bits)])
        for i in range(n):
            x = needles[i] >> (64 - bits)
            first[i], count[i] = directory[x], directory[x + 1]
            if first[i] < count[i]:
                CG_PREFETCH(&keys[_guess(needles[i], bits, first[i], count[i])])
    else:
        for i in range(n):
            first[i], count[i] = 0, nk
    for i in range(n):
        x = needles[i]
        lo, hi = first[i], count[i]
        if lo >= hi:
            left = lo
        elif bits == 0:
            left = _left(keys, lo, hi, x)
        else:
            left = _guess(x, bits, lo, hi)
            steps = 0
            if keys[left] < x:  # the run starts after the guess
                left += 1
                while left < hi and keys[left] < x:
                    left += 1
                    steps += 1
                    if steps == 8:
                        left = _left(keys, left, hi, x)
                        break
            else:  # at or before the guess
                while left > lo and keys[left - 1] >= x:
                    left -= 1
                    steps += 1
                    if steps == 8:
                        left = _left(keys, lo, left, x)
                        break
        c = 0
        while left + c < hi and keys[left + c] == x:
            c += 1
        first[i], count[i] = left, c


def passage_counts(const uint64_t[::1] keys, const uint32_t[::1] pids, const int64_t[::1] directory, int bits,
                   const uint64_t[::1] needles, Py_ssize_t max_hits):
    """``bands.passage_counts``: sorted distinct passage ids hit by ``needles`` and each one's number of hits."""
    cdef Py_ssize_t n = needles.shape[0], nk = keys.shape[0], i, j, total = 0, m = 0
    cdef int64_t* hits
    if directory.shape[0] != (1 << bits) + 1 or pids.shape[0] != nk:
        raise ValueError("band directory or passage ids do not match the keys")
    first_arr = np.empty(n, dtype=np.int64)
    count_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] first = first_arr
    cdef int64_t[::1] count = count_arr
    with nogil:
        if n:
            _find_all(keys, directory, bits, needles, &first[0], &count[0])
        for i in range(n):
            if max_hits >= 0 and count[i] > max_hits:
                count[i] = 0
            if count[i]:
                CG_PREFETCH(&pids[first[i]])
            total += count[i]
    hits = <int64_t*> malloc((total if total else 1) * sizeof(int64_t))
    if hits == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                for j in range(count[i]):
                    hits[m] = pids[first[i] + j]
                    m += 1
            cg_sort_i64(hits, total)
            m = 0
            for i in range(total):
                m += i == 0 or hits[i] != hits[i - 1]
        ids_arr = np.empty(m, dtype=np.int64)
        counts_arr = np.zeros(m, dtype=np.int64)
        _runs(hits, total, ids_arr, counts_arr)
        return ids_arr, counts_arr
    finally:
        free(hits)


cdef void _runs(const int64_t* sorted_hits, Py_ssize_t total, int64_t[::1] ids, int64_t[::1] counts) noexcept:
    """Distinct values of a sorted array and how many times each occurs."""
    cdef Py_ssize_t i, r = -1
    with nogil:
        for i in range(total):
            if i == 0 or sorted_hits[i] != sorted_hits[i - 1]:
                r += 1
                ids[r] = sorted_hits[i]
            counts[r] += 1


def count_of(const uint64_t[::1] keys, const uint32_t[::1] counts, const int64_t[::1] directory, int bits,
             const uint64_t[::1] values):
    """``df.count_of``: the count of each value in a sorted table of distinct keys (0 where absent)."""
    cdef Py_ssize_t n = values.shape[0], i
    if directory.shape[0] != (1 << bits) + 1 or counts.shape[0] != keys.shape[0]:
        raise ValueError("directory does not match bits, or counts do not match the keys")
    out_arr = np.zeros(n, dtype=np.int64)
    first_arr = np.empty(n, dtype=np.int64)
    found_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef int64_t[::1] first = first_arr
    cdef int64_t[::1] found = found_arr
    if n == 0:
        return out_arr
    with nogil:
        _find_all(keys, directory, bits, values, &first[0], &found[0])
        for i in range(n):  # the counts sit in random places of a mapped table: asked for all at once
            if found[i]:
                CG_PREFETCH(&counts[first[i]])
        for i in range(n):
            if found[i]:
                out[i] = counts[first[i]]
    return out_arr



def position_of(const uint64_t[::1] keys, const int64_t[::1] directory, int bits, const uint64_t[::1] values):
    """``df.position_of``: where each value is in a sorted table of distinct keys (-1 where absent)."""
    cdef Py_ssize_t n = values.shape[0], i
    if directory.shape[0] != (1 << bits) + 1:
        raise ValueError("directory does not match bits")
    out_arr = np.full(n, -1, dtype=np.int64)
    first_arr = np.empty(n, dtype=np.int64)
    found_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef int64_t[::1] first = first_arr
    cdef int64_t[::1] found = found_arr
    if n == 0 or keys.shape[0] == 0:
        return out_arr
    with nogil:
        _find_all(keys, directory, bits, values, &first[0], &found[0])
        for i in range(n):
            if found[i]:
                out[i] = first[i]
    return out_arr

# --- (2b) candidate passages measured on stored shingles -------------------------------


cdef struct HashSet:
    uint64_t* keys  # open addressing, 0 marks an empty slot ...
    uint64_t mask
    bint has_zero  # ... so 0 itself is kept aside


cdef int _set_init(HashSet* hs, const uint64_t* values, Py_ssize_t n) noexcept nogil:
    cdef uint64_t size = 16, slot, v
    cdef Py_ssize_t i
    while size < 2 * <uint64_t> n:
        size <<= 1
    hs.keys = <uint64_t*> calloc(size, sizeof(uint64_t))
    if hs.keys == NULL:
        return -1
    hs.mask, hs.has_zero = size - 1, False
    for i in range(n):
        v = values[i]
        if v == 0:
            hs.has_zero = True
            continue
        slot = mix64(v) & hs.mask
        while hs.keys[slot] != 0 and hs.keys[slot] != v:
            slot = (slot + 1) & hs.mask
        hs.keys[slot] = v
    return 0


cdef inline bint _set_has(const HashSet* hs, uint64_t v) noexcept nogil:
    cdef uint64_t slot
    if v == 0:
        return hs.has_zero
    slot = mix64(v) & hs.mask
    while hs.keys[slot] != 0:
        if hs.keys[slot] == v:
            return True
        slot = (slot + 1) & hs.mask
    return False


def range_containment(const uint64_t[::1] shingles, const int64_t[:, ::1] ranges, int k, const uint64_t[::1] values):
    """``index.query.range_containment``: for each token range, the share of its shingles among ``values``."""
    cdef Py_ssize_t n = ranges.shape[0], i
    cdef int64_t a, b, j, hits, length
    cdef HashSet hs
    out_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] out = out_arr
    if values.shape[0] == 0 or n == 0:
        return out_arr
    for i in range(n):
        if ranges[i, 0] < 0 or ranges[i, 1] > shingles.shape[0]:
            raise IndexError(f"token range {ranges[i, 0]}:{ranges[i, 1]} outside {shingles.shape[0]} shingles")
    if _set_init(&hs, &values[0], values.shape[0]):
        raise MemoryError()
    with nogil:
        for i in range(n):
            a = ranges[i, 0]
            length = ranges[i, 1] - a - k + 1
            if length <= 0:
                continue
            hits = 0
            for j in range(a, a + length):
                hits += _set_has(&hs, shingles[j])
            out[i] = <double> hits / <double> length
    free(hs.keys)
    return out_arr


def measure_passages(const int64_t[::1] pids, const int64_t[:, ::1] p_tok, const uint32_t[::1] p_source,
                     const int64_t[:, ::1] source_tok, const uint8_t[::1] p_kind, const uint64_t[::1] tok_shingles, int k,
                     const uint64_t[::1] values, double min_containment):
    """``query.measure_passages`` for one segment: of the local passages ``pids``, those whose shingles are at least
    ``min_containment`` among ``values``; returns ``(pids, containment, source rows, token ranges within their
    source, kinds)`` of those. One call: containment (``range_containment``) and ``passage_info`` together."""
    cdef Py_ssize_t n = pids.shape[0], i, m = 0, n_p = p_tok.shape[0], n_s = source_tok.shape[0]
    cdef int64_t a, length, j, hits, pid, row
    cdef double share
    cdef HashSet hs
    for i in range(n):
        pid = pids[i]
        if pid < 0 or pid >= n_p or p_tok[pid, 0] < 0 or p_tok[pid, 1] > tok_shingles.shape[0] or \
                p_source[pid] >= n_s:
            raise IndexError(f"passage {pid} outside the segment")
    keep_arr = np.empty(n, dtype=np.int64)
    share_arr = np.empty(n, dtype=np.float64)
    cdef int64_t[::1] keep = keep_arr
    cdef double[::1] shares = share_arr
    if values.shape[0] == 0 and min_containment > 0:
        n = 0
    if _set_init(&hs, &values[0] if values.shape[0] else NULL, values.shape[0]):
        raise MemoryError()
    with nogil:
        for i in range(n):
            pid = pids[i]
            a = p_tok[pid, 0]
            length = p_tok[pid, 1] - a - k + 1
            share = 0.0
            if length > 0 and values.shape[0]:
                hits = 0
                for j in range(a, a + length):
                    hits += _set_has(&hs, tok_shingles[j])
                share = <double> hits / <double> length
            if share >= min_containment:
                keep[m], shares[m] = pid, share
                m += 1
    free(hs.keys)
    rows_arr = np.empty(m, dtype=np.int64)
    tok_arr = np.empty((m, 2), dtype=np.int64)
    kind_arr = np.empty(m, dtype=np.uint8)
    cdef int64_t[::1] rows = rows_arr
    cdef int64_t[:, ::1] tok = tok_arr
    cdef uint8_t[::1] kind = kind_arr
    for i in range(m):
        pid = keep[i]
        row = p_source[pid]
        rows[i] = row
        tok[i, 0], tok[i, 1] = p_tok[pid, 0] - source_tok[row, 0], p_tok[pid, 1] - source_tok[row, 0]
        kind[i] = p_kind[pid]
    return keep_arr[:m], share_arr[:m], rows_arr, tok_arr, kind_arr


# --- (2c) the candidate stage after the band lookup: ranking and held sources -----------

include "_cand.pxi"


# --- (2d) index build: the passes around the sort of band keys and shingles, holders -------

include "_build.pxi"


# --- (3) code normalization: parse, walk, lex, hash, classify ------------------------

include "_code.pxi"


# --- (4) prose normalization: fold, cut words, hash ---------------------------------

include "_prose.pxi"


# --- (5) alignment: pairs, runs, tiles -------------------------------------------------

include "_match.pxi"


# --- (6) evidence: which names a function binds as its parameters ------------------------

include "_names.pxi"


# --- (7) reading an answer: which lines of a prose run are code ------------------------

include "_lines.pxi"
