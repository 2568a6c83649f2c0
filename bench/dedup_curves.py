"""Precision and recall of ``copyguard dedup`` by threshold, per kind of planted copy, on real prose and code.

Data (all found on this machine, nothing downloaded):
- Python: functions of 8-80 lines and 50+ tokens from the standard library (/usr/lib/python3.11).
- JavaScript: function declarations and methods of 8-80 lines from npm's own sources
  (/usr/lib/node_modules/npm).
- Prose: paragraphs of 40-300 words from /usr/share/common-licenses and /usr/share/doc.

Splits: every source *file* goes to the tuning or the reporting split by the CRC32 of its path
(even: tuning, odd: reporting), so no file, and no function or paragraph of one, is in both.
Defaults are chosen on the tuning split; the figures quoted as results are the reporting split.

Originals: per split, a random sample of the items with no other drawn item at estimated
Jaccard >= 0.3 under either prose or code normalization. Real corpora hold their own near copies
(one license paragraph in many ``copyright`` files, stdlib functions written from one template);
a user calls those duplicates too, so they cannot be scored as false positives and are removed
from the ground truth instead (how many is printed). False positives are then wrong merges:
a copy attached to another original, or two originals joined through copies.

Planted copies, one dataset per kind (all originals plus one copy of each of a third of them):
- ``exact``; ``edit5`` / ``edit15``: prose has 5% / 15% of its words substituted, inserted or
  deleted; code has 5% / 15% of its lines deleted, replaced or joined by a line of other code;
- ``renamed`` (code): parameters and locals renamed consistently, layout untouched;
- ``reformatted``: Python reprinted by ``ast.unparse`` (comments dropped, quotes and parentheses
  normalized), JavaScript re-indented with tabs and Allman braces; prose re-wrapped to 40 columns;
- ``embedded``: the copy inside a row three times its size (unrelated code or prose around it).
``core`` mixes exact, edit5, renamed and reformatted copies (the issue's acceptance set).

Scores are over pairs: predicted when two rows share a cluster, true when they share an original.

    python bench/dedup_curves.py               # both splits, writes nothing, prints markdown tables
    python bench/dedup_curves.py --per-type 600 --split tuning
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import random
import re
import sys
import textwrap
import time
import tokenize
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa

from copyguard.dedup import THRESHOLD, Columns, DedupConfig, ShingleSets, cluster, shingles_for_batch, signatures_for_batch

PY_ROOT = Path("/usr/lib/python3.11")
JS_ROOT = Path("/usr/lib/node_modules/npm")
PROSE_ROOTS = [Path("/usr/share/common-licenses"), Path("/usr/share/doc")]
KINDS = ["exact", "edit5", "edit15", "renamed", "reformatted", "embedded"]
CORE = ["exact", "edit5", "renamed", "reformatted"]
TYPES = ["python", "javascript", "prose"]
THRESHOLDS = [0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]


def split_of(path: Path) -> str:
    return "tuning" if zlib.crc32(str(path).encode()) % 2 == 0 else "reporting"


# --- real items -------------------------------------------------------------------------------


def python_functions(split: str) -> list[str]:
    out = []
    for f in sorted(PY_ROOT.rglob("*.py")):
        if "site-packages" in f.parts or split_of(f) != split:
            continue
        try:
            src = f.read_text(encoding="utf-8")
            tree = ast.parse(src)
        except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
            continue
        lines = src.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and 8 <= node.end_lineno - node.lineno + 1 <= 80:
                text = textwrap.dedent("\n".join(lines[node.lineno - 1 : node.end_lineno]))
                if len(re.findall(r"\w+|[^\w\s]", text)) >= 50:
                    out.append(text + "\n")
    return out


def js_functions(split: str) -> list[str]:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    parser = Parser(Language(tree_sitter_javascript.language()))
    out = []
    for f in sorted(JS_ROOT.rglob("*.js")):
        if split_of(f) != split or f.name.endswith(".min.js") or f.stat().st_size > 300_000:
            continue
        data = f.read_bytes()
        stack = [parser.parse(data).root_node]
        while stack:
            node = stack.pop()
            if node.type in ("function_declaration", "method_definition"):
                lines = node.end_point[0] - node.start_point[0] + 1
                if 8 <= lines <= 80:
                    text = data[node.start_byte : node.end_byte].decode("utf-8", "replace")
                    if len(re.findall(r"\w+|[^\w\s]", text)) >= 50:
                        out.append(textwrap.dedent(" " * node.start_point[1] + text) + "\n")
                    continue
            stack.extend(node.children)
    return out


def paragraphs(split: str) -> list[str]:
    out = []
    files = [p for root in PROSE_ROOTS for p in sorted(root.rglob("*")) if p.is_file()]
    for p in files:
        if split_of(p) != split or p.stat().st_size > 2_000_000:
            continue
        try:
            raw = gzip.open(p).read() if p.suffix == ".gz" else p.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        for para in re.split(r"\n\s*\n", text):
            words = para.split()
            alpha = sum(w.isalpha() for w in words)
            if 40 <= len(words) <= 300 and alpha >= 0.7 * len(words):
                out.append(" ".join(words))
    return list(dict.fromkeys(out))


# --- transformations ----------------------------------------------------------------------------


def edit_words(text: str, share: float, rng: random.Random, pool: list[str]) -> str:
    words = text.split()
    for _ in range(max(1, round(share * len(words)))):
        op, pos = rng.randrange(3), rng.randrange(len(words))
        if op == 0:
            words[pos] = rng.choice(pool)
        elif op == 1 and len(words) > 5:
            del words[pos]
        else:
            words.insert(pos, rng.choice(pool))
    return " ".join(words)


def edit_lines(code: str, share: float, rng: random.Random, filler: list[str]) -> str:
    lines = code.rstrip("\n").split("\n")
    for _ in range(max(1, round(share * len(lines)))):
        op, pos = rng.randrange(3), rng.randrange(1, len(lines))
        other = rng.choice(rng.choice(filler).split("\n")[1:-1] or ["pass"]).strip()
        indent = re.match(r"\s*", lines[pos]).group(0)
        if op == 0 and len(lines) > 4:
            del lines[pos]
        elif op == 1:
            lines[pos] = indent + other
        else:
            lines.insert(pos, indent + other)
    return "\n".join(lines) + "\n"


_NEW_NAMES = ("alpha beta gamma delta item value node entry total count buf acc tmp res key elem part "
              "piece chunk slot cell field token rec obj data info arg src dst out").split()


def rename_python(code: str, rng: random.Random) -> str | None:
    try:
        fn = ast.parse(code).body[0]
    except (SyntaxError, IndexError):
        return None
    a = fn.args
    names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if x is not None}
    names |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names -= {"self", "cls"}
    if not names:
        return None
    new = rng.sample(_NEW_NAMES, len(_NEW_NAMES))
    mapping = {old: f"{new[i % len(new)]}{i // len(new) or ''}_" for i, old in enumerate(sorted(names))}
    lines = code.split("\n")
    edits: list[tuple[int, int, int, str]] = []
    prev = None
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in mapping and not (prev is not None and prev.string == "."):
            edits.append((tok.start[0] - 1, tok.start[1], tok.end[1], mapping[tok.string]))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            prev = tok
    for row, s, e, name in sorted(edits, reverse=True):
        lines[row] = lines[row][:s] + name + lines[row][e:]
    return "\n".join(lines)


def rename_js(code: str, rng: random.Random) -> str | None:
    import tree_sitter_javascript
    from tree_sitter import Language, Parser

    data = code.encode()
    root = Parser(Language(tree_sitter_javascript.language())).parse(data).root_node
    declared, idents, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            idents.append(node)
            parent = node.parent
            if parent is not None and (parent.type in ("formal_parameters", "rest_pattern", "assignment_pattern")
                                       or (parent.type == "variable_declarator" and parent.child_by_field_name("name") == node)):
                declared.add(data[node.start_byte : node.end_byte])
        stack.extend(node.children)
    if not declared:
        return None
    new = rng.sample(_NEW_NAMES, len(_NEW_NAMES))
    mapping = {old: f"{new[i % len(new)]}{i // len(new) or ''}_".encode() for i, old in enumerate(sorted(declared))}
    out = data
    for node in sorted(idents, key=lambda n: -n.start_byte):
        name = data[node.start_byte : node.end_byte]
        if name in mapping:
            out = out[: node.start_byte] + mapping[name] + out[node.end_byte :]
    return out.decode()


def reformat(text: str, kind: str) -> str | None:
    if kind == "python":
        try:
            return ast.unparse(ast.parse(text)) + "\n"
        except (SyntaxError, ValueError):
            return None
    if kind == "javascript":
        lines = [ln for ln in text.split("\n") if ln.strip()]
        lines = ["\t" * ((len(ln) - len(ln.lstrip(" "))) // 2) + ln.lstrip(" ") for ln in lines]
        return re.sub(r"\)\s*\{[ \t]*\n", ")\n{\n", "\n".join(lines) + "\n")
    return textwrap.fill(text, 40)


def transform(kind: str, text: str, lang: str, rng: random.Random, filler: list[str], pool: list[str]) -> str | None:
    code = lang != "prose"
    if kind == "exact":
        return text
    if kind in ("edit5", "edit15"):
        share = 0.05 if kind == "edit5" else 0.15
        return edit_lines(text, share, rng, filler) if code else edit_words(text, share, rng, pool)
    if kind == "renamed":
        if not code:
            return None
        return rename_python(text, rng) if lang == "python" else rename_js(text, rng)
    if kind == "reformatted":
        return reformat(text, lang)
    before, after = rng.sample(filler, 2)
    return f"{before}\n{text}\n{after}" if code else f"{before} {text} {after}"


# --- the experiment -----------------------------------------------------------------------------


def signatures(texts: list[str], config: DedupConfig, langs: list[str | None] | None = None) -> np.ndarray:
    cols = {"text": pa.array(texts, pa.string())}
    if langs is not None:
        cols["lang"] = pa.array(langs, pa.string())
    batch = pa.record_batch(cols)
    return signatures_for_batch(batch, config, Columns("text", lang="lang" if langs is not None else None))


DISTINCT = 0.3  # originals have no other original at estimated Jaccard >= this, under either normalization


def distinct(items: list[str], lang: str) -> list[str]:
    """Items with no other item at estimated Jaccard >= ``DISTINCT`` under prose or code normalization."""
    keep = np.ones(len(items), dtype=bool)
    modes = [("prose", None)] + ([("code", lang)] if lang != "prose" else [])
    for mode, code_lang in modes:
        cfg = DedupConfig(threshold=DISTINCT, mode=mode)
        sigs = signatures(items, cfg, [code_lang] * len(items) if code_lang else None)
        labels = cluster(sigs, cfg)
        keep &= np.bincount(labels, minlength=len(items))[labels] == 1
    return [t for t, k in zip(items, keep) if k]


def pairs(*labelings: np.ndarray) -> int:
    _, counts = np.unique(np.stack(labelings, axis=1), axis=0, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def load(split: str, per_type: int, seed: int) -> dict[str, tuple[list[str], list[str], list[str]]]:
    """Per type: (originals, filler, word pool)."""
    rng = random.Random(seed)
    out = {}
    for lang, fetch in (("python", python_functions), ("javascript", js_functions), ("prose", paragraphs)):
        t = time.perf_counter()
        items = fetch(split)
        rng.shuffle(items)
        items = items[: 3 * per_type]
        kept = distinct(items, lang)
        n = min(per_type, 2 * len(kept) // 3)  # a third at least left as filler for edits and embedding
        originals, filler = kept[:n], kept[n:]
        print(f"[{split}] {lang}: {len(items)} drawn, {len(kept)} distinct, {len(originals)} originals "
              f"({time.perf_counter() - t:.0f} s)", file=sys.stderr)
        pool = [w for s in filler for w in s.split()][:50_000]
        out[lang] = (originals, filler, pool)
    return out


def datasets(data, seed: int) -> dict[str, tuple[list[str], list[str], np.ndarray]]:
    """Per kind: texts, the true type of each row, and each row's original."""
    rng = random.Random(seed + 1)
    base_texts, base_types = [], []
    for lang, (originals, _, _) in data.items():
        base_texts += originals
        base_types += [lang] * len(originals)
    out = {}
    for kind in KINDS + ["core"]:
        texts, types, origin = list(base_texts), list(base_types), list(range(len(base_texts)))
        for i, (text, lang) in enumerate(zip(base_texts, base_types)):
            if rng.random() >= 1 / 3:
                continue
            k = rng.choice(CORE) if kind == "core" else kind
            if k == "renamed" and lang == "prose" and kind == "core":
                k = "edit5"
            copy = transform(k, text, lang, rng, data[lang][1], data[lang][2])
            if copy is not None:
                texts.append(copy)
                types.append(lang)
                origin.append(i)
        out[kind] = (texts, types, np.array(origin))
    return out


