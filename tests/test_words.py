"""The words of code (docstrings, comments, long strings) as protected prose, the evidence floor, boilerplate."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from copyguard import Guard, Policy
from copyguard.corpus import Document
from copyguard.index import Index
from copyguard.index.build import index_documents, ingest
from copyguard.index.df import merge_counts, source_counts
from copyguard.normalize.code import normalize_code_words
from copyguard.normalize.detect import code_blocks

# these tests weigh evidence by a tiny index's own counts: an index under Policy.background_below (100) sources
# also reads the shipped background, where their short synthetic code is common structure
OWN = Policy(background_below=0)

ROOT = Path(__file__).resolve().parents[1]
STRUCTS = ROOT / "copyguard" / "samples" / "corpus" / "resolvelib" / "structs.py"

SHORT = '''def clamp(value, low, high):
    """Return value limited to the closed range from low to high, so that callers never see a
    number outside the bounds they asked for, whatever the input was."""
    return max(low, min(value, high))
'''
JS = '''/**
 * Creates an array of elements split into groups the length of `size`.
 * If `array` can't be split evenly, the final chunk will be the remaining
 * elements, in the order in which they appear in the original array.
 *
 * @param {Array} array The array to process.
 * @param {number} [size=1] The length of each chunk
 * @returns {Array} Returns the new array of chunks.
 */
function chunk(array, size) {
  size = Math.max(size, 0);
  const length = array == null ? 0 : array.length;
  if (!length || size < 1) {
    return [];
  }
  let index = 0;
  let resIndex = 0;
  const result = new Array(Math.ceil(length / size));
  while (index < length) {
    result[resIndex++] = array.slice(index, (index += size));
  }
  return result;
}
'''
LICENSE = "".join(f"# {line}\n" for line in (
    "Copyright 2021 The Example Authors.", "",
    'Licensed under the Apache License, Version 2.0 (the "License");',
    "you may not use this file except in compliance with the License.",
    "You may obtain a copy of the License at http://www.apache.org/licenses/LICENSE-2.0"))
HEADER = "".join(f"# {line}\n" for line in (
    "This module is part of the example toolkit, a collection of small helpers that",
    "the scheduler, the exporter and the command line tools share. Each helper takes",
    "plain values and returns new ones; none of them keeps state between calls, so",
    "they are safe to use from several threads at once without any locking at all.",
    "See the toolkit's guide for the conventions every helper in this package follows."))


@pytest.fixture(scope="module")
def guard(tmp_path_factory) -> Guard:
    docs = [Document("structs.py", STRUCTS.read_text(), "python", "BSD-3-Clause", None),
            Document("clamp.py", SHORT, "python", "MIT", None),
            Document("chunk.js", JS, "javascript", "MIT", None)]
    out = tmp_path_factory.mktemp("words") / "idx"
    index_documents(docs, str(out))
    return Guard.open(out)


def _docstring(text: str, min_words: int = 30) -> str:
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node)
            if doc and len(doc.split()) >= min_words:
                return doc
    raise AssertionError("no long docstring")


def test_words_channel_has_comment_and_docstring_words_with_spans_into_the_code():
    text = 'def f(x):\n    """Scale x by the factor we agreed on."""\n    return x * 2  # twice, as in the spec\n'
    code, words = normalize_code_words(text, "python")
    assert [words.token_text(i) for i in range(len(words))] == \
        ["Scale", "x", "by", "the", "factor", "we", "agreed", "on", "twice", "as", "in", "the", "spec"]
    assert words.lang == "prose" and code.lang == "python"
    assert "Scale" not in [code.token_text(i) for i in range(len(code))]  # the docstring is one <STR> in code


def test_license_notices_stay_out_of_the_words_channel():
    _, words = normalize_code_words(LICENSE + "\n# Sort the rows by date.\nx = 1\n", "python")
    assert [words.token_text(i) for i in range(len(words))] == ["Sort", "the", "rows", "by", "date"]


def test_a_docstring_that_ends_on_a_license_keeps_its_words_before_it():
    """A function's docstring whose attributions say "licensed under" is the source's words up to that paragraph
    (pvlib's lookup_altitude: its whole docstring was left out of the index as a notice, so a copy of its first lines
    matched nothing); a module docstring that is a notice, its copyright line included, still gives no words."""
    doc = ('def lookup(lat, lon):\n    """\n    Look up the altitude from a coarse map aggregated by Mapzen.\n\n'
           '    Notes\n    -----\n    * Canada terrain data licensed under the Open Government Licence.\n'
           '    """\n    return lat\n')
    _, words = normalize_code_words(doc, "python")
    assert " ".join(words.token_text(i) for i in range(len(words))) == \
        "Look up the altitude from a coarse map aggregated by Mapzen"
    module = '"""' + LICENSE.replace("# ", "") + '"""\n\nx = 1\n'
    _, words = normalize_code_words(module, "python")
    assert len(words) == 0


def test_short_strings_stay_out_of_the_words_channel():
    _, words = normalize_code_words('d = {"key": 1}\nmsg = "could not open the file"\n', "python")
    assert [words.token_text(i) for i in range(len(words))] == ["could", "not", "open", "the", "file"]


def test_a_docstring_quoted_as_prose_names_its_code_source(guard):
    text = STRUCTS.read_text()
    doc = _docstring(text)
    answer = f"The class is documented like this:\n\n{doc}\n\nThat is all there is to it."
    v = guard.check(answer)
    assert v.flagged and {m.source for m in v.matches} == {"structs.py"}
    m = v.matches[0]
    first_word = doc.split()[0]
    assert text[m.source_span[0]:].startswith(first_word)  # the span points into the docstring of the file


def test_a_copy_cut_inside_its_docstring_is_found(guard):
    lines = STRUCTS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("class _FactoryIterableView"))
    cut = "\n".join(lines[start : start + 7])  # the class line and the first lines of its docstring
    v = guard.check(f"```python\n{cut}\n```\n")
    assert [m.source for m in v.matches] == ["structs.py"]


def test_a_short_documented_function_is_one_match_over_code_and_docstring(guard):
    v = guard.check(f"Here:\n\n```python\n{SHORT}```\n")
    assert [m.source for m in v.matches] == ["clamp.py"]
    m = v.matches[0]
    assert m.lang == "python" and m.kind == "verbatim"
    start = v.matches[0].output_span[0]
    assert f"Here:\n\n```python\n{SHORT}"[start:].startswith("def clamp")  # the code and its docstring, once


def test_a_short_function_without_its_docstring_and_renamed_is_not_enough(guard):
    v = guard.check("```python\ndef bound(x, lo, hi):\n    return max(lo, min(x, hi))\n```\n")
    assert not v.flagged


def test_jsdoc_and_function_are_reported_once(guard):
    v = guard.check(f"```js\n{JS}```\n")
    assert len(v.matches) == 1 and v.matches[0].source == "chunk.js"
    assert f"```js\n{JS}"[v.matches[0].output_span[0]:].startswith("Creates an array")  # from the doc comment on


def test_unfenced_file_starting_with_a_docstring_is_code():
    text = ('"""Helpers for ranges.\n\nThese functions are used by the scheduler to keep values in bounds.\n"""\n'
            "import math\n\n\ndef clamp(v, lo, hi):\n    return max(lo, min(v, hi))\n")
    blocks = code_blocks("Here it is:\n\n" + text + "\nEnjoy, and tell me if you need more help with it.")
    assert [lang for _, _, lang in blocks] == ["python"]
    s, _, _ = blocks[0]
    assert ("Here it is:\n\n" + text)[s:].startswith('"""Helpers')


RATIO = '''def ratio(part, whole, default=0.0):
    """Share of whole."""
    return round(part / whole, 4) if whole else default
'''
MINE = '''import csv


def load_rows(path):
    with open(path, newline="") as handle:
        return [row for row in csv.DictReader(handle) if row.get("amount")]


def report(rows):
    paid = sum(float(r["amount"]) for r in rows if r["status"] == "paid")
    due = sum(float(r["amount"]) for r in rows)
    return f"{ratio(paid, due):.1%} of the invoices are paid"
'''


def _helper(i: int) -> str:
    """One function, a different name for everything in each file: its normalized shingles are shared, not its text."""
    return (f"def helper_{i}(values_{i}, scale_{i}, offset_{i}):\n    total_{i} = 0\n    for item_{i} in values_{i}:\n"
            f"        total_{i} = total_{i} + item_{i} * scale_{i} + offset_{i}\n    return total_{i} / len(values_{i})\n")


def _lonely(i: int) -> str:
    return (f"def above_{i}(rows_{i}, key_{i}, limit_{i}):\n    kept_{i} = []\n    for row_{i} in rows_{i}:\n"
            f"        if row_{i}[key_{i}] > limit_{i}:\n            kept_{i}.append(row_{i}[key_{i}] - limit_{i})\n"
            f"    return sorted(kept_{i})\n")


@pytest.fixture(scope="module")
def weighed(tmp_path_factory) -> Path:
    docs = [Document("ratio.py", RATIO + "\n\n" + SHORT, "python", "MIT", None)]
    docs += [Document(f"h{i}.py", _helper(i), "python", "MIT", None) for i in range(6)]
    docs += [Document("lonely.py", _lonely(7), "python", "MIT", None)]
    out = tmp_path_factory.mktemp("weighed") / "idx"
    index_documents(docs, str(out))
    return out


def test_a_short_function_copied_as_a_whole_block_is_reported_below_the_floors(weighed):
    answer = f"```python\n{RATIO}```\n"  # 26 code tokens, 2 words: under min_tokens_code, over min_tokens_block
    assert [m.source for m in Guard.open(weighed).check(answer).matches] == ["ratio.py"]
    no_blocks = Policy(min_tokens_block=10_000, min_words_block=10_000)
    assert not Guard.open(weighed, no_blocks).check(answer).flagged  # the floors alone do not reach it


