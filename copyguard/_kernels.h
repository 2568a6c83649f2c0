/* Hot loops of _core.pyx that gain from wider vector units than the x86-64 baseline (SSE2: no 32-bit
 * multiply or unsigned minimum in one instruction). GCC and clang build each one twice (AVX2 and the
 * baseline) and pick one when the module loads (target_clones, an ELF ifunc); elsewhere they are plain C.
 * The results are the same bits on every path: integer arithmetic only.
 */
#ifndef COPYGUARD_KERNELS_H
#define COPYGUARD_KERNELS_H

#include <stdint.h>
#include <stddef.h>

#if defined(__x86_64__) && defined(__ELF__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(COPYGUARD_NO_CLONES)
#define CG_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CG_CLONES
#endif

static inline uint32_t cg_fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6BU;
  h ^= h >> 13;
  h *= 0xC2B2AE35U;
  return h ^ (h >> 16);
}

static inline uint64_t cg_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/* LSH band keys (sketch.band_keys) of n signatures of P slots: key j of a signature is its rows j*rows ..
 * j*rows + rows - 1 folded by a multiply-add from j + 1, then mixed. Three rows (the default) written out. */
CG_CLONES static void cg_band_keys(const uint32_t *sigs, ptrdiff_t n, ptrdiff_t P, int bands, int rows,
                                   uint64_t *out) {
  const uint64_t poly = 0x9E3779B97F4A7C15ULL;
  for (ptrdiff_t i = 0; i < n; i++) {
    const uint32_t *sig = sigs + i * P;
    uint64_t *o = out + i * bands;
    if (rows == 3) {
      for (int j = 0; j < bands; j++) {
        const uint32_t *s = sig + 3 * j;
        uint64_t acc = (uint64_t)(j + 1);
        acc = acc * poly + s[0];
        acc = acc * poly + s[1];
        acc = acc * poly + s[2];
        o[j] = cg_mix64(acc);
      }
    } else {
      for (int j = 0; j < bands; j++) {
        uint64_t acc = (uint64_t)(j + 1);
        for (int r = 0; r < rows; r++) acc = acc * poly + sig[j * rows + r];
        o[j] = cg_mix64(acc);
      }
    }
  }
}

/* Rows folded together in advance (cg_minhash_chunk): a window of 64 tokens (59 shingles) every 16 reads three
 * block minima and the rows of its last part block, not all its 59 rows. */
#define CG_BLOCK 16

/* MinHash of shingle ranges (sketch.minhash_ranges): each shingle of [c0, c1) is permuted once into buf (rows of
 * P), every whole block of CG_BLOCK rows from c0 folded into blk, then every range (start, end pairs) that holds
 * shingles of the chunk folds their rows: the rows outside its whole blocks one by one, its whole blocks by their
 * minima (a minimum is a minimum however it is grouped: the same bits). blk: (c1 - c0) / CG_BLOCK rows of P. */
