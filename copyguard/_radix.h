/* The sort of index/bands.py's ``sort_with_order`` for _build.pxi: ``keys[order]`` and ``order``, the stable
 * argsort of 64-bit keys (equal keys by ascending position), for the band keys of a build or a compaction and
 * the shingles of a holders table. Keys are hashes there, so their top bits spread evenly:
 *   1. one pass scatters (key, position) by the key's top ``b`` bits into 2**b buckets of 16k to 32k keys
 *      (stable: positions stay ascending within a bucket);
 *   2. each bucket, now small enough for the core's cache (L2), is sorted by the next 22 bits with two stable
 *      passes of 11 bits (a pass whose digit is the same in every key is skipped);
 *   3. keys that tie on all those top b + 22 bits but differ below (a few in millions of hashes) are put
 *      in order, still stable: an insertion sort, or for a long run (keys that are not hashes) a merge sort.
 * No pass reads memory at random, where the packed radix sort it replaces gathered every key back by position.
 */
#ifndef COPYGUARD_RADIX_H
#define COPYGUARD_RADIX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef CG_DIGIT
#define CG_DIGIT 11
#endif
#define CG_RUN_SMALL 32
#ifndef CG_BUCKET
#define CG_BUCKET 16384
#endif

/* Stable merge sort of run [lo, hi) by key (ties keep their order), with scratch of hi - lo entries. */
static void cg_merge_run(uint64_t *k, uint32_t *p, ptrdiff_t n, uint64_t *tk, uint32_t *tp) {
  if (n < 2) return;
  ptrdiff_t h = n / 2;
  cg_merge_run(k, p, h, tk, tp);
  cg_merge_run(k + h, p + h, n - h, tk, tp);
  if (k[h - 1] <= k[h]) return;
  memcpy(tk, k, h * sizeof(uint64_t));
  memcpy(tp, p, h * sizeof(uint32_t));
  ptrdiff_t i = 0, j = h, o = 0;
  while (i < h && j < n) {
    if (k[j] < tk[i]) { k[o] = k[j]; p[o++] = p[j++]; }
    else { k[o] = tk[i]; p[o++] = tp[i++]; }
  }
  while (i < h) { k[o] = tk[i]; p[o++] = tp[i++]; }
}

/* Sort bucket k[0:n), p[0:n) (ascending positions, one top-``b`` prefix) by the full key, stably.
 * tk, tp: scratch of n entries; count: 1 << CG_DIGIT entries. */
static void cg_sort_bucket(uint64_t *k, uint32_t *p, ptrdiff_t n, int b, uint64_t *tk, uint32_t *tp,
                           ptrdiff_t *count) {
  if (n < 2) return;
  const ptrdiff_t R = (ptrdiff_t)1 << CG_DIGIT;
  uint64_t *sk = k, *dk = tk, *xk;
  uint32_t *sp = p, *dp = tp, *xp;
  for (int pass = 0; pass < 2; pass++) {
    int shift = 64 - b - CG_DIGIT * (2 - pass); /* least significant digit first */
    if (shift < 0) continue;
    memset(count, 0, R * sizeof(ptrdiff_t));
    for (ptrdiff_t i = 0; i < n; i++) count[(sk[i] >> shift) & (R - 1)]++;
    if (count[(sk[0] >> shift) & (R - 1)] == n) continue;
    ptrdiff_t total = 0;
    for (ptrdiff_t d = 0; d < R; d++) { ptrdiff_t c = count[d]; count[d] = total; total += c; }
    for (ptrdiff_t i = 0; i < n; i++) {
      uint64_t v = sk[i];
      ptrdiff_t at = count[(v >> shift) & (R - 1)]++;
      dk[at] = v;
      dp[at] = sp[i];
    }
    xk = sk; sk = dk; dk = xk;
    xp = sp; sp = dp; dp = xp;
  }
  if (sk != k) {
    memcpy(k, sk, n * sizeof(uint64_t));
    memcpy(p, sp, n * sizeof(uint32_t));
  }
  /* sorted by the top b + 22 bits: order each run of keys tying there by the whole key */
  int low = 64 - b - 2 * CG_DIGIT;
  if (low <= 0) return;
  uint64_t mask = ~(((uint64_t)1 << low) - 1);
  ptrdiff_t i = 0;
  while (i < n) {
    ptrdiff_t j = i + 1, bad = 0;
    while (j < n && ((k[j] ^ k[i]) & mask) == 0) {
      if (k[j] < k[j - 1]) bad = 1;
      j++;
    }
    if (bad) {
      if (j - i <= CG_RUN_SMALL) {
        for (ptrdiff_t a = i + 1; a < j; a++) {
          uint64_t v = k[a];
          uint32_t q = p[a];
          ptrdiff_t c = a;
          while (c > i && k[c - 1] > v) { k[c] = k[c - 1]; p[c] = p[c - 1]; c--; }
          k[c] = v;
          p[c] = q;
        }
      } else {
        cg_merge_run(k + i, p + i, j - i, tk, tp);
      }
    }
    i = j;
  }
}

