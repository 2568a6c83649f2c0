/* One walk of a tree-sitter tree collecting what normalize/code.py's query captures (see _code.pxi).
 *
 * The public TSTreeCursor costs about 500 instructions per step (it re-derives each child's
 * position, alias and visibility from its parent on every move); this walk reads the same
 * facts from the vendored runtime's subtree layout once per child, with an explicit stack
 * (no recursion: deeply nested input cannot overflow the C stack). Visibility, aliases,
 * positions and field ids follow tree_cursor.c (ts_tree_cursor_child_iterator_next,
 * ts_tree_cursor_current_node, ts_tree_cursor_current_field_id) of the same runtime version.
 */
#ifndef COPYGUARD_TS_WALK_H
#define COPYGUARD_TS_WALK_H

#include <stdint.h>
#include <stdlib.h>
#include "tree_sitter/api.h"
#include "subtree.h"
#include "language.h"
#include "tree.h"
#include "atomic.h"
#include "alloc.h"

typedef struct { int64_t s, e; int32_t code; } CgSpan;
typedef struct { CgSpan *p; Py_ssize_t n, cap; } CgSpans;
typedef struct { CgSpans opaque, kept, imports, units, soft, shorthand; } CgWalk;

enum {
  CG_STR = 1, CG_NUM = 2, CG_COMMENT = 4, CG_KEPT = 8, CG_UNIT = 16, CG_IMPORT = 32, CG_KEPT_PARENT = 64,
  CG_ANON = 128, CG_SHORTHAND = 256,
};

static int cg_push(CgSpans *v, int64_t s, int64_t e, int32_t code) {
  if (v->n == v->cap) {
    Py_ssize_t cap = v->cap ? 2 * v->cap : 64;
    CgSpan *grown = (CgSpan *)realloc(v->p, (size_t)cap * sizeof(CgSpan));
    if (!grown) return -1;
    v->p = grown;
    v->cap = cap;
  }
  v->p[v->n].s = s;
  v->p[v->n].e = e;
  v->p[v->n].code = code;
  v->n++;
  return 0;
}

static void cg_free_walk(CgWalk *w) {
  free(w->opaque.p);
  free(w->kept.p);
  free(w->imports.p);
  free(w->units.p);
  free(w->soft.p);
  free(w->shorthand.p);
}

typedef struct {
  const Subtree *children; /* the children of the node whose frame this is (visible, or hidden in a visible one) */
  const TSSymbol *aliases; /* alias sequence of its production, or NULL */
  uint32_t next;           /* children not walked yet: the next is children[next - 1] (the walk goes right to left) */
  uint32_t structural;     /* structural (non-extra) children before the next one and itself (when aliases or fields) */
  uint32_t end;            /* byte offset where the next child ends */
  uint32_t s, e;           /* the node's own span, recorded when the walk leaves it (``record``) */
  TSSymbol sym;            /* the node's public symbol (``record``) */
  uint16_t production;
  uint16_t kp_symbol;      /* the nearest visible ancestor, when it is a kept parent (fields matter) */
  uint16_t field_above;    /* field of a hidden node within that ancestor (0 when the node is visible) */
  uint8_t kept_parent;
  uint8_t owned;           /* the walk holds the node's last reference: it frees the node when done */
  uint8_t record;          /* visible: record the node (``cg_record``) when leaving it */
  uint8_t kept_field;      /* and it is a kept field of its parent */
} CgFrame;

static inline uint16_t cg_field(const TSLanguage *lang, uint16_t production, uint32_t structural) {
  const TSFieldMapEntry *map, *end;
  ts_language_field_map(lang, production, &map, &end);
  for (; map < end; map++) {
    if (!map->inherited && map->child_index == structural) return map->field_id;
  }
  return 0;
}

/* ts_language_public_symbol (language.c), inlined: it is asked once per visible node. */
static inline TSSymbol cg_public_symbol(const TSLanguage *lang, TSSymbol symbol) {
  return symbol == ts_builtin_sym_error ? symbol : lang->public_symbol_map[symbol];
}