def test_the_same_short_function_inside_code_of_ones_own_is_not_a_whole_copy(weighed):
    answer = f"```python\n{MINE}\n{RATIO}\n\nprint(report(load_rows('data.csv')))\n```\n"
    assert not Guard.open(weighed).check(answer).flagged  # a fifth of the block: not a copy of a whole block
    assert Guard.open(weighed, Policy(block_share=0.2)).check(answer).flagged  # found, and the share decides


def test_a_short_function_renamed_is_no_whole_block_copy(weighed):
    renamed = RATIO.replace("part", "piece").replace("whole", "total").replace("default", "fallback")
    assert not Guard.open(weighed).check(f"```python\n{renamed}```\n").flagged  # exact tokens count, not structure


UNITS = '''def parse_units(
    self,
    input_string: str,
    as_delta: bool | None = None,
    case_sensitive: bool | None = None,
) -> UnitT:
    """Parse a units expression and return a container with the canonical names.

    The expression can only hold products, ratios and powers of units.
    """
    return self._parse_units_as_container(input_string, as_delta, case_sensitive)
'''


def test_a_typed_signature_like_a_sources_over_a_docstring_of_its_own_is_no_whole_block_copy(tmp_path):
    """xarray's ``first`` against pint's ``parse_units``: the code region holds the docstring's one ``<STR>`` token, so
    it spanned words it never compared, and the block looked copied through and through."""
    index_documents([Document("units.py", UNITS, "python", "MIT", None)], str(tmp_path / "idx"))
    mine = ('def first(\n    self, skipna: bool | None = None, keep_attrs: bool | None = None\n) -> T_Xarray:\n'
            '    """Return the first element of each group along the group dimension,\n'
            '    skipping missing values when asked, and keeping the attributes if told to.\n    """\n'
            '    return self._first_or_last("first", skipna, keep_attrs)\n')
    g = Guard.open(tmp_path / "idx")
    v = g.check(f"```python\n{mine}```\n")
    assert not v.flagged
    assert g.check(f"```python\n{UNITS}```\n").flagged  # the copy is
    assert Guard.open(tmp_path / "idx", Policy(block_share=0.3)).check(f"```python\n{mine}```\n").flagged  # aligned


TRIMMED = "def trimmed_mean(samples, cut):\n    ordered = sorted(samples)[cut:-cut]\n    return sum(ordered) / len(ordered)\n"


def test_a_renamed_function_of_rare_structure_copied_as_a_whole_block_is_reported(tmp_path):
    """30 tokens, every name changed (a minifier's copy): under the floors, over ``min_renamed_block`` as a whole block."""
    index_documents([Document("stats.py", TRIMMED, "python", "MIT", None)], str(tmp_path / "idx"))
    renamed = TRIMMED.replace("trimmed_mean", "A").replace("samples", "B").replace("cut", "C").replace("ordered", "D")
    answer = f"```python\n{renamed}```\n"
    v = Guard.open(tmp_path / "idx").check(answer)
    assert [m.source for m in v.matches] == ["stats.py"] and v.matches[0].exact == 0
    assert Policy().min_renamed_block <= v.matches[0].weight < Policy().min_tokens_code  # the floors alone: not enough
    assert not Guard.open(tmp_path / "idx", Policy(min_renamed_block=0)).check(answer).flagged
    inside = f"```python\n{MINE}\n{renamed}\nprint(report(load_rows('data.csv')))\n```\n"
    assert not Guard.open(tmp_path / "idx").check(inside).flagged  # a part of one's own code: no whole-block copy


WORDS = ("Alpha", "Bravo", "Delta", "Gamma", "Kilo", "Lima")


def _wrapper(word: str, names: tuple[str, ...] = ("object", "paths", "guard")) -> str:
    a, b, c = names
    return (f"function pick{word}({a}, {b}, {c}) {{\n"
            f"  return basePick{word}({a}, hasPath{word}, {b}, castPath{word}, {c});\n}}\n")


def test_a_minified_wrapper_that_kept_the_free_names_of_its_source_is_a_whole_block_copy(tmp_path):
    """terser renames a one-statement wrapper's parameters and its own name, never the module functions it calls:
    six sources hold its structure, so the rarity weights leave the renamed tokens little; the three names it kept
    at their places (``Match.names``) make the block a copy. The same structure calling other names is not one."""
    docs = [Document(f"pick{w}.js", _wrapper(w), "javascript", "MIT", None) for w in WORDS]
    index_documents(docs, str(tmp_path / "idx"))
    minified = _wrapper("Kilo", ("e", "t", "r")).replace("function pickKilo", "function n")
    v = Guard.open(tmp_path / "idx", Policy(rare_name_weight=0, background_below=0)).check(f"```javascript\n{minified}```\n")
    assert [m.source for m in v.matches] == ["pickKilo.js"] and v.matches[0].names == 3 and v.matches[0].exact == 0
    assert not Guard.open(tmp_path / "idx", Policy(min_names_block=0)).check(f"```javascript\n{minified}```\n").flagged
    other = minified.replace("Kilo", "Papa")  # an independent wrapper of the same form: its own names
    assert not Guard.open(tmp_path / "idx").check(f"```javascript\n{other}```\n").flagged


def _rotator(word: str, names: tuple[str, ...] = ("points", "angle", "origin")) -> str:
    a, b, c = names
    return (f"var rotate{word} = function ({a}, {b}, {c}) {{\n"
            f"  return RotateAround{word}({a}, {c}.x, {c}.y, {b});\n}};\n")


def test_a_minified_wrapper_that_kept_one_rare_name_is_a_whole_block_copy(tmp_path):
    """A one-statement wrapper whose only free name is a module function of its own (phaser's
    ``RotateAroundXY``): six sources hold its structure, so only the kept name says which was copied. A name
    one source's code holds counts ``rare_name_weight`` names (``Index.name_counts``); the same copy, when
    twenty other sources call that name too, is no copy by that name alone."""
    weight = Policy().rare_name_weight
    assert weight >= Policy().min_names_block > 1
    docs = [Document(f"rotate{w}.js", _rotator(w), "javascript", "MIT", None) for w in WORDS]
    index_documents(docs, str(tmp_path / "idx"))
    minified = _rotator("Kilo", ("e", "t", "r")).replace("var rotateKilo", "var n")
    answer = f"```javascript\n{minified}```\n"
    v = Guard.open(tmp_path / "idx").check(answer)
    assert [m.source for m in v.matches] == ["rotateKilo.js"] and v.matches[0].names == weight
    assert not Guard.open(tmp_path / "idx", Policy(rare_name_weight=0)).check(answer).flagged  # one name: 1/3
    callers = [Document(f"use{i}.js", f"function use{i}(p) {{\n  const q = RotateAroundKilo(p, 1, 2, 3);\n"
                                      f"  return q * {i} + other{i}(q, p);\n}}\n", "javascript", "MIT", None)
               for i in range(20)]
    index_documents(docs + callers, str(tmp_path / "many"))
    assert not Guard.open(tmp_path / "many").check(answer).flagged


PROPS = ("alpha", "depth", "angle", "scale", "width", "height", "tint", "blend", "mask", "frame", "speed", "visible")


def _setter(prop: str, names: tuple[str, ...] = ("items", "value", "step")) -> str:
    a, b, c = names
    return (f"var Set{prop.title()} = function ({a}, {b}, {c}) {{\n"
            f"  return PropertyValueSet({a}, '{prop}', {b}, {c});\n}};\n")


def test_a_minified_setter_that_kept_one_rare_string_is_a_whole_block_copy(tmp_path):
    """phaser's actions: a dozen setters call ``PropertyValueSet`` (a name that many sources hold counts 1), only
    the property string differs. A minifier keeps the string (prettier changes its quotes): a literal one source
    holds counts like a rare name; the same copy, when twenty other sources hold that string, is no copy by it."""
    docs = [Document(f"Set{p.title()}.js", _setter(p), "javascript", "MIT", None) for p in PROPS]
    index_documents(docs, str(tmp_path / "idx"))
    minified = _setter("alpha", ("r", "a", "e")).replace("var SetAlpha", "var n").replace("'alpha'", '"alpha"')
    answer = f"```javascript\n{minified}```\n"
    v = Guard.open(tmp_path / "idx").check(answer)
    assert [m.source for m in v.matches] == ["SetAlpha.js"]
    assert not Guard.open(tmp_path / "idx", Policy(rare_name_weight=0)).check(answer).flagged
    others = [Document(f"fade{i}.js", f"function fade{i}(o) {{\n  o.tween('alpha', {i}, other{i}(o));\n  return o;\n}}\n",
                       "javascript", "MIT", None) for i in range(20)]
    index_documents(docs + others, str(tmp_path / "many"))
    assert not Guard.open(tmp_path / "many").check(answer).flagged


TIMERS = ("clearGcTimeout", "cancelRetry", "flushQueue", "resetTimers", "dropListeners", "closeStreams",
          "abortFetches", "releaseLocks", "stopPolling", "unsubscribeAll", "clearCaches", "detachObservers")


def _member(call: str) -> str:
    return (f"export class Owner{call[0].upper()}{call[1:]} {{\n  destroy() {{\n    this.{call}()\n  }}\n\n"
            f"  {call}() {{\n    clearTimeout(this.#timer)\n  }}\n}}\n")


