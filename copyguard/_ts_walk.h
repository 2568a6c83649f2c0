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

typedef struct { int64_t s, e; int32_t code; } CgSpan;
typedef struct { CgSpan *p; Py_ssize_t n, cap; } CgSpans;
typedef struct { CgSpans opaque, kept, imports, units, soft; } CgWalk;

enum {
  CG_STR = 1, CG_NUM = 2, CG_COMMENT = 4, CG_KEPT = 8, CG_UNIT = 16, CG_IMPORT = 32, CG_KEPT_PARENT = 64,
  CG_ANON = 128,
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
} CgFrame;

static inline uint16_t cg_field(const TSLanguage *lang, uint16_t production, uint32_t structural) {
  const TSFieldMapEntry *map, *end;
  ts_language_field_map(lang, production, &map, &end);
  for (; map < end; map++) {
    if (!map->inherited && map->child_index == structural) return map->field_id;
  }
  return 0;
}

/* Visit one visible node: record it by class; returns whether to walk its children. */
static inline int cg_visit(CgWalk *w, const uint8_t *flags, uint32_t n_flags, const uint8_t *text,
                           const uint8_t *word_start, TSSymbol sym, int64_t s, int64_t e, int *err) {
  uint8_t f = sym < n_flags ? flags[sym] : 0;
  int descend = 1;
  if (!f) return 1;
  if (f & CG_STR) *err |= cg_push(&w->opaque, s, e, 1);
  if (f & CG_NUM) *err |= cg_push(&w->opaque, s, e, 2);
  if (f & CG_COMMENT) *err |= cg_push(&w->opaque, s, e, 3);
  if ((f & (CG_STR | CG_NUM | CG_COMMENT)) && e > s) descend = 0;  /* nothing inside becomes a token */
  if (f & CG_KEPT) *err |= cg_push(&w->kept, s, e, 4);
  if (f & CG_UNIT) *err |= cg_push(&w->units, s, e, 5);
  if (f & CG_IMPORT) *err |= cg_push(&w->imports, s, e, 6);
  if ((f & CG_ANON) && e > s && (text[s] >= 128 || word_start[text[s]])) *err |= cg_push(&w->soft, s, e, 0);
  return descend;
}

static int cg_walk(const TSTree *tree, const uint8_t *flags, uint32_t n_flags, const uint32_t *fields,
                   Py_ssize_t n_fields, const uint8_t *text, const uint8_t *word_start, CgWalk *w) {
  const TSLanguage *lang = tree->language;
  Subtree root = tree->root;
  int err = 0;
  Py_ssize_t depth = 0, cap = 64;
  CgFrame *stack;
  TSSymbol sym = ts_language_public_symbol(lang, ts_subtree_symbol(root));
  int64_t s = ts_subtree_padding(root).bytes, e = s + ts_subtree_size(root).bytes;
  if (!cg_visit(w, flags, n_flags, text, word_start, sym, s, e, &err) || ts_subtree_child_count(root) == 0)
    return err;
  stack = (CgFrame *)malloc((size_t)cap * sizeof(CgFrame));
  if (!stack) return -1;
  uint16_t prod = ts_subtree_production_id(root);
  uint8_t kp = sym < n_flags && (flags[sym] & CG_KEPT_PARENT);
  stack[0] = (CgFrame){root, ts_language_alias_sequence(lang, prod), 0, 0, (uint32_t)s, prod, sym, 0, kp};
  depth = 1;
  while (depth > 0 && !err) {
    CgFrame *fr = &stack[depth - 1];
    uint32_t count = ts_subtree_child_count(fr->parent);
    if (fr->child == count) {
      depth--;
      continue;
    }
    const Subtree *children = ts_subtree_children(fr->parent);
    Subtree c = children[fr->child];
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
      TSSymbol csym = ts_language_public_symbol(lang, alias ? alias : ts_subtree_symbol(c));
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
    if (descend) {
      if (depth == cap) {
        CgFrame *grown = (CgFrame *)realloc(stack, (size_t)(2 * cap) * sizeof(CgFrame));
        if (!grown) {
          err = -1;
          break;
        }
        stack = grown;
        cap *= 2;
      }
      uint16_t cprod = ts_subtree_production_id(c);
      stack[depth++] = (CgFrame){c, ts_language_alias_sequence(lang, cprod), 0, 0, start, cprod, child_kp_symbol,
                                 child_field_above, child_kp};
    }
  }
  free(stack);
  return err;
}

#endif