/* Drop the walk's reference to a node with children (never inline): whether it was the last one. */
static inline uint8_t cg_disown(Subtree c) {
  return atomic_dec((volatile uint32_t *)&c.ptr->ref_count) == 0;
}

/* ts_subtree_release of a leaf (no children): drop the reference, free it when it was the last one. */
static inline void cg_release_leaf(Subtree c) {
  if (c.data.is_inline) return;
  if (atomic_dec((volatile uint32_t *)&c.ptr->ref_count) == 0) {
    if (c.ptr->has_external_tokens) ts_external_scanner_state_delete((ExternalScannerState *)&c.ptr->external_scanner_state);
    ts_free((void *)c.ptr);
  }
}

/* Ask for a node's block ahead of its visit (its header, and a short children array before it): the walk waits on
 * memory more than it computes. */
static inline void cg_prefetch(Subtree c) {
  if (!c.data.is_inline) {
    __builtin_prefetch((const char *)c.ptr - 2 * sizeof(Subtree));
    __builtin_prefetch((const char *)c.ptr + sizeof(SubtreeHeapData) / 2);
    __builtin_prefetch((const char *)c.ptr + sizeof(SubtreeHeapData) - 1);
  }
}

enum { CG_AHEAD = 4 };  /* siblings fetched ahead */
enum { CG_UP = 6 };     /* frames fetched ahead of a return */

/* Whether the walk enters a visible node's children: not those of a literal or comment (nothing inside becomes
 * a token). */
static inline int cg_enters(const uint16_t *flags, uint32_t n_flags, TSSymbol sym, int64_t s, int64_t e) {
  uint16_t f = sym < n_flags ? flags[sym] : 0;
  return !((f & (CG_STR | CG_NUM | CG_COMMENT)) && e > s);
}

/* Record one visible node by class, when the walk leaves it. The walk goes right to left and records a node after
 * its children, each record in reverse: reversed at the end, the lists are in the order of a walk from left to
 * right that records a node before its children (the tree's order: by start, outer first). */
static inline __attribute__((always_inline)) void cg_record(CgWalk *w, const uint16_t *flags, uint32_t n_flags, const uint8_t *text,
                             const uint8_t *word_start, TSSymbol sym, int64_t s, int64_t e, int kept_field, int *err) {
  uint16_t f = sym < n_flags ? flags[sym] : 0;
  if (kept_field) *err |= cg_push(&w->kept, s, e, 4);
  if (!f) return;
  if ((f & CG_ANON) && e > s && (text[s] >= 128 || word_start[text[s]])) *err |= cg_push(&w->soft, s, e, 0);
  if (f & CG_SHORTHAND) *err |= cg_push(&w->shorthand, s, e, 7);
  if (f & CG_IMPORT) *err |= cg_push(&w->imports, s, e, 6);
  if (f & CG_UNIT) *err |= cg_push(&w->units, s, e, 5);
  if (f & CG_KEPT) *err |= cg_push(&w->kept, s, e, 4);
  if (f & CG_COMMENT) *err |= cg_push(&w->opaque, s, e, 3);
  if (f & CG_NUM) *err |= cg_push(&w->opaque, s, e, 2);
  if (f & CG_STR) *err |= cg_push(&w->opaque, s, e, 1);
}

static void cg_reverse(CgSpans *v) {
  for (Py_ssize_t i = 0, j = v->n - 1; i < j; i++, j--) {
    CgSpan t = v->p[i];
    v->p[i] = v->p[j];
    v->p[j] = t;
  }
}