/* keys[0:n) -> out_keys (sorted) and their positions (equal keys ascending); n < 2**32. The positions go to
 * out_order (int64) when it is given, else to out_pos (uint32): ``payload[position]`` when ``payload`` is given
 * (ascending with the position), else the position divided by ``divisor`` (the row of a key in a flattened
 * (rows, divisor) table). Returns 0, or -1 when memory ran out. */
static int cg_sort_with_order(const uint64_t *keys, ptrdiff_t n, uint64_t *out_keys, int64_t *out_order,
                              uint32_t *out_pos, const uint32_t *payload, uint32_t divisor) {
  if (n == 0) return 0;
  int b = 0;
  while (b < 16 && (n >> (b + 1)) >= CG_BUCKET) b++; /* buckets of CG_BUCKET to twice that when keys spread */
  ptrdiff_t B = (ptrdiff_t)1 << b, R = (ptrdiff_t)1 << CG_DIGIT;
  ptrdiff_t *start = (ptrdiff_t *)calloc(B + 1, sizeof(ptrdiff_t));
  uint32_t *pos = out_order == NULL ? out_pos : (uint32_t *)malloc(n * sizeof(uint32_t));
  ptrdiff_t *count = (ptrdiff_t *)malloc(R * sizeof(ptrdiff_t));
  ptrdiff_t *slot = (ptrdiff_t *)malloc(B * sizeof(ptrdiff_t));
  uint64_t *tk = NULL;
  uint32_t *tp = NULL;
  int failed = start == NULL || pos == NULL || count == NULL || slot == NULL;
  int top = 64 - b;
  ptrdiff_t biggest = 0;
  if (!failed) {
    if (b) {
      for (ptrdiff_t i = 0; i < n; i++) start[(keys[i] >> top) + 1]++;
    } else {
      start[1] = n;
    }
    for (ptrdiff_t d = 0; d < B; d++) {
      if (start[d + 1] > biggest) biggest = start[d + 1];
      start[d + 1] += start[d];
    }
    tk = (uint64_t *)malloc(biggest * sizeof(uint64_t));
    tp = (uint32_t *)malloc(biggest * sizeof(uint32_t));
    failed = tk == NULL || tp == NULL;
  }
  if (!failed) {
    memcpy(slot, start, B * sizeof(ptrdiff_t));
    for (ptrdiff_t i = 0; i < n; i++) {
      uint64_t v = keys[i];
      ptrdiff_t at = b ? slot[v >> top]++ : i;
      out_keys[at] = v;
      pos[at] = payload != NULL ? payload[i] : (uint32_t)i;
    }
    for (ptrdiff_t d = 0; d < B; d++) {
      ptrdiff_t lo = start[d], hi = start[d + 1];
      cg_sort_bucket(out_keys + lo, pos + lo, hi - lo, b, tk, tp, count);
    }
    if (out_order != NULL) {
      for (ptrdiff_t i = 0; i < n; i++) out_order[i] = pos[i];
    } else if (payload == NULL && divisor > 1) {
#if defined(__SIZEOF_INT128__) /* exact for 32-bit numerators (Lemire, Kaser and Kurz's fastdiv) */
      uint64_t m = UINT64_C(0xFFFFFFFFFFFFFFFF) / divisor + 1;
      for (ptrdiff_t i = 0; i < n; i++) pos[i] = (uint32_t)(((__uint128_t)m * pos[i]) >> 64);
#else
      for (ptrdiff_t i = 0; i < n; i++) pos[i] /= divisor;
#endif
    }
  }
  free(start); free(count); free(slot); free(tk); free(tp);
  if (out_order != NULL) free(pos);
  return failed ? -1 : 0;
}

#endif
