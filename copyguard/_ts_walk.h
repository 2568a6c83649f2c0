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
  Subtree parent;          /* the node whose children are iterated (visible, or hidden inside a visible one) */
  const TSSymbol *aliases; /* alias sequence of the parent's production, or NULL */
  uint32_t child;          /* next child */
  uint32_t structural;     /* next structural (non-extra) child */
  uint32_t pos;            /* byte offset where the next child starts (after its padding) */
  uint16_t production;
  uint16_t kp_symbol;      /* the nearest visible ancestor, when it is a kept parent (fields matter) */
  uint16_t field_above;    /* field of a hidden parent within that ancestor (0 when the parent is visible) */
  uint8_t kept_parent;
  uint8_t owned;           /* the walk holds the parent's last reference: it frees the parent when done */
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

/* Ask for a node's header ahead of its visit: the walk waits on memory more than it computes. */
static inline void cg_prefetch(Subtree c) {
  if (!c.data.is_inline) __builtin_prefetch(c.ptr);
}

enum { CG_AHEAD = 4 };  /* siblings fetched ahead */

/* Visit one visible node: record it by class; returns whether to walk its children. */
static inline int cg_visit(CgWalk *w, const uint16_t *flags, uint32_t n_flags, const uint8_t *text,
                           const uint8_t *word_start, TSSymbol sym, int64_t s, int64_t e, int *err) {
  uint16_t f = sym < n_flags ? flags[sym] : 0;
  int descend = 1;
  if (!f) return 1;
  if (f & CG_STR) *err |= cg_push(&w->opaque, s, e, 1);
  if (f & CG_NUM) *err |= cg_push(&w->opaque, s, e, 2);
  if (f & CG_COMMENT) *err |= cg_push(&w->opaque, s, e, 3);
  if ((f & (CG_STR | CG_NUM | CG_COMMENT)) && e > s) descend = 0;  /* nothing inside becomes a token */
  if (f & CG_KEPT) *err |= cg_push(&w->kept, s, e, 4);
  if (f & CG_UNIT) *err |= cg_push(&w->units, s, e, 5);
  if (f & CG_IMPORT) *err |= cg_push(&w->imports, s, e, 6);
  if (f & CG_SHORTHAND) *err |= cg_push(&w->shorthand, s, e, 7);
  if ((f & CG_ANON) && e > s && (text[s] >= 128 || word_start[text[s]])) *err |= cg_push(&w->soft, s, e, 0);
  return descend;
}

/* Walk the tree, collecting into ``w``, and delete it (ts_tree_delete) in the same pass: each node is freed
 * when the walk leaves it, while its memory is still in the CPU's caches (a finished tree is larger than
 * them; a walk, then a second pass to delete, read every node from memory twice). A node is freed as
 * ts_subtree_release frees it: when the reference dropped was its last one (a subtree shared elsewhere is
 * walked, not freed); the children the walk does not enter go through ts_subtree_release itself. The tree
 * is gone when this returns, also on error (-1: out of memory; ``w`` is then incomplete).
 * Frees through ts_free: with copyguard's allocator (pymalloc) the caller holds the GIL. */
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
  int walk = cg_visit(w, flags, n_flags, text, word_start, sym, s, e, &err) && ts_subtree_child_count(root) > 0;
  if (walk) {
    stack = (CgFrame *)malloc((size_t)cap * sizeof(CgFrame));
    if (!stack) {
      err = -1;
      walk = 0;
    }
  }
  if (!walk) {
    ts_subtree_release(&pool, root);
  } else {
    uint16_t prod = ts_subtree_production_id(root);
    uint8_t kp = sym < n_flags && (flags[sym] & CG_KEPT_PARENT);
    stack[0] = (CgFrame){root, ts_language_alias_sequence(lang, prod), 0, 0, (uint32_t)s, prod, sym, 0, kp,
                         cg_disown(root)};
    depth = 1;
    for (uint32_t k = 0; k < ts_subtree_child_count(root) && k < CG_AHEAD; k++)
      cg_prefetch(ts_subtree_children(root)[k]);
  }
  while (depth > 0) {
    CgFrame *fr = &stack[depth - 1];
    uint32_t count = ts_subtree_child_count(fr->parent);
    Subtree *children = ts_subtree_children(fr->parent);
    if (fr->child == count) {
      if (fr->owned) ts_free(children);  /* the children's block holds the node itself too */
      depth--;
      continue;
    }
    Subtree c = children[fr->child];
    uint8_t owned = fr->owned;
    if (fr->child + CG_AHEAD < count) cg_prefetch(children[fr->child + CG_AHEAD]);
    if (err) {  /* out of memory: no more visits, only the freeing */
      fr->child++;
      if (owned) ts_subtree_release(&pool, c);
      continue;
    }
    uint32_t start = fr->pos;
    int extra = ts_subtree_extra(c);
    TSSymbol alias = (!extra && fr->aliases) ? fr->aliases[fr->structural] : 0;
    uint32_t structural = fr->structural;
    if (!extra) fr->structural++;
    fr->child++;
    fr->pos = start + ts_subtree_size(c).bytes;
    if (fr->child < count) fr->pos += ts_subtree_padding(children[fr->child]).bytes;
    uint16_t field = 0;
    if (fr->kept_parent && !extra) {
      field = cg_field(lang, fr->production, structural);
      if (!field) field = fr->field_above;
    }
    int visible = ts_subtree_visible(c) || alias;
    int descend = ts_subtree_child_count(c) > 0;
    uint16_t child_kp_symbol = fr->kp_symbol, child_field_above = field;
    uint8_t child_kp = fr->kept_parent;
    if (visible) {
      TSSymbol csym = cg_public_symbol(lang, alias ? alias : ts_subtree_symbol(c));
      int64_t cs = start, ce = start + ts_subtree_size(c).bytes;
      if (!cg_visit(w, flags, n_flags, text, word_start, csym, cs, ce, &err)) descend = 0;
      if (fr->kept_parent && field) {
        uint32_t key = ((uint32_t)fr->kp_symbol << 16) | field;
        for (Py_ssize_t i = 0; i < n_fields; i++) {
          if (fields[i] == key) {
            err |= cg_push(&w->kept, cs, ce, 4);
            break;
          }
        }
      }
      child_kp = csym < n_flags && (flags[csym] & CG_KEPT_PARENT);
      child_kp_symbol = csym;
      child_field_above = 0;
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
      uint32_t n = ts_subtree_child_count(c);
      const Subtree *grand = ts_subtree_children(c);
      for (uint32_t k = 0; k < n && k < CG_AHEAD; k++) cg_prefetch(grand[k]);
      uint16_t cprod = ts_subtree_production_id(c);
      stack[depth++] = (CgFrame){c, ts_language_alias_sequence(lang, cprod), 0, 0, start, cprod, child_kp_symbol,
                                 child_field_above, child_kp, owned ? cg_disown(c) : 0};
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
  return err;
}

#endif
