"""The compiled core against its numpy reference, bit for bit, on random and real inputs."""

import random
import re
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard import compiled, sketch
from copyguard.index.arrays import sorted_unique
from copyguard.normalize import normalize
from copyguard.normalize.code import normalize_code_spans, normalize_code_words
from copyguard.normalize.tokens import Kind
from copyguard.params import Params
from copyguard.passages import sketch_passages


def both(fn, *args, **kwargs):
    """``fn`` run compiled, then on the numpy reference."""
    assert compiled.core() is not None, "copyguard._core is not built or is stale: run pip install -e ."
    fast = fn(*args, **kwargs)
    with compiled.reference():
        assert compiled.core() is None
        slow = fn(*args, **kwargs)
    return fast, slow


def same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b)


def test_the_extension_is_built_and_used():
    assert compiled.available()
    assert compiled.core() is not None


def _tokens(rng, n, alphabet):
    """Token arrays where names repeat often (a small alphabet) and kinds are mixed, so renumbering matters."""
    exact = rng.integers(0, alphabet, n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    kinds = rng.choice([Kind.OTHER, Kind.IDENT, Kind.LITERAL, Kind.KEPT], n, p=[0.4, 0.4, 0.1, 0.1]).astype(np.uint8)
    hashes = np.where(kinds == Kind.IDENT, np.uint64(7), exact).astype(np.uint64)
    return hashes, exact, kinds


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 6, 9])
def test_shingles_equal_reference(seed, k):
    rng = np.random.default_rng(seed)
    hashes, exact, kinds = _tokens(rng, int(rng.integers(0, 400)), alphabet=int(rng.integers(2, 30)))
    same(*both(sketch.shingles, hashes, kinds, k))
    same(*both(sketch.shingles, hashes, kinds, k, names=exact))
    same(*both(sketch.code_shingles, hashes, exact, kinds, k))


@pytest.mark.parametrize("seed", range(4))
def test_minhash_ranges_and_band_keys_equal_reference(seed):
    rng = np.random.default_rng(seed)
    sh = rng.integers(0, 2**64 - 1, int(rng.integers(1, 3000)), dtype=np.uint64)
    n = sh.shape[0]
    starts = rng.integers(0, n, 50)
    ranges = np.stack([starts, np.minimum(starts + rng.integers(0, 200, 50), n)], axis=1)
    ranges[3:6, 0] = ranges[3:6, 0] // 16 * 16  # (starting on a block's first row)
    ranges[:3] = [[0, n], [n, n], [5 % n, 5 % n]]  # whole, empty at the end, empty inside
    sigs, ref = both(sketch.minhash_ranges, sh, ranges, 64, seed)
    same(sigs, ref)
    same(*both(sketch.minhash_ranges, sh, ranges, 64, seed, chunk=100))  # the reference's chunked path
    a, b = sketch.permutations(64, seed)
    for chunk in (1, 15, 16, 100, 4096):  # the compiled chunks: blocks of 16 rows from each chunk's start, and rows
        same(compiled.core().minhash_ranges(sh, ranges.astype(np.int64), a, b, chunk), ref)
    same(*both(sketch.minhash, sh[:100], 128, seed))
    same(*both(sketch.minhash, sh[:0], 128, seed))
    same(*both(sketch.band_keys, sigs, 21, 3))
    same(*both(sketch.band_keys, sigs[0], 16, 4))


def test_minhash_is_still_datasketch_minhash():
    from datasketch import MinHash

    sh = np.random.default_rng(9).integers(0, 2**63, 300, dtype=np.uint64)
    theirs = MinHash(num_perm=128, seed=3, hashfunc=lambda v: v)
    theirs.update_batch([int(v & 0xFFFFFFFF) for v in sh])
    assert np.array_equal(sketch.minhash(sh, 128, seed=3), theirs.hashvalues)


CODE = '''
def merge(left, right, key=None):
    """Merge two sorted lists."""
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if (key or (lambda v: v))(left[i]) <= right[j]:
            out.append(left[i]); i += 1
        else:
            out.append(right[j]); j += 1
    out.extend(left[i:]); out.extend(right[j:])
    return out.copy() if out else out
'''


@pytest.mark.parametrize("text,lang", [(CODE * 3, "python"), (CODE.replace("def", "function"), "javascript"),
                                       ("The quick brown fox jumps over the lazy dog. " * 20, "text")])
def test_passage_sketches_of_real_streams_equal_reference(text, lang):
    ts = normalize(text, lang)
    same(*both(sketch_passages, ts, Params()))


@pytest.mark.parametrize("lang", ["python", "java", "go", "rust"])
def test_passage_sketches_of_real_code_with_units_equal_reference(lang):
    """Windows, units (some equal to a window: kept once, as a window), streams shorter than a window or than the
    minimum, and other window sizes: the compiled cut and sketch against ``cut`` + ``minhash_ranges`` + ``band_keys``."""
    text = REAL[lang][0].read_text(encoding="utf-8")
    for params in (Params(), Params(window_code=24, stride_code=24, min_tokens_code=8, max_unit_code=24),
                   Params(window_code=16, stride_code=5, shingle_code=3, num_perm=64, bands=16, rows=4)):
        for cut_at in (len(text), 2000, 300, 40, 0):
            ts = normalize(text[:cut_at], lang)
            for min_tokens in (None, 12, 1):
                fast, slow = both(sketch_passages, ts, params, min_tokens)
                same(fast, slow)
    units = normalize(text, lang).units
    assert units.shape[0] > 3


