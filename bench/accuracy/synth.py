"""The query sets made from the protected corpus (and the negatives), cached per size and seed.

Code, per language: verbatim (tagged fence), untagged fence, truncated (first
20 lines of a function of 30+ lines), embedded in the middle of unrelated code,
renamed + reformatted (our consistent renaming of parameters and locals, then
``ast.unparse`` / prettier at 60 columns), python-minifier + black or
terser + prettier (third-party renaming), statements added and removed.
Prose (Jargon File paragraphs): verbatim, upper case, reflowed, zero-width
characters, homoglyphs, 5% and 15% word edits. Negatives: functions of
packages that are not indexed (verbatim and tool-renamed) and held-out Jargon
paragraphs (verbatim and upper case). Plus the length sweep (first N lines of
code, first N characters of prose).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict

import peers
import queries as Q
from data import CACHE, Doc, negative_corpus, protected_corpus
from queries import Query

CODE_KINDS = ["verbatim", "untagged", "truncated", "truncated-docstring", "embedded", "renamed", "tool-renamed", "add-remove"]
PROSE_KINDS = ["verbatim", "upper", "reflow", "zero-width", "homoglyphs", "edits-5%", "edits-15%"]
CODE_LINES = [2, 3, 4, 5, 6, 8, 10, 12, 16]
PROSE_CHARS = [40, 80, 120, 160, 200, 280, 400]


MIN_TOKENS = 50  # a function worth protecting: 50+ code tokens (a docstring counts as one)


def code_tokens(code: str, lang: str) -> int:
    from cg import n_tokens

    return n_tokens(code, lang)


def _functions(docs: list[Doc], min_tokens: int = MIN_TOKENS) -> list[tuple[str, str]]:
    seen, out = set(), []
    for d in docs:
        for f in Q.functions(d):
            if f not in seen and code_tokens(f, d.lang) >= min_tokens:
                seen.add(f)
                out.append((d.id, f))
    return out


def _paragraphs(docs: list[Doc]) -> list[tuple[str, str]]:
    return [(d.id, p) for d in docs for p in Q.paragraphs(d.text)]


def _sample(rng: random.Random, items: list, n: int) -> list:
    return rng.sample(items, min(n, len(items)))


def _has_block_text(code: str) -> bool:
    return '"""' in code or "'''" in code or "/*" in code


def _code_queries(rng: random.Random, lang: str, all_funcs: list[tuple[str, str]], other: list[str],
                  filler: list[str], n: int, tools: bool = True) -> list[Query]:
    funcs = [x for x in all_funcs if code_tokens(x[1], lang) >= MIN_TOKENS]
    fence = Q.FENCE[lang]
    out: list[Query] = []

    def add(kind: str, i: int, src: str | None, body: str | None, tag: str | None = fence) -> None:
        if body:
            out.append(Query(f"{lang}/{kind}/{i}", kind, lang, Q.wrap(rng, body, tag, filler), src, body))

    base = _sample(rng, funcs, n)
    for i, (src, f) in enumerate(base):
        add("verbatim", i, src, f)
        add("untagged", i, src, f, "")
        add("embedded", i, src, Q.embed(rng, f, other))
        edited = f
        for _ in range(8):  # at least one statement added or removed
            edited = Q.add_remove(rng, f, lang)
            if edited != f:
                break
        add("add-remove", i, src, edited)
    long = [x for x in funcs if len(x[1].splitlines()) >= 30]
    for i, (src, f) in enumerate(_sample(rng, long, 2 * n)):
        # graded when the 20 lines hold 50+ code tokens; mostly-docstring heads are reported apart
        cut = Q.truncate(f, 20)
        inside = cut.count('"""') % 2 or cut.count("'''") % 2 or (lang != "python" and cut.count("/*") > cut.count("*/"))
        add("truncated" if code_tokens(cut, lang) >= MIN_TOKENS and not inside else "truncated-docstring", i, src, cut)
    # without the tools (run.py --no-peers before they were installed): no tool-renamed slice, and
    # renamed JavaScript is not re-printed by prettier
    if lang == "python":
        renamed = [Q.rename_python(rng, f) for _, f in base]
        tool = peers.python_minify([f for _, f in base]) if tools else [None] * len(base)
    else:
        renamed = [Q.rename_javascript(rng, f) for _, f in base]
        renamed = peers.prettier_format(renamed) if tools else renamed
        tool = peers.terser_mangle([f for _, f in base]) if tools else [None] * len(base)
    for i, ((src, _), r, t) in enumerate(zip(base, renamed, tool)):
        add("renamed", i, src, r)
        add("tool-renamed", i, src, t)
    # length sweep: the same functions (16+ lines, no docstring or comment block in their first 16
    # lines, so every line cut is code) copied verbatim, first N lines
    plain = [x for x in all_funcs if len(x[1].splitlines()) >= max(CODE_LINES) and not _has_block_text(
        Q.truncate(x[1], max(CODE_LINES)))]
    for i, (src, f) in enumerate(_sample(rng, plain, n // 2)):
        for length in CODE_LINES:
            add(f"lines-{length}", i, src, Q.truncate(f, length))
    return out


def _negatives(rng: random.Random, lang: str, funcs: list[str], filler: list[str], n: int,
               tools: bool = True) -> list[Query]:
    base = _sample(rng, funcs, n)
    if not tools:
        tool: list[str | None] = []
    else:
        tool = peers.python_minify(base) if lang == "python" else peers.terser_mangle(base)
    out = [Query(f"{lang}/neg/{i}", "negative", lang, Q.wrap(rng, f, Q.FENCE[lang], filler), None, f)
           for i, f in enumerate(base)]
    out += [Query(f"{lang}/neg-renamed/{i}", "negative", lang, Q.wrap(rng, t, Q.FENCE[lang], filler), None, t)
            for i, t in enumerate(tool) if t]
    return out


def _prose_queries(rng: random.Random, paras: list[tuple[str, str]], filler: list[str], n: int) -> list[Query]:
    vocab = sorted({w for _, p in paras for w in p.split() if w.isalpha()})
    kinds = {
        "verbatim": lambda p: p,
        "upper": str.upper,
        "reflow": lambda p: Q.reflow(rng, p),
        "zero-width": lambda p: Q.zero_width(rng, p),
        "homoglyphs": lambda p: Q.homoglyphs(rng, p),
        "edits-5%": lambda p: Q.word_edits(rng, p, 0.05, vocab),
        "edits-15%": lambda p: Q.word_edits(rng, p, 0.15, vocab),
    }
    out = []
    for i, (src, p) in enumerate(_sample(rng, paras, n)):
        for kind, fn in kinds.items():
            body = fn(p)
            out.append(Query(f"text/{kind}/{i}", kind, "text", Q.wrap(rng, body, None, filler), src, body))
    # length sweep: the same paragraphs (400+ characters), first N characters cut at a word boundary
    for i, (src, p) in enumerate(_sample(rng, [x for x in paras if len(x[1]) >= max(PROSE_CHARS)], n // 2)):
        for length in PROSE_CHARS:
            cut = p[:length].rsplit(" ", 1)[0]
            out.append(Query(f"text/chars-{length}/{i}", f"chars-{length}", "text", Q.wrap(rng, cut, None, filler),
                             src, cut))
    return out


def make(n: int, seed: int = 1, tools: bool = True) -> tuple[list[Doc], list[Query]]:
    """(protected corpus, queries) with ``n`` queries per language and transformation.

    ``tools`` False: the tools venv and node folder are not used (no tool-renamed queries).
    """
    protected = protected_corpus()
    cache = CACHE / f"queries-n{n}-s{seed}{'' if tools else '-notools'}.json"
    if cache.exists():
        return protected, [Query(**q) for q in json.loads(cache.read_text())]
    rng = random.Random(seed)
    neg_py, neg_js, neg_prose = negative_corpus()
    filler = [p for c in neg_prose[::2] for p in Q.paragraphs(c, 20, 60)]
    held = [p for c in neg_prose[1::2] for p in Q.paragraphs(c)]
    qs: list[Query] = []
    for lang, negs in (("python", neg_py), ("javascript", neg_js)):
        funcs = _functions([d for d in protected if d.lang == lang], 0)
        other = [f for _, f in _functions(negs)]
        qs += _code_queries(rng, lang, funcs, other, filler, n, tools)
        qs += _negatives(rng, lang, other, filler, n, tools)
    qs += _prose_queries(rng, _paragraphs([d for d in protected if d.lang == "text"]), filler, n)
    for i, p in enumerate(_sample(rng, held, n)):
        qs.append(Query(f"text/neg/{i}", "negative", "text", Q.wrap(rng, p, None, filler), None, p))
        qs.append(Query(f"text/neg-upper/{i}", "negative", "text", Q.wrap(rng, p.upper(), None, filler), None, p.upper()))
    cache.write_text(json.dumps([asdict(q) for q in qs]))
    return protected, qs
