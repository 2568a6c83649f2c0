"""Documented code: real libraries whose functions carry numpydoc, Google, JSDoc or Javadoc blocks.

    python bench/accuracy/documented.py [--n 80] [--split tuning|reporting|both] [--peers]

The words of code (docstrings, doc comments, comments) are often most of what
a copy holds, so these slices copy documented functions the way a model
reproduces them: verbatim in a tagged fence, in an untagged fence, pasted
without a fence, the first 5/10/20 lines (a model that stops early), the
docstring alone as prose, comment-heavy functions, short functions of 3-12
lines with their docs, renamed (locals and parameters, docs kept),
tool-renamed (python-minifier + black, terser + prettier), and raw files
(a file's first 100 lines checked with no fence and no language).

The libraries are split into a TUNING group (defaults were chosen on it) and a
REPORTING group (figures for the README come from it only); each group has
protected libraries (indexed) and negative libraries of the same style (never
indexed). ``LIBRARIES`` below says which library is in which.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import re
import sys
import textwrap
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import queries as Q  # noqa: E402
from data import CACHE, Doc, npm_sources, pypi_sources  # noqa: E402


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    registry: str  # "pypi" | "npm"
    lang: str  # python | javascript | typescript | java
    style: str  # numpydoc | google | jsdoc | javadoc
    split: str  # tuning | reporting
    role: str  # protected | negative
    paths: tuple[str, ...] = ()  # npm: files or folders (ending in /) inside the package


LIBRARIES = [
    # tuning group: every default was chosen on these
    Library("networkx", "3.6.1", "pypi", "python", "numpydoc", "tuning", "protected"),
    Library("absl-py", "2.5.1", "pypi", "python", "google", "tuning", "protected"),
    Library("xarray", "2026.9.0", "pypi", "python", "numpydoc", "tuning", "negative"),
    Library("google-auth", "2.63.0", "pypi", "python", "google", "tuning", "negative"),
    Library("lodash", "4.18.1", "npm", "javascript", "jsdoc", "tuning", "protected", ("./",)),
    Library("async", "3.2.6", "npm", "javascript", "jsdoc", "tuning", "negative", ("internal/", "./")),
    Library("cordova-android", "14.0.1", "npm", "java", "javadoc", "tuning", "protected", ("framework/src/",)),
    Library("react-native-webview", "16.0.0", "npm", "java", "javadoc", "tuning", "negative", ("android/src/",)),
    Library("react-native", "0.86.3", "npm", "java", "javadoc", "tuning", "negative", ("ReactAndroid/src/main/java/",)),
    # reporting group: figures in the README come from these only
    Library("seaborn", "0.13.2", "pypi", "python", "numpydoc", "reporting", "protected"),
    Library("rich", "15.0.0", "pypi", "python", "google", "reporting", "protected"),
    Library("geopandas", "1.2.0", "pypi", "python", "numpydoc", "reporting", "negative"),
    Library("optuna", "5.0.0", "pypi", "python", "google", "reporting", "negative"),
    Library("rxjs", "7.8.2", "npm", "typescript", "jsdoc", "reporting", "protected", ("src/internal/",)),
    Library("ramda", "0.32.0", "npm", "javascript", "jsdoc", "reporting", "negative", ("src/",)),
    Library("@capacitor/android", "8.5.2", "npm", "java", "javadoc", "reporting", "protected", ("capacitor/src/main/",)),
    Library("cordova-plugin-file", "8.1.3", "npm", "java", "javadoc", "reporting", "negative", ("src/android/",)),
]
EXT = {"javascript": ".js", "typescript": ".ts", "java": ".java"}
FENCE = {"python": "python", "javascript": "javascript", "typescript": "typescript", "java": "java"}
SLICES = ["verbatim", "untagged", "unfenced", "truncated-5", "truncated-10", "truncated-20", "docstring-only",
          "comment-heavy", "short-3-4", "short-5-6", "short-7-9", "short-10-12", "renamed", "tool-renamed",
          "raw-file"]
GOALS = {"verbatim": 0.99, "untagged": 0.99, "unfenced": 0.99, "truncated-5": 0.99, "truncated-10": 0.99,
         "truncated-20": 0.99, "renamed": 0.99, "tool-renamed": 0.95, "raw-file": 0.99}


def sources(lib: Library) -> list[Doc]:
    if lib.registry == "pypi":
        docs = pypi_sources(lib.name, lib.version)
        return [d for d in docs if "/tests/" not in d.id and "/test_" not in d.id]
    docs = npm_sources(lib.name, lib.version, list(lib.paths), EXT[lib.lang], lib.lang)
    return [d for d in docs if not re.search(r"(__tests__|/test/|\.test\.|\.spec\.|\.min\.|^lodash/(core|lodash|fp)\b)", d.id)]


# --- documented functions ------------------------------------------------------------


@dataclass(frozen=True)
class Func:
    source: str
    lang: str
    code: str  # the function with its doc block, dedented
    doc: str  # the documentation text alone, as a person would quote it
    doc_lines: int  # lines of docstring / doc comment / comments


def python_functions(doc: Doc) -> list[Func]:
    out = []
    for node, code in Q.python_defs(doc.text):
        text = ast.get_docstring(node)
        if text:
            body = node.body[0]
            n_doc = body.end_lineno - body.lineno + 1 + sum(1 for ln in code.splitlines() if ln.strip().startswith("#"))
            out.append(Func(doc.id, "python", code, text, n_doc))
    return out


_TS_FUNCS = {"function_declaration", "method_definition", "method_declaration", "constructor_declaration",
             "generator_function_declaration"}


def _parser(lang: str):
    from copyguard.normalize import grammars

    return grammars.parser(grammars.get(lang))


def braced_functions(doc: Doc) -> list[Func]:
    """Functions and methods preceded by a ``/** ... */`` block, with that block (tree-sitter)."""
    src = doc.text.encode("utf-8")
    root = _parser(doc.lang).parse(src).root_node
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type not in _TS_FUNCS:
            continue
        head = node.parent if node.parent is not None and node.parent.type == "export_statement" else node
        prev = head.prev_sibling
        while prev is not None and prev.type in ("decorator", "annotation", "marker_annotation"):
            prev = prev.prev_sibling
        if prev is None or "comment" not in prev.type or not prev.text.startswith(b"/**"):
            continue
        if head.start_point[0] - prev.end_point[0] > 3:
            continue
        line_start = src.rfind(b"\n", 0, prev.start_byte) + 1
        code = textwrap.dedent(src[line_start : head.end_byte].decode("utf-8"))
        comment = prev.text.decode("utf-8")
        text = "\n".join(re.sub(r"^\s*(/\*\*|\*/|\*)?\s?", "", ln) for ln in comment.splitlines())
        text = text.replace("*/", "").strip()
        n_doc = comment.count("\n") + 1 + sum(1 for ln in code.splitlines()[comment.count("\n") + 1:]
                                              if ln.strip().startswith(("//", "/*", "*")))
        out.append(Func(doc.id, doc.lang, code, text, n_doc))
    return out


def functions(docs: list[Doc]) -> list[Func]:
    seen, out = set(), []
    for d in docs:
        for f in (python_functions(d) if d.lang == "python" else braced_functions(d)):
            if f.code not in seen:
                seen.add(f.code)
                out.append(f)
    return out


# --- renaming (docs kept) ---------------------------------------------------------------------


def rename(rng: random.Random, f: Func) -> str | None:
    if f.lang == "python":
        return Q.rename_python(rng, f.code)  # ast.unparse: docstring kept, comments dropped
    return Q.rename_braced(rng, f.code, f.lang)


# --- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    lang: str
    kind: str  # a slice name, or "negative-<slice>"
    text: str
    source: str | None
    check_lang: str | None = None  # passed to Guard.check (None: detected, as an application would)


def _sample(rng: random.Random, items: list, n: int) -> list:
    return rng.sample(items, min(n, len(items)))


def _lines(f: Func) -> int:
    return len(f.code.splitlines())


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _slices(rng: random.Random, funcs: list[Func], files: list[Doc], lang: str, n: int,
            filler: list[str]) -> list[tuple[str, str, str | None, str]]:
    """(kind, answer text, source, copied body) for one language's protected functions."""
    fence = FENCE[lang]
    out = []
    big = [f for f in funcs if 8 <= _lines(f) <= 120]
    base = _sample(rng, big, n)
    for f in base:
        out.append(("verbatim", Q.wrap(rng, f.code, fence, filler), f.source, f.code))
        out.append(("untagged", Q.wrap(rng, f.code, "", filler), f.source, f.code))
        out.append(("unfenced", Q.wrap(rng, f.code, None, filler), f.source, f.code))
    for length in (5, 10, 20):
        for f in _sample(rng, [f for f in funcs if _lines(f) > length + 2], n):
            cut = Q.truncate(f.code, length)
            out.append((f"truncated-{length}", Q.wrap(rng, cut, fence, filler), f.source, cut))
    for f in _sample(rng, [f for f in funcs if 40 <= _words(f.doc) <= 400], n):
        out.append(("docstring-only", Q.wrap(rng, f.doc, None, filler), f.source, f.doc))
    for f in _sample(rng, [f for f in big if f.doc_lines >= 0.5 * _lines(f)], n):
        out.append(("comment-heavy", Q.wrap(rng, f.code, fence, filler), f.source, f.code))
    for lo, hi in ((3, 4), (5, 6), (7, 9), (10, 12)):
        for f in _sample(rng, [f for f in funcs if lo <= _lines(f) <= hi], n):
            out.append((f"short-{lo}-{hi}", Q.wrap(rng, f.code, fence, filler), f.source, f.code))
    for f in base:
        r = rename(rng, f)
        if r and r != f.code:
            out.append(("renamed", Q.wrap(rng, r, fence, filler), f.source, r))
    for f in _sample(rng, [d for d in files if len(d.text.splitlines()) >= 20], n):
        raw = Q.truncate(f.text, 100) + "\n"
        out.append(("raw-file", raw, f.id, raw))
    return out


