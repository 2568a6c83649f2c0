"""The grammar registry: lookups by name, alias and extension, and clear errors."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from copyguard.errors import GrammarError, UnknownLanguageError
from copyguard.normalize import grammars
from copyguard.normalize.code import normalize_code

GRAMMAR_DIR = Path(__file__).resolve().parents[2] / "grammars"
ALL = ["bash", "c", "c_sharp", "cpp", "go", "java", "javascript", "php", "python",
       "ruby", "rust", "tsx", "typescript"]


def test_names():
    assert grammars.names() == ALL
    assert sorted(p.stem for p in GRAMMAR_DIR.glob("*.toml")) == ALL


@pytest.mark.parametrize("alias, name", [
    ("py", "python"), ("python3", "python"), ("Python", "python"), ("js", "javascript"),
    ("node", "javascript"), ("jsx", "javascript"), ("ts", "typescript"), ("tsx", "tsx"),
    ("c++", "cpp"), ("cc", "cpp"), ("cxx", "cpp"), ("golang", "go"), ("rs", "rust"),
    ("cs", "c_sharp"), ("csharp", "c_sharp"), ("c#", "c_sharp"), ("rb", "ruby"),
    ("sh", "bash"), ("shell", "bash"), ("zsh", "bash"), (" java ", "java"), ("php", "php"),
])
def test_get_by_alias(alias, name):
    assert grammars.get(alias).name == name
    assert grammars.find(alias).name == name


@pytest.mark.parametrize("path, name", [
    ("a/b.py", "python"), ("x.PYI", "python"), ("m.mjs", "javascript"), ("c.tsx", "tsx"),
    ("d.ts", "typescript"), ("A.java", "java"), ("k.h", "c"), ("v.hpp", "cpp"), ("w.cc", "cpp"),
    ("main.go", "go"), ("lib.rs", "rust"), ("P.cs", "c_sharp"), ("r.rb", "ruby"),
    ("i.php", "php"), ("run.sh", "bash"),
])
def test_for_path(path, name):
    assert grammars.for_path(path).name == name


@pytest.mark.parametrize("path", ["README.md", "Makefile", "notes.txt", ".py"])
def test_for_path_unknown(path):
    assert grammars.for_path(path) is None


def test_unknown_language_lists_known_names():
    with pytest.raises(UnknownLanguageError) as err:
        grammars.get("klingon")
    assert "'klingon'" in str(err.value) and "python" in str(err.value) and "rust" in str(err.value)
    assert grammars.find("klingon") is None


@pytest.mark.parametrize("name", ALL)
def test_every_grammar_loads_and_normalizes(name):
    g = grammars.get(name)
    assert g.version == importlib.metadata.version(g.package)
    assert grammars.language(g) is not None
    prefix = "<?php " if name == "php" else ""  # PHP outside <?php is template text
    assert len(normalize_code(prefix + "x = 1", name)) >= 2


def test_typescript_and_tsx_use_different_functions():
    ts, tsx = grammars.get("typescript"), grammars.get("tsx")
    assert (ts.package, ts.function) == ("tree-sitter-typescript", "language_typescript")
    assert (tsx.package, tsx.function) == ("tree-sitter-typescript", "language_tsx")
    assert grammars.get("php").function == "language_php"


def test_parser_cached_per_thread():
    g = grammars.get("python")
    assert grammars.parser(g) is grammars.parser(g)
    other = []
    t = threading.Thread(target=lambda: other.append(grammars.parser(g)))
    t.start()
    t.join()
    assert other[0] is not grammars.parser(g)


def test_missing_package_gives_pip_command():
    g = dataclasses.replace(grammars.get("python"), name="klingon",
                            package="tree-sitter-klingon", module="tree_sitter_klingon")
    with pytest.raises(GrammarError, match="pip install tree-sitter-klingon"):
        grammars.language(g)
    with pytest.raises(GrammarError, match="pip install tree-sitter-klingon"):
        _ = g.version


def test_unknown_node_type_is_reported():
    g = dataclasses.replace(grammars.get("python"), strings=("string", "no_such_node"))
    with pytest.raises(GrammarError, match="no_such_node"):
        grammars.language(g)


def test_unknown_field_is_reported():
    g = dataclasses.replace(grammars.get("python"), kept_fields=("keyword_argument.nope",))
    with pytest.raises(GrammarError, match="nope"):
        grammars.language(g)


def test_bad_soft_keyword_is_reported():
    g = dataclasses.replace(grammars.get("python"), soft_keywords=("frobnicate",))
    with pytest.raises(GrammarError, match="frobnicate"):
        grammars.language(g)


def _python_toml() -> dict:
    return tomllib.loads((GRAMMAR_DIR / "python.toml").read_text())


def test_parse_grammar_round_trip():
    g = grammars.parse_grammar("python.toml", _python_toml())
    assert g == dataclasses.replace(grammars.get("python"), source="python.toml")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("package"), "'package' is required"),
    (lambda d: d.update(colour="red"), "unknown key\\(s\\) colour"),
    (lambda d: d["nodes"].update(strings="string"), "nodes.strings' must be a list"),
    (lambda d: d["nodes"].update(comments=[]), "comments must name at least one"),
    (lambda d: d["nodes"].update(kept_fields=["keyword_argument"]), "parent_type.field"),
    (lambda d: d["names"].update(builtins=[1, 2]), "names.builtins"),
    (lambda d: d["names"].update(colour=[]), "in \\[names\\]"),
    (lambda d: d.update(nodes=[]), "\\[nodes\\] must be a table"),
    (lambda d: d.update(block_comment=["/*"]), "'block_comment' must be \\[start, end\\]"),
])
def test_parse_grammar_validation(mutate, message):
    data = _python_toml()
    mutate(data)
    with pytest.raises(GrammarError, match=message):
        grammars.parse_grammar("python.toml", data)


def test_extensions_and_aliases_are_unique_across_files():
    seen: dict[str, str] = {}
    for name in grammars.names():
        g = grammars.get(name)
        for key in (*g.aliases, *(f".{e}" for e in g.extensions)):
            assert seen.setdefault(key, name) == name, key


def test_a_php_snippet_without_its_open_tag_is_code():
    """A fence of PHP rarely holds ``<?php``: parsed as it is, the grammar reads all of it as one HTML text."""
    body = "function add($a, $b) {\n    $sum = $a + $b;\n    return $sum;\n}\n"
    snippet = normalize_code(body, "php")
    in_file = normalize_code("<?php\n" + body.replace("$a", "$x").replace("$sum", "$total"), "php")
    assert len(snippet) == 18  # function add ( $a , $b ) { $sum = $a + $b ; return $sum ; }
    assert snippet.token_text(0) == "function" and snippet.token_text(len(snippet) - 1) == "}"
    assert (snippet.hashes == in_file.hashes[-len(snippet):]).all()  # renamed, and the tag's tokens aside
    template = normalize_code("<p>Hello</p>\n<?= $name ?>\n", "php")  # a template keeps its own tags
    assert template.token_text(0) == "<p>Hello</p>\n"


def test_a_glob_or_regex_holding_a_comment_mark_is_no_cut_comment_where_the_language_has_none():
    """``*/`` is a Ruby media type (or a Bash glob), not the end of a comment the text was cut in.

    Taken for one, the text was parsed after an added ``/*`` and most of a Ruby file read as a regex
    (rack's ``deflater.rb``: 87 code tokens of 547).
    """
    body = "def f(a)\n  a + 1\nend\n"
    for glob in ('ANY = "*/*"\n', "ANY = %r{*/*}\n"):
        ts, plain = normalize_code(glob + body, "ruby"), normalize_code('ANY = "text"\n' + body, "ruby")
        assert ts.token_text(0) == "ANY" and len(ts) == len(plain), [ts.token_text(i) for i in range(len(ts))]
        assert (ts.hashes[3:] == plain.hashes[3:]).all()
    cut = normalize_code(" * the count.\n */\nint f(int x) { return x + 1; }\n", "java")  # Java has them
    assert cut.token_text(0) == "int" and len(cut) == 13


# A character above U+00FF after "{", "{12" or "{1..9" in Bash: tree-sitter-bash's scanner reads it with isdigit(),
# past the C library's table (upstream issue #337); where that lands on an unmapped page the process dies. One child
# process reads each form with every 1024th code point, compiled and by the binding (the numpy reference); the
# pages past the table differ from process to process, so three children run (before the fix most of them died).
_WIDE_AFTER_BRACE = """
import numpy as np
from copyguard.compiled import reference
from copyguard.normalize.code import normalize_code
n = 0
for cp in range(0x100, 0x110000, 0x400):
    if 0xD800 <= cp < 0xE000:
        continue
    for form in ("{%s", "echo {12%s}", "x {1..9%s"):
        text = form % chr(cp)
        compiled = normalize_code(text, "bash")
        with reference():
            ref = normalize_code(text, "bash")
        assert np.array_equal(compiled.exact, ref.exact) and np.array_equal(compiled.starts, ref.starts), text
        n += 1
print(n)
"""


@pytest.mark.parametrize("child", range(3))
def test_bash_reads_a_wide_character_after_a_brace_without_crashing(child):
    done = subprocess.run([sys.executable, "-c", _WIDE_AFTER_BRACE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert int(done.stdout) == 3 * len([cp for cp in range(0x100, 0x110000, 0x400) if not 0xD800 <= cp < 0xE000])


def test_source_bytes_keeps_characters_and_has_no_wide_one_where_the_bash_scanner_reads_narrowly():
    bash = grammars.get("bash")
    text = "a{\u4e2d {1..9\U0001F600 {12\u3000 {12.\u4e2d {\ud800 {{\U0010ffff {\u00e9 ${x\u4e2d}"
    read = grammars.source_bytes(bash, text).decode("utf-8", "surrogatepass")
    assert len(read) == len(text)
    assert read == "a{\u00aa {1..9\u00a4 {12\u00a4 {12.\u4e2d {\ud800 {{\u00a4 {\u00e9 ${x\u4e2d}"
    assert grammars.source_bytes(grammars.get("python"), text) == text.encode("utf-8", "surrogatepass")
    ts = normalize_code(text, "bash")
    assert all(0 <= s < e <= len(text) for s, e in zip(ts.starts.tolist(), ts.ends.tolist()))