def test_a_minified_method_that_kept_one_rare_method_name_is_a_whole_block_copy(tmp_path):
    """tanstack's ``destroy() { this.clearGcTimeout() }``: a minifier renames no method, so a one-statement member is
    copied exact, under the whole-block floor of 14 exact tokens; the one method it calls, that one indexed source
    declares, says which source it is (``kept_weights``). Not when twenty other classes declare that method and call
    it in their ``destroy`` too, nor with ``rare_name_weight`` 0."""
    docs = [Document(f"{c}.ts", _member(c), "typescript", "MIT", None) for c in TIMERS]
    index_documents(docs, str(tmp_path / "idx"))
    answer = "```javascript\ndestroy() {\n  this.clearGcTimeout();\n}\n```\n"
    v = Guard.open(tmp_path / "idx").check(answer)
    assert [m.source for m in v.matches] == ["clearGcTimeout.ts"]
    assert v.matches[0].names >= 3
    assert not Guard.open(tmp_path / "idx", Policy(rare_name_weight=0)).check(answer).flagged
    others = [Document(f"gc{i}.js", f"class Gc{i} {{\n  destroy() {{\n    this.clearGcTimeout();\n    this.stop{i}();\n  }}\n\n"
                                    f"  clearGcTimeout() {{\n    clearTimeout(this.t{i});\n  }}\n}}\n",
                       "javascript", "MIT", None) for i in range(20)]
    index_documents(docs + others, str(tmp_path / "many"))
    assert not Guard.open(tmp_path / "many").check(answer).flagged


def test_the_count_table_counts_the_sources_naming_each_identifier_under_add_remove_and_compact(tmp_path):
    """``Index.name_counts``: how many live sources' code holds a name, kept exact without a rebuild (an added
    segment, a removal, a compaction), like the shingles' counts; a name only in a docstring is not code's."""
    from copyguard.normalize.tokens import hash_string

    docs = [Document(f"pick{w}.js", _wrapper(w), "javascript", "MIT", None) for w in WORDS]
    docs.append(Document("doc.py", 'def f(x):\n    """basePickKilo is a word here."""\n    return x\n', "python",
                         "MIT", None))
    out = tmp_path / "idx"
    index_documents(docs[:4], str(out))
    names = ["basePickKilo", "hasPathAlpha", "object", "paths", "nowhere"]

    def counts() -> list[int]:
        return Index.open(out).name_counts(np.array([hash_string(n) for n in names], np.uint64)).tolist()

    assert counts() == [0, 1, 4, 4, 0]
    with Index.open(out).transaction() as txn:
        ingest(txn, docs[4:])
    assert counts() == [1, 1, 6, 6, 0]  # the added segment's sources counted: Kilo's wrapper, not the docstring
    Index.open(out).remove(["pickAlpha.js", "pickKilo.js"])
    assert counts() == [0, 0, 4, 4, 0]
    Index.open(out).compact()
    assert counts() == [0, 0, 4, 4, 0]


def test_structure_many_sources_hold_weighs_little_and_is_reported_as_discounted(weighed):
    answer = f"```python\n{_helper(99)}```\n"  # renamed: only normalized shingles, each held by the six h*.py
    v = Guard.open(weighed, OWN).check(answer)
    assert not v.flagged and set(v.discounted) == {f"h{i}.py" for i in range(6)}
    flat = Guard.open(weighed, Policy(rarity=0, background_below=0)).check(answer)  # every token weighs 1: the look-alike is a copy
    assert {m.source for m in flat.matches} == {f"h{i}.py" for i in range(6)}


def test_structure_one_source_holds_counts_in_full(weighed):
    v = Guard.open(weighed, OWN).check(f"```python\n{_lonely(98)}```\n")  # renamed as well, held by lonely.py alone
    assert [m.source for m in v.matches] == ["lonely.py"] and v.matches[0].kind == "renamed"
    m = v.matches[0]
    assert m.weight is not None and Policy().min_tokens_code <= m.weight <= m.tokens  # its rare shingles weigh 1 each


# --- boilerplate ---------------------------------------------------------------------


def test_source_counts_add_up_and_subtract():
    a = source_counts([np.array([1, 2], np.uint64), np.array([2, 3], np.uint64)])
    b = source_counts([np.array([2], np.uint64)])
    keys, counts = merge_counts([a, b, b], [1, 1, -1])
    assert dict(zip(keys.tolist(), counts.tolist())) == {1: 1, 2: 2, 3: 1}


def _header_corpus(n: int) -> list[Document]:
    return [Document(f"m{i}.py", HEADER + f"\n\ndef helper_{i}(values, scale):\n    return [v * scale + {i} for v in values]\n",
                     "python", "Apache-2.0", None) for i in range(n)]


def test_a_comment_block_held_by_many_sources_is_discounted_and_takedowns_count(tmp_path):
    out = tmp_path / "idx"
    index_documents(_header_corpus(12), str(out))
    answer = "```python\n" + HEADER + "\n\ndef mine(items):\n    return sorted(items)\n```\n"
    v = Guard.open(out).check(answer)
    assert not v.flagged and v.boilerplate > 0 and v.discounted  # the report says what was discounted
    loose = Guard.open(out, Policy(max_shingle_sources=0)).check(answer)
    assert loose.flagged  # without the cap, the header alone is a copy
    index = Index.open(out)
    index.remove([f"m{i}.py" for i in range(4)])  # 8 left: no longer above the cap of 10
    assert Guard.open(out).check(answer).flagged
    index.compact()
    assert Guard.open(out).check(answer).flagged
    with Index.open(out).transaction() as txn:
        ingest(txn, [Document(f"n{i}.py", d.text, "python", None, None) for i, d in enumerate(_header_corpus(4))])
    assert not Guard.open(out).check(answer).flagged  # 12 again after the add


def test_the_cap_grows_with_a_large_index_when_a_share_is_set(tmp_path):
    out = tmp_path / "idx"
    index_documents(_header_corpus(12), str(out))  # the header is held by all 12 sources
    answer = "```python\n" + HEADER + "\n\ndef mine(items):\n    return sorted(items)\n```\n"
    assert not Guard.open(out, Policy(max_shingle_sources=10)).check(answer).flagged
    assert not Guard.open(out, Policy(max_shingle_sources=10, max_shingle_share=0.5)).check(answer).flagged
    assert Guard.open(out, Policy(max_shingle_sources=10, max_shingle_share=1.0)).check(answer).flagged  # 12 <= 12


def test_house_style_held_by_a_few_percent_of_a_large_index_still_counts(tmp_path):
    """A comment block 16 of 300 sources hold (5.3%) is one library's house style, not boilerplate: by default
    the cap in a large index is 6% of its sources (18 here), and the copy is found; at 5% (15) it was discounted."""
    out = tmp_path / "idx"
    others = [Document(f"o{i}.txt", f"Note {i}: the {i}th entry of the ledger lists item {i * 7} of batch {i * 13}.",
                       "text", "MIT", None) for i in range(284)]
    index_documents([*_header_corpus(16), *others], str(out))
    answer = "```python\n" + HEADER + "\n\ndef mine(items):\n    return sorted(items)\n```\n"
    assert Guard.open(out).check(answer).flagged
    assert not Guard.open(out, Policy(max_shingle_share=0.05)).check(answer).flagged


UNTAGGED_JAVA = '''/**
 * Set the current log level.
 *
 * @param logLevel
 */
public static void setLogLevel(int logLevel) {
    LOGLEVEL = logLevel;
    Log.i(TAG, "Changing log level to " + logLevel);
}
'''


def test_an_untagged_java_method_with_its_javadoc_is_java_not_c():
    from copyguard.normalize.detect import detect_language

    assert detect_language(UNTAGGED_JAVA) == "java"
    text = "Sure:\n\n```\n" + UNTAGGED_JAVA + "```\n"
    from copyguard.normalize.markdown import blocks

    assert [b.lang for b in blocks(text) if b.kind == "code"] == ["java"]


def test_an_output_stream_shorter_than_the_index_minimum_is_still_looked_up():
    from copyguard.candidates import sketch_query
    from copyguard.normalize import normalize
    from copyguard.params import Params

    ts = normalize("def f(a, b):\n    return a * b + 1\n", "python")
    assert 12 <= len(ts) < Params().min_tokens_code
    assert sketch_query(ts, Params()).keys.shape[0] >= 1


def test_a_copy_that_starts_inside_a_docstring_is_code_after_it():
    text = ('    of the values, so callers never see a number outside the bounds.\n    """\n'
            '    if low > high:\n        raise ValueError("low must not exceed high")\n'
            '    return max(low, min(value, high))\n\n\ndef spread(values):\n'
            '    """Difference between the largest and the smallest value."""\n    return max(values) - min(values)\n')
    code, words = normalize_code_words(text, "python")
    assert [code.token_text(i) for i in range(1, 4)] == ["if", "low", ">"]  # the docstring's end is one string
    assert code.token_text(0).endswith('"""') and code.starts[0] == 0
    assert "raise" not in [words.token_text(i) for i in range(len(words))]
    java = " * @param size the number of elements\n */\npublic List<T> take(int size) {\n    return items.subList(0, size);\n}\n"
    code, words = normalize_code_words(java, "java")
    assert code.token_text(0) == "public" and [words.token_text(i) for i in range(3)] == ["param", "size", "the"]


def test_a_slice_of_a_file_that_starts_inside_a_docstring_is_found(guard):
    lines = STRUCTS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == '"""A graph structure with directed edges."""')
    opened = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith('"""') and
                  not lines[i].strip().endswith('"""', 3))
    cut = "\n".join(lines[opened + 1 : opened + 40])  # from inside a docstring on
    assert cut.count('"""') % 2 == 1
    v = guard.check(f"```python\n{cut}\n```\n")
    assert "structs.py" in {m.source for m in v.matches if m.lang == "python"}


def test_a_file_cut_inside_a_docstring_is_not_read_as_starting_inside_one():
    # the first lines of networkx's planarity.py, cut inside is_planar's docstring (a raw file of 100 lines,
    # `copyguard check planarity.py`): its odd triple quotes were taken for a docstring's end, and the
    # imports and the signature before them lexed as one string
    text = ('from collections import defaultdict\nfrom copy import deepcopy\n\nimport networkx as nx\n\n'
            '__all__ = ["check_planarity", "is_planar", "PlanarEmbedding"]\n\n\n@nx._dispatchable\ndef is_planar(G):\n'
            '    """Returns True if and only if `G` is planar.\n\n'
            '    A graph is *planar* iff it can be drawn in a plane without\n    any edge intersections.\n')
    code, words = normalize_code_words(text, "python")
    tokens = [code.token_text(i) for i in range(len(code))]
    assert tokens[:3] == ["__all__", "=", "["] and "def" in tokens and "_dispatchable" in tokens
    # (``import networkx as nx``: an import of another package than the standard library's is words too)
    assert [words.token_text(i) for i in range(8)] == ["import", "networkx", "as", "nx", "Returns", "True", "if", "and"]