def curves(sets, variants: dict[str, dict]) -> dict[str, dict]:
    """For each variant: per kind, per threshold, (precision, recall); signature and clustering CPU per row."""
    res = {}
    for name, opts in variants.items():
        res[name] = {"sec_per_row": 0.0, "cluster_sec_per_row": 0.0}
        rows = 0
        for kind, (texts, types, origin) in sets.items():
            langs = [None if t == "prose" else t for t in types] if opts.get("oracle") else None
            t0 = time.process_time()
            sigs = signatures(texts, DedupConfig(threshold=0.5, mode=opts["mode"]), langs)
            shingled = None
            if opts.get("verify"):
                cols = {"text": pa.array(texts, pa.string())}
                hashes, owner = shingles_for_batch(pa.record_batch(cols), DedupConfig(mode=opts["mode"]))
                shingled = ShingleSets.build([(hashes, owner)], len(texts))
            res[name]["sec_per_row"] += time.process_time() - t0
            rows += len(texts)
            true = pairs(origin)
            tarr = np.array(types)
            for thr in THRESHOLDS:
                t0 = time.process_time()
                labels = cluster(sigs, DedupConfig(threshold=thr, mode=opts["mode"], verify=bool(shingled)), shingled)
                if thr == THRESHOLD:
                    res[name]["cluster_sec_per_row"] += time.process_time() - t0
                tp, pp = pairs(origin, labels), pairs(labels)
                res[name][(kind, thr)] = (tp / max(pp, 1), tp / max(true, 1))
                if kind == "core":
                    for lang in TYPES:
                        sel = tarr == lang
                        o, lab = origin[sel], labels[sel]
                        res[name][(lang, thr)] = (pairs(o, lab) / max(pairs(lab), 1), pairs(o, lab) / max(pairs(o), 1))
        res[name]["sec_per_row"] /= rows
        res[name]["cluster_sec_per_row"] /= rows
    return res


