/* The compiled twin of normalize/detect.py's line classifier: ``hints_at_code`` and ``_line_kind`` (with the
 * ``looks_like_code`` it calls), one pass over a prose run's lines.
 *
 * Each regex of detect.py is written out here as the match it makes; the comment above each function quotes
 * its regex. Character classes are the regex engine's own for str patterns: ``\w`` is Py_UNICODE_ISALNUM or
 * ``_``, ``\s`` Py_UNICODE_ISSPACE, ``\d`` Py_UNICODE_ISDECIMAL, ``.`` anything but ``\n``. A line is one of
 * ``str.splitlines(keepends=True)``: it holds a line break only as its last character (or ``\r\n``), so
 * ``$`` (with or without MULTILINE) matches at its end or before a final ``\n`` only.
 * tests/normalize/test_detect.py compares every result with the regexes on real and generated text.
 */
#ifndef COPYGUARD_LINES_H
#define COPYGUARD_LINES_H

#include <Python.h>

typedef struct {
  int kind;
  const void *data;
} cg_text;

#define CG_AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

enum { CG_BLANK = 0, CG_FENCE = 1, CG_CODE = 2, CG_PROSE = 3, CG_WEAK = 4 };

static inline int cg_w(Py_UCS4 c) { /* \w */
  if (c < 128) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return Py_UNICODE_ISALNUM(c);
}

static inline int cg_s(Py_UCS4 c) { return Py_UNICODE_ISSPACE(c); } /* \s, and what str.strip() removes */