@pytest.mark.parametrize("n_needles", [40, 3000])  # both paths of the reference: plain and stepped search
@pytest.mark.parametrize("max_hits", [None, 2])
def test_band_lookup_equals_reference(n_needles, max_hits):
    from copyguard.index.bands import band_directory, lookup_sorted

    rng = np.random.default_rng(n_needles)
    keys = np.sort(rng.integers(0, 2**64 - 1, 20000, dtype=np.uint64))
    keys[100:104] = keys[100]  # a key held by four passages
    keys = np.sort(keys)
    pids = rng.integers(0, 5000, keys.shape[0]).astype(np.uint32)
    directory = band_directory(keys)
    bits = int(directory.shape[0] - 1).bit_length() - 1
    needles = np.concatenate([rng.choice(keys, n_needles // 2), rng.integers(0, 2**64 - 1, n_needles // 2, dtype=np.uint64)])
    needles = np.sort(np.append(needles, keys[100]))
    fast, slow = both(lookup_sorted, keys, pids, directory, bits, needles, max_hits)
    same(fast, slow)
    assert fast[0].shape[0] >= n_needles // 2 - (4 if max_hits else 0)


# --- code normalization: the compiled parser, walk and lexer against the tree-sitter binding and numpy ------------

DATA = Path(__file__).parent / "data" / "core"
STDLIB = Path(sysconfig.get_paths()["stdlib"])
ROOT = Path(__file__).resolve().parents[1]
REAL = {  # language -> real files of it (tests/data/core/README.md says where each comes from)
    "typescript": [DATA / "mergeInternals.ts"], "tsx": [DATA / "HydrationBoundary.tsx"],
    "javascript": [DATA / "range.js"], "go": [DATA / "args.go"], "rust": [DATA / "error.rs"],
    "cpp": [DATA / "args.h"], "ruby": [DATA / "deflater.rb"], "php": [DATA / "array_util.php"],
    "c_sharp": [DATA / "Find-VisualStudio.cs"], "java": [DATA / "Ledger.java"],
    "c": sorted((ROOT / "vendor" / "tree-sitter" / "src").glob("*.c"))[:6],
    "python": [STDLIB / "json" / "decoder.py", STDLIB / "heapq.py", STDLIB / "dataclasses.py",
               ROOT / "copyguard" / "samples" / "corpus" / "tomli" / "_parser.py"],
    "bash": [ROOT / ".ci" / "run", STDLIB / "venv" / "scripts" / "common" / "activate"],
}
CUTS = ['"', "'", "/*", "{", ")", '"""', "été", "#", "`", "\x00", "<<EOF\n", "\u2003", "`${"]


def code_streams(text: str, lang: str):
    """The code stream and the words' spans of ``text``, compiled and reference."""
    fast, slow = both(normalize_code_spans, text, lang)
    return fast, slow


def same_streams(fast, slow):
    (a, wa, pa), (b, wb, pb) = fast, slow
    for f in ("hashes", "exact", "starts", "ends", "kinds", "units"):
        same(getattr(a, f), getattr(b, f))
    assert wa == wb
    assert pa == pb


def broken(text: str, rng: random.Random) -> str:
    """A copy cut, shortened or with a stray delimiter: what answers cut at a limit and edited copies look like."""
    i = rng.randrange(len(text) + 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i]
    if kind == 1:
        return text[i:]
    if kind == 2:
        lines = text.splitlines(keepends=True)
        del lines[rng.randrange(len(lines))]
        return "".join(lines)
    return text[:i] + rng.choice(CUTS) + text[i:]


def test_the_reference_parses_with_the_release_the_core_embeds():
    """Error recovery differs between tree-sitter releases: both sides must parse with the same one."""
    import importlib.metadata

    assert importlib.metadata.version("tree-sitter") == compiled.core().TREE_SITTER_VERSION


def test_every_grammar_has_real_code_here():
    from copyguard.normalize.grammars import names

    assert sorted(REAL) == names()
    assert all(p.is_file() for paths in REAL.values() for p in paths)


@pytest.mark.parametrize("lang", sorted(REAL))
def test_code_tokens_of_real_and_broken_code_equal_reference(lang):
    rng = random.Random(lang)
    for path in REAL[lang]:
        text = path.read_text(encoding="utf-8")
        same_streams(*code_streams(text, lang))
        for _ in range(12):
            same_streams(*code_streams(broken(text, rng), lang))


@pytest.mark.parametrize("lang", sorted(REAL))
def test_code_tokens_of_non_ascii_code_equal_reference(lang):
    """Offsets in characters, not bytes: identifiers, strings and comments of other scripts, and Unicode spaces."""
    text = REAL[lang][0].read_text(encoding="utf-8")[:3000]
    for old, new in (("e", "é"), ("a", "\u0430"), (" ", "\u00a0"), ("t", "\U0001d42d"), ("\n", "\u2028\n")):
        same_streams(*code_streams(text.replace(old, new, 25), lang))


LONG_REPETITIONS = {
    # a data table: tree-sitter builds a repetition as a chain of hidden nodes as deep as it is long (the compiled
    # core does not rebalance it), which the walk goes down in constant depth; comments inside are extras
    "go": "package t\n\n// T is a table.\nvar T = [...]uint32{\n{items}}\n\nfunc f(a, b int) int { return a + b }\n",
    "c": "static const unsigned t[] = {\n{items}};\nint f(int a) { return t[a]; }\n",
    "python": "T = [\n{items}]\n\n\ndef f(a):\n    return T[a]\n",
    "javascript": "const T = [\n{items}];\nfunction f(a) { return T[a]; }\n",
    "rust": "static T: [u32; 3] = [\n{items}];\nfn f(a: usize) -> u32 { T[a] }\n",
}


@pytest.mark.parametrize("lang", sorted(LONG_REPETITIONS))
def test_code_tokens_of_long_repetitions_equal_reference(lang):
    comment = "#" if lang == "python" else "//"
    items = "".join(f"\t0x{i * 2654435761 % 2**32:08X},{f' {comment} block {i}' if i % 97 == 0 else ''}\n"
                    for i in range(6000))
    text = LONG_REPETITIONS[lang].replace("{items}", items)
    fast, slow = code_streams(text, lang)
    assert len(fast[0]) > 12000
    same_streams(fast, slow)
    rng = random.Random(lang)
    for _ in range(3):
        same_streams(*code_streams(broken(text, rng), lang))


TOKENS = st.sampled_from([
    "x", "y1", "_z", "$w", "é", "if", "else", "for", "match", "case", "type", "async", "await", "self", "this", "fn",
    "def", "return", "import", "from", "use", "package", "class", "struct", "let", "var", "const", "static", "print",
    "len", "0", "1.5e3", "0x1F", '"s"', "'c'", '"""doc string here"""', "`t${x}`", "/* c */", "// c\n", "# c\n",
    "(", ")", "[", "]", "{", "}", ".", "..", "...", "->", "::", ":", ";", ",", "=", "==", "+", "*", "&", "|", "<", ">",
    "@", "!", "?", "\\", " ", "  ", "\n", "\t", "\u3000", "<<EOF\nbody\nEOF\n", "<?php ", "?>", "=>",
])


@pytest.mark.parametrize("lang", sorted(REAL))
@settings(max_examples=40, deadline=None, derandomize=True)
@given(parts=st.lists(TOKENS, max_size=80))
def test_code_tokens_of_token_soup_equal_reference(lang, parts):
    """Random sequences of keywords, literals, comments and punctuation: error recovery of every kind."""
    same_streams(*code_streams("".join(parts), lang))


# What ``_unaliased`` looks at (compiled: a pass of ``_core.normalize_code`` for Python): alias lines ``A = self``
# right after a ``def`` header or another alias, headers with brackets, defaults and annotations, async, nesting.
ALIAS_TOKENS = st.sampled_from([
    "def f(self, x):\n", "async def g(cls, *a, y=(1, 2)):\n", "def h(x: dict[str, int] = {}) -> T:\n", "class C:\n",
    "    A = self\n", "    B = x\n", "    C = cls\n", "    D = y\n", "    E = z\n", "    A = self  # c\n", "    A = self",
    "    F = x; G = 1\n", "        H = x\n", "    return A.g(B) + x\n", "    A.x = B\n", "    é = x\n", "    x = é\n",
    "\u3000", "\n", "    ", "A", "=", "self", "x", ":", "(", ")", "\t\n", "    @dec\n",
])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(parts=st.lists(ALIAS_TOKENS, max_size=30))
def test_python_aliases_equal_reference(parts):
    same_streams(*code_streams("".join(parts), "python"))


def test_python_alias_lines_equal_reference_and_are_dropped():
    text = ("def f(self, x, *, scale=1.0):\n    A = self\n    B = scale\n    C = x \n    return A.g(B, C) + x\n\n"
            "async def g(cls, y):\n    D = cls\n    if y:\n        E = y\n    return D(E)\n\n"
            "def h(v: dict[str, int] = {}, w=(1, 2)) -> int:\n    F = v\n    G = w")
    fast, slow = code_streams(text, "python")
    same_streams(fast, slow)
    said = [fast[0].token_text(i) for i in range(len(fast[0]))]
    assert said.count("=") == 4 and said[said.index("E") + 1] == "="  # three defaults and E's line: not aliases
    assert said[-3:] == ["-", ">", "int", ":"][-3:] and "F" not in said and "D" in said  # every other alias line dropped
    same_streams(*code_streams(text.replace("x", "é"), "python"))


# What ``_drop_optional`` and ``_line_ends`` look at (compiled: the passes of ``_core.normalize_code``): trailing commas, ``};``,
# modifiers, ``as``/``satisfies``, ``?``/``!`` marks glued or not, line breaks before words, closers and the end.
PASS_TOKENS = st.sampled_from([
    "a", "b", "T", "f(x)", "#p", "this", "0", '"s"', "'c'", "`t`", "é", "as", "satisfies", "const", "readonly",
    "declare", "abstract", "else", "in", "of", "return", "let", "?", "!", "?.", "??", "!=", ":", ",", ";", "}", "{",
    ")", "(", "]", "[", ".", "=", "+", "\n", "\n", " ", "  ", "\u2028", "// c\n", "/* c */", "<T>", "=>",
])
PASS_TEXTS = [
    "f(a, b,);\nconst o = {k: a,};\nlet v = a as T\nlet w = [x!, y?.z, q as const,]\nreturn v}\n",
    "class C {\n  private readonly x?: number\n  m(a?: T, b!: U): void { return a! }\n}\nexport {}\n",
    "let a = f(x)\nconst b = {\n  k: a\n}\nreturn g(a)[0]\nconst c = a +\n  b\n  .map(f)\n  ? x\n  : y;\n",
    "const v = a ? b : c?.d ?? e!\nif (x) { y() };\nfoo(bar!)\nbaz[0]!\n(q as any).r satisfies S\n",
    "def f(a, b,):\n    return [a, b,]\n", "x = (1,)\ny = {'k': 1,}\n", "x = y\n`t${a}`\nz = \"s\"\n",
    "const { a, b = 1, ...r } = o\nreturn { a, b, c: a }\nf({ \u00e9, Object })\n({ x } = y);\n",  # shorthand properties
]


@pytest.mark.parametrize("lang", ["javascript", "typescript", "tsx", "python"])
def test_code_passes_of_formatting_forms_equal_reference(lang):
    for text in PASS_TEXTS:
        same_streams(*code_streams(text, lang))
        same_streams(*code_streams(text.replace("a", "\u0430"), lang))  # offsets in characters
        for cut in range(1, len(text), 7):
            same_streams(*code_streams(text[:cut], lang))
            same_streams(*code_streams(text[cut:], lang))


@pytest.mark.parametrize("lang", ["javascript", "typescript", "tsx", "python"])
@settings(max_examples=60, deadline=None, derandomize=True)
@given(parts=st.lists(PASS_TOKENS, max_size=60))
def test_code_passes_of_token_soup_equal_reference(lang, parts):
    same_streams(*code_streams("".join(parts), lang))


# --- prose normalization -------------------------------------------------------------------------------------------

JARGON = sorted((ROOT / "copyguard" / "samples" / "corpus" / "jargon").glob("*.txt"))
DISGUISES = [("a", "\u0430"), ("e", "\u00e9"), ("o", "\uff4f"), (" ", "\u00a0"), ("t", "t\u200b"), ("fi", "\ufb01"),
             ("H", "\U0001d407"), (".", "\u3002"), ("s", "\u017f"), ("ss", "\u00df")]


def same_prose(a, b):
    for f in ("hashes", "exact", "starts", "ends", "kinds"):
        same(getattr(a, f), getattr(b, f))
    assert a.text == b.text


def test_prose_words_of_real_and_disguised_text_equal_reference():
    from copyguard.normalize.text import normalize_prose

    assert JARGON
    for path in JARGON:
        text = path.read_text(encoding="utf-8")
        same_prose(*both(normalize_prose, text))
        for old, new in DISGUISES:
            same_prose(*both(normalize_prose, text.replace(old, new, 40)))
    mixed = "東京タワーは高い。Ｆｕｌｌ-width ｗｏｒｄｓ, ΗΕΛΛΟ and \U0001d41b\U0001d428\U0001d425\U0001d41d; 𝟙𝟚𝟛 ½ ⅷ \x00\x07 \ud800 end"
    same_prose(*both(normalize_prose, mixed))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=st.text(max_size=300))
def test_prose_words_of_any_text_equal_reference(text):
    from copyguard.normalize.text import normalize_prose

    same_prose(*both(normalize_prose, text))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(text=st.text(min_size=1, max_size=200), cuts=st.lists(st.integers(0, 200), max_size=8))
def test_prose_words_inside_spans_equal_the_blanked_copy(text, cuts):
    """Overlapping, touching, empty and whole spans: the words inside them, offsets into the text."""
    from copyguard.normalize.text import normalize_prose_in

    cuts = sorted(min(c, len(text)) for c in cuts)
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])] + ([(0, len(text))] if len(cuts) % 3 == 1 else [])
    same_prose(*both(normalize_prose_in, text, spans))


# --- candidate passages measured on stored shingles -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_range_containment_equals_reference(seed):
    from copyguard.index.query import range_containment

    rng = np.random.default_rng(seed)
    sh = rng.integers(0, 50, 2000).astype(np.uint64)  # few distinct values: many hits, zeros included
    starts = rng.integers(0, 1990, 300)
    ranges = np.stack([starts, np.minimum(starts + rng.integers(0, 80, 300), 2000)], axis=1).astype(np.int64)
    out = sorted_unique(rng.integers(0, 60, 25).astype(np.uint64))
    for k in (1, 3, 6):
        fast, slow = both(range_containment, sh, ranges, k, out)
        same(fast, slow)
    assert fast.max() > 0 and fast.min() == 0


def _segment_files(root: Path) -> dict[str, np.ndarray]:
    """The .npy arrays of an index's only segment, read from disk (the format the manifest describes)."""
    (seg,) = (root / "segments").iterdir()
    return {f.stem: np.load(f) for f in seg.glob("*.npy")}


def test_stored_shingles_are_the_shingles_of_the_stored_tokens(tmp_path):
    """What the build stores per token equals shingling the tokens again, before and after a compaction."""
    from copyguard.index import Index
    from copyguard.index.build import build_index
    from copyguard.index.df import token_shingles

    root = tmp_path / "idx"
    build_index([str(ROOT / "copyguard" / "samples" / "corpus")], str(root))
    p = Index.open(root).params
    Index.open(root).remove(["corpus/tomli/_parser.py"])
    for _ in range(2):
        a = _segment_files(root)
        tokens = {f: a[f"tok_{f}"] for f in ("hashes", "exact", "kinds", "starts", "ends")}
        again = token_shingles(tokens, a["source_tok"], a["source_words"], p.shingle_code, p.shingle_prose)
        same(a["tok_shingles"], again)
        assert np.count_nonzero(again) > 0.9 * again.shape[0]
        Index.open(root).compact()