def test_a_method_pasted_without_its_class_normalizes_as_in_its_class():
    # semver's Comparator (ISC): pasted alone, `toString () {` parsed as a call, the method's name hashed as a
    # placeholder where its class keeps it; the copy of a short method lost a third of its shingles
    from copyguard.normalize.code import normalize_code

    method = ("/**\n * The comparator as a string.\n */\ntoString () {\n  return this.value\n}\n\n"
              "test (version) {\n  debug('Comparator.test', version, this.options.loose)\n\n"
              "  if (this.semver === ANY || version === ANY) {\n    return true\n  }\n"
              "  return cmp(version, this.operator, this.semver, this.options)\n}")
    source = "class Comparator {\n" + method + "\n}\n"
    whole, alone = normalize_code(source, "javascript"), normalize_code(method, "javascript")
    inside = (whole.starts >= len("class Comparator {\n")) & (whole.ends <= len(source) - 3)
    assert alone.hashes.tolist() == whole.hashes[inside].tolist()
    assert alone.token_text(0) == "toString" and alone.starts[0] == method.index("toString")
    for ts_method in ("private clamp(value: number, low: number): number {\n  return Math.max(low, value);\n}",):
        ts_alone = normalize_code(ts_method, "typescript")
        ts_whole = normalize_code("class A {\n" + ts_method + "\n}", "typescript")
        assert ts_alone.hashes.tolist() == ts_whole.hashes[3:-1].tolist()

# --- held shingles: sources an answer too short for the bands points at ---------------------------------


LONG_DOC = '''def settle(ledger, payments, tolerance=0.01):
    """Match every payment of the ledger's open invoices against the bank statement lines.

    Invoices are visited oldest first; a payment settles the first invoice whose remaining amount
    it covers within the tolerance, and a partial payment lowers the remaining amount instead of
    closing it. Payments that match no invoice are kept apart, so that the accountant can book
    them by hand, and overpayments become credit notes for the same customer. The ledger is not
    changed in place: a new one is returned together with the list of unmatched payments and the
    credit notes, each in the order of the statement, which the monthly report prints as they are.
    """
    remaining = {inv.number: inv.amount for inv in ledger.open_invoices()}
    unmatched, credits = [], []
    for pay in payments:
        for number, amount in sorted(remaining.items()):
            if pay.amount <= amount + tolerance:
                remaining[number] = max(amount - pay.amount, 0.0)
                break
        else:
            unmatched.append(pay)
    return ledger.with_remaining(remaining), unmatched, credits
'''


@pytest.fixture(scope="module")
def held_index(tmp_path_factory) -> Path:
    docs = [Document("settle.py", LONG_DOC, "python", "MIT", None), Document("structs.py", STRUCTS.read_text(), "python",
                                                                             "BSD-3-Clause", None)]
    out = tmp_path_factory.mktemp("held") / "idx"
    index_documents(docs, str(out))
    return out


def test_the_first_lines_of_a_long_docstring_are_found_through_held_shingles(held_index):
    first = "\n".join(LONG_DOC.splitlines()[:2]) + '\n    ..."""\n'  # the signature and one line of its docstring
    answer = f"```python\n{first}```\n"
    assert [m.source for m in Guard.open(held_index).check(answer).matches] == ["settle.py"]
    assert not Guard.open(held_index, Policy(min_held_shingles=0)).check(answer).flagged  # no band meets 14 words


def test_a_source_only_held_shingles_found_is_reported_only_as_a_whole_block():
    from copyguard.evidence import Blocks, Floors, reported
    from copyguard.match import Match, MatchKind

    text = "x" * 100 + "\n\n" + "y" * 300
    words = Match("a.py", "MIT", MatchKind.VERBATIM, 1.0, (0, 100), (0, 100), "prose", 30, exact=30)
    blocks = Blocks(text, [(0, 100), (102, 402)])
    assert reported([words], Floors(), blocks) == [words]  # 30 words: over the floor of 24
    assert reported([words], Floors(), blocks, block_only=True) == [words]  # and the whole first paragraph
    inside = Blocks(text, [(0, 402)])
    assert reported([words], Floors(), inside) == [words]
    assert reported([words], Floors(), inside, block_only=True) == []  # a quarter of the block: not a whole copy


def _shingles(text: str, lang: str) -> np.ndarray:
    from copyguard.params import Params
    from copyguard.sketch import stream_shingles

    code, _ = normalize_code_words(text, lang)
    return np.unique(stream_shingles(code.tokens, Params().shingle_code, True))


def _holders(path: Path, shingles: np.ndarray, width: int | None = None) -> dict[int, set[str]]:
    """Per shingle at most ``HOLDERS`` (or ``width``) live sources hold (the ones the candidate stage asks about),
    the sources named."""
    from copyguard.index.df import HOLDERS

    index = Index.open(path)
    at, refs = index.held_by(shingles)
    rare = index.source_counts(shingles) <= (width or HOLDERS)
    out: dict[int, set[str]] = {}
    for i, ref in zip(at.tolist(), refs.tolist()):
        if rare[i]:
            out.setdefault(int(shingles[i]), set()).add(index.source(ref).source_id)
    return out


def _expected(docs: list[Document], shingles: np.ndarray, width: int | None = None) -> dict[int, set[str]]:
    """Per shingle, the documents holding it, where one to ``HOLDERS`` (or ``width``) do (what the holders table
    must say)."""
    from copyguard.index.df import HOLDERS

    sets = {d.id: set(_shingles(d.text, "python").tolist()) for d in docs}
    out = {}
    for v in shingles.tolist():
        held = {name for name, values in sets.items() if v in values}
        if 1 <= len(held) <= (width or HOLDERS):
            out[v] = held
    return out


def test_held_shingles_name_their_sources_through_add_remove_and_compact(tmp_path):
    from copyguard.index.df import HOLDERS

    body = _lonely(1)
    a, b = Document("a.py", _helper(1), "python", "MIT", None), Document("b.py", body, "python", "MIT", None)
    copies = [Document(f"c{i}.py", body, "python", "MIT", None) for i in range(HOLDERS)]
    out = tmp_path / "idx"
    index_documents([a, b], str(out))
    sh = np.unique(np.concatenate([_shingles(body, "python"), _shingles(a.text, "python")]))
    assert _holders(out, sh) == _expected([a, b], sh) and any(v == {"b.py"} for v in _holders(out, sh).values())
    with Index.open(out).transaction() as txn:
        ingest(txn, copies)
    assert _holders(out, sh) == _expected([a, b, *copies], sh)  # HOLDERS + 1 sources hold the body's own: none named
    assert not any(len(v) > 1 for v in _holders(out, sh).values())
    Index.open(out).remove([copies[-1].id])
    assert _holders(out, sh) == _expected([a, b, *copies[:-1]], sh)  # HOLDERS: named, from both segments
    Index.open(out).remove(["b.py"])
    assert _holders(out, sh) == _expected([a, *copies[:-1]], sh)
    Index.open(out).compact()
    named = {d.id for d in copies[:-1]}
    assert _holders(out, sh) == _expected([a, *copies[:-1]], sh) and any(v == named for v in _holders(out, sh).values())


def test_held_names_name_their_sources_through_add_remove_and_compact(tmp_path):
    """The holders table names the sources whose code holds a rare name (``df.name_key``) or declares a rare
    member (``df.declared_key``), as it does for shingles: through ``add``, ``remove`` (a takedown) and ``compact``."""
    from copyguard.index.df import HOLDERS, declared_key, name_key
    from copyguard.normalize.tokens import hash_string

    def named(path: Path, keys: np.ndarray) -> list[set[str]]:
        index = Index.open(path)
        at, refs = index.held_by(keys)
        rare = index.source_counts(keys) <= HOLDERS
        out: list[set[str]] = [set() for _ in keys]
        for i, ref in zip(at.tolist(), refs.tolist()):
            if rare[i]:
                out[i].add(index.source(ref).source_id)
        return out

    method = "class Store:\n    def getQueryCache(self):\n        return self._cache\n"
    ts = "class Store {\n  getQueryCache() {\n    return this.#queryCache;\n  }\n}\n"
    docs = [Document("a.py", _lonely(1), "python", "MIT", None), Document("s.ts", ts, "typescript", "MIT", None)]
    docs += [Document(f"c{i}.py", _lonely(1) + method, "python", "MIT", None) for i in range(HOLDERS)]
    keys = np.sort(np.concatenate([name_key(np.array([hash_string("above_1")], np.uint64)),
                                   declared_key(np.array([hash_string("getQueryCache")], np.uint64))]))
    above, get = (0, 1) if keys[0] == name_key(np.array([hash_string("above_1")], np.uint64))[0] else (1, 0)
    out = tmp_path / "idx"
    index_documents(docs[:2], str(out))
    assert named(out, keys)[above] == {"a.py"} and named(out, keys)[get] == {"s.ts"}
    with Index.open(out).transaction() as txn:
        ingest(txn, docs[2:])
    # HOLDERS + 1 sources hold above_1: none named; the Python method is no declared member (``df.declared``)
    assert named(out, keys)[above] == set() and named(out, keys)[get] == {"s.ts"}
    Index.open(out).remove(["c0.py"])
    assert named(out, keys)[above] == {"a.py", "c1.py", "c2.py", "c3.py"}  # HOLDERS: named, from both segments
    Index.open(out).remove(["s.ts"])
    assert named(out, keys)[get] == set()
    Index.open(out).compact()
    assert named(out, keys)[above] == {"a.py", "c1.py", "c2.py", "c3.py"} and named(out, keys)[get] == set()