static inline int cg_letter(Py_UCS4 c) { /* [^\W\d_] */
  if (c < 128) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

static inline int cg_in(Py_UCS4 c, const char *set) {
  if (c == 0 || c >= 128) return 0;
  for (; *set; set++)
    if ((Py_UCS4)(unsigned char)*set == c) return 1;
  return 0;
}

/* Whether the ASCII literal ``lit`` starts at ``p`` (before ``e``). */
static inline int cg_lit(const cg_text *t, Py_ssize_t p, Py_ssize_t e, const char *lit) {
  for (; *lit; lit++, p++)
    if (p >= e || CG_AT(t, p) != (Py_UCS4)(unsigned char)*lit) return 0;
  return 1;
}

static inline Py_ssize_t cg_skip_s(const cg_text *t, Py_ssize_t p, Py_ssize_t e) {
  while (p < e && cg_s(CG_AT(t, p))) p++;
  return p;
}

static inline Py_ssize_t cg_skip_blank(const cg_text *t, Py_ssize_t p, Py_ssize_t e) { /* [ \t]* */
  Py_UCS4 c;
  while (p < e && ((c = CG_AT(t, p)) == ' ' || c == '\t')) p++;
  return p;
}

static inline Py_ssize_t cg_skip_w(const cg_text *t, Py_ssize_t p, Py_ssize_t e) {
  while (p < e && cg_w(CG_AT(t, p))) p++;
  return p;
}

static inline Py_ssize_t cg_skip_wdot(const cg_text *t, Py_ssize_t p, Py_ssize_t e) { /* [\w.]* */
  Py_UCS4 c;
  while (p < e && (cg_w(c = CG_AT(t, p)) || c == '.')) p++;
  return p;
}

/* ``lit\s+`` at p: the position after the spaces, or -1. */
static inline Py_ssize_t cg_kw_s(const cg_text *t, Py_ssize_t p, Py_ssize_t e, const char *lit) {
  Py_ssize_t n = (Py_ssize_t)strlen(lit), q;
  if (!cg_lit(t, p, e, lit)) return -1;
  q = cg_skip_s(t, p + n, e);
  return q > p + n ? q : -1;
}

/* ``lit\s+\w`` at p */
static inline int cg_kw_s_w(const cg_text *t, Py_ssize_t p, Py_ssize_t e, const char *lit) {
  Py_ssize_t q = cg_kw_s(t, p, e, lit);
  return q >= 0 && q < e && cg_w(CG_AT(t, q));
}

/* ``lit\b`` at p (``lit`` ends with a word character; the string ends at e) */
static inline int cg_kw_b(const cg_text *t, Py_ssize_t p, Py_ssize_t e, const char *lit) {
  Py_ssize_t n = (Py_ssize_t)strlen(lit);
  return cg_lit(t, p, e, lit) && (p + n == e || !cg_w(CG_AT(t, p + n)));
}

/* ``\w+(?:\.\w+)*`` at p: its end, or -1 (each part is taken whole: what follows it is never a word character). */
static inline Py_ssize_t cg_dotted(const cg_text *t, Py_ssize_t p, Py_ssize_t e) {
  Py_ssize_t q = cg_skip_w(t, p, e), r;
  if (q == p) return -1;
  while (q + 1 < e && CG_AT(t, q) == '.' && cg_w(CG_AT(t, q + 1))) {
    r = cg_skip_w(t, q + 1, e);
    q = r;
  }
  return q;
}

/* Where ``$`` can stand at the end of the line [s, e) after ``[ \t]*`` is taken from its end: the index after
 * the last character that is not a space or a tab, before a final ``\n``. */
static inline Py_ssize_t cg_end_blank(const cg_text *t, Py_ssize_t s, Py_ssize_t e) {
  Py_UCS4 c;
  Py_ssize_t q = e;
  if (q > s && CG_AT(t, q - 1) == '\n') q--;
  while (q > s && ((c = CG_AT(t, q - 1)) == ' ' || c == '\t')) q--;
  return q;
}

/* ``\w+(?:\.\w+)*\(.*\)`` then ``tail`` to the end: 0 for ``[ \t]*$`` (_HINT), 1 for ``\s*;?\s*$``
 * (_CODE_LINE_START). */
static int cg_call_line(const cg_text *t, Py_ssize_t p, Py_ssize_t s, Py_ssize_t e, int tail) {
  Py_ssize_t q = cg_dotted(t, p, e), r, k;
  if (q < 0 || q >= e || CG_AT(t, q) != '(') return 0;
  if (tail == 0) {
    k = cg_end_blank(t, s, e);
    return k - 1 >= q + 1 && CG_AT(t, k - 1) == ')';
  }
  /* the ``)`` is the line's last one: after it only spaces and at most one ``;`` */
  for (r = e - 1; r > q && CG_AT(t, r) != ')'; r--) {
  }
  if (r <= q) return 0;
  k = cg_skip_s(t, r + 1, e);
  if (k < e && CG_AT(t, k) == ';') k = cg_skip_s(t, k + 1, e);
  return k == e;
}

/* ``export\s+(?:type\s+)?[{*]`` at p */
static int cg_export_list(const cg_text *t, Py_ssize_t p, Py_ssize_t e) {
  Py_ssize_t q = cg_kw_s(t, p, e, "export"), r;
  Py_UCS4 c;
  if (q < 0) return 0;
  if ((r = cg_kw_s(t, q, e, "type")) >= 0) q = r;
  return q < e && ((c = CG_AT(t, q)) == '{' || c == '*');
}

/* ``(?:const|let|var)\s+\w+\s*=`` at p: an alternative of both _CODE_LINE_START and _HINT. */
static int cg_declaration(const cg_text *t, Py_ssize_t p, Py_ssize_t e) {
  static const char *const decl[] = {"const", "let", "var"};
  Py_ssize_t q, r;
  size_t i;
  for (i = 0; i < sizeof(decl) / sizeof(*decl); i++) {
    if ((q = cg_kw_s(t, p, e, decl[i])) >= 0) {
      r = cg_skip_w(t, q, e);
      if (r > q && (r = cg_skip_s(t, r, e)) < e && CG_AT(t, r) == '=') return 1;
    }
  }
  return 0;
}

/* _CODE_LINE_START.match(line):
 *   \s*(?:[}\])]|\#include|\#!|@\w+|import\s+[\w.{*]|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import
 *   |(?:async\s+)?def\s+\w+\s*\(|class\s+\w+|(?:export\s+)?(?:async\s+)?function\b|fn\s+\w+
 *   |func\s|package\s+\w+|using\s+[\w.]+;|(?:public|private|protected|static)\s+\w+
 *   |(?:const|let|var)\s+\w+\s*=|return\b|(?:if|for|while|elif|else|switch|try|except|catch)\b.*[:{(]
 *   |print\w*\s*\(|console\.\w+\(|echo\s|end\s*$|\$\s+\w
 *   |\w+(?:\.\w+)*\(.*\)\s*;?\s*$)
 * No alternative starts with a space, so ``\s*`` takes them all. */
static int cg_code_start(const cg_text *t, Py_ssize_t s, Py_ssize_t e) {
  static const char *const mods[] = {"public", "private", "protected", "static"};
  static const char *const flow[] = {"if", "for", "while", "elif", "else", "switch", "try", "except", "catch"};
  Py_ssize_t p = cg_skip_s(t, s, e), q, r;
  Py_UCS4 c, c0;
  size_t i;
  if (p >= e) return 0;
  c0 = CG_AT(t, p);
  if (c0 == '}' || c0 == ']' || c0 == ')') return 1;
  if (cg_lit(t, p, e, "#include") || cg_lit(t, p, e, "#!")) return 1;
  if (c0 == '@' && p + 1 < e && cg_w(CG_AT(t, p + 1))) return 1;
  if ((q = cg_kw_s(t, p, e, "import")) >= 0 && q < e && (cg_w(c = CG_AT(t, q)) || c == '.' || c == '{' || c == '*'))
    return 1;
  if (cg_export_list(t, p, e)) return 1;
  if ((q = cg_kw_s(t, p, e, "from")) >= 0) {
    r = cg_skip_wdot(t, q, e);
    if (r > q && (q = cg_skip_s(t, r, e)) > r && cg_lit(t, q, e, "import")) return 1;
  }
  q = p;
  if ((r = cg_kw_s(t, p, e, "async")) >= 0) q = r;
  if ((q = cg_kw_s(t, q, e, "def")) >= 0) {
    r = cg_skip_w(t, q, e);
    if (r > q && (r = cg_skip_s(t, r, e)) < e && CG_AT(t, r) == '(') return 1;
  }
  if (cg_kw_s_w(t, p, e, "class")) return 1;
  q = p;
  if ((r = cg_kw_s(t, q, e, "export")) >= 0) q = r;
  if ((r = cg_kw_s(t, q, e, "async")) >= 0) q = r;
  if (cg_kw_b(t, q, e, "function")) return 1;
  if (cg_kw_s_w(t, p, e, "fn")) return 1;
  if (cg_lit(t, p, e, "func") && p + 4 < e && cg_s(CG_AT(t, p + 4))) return 1;
  if (cg_kw_s_w(t, p, e, "package")) return 1;
  if ((q = cg_kw_s(t, p, e, "using")) >= 0) {
    r = cg_skip_wdot(t, q, e);
    if (r > q && r < e && CG_AT(t, r) == ';') return 1;
  }
  for (i = 0; i < sizeof(mods) / sizeof(*mods); i++)
    if (cg_kw_s_w(t, p, e, mods[i])) return 1;
  if (cg_declaration(t, p, e)) return 1;
  if (cg_kw_b(t, p, e, "return")) return 1;
  for (i = 0; i < sizeof(flow) / sizeof(*flow); i++) {
    if (cg_kw_b(t, p, e, flow[i])) {
      for (q = p + (Py_ssize_t)strlen(flow[i]); q < e; q++) {
        c = CG_AT(t, q);
        if (c == ':' || c == '{' || c == '(') return 1;
        if (c == '\n') break;
      }
    }
  }
  if (cg_lit(t, p, e, "print")) {
    q = cg_skip_s(t, cg_skip_w(t, p + 5, e), e);
    if (q < e && CG_AT(t, q) == '(') return 1;
  }
  if (cg_lit(t, p, e, "console.")) {
    q = cg_skip_w(t, p + 8, e);
    if (q > p + 8 && q < e && CG_AT(t, q) == '(') return 1;
  }
  if (cg_lit(t, p, e, "echo") && p + 4 < e && cg_s(CG_AT(t, p + 4))) return 1;
  if (cg_lit(t, p, e, "end") && cg_skip_s(t, p + 3, e) == e) return 1;
  if (c0 == '$' && (q = cg_skip_s(t, p + 1, e)) > p + 1 && q < e && cg_w(CG_AT(t, q))) return 1;
  return cg_call_line(t, p, s, e, 1);
}

/* _CODE_LINE_ANY.search(line): [;{}]\s*$|(?<!\w)\w+\s*(?:=|\+=|-=|:=|==|!=|=>|->)\s*\S|\)\s*:\s*$ */
static int cg_code_any(const cg_text *t, Py_ssize_t s, Py_ssize_t e) {
  Py_ssize_t k = e, q, i, j;
  Py_UCS4 c, d;
  while (k > s && cg_s(CG_AT(t, k - 1))) k--; /* [s, k): the line without its trailing spaces */
  if (k > s) {
    c = CG_AT(t, k - 1);
    if (c == ';' || c == '{' || c == '}') return 1;
    if (c == ':') {
      q = k - 1;
      while (q > s && cg_s(CG_AT(t, q - 1))) q--;
      if (q > s && CG_AT(t, q - 1) == ')') return 1;
    }
  }
  for (i = s; i < e;) {
    if (!cg_w(CG_AT(t, i))) {
      i++;
      continue;
    }
    j = cg_skip_w(t, i, e); /* a whole word: (?<!\w)\w+ */
    q = cg_skip_s(t, j, e);
    if (q < e) {
      c = CG_AT(t, q);
      d = q + 1 < e ? CG_AT(t, q + 1) : 0;
      if (c == '=')
        q += 1;
      else if ((c == '+' || c == '-' || c == ':' || c == '!') && d == '=')
        q += 2;
      else if (c == '-' && d == '>')
        q += 2;
      else
        q = -1;
      if (q >= 0 && cg_skip_s(t, q, e) < e) return 1;
    }
    i = j;
  }
  return 0;
}

/* _HINT.match(line):
 *   [ \t]*(?:[}\])]|\#include|\#!/|def\s+\w+\s*\(|class\s+\w+.*[:{][ \t]*$
 *   |import\s+[\w.]+|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import|function\s+\w*\s*\(|fn\s+\w+|func\s+\w+
 *   |package\s+\w+|(?:public|private|static)\s+\w+|(?:const|let|var)\s+\w+\s*=|return\b|\$\s+\w
 *   |\w+(?:\.\w+)*\s*(?:=|\+=|:=)\s*[\w\[{("'-]|\w+(?:\.\w+)*\(.*\)[ \t]*$) */
static int cg_hint(const cg_text *t, Py_ssize_t s, Py_ssize_t e) {
  static const char *const named[] = {"fn", "func", "package", "public", "private", "static"};
  Py_ssize_t p = cg_skip_blank(t, s, e), q, r, k;
  Py_UCS4 c;
  size_t i;
  if (p >= e) return 0;
  c = CG_AT(t, p);
  if (c == '}' || c == ']' || c == ')') return 1;
  if (cg_lit(t, p, e, "#include") || cg_lit(t, p, e, "#!/")) return 1;
  if ((q = cg_kw_s(t, p, e, "def")) >= 0) {
    r = cg_skip_w(t, q, e);
    if (r > q && (r = cg_skip_s(t, r, e)) < e && CG_AT(t, r) == '(') return 1;
  }
  if ((q = cg_kw_s(t, p, e, "class")) >= 0 && q < e && cg_w(CG_AT(t, q))) {
    k = cg_end_blank(t, s, e);
    if (k - 1 >= q + 1 && ((c = CG_AT(t, k - 1)) == ':' || c == '{')) return 1;
  }
  if ((q = cg_kw_s(t, p, e, "import")) >= 0 && q < e && (cg_w(c = CG_AT(t, q)) || c == '.')) return 1;
  if (cg_export_list(t, p, e)) return 1;
  if ((q = cg_kw_s(t, p, e, "from")) >= 0) {
    r = cg_skip_wdot(t, q, e);
    if (r > q && (q = cg_skip_s(t, r, e)) > r && cg_lit(t, q, e, "import")) return 1;
  }
  if ((q = cg_kw_s(t, p, e, "function")) >= 0) {
    r = cg_skip_s(t, cg_skip_w(t, q, e), e);
    if (r < e && CG_AT(t, r) == '(') return 1;
  }
  for (i = 0; i < sizeof(named) / sizeof(*named); i++)
    if (cg_kw_s_w(t, p, e, named[i])) return 1;
  if (cg_declaration(t, p, e)) return 1;
  if (cg_kw_b(t, p, e, "return")) return 1;
  if (CG_AT(t, p) == '$' && (q = cg_skip_s(t, p + 1, e)) > p + 1 && q < e && cg_w(CG_AT(t, q))) return 1;
  q = cg_dotted(t, p, e);
  if (q >= 0) {
    r = cg_skip_s(t, q, e);
    if (r < e) {
      c = CG_AT(t, r);
      if (c == '=')
        r += 1;
      else if ((c == '+' || c == ':') && r + 1 < e && CG_AT(t, r + 1) == '=')
        r += 2;
      else
        r = -1;
      if (r >= 0 && (r = cg_skip_s(t, r, e)) < e && (cg_w(c = CG_AT(t, r)) || cg_in(c, "[{(\"'-"))) return 1;
    }
  }
  return cg_call_line(t, p, s, e, 0);
}

/* _HINT_END.search(text): [;{}][ \t]*(?:\n|\Z) */
static int cg_hint_end(const cg_text *t, Py_ssize_t n) {
  Py_ssize_t i, q;
  Py_UCS4 c;
  for (i = 0; i < n; i++) {
    c = CG_AT(t, i);
    if (c == ';' || c == '{' || c == '}') {
      q = cg_skip_blank(t, i + 1, n);
      if (q == n || CG_AT(t, q) == '\n') return 1;
    }
  }
  return 0;
}

/* _line_kind(line) for the line [s, e) (its line break included). */
static int cg_line_kind(const cg_text *t, Py_ssize_t s, Py_ssize_t e) {
  Py_ssize_t a = s, b = e, i, spaces = 0, other = 0, symbols = 0, words = 0, run = 0, non_space;
  Py_UCS4 c, last, first = CG_AT(t, s);
  int call = 0, prev_call = 0;
  double density;
  while (a < b && cg_s(CG_AT(t, a))) a++;
  while (b > a && cg_s(CG_AT(t, b - 1))) b--;
  if (a == b) return CG_BLANK;
  if (cg_lit(t, a, b, "```") || cg_lit(t, a, b, "~~~")) return CG_FENCE;
  for (i = a; i < b; i++) {
    c = CG_AT(t, i);
    if (c == ' ')
      spaces++;
    else if (c == '\n' || c == '\t')
      other++;
    else if (cg_in(c, "{}()[];=<>$#*&|:+-/\\"))
      symbols++;
    if (cg_letter(c)) {
      run++;
    } else {
      if (run >= 2) words++;
      run = 0;
    }
    if (c == '(' && prev_call) call = 1;
    prev_call = cg_w(c) || c == '$';
  }
  if (run >= 2) words++;
  non_space = (b - a) - spaces - other;
  density = (double)symbols / (double)(non_space > 1 ? non_space : 1);
  last = CG_AT(t, b - 1);
  if (spaces + 1 >= 7 && (last == '.' || last == '!' || last == '?') && density < 0.05) return CG_PROSE;
  if (b - a > 200 && density < 0.03) return CG_PROSE;
  if (cg_code_start(t, s, e) || cg_code_any(t, s, e) || ((first == ' ' || first == '\t') && density > 0.1))
    return CG_CODE;
  if (words >= 3 && density < 0.05 && !call && !cg_in(last, "=([{&|+*/%<>")) return CG_PROSE;
  return CG_WEAK;
}

/* The end of the line starting at ``s`` (after its line break, as str.splitlines(keepends=True) cuts). */
static inline Py_ssize_t cg_line_end(const cg_text *t, Py_ssize_t s, Py_ssize_t n) {
  Py_UCS4 c;
  for (; s < n; s++) {
    c = CG_AT(t, s);
    if (c == '\r') return s + 1 < n && CG_AT(t, s + 1) == '\n' ? s + 2 : s + 1;
    if (c < 128 ? (c == '\n' || c == 0x0b || c == 0x0c || (c >= 0x1c && c <= 0x1e)) : Py_UNICODE_ISLINEBREAK(c))
      return s + 1;
  }
  return n;
}

/* --- normalize/markdown.py's _fenced_blocks ---------------------------------------------------------------- */

/* A line (cut at ``\n`` only) that _FENCE matches: ^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$ */
typedef struct {
  Py_ssize_t start, end; /* the line, without its ``\n`` */
  Py_ssize_t info;       /* where the info string starts (it ends at ``end``) */
  Py_ssize_t length;     /* of the fence */
  Py_ssize_t indent;     /* columns of the indent, tabs expanded to 4 */
  Py_UCS4 ch;            /* '`' or '~' */
} cg_fline;

static int cg_fence_line(const cg_text *t, Py_ssize_t s, Py_ssize_t e, cg_fline *m) {
  Py_ssize_t p = cg_skip_blank(t, s, e), q, i;
  Py_UCS4 c;
  if (p >= e || ((c = CG_AT(t, p)) != '`' && c != '~')) return 0;
  for (q = p; q < e && CG_AT(t, q) == c; q++) {
  }
  if (q - p < 3) return 0;
  m->start = s, m->end = e, m->info = q, m->length = q - p, m->ch = c, m->indent = 0;
  for (i = s; i < p; i++) m->indent = CG_AT(t, i) == '\t' ? m->indent + 4 - m->indent % 4 : m->indent + 1;
  return 1;
}

static int cg_blank_info(const cg_text *t, const cg_fline *m) { /* not info.strip() */
  return cg_skip_s(t, m->info, m->end) == m->end;
}

/* str.count(lit, start, end) (non-overlapping, from the left) is odd */
static int cg_count_odd(const cg_text *t, Py_ssize_t start, Py_ssize_t end, const char *lit) {
  Py_ssize_t n = (Py_ssize_t)strlen(lit), i = start, count = 0;
  while (i + n <= end) {
    if (cg_lit(t, i, end, lit)) {
      count++;
      i += n;
    } else {
      i++;
    }
  }
  return (int)(count & 1);
}

/* _in_string: text[start:end] leaves a triple-quoted string or a block comment open. */
static int cg_in_string(const cg_text *t, Py_ssize_t start, Py_ssize_t end) {
  Py_ssize_t ls, p, last_open = -1, close = -1, i;
  if (cg_count_odd(t, start, end, "\"\"\"") || cg_count_odd(t, start, end, "'''")) return 1;
  /* _COMMENT_OPEN.finditer(text, start, end): spaces or tabs, then a comment's opening, at a line start (^ with
   * MULTILINE: after a newline or at the real start of the text) */
  for (ls = start; ls < end;) {
    if (ls == 0 || CG_AT(t, ls - 1) == '\n') {
      p = cg_skip_blank(t, ls, end);
      if (cg_lit(t, p, end, "/*")) last_open = ls;
    }
    for (; ls < end && CG_AT(t, ls) != '\n'; ls++) {
    }
    ls++;
  }
  if (last_open < 0) return 0;
  for (i = end - 2; i >= start; i--) {
    if (CG_AT(t, i) == '*' && CG_AT(t, i + 1) == '/') {
      close = i;
      break;
    }
  }
  return close < last_open;
}

/* _underline: tildes alone right under a line of text. */
static int cg_underline(const cg_text *t, const cg_fline *m) {
  Py_ssize_t a, i;
  if (m->ch != '~' || !cg_blank_info(t, m) || m->start == 0) return 0;
  for (a = m->start - 1; a > 0 && CG_AT(t, a - 1) != '\n'; a--) {
  }
  for (i = a; i < m->start - 1; i++)
    if (!cg_s(CG_AT(t, i))) return 1;
  return 0;
}

/* _fenced_blocks: fills ``out`` with (open, body_start, body_end, close, info_start, info_end) per block, at most
 * ``cap`` of them; returns how many there are (more than ``cap``: call again with room for all). */
static Py_ssize_t cg_fences(const cg_text *t, Py_ssize_t n, Py_ssize_t *out, Py_ssize_t cap) {
  cg_fline m, open;
  int opened = 0, inline_span;
  Py_ssize_t s = 0, e, found = 0, outside = 0, i, *o;
  memset(&open, 0, sizeof(open));
  for (;;) {
    for (e = s; e < n && CG_AT(t, e) != '\n'; e++) {
    }
    if (cg_fence_line(t, s, e, &m)) {
      if (!opened) {
        inline_span = 0;
        if (m.ch == '`')
          for (i = m.info; i < m.end && !inline_span; i++) inline_span = CG_AT(t, i) == '`';
        if (!inline_span && !((m.indent >= 4 || cg_underline(t, &m)) && cg_in_string(t, outside, m.start))) {
          open = m;
          opened = 1;
        }
      } else if (m.ch == open.ch && m.length >= open.length && cg_blank_info(t, &m) && m.indent <= open.indent + 3) {
        if (found < cap) {
          o = out + 6 * found;
          o[0] = open.start, o[1] = open.end + 1 < n ? open.end + 1 : n, o[2] = m.start;
          o[3] = m.end + 1 < n ? m.end + 1 : n, o[4] = open.info, o[5] = open.end;
        }
        found++;
        opened = 0;
        outside = m.end + 1 < n ? m.end + 1 : n;
      }
    }
    if (e >= n) break;
    s = e + 1;
  }
  if (opened) {
    if (found < cap) {
      o = out + 6 * found;
      o[0] = open.start, o[1] = open.end + 1 < n ? open.end + 1 : n, o[2] = n, o[3] = n, o[4] = open.info;
      o[5] = open.end;
    }
    found++;
  }
  return found;
}

#endif