def test_passage_containment_equals_shingling_the_passages_again(tmp_path):
    from copyguard.index import Index
    from copyguard.index.build import build_index
    from copyguard.sketch import stream_shingles

    root = tmp_path / "idx"
    build_index([str(ROOT / "copyguard" / "samples" / "corpus")], str(root))
    index = Index.open(root)
    text = (ROOT / "copyguard" / "samples" / "corpus" / "tomli" / "_parser.py").read_text()[2000:6000]
    out_sorted = sorted_unique(sketch_passages(normalize(text, "python"), index.params)[3])
    a = _segment_files(root)
    gids = np.arange(len(index))
    p_tok, p_source = a["p_tok"], a["p_source"].astype(np.int64)
    code = p_tok[:, 1] <= a["source_words"][p_source]  # passages of a code channel
    code &= a["source_words"][p_source] > a["source_tok"][p_source, 0]
    toks = index.passage_tokens(gids)
    k = index.params.shingle_code
    expected = np.array([np.isin(stream_shingles(toks.tokens[i:j], k, True), out_sorted).mean() if j - i >= k else 0.0
                         for i, j in zip(toks.offsets[:-1], toks.offsets[1:])])
    got = index.passage_containment(gids, out_sorted, k)
    assert code.sum() > 100
    assert np.array_equal(got[code], expected[code])
    assert got[code].max() > 0.9  # the slice's own passages


@pytest.mark.parametrize("n_keys", [0, 10, 50_000])
def test_source_count_lookup_through_a_directory_equals_reference(n_keys):
    from copyguard.index.bands import band_directory
    from copyguard.index.df import count_of

    rng = np.random.default_rng(n_keys)
    keys = sorted_unique(rng.integers(0, 2**64 - 1, n_keys, dtype=np.uint64))
    counts = rng.integers(1, 1000, keys.shape[0]).astype(np.uint32)
    values = np.concatenate([rng.choice(keys, min(200, keys.shape[0])) if keys.shape[0] else keys,
                             rng.integers(0, 2**64 - 1, 200, dtype=np.uint64), np.array([0, 2**64 - 1], np.uint64)])
    fast, slow = both(count_of, keys, counts, values, band_directory(keys))
    same(fast, slow)
    assert (fast > 0).sum() == min(200, keys.shape[0]) or n_keys == 0


@pytest.mark.parametrize("n_keys", [0, 1, 10, 50_000])
def test_key_positions_through_a_directory_equal_reference(n_keys):
    from copyguard.index.bands import band_directory
    from copyguard.index.df import position_of

    rng = np.random.default_rng(n_keys + 1)
    keys = sorted_unique(rng.integers(0, 2**64 - 1, n_keys, dtype=np.uint64))
    held = rng.choice(keys, min(300, keys.shape[0]), replace=False) if keys.shape[0] else keys
    values = np.concatenate([held, rng.integers(0, 2**64 - 1, 200, dtype=np.uint64),
                             np.array([0, 2**64 - 1], np.uint64), keys[:1], keys[-1:]])
    fast, slow = both(position_of, keys, values, band_directory(keys))
    same(fast, slow)
    hit = fast >= 0
    assert np.array_equal(keys[fast[hit]], values[hit])
    assert hit.sum() >= held.shape[0] + 2 * (n_keys > 0)


@pytest.mark.parametrize("max_hits", [None, 3])
def test_passage_counts_equal_reference(max_hits):
    from copyguard.index.bands import band_directory, passage_counts

    rng = np.random.default_rng(7)
    keys = np.sort(rng.integers(0, 2**64 - 1, 30000, dtype=np.uint64))
    keys[500:510] = keys[500]  # a key ten passages hold: over a cap of 3
    keys[900:903] = keys[900]
    keys = np.sort(keys)
    pids = rng.integers(0, 3000, keys.shape[0]).astype(np.uint32)
    directory = band_directory(keys)
    bits = int(directory.shape[0] - 1).bit_length() - 1
    needles = sorted_unique(np.concatenate([rng.choice(keys, 400), rng.integers(0, 2**64 - 1, 100, dtype=np.uint64)]))
    fast, slow = both(passage_counts, keys, pids, directory, bits, needles, max_hits)
    same(fast, slow)
    assert fast[1].sum() > 300


# --- alignment ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_tiles_equal_reference(seed):
    """Copies with edits, repeats (shingles seen more than 32 times pair with nothing) and competing runs."""
    from copyguard.match import tiles

    rng = np.random.default_rng(seed)
    src = rng.integers(0, [8, 60, 5000][seed % 3], int(rng.integers(1, 1500))).astype(np.uint64)
    pieces = []
    for _ in range(int(rng.integers(1, 6))):
        s = int(rng.integers(0, src.shape[0]))
        piece = src[s : s + int(rng.integers(1, 300))].copy()
        piece[rng.random(piece.shape[0]) < 0.05] = 99999  # edits
        pieces += [piece, rng.integers(0, 5000, int(rng.integers(0, 50))).astype(np.uint64)]
    out = np.concatenate(pieces)
    fast, slow = both(tiles, out, src)
    same(fast, slow)
    fast, slow = both(tiles, out, src, 4)  # a low cap on occurrences
    same(fast, slow)
    at = np.flatnonzero(np.isin(out, src))  # only the positions the source shares: the same tiles
    same(*both(tiles, out, src, at=at))
    same(both(tiles, out, src, at=at)[0], both(tiles, out, src)[0])


def test_tiles_of_empty_and_unrelated_streams_equal_reference():
    from copyguard.match import tiles

    e = np.zeros(0, dtype=np.uint64)
    x = np.arange(50, dtype=np.uint64)
    for a, b in ((e, x), (x, e), (x, x + np.uint64(100)), (x, x), (x[::-1].copy(), x)):
        same(*both(tiles, a, b))


def _copies(rng, src_parts, n_out):
    """An output made of slices of the sources, each with edits (renamed names, changed tokens), and filler."""
    pieces = []
    for _ in range(n_out):
        hashes, exact, kinds = src_parts[int(rng.integers(0, len(src_parts)))]
        s = int(rng.integers(0, max(hashes.shape[0], 1)))
        e = s + int(rng.integers(1, 200))
        h, x, kd = hashes[s:e].copy(), exact[s:e].copy(), kinds[s:e].copy()
        if rng.random() < 0.4:  # a consistent rename: names change, the normalized hashes do not
            x = np.where(kd == Kind.IDENT, x ^ np.uint64(0xABCDEF), x)
        edit = rng.random(h.shape[0]) < rng.choice([0.0, 0.02, 0.1])
        h[edit], x[edit] = np.uint64(123456789), np.uint64(987654321)
        pieces.append((h, x, kd))
        f = _tokens(rng, int(rng.integers(0, 40)), alphabet=50)
        pieces.append(f)
    return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))


def _batch(rng, code, n_src):
    from copyguard.index.query import TokenSlices
    from copyguard.normalize.tokens import Tokens

    parts = []
    for _ in range(n_src):
        n = int(rng.integers(0, 600))
        parts.append(_tokens(rng, n, alphabet=int(rng.choice([3, 20, 400, 5000]))))
    h, x, kd = _copies(rng, parts, int(rng.integers(1, 6)))
    if not code:
        kd = np.zeros_like(kd)
    # tokens of 1 to 4 characters, by their exact hash: names of 3 and more may count as surviving names
    out = Tokens(h, x, kd, np.arange(h.shape[0], dtype=np.int64),
                 np.arange(h.shape[0], dtype=np.int64) + 1 + (x % np.uint64(4)).astype(np.int64))
    slices = [Tokens(a, b, c if code else np.zeros_like(c), np.arange(a.shape[0], dtype=np.uint32),
                     np.arange(a.shape[0], dtype=np.uint32) + 1) for a, b, c in parts]
    if n_src > 1:  # a slice repeated: two candidates of one round may hold the same text
        slices[-1] = slices[0]
    return out, TokenSlices.of(slices)


def test_a_round_aligned_and_weighed_in_one_call_equals_reference():
    """``align_batch``, ``region_evidence`` and ``align_weigh`` (both in one call) against their reference:
    copies with renames, edits, repeats (small alphabets), sources too short for one shingle, boilerplate
    masks, source counts and rarities."""
    found = [_one_round(seed) for seed in range(16)]
    assert sum(n > 0 for n, _, _ in found) >= 10  # most rounds find copies: the comparison is not of empty arrays
    assert sum(names for _, names, _ in found) > 0  # and some regions count surviving names
    assert any(heavy for _, _, heavy in found)  # some weighed more than one each (``name_weights``)


def _one_round(seed: int) -> tuple[int, int, bool]:
    from copyguard.evidence import align_weigh, kept_mask, literal_mask, name_mask, name_weights, region_evidence
    from copyguard.match import Limits, align_batch

    rng = np.random.default_rng(seed)
    code = bool(seed % 3)
    k = [3, 6, 2][seed % 3]
    out, sources = _batch(rng, code, int(rng.integers(1, 12)))
    out_sh = sketch.stream_shingles(out, k, code)
    limits = Limits(min_tokens=int(rng.choice([1, 8, 40])), min_distinct_shingles=int(rng.choice([1, 5, 20])),
                    min_similarity=float(rng.choice([0.0, 0.3, 0.5])), max_gap=int(rng.choice([0, 4, 32])))
    fast, slow = both(align_batch, out, out_sh, sources, k, code, limits)
    for f in ("cand", "tok", "similarity", "kind"):
        same(getattr(fast, f), getattr(slow, f))
    out_exact = sketch.exact_shingles(out, k) if code else out_sh
    names, heavy = 0, False
    for exponent in (0.0, 0.5, 1.0, 1.7):
        common = rng.random(out_sh.shape[0]) < rng.choice([0.0, 0.1, 0.5])
        counts = rng.integers(0, 40, out_sh.shape[0])
        # names weighted by rarity (``name_weights``: 1 to 6 per name) for half the exponents, plain masks else
        mask = name_mask(out)
        weighted = name_weights(mask, rng.integers(1, 8, int(np.count_nonzero(mask))), 6) if exponent in (0.5, 1.7) \
            else None
        if weighted is not None and exponent == 1.7:  # literals too, compared by their contents (``literal_weights``)
            weighted = np.maximum(weighted, literal_mask(out).astype(np.uint8) * 2)
        if weighted is not None and exponent == 0.5:  # kept names, counted inside exact runs too (``kept_weights``)
            weighted = np.maximum(weighted, kept_mask(out).astype(np.uint8) * 3)
        a, b = both(region_evidence, out_sh, out_exact, common, counts, exponent, sources, fast, k, code, out, weighted)
        (fast_r, c), (slow_r, d) = both(align_weigh, out, out_sh, out_exact, common, counts, exponent, sources, k,
                                        code, limits, 32, weighted)
        names += int(a[4].sum())
        if weighted is not None:  # more than the distinct names: a weight over 1 was summed
            plain = region_evidence(out_sh, out_exact, common, counts, exponent, sources, fast, k, code, out)[4]
            heavy |= bool((a[4] > plain).any())
        for f in ("cand", "tok", "similarity", "kind"):
            same(getattr(fast_r, f), getattr(slow, f))
            same(getattr(slow_r, f), getattr(slow, f))
        for x, y, z, w in zip(a, b, c, d):
            for u in (y, z, w):
                assert x.dtype == u.dtype and np.array_equal(x.view(np.uint64 if x.dtype == np.float64 else x.dtype),
                                                             u.view(np.uint64 if u.dtype == np.float64 else u.dtype))
    return len(fast), names, heavy