_DISPATCH = '''class Dispatcher:
    """Dispatch a call to the backend that can run it."""

    def __init__(self, name):
        self.name = name

    def _convert_and_call(
        self,
        backend_name,
        input_backend_names,
        args,
        kwargs,
        *,
        extra_message=None,
        mutations=None,
    ):
        """Convert the graphs to the backend, then call it."""
        backend = _load_backend(backend_name)
        converted = self._convert_arguments(backend_name, args, kwargs, use_cache=True, mutations=mutations)
        result = getattr(backend, self.name)(*converted[0], **converted[1])
        if extra_message is not None:
            result = _annotate(result, extra_message)
        return self._convert_result(result, input_backend_names)
'''


def _same_shape(i: int) -> str:
    """A method of ``_DISPATCH``'s signature shape, every name its own: its shingles are the signature's."""
    return (f"class Other{i}:\n    def other_{i}(\n        self,\n        alpha_{i},\n        beta_{i},\n        args,\n"
            f"        kwargs,\n        *,\n        gamma_{i}=None,\n        delta_{i}=None,\n    ):\n"
            f'        """Other {i}."""\n        return run_{i}(alpha_{i}, beta_{i}, args, kwargs, gamma_{i}, delta_{i})\n')


def test_the_first_lines_of_a_function_are_found_by_its_rare_names(tmp_path):
    """A copy of a signature alone (truncated after ten lines): its shingles are the shape of five other sources'
    signatures (more than ``HOLDERS``: not held, never rare), so neither the bands nor the held shingles propose
    its source. The source that declares its function's name and parameters (``df.own_key``, 1 to ``HOLDERS``
    sources) is proposed by them (``min_held_names``) and the copy is a whole block of it."""
    from copyguard.index.df import HOLDERS

    docs = [Document("backends.py", _DISPATCH, "python", "MIT", None)]
    docs += [Document(f"o{i}.py", _same_shape(i), "python", "MIT", None) for i in range(HOLDERS + 1)]
    docs += [Document(f"h{i}.py", _helper(i), "python", "MIT", None) for i in range(30)]
    out = tmp_path / "idx"
    index_documents(docs, str(out))
    head = "\n".join(_DISPATCH.splitlines()[6:16])
    answer = f"Here you go:\n\n```python\n{textwrap.dedent(head)}\n```\n"
    found = Guard.open(out, OWN).check(answer)
    assert [m.source for m in found.matches] == ["backends.py"] and found.matches[0].tokens >= 20
    assert not Guard.open(out, Policy(min_held_names=0)).check(answer).matches
    # a longer stream holds a window for the bands: its names propose nothing (an answer of one window and more)
    long = f"Here you go:\n\n```python\n{textwrap.dedent(head)}\n{_lonely(3) * 3}```\n"
    from copyguard.candidates import named_candidates, sketch_query

    index = Index.open(out)
    ts = Guard.open(out)._read(long, None)[0]
    queries = [sketch_query(t, index.params) for t in ts]
    assert all(len(q.stream.tokens) > 64 for q in queries if q.code)
    assert not any(named_candidates([index], queries, 1, 4))
    short = [sketch_query(t, index.params) for t in Guard.open(out)._read(answer, None)[0]]
    assert any(named_candidates([index], short, 1, 4))


def test_a_holders_table_of_an_older_width_is_read_as_written(tmp_path):
    """An index written when ``HOLDERS`` was 2 opens and verifies; its table names the sources of the shingles
    one or two sources hold, and none of those more hold (counted still, so never taken for rare ones)."""
    from copyguard.index.df import HOLDERS, NO_HOLDER
    from copyguard.index.integrity import digest_dir
    from copyguard.index.manifest import read_manifest, write_manifest

    body = _lonely(1)
    docs = [Document("a.py", _helper(1), "python", "MIT", None)]
    docs += [Document(f"b{i}.py", body, "python", "MIT", None) for i in range(3)]
    out = tmp_path / "idx"
    index_documents(docs, str(out))
    sh = np.unique(np.concatenate([_shingles(body, "python"), _shingles(docs[0].text, "python")]))
    assert HOLDERS > 3 and _holders(out, sh) == _expected(docs, sh) != _expected(docs, sh, 2)
    manifest = read_manifest(out)
    seg = out / "segments" / manifest.segments[0].name
    table = np.load(seg / "df_holders.npy").reshape(-1, HOLDERS)
    few = (table != NO_HOLDER).sum(axis=1) <= 2
    np.save(seg / "df_holders.npy", np.where(few[:, None], table[:, :2], NO_HOLDER).astype(np.uint32).reshape(-1))
    write_manifest(out, replace(manifest, segments=(replace(manifest.segments[0], files=digest_dir(seg)),)))
    assert Index.open(out).verify().ok
    assert _holders(out, sh) == _expected(docs, sh, 2) and any(v == {"a.py"} for v in _holders(out, sh).values())


def _first_lines_answer() -> str:
    first = "\n".join(LONG_DOC.splitlines()[:2]) + '\n    ..."""\n'  # the signature and one line of its docstring
    return f"```python\n{first}```\n"


def test_a_removed_source_is_not_proposed_by_held_shingles(held_index, tmp_path):
    import shutil

    out = tmp_path / "idx"
    shutil.copytree(held_index, out)
    assert Guard.open(out).check(_first_lines_answer()).flagged
    Index.open(out).remove(["settle.py"])
    assert not Guard.open(out).check(_first_lines_answer()).flagged
    Index.open(out).compact()
    assert not Guard.open(out).check(_first_lines_answer()).flagged


def test_held_rows_are_checksummed_and_an_index_written_without_them_still_finds_the_copy(held_index, tmp_path):
    import shutil

    from copyguard.index.manifest import read_manifest, write_manifest

    out = tmp_path / "idx"
    shutil.copytree(held_index, out)
    manifest = read_manifest(out)
    assert all("df_holders.npy" in s.files for s in manifest.segments)
    seg = out / "segments" / manifest.segments[0].name / "df_holders.npy"
    raw = bytearray(seg.read_bytes())
    raw[-1] ^= 0xFF
    seg.write_bytes(bytes(raw))
    assert not Index.open(out).verify().ok  # a damaged holders table is caught by `index verify`
    # an index as a copyguard before the holders table wrote it: no file, not in the manifest
    seg.unlink()
    old = [replace(s, files={k: v for k, v in s.files.items() if k != "df_holders.npy"}) for s in manifest.segments]
    write_manifest(out, replace(manifest, segments=tuple(old)))
    assert Index.open(out).verify().ok
    assert [m.source for m in Guard.open(out).check(_first_lines_answer()).matches] == ["settle.py"]
    assert not seg.exists()  # made in memory on first use; the index on disk is left as it was


def test_a_source_only_held_shingles_propose_is_not_reported_inside_a_larger_block(held_index):
    # the signature and three docstring lines (40 words, over the words floor) inside a function of thirty other
    # lines: no band meets them there, held shingles propose settle.py, but the copy is a small part of the
    # block, and a source only held shingles proposed is reported only as a whole-block copy
    own = "".join(f"    step_{i} = compute_{i}(ledger, window={i}, label='phase {i} of the nightly run')\n"
                  for i in range(30))
    first = "\n".join(LONG_DOC.splitlines()[:4]) + '\n    """\n'
    inside, alone = f"```python\n{first}{own}```\n", f"```python\n{first}```\n"
    assert not Guard.open(held_index, Policy(min_held_shingles=0)).check(inside).flagged  # the bands miss it
    assert not Guard.open(held_index).check(inside).flagged
    assert [m.source for m in Guard.open(held_index).check(alone).matches] == ["settle.py"]


def test_a_copied_docstring_under_a_signature_too_short_to_match_is_a_whole_block(held_index):
    doc = LONG_DOC.splitlines()[1]  # the docstring's first line: 14 words, under the prose floor, over the block's 12
    short = f'```python\ndef reconcile(book):\n{doc}\n    ..."""\n```\n'  # renamed: 7 tokens no region can hold
    assert [m.source for m in Guard.open(held_index).check(short).matches] == ["settle.py"]
    longer = f'```python\ndef reconcile(book, items, limit, strict, extra):\n{doc}\n    ..."""\n```\n'
    assert not Guard.open(held_index).check(longer).flagged  # 14 tokens of its own: not a whole copy