CG_CLONES static void cg_minhash_chunk(const uint64_t *sh, ptrdiff_t c0, ptrdiff_t c1, const int64_t *ranges,
                                       ptrdiff_t n_ranges, const uint32_t *a, const uint32_t *b, ptrdiff_t P,
                                       uint32_t *out, uint32_t *buf, uint32_t *blk) {
  for (ptrdiff_t i = c0; i < c1; i++) {
    uint32_t hv = cg_fmix32((uint32_t)(sh[i] & 0xFFFFFFFFULL));
    uint32_t *row = buf + (i - c0) * P;
    for (ptrdiff_t p = 0; p < P; p++) row[p] = a[p] * hv + b[p];
  }
  ptrdiff_t nb = (c1 - c0) / CG_BLOCK;
  for (ptrdiff_t j = 0; j < nb; j++) {
    uint32_t *dst = blk + j * P;
    const uint32_t *row = buf + j * CG_BLOCK * P;
    for (ptrdiff_t p = 0; p < P; p++) dst[p] = row[p];
    for (ptrdiff_t r = 1; r < CG_BLOCK; r++) {
      row += P;
      for (ptrdiff_t p = 0; p < P; p++) dst[p] = row[p] < dst[p] ? row[p] : dst[p];
    }
  }
  for (ptrdiff_t r = 0; r < n_ranges; r++) {
    ptrdiff_t s = ranges[2 * r], e = ranges[2 * r + 1];
    if (s < c0) s = c0;
    if (e > c1) e = c1;
    if (s >= e) continue;
    uint32_t *dst = out + r * P;
    ptrdiff_t j0 = (s - c0 + CG_BLOCK - 1) / CG_BLOCK, j1 = (e - c0) / CG_BLOCK; /* its whole blocks: [j0, j1) */
    ptrdiff_t head = j0 < j1 ? c0 + j0 * CG_BLOCK : e, tail = j0 < j1 ? c0 + j1 * CG_BLOCK : e;
    for (ptrdiff_t i = s; i < head; i++) {
      const uint32_t *row = buf + (i - c0) * P;
      for (ptrdiff_t p = 0; p < P; p++) dst[p] = row[p] < dst[p] ? row[p] : dst[p];
    }
    for (ptrdiff_t j = j0; j < j1; j++) {
      const uint32_t *row = blk + j * P;
      for (ptrdiff_t p = 0; p < P; p++) dst[p] = row[p] < dst[p] ? row[p] : dst[p];
    }
    for (ptrdiff_t i = tail; i < e; i++) {
      const uint32_t *row = buf + (i - c0) * P;
      for (ptrdiff_t p = 0; p < P; p++) dst[p] = row[p] < dst[p] ? row[p] : dst[p];
    }
  }
}

/* The positions i of sh[0:n) whose value may be one of a few held values: bit (sh[i] >> 52) of the 4096-bit
 * filter bloom (64 words) is set. Written in order to pos (room for n), their count returned. What
 * _core.held_sources scans every token of a held source with; the few positions found are then looked up
 * exactly. The AVX2 path tests four tokens per step (one gather of their filter words); both paths give the
 * same positions. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(COPYGUARD_NO_CLONES)
#include <immintrin.h>
#define CG_BLOOM_AVX2 1
__attribute__((target("avx2"))) static ptrdiff_t cg_bloom_scan_avx2(const uint64_t *sh, ptrdiff_t n,
                                                                     const uint64_t *bloom, int64_t *pos) {
  ptrdiff_t i = 0, k = 0;
  const __m256i low6 = _mm256_set1_epi64x(63);
  for (; i + 4 <= n; i += 4) {
    __m256i f = _mm256_srli_epi64(_mm256_loadu_si256((const __m256i *)(sh + i)), 52);
    __m256i w = _mm256_i64gather_epi64((const long long *)bloom, _mm256_srli_epi64(f, 6), 8);
    __m256i bit = _mm256_slli_epi64(_mm256_srlv_epi64(w, _mm256_and_si256(f, low6)), 63);
    int m = _mm256_movemask_pd(_mm256_castsi256_pd(bit));
    while (m) {
      int j = __builtin_ctz((unsigned)m);
      pos[k++] = i + j;
      m &= m - 1;
    }
  }
  for (; i < n; i++) {
    uint64_t f = sh[i] >> 52;
    if ((bloom[f >> 6] >> (f & 63)) & 1) pos[k++] = i;
  }
  return k;
}
#endif

static ptrdiff_t cg_bloom_scan(const uint64_t *sh, ptrdiff_t n, const uint64_t *bloom, int64_t *pos) {
#ifdef CG_BLOOM_AVX2
  static int avx2 = -1; /* (threads racing here write the same answer) */
  if (avx2 < 0) {
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  if (avx2) return cg_bloom_scan_avx2(sh, n, bloom, pos);
#endif
  ptrdiff_t k = 0;
  for (ptrdiff_t i = 0; i < n; i++) {
    uint64_t f = sh[i] >> 52;
    if ((bloom[f >> 6] >> (f & 63)) & 1) pos[k++] = i;
  }
  return k;
}

#endif
