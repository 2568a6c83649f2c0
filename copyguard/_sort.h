/* In-place ascending sorts of plain 64-bit integers for _core.pyx: an introsort (quicksort on the median of
 * three, insertion sort below CG_SORT_SMALL, heapsort past 2 log2(n) levels) with the comparison inlined.
 * libc's qsort calls a comparator through a pointer for every comparison and, being a merge sort in glibc,
 * copies through a buffer: on the few hundred band keys and passage ids of a check it took about half of the
 * lookup's time. Equal integers are indistinguishable, so the result is the same array as qsort's.
 */
#ifndef COPYGUARD_SORT_H
#define COPYGUARD_SORT_H

#include <stdint.h>
#include <stddef.h>

#define CG_SORT_SMALL 24

#define CG_DEFINE_SORT(NAME, T)                                                                   \
  static void NAME##_sift(T *v, ptrdiff_t root, ptrdiff_t n) {                                   \
    for (ptrdiff_t child = 2 * root + 1; child < n; child = 2 * root + 1) {                       \
      if (child + 1 < n && v[child] < v[child + 1]) child++;                                      \
      if (!(v[root] < v[child])) return;                                                          \
      T t = v[root]; v[root] = v[child]; v[child] = t;                                            \
      root = child;                                                                               \
    }                                                                                             \
  }                                                                                               \
  static void NAME##_heap(T *v, ptrdiff_t n) {                                                    \
    for (ptrdiff_t i = n / 2; i-- > 0;) NAME##_sift(v, i, n);                                     \
    for (ptrdiff_t end = n - 1; end > 0; end--) {                                                 \
      T t = v[0]; v[0] = v[end]; v[end] = t;                                                      \
      NAME##_sift(v, 0, end);                                                                     \
    }                                                                                             \
  }                                                                                               \
  static void NAME##_intro(T *v, ptrdiff_t n, int depth) {                                        \
    while (n > CG_SORT_SMALL) {                                                                   \
      if (depth-- == 0) {                                                                         \
        NAME##_heap(v, n);                                                                        \
        return;                                                                                   \
      }                                                                                           \
      T a = v[0], b = v[n / 2], c = v[n - 1], pivot;                                              \
      if (a < b) pivot = b < c ? b : (a < c ? c : a);                                             \
      else pivot = a < c ? a : (b < c ? c : b);                                                   \
      ptrdiff_t i = 0, j = n - 1;                                                                 \
      for (;;) { /* Hoare partition: [0, j] <= pivot <= [j + 1, n) */                             \
        while (v[i] < pivot) i++;                                                                 \
        while (pivot < v[j]) j--;                                                                 \
        if (i >= j) break;                                                                        \
        T t = v[i]; v[i] = v[j]; v[j] = t;                                                        \
        i++;                                                                                      \
        j--;                                                                                      \
      }                                                                                           \
      /* recurse into the smaller part, loop on the larger: the stack stays within log2(n) */     \
      if (j + 1 < n - j - 1) {                                                                    \
        NAME##_intro(v, j + 1, depth);                                                            \
        v += j + 1;                                                                               \
        n -= j + 1;                                                                               \
      } else {                                                                                    \
        NAME##_intro(v + j + 1, n - j - 1, depth);                                                \
        n = j + 1;                                                                                \
      }                                                                                           \
    }                                                                                             \
    for (ptrdiff_t i = 1; i < n; i++) {                                                           \
      T x = v[i];                                                                                 \
      ptrdiff_t j = i;                                                                            \
      while (j > 0 && x < v[j - 1]) {                                                             \
        v[j] = v[j - 1];                                                                          \
        j--;                                                                                      \
      }                                                                                           \
      v[j] = x;                                                                                   \
    }                                                                                             \
  }                                                                                               \
  static inline void NAME(T *v, ptrdiff_t n) {                                                    \
    int depth = 0;                                                                                \
    for (ptrdiff_t m = n; m > 1; m >>= 1) depth += 2;                                             \
    if (n > 1) NAME##_intro(v, n, depth);                                                         \
  }

CG_DEFINE_SORT(cg_sort_u64, uint64_t)
CG_DEFINE_SORT(cg_sort_i64, int64_t)

#endif