def test_a_round_read_in_place_equals_reference():
    """``align_weigh_rows`` (slices read where they lie in two segments: ranges, picked rows, empty slices)
    against its reference, which gathers them and runs ``align_weigh`` (and ``reanchor``): regions, evidence
    and the characters of each region and slice (``SliceRows.spans``), bit for bit."""
    from copyguard.evidence import align_weigh, align_weigh_rows
    from copyguard.index.query import SliceRows, TokenSlices
    from copyguard.match import Limits
    from copyguard.normalize.tokens import Tokens

    found = moved = 0
    for seed in range(13):
        rng = np.random.default_rng(100 + seed)
        code = bool(seed % 3) or seed == 12
        k = [3, 6, 2][seed % 3]
        out, gathered = _batch(rng, code, int(rng.integers(1, 10)))
        if seed == 12:  # a slice holding a renamed copy of the output's code, then the code as written
            h, x, kd = _tokens(rng, 120, alphabet=400)
            renamed = np.where(kd == Kind.IDENT, x ^ np.uint64(0xABCDEF), x)
            fill = _tokens(rng, 30, alphabet=50)
            src = [np.concatenate(p) for p in ((h, fill[0], h), (renamed, fill[1], x), (kd, fill[2], kd))]
            n = src[0].shape[0]
            gathered = TokenSlices.of([Tokens(*src, np.arange(n, dtype=np.uint32), np.arange(n, dtype=np.uint32) + 1)])
            out = Tokens(h, x, kd, np.arange(120, dtype=np.int64), np.arange(120, dtype=np.int64) + 1)
        t = gathered.tokens
        pad = int(rng.integers(1, 50))  # a second segment: the same tokens after others, starts moved
        other = Tokens(*(np.concatenate([x[:pad], x]) for x in (t.hashes, t.exact, t.kinds)),
                       np.concatenate([t.starts[:pad], t.starts + np.uint32(7)]),
                       np.concatenate([t.ends[:pad], t.ends + np.uint32(7)]))
        seg, lo, hi, rows = [], [], [], []
        for i in range(len(gathered)):
            a, b = int(gathered.offsets[i]), int(gathered.offsets[i + 1])
            s = int(rng.integers(0, 2))
            shift = pad if s else 0
            if rng.random() < 0.5:
                seg.append(s), lo.append(a + shift), hi.append(b + shift)
            else:  # picked rows: some dropped
                picked = np.arange(a, b)[rng.random(b - a) < 0.9] + shift
                lo.append(-sum(map(len, rows)) - 1)
                rows.append(picked)
                hi.append(-sum(map(len, rows)) - 1)
                seg.append(s)
        sources = SliceRows((t, other), *(np.array(x, dtype=np.int64) for x in (seg, lo, hi)),
                            np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64))
        out_sh = sketch.stream_shingles(out, k, code)
        out_exact = sketch.exact_shingles(out, k) if code else out_sh
        limits = Limits(min_tokens=int(rng.choice([1, 8, 40])), min_distinct_shingles=int(rng.choice([1, 5, 20])),
                        min_similarity=float(rng.choice([0.0, 0.3, 0.5])), max_gap=int(rng.choice([0, 4, 32])))
        common = rng.random(out_sh.shape[0]) < rng.choice([0.0, 0.1, 0.5])
        counts = rng.integers(0, 40, out_sh.shape[0])
        same(*both(sources.spans))
        if code:  # regions not verbatim moved where the slice holds the output's exact tokens, then weighed
            moved_fast, moved_slow = both(align_weigh_rows, out, out_sh, out_exact, common, counts, 0.5, sources, k,
                                          code, limits, reanchor=True)
            for f in ("cand", "tok", "similarity", "kind"):
                same(getattr(moved_fast[0], f), getattr(moved_slow[0], f))
            for u, v in zip((*moved_fast[1], *moved_fast[2:]), (*moved_slow[1], *moved_slow[2:])):
                same(u.view(np.uint64) if u.dtype == np.float64 else u, v.view(np.uint64) if v.dtype == np.float64 else v)
        fast, slow = both(align_weigh_rows, out, out_sh, out_exact, common, counts, 0.5, sources, k, code, limits)
        if code:
            moved += int(np.count_nonzero(moved_fast[0].tok[:, 2] != fast[0].tok[:, 2]))
        for x, y in ((fast, slow), (fast[:2], align_weigh(out, out_sh, out_exact, common, counts, 0.5,
                                                          sources.gather(), k, code, limits))):
            for f in ("cand", "tok", "similarity", "kind"):
                same(getattr(x[0], f), getattr(y[0], f))
            for u, v in zip(x[1], y[1]):
                assert u.dtype == v.dtype and np.array_equal(u.view(np.uint64 if u.dtype == np.float64 else u.dtype),
                                                             v.view(np.uint64 if v.dtype == np.float64 else v.dtype))
        same(fast[2], slow[2])
        same(fast[3], slow[3])
        whole = sources.gather()  # each region's source characters: its first token's start, its last's end
        at = whole.offsets[fast[0].cand]
        assert fast[2].tolist() == np.stack([whole.tokens.starts[at + fast[0].tok[:, 2]],
                                             whole.tokens.ends[at + fast[0].tok[:, 3] - 1]], axis=1).tolist()
        found += len(fast[0])
    assert found > 0 and moved > 0


def test_a_round_of_real_code_against_its_sources_equals_reference():
    """Real Python: an answer quoting three files, one with its names renamed, aligned against those files."""
    from copyguard.evidence import region_evidence
    from copyguard.index.query import TokenSlices
    from copyguard.match import Limits, align_batch

    texts = [p.read_text(encoding="utf-8") for p in REAL["python"][:3]]
    streams = [normalize(t, "python") for t in texts]
    defs = [t.split("\ndef ") for t in texts]  # whole top-level functions: no slice starts inside a docstring
    answer = "\ndef ".join(["", *defs[0][1:3]]) + "\ndef ".join(["", *defs[1][1:4]]).replace("heap", "h") + \
        "\ndef ".join(["", *defs[2][2:4]])
    out = normalize(answer, "python")
    sources = TokenSlices.of([ts.tokens for ts in streams])
    out_sh = sketch.stream_shingles(out.tokens, 6, True)
    fast, slow = both(align_batch, out.tokens, out_sh, sources, 6, True, Limits(min_tokens=8))
    for f in ("cand", "tok", "similarity", "kind"):
        same(getattr(fast, f), getattr(slow, f))
    assert set(fast.cand.tolist()) == {0, 1, 2} and 1 in fast.kind.tolist()  # the renamed copy is found renamed
    counts = np.arange(out_sh.shape[0]) % 7
    a, b = both(region_evidence, out_sh, sketch.exact_shingles(out.tokens, 6), counts > 5, counts, 1.0, sources,
                fast, 6, True, out.tokens)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    assert a[4][fast.kind == 1].sum() > 0  # the renamed copy kept names it calls (``_siftdown``...)


NOTICES = '''# Copyright 2020 Someone. Licensed under
# the Apache License, Version 2.0; see LICENSE.
import os

def f(x):
    """Return the value of x, doubled, for the caller's own use."""
    # all rights
    # reserved here and a plain note about the loop
    y = x * 2  # PERMISSION IS HEREBY GRANTED to read this line
    s = "short"
    t = "a message of several words with SPDX-License-Identifier: MIT inside"
    # licenſed under a long s, which the regex folds to s

    # redistribution and use in source
    return y


def g(place):
    """Look up the altitude of a place from a coarse map of the world.

    * Canada terrain data licensed under the Open Government Licence.
    """
    return place
'''


IMPORTS = {
    "python": "from __future__ import annotations\nimport os, numpy\nfrom .a import (b,  # the b\n    c)\nimport x.y as z\n"
              "def f():\n    from .g import h\n    return h\n",
    "java": "package a.b.c;\nimport static a.b.d.E.F;\nimport java.util.List;\nimport a.b.*;\nclass A { }\n",
    "typescript": "import { a } from './b';\nimport type { C } from '../c';\nimport d from 'd';\n"
                  "let x: number = 1;\ninterface I { a: string }\n",
    "go": "package main\nimport (\n  \"fmt\"\n)\nfunc main() {}\n",
}


@pytest.mark.parametrize("lang", sorted(IMPORTS))
def test_import_spans_equal_reference(lang):
    """Import statements (and TypeScript's erased nodes) merged into spans: the words channel reads the file's own."""
    for text in (IMPORTS[lang], IMPORTS[lang][3:], IMPORTS[lang][:-9], "\u00e9 = 1\n" + IMPORTS[lang]):
        fast, slow = code_streams(text, lang)
        same_streams(fast, slow)
    assert code_streams(IMPORTS[lang], lang)[0][1] or lang == "go"


@pytest.mark.parametrize("lang", ["python", "javascript"])
def test_word_spans_with_license_notices_equal_reference(lang):
    """Notices inside a comment block, across two blocks, in a string, in other cases and a folded long s; a docstring
    whose last paragraph holds one keeps the words before it."""
    text = NOTICES if lang == "python" else NOTICES.replace("#", "//").replace('"""', "/*", 1).replace('"""', "*/", 1)
    fast, slow = code_streams(text, lang)
    same_streams(fast, slow)
    assert fast[1] and len(fast[1]) < text.count("\n")  # some words kept, the notices left out


# The same code with characters of each width CPython stores a str in (1, 2, 4 bytes): a name and a short string in
# Latin-1, in Greek, an emoji, before the words (ASCII: a unit holding another character may hold a notice); and
# a unit holding a notice word, or a non-ASCII character, which ``word_spans_plain`` leaves to the regex.
WIDE_WORDS = [
    f'x{w} = "{w}"\ndef f(x):\n    """Return the value doubled, for the caller."""\n    # a note on two\n    # lines here\n'
    '    return "one two three four" + x  # tail\n' for w in ("", "\u00e9", "\u03b1\u03b2", "\U0001f600")
] + ['# Licensed under the MIT license\ndef f(x):\n    """Return the value doubled, for the caller."""\n    return x\n',
     'def f(x):\n    """Return the value doubled, for the caf\u00e9."""\n    return x\n']