def _tool_renamed(rng: random.Random, funcs: list[Func], lang: str, n: int, filler: list[str]):
    import peers

    base = _sample(rng, [f for f in funcs if 8 <= _lines(f) <= 120], n)
    if lang == "python":
        tool = peers.python_minify([f.code for f in base])
    elif lang == "javascript":
        tool = peers.prettier_format(peers.terser_mangle([f.code for f in base]))
    else:
        return []
    return [("tool-renamed", Q.wrap(rng, t, FENCE[lang], filler), f.source, t) for f, t in zip(base, tool) if t]


def make(split: str, n: int, seed: int = 1, tools: bool = True) -> tuple[list[Doc], list[Item], dict]:
    """(protected docs, items, facts) for one split, cached per split, size and seed."""
    from data import negative_corpus

    libs = [lib for lib in LIBRARIES if lib.split == split]
    protected = [d for lib in libs if lib.role == "protected" for d in sources(lib)]
    cache = CACHE / f"documented-{split}-n{n}-s{seed}-t{int(tools)}.json"
    if cache.exists():
        payload = json.loads(cache.read_text())
        return protected, [Item(**i) for i in payload["items"]], payload["facts"]
    rng = random.Random(seed)
    prose = negative_corpus()[2]
    filler = [p for c in prose[::2] for p in Q.paragraphs(c, 20, 60)]
    items: list[Item] = []
    facts: dict = {}
    for lang in sorted({lib.lang for lib in libs}):
        mine = [d for d in protected if d.lang == lang]
        negs = [d for lib in libs if lib.role == "negative" and lib.lang == lang for d in sources(lib)]
        funcs, neg_funcs = functions(mine), functions(negs)
        facts[lang] = {"protected files": len(mine), "documented functions": len(funcs),
                       "negative files": len(negs), "negative functions": len(neg_funcs)}
        rows = _slices(rng, funcs, mine, lang, n, filler)
        if tools:
            rows += _tool_renamed(rng, funcs, lang, n, filler)
        for kind, text, src, _ in rows:
            items.append(Item(f"{split}/{lang}/{kind}/{len(items)}", split, lang, kind, text, src))
        for kind, text, _, _ in _slices(rng, neg_funcs, negs, lang, n, filler):
            if kind in ("verbatim", "unfenced", "docstring-only", "short-5-6", "raw-file", "renamed"):
                items.append(Item(f"{split}/{lang}/negative-{kind}/{len(items)}", split, lang, f"negative-{kind}",
                                  text, None))
    cache.write_text(json.dumps({"items": [asdict(i) for i in items], "facts": facts}))
    return protected, items, facts