/* A frame for node ``c`` spanning [s, e), ``owned`` when the walk holds its last reference. */
static inline CgFrame cg_frame(const TSLanguage *lang, Subtree c, uint32_t s, uint32_t e, TSSymbol sym, uint8_t record,
                               uint8_t kept_field, uint16_t kp_symbol, uint16_t field_above, uint8_t kp, uint8_t owned) {
  uint32_t n = ts_subtree_child_count(c);
  const Subtree *children = ts_subtree_children(c);
  for (uint32_t k = n; k > 0 && k + CG_AHEAD > n; k--) cg_prefetch(children[k - 1]);
  uint16_t prod = ts_subtree_production_id(c);
  const TSSymbol *aliases = ts_language_alias_sequence(lang, prod);
  uint32_t structural = 0;
  if (aliases || kp) {  /* the index of a child among the structural ones: counted from the left */
    for (uint32_t k = 0; k < n; k++) structural += !ts_subtree_extra(children[k]);
  }
  return (CgFrame){children, aliases, n, structural, e, s, e, sym, prod, kp_symbol, field_above, kp, owned, record,
                   kept_field};
}

/* Walk the tree, collecting into ``w``, and delete it (ts_tree_delete) in the same pass: each node is freed
 * when the walk leaves it, while its memory is still in the CPU's caches (a finished tree is larger than
 * them; a walk, then a second pass to delete, read every node from memory twice). A node is freed as
 * ts_subtree_release frees it: when the reference dropped was its last one (a subtree shared elsewhere is
 * walked, not freed); the children the walk does not enter go through ts_subtree_release itself. The tree
 * is gone when this returns, also on error (-1: out of memory; ``w`` is then incomplete).
 * Frees through ts_free: with copyguard's allocator (pymalloc) the caller holds the GIL.
 *
 * The walk goes through each node's children from the last to the first (positions from the node's end back:
 * a child ends where the next one starts, less that one's padding), so that a node's first child is its last
 * visit: when the node is hidden, the child's frame replaces the node's, and the node is freed at once. A long
 * repetition (a generated table of 100,000 numbers) is a chain of hidden nodes, each the first child of the
 * next, as deep as it is long: walked so, in constant depth, each block read once while in the caches (walked
 * from the left, the way back up read a cold block and a cold frame per element). cg_record keeps the lists in
 * the order of a walk from the left. */