@pytest.mark.parametrize("text", ["def f(x):\n    return x  # short\n", *WIDE_WORDS])
def test_word_spans_plain_reads_every_str_width(text):
    """``_core.word_spans_plain`` reads the str as stored (1, 2 or 4 bytes a character): the words channel's spans
    equal the reference's, and it declines (None) a text whose unit may hold a license notice."""
    from copyguard.normalize import code

    fast, slow = code_streams(text, "python")
    same_streams(fast, slow)
    assert fast[1]
    opaque = code._normalize(text, "python")[1]
    plain = compiled.core().word_spans_plain(text, opaque, code.LONG_STRING_WORDS, code._NOTICE_BYTES)
    assert plain == (None if "Licensed" in text or "caf" in text else fast[1])


@pytest.mark.parametrize("text", ["", "a", "def", "caf\u00e9", "\u03b1\u03b2\u03b3 x", "\U0001f600!", "\ud800 lone",
                                  "x" * 300])
def test_hash_string_reads_every_str_width(text):
    """``_core.hash_string`` (the str as stored: 1, 2 or 4 bytes a character, a lone surrogate) equals the reference."""
    from copyguard.normalize.tokens import hash_string

    fast, slow = both(hash_string, text)
    assert type(fast) is int and fast == slow


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (256, 0), (7, 2**32 - 1), (1, 12345)])
def test_permutations_equal_numpy_random_state(num_perm, seed):
    fast, slow = both(sketch.permutations.__wrapped__, num_perm, seed)  # past the cache: each side draws
    same(fast, slow)


def _stream(rng, n, code, n_units):
    """A random token stream (code: names that repeat, random units of every length, some equal to a window)."""
    from copyguard.normalize.tokens import PROSE, TokenStream

    hashes, exact, kinds = _tokens(rng, n, alphabet=int(rng.integers(2, 40)))
    if not code:
        kinds = np.zeros(n, dtype=np.uint8)
        hashes = exact
    starts = np.arange(n, dtype=np.uint32) * 2
    units = np.zeros((0, 2), dtype=np.int64)
    if code and n:
        first = rng.integers(0, n, n_units)
        units = np.stack([first, np.minimum(first + rng.integers(0, 300, n_units), n)], axis=1).astype(np.int64)
        units = np.concatenate([units, [[0, min(n, 48)], [0, n]]]).astype(np.int64)  # a window's range, the stream
    return TokenStream(" " * (2 * n), "python" if code else PROSE, hashes, exact, starts, starts + 1, kinds, units)


@pytest.mark.parametrize("seed", range(8))
def test_passage_sketches_of_random_streams_equal_reference(seed):
    """Random code and prose streams, empty ones, minimums overridden up and down, other windows: the compiled
    cut + shingles + MinHash + bands against the numpy reference, bit for bit."""
    rng = np.random.default_rng(seed)
    params = [Params(), Params(window_code=24, stride_code=7, min_tokens_code=5, max_unit_code=60, window_prose=20,
                               stride_prose=20, shingle_prose=3),
              Params(shingle_code=1, num_perm=32, bands=8, rows=4, window_code=3, stride_code=1)]
    seen_units = 0
    for n in (0, 1, 5, int(rng.integers(6, 60)), int(rng.integers(60, 2000))):
        for code in (True, False):
            ts = _stream(rng, n, code, int(rng.integers(0, 40)))
            for p in params:
                for min_tokens in (None, 0, 1, 12, n, n + 1):
                    fast, slow = both(sketch_passages, ts, p, min_tokens)
                    same(fast, slow)
                    seen_units += int((fast[1] == 1).sum())
    assert seen_units > 0