# --- evaluation ---------------------------------------------------------------------------------


def evaluate(split: str, n: int, params=None, policy=None, tools: bool = True, name: str = "") -> dict:
    """Per (lang, kind): (recall or false-positive rate, count), copyguard end to end with the defaults."""
    protected, items, facts = make(split, n, tools=tools)
    index = cg.build(protected, f"documented-{split}{name}", params)
    g = cg.guard(index, policy)
    by = defaultdict(list)
    for it in items:
        v = g.check(it.text, it.check_lang)
        names = {m.source for m in v.matches}
        by[(it.lang, it.kind)].append(bool(names) if it.source is None else it.source in names)
    return {"facts": facts, "scores": {k: (sum(v) / len(v), len(v)) for k, v in by.items()}}


def table(results: dict[str, dict]) -> str:
    lines = ["| split | language | slice | metric | copyguard | goal | n |", "|---|---|---|---|---|---|---|"]
    for split, res in results.items():
        scores = res["scores"]
        for lang in sorted({k[0] for k in scores}):
            for kind in SLICES:
                if (lang, kind) in scores:
                    v, count = scores[(lang, kind)]
                    goal = GOALS.get(kind)
                    lines.append(f"| {split} | {lang} | {kind} | recall | {v:.3f} | "
                                 f"{f'≥ {goal:.2f}' if goal else ''} | {count} |")
            negs = sorted(k[1] for k in scores if k[0] == lang and k[1].startswith("negative-"))
            for kind in negs:
                v, count = scores[(lang, kind)]
                lines.append(f"| {split} | {lang} | {kind} | false-positive rate | {100 * v:.1f}% | ≤ 1% | {count} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=80, help="functions per slice and language")
    ap.add_argument("--split", default="both", choices=["tuning", "reporting", "both"])
    ap.add_argument("--no-tools", action="store_true", help="skip the tool-renamed slices (no node/tools venv)")
    ap.add_argument("--out", default=str(HERE / "documented.md"))
    args = ap.parse_args()
    if not args.no_tools:
        import peers

        peers.ensure_tools()
    started = time.perf_counter()
    results = {}
    for split in (("tuning", "reporting") if args.split == "both" else (args.split,)):
        results[split] = evaluate(split, args.n, tools=not args.no_tools)
    libs = "\n".join(f"| {lib.split} | {lib.role} | {lib.name} {lib.version} | {lib.lang} | {lib.style} |"
                     for lib in LIBRARIES)
    facts = "\n".join(f"- {split} {lang}: {', '.join(f'{v} {k}' for k, v in f.items())}"
                      for split, res in results.items() for lang, f in res["facts"].items())
    text = "\n".join([
        f"# Documented code: copyguard end to end ({time.perf_counter() - started:.0f} s, default Params/Policy)",
        "", "Generated by `python bench/accuracy/documented.py`; see its docstring for the slices.", "",
        "| split | role | library | language | style |", "|---|---|---|---|---|", libs, "", facts, "",
        table(results), ""])
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