static int cg_walk_delete(TSTree *tree, const uint16_t *flags, uint32_t n_flags, const uint32_t *fields,
                          Py_ssize_t n_fields, const uint8_t *text, const uint8_t *word_start, CgWalk *w) {
  const TSLanguage *lang = tree->language;
  Subtree root = tree->root;
  SubtreePool pool = ts_subtree_pool_new(0);
  int err = 0;
  Py_ssize_t depth = 0, cap = 64;
  CgFrame *stack = NULL;
  TSSymbol sym = cg_public_symbol(lang, ts_subtree_symbol(root));
  int64_t s = ts_subtree_padding(root).bytes, e = s + ts_subtree_size(root).bytes;
  int walk = cg_enters(flags, n_flags, sym, s, e) && ts_subtree_child_count(root) > 0;
  if (walk) {
    stack = (CgFrame *)malloc((size_t)cap * sizeof(CgFrame));
    if (!stack) {
      err = -1;
      walk = 0;
    }
  }
  if (!walk) {
    if (!err) cg_record(w, flags, n_flags, text, word_start, sym, s, e, 0, &err);
    ts_subtree_release(&pool, root);
  } else {
    uint8_t kp = sym < n_flags && (flags[sym] & CG_KEPT_PARENT);
    stack[0] = cg_frame(lang, root, (uint32_t)s, (uint32_t)e, sym, 1, 0, sym, 0, kp, cg_disown(root));
    depth = 1;
  }
  while (depth > 0) {
    CgFrame *fr = &stack[depth - 1];
    const Subtree *children = fr->children;
    if (fr->next == 0) {
      if (fr->record && !err)
        cg_record(w, flags, n_flags, text, word_start, fr->sym, fr->s, fr->e, fr->kept_field, &err);
      if (fr->owned) ts_free((void *)children);  /* the children's block holds the node itself too */
      depth--;
      if (depth > CG_UP) {
        const CgFrame *up = &stack[depth - 1 - CG_UP];
        if (up->next) __builtin_prefetch(up->children + up->next - 1);
      }
      if (depth > CG_UP / 2) {
        const CgFrame *up = &stack[depth - 1 - CG_UP / 2];
        if (up->next) cg_prefetch(up->children[up->next - 1]);
      }
      continue;
    }
    Subtree c = children[--fr->next];
    uint8_t owned = fr->owned;
    if (fr->next > CG_AHEAD) cg_prefetch(children[fr->next - 1 - CG_AHEAD]);
    if (err) {  /* out of memory: no more visits, only the freeing */
      if (owned) ts_subtree_release(&pool, c);
      continue;
    }
    uint32_t end = fr->end, start = end - ts_subtree_size(c).bytes;
    fr->end = start - ts_subtree_padding(c).bytes;
    int extra = ts_subtree_extra(c);
    uint32_t structural = 0;
    if (!extra && (fr->aliases || fr->kept_parent)) structural = --fr->structural;
    TSSymbol alias = (!extra && fr->aliases) ? fr->aliases[structural] : 0;
    uint16_t field = 0;
    if (fr->kept_parent && !extra) {
      field = cg_field(lang, fr->production, structural);
      if (!field) field = fr->field_above;
    }
    int visible = ts_subtree_visible(c) || alias;
    int descend = ts_subtree_child_count(c) > 0;
    uint16_t child_kp_symbol = fr->kp_symbol, child_field_above = field;
    uint8_t child_kp = fr->kept_parent, kept_field = 0;
    TSSymbol csym = 0;
    if (visible) {
      csym = cg_public_symbol(lang, alias ? alias : ts_subtree_symbol(c));
      if (!cg_enters(flags, n_flags, csym, start, end)) descend = 0;
      if (fr->kept_parent && field) {
        uint32_t key = ((uint32_t)fr->kp_symbol << 16) | field;
        for (Py_ssize_t i = 0; i < n_fields; i++) {
          if (fields[i] == key) {
            kept_field = 1;
            break;
          }
        }
      }
      if (!descend) cg_record(w, flags, n_flags, text, word_start, csym, start, end, kept_field, &err);
      child_kp = csym < n_flags && (flags[csym] & CG_KEPT_PARENT);
      child_kp_symbol = csym;
      child_field_above = 0;
    }
    if (descend && fr->next == 0 && !fr->record) {
      /* the last child of a hidden node: its frame takes the node's place (a long repetition is a chain of hidden
       * nodes, each the first child of the next, as deep as it is long: walked in constant depth, each block
       * freed while it is in the caches) */
      uint8_t child_owned = owned ? cg_disown(c) : 0;
      if (owned) ts_free((void *)children);
      *fr = cg_frame(lang, c, start, end, csym, (uint8_t)visible, kept_field, child_kp_symbol, child_field_above,
                     child_kp, child_owned);
      continue;
    }
    if (descend && depth == cap) {
      CgFrame *grown = (CgFrame *)realloc(stack, (size_t)(2 * cap) * sizeof(CgFrame));
      if (grown) {
        stack = grown;
        cap *= 2;
      } else {
        err = -1;
        descend = 0;
      }
    }
    if (descend) {
      stack[depth] = cg_frame(lang, c, start, end, csym, (uint8_t)visible, kept_field, child_kp_symbol,
                              child_field_above, child_kp, owned ? cg_disown(c) : 0);
      depth++;
    } else if (owned) {
      if (ts_subtree_child_count(c) == 0) {
        cg_release_leaf(c);
      } else {
        ts_subtree_release(&pool, c);
      }
    }
  }
  free(stack);
  ts_subtree_pool_delete(&pool);
  ts_language_delete(tree->language);
  ts_free(tree->included_ranges);
  ts_free(tree);
  cg_reverse(&w->opaque);
  cg_reverse(&w->kept);
  cg_reverse(&w->imports);
  cg_reverse(&w->units);
  cg_reverse(&w->soft);
  cg_reverse(&w->shorthand);
  return err;
}

#endif