def test_measured_passages_of_a_multi_segment_index_equal_reference(tmp_path):
    """Containment and passage info in one call, against ``passage_containment`` + ``passage_info``, on an index of
    three segments with a removal: passages of every segment, of one, none; every threshold."""
    from copyguard.index import Index
    from copyguard.index.build import add_to_index, build_index

    corpus = ROOT / "copyguard" / "samples" / "corpus"
    root = tmp_path / "idx"
    build_index([str(corpus / "tomli")], str(root))
    add_to_index([str(corpus / "distro")], str(root))
    add_to_index([str(corpus / "resolvelib"), str(corpus / "jargon")], str(root))
    Index.open(root).remove(["corpus/tomli/_re.py"], strict=False)
    index = Index.open(root)
    assert len(index.manifest.segments) == 3
    text = (corpus / "tomli" / "_parser.py").read_text()[:5000] + (corpus / "distro" / "distro.py").read_text()[:5000]
    out_sorted = sorted_unique(sketch_passages(normalize(text, "python"), index.params)[3])
    rng = np.random.default_rng(3)
    n = len(index)
    for gids in (np.arange(n), np.sort(rng.choice(n, n // 3, replace=False)), np.arange(min(n, 50)),
                 np.arange(n - 20, n), np.zeros(0, dtype=np.int64)):
        for k in (index.params.shingle_code, 1):
            for threshold in (0.0, 0.3, 1.0):
                for values in (out_sorted, out_sorted[:0]):
                    fast, slow = both(index.measure_passages, gids, values, k, threshold)
                    same(*((x.source, x.tok, x.kind) for x in (fast[0], slow[0])))
                    same(fast[1:], slow[1:])
    kept = index.measure_passages(np.arange(n), out_sorted, index.params.shingle_code, 0.3)[2]
    assert kept.shape[0] > 20 and kept.max() >= index.manifest.segments[0].passages  # later segments matched too


def _two_indexes(tmp_path):
    """An index of three segments with a removal, and a second index (another shard) of one segment."""
    from copyguard.index import Index
    from copyguard.index.build import add_to_index, build_index

    corpus = ROOT / "copyguard" / "samples" / "corpus"
    root, other = tmp_path / "idx", tmp_path / "other"
    build_index([str(corpus / "tomli")], str(root))
    add_to_index([str(corpus / "distro")], str(root))
    add_to_index([str(corpus / "resolvelib"), str(corpus / "jargon")], str(root))
    Index.open(root).remove(["corpus/tomli/_re.py"], strict=False)
    build_index([str(corpus / "distro"), str(corpus / "jargon")], str(other))
    return Index.open(root), Index.open(other), corpus


def _answers(corpus):
    """Output streams: copies of several sources, a removed source, edited and shuffled code, prose, nothing."""
    rng = random.Random(5)
    parser = (corpus / "tomli" / "_parser.py").read_text()
    distro = (corpus / "distro" / "distro.py").read_text()
    removed = (corpus / "tomli" / "_re.py").read_text()
    lines = distro.splitlines()
    rng.shuffle(lines)
    prose = (corpus / "jargon" / "the-story-of-mel.txt").read_text()
    texts = [parser[:3000] + distro[2000:6000], removed, "\n".join(lines[:150]), parser[5000:5600],
             distro[:20000], "def f(x):\n    return x + 1\n", prose[:4000] + prose[:1500], ""]
    texts.append(re.sub(r"\bself\b", "this", parser[1000:5000]))
    return texts


def test_candidate_ranking_and_held_sources_in_one_call_equal_reference(tmp_path, monkeypatch):
    """``rank_candidates`` and ``held_candidates`` compiled against their numpy bodies: one and two indexes (three
    segments with a removal, and another shard), every threshold and limit, passage budgets that cut, exclusions."""
    from copyguard import candidates
    from copyguard.candidates import held_candidates, rank_candidates, shingle_counts, sketch_query
    from copyguard.index.df import HOLDERS

    first, second, corpus = _two_indexes(tmp_path)
    assert len(first.manifest.segments) == 3
    ranked = held = truncated = pooled = both_streams = 0
    for text in _answers(corpus):
        for lang in ("python", "prose"):
            query = sketch_query(normalize(text, lang), first.params)
            for indexes in ([first], [first, second], [second, first]):
                for budget in (2048, 40, 0):
                    monkeypatch.setattr(candidates, "MIN_PASSAGE_BUDGET", budget)
                    monkeypatch.setattr(candidates, "PASSAGES_PER_WINDOW", 4 if budget else 0)
                    for threshold in (0.0, 0.3, 1.0):
                        for limit in (0, 1, 3, 256):
                            fast, slow = both(rank_candidates, indexes, query, threshold, limit)
                            _same_candidates(fast.candidates, slow.candidates)
                            assert (bool(fast.truncated), bool(fast.more)) == (bool(slow.truncated), bool(slow.more))
                            ranked += len(fast.candidates)
                            truncated += bool(fast.truncated)
                counts = shingle_counts(indexes, query)
                for common in (np.zeros(counts.shape[0], dtype=bool), counts > 1):
                    rare = np.flatnonzero(~common & (counts > 0) & (counts <= HOLDERS))
                    for exclude in (None, set(), {(0, 0), (1, 2)}, {(0, int(r)) for r in range(0, 40, 3)}):
                        for min_held, limit in ((1, 8), (3, 8), (3, 1), (0, 8), (2, 0), (len(rare) + 1, 8)):
                            fast, slow = both(held_candidates, indexes, [query], [common], [counts], min_held, limit,
                                              exclude)
                            assert len(fast) == len(slow) == 1
                            _same_candidates(fast[0], slow[0])
                            held += len(fast[0])
        # the code and the words of the answer together: their rare shingles pooled, each stream its own slice
        queries = [sketch_query(ts, first.params) for ts in normalize_code_words(text, "python")]
        for indexes in ([first], [first, second], [second, first]):
            counts = [shingle_counts(indexes, q) for q in queries]
            for common in ([np.zeros(n.shape[0], dtype=bool) for n in counts], [n > 1 for n in counts]):
                for exclude in (None, {(0, 0), (1, 2)}, {(0, int(r)) for r in range(0, 40, 3)}):
                    for min_held, limit in ((1, 8), (3, 8), (3, 1), (6, 256), (0, 8), (2, 0)):
                        fast, slow = both(held_candidates, indexes, queries, common, counts, min_held, limit, exclude)
                        assert len(fast) == len(slow) == len(queries)
                        for a, b in zip(fast, slow):
                            _same_candidates(a, b)
                        pooled += sum(map(len, fast))
                        both_streams += len({(c.shard, c.ref) for c in fast[0]} & {(c.shard, c.ref) for c in fast[1]})
    assert ranked > 100 and held > 50 and truncated > 10  # the cases compared hold candidates, and cuts
    assert pooled > 50 and both_streams > 10  # sources given to both streams, sliced over both channels


def _same_candidates(fast, slow):
    assert [(c.shard, c.ref, c.containment) for c in fast] == [(c.shard, c.ref, c.containment) for c in slow]
    for a, b in zip(fast, slow):
        same((a.tokens.hashes, a.tokens.exact, a.tokens.kinds, a.tokens.starts, a.tokens.ends),
             (b.tokens.hashes, b.tokens.exact, b.tokens.kinds, b.tokens.starts, b.tokens.ends))


def test_passage_hits_in_one_call_equal_reference(tmp_path, monkeypatch):
    """Distinct keys, lookup in every segment and tombstones in one call (``Index.passage_hits``), against the
    numpy lookup: three segments with a removal, every hit limit, keys past the chunk size (looked up in chunks),
    and keys repeated across rows or equal to 0 (the compiled set of distinct keys keeps 0 aside)."""
    from copyguard.candidates import sketch_query
    from copyguard.index import query as query_module

    index, other, corpus = _two_indexes(tmp_path)
    seen = 0
    for i, text in enumerate(_answers(corpus)):
        for lang in ("python", "prose"):
            keys = sketch_query(normalize(text, lang), index.params).keys
            if i % 3 == 1 and keys.shape[0]:
                keys = np.concatenate([keys, keys[::-1]])
                keys[0, i % keys.shape[1]] = 0
            for chunk in (1 << 15, 7):
                monkeypatch.setattr(query_module, "_KEY_CHUNK", chunk)
                for max_hits in (None, 128, 2, 0):
                    for idx in (index, other):
                        fast, slow = both(lambda: idx.passage_hits(keys.copy(), max_hits))  # noqa: B023 (called at once)
                        same(fast, slow)
                        seen += fast[0].shape[0]
    assert seen > 1000


@pytest.mark.parametrize("seed", range(4))
def test_holders_table_equals_reference(seed):
    """Shingles held by one, two or more sources (in one source twice), keys the table lacks, tokens
    without a shingle (0), empty sources, and source ranges that tile the tokens or leave some out."""
    from copyguard.index.bands import band_table, sort_with_order
    from copyguard.index.df import holders

    rng = np.random.default_rng(seed)
    for tile in (True, False):
        lens = rng.integers(0, 80, int(rng.integers(1, 60)))
        lens[rng.random(lens.shape[0]) < 0.1] = 0
        ends = np.cumsum(lens)
        source_tok = np.stack([ends - lens, ends], axis=1)
        n = int(ends[-1])
        shingles = rng.integers(1, max(n // 3, 2), n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        shingles[rng.random(n) < 0.1] = 0
        if not tile:
            source_tok[:, 1] = np.maximum(source_tok[:, 0], source_tok[:, 1] - 1)
        keys = sorted_unique(shingles[shingles != 0])
        keys = keys[rng.random(keys.shape[0]) < 0.8]  # keys the table does not hold
        same(*both(holders, keys, shingles, source_tok))
        same(*both(sort_with_order, shingles))
        same(*both(band_table, shingles[: n - n % 4].reshape(-1, 4)))


@pytest.mark.parametrize("seed", range(4))
def test_counts_and_holders_equal_reference_and_the_token_table(seed):
    """The build's count and holders tables from its sources' shingle sets (one sort) equal the reference's, and
    the holders table is the one ``df.holders`` makes from the segment's token shingles (what a compaction or an
    older segment uses): sets of one to many values, empty sets, shared values, and the value 0. Keys a source
    counts without holding them (its name keys, ``unheld``) raise the counts and name no holder, also where other
    sources hold the same key as a shingle."""
    from copyguard.index.df import counts_and_holders, holders, source_counts

    rng = np.random.default_rng(seed)
    sets, unheld = [], []
    for _ in range(int(rng.integers(1, 40))):
        size = int(rng.integers(0, 200)) if rng.random() > 0.1 else 0
        values = rng.integers(0, 300, size).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # (0 among them)
        sets.append(np.unique(values))
        names = np.unique(rng.integers(0, 300, int(rng.integers(0, 30))).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        unheld.append(names[~np.isin(names, sets[-1])])
    for extra in (None, unheld):
        fast, slow = both(counts_and_holders, sets, extra)
        same(fast, slow)
        keys, counts, held = fast
        same((keys, counts), source_counts(sets if extra is None else [np.concatenate(p) for p in zip(sets, extra)]))
        tokens = [np.concatenate([s, np.zeros(int(rng.integers(0, 3)), np.uint64), s[::-1]]) for s in sets]
        ends = np.cumsum([t.shape[0] for t in tokens])
        source_tok = np.stack([ends - [t.shape[0] for t in tokens], ends], axis=1)
        same(held, holders(keys, np.concatenate(tokens), source_tok))
        assert (held != 0xFFFFFFFF).any() and (held == 0xFFFFFFFF).any()
    assert sum(u.shape[0] for u in unheld) > 0
    same(*both(counts_and_holders, []))
    same(*both(counts_and_holders, [], []))


def test_a_build_writes_the_holders_table_of_its_token_shingles(tmp_path):
    """The holders table a build writes (made from its sources' shingle sets and name keys) is ``df.holders`` of
    the token shingles and name keys (``df.name_pairs``) it writes: documents of code and prose, some sharing
    passages; a rare name names its sources."""
    from copyguard.corpus import Document
    from copyguard.index import Index
    from copyguard.index.build import index_documents
    from copyguard.index.df import holders, name_keys, name_pairs, rows_counts

    body = "\n".join(f"def f{i}(a, b):\n    return a * {i} + b - {i % 3}\n" for i in range(40))
    docs = [Document(f"d{i}", body[: 300 + 97 * i] + f"\nx = {i}\n", "python", "MIT", None) for i in range(12)]
    docs += [Document(f"p{i}", " ".join(f"word{(i * j) % 23}" for j in range(300)), "text", "MIT", None)
             for i in range(5)]
    index_documents(docs, str(tmp_path / "i"))
    seg = Index.open(tmp_path / "i")._view.segments[0]
    written = np.asarray(seg.holders(6, 3))
    assert seg._shingles is not None and written.shape[0] == seg.df_keys.shape[0]
    tokens = {f: np.asarray(a) for f, a in seg.tokens.items()}
    pairs = name_pairs(tokens, np.asarray(seg.source_tok), np.asarray(seg.source_words))
    same(written, holders(np.asarray(seg.df_keys), np.asarray(seg._shingles), np.asarray(seg.source_tok), pairs))
    assert (written != 0xFFFFFFFF).sum() > 100
    # the count table: each source's shingles and name keys, as a remove takes them off (``df.rows_counts``)
    table = rows_counts(tokens, np.asarray(seg.source_tok), np.asarray(seg.source_words), np.arange(len(docs)), 6, 3)
    same((np.asarray(seg.df_keys), np.asarray(seg.df_counts)), table)
    # name_pairs: per source, the keys name_keys gives its code channel
    for row, ((first, last), words) in enumerate(zip(np.asarray(seg.source_tok).tolist(), seg.source_words.tolist())):
        sl = slice(first, min(words, last))
        same(np.sort(pairs[0][pairs[1] == row]), name_keys(tokens["hashes"][sl], tokens["exact"][sl], tokens["kinds"][sl]))
    names = name_keys(tokens["hashes"], tokens["exact"], tokens["kinds"])
    few = np.isin(np.asarray(seg.df_keys), names) & (np.asarray(seg.df_counts) <= 4)
    # rare names, each naming as many holders as sources count it
    assert few.sum() > 10 and ((written[few] != 0xFFFFFFFF).sum(axis=1) == np.asarray(seg.df_counts)[few]).all()


@pytest.mark.parametrize("kind", ["random", "high ties", "one high half", "repeats", "one byte varies", "small",
                                  "long tie"])
def test_sort_with_order_radix_equals_reference(kind):
    """The bucketed radix sort (top bits, then two 11-bit digits, then runs tying on those bits put in order)
    gives numpy's stable argsort and the reference's keys and order, and its band table the reference's; keys
    that are not hashes (small integers, one long run tying on the top bits) take its slow paths."""
    from copyguard.index.bands import band_table, sort_with_order

    rng = np.random.default_rng(len(kind))
    n = 70_014  # 42 * 1667
    keys = {
        "random": rng.integers(0, 2**64, n, dtype=np.uint64),
        "high ties": (rng.integers(0, 5, n, dtype=np.uint64) << np.uint64(40)) | rng.integers(0, 2**40, n, dtype=np.uint64),
        "one high half": rng.integers(0, 2**32, n, dtype=np.uint64) | np.uint64(7 << 32),
        "repeats": np.repeat(rng.integers(0, 2**64, 700, dtype=np.uint64), 101)[:n],
        "one byte varies": rng.integers(0, 256, n, dtype=np.uint64) << np.uint64(48),
        "small": rng.integers(0, 1000, n, dtype=np.uint64),
        "long tie": rng.integers(0, 2**64, n, dtype=np.uint64) >> np.uint64(30) | np.uint64(3 << 60),
    }[kind]
    c = compiled.core()
    for part in (keys, keys[:1], keys[:0], keys[:5000], keys[:9000]):
        got, order = c.sort_with_order(part)
        same(order, np.argsort(part, kind="stable"))
        same(got, part[order])
        same(*both(sort_with_order, part))
    same(*both(band_table, keys.reshape(-1, 42)))
    same(*both(band_table, keys[:0].reshape(-1, 42)))
    same(*both(band_table, keys[:42 * 5].reshape(-1, 42)))


def test_a_core_built_from_another_tree_is_not_used_and_says_so():
    """An editable install not rebuilt after a pull: the reference runs, with a warning that says how to rebuild."""
    import subprocess
    import sys

    code = ("import sys, types, warnings\n"
            "warnings.simplefilter('always')\n"
            "stale = types.ModuleType('copyguard._core'); stale.API = -1\n"
            "sys.modules['copyguard._core'] = stale\n"
            "with warnings.catch_warnings(record=True) as seen:\n"
            "    from copyguard import compiled\n"
            "print(compiled.core() is None, [str(w.message) for w in seen if w.category is RuntimeWarning])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("True ")
    assert "API -1" in out and f"needs {compiled.API}" in out and "pip install" in out


def test_a_round_reading_stored_shingles_equals_shingling_again(tmp_path):
    """``align_weigh_rows`` on ``Index.source_rows`` (which hands the compiled round the shingles the build stored
    and each source's channels) against the same rows without them and the numpy reference: slices of whole
    sources, slices that start and end inside one channel or straddle the code/words boundary, and picked rows
    with gaps, aligned as code and as words, bit for bit."""
    from dataclasses import replace

    from copyguard.evidence import align_weigh_rows
    from copyguard.match import Limits

    index, _, corpus = _two_indexes(tmp_path)
    text = (corpus / "tomli" / "_parser.py").read_text()
    rng = np.random.default_rng(7)
    found = used = 0
    for lang, piece in (("python", text[1500:5000]), ("prose", text[:1200] + " " + text[9000:11000])):
        out = normalize(piece, lang)
        code = out.is_code
        k = index.params.shingle(code)
        out_sh = sketch.stream_shingles(out.tokens, k, code)
        out_exact = sketch.exact_shingles(out.tokens, k) if code else out_sh
        pieces = []
        for ref in range(min(len(index.manifest.segments) * 40, 60)):
            try:
                n = len(index.source_tokens(ref))
            except Exception:
                continue
            if n == 0:
                continue
            a, b = sorted(int(x) for x in rng.integers(0, n + 1, 2))
            pieces += [(ref, (0, None)), (ref, (a, b)), (ref, np.flatnonzero(rng.random(n) < 0.85))]
        sources = index.source_rows(pieces)
        assert sources.stored is not None and sources.channels is not None
        used += int(np.count_nonzero(sources.channels[:, 1] > sources.channels[:, 0]))
        common = rng.random(out_sh.shape[0]) < 0.1
        counts = rng.integers(0, 20, out_sh.shape[0])
        limits = Limits(min_tokens=8, min_distinct_shingles=5, min_similarity=0.3, max_gap=8)
        args = (out.tokens, out_sh, out_exact, common, counts, 1.0)
        fast, slow = both(align_weigh_rows, *args, sources, k, code, limits, reanchor=code)
        again = align_weigh_rows(*args, replace(sources, stored=None, channels=None), k, code, limits, reanchor=code)
        for x in (slow, again):
            for f in ("cand", "tok", "similarity", "kind"):
                same(getattr(fast[0], f), getattr(x[0], f))
            for u, v in zip((*fast[1], *fast[2:]), (*x[1], *x[2:])):
                same(u.view(np.uint64) if u.dtype == np.float64 else u, v.view(np.uint64) if v.dtype == np.float64 else v)
        found += len(fast[0])
    assert found > 0 and used > 0


def test_a_round_refuses_picked_rows_outside_the_segment_or_not_ascending_with_stored_shingles(tmp_path):
    """The compiled round checks a slice's picked rows before it reads them: each within its segment's tokens
    (with stored shingles, ascending rows are checked at their first and last), and ascending when the build's
    stored shingles are read; the same rows are read without complaint otherwise."""
    from dataclasses import replace

    from copyguard.evidence import align_weigh_rows
    from copyguard.match import Limits

    assert compiled.core() is not None
    index, _, corpus = _two_indexes(tmp_path)
    out = normalize((corpus / "tomli" / "_parser.py").read_text()[1500:4000], "python")
    k = index.params.shingle(True)
    out_sh = sketch.stream_shingles(out.tokens, k, True)
    n = len(index.source_tokens(0))
    sources = index.source_rows([(0, np.arange(n))])
    assert sources.stored is not None and n > 3
    args = (out.tokens, out_sh, sketch.exact_shingles(out.tokens, k), np.zeros(out_sh.shape[0], dtype=bool),
            np.ones(out_sh.shape[0], dtype=np.int64), 1.0)
    limits = Limits(min_tokens=8, min_distinct_shingles=5, min_similarity=0.3, max_gap=8)
    base = int(sources.rows[0])
    for rows, stored_too, message in (
            ([base + 2, base + 1, base + 3], True, "must ascend"),  # descending, read with stored shingles
            ([base + 1, base + 1, base + 3], True, "must ascend"),  # a repeat
            ([-1, base, base + 1], True, "outside its segment"),  # ascending from below the segment
            ([base, base + 1, 10**9], True, "outside its segment"),  # ... and past it
            ([base + 1, 10**9, base + 2], False, "outside its segment"),  # any row, without stored shingles
            ([base + 1, -1, base + 2], False, "outside its segment")):
        bad = replace(sources, lo=np.array([-1]), hi=np.array([-4]), rows=np.array(rows, dtype=np.int64))
        if not stored_too:
            bad = replace(bad, stored=None, channels=None)
        with pytest.raises(ValueError, match=message):
            align_weigh_rows(*args, bad, k, True, limits)
    unsorted = replace(sources, lo=np.array([-1]), hi=np.array([-4]), stored=None, channels=None,
                       rows=np.array([base + 2, base + 1, base + 3], dtype=np.int64))
    align_weigh_rows(*args, unsorted, k, True, limits)  # (rows need not ascend when no stored shingle is read)


def test_unmatchable_shingles_equal_reference():
    """``candidates.without`` (one compiled call) against its numpy body: no shingle, none, some and every
    shingle common; the query is returned as it is when none is."""
    from copyguard.candidates import sketch_query, without
    from copyguard.params import Params

    text = (ROOT / "copyguard" / "samples" / "corpus" / "tomli" / "_parser.py").read_text()[:3000]
    rng = np.random.default_rng(3)
    for lang in ("python", "prose"):
        query = sketch_query(normalize(text, lang), Params())
        n = query.shingles.shape[0]
        for common in (np.zeros(n, bool), rng.random(n) < 0.2, np.ones(n, bool)):
            fast, slow = both(without, query, common)
            same(fast.shingles, slow.shingles)
            assert (fast is query) == (slow is query) == (not common.any())
            assert fast.keys is query.keys and fast.k == query.k and fast.stream is query.stream
    empty = sketch_query(normalize("", "prose"), Params())
    assert without(empty, np.zeros(0, bool)) is empty


DELIMITED = ["", "x", '"""', '""""', '""""""', "'''''", "'''\"\"\"'''", 'a """b""" c """', "/* a */ b */", "*/ x /*",
             "/*/", "/**/ /* open", "a */ \u00e9 /* b", "\u03b1 /* \u03b2 */ \u03b3 */", "\U0001f600 */ \"\"\" /*",
             "\ud800 '''", "x" * 300 + "*/" + "/" * 7 + "*" * 5]


@pytest.mark.parametrize("text", DELIMITED)
def test_delimiter_scans_read_every_str_width(text):
    """``_core.triple_quotes`` and ``_core.block_marks`` (one pass over the str as stored) answer what ``str.count``,
    ``find`` and ``rfind`` answer, and ``code._odd_triple_quotes`` / ``code._block_marks`` equal the reference."""
    from copyguard.normalize import code, grammars

    c = compiled.core()
    assert c.triple_quotes(text) == (text.count('"""'), text.count("'''"))
    assert c.block_marks(text, "/*", "*/") == (text.find("*/"), text.find("/*"), text.rfind("/*"), text.rfind("*/"))
    assert c.block_marks(text, "'''", "*") == (text.find("*"), text.find("'''"), text.rfind("'''"), text.rfind("*"))
    fast, slow = both(code._odd_triple_quotes, text)
    assert fast == slow
    fast, slow = both(code._block_marks, text, grammars.get("javascript"))
    assert fast == slow


def test_delimiter_scans_on_random_texts():
    """The same on 600 random texts over quotes, slashes, stars and a letter (1- and 2-byte storage)."""
    c = compiled.core()
    rng = random.Random(7)
    for i in range(600):
        text = "".join(rng.choice("\"'/*a" + ("\u00e9\u0101" if i % 3 == 0 else "")) for _ in range(rng.randrange(40)))
        assert c.triple_quotes(text) == (text.count('"""'), text.count("'''")), text
        assert c.block_marks(text, "/*", "*/") == (text.find("*/"), text.find("/*"), text.rfind("/*"), text.rfind("*/"))
        assert c.block_marks(text, "*", "'''") == (text.find("'''"), text.find("*"), text.rfind("*"), text.rfind("'''"))


def test_held_sources_finds_every_token_holding_a_held_shingle():
    """``held_sources``' scan of a source's tokens (``cg_bloom_scan``: four at a time under AVX2, the rest one by
    one) against runs made here: sources of every length up to 41, held shingles at random positions (the tail
    past the last whole step of four too), one stream, runs split where two positions are over ``margin`` apart."""
    from copyguard.index.bands import band_directory

    c = compiled.core()
    if c is None:
        pytest.skip("no compiled core")
    rng = np.random.default_rng(5)
    checked = tails = 0
    for n in range(1, 42):
        for _ in range(12):
            values = np.unique(rng.integers(1, 2**63, size=3, dtype=np.uint64))
            tok = rng.integers(1, 2**63, size=n, dtype=np.uint64)
            tok[rng.random(n) < 0.1] = 0  # (no shingle starts there)
            at = np.flatnonzero(rng.random(n) < 0.3)
            tok[at] = rng.choice(values, size=at.shape[0])
            margin, max_runs = int(rng.integers(0, 4)), 3
            holders = np.zeros((values.shape[0], 2), dtype=np.uint32)
            holders[:, 1] = 0xFFFFFFFF
            seg = (0, 0, values, band_directory(values), holders, np.zeros(0, dtype=np.uint32),
                   np.array([[0, n]], dtype=np.int64), tok)
            shingles = values.copy()
            keys, lo, hi = c.held_sources(shingles, np.ones(shingles.shape[0], dtype=np.uint8),
                                          np.zeros(shingles.shape[0], dtype=np.uint8),
                                          np.ones(shingles.shape[0], dtype=np.int64), 2, [seg], 1, 1,
                                          np.zeros(0, dtype=np.int64), np.array([[margin]], dtype=np.int64), 40,
                                          max_runs)
            pos = np.flatnonzero(np.isin(tok, values)).tolist()
            if not pos:
                continue
            assert keys.tolist() == [0]
            runs, first = [], 0
            for i in range(1, len(pos) + 1):
                if i == len(pos) or pos[i] - pos[i - 1] > margin:
                    runs.append((pos[first], pos[i - 1], i - first))
                    first = i
            best = max(r[2] for r in runs)
            want = [(max(a - margin, 0), b + margin) for a, b, m in runs if m == best]
            want = want[:max_runs] if best > 1 else want[:1]
            got = [(a, b) for a, b in zip(lo[0, 0].tolist(), hi[0, 0].tolist()) if a >= 0]
            assert got == want, (n, pos, margin)
            checked += 1
            tails += pos[-1] >= n - n % 4
    assert checked > 300 and tails > 50


_HEADS = {
    "python": "def wrap(*args, limit: Limit = DEFAULT, **kwargs):\n    return run(lambda item, n=base: item, *args)\n"
              "class Pool(Base):\n    def send(self, message: Msg, opts: Dict[str, Any] = None) -> None:\n"
              "        self.queue.put(message, **opts)\n",
    "javascript": "function pick(object, paths = [], ...rest) { return basePick(object, rest); }\n"
                  "const total = (items, start) => items.reduce(add, start);\n"
                  "class Store { save(record, {force, quiet}) { if (valid(record)) { write(record); } } }\n",
    "typescript": "function parse(source: string, options?: Options): Tree { return build(source, options); }\n"
                  "export class Reader { read(buffer: Buffer, offset = 0) { return this.fill(buffer, offset); } }\n"
                  "const merge = (target: object, ...sources: object[]) => assign(target, sources);\n",
    "java": "public int read(byte[] buffer, final int offset, List<String> names) throws IOException {\n"
            "  names.forEach((name, index) -> emit(name));\n  return fill(buffer, offset);\n}\n",
    "c": "static int copy_range(char *dest, const char *src, size_t count) { return memmove(dest, src, count); }\n",
    "go": "func (s *Server) Serve(conn net.Conn, a, b int, opts ...Option) (count int, err error) {\n"
          "\tdone := func(x, y float64) float64 { return scale(x, y) }\n\treturn lookup(conn, Entry{})\n}\n"
          "func lookup(table map[string]Entry, key string) (Entry, bool) { v, ok := table[key]; return v, ok }\n",
    "rust": "fn area(width: u32, height: &mut Rect, mut items: Vec<Item>) -> u32 { width * height.side }\n"
            "impl Grid { fn cell(&self, row: usize, column: usize) -> Option<&Cell> { self.cells.get(row, column) } }\n",
    "php": "function add($count, $items = [], array $names) { return merge($count, $items); }\n"
           "class Mailer { public function send(Message $message, $options) { return $this->post($message); } }\n",
    "ruby": "def add(count, items = [], *rest, key:, **opts)\n  merge(count, items)\nend\n"
            "def send(message, options = {})\n  post(message, options)\nend\n",
}

# Each grammar's parameter names (``evidence.parameters``), and names that are not parameters (types, defaults).
_PARAMETERS = {
    "go": (["s", "conn", "a", "b", "opts", "count", "err", "x", "y", "table", "key"],
           ["Server", "Option", "Entry", "scale", "done"]),
    "rust": (["width", "height", "items", "row", "column"], ["Rect", "Item", "Cell"]),
    "php": (["$count", "$items", "$names", "$message", "$options"], ["merge", "Message"]),
    "ruby": (["count", "items", "rest", "key", "opts", "message", "options"], ["merge", "post"]),
    "java": (["buffer", "offset", "names", "name", "index"], ["emit", "fill"]),
    "c": (["dest", "src", "count"], ["memmove"]),
}


def test_go_short_declarations_bind_their_names():
    """``a, b :=`` declares (Go; Python's walrus): those names are the code's own, not surviving names; ``:= =``
    is no declaration. Compiled and reference."""
    from copyguard.evidence import name_mask

    ts = normalize("func f() {\n\tresult, found := lookup(query)\n\tfor index, value := range items {\n"
                   "\t\temit(index, value, found, result)\n\t}\n}\n", "go")
    fast, slow = both(name_mask, ts.tokens)
    same(fast, slow)
    assert {ts.token_text(i) for i in np.flatnonzero(fast)} == {"lookup", "query", "items", "emit"}


@pytest.mark.parametrize("lang", sorted(_PARAMETERS))
def test_parameters_of_each_grammar(lang):
    """The names each grammar writes in its parameter lists, in its own order of name and type (Go: the name
    first, ``a, b int``; named results; a list of types alone binds nothing), compiled and reference."""
    from copyguard.evidence import parameter_classes, parameters, parameters_reference

    ts = normalize(_HEADS[lang], lang)
    t = ts.tokens
    fast = parameters(t.exact, t.kinds)
    same(fast, parameters_reference(parameter_classes(t.exact, t.kinds), t.kinds))
    found = {ts.token_text(i) for i in np.flatnonzero(fast)}
    names, others = _PARAMETERS[lang]
    assert set(names) <= found
    assert not found & set(others)


@pytest.mark.parametrize("lang", sorted(_HEADS))
def test_name_mask_and_parameters_equal_reference(lang):
    """``evidence.name_mask`` and ``parameters`` (compiled: one scan) against their numpy reference, on code of
    each grammar cut at every place (lists left open, closes with no open) and on token soups of the words
    the rules read."""
    from copyguard.evidence import PARAMETER_WORDS, name_mask, parameters
    from copyguard.normalize.tokens import Tokens, hash_string

    text = _HEADS[lang]
    streams = [normalize(text[a:b], lang).tokens for a in range(0, len(text), 7) for b in (a + 40, a + 90, len(text))]
    rng = np.random.default_rng(len(text))
    words = np.array([hash_string(w) for w in PARAMETER_WORDS] + [1, 2, 3], dtype=np.uint64)
    for _ in range(200):
        n = int(rng.integers(0, 40))
        ex = rng.choice(words, n)
        kinds = rng.choice([Kind.OTHER, Kind.OTHER, Kind.IDENT, Kind.KEPT], n).astype(np.uint8)
        starts = np.arange(n, dtype=np.int64) * 6
        streams.append(Tokens(ex, ex, kinds, starts, starts + rng.integers(1, 6, n)))
    found = 0
    for t in streams:
        same(*both(name_mask, t))
        fast, slow = both(parameters, t.exact, t.kinds)
        same(fast, slow)
        found += int(fast.sum())
    assert found > 20  # parameters were found: the comparison is not of empty masks


def test_source_rows_equals_the_reference_loop(tmp_path):
    """``Index.source_rows`` compiled (one call over the pieces) against its Python loop, field by field: ranges
    clamped at both ends (negative, past the source, ``end`` None, ``end`` before ``start``), picked rows as arrays
    and lists (empty too), sources of three segments in any order; an out-of-range ref fails alike."""
    from copyguard.errors import IndexStoreError

    index, _, _ = _two_indexes(tmp_path)
    n_src = sum(e.sources for e in index.manifest.segments)
    assert len(index.manifest.segments) == 3 and n_src > 10
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(40):
        pieces = []
        for ref in rng.integers(0, n_src, int(rng.integers(1, 30))).tolist():
            n = len(index.source_tokens(ref))
            form = int(rng.integers(0, 5))
            if form == 0:
                pieces.append((ref, (0, None)))
            elif form == 1:
                a, b = (int(x) for x in rng.integers(-5, n + 6, 2))
                pieces.append((ref, (a, b)))
            elif form == 2:
                pieces.append((ref, (int(rng.integers(-5, n + 6)), None)))
            elif form == 3:
                pieces.append((ref, np.flatnonzero(rng.random(n) < 0.5)))
            else:
                pieces.append((ref, [int(x) for x in np.flatnonzero(rng.random(n) < 0.2)]))
        fast, slow = both(index.source_rows, pieces)
        assert len(fast.segments) == len(slow.segments)
        for a, b in zip(fast.segments, slow.segments):
            assert a is b
        for a, b in zip(fast.stored, slow.stored):
            assert a is b
        for f in ("seg", "lo", "hi", "rows", "channels"):
            same(getattr(fast, f), getattr(slow, f))
        checked += len(pieces)
    assert checked > 300
    for bad in (n_src, -1):
        with pytest.raises(IndexStoreError, match="out of range"):
            index.source_rows([(0, (0, None)), (bad, (0, None))])
        with compiled.reference(), pytest.raises(IndexStoreError, match="out of range"):
            index.source_rows([(0, (0, None)), (bad, (0, None))])


def _same_matches(fast, slow):
    """The same ``Match`` objects field by field: values, types, float bits and the fields' order."""
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        assert type(a) is type(b) and list(a.__dict__) == list(b.__dict__)
        for f, x in a.__dict__.items():
            y = b.__dict__[f]
            assert type(x) is type(y), f
            if isinstance(x, float):
                assert x.hex() == y.hex(), f
            elif isinstance(x, tuple):
                assert [type(v) for v in x] == [type(v) for v in y] and x == y, f
            else:
                assert x == y, f


def _readers(index, refs, asked):
    """``attribute_batch``'s ``record`` (noting each slice it is asked about in ``asked``) and ``text`` of ``refs``."""

    def record(c):
        asked.append(c)
        return index.source(refs[c])

    return record, lambda c: index.source_text(refs[c])


def test_attribute_batch_equals_the_reference_on_real_rounds(tmp_path):
    """``match.attribute_batch`` compiled (one call for a batch's regions) against its Python loop, on the regions of
    real rounds (``align_weigh_rows`` of ``Index.source_rows``: verbatim, renamed with their rename maps, near), with
    every measure given or none, with ``TokenSlices`` (source spans from the tokens) and an output of uint32
    starts; each source's names asked once."""
    from dataclasses import replace

    from copyguard.evidence import align_weigh_rows
    from copyguard.match import Limits, attribute_batch

    index, _, corpus = _two_indexes(tmp_path)
    parser = (corpus / "tomli" / "_parser.py").read_text()
    renamed = parser[1500:6000].replace("src", "text_in").replace("pos", "at").replace("char", "c1")
    rng = np.random.default_rng(3)
    kinds = set()
    n_src = sum(e.sources for e in index.manifest.segments)
    for lang, piece in (("python", parser[1500:6000]), ("python", renamed), ("prose", parser[:1200] + parser[9000:11000])):
        out = normalize(piece, lang)
        code = out.is_code
        k = index.params.shingle(code)
        out_sh = sketch.stream_shingles(out.tokens, k, code)
        out_exact = sketch.exact_shingles(out.tokens, k) if code else out_sh
        pieces = [(ref, (0, None)) for ref in range(n_src)]
        sources = index.source_rows(pieces)
        common = rng.random(out_sh.shape[0]) < 0.05
        limits = Limits(min_tokens=8, min_distinct_shingles=5, min_similarity=0.3, max_gap=8)
        regions, (boiler, exact, weight, exact_weight, names), source_spans, _ = align_weigh_rows(
            out.tokens, out_sh, out_exact, common, np.ones(out_sh.shape[0], dtype=np.int64), 1.0, sources, k, code,
            limits, reanchor=code)
        assert len(regions) > 0
        kinds |= set(regions.kind.tolist())
        asked: list[int] = []
        record, text = _readers(index, [ref for ref, _ in pieces], asked)

        args = (regions, piece, out.tokens, lang, sources, record, text, lambda c: f"shard{c % 2}")
        for measures in ({}, dict(boilerplate=boiler, exact=exact, weight=weight, exact_weight=exact_weight,
                                  names=names, source_spans=source_spans)):
            if "source_spans" not in measures:
                measures["source_spans"] = source_spans
            asked.clear()
            fast, slow = both(attribute_batch, *args, **measures)
            _same_matches(fast, slow)
            assert sorted(asked) == sorted(list(set(regions.cand.tolist())) * 2)  # once per slice and run
        gathered = sources.gather()
        narrow = replace(out.tokens, starts=out.tokens.starts.astype(np.uint32), ends=out.tokens.ends.astype(np.uint32))
        _same_matches(*both(attribute_batch, regions, piece, narrow, lang, gathered, record, text,
                            boilerplate=boiler, exact=exact))
    assert kinds >= {0, 1}