def test_a_sentence_cut_short_inside_a_paragraph_of_its_own_is_no_whole_block(tmp_path):
    text = ("Like nethack, moria and rogue, one of the large freely distributed Dungeons-and-Dragons-like simulation "
            "games, available for a wide range of machines and operating systems, and still played today.")
    other = "An unrelated paragraph about the weather in spring and the birds that come back to the garden every year."
    index_documents([Document("hack.txt", text, "text", "CC0-1.0", None),
                     Document("other.txt", other, "text", "CC0-1.0", None)], str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx")
    copied = "Like nethack, moria and rogue, one of the large freely distributed Dungeons-and-Dragons-like games"
    assert [m.source for m in guard.check(f"Some intro here.\n\n{copied}\n").matches] == ["hack.txt"]  # the whole paragraph
    # 15 words and 4 long ones of the writer's own: the paragraph's end is words, not a signature no region could hold
    own = ", notwithstanding extraordinarily uncharacteristic circumstances"
    assert not guard.check(f"Some intro here.\n\n{copied}{own}\n").flagged


RING_QUEUE = '''package org.example.queue;

import java.util.Objects;

public class RingQueue<E> {
    private final Object[] items;
    private int head, count;

    public RingQueue(int capacity) {
        items = new Object[capacity];
    }

    /**
     * Returns the element stored at slot i.
     */
    @SuppressWarnings("unchecked")
    final E slotAt(int i) {
        return (E) items[(head + i) % items.length];
    }

    /**
     * Inserts the element at the tail of this queue, failing when the queue is full.
     */
    public boolean offerLast(E e) {
        Objects.requireNonNull(e);
        if (count == items.length) return false;
        items[(head + count++) % items.length] = e;
        return true;
    }
}
'''

SLOT_AT = '''
@SuppressWarnings("unchecked")
final E slotAt(int i) {
    return (E) items[(head + i) % items.length];
}
'''


def test_a_short_method_copied_with_its_one_line_doc_comment_is_a_whole_block(tmp_path):
    index_documents([Document("RingQueue.java", RING_QUEUE, "java", "GPL-2.0-only", None)], str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx")
    copied = f"Here it is:\n\n```java\n/**\n * Returns the element stored at slot i.\n */{SLOT_AT}```\n"
    # 31 exact code tokens, under the floor of 32; its 7-word doc comment is too short to be evidence, but it is the
    # source's own: the block is a copy through and through
    assert [m.source for m in guard.check(copied).matches] == ["RingQueue.java"]
    # without the short regions that cover, the comment still covers: its text is the source's beside the method
    assert Guard.open(tmp_path / "idx", Policy(min_region_cover=0)).check(copied).flagged
    own = f"Here it is:\n\n```java\n/**\n * Gives back what the ring holds at that position.\n */{SLOT_AT}```\n"
    assert not guard.check(own).flagged  # the doc comment is the writer's: not a whole copy


PENDING = '''/**
 * Tells whether `value` is recorded as a pending ledger transfer.
 *
 * @since 2.1.0
 * @param {*} value The value to check.
 * @returns {boolean} Returns `true` if `value` is pending, else `false`.
 */
function isPendingTransfer(value) {
  return value != null && typeof value == 'object' && value.state === 'pending' && !value.settledAt;
}

module.exports = isPendingTransfer;
'''


def test_the_first_two_lines_of_a_doc_comment_are_a_whole_block_copy(tmp_path):
    index_documents([Document("isPendingTransfer.js", PENDING, "javascript", "GPL-2.0-only", None)],
                    str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx")
    first = "\n".join(PENDING.splitlines()[:3])  # a model that stopped after the summary line: 10 words, all copied
    answer = f"You can write it like this:\n\n```javascript\n{first}\n```\n"
    assert [m.source for m in guard.check(answer).matches] == ["isPendingTransfer.js"]
    assert not Guard.open(tmp_path / "idx", Policy(min_words_block=12)).check(answer).flagged
    own = "/**\n * Tells whether `value` is recorded as a pending card payment by the bank.\n *\n"
    assert not guard.check(f"You can write it like this:\n\n```javascript\n{own}```\n").flagged  # half of it is new


GEOMETRY = '''"""Small geometry helpers for the survey tools."""

import math


def triangle_area(base, height):
    return base * height / 2


def ring_area(outer, inner):
    return math.pi * (outer ** 2 - inner ** 2)
'''


def test_a_two_line_function_copied_alone_with_its_names_is_a_whole_block(tmp_path):
    index_documents([Document("geometry.py", GEOMETRY, "python", "GPL-3.0-only", None)], str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx", OWN)
    copied = "Here:\n\n```python\ndef triangle_area(base, height):\n    return base * height / 2\n```\n"  # 14 tokens
    assert [m.source for m in guard.check(copied).matches] == ["geometry.py"]
    assert not Guard.open(tmp_path / "idx", Policy(min_tokens_block=16)).check(copied).flagged
    renamed = "Here:\n\n```python\ndef tri(b, h):\n    return b * h / 2\n```\n"
    assert not guard.check(renamed).flagged  # the same structure with other names: no exact tokens to count


def test_a_paragraph_three_quarters_copied_is_a_whole_block(tmp_path):
    text = ("Like nethack, moria and rogue, one of the large freely distributed Dungeons-and-Dragons-like simulation "
            "games, available for a wide range of machines and operating systems, and still played today.")
    index_documents([Document("hack.txt", text, "text", "CC0-1.0", None)], str(tmp_path / "idx"))
    copied = "Like nethack, moria and rogue, one of the large freely distributed Dungeons-and-Dragons-like games"
    answer = f"Some intro here.\n\n{copied}, as my cousin told me then\n"  # 15 words copied, 6 of the writer's own
    assert [m.source for m in Guard.open(tmp_path / "idx").check(answer).matches] == ["hack.txt"]
    assert not Guard.open(tmp_path / "idx", Policy(block_share=0.8)).check(answer).flagged


DEQUE = '''package demo.deque;

import java.util.NoSuchElementException;

public class TinyDeque<E> {
    private Object[] items = new Object[16];
    private int head, tail;

    /**
     * Inserts the element at the front of this deque.
     */
    public void addFirst(E e) {
        if (e == null) throw new NullPointerException();
        head = (head - 1) & (items.length - 1);
        items[head] = e;
        if (head == tail) doubleCapacity();
    }

    /**
     * @throws NoSuchElementException {@inheritDoc}
     */
    public E removeFirst() {
        E x = pollFirst();
        if (x == null) throw new NoSuchElementException();
        return x;
    }
}
'''
REMOVE_FIRST = '''public E removeFirst() {
    E x = pollFirst();
    if (x == null) throw new NoSuchElementException();
    return x;
}'''


def test_a_short_doc_comment_the_source_holds_beside_a_copied_method_covers_its_block(tmp_path):
    out = tmp_path / "idx"
    index_documents([Document("TinyDeque.java", DEQUE, "java", "MIT", None)], str(out))
    guard = Guard.open(out)
    copied = "/**\n * @throws NoSuchElementException {@inheritDoc}\n */\n" + REMOVE_FIRST
    found = guard.check(f"Here it is:\n\n```java\n{copied}\n```\n")
    assert [m.source for m in found.matches] == ["TinyDeque.java"]  # 30 tokens: under the floors, a whole block
    own = "/**\n * Takes the head off, or fails loudly when there is none.\n */\n" + REMOVE_FIRST
    assert not guard.check(f"Here it is:\n\n```java\n{own}\n```\n").flagged  # the comment is not the source's


def test_a_signature_line_under_a_copied_doc_comment_is_covered_when_it_is_the_sources(tmp_path):
    out = tmp_path / "idx"
    index_documents([Document("TinyDeque.java", DEQUE, "java", "MIT", None)], str(out))
    guard = Guard.open(out)
    doc = "/**\n * Inserts the element at the front of this deque.\n */\n"
    assert guard.check(f"Like this:\n\n```java\n{doc}public void addFirst(E e) {{\n```\n").flagged
    assert not guard.check(f"Like this:\n\n```java\n{doc}public void pushFront(E item) {{\n```\n").flagged


def test_one_paragraph_copied_through_and_through_is_a_whole_copy_whatever_else_the_source_touches():
    from copyguard.evidence import Blocks, Floors, reported
    from copyguard.match import Match, MatchKind

    text = "x" * 100 + "\n\n" + "y" * 900
    blocks = Blocks(text, [(0, 100), (102, 1002)])
    first = Match("a.js", "MIT", MatchKind.VERBATIM, 1.0, (0, 100), (0, 100), "prose", 20, exact=20)
    example = Match("a.js", "MIT", MatchKind.VERBATIM, 1.0, (500, 600), (400, 500), "prose", 10, exact=10)
    assert reported([first], Floors(), blocks, block_only=True) == [first]
    # the second region covers a ninth of a long example: it must not undo the first paragraph's whole copy
    assert reported([first, example], Floors(), blocks, block_only=True) == [first, example]
    half = Match("a.js", "MIT", MatchKind.VERBATIM, 1.0, (0, 50), (0, 50), "prose", 10, exact=10)
    assert reported([half, example], Floors(), blocks, block_only=True) == []


TWINS = '''"""Module-level singletons."""

_handler = None
_logger = None


def get_handler(strict=True):
    """Returns the handler instance of this module, made on first use."""
    assert _handler is not None or not strict, "call setup() before asking for it"
    return _handler


def get_logger(strict=True):
    """Returns the logger instance of this module, made on first use."""
    assert _logger is not None or not strict, "call setup() before asking for it"
    return _logger
'''


def test_a_verbatim_copy_of_the_second_of_two_same_shaped_functions_is_aligned_verbatim(tmp_path):
    index_documents([Document("twins.py", TWINS, "python", "MIT", None)], str(tmp_path / "idx"))
    second = TWINS[TWINS.index("def get_logger"):]
    found = Guard.open(tmp_path / "idx", Policy(min_tokens_code=8, min_tokens_exact=8, min_region_tokens=8)).check(
        f"```python\n{second}```\n")
    code = [m for m in found.matches if m.lang == "python"]
    assert code and all(m.kind == "verbatim" and not m.renames for m in code)
    assert TWINS[code[0].source_span[0]:code[0].source_span[1]].startswith("def get_logger")


def _completer(name: str, doc: str, override: bool) -> str:
    over = "    @Override\n" if override else ""
    return (f"package demo;\n\npublic abstract class {name} extends Task {{\n    /**\n     * {doc}\n     */\n"
            f"{over}    protected final boolean exec() {{\n        compute();\n        return false;\n    }}\n\n"
            f"    public abstract void compute();\n}}\n")


def test_rare_shingles_of_code_and_words_count_together_for_held_candidates(tmp_path):
    from copyguard.candidates import boilerplate_mask, held_candidates, shingle_counts, sketch_query
    from copyguard.index.df import HOLDERS

    docs = [Document("Counted.java", _completer("Counted", "Implements execution conventions for CountedCompleters.",
                                                True), "java", "MIT", None)]
    docs += [Document(f"Other{i}.java", _completer(f"Other{i}", f"Implements execution conventions for Tasks{i}.",
                                                   False), "java", "MIT", None) for i in range(HOLDERS)]
    index_documents(docs, str(tmp_path / "idx"))
    index = Index.open(tmp_path / "idx")
    copied = ("/**\n * Implements execution conventions for CountedCompleters.\n */\n@Override\n"
              "protected final boolean exec() {\n    compute();\n    return false;\n}\n")
    queries = [sketch_query(ts, index.params) for ts in normalize_code_words(copied, "java") if len(ts)]
    counts = [shingle_counts([index], q) for q in queries]
    common = [boilerplate_mask([index], q, 10, 0.0, n) for q, n in zip(queries, counts)]
    rare = [int(((n > 0) & (n <= HOLDERS) & ~c).sum()) for n, c in zip(counts, common)]
    assert len(rare) == 2 and max(rare) < 3 <= sum(rare)  # neither channel alone holds 3 rare shingles
    alone = [held_candidates([index], [q], [c], [n], 3, 8) for q, c, n in zip(queries, common, counts)]
    assert alone == [[[]], [[]]]
    together = held_candidates([index], queries, common, counts, 3, 8)
    named = [{index.source(c.ref).source_id for c in cands} for cands in together]
    assert named == [{"Counted.java"}, {"Counted.java"}]


def _builder(name: str, kind: str, other: str) -> str:
    """A builder class of the same shape as its siblings: Streams.java's four stream builders, in small."""
    def doc(what: str) -> str:
        return (f"        /**\n         * {what} The builder keeps the first element in a field and moves to a\n"
                "         * buffer only when a second one arrives, so that the common case of a\n"
                "         * singleton needs no allocation; a built builder refuses more elements.\n         */\n")
    return (f"    static final class {name} extends AbstractBuilder<{other}> {{\n        {kind} first;\n\n"
            "        /**\n         * Constructor for a singleton ledger.\n         *\n         * @param t the single element\n"
            f"         */\n        {name}({kind} t) {{\n            first = t;\n            count = -2;\n        }}\n\n"
            + doc("Adds an element to the builder.")
            + f"        @Override\n        public void accept({kind} t) {{\n            if (count == 0) {{\n"
            "                first = t;\n                count++;\n            }\n            else if (count > 0) {\n"
            f"                if (buffer == null) {{\n                    buffer = new {other}Buffer();\n"
            "                    buffer.accept(first);\n                    count++;\n                }\n"
            "                buffer.accept(t);\n            }\n            else {\n"
            "                throw new IllegalStateException();\n            }\n        }\n\n"
            + doc("Builds the stream, moving the builder to the built state.")
            + f"        @Override\n        public {other}Stream build() {{\n            int c = count;\n"
            "            if (c >= 0) {\n                count = -count - 1;\n"
            f"                return (c < 2) ? StreamSupport.{other}Stream(this, false)\n"
            f"                               : StreamSupport.{other}Stream(buffer.spliterator(), false);\n"
            "            }\n            throw new IllegalStateException();\n        }\n\n"
            + doc("Gives the singleton element to the action, once.")
            + f"        @Override\n        public boolean tryAdvance({other}Consumer action) {{\n"
            "            Objects.requireNonNull(action);\n            if (count == -2) {\n"
            "                action.accept(first);\n                count = -1;\n                return true;\n"
            "            }\n            else {\n                return false;\n            }\n        }\n    }\n")


BUILDERS = ("package demo;\n\nfinal class Builders {\n" + _builder("ObjBuilder", "T", "Obj")
            + _builder("LongBuilder", "E", "Long") + _builder("IntBuilder", "V", "Int")
            + _builder("DoubleBuilder", "K", "Double") + "}\n")


def test_a_copy_of_one_of_several_same_bodied_siblings_is_aligned_to_itself(tmp_path):
    # Four sibling builders whose constructors hold the same doc comment and, normalized, the same code: the
    # answer's rare shingles sit in four runs holding as many each (the bands meet nothing: the copy is short).
    # Each of the tied runs is aligned, so the copy of the third is found verbatim where it is, not as a
    # renamed copy of the second (a slice of the first densest run only).
    index_documents([Document("Builders.java", BUILDERS, "java", "GPL-2.0-only", None)], str(tmp_path / "idx"))
    start = BUILDERS.index("        /**\n         * Constructor", BUILDERS.index("class IntBuilder"))
    at = BUILDERS.index("IntBuilder(V t)")
    copy = "".join(line[8:] for line in BUILDERS[start:BUILDERS.index("}\n", at) + 2].splitlines(keepends=True))
    assert not Guard.open(tmp_path / "idx", Policy(min_held_shingles=0)).check(f"```java\n{copy}```\n").flagged
    for answer in (f"```java\n{copy}```\n", f"```\n{copy}```\n", f"Here it is:\n\n{copy}\nDone.\n"):
        code = [m for m in Guard.open(tmp_path / "idx").check(answer).matches if m.lang != "prose"]
        assert code and all(m.source == "Builders.java" and m.kind.value == "verbatim" for m in code)
        assert any(m.source_span[0] <= at < m.source_span[1] for m in code)
        # the doc comment's words, aligned to the first sibling's identical one, are reported where the copy is
        assert all(start <= m.source_span[0] for m in code), [m.source_span for m in code]


STACK = '''package demo.stack;

public class TreiberStack<E> {
    private volatile Node<E> head;

    /**
     * Pushes the element onto this stack, retrying until it wins the race.
     */
    public void push(E item) {
        Node<E> node = new Node<>(item);
        do {
            node.next = head;
        } while (!casHead(node.next, node));
    }

    /**
     * Unlinks s from the stack.
     */
    void clean(Node s) {
        s.item = null;   // forget item
        Node past = s.next;
        while (head != null && head != past && head.item == null) {
            casHead(head, head.next);
        }
    }
}
'''


def test_a_short_doc_comment_copied_with_the_signature_under_it_counts_toward_a_whole_block(tmp_path):
    index_documents([Document("TreiberStack.java", STACK, "java", "GPL-2.0-only", None)], str(tmp_path / "idx"))
    guard = Guard.open(tmp_path / "idx", OWN)
    signature = "void clean(Node s) {\n    s.item = null;"  # 13 exact tokens: under the block floor of 14
    copied = f"Like this:\n\n```java\n/**\n * Unlinks s from the stack.\n */\n{signature}\n```\n"
    # the 5 doc words are too short a region to count alone; touching the code under them, in the source's order,
    # they are one copy with it (evidence.beside_code)
    assert [m.source for m in guard.check(copied).matches] == ["TreiberStack.java"]
    own = f"Like this:\n\n```java\n/**\n * Drops s from the list.\n */\n{signature}\n```\n"
    assert not guard.check(own).flagged  # a comment of one's own: the code alone is under the block floor
    # the source's words, but from another of its doc comments: not beside that code in the source
    moved = f"Like this:\n\n```java\n/**\n * Retrying until it wins the race.\n */\n{signature}\n```\n"
    assert not guard.check(moved).flagged


VECTOR = '''/**
 * A vector in two dimensions, with the few operations the layout code needs.
 */
class Vec2 {

\tconstructor( x = 0, y = 0 ) {

\t\tthis.x = x;
\t\tthis.y = y;

\t}

\t/**
\t * Returns a new vector holding the values of this one, so that changing
\t * the copy never changes the original that the caller still keeps.
\t *
\t * @return {Vec2} A clone of this instance.
\t */
\tclone() {

\t\treturn new this.constructor( this.x, this.y );

\t}

\t/**
\t * Computes the squared length of this vector, cheaper than its length
\t * when two lengths are only compared with one another.
\t *
\t * @return {number} The squared length.
\t */
\tlengthSq() {

\t\treturn this.x * this.x + this.y * this.y;

\t}

}
'''


def test_a_short_method_pasted_without_fence_or_class_is_code_and_found(tmp_path):
    """``clone() {``, one line of body and ``}`` under a doc comment: too few code lines and no marker of the language
    for the unfenced run to be detected (the words and the method were one paragraph of prose); the method's head
    (``member_head``) names the language whose class it parses in, as in an untagged fence."""
    index_documents([Document("vec2.js", VECTOR, "javascript", "MIT", None)], str(tmp_path / "idx"))
    g = Guard.open(tmp_path / "idx")
    method = "\n".join(line[1:] for line in VECTOR.split("\tclone() {")[0].rsplit("\n\n", 1)[1].splitlines())
    method += "\nclone() {\n\n\treturn new this.constructor( this.x, this.y );\n\n}"
    text = f"Here you go:\n\n{method}\n\nHope this helps!\n"
    assert [lang for _, _, lang in code_blocks(text)] == ["javascript"]
    assert [m.source for m in g.check(text).matches] == ["vec2.js"]
    assert [m.source for m in g.check(f"Here you go:\n\n```\n{method}\n```\n").matches] == ["vec2.js"]
    # a sentence ending in a brace is no method's head, and prose around a call stays prose
    prose = "Call it as follows {\nthe value is returned unchanged.\n}\n\nThat is all you need to know here.\n"
    assert code_blocks(prose) == []


def _nearest_by_full_scan(words, code, src):
    """``evidence.nearest_occurrence`` as first written: the first ``MAX_OCCURRENCES`` occurrences of the words' text, each looked at."""
    from copyguard.evidence import MAX_OCCURRENCES
    from copyguard.match import MatchKind

    s0, s1 = words.source_span
    piece = src[s0:s1]
    if words.kind != MatchKind.VERBATIM or not piece.strip():
        return words
    c0, c1 = code.source_span

    def apart(at):
        return max(c0 - (at + len(piece)), at - c1, 0)

    best, at = s0, src.find(piece)
    for _ in range(MAX_OCCURRENCES):
        if at < 0:
            break
        if apart(at) < apart(best):
            best = at
        at = src.find(piece, at + 1)
    return words if best == s0 else replace(words, source_span=(best, best + len(piece)))


def test_nearest_occurrence_searched_near_the_code_equals_a_search_of_the_whole_text():
    # ``nearest_occurrence`` looks beside the code first and scans the whole text only when an occurrence nearer than the
    # aligned one lies there: the same occurrence either way, including past ``MAX_OCCURRENCES`` repeats
    import random

    from copyguard.evidence import may_move, nearest_occurrence, spans_meet, spans_touch
    from copyguard.match import Match, MatchKind

    rng = random.Random(7)
    moved = stays = met = 0
    for trial in range(3000):
        src = "".join(rng.choice(["ab", "a", "b", " ", "x", "ab ab"]) for _ in range(rng.randrange(1, 120 if trial % 4
                                                                                                      else 400)))
        s0 = rng.randrange(len(src))
        s1 = rng.randrange(s0 + 1, min(s0 + 6, len(src)) + 1)
        c0 = rng.randrange(len(src))
        c1 = rng.randrange(c0, min(c0 + 20, len(src)) + 1)
        kind = MatchKind.VERBATIM if trial % 9 else MatchKind.RENAMED
        words = Match("s", "MIT", kind, 1.0, (0, s1 - s0), (s0, s1), "prose", 2)
        code = Match("s", "MIT", MatchKind.VERBATIM, 1.0, (0, 1), (c0, c1), "java", 6)
        want = _nearest_by_full_scan(words, code, src)
        assert nearest_occurrence(words, code, src) == want, (src, (s0, s1), (c0, c1))
        moved += want.source_span != (s0, s1)
        # ``merge_touching`` reads the source's text only when ``may_move`` says the region may move
        stays += not may_move(words, code)
        assert may_move(words, code) or want is words, (src, (s0, s1), (c0, c1))
        # ... and ``beside_code`` none when the spans meet: they touch then, whatever the text between
        assert not spans_meet((s0, s1), (c0, c1)) or (want is words and spans_touch(src, (s0, s1), (c0, c1)))
        met += spans_meet((s0, s1), (c0, c1))
    assert moved > 100 and stays > 300 and met > 200  # the search moved regions often enough to have been compared


JAVA_HEAD = '''/*
 * Copyright (c) 2012, 2021, Example Corp. All rights reserved.
 * Licensed under the Apache License, Version 2.0.
 */
package org.example.calendar;

import static org.example.calendar.field.DateField.DAY_OF_MONTH;
import static org.example.calendar.field.DateField.MONTH_OF_YEAR;
import static org.example.calendar.field.DateField.YEAR_OF_ERA;

import java.io.Serializable;
import java.util.Objects;
import org.example.calendar.chrono.LunarEra;
import org.example.calendar.chrono.SolarTerm;
import org.example.calendar.format.DateFormatterBuilder;
import org.example.calendar.zone.ZoneRules;
'''


def test_a_files_own_imports_are_words_and_other_imports_are_not():
    """Import statements stay out of the code channel; those of the file's own package are words (a file's head of
    license, package line and imports otherwise had no tokens at all), those of the standard library or of another
    package are not (every file using them imports them alike)."""
    code, words = normalize_code_words(JAVA_HEAD + "class A {}\n", "java")
    said = " ".join(words.token_text(i) for i in range(len(words)))
    assert said.startswith("package org example calendar import static org example calendar field DateField DAY OF")
    assert "Serializable" not in said and "Objects" not in said and "ZoneRules" in said
    assert [code.token_text(i) for i in range(len(code))] == ["class", "A", "{", "}"]
    _, words = normalize_code_words("import java.util.Scanner;\nclass A {}\n", "java")  # no package line: none own
    assert len(words) == 0
    py = "from __future__ import annotations\nimport os\nfrom collections import abc\nfrom .rows import Row, Table\n"
    _, words = normalize_code_words(py, "python")
    assert [words.token_text(i) for i in range(len(words))] == ["from", "rows", "import", "Row", "Table"]
    js = "import fs from 'fs';\nimport baseGet from './_baseGet.js';\n"
    _, words = normalize_code_words(js, "javascript")
    assert [words.token_text(i) for i in range(len(words))] == ["import", "baseGet", "from", "baseGet", "js"]


def test_a_copy_of_a_files_head_of_imports_names_its_source(tmp_path):
    """A raw file's first lines, all license, package line and imports: found (it had no tokens on either side)."""
    body = "public final class LunarDate implements Serializable {\n    private final int year;\n}\n"
    docs = [Document("LunarDate.java", JAVA_HEAD + "\n" + body, "java", "MIT", None),
            Document("Other.java", "package org.other;\n\nimport java.util.List;\n\nclass Other {}\n", "java", "MIT", None)]
    index_documents(docs, str(tmp_path / "idx"))
    v = Guard.open(tmp_path / "idx").check(JAVA_HEAD)
    assert v.flagged and {m.source for m in v.matches} == {"LunarDate.java"}


RLOCK = '''def RLock(*args, **kwargs):
    """Factory function that returns a new reentrant lock.

    A reentrant lock must be released by the thread that acquired it. Once a
    thread has acquired a reentrant lock, the same thread may acquire it again
    without blocking; the thread must release it once for each time it has
    acquired it.

    """
    if _CRLock is None:
        return _PyRLock(*args, **kwargs)
    return _CRLock(*args, **kwargs)
'''
TNRANGE = '''def tnrange(*args, **kwargs):  # pragma: no cover
    """Shortcut for `tqdm.notebook.tqdm(range(*args), **kwargs)`."""
    from warnings import warn

    from .notebook import trange as _tnrange
    warn("Please use `tqdm.notebook.trange` instead of `tqdm.tnrange`",
         TqdmDeprecationWarning, stacklevel=2)
    return _tnrange(*args, **kwargs)
'''


def test_parameters_passed_through_are_no_kept_names(tmp_path):
    """tqdm's deprecation wrapper passes ``*args, **kwargs`` on, as threading's ``RLock`` does: the names are
    the parameters each function binds, not free names a renamer left (bench/check.py's one false alarm at
    10 KB). Counted as kept, they made the wrapper's two shared lines a whole-block copy of ``RLock``."""
    from copyguard.evidence import name_mask
    from copyguard.normalize import normalize

    ts = normalize(TNRANGE, "python")
    kept = {ts.token_text(i) for i in np.flatnonzero(name_mask(ts.tokens))}
    assert "args" not in kept and "kwargs" not in kept and "TqdmDeprecationWarning" in kept
    others = [Document(f"record{i}.py", f"def record{i}(self, *args, **kwargs):\n"
                                        f'    """Remember the positional and keyword arguments of call {i}, so that a test can'
                                        f' read them back."""\n'
                                        f"    self.calls{i}.append((args, sorted(kwargs)))\n"
                                        f"    return len(self.calls{i}) + {i}\n", "python", "MIT", None)
              for i in range(20)]  # enough that args, kwargs and a docstring's placeholder weigh 1 or nothing
    index_documents([Document("threading.py", RLOCK, "python", "PSF-2.0", None), *others], str(tmp_path / "idx"))
    assert not Guard.open(tmp_path / "idx").check(f"```python\n{TNRANGE}```\n").flagged
    renamed = RLOCK.replace("RLock", "make_lock").replace("args", "a").replace("kwargs", "kw")
    v = Guard.open(tmp_path / "idx").check(f"```python\n{renamed}```\n")  # its free names kept: a copy
    assert [m.source for m in v.matches] == ["threading.py"]


def _merged_by_new_match(a, b):
    """``evidence.merged_match`` as first written (``new_match`` of a dict of every field, ``max``/``min`` of each)."""
    from copyguard.match import MatchKind, new_match
    from copyguard.normalize import PROSE_ALIASES

    def weight(m):
        return float(m.tokens - m.boilerplate) if m.weight is None else m.weight

    def exact_weight(m):
        return float(m.exact) if m.exact_weight is None else m.exact_weight

    weakness = {MatchKind.VERBATIM: 0, MatchKind.RENAMED: 1, MatchKind.NEAR: 2}
    tokens = a.tokens + b.tokens
    code = [m for m in (a, b) if m.lang not in PROSE_ALIASES]
    return new_match(dict(
        source=a.source, license=a.license, kind=max(a.kind, b.kind, key=weakness.__getitem__),
        similarity=(a.similarity * a.tokens + b.similarity * b.tokens) / max(tokens, 1),
        output_span=(min(a.output_span[0], b.output_span[0]), max(a.output_span[1], b.output_span[1])),
        source_span=(min(a.source_span[0], b.source_span[0]), max(a.source_span[1], b.source_span[1])),
        lang=code[0].lang if code else a.lang, tokens=tokens, renames={**b.renames, **a.renames},
        source_path=a.source_path, index=a.index, boilerplate=a.boilerplate + b.boilerplate, exact=a.exact + b.exact,
        weight=None if a.weight is None and b.weight is None else weight(a) + weight(b),
        exact_weight=None if a.exact_weight is None and b.exact_weight is None else exact_weight(a) + exact_weight(b),
        names=a.names + b.names,
    ))


def test_merged_matches_equal_new_match_of_every_field():
    # ``evidence.merged_match`` writes the merged match's fields out (no ``new_match`` dict, ``max`` with a key, list of
    # code matches): the same values, floats included, and the same field order as the reference
    import random

    from copyguard.evidence import merged_match
    from copyguard.match import Match, MatchKind

    rng = random.Random(11)

    def one():
        o0, s0 = rng.randrange(50), rng.randrange(50)
        return Match(rng.choice("st"), rng.choice(["MIT", None]), rng.choice(list(MatchKind)), rng.random(),
                     (o0, o0 + rng.randrange(3)), (s0, s0 + rng.randrange(3)), rng.choice(["prose", "python", "java"]),
                     rng.randrange(0, 4), {f"n{rng.randrange(3)}": "x" * rng.randrange(3) for _ in range(rng.randrange(3))},
                     rng.choice([None, "a.py"]), rng.choice([None, "idx"]), rng.randrange(3), rng.randrange(3),
                     rng.choice([None, rng.random() * 5]), rng.choice([None, rng.random() * 3]), rng.randrange(3))

    kinds = set()
    for _ in range(5000):
        a, b = one(), one()
        got, want = merged_match(a, b), _merged_by_new_match(a, b)
        assert got == want and list(vars(got)) == list(vars(want)), (a, b)
        assert got.similarity.hex() == want.similarity.hex() and repr(got.weight) == repr(want.weight)
        kinds.add((got.kind, got.lang))
    assert len(kinds) >= 9  # every kind and both channels' languages were merged