def table(res: dict, name: str) -> str:
    r = res[name]
    kinds = KINDS + ["core"] + TYPES
    head = "| threshold | " + " | ".join(f"{k} P / R" for k in kinds) + " |"
    lines = [head, "|" + "---|" * (len(kinds) + 1)]
    for thr in THRESHOLDS:
        cells = [f"{r[(k, thr)][0]:.3f} / {r[(k, thr)][1]:.3f}" for k in kinds]
        lines.append(f"| {thr} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detect_cost(data) -> None:
    """CPU time of ``detect_language`` per row, by true type, and how often it names the right grammar."""
    from copyguard.normalize.detect import detect_language

    print("| rows | detection ms CPU per row | detected as the true type |\n|---|---|---|")
    for lang, (originals, _, _) in data.items():
        t0 = time.process_time()
        found = [detect_language(t) for t in originals]
        ms = 1e3 * (time.process_time() - t0) / len(originals)
        right = sum((f or "prose") == lang for f in found) / len(originals)
        print(f"| {lang} | {ms:.3f} | {right:.3f} |")
    print()


VARIANTS = {
    "auto (per-row detection)": {"mode": "auto"},
    "prose (old auto without a language column)": {"mode": "prose"},
    "code with the true language (oracle)": {"mode": "auto", "oracle": True},
    "auto + --verify (pairs decided on exact shingle sets)": {"mode": "auto", "verify": True},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-type", type=int, default=1000, help="originals per type (python, javascript, prose)")
    ap.add_argument("--split", choices=("tuning", "reporting", "both"), default="both")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    splits = ["tuning", "reporting"] if args.split == "both" else [args.split]
    for split in splits:
        data = load(split, args.per_type, args.seed)
        sets = datasets(data, args.seed)
        res = curves(sets, VARIANTS)
        detect_cost(data)
        n = {k: len(v[0]) for k, v in sets.items()}
        print(f"\n## {split} split: {sum(len(d[0]) for d in data.values())} originals "
              f"({', '.join(f'{len(d[0])} {lang}' for lang, d in data.items())}); rows per set {n}\n")
        for name in VARIANTS:
            print(f"### {name}: signatures {1e3 * res[name]['sec_per_row']:.2f} ms CPU per row, clustering at "
                  f"{THRESHOLD}: {1e6 * res[name]['cluster_sec_per_row']:.1f} us CPU per row\n")
            print(table(res, name) + "\n", flush=True)


if __name__ == "__main__":
    main()
