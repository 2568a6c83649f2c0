"""Language detection of untagged snippets and of code pasted into prose."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from copyguard.normalize.detect import code_blocks, detect_language, languages, looks_like_code, marker_scores

SNIPPETS = [
    ("python", "import os\n\nfor name in os.listdir('.'):\n    if name.endswith('.py'):\n        print(name)\n"),
    ("python", "class Node:\n    def __init__(self, value):\n        self.value = value\n        self.next = None\n"),
    ("python", "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"),
    ("python", "#!/usr/bin/env python3\nprint('hello')\n"),
    ("javascript", "const express = require('express');\nconst app = express();\napp.get('/', (req, res) => res.send('ok'));\n"),
    ("javascript", "function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n"),
    ("javascript", "document.querySelector('#btn').addEventListener('click', () => {\n  let n = 0;\n  n += 1;\n});\n"),
    ("typescript", "interface User {\n  id: number;\n  name: string;\n}\nfunction greet(u: User): string {\n  return `hi ${u.name}`;\n}\n"),
    ("typescript", "export type Pair<T> = { first: T; second: T };\nconst p: Pair<number> = { first: 1, second: 2 };\n"),
    ("tsx", "export function App({ title }: { title: string }) {\n  const [n, setN] = useState<number>(0);\n  return <button onClick={() => setN(n + 1)}>{title}</button>;\n}\n"),
    ("java", "public class Main {\n    public static void main(String[] args) {\n        System.out.println(\"Hi\");\n    }\n}\n"),
    ("java", "import java.util.List;\nimport java.util.ArrayList;\n\nList<String> names = new ArrayList<>();\nnames.add(\"x\");\n"),
    ("java", "@Override\npublic boolean equals(Object o) {\n    if (this == o) return true;\n    return false;\n}\n"),
    ("c", "#include <stdio.h>\n\nint main(void) {\n    printf(\"%d\\n\", 42);\n    return 0;\n}\n"),
    ("c", "struct node { int value; struct node *next; };\nvoid push(struct node **head, int v) {\n    struct node *n = malloc(sizeof *n);\n    n->value = v;\n    n->next = *head;\n    *head = n;\n}\n"),
    ("cpp", "#include <iostream>\n#include <vector>\n\nint main() {\n    std::vector<int> v{1, 2, 3};\n    for (auto x : v) std::cout << x << std::endl;\n}\n"),
    ("cpp", "template <typename T>\nclass Box {\npublic:\n    explicit Box(T v) : value_(v) {}\n    T get() const { return value_; }\nprivate:\n    T value_;\n};\n"),
    ("go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tx := 5\n\tfmt.Println(x)\n}\n"),
    ("go", "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {\n\tif err := s.load(); err != nil {\n\t\treturn\n\t}\n}\n"),
    ("rust", "fn main() {\n    let mut v = Vec::new();\n    v.push(1);\n    println!(\"{:?}\", v);\n}\n"),
    ("rust", "impl Display for Point {\n    fn fmt(&self, f: &mut Formatter) -> fmt::Result {\n        write!(f, \"({}, {})\", self.x, self.y)\n    }\n}\n"),
    ("c_sharp", "using System;\n\nnamespace Demo {\n    class Program {\n        static void Main(string[] args) {\n            Console.WriteLine(\"Hello\");\n        }\n    }\n}\n"),
    ("c_sharp", "public class Person {\n    public string Name { get; set; }\n    public int Age { get; init; }\n}\n"),
    ("ruby", "class Dog\n  attr_reader :name\n\n  def initialize(name)\n    @name = name\n  end\nend\n"),
    ("ruby", "[1, 2, 3].each do |n|\n  puts n * 2\nend\n"),
    ("php", "<?php\n$items = [1, 2, 3];\nforeach ($items as $item) {\n    echo $item;\n}\n"),
    ("php", "class Repo {\n    private $db;\n    public function find($id) {\n        return $this->db->query($id);\n    }\n}\n"),
    ("bash", "#!/bin/bash\nset -e\nfor f in *.txt; do\n  echo \"$f\"\ndone\n"),
    ("bash", "if [ -f \"$HOME/.bashrc\" ]; then\n  source \"$HOME/.bashrc\"\nfi\nexport PATH=\"$HOME/bin:$PATH\"\n"),
    ("bash", "sudo apt-get update\nsudo apt-get install -y git curl\ngit clone https://example.com/repo.git\n"),
]

PROSE = [
    "The quick brown fox jumps over the lazy dog. It was a sunny day, and everyone was happy.",
    "To install the package, run the installer and follow the prompts. Then restart your computer.",
    "A function is a reusable block of code. You call it with arguments; it returns a value.\n"
    "In Python, functions are defined with the def keyword, and classes with class.",
    "Here are three tips:\n1. Write tests first.\n2. Keep functions short (under 40 lines).\n"
    "3. Name things clearly, e.g. `total_price` rather than `tp`.",
    "Inheritance in object oriented programming is the mechanism of basing an object or class "
    "upon another object or class, retaining similar implementation.",
    "Q: What is 2 + 2?\nA: It is 4. (Most people know this.)",
    "Dear team,\n\nThe meeting is moved to Friday at 3pm; please update your calendars.\n\nThanks,\nAnn",
    "Vector space models represent documents as vectors of term weights. Similarity is the cosine "
    "of the angle between two vectors: values near 1 mean the documents share most terms.",
]


@pytest.mark.parametrize("lang, snippet", SNIPPETS, ids=[f"{i}-{lang}" for i, (lang, _) in enumerate(SNIPPETS)])
def test_detects_snippet_language(lang, snippet):
    assert detect_language(snippet) == lang


def test_overall_snippet_accuracy():
    hits = sum(detect_language(s) == lang for lang, s in SNIPPETS)
    assert hits / len(SNIPPETS) >= 0.9


@pytest.mark.parametrize("text", PROSE)
def test_prose_is_not_code(text):
    assert detect_language(text) is None
    assert code_blocks(text) == []


@pytest.mark.parametrize("text", ["", "   \n", "ok", "{}", "x"])
def test_tiny_inputs(text):
    assert detect_language(text) is None


def test_dialect_needs_its_own_markers():
    plain_js = "function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n"
    scores = marker_scores(plain_js)
    assert "javascript" in scores and "typescript" not in scores and "tsx" not in scores
    ts = "function add(a: number, b: number): number {\n  return a + b;\n}\nconsole.log(add(1, 2));\n"
    assert marker_scores(ts)["typescript"] > marker_scores(ts)["javascript"]


def test_code_block_in_prose():
    code = "def area(radius):\n    return 3.14159 * radius ** 2"
    text = f"You can compute it like this:\n\n{code}\n\nThis returns the area of the circle."
    blocks = code_blocks(text)
    assert len(blocks) == 1
    start, end, lang = blocks[0]
    assert text[start:end] == code and lang == "python"


def test_two_code_blocks_in_prose():
    c_code = "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\");\n    return 0;\n}"
    js_code = "const xs = [1, 2, 3];\nconst doubled = xs.map((x) => x * 2);\nconsole.log(doubled);"
    text = (f"First the C version, which prints a greeting to the terminal.\n{c_code}\n"
            f"And here is how you would double every number of an array in JavaScript.\n"
            f"{js_code}\nBoth programs are short.")
    blocks = code_blocks(text)
    assert [(text[s:e], lang) for s, e, lang in blocks] == [(c_code, "c"), (js_code, "javascript")]


def test_single_code_like_line_is_not_a_block():
    text = "Set the variable like x = 5 in your head. That is all there is to it, really."
    assert code_blocks(text) == []


def test_prose_only_is_prose():
    paragraph = " ".join(PROSE[:5]).replace("\n", " ")
    text = "\n\n".join([paragraph] * 40)[:10_000]
    assert code_blocks(text) == []


def test_marker_prefilter_never_skips_a_match():
    """A marker is skipped only when a string every match must contain is absent."""
    from copyguard.normalize.detect import languages, marker_found

    texts = [s for _, s in SNIPPETS] + PROSE
    for lang in languages():
        for m in lang.markers:
            assert m.needs is None or all(m.needs), m.pattern.pattern
            for text in texts:
                if marker_found(m.pattern, m.boundary, text) and m.needs is not None:
                    assert any(s in text for s in m.needs), (lang.name, m.pattern.pattern, text)


def test_a_dense_untagged_fence_gets_its_best_guess_but_fenced_prose_does_not():
    from copyguard.normalize.detect import guess_fenced

    js = "const a = b.map(x => x * 2);\nif (a.length > 3) { f(a[0]); }\n"
    assert guess_fenced(js) in ("javascript", "typescript")
    assert guess_fenced("Four score and seven years ago our fathers brought forth a new nation.") is None


# --- code pasted without fences: real snippets that came out as prose or as another language ---------------------

INTRO, OUTRO = "Sure! Here is one way to do it:\n\n", "\n\nLet me know if you want me to explain any part of it.\n"


def _one_block(code: str) -> tuple[str, str]:
    text = INTRO + code + OUTRO
    found = code_blocks(text)
    assert len(found) == 1, found
    start, end, lang = found[0]
    return text[start:end], lang


def test_a_python_function_whose_lines_read_as_prose_is_one_block():
    # google-auth's _helpers.copy_docstring: the `raise` line (words, a message, few symbols) used to end the run
    code = '''def decorator(method):
    """Decorator implementation.

    Args:
        method (Callable): The method to copy the docstring to.

    Returns:
        Callable: the same method passed in with an updated docstring.

    Raises:
        google.auth.exceptions.InvalidOperation: if the method already has a docstring.
    """
    if method.__doc__:
        raise exceptions.InvalidOperation("Method already has a docstring.")

    source_method = getattr(source_class, method.__name__)
    method.__doc__ = source_method.__doc__

    return method'''
    assert _one_block(code) == (code, "python")


def test_a_call_and_a_signature_cut_over_lines_stay_in_their_block():
    # networkx's signature style and a call whose arguments run over several lines
    code = '''def graph_edit_distance(
    G1,
    G2,
    node_match=None,
    timeout=None,
):
    return all(
        self.one_hop(
            Gx,
            s,
        )
        for s in succ
    )'''
    assert _one_block(code) == (code, "python")


def test_a_module_of_imports_and_all_is_code():
    # xarray/typing.py as a raw file: its docstring diluted the punctuation, its lists were prose lines
    code = '''"""
Public typing utilities for use by external libraries.
"""

from xarray.computation.rolling import (
    DataArrayCoarsen,
    DataArrayRolling,
    DatasetRolling,
)
from xarray.computation.weighted import DataArrayWeighted, DatasetWeighted, Weighted
from xarray.core.groupby import DataArrayGroupBy
from xarray.core.resample import DataArrayResample

__all__ = [
    "DataArrayCoarsen",
    "DataArrayGroupBy",
    "DataArrayResample",
    "DataArrayRolling",
    "DataArrayWeighted",
    "DatasetRolling",
    "DatasetWeighted",
    "Weighted",
]'''
    assert code_blocks(code) == [(0, len(code), "python")]


def test_a_string_opened_inside_a_code_line_does_not_turn_the_rest_into_comments():
    # google-auth's _default.py: `X = """\` used to be read as code, and its closing quotes as a docstring's opening
    code = '''_LOGGER = logging.getLogger(__name__)

# Help message when no credentials can be found.
_CLOUD_SDK_MISSING_CREDENTIALS = """\\
Your default credentials were not found. To set up Application Default Credentials, \\
see https://cloud.google.com/docs/authentication/external/set-up-adc for more information.\\
"""

def _warn_about_problematic_credentials(credentials):
    from google.auth import _cloud_sdk

    if credentials.client_id == _cloud_sdk.CLOUD_SDK_CLIENT_ID:
        warnings.warn(_CLOUD_SDK_CREDENTIALS_WARNING)'''
    assert _one_block(code) == (code, "python")


JS_MEMBERS = [
    # class members pasted without their class (commander, undici): parsed as C, Java or Bash before
    "padWidth(cmd, helper) {\n  return Math.max(\n    helper.longestOptionTermLength(cmd, helper),\n"
    "    helper.longestSubcommandTermLength(cmd, helper),\n    helper.longestArgumentTermLength(cmd, helper)\n  );\n}",
    "allowUnknownOption(allowUnknown = true) {\n  this._allowUnknownOption = !!allowUnknown;\n  return this;\n}",
    "onResponseData (controller, chunk) {\n  if (this.#decompressors.length > 0) {\n"
    "    if (!this.#decompressors[0].write(chunk)) {\n      this.#inputBackpressured = true\n"
    "      this.#pauseUpstream()\n    }\n    return\n  }\n  return super.onResponseData(this.#controller, chunk)\n}",
    "destroy () {\n  if (this.socket && !this.socket.destroyed) {\n    this.socket.destroy()\n  }\n}",
    # node-forge: a method assigned to a prototype (the function has no name)
    "/**\n * Gets the last byte without modifying the read pointer.\n *\n * @return the last byte.\n */\n"
    "util.DataBuffer.prototype.last = function() {\n  return this.data.getUint8(this.write - 1);\n};",
]


@pytest.mark.parametrize("code", JS_MEMBERS, ids=range(len(JS_MEMBERS)))
def test_javascript_methods_without_their_class(code):
    from copyguard.normalize.detect import guess_fenced

    assert guess_fenced(code) == "javascript"  # in a fence without a tag
    assert _one_block(code) == (code, "javascript")  # without a fence


JAVA_MEMBERS = [
    # methods without their class (OpenJDK, React Native): detected as C before
    "public void clear() {\n    synchronized (lock) {\n        setArray(new Object[0]);\n    }\n}",
    "static final int getProbe() {\n    return U.getInt(Thread.currentThread(), PROBE);\n}",
    "public @Nullable ReactContext getCurrentReactContext() {\n  synchronized (mReactContextLock) {\n"
    "    return mCurrentReactContext;\n  }\n}",
    "/**\n * Gets first valid node, unlinking deleted nodes if encountered.\n * @return first node or null if empty\n */\n"
    "final Node<K,V> findFirst() {\n    Node<K,V> b, n;\n    if ((b = baseHead()) != null) {\n"
    "        while ((n = b.next) != null) {\n            if (n.val == null)\n                unlinkNode(b, n);\n"
    "            else\n                return n;\n        }\n    }\n    return null;\n}",
]


@pytest.mark.parametrize("code", JAVA_MEMBERS, ids=range(len(JAVA_MEMBERS)))
def test_java_methods_without_their_class(code):
    from copyguard.normalize.detect import guess_fenced

    assert guess_fenced(code) == "java"
    assert _one_block(code) == (code, "java")


def test_a_java_signature_cut_over_lines_starts_the_block():
    # OpenJDK's ConcurrentHashMap: the signature's first lines were prose, the continuation `(null, ...` too
    code = '''/**
 * Returns the result of accumulating the given transformation
 * of all keys using the given reducer to combine values, or
 * null if none.
 *
 * @param parallelismThreshold the (estimated) number of elements
 * needed for this operation to be executed in parallel
 * @return the result of accumulating the given transformation
 * of all keys
 * @since 1.8
 */
public <U> U reduceKeys(long parallelismThreshold,
                        Function<? super K, ? extends U> transformer,
     BiFunction<? super U, ? super U, ? extends U> reducer) {
    if (transformer == null || reducer == null)
        throw new NullPointerException();
    return new MapReduceKeysTask<K,V,U>
        (null, batchFor(parallelismThreshold), 0, 0, table,
         null, transformer, reducer).invoke();
}'''
    assert _one_block(code) == (code, "java")


def test_a_ternary_branch_is_no_typescript_annotation():
    # lodash's escape: `: string;` on a ternary's last line made it TypeScript, whose builtins keep the name `string`
    code = ("function escape(string) {\n  string = toString(string);\n"
            "  return (string && reHasUnescapedHtml.test(string))\n    ? string.replace(reUnescapedHtml, escapeHtmlChar)\n"
            "    : string;\n}")
    assert detect_language(code) == "javascript"


def test_prose_that_follows_code_is_not_swallowed():
    code = ("def area(radius):\n    if radius < 0:\n        raise ValueError(\"negative radius\")\n"
            "    return 3.14159 * radius ** 2")
    text = f"{INTRO}{code}\n\nThe function raises an error for a negative radius, as you asked.\nThanks,\nAnn\n"
    found = code_blocks(text)
    assert [(text[s:e], lang) for s, e, lang in found] == [(code, "python")]


def test_an_example_fenced_inside_a_docstring_does_not_cut_the_code():
    # httpx's _exceptions.py pasted as it is: the ``` lines of its docstring's example were taken for fences
    from copyguard.normalize.markdown import blocks

    code = '''class HTTPError(Exception):
    """
    Base class for `RequestError` and `HTTPStatusError`.

    For example:

    ```
    try:
        response = httpx.get("https://www.example.com")
        response.raise_for_status()
    except httpx.HTTPError as exc:
        print(f"HTTP Exception for {exc.request.url} - {exc}")
    ```
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self._request: Request | None = None
'''
    assert [(b.kind, b.lang, code[b.start:b.end]) for b in blocks(code)][0] == ("code", "python", code.rstrip())
    listed = "Steps:\n\n1. Install it:\n\n    ```bash\n    pip install httpx\n    ```\n\n2. Done.\n"
    assert [(b.kind, b.lang) for b in blocks(listed)] == [("prose", None), ("code", "bash"), ("prose", None)]


def test_readme_prose_between_indented_examples_stays_prose():
    # node-forge's and cordova-plugin-media-capture's READMEs: a sentence full of link brackets (neither
    # code nor prose by its punctuation) joined two indented examples into one block; a heading led into code
    from copyguard.normalize.markdown import blocks

    text = ("Try 'dots', 'progress', or 'tap'.\n\n    npm run test-karma -- --reporters progress\n\n"
            "By default [webpack][] is used. [Browserify][] can also be used.\n\n"
            "    BUNDLER=browserify npm run test-karma\n\n### Example\n\n    // capture callback\n"
            "    var captureSuccess = function(mediaFiles) {\n        var i, path, len;\n    };\n")
    sentence, heading = text.index("By default"), text.index("### Example")
    for b in blocks(text):
        if b.kind == "code":
            assert not b.start <= sentence < b.end and not b.start <= heading < b.end, text[b.start:b.end]
    assert [b.lang for b in blocks(text) if b.kind == "code"] == ["javascript"]


# The one regex ``looks_like_code`` replaced (searched over a line), kept here as its reference.
_CODE_LINE_REFERENCE = re.compile(
    r"""[;{}]\s*$|^\s*[}\])]|^\s*(?:\#include|\#!|@\w+|import\s+[\w.{*]|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import
    |(?:async\s+)?def\s+\w+\s*\(|class\s+\w+|(?:export\s+)?(?:async\s+)?function\b|fn\s+\w+
    |func\s|package\s+\w+|using\s+[\w.]+;|(?:public|private|protected|static)\s+\w+
    |(?:const|let|var)\s+\w+\s*=|return\b|(?:if|for|while|elif|else|switch|try|except|catch)\b.*[:{(]
    |print\w*\s*\(|console\.\w+\(|echo\s|end\s*$|\$\s+\w)
    |\w+\s*(?:=|\+=|-=|:=|==|!=|=>|->)\s*\S|\)\s*:\s*$|^\s*\w+(?:\.\w+)*\(.*\)\s*;?\s*$""",
    re.VERBOSE | re.MULTILINE,
)


def _real_lines() -> list[str]:
    """Lines of real code and prose: this package's sources, the standard library's, the sample corpus and answer."""
    import json
    import textwrap

    import copyguard

    roots = [Path(copyguard.__file__).parent, Path(json.__file__).parent, Path(textwrap.__file__).parent / "email"]
    texts = [p.read_text(encoding="utf-8", errors="replace") for root in roots for p in sorted(root.rglob("*"))
             if p.is_file() and p.suffix in (".py", ".md", ".toml", ".pyx", ".h", ".txt")]
    return [line for text in texts for line in text.splitlines(keepends=True)]


def test_looks_like_code_equals_the_one_regex_it_replaced():
    lines = _real_lines()
    tricky = ["x=1", "export * from './a'\n", "export type { A } from 'b'", "export {\n", "exports {", "  a.b.c(d)  ;\n", "foo_bar == baz\r\n", "éléphant => x", "end\n", "   }\n", "(a)", "__ = _",
              "ab\u2028", "x\x0b", "\tcd := 4\x1c", "word word word word.\n", "if (x) {", "def f(:\n", ""]
    rng = random.Random(7)
    alphabet = "ab_9 \t=+-:!<>(){}[];.$#@\n\r\u00e9\u2028"
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    candidates = lines + tricky + [line for text in fuzz for line in text.splitlines(keepends=True)]
    assert len(lines) > 20000
    mismatched = [line for line in candidates if looks_like_code(line) != bool(_CODE_LINE_REFERENCE.search(line))]
    assert mismatched == []
    assert sum(map(looks_like_code, lines)) > 1000  # both answers occur


# ``detect._HINT`` as one regex, before its first alternative became string methods (``detect._hint``).
_HINT_REFERENCE = re.compile(
    r"""(?:.*[;{}][ \t]*$|[ \t]*(?:[}\])]|\#include|\#!/|def\s+\w+\s*\(|class\s+\w+.*[:{][ \t]*$
    |import\s+[\w.]+|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import|function\s+\w*\s*\(|fn\s+\w+|func\s+\w+
    |package\s+\w+|(?:public|private|static)\s+\w+|(?:const|let|var)\s+\w+\s*=|return\b|\$\s+\w
    |\w+(?:\.\w+)*\s*(?:=|\+=|:=)\s*[\w\[{("'-]|\w+(?:\.\w+)*\(.*\)[ \t]*$))""",
    re.VERBOSE,
)


def test_hints_equal_the_one_regex_they_replaced():
    """On texts of real lines, tricky ones and fuzz (line breaks of every kind inside), line by line as before."""
    from copyguard.normalize.detect import hints_at_code

    lines = _real_lines()
    texts = ["".join(lines[i : i + 7]) for i in range(0, len(lines), 7)]
    texts += ["export * from './a'\n", "export { a,\n", "x;", "x; \t\n", "x;\r\n", "x;\r", "x;\n\n", "a\nb;", "a;\nb", "{", "}\n", " \t\n", "\n", "", ";\x0b",
              "x;\u2028y", "return;\n", "   ] end", "words, and more words.\n", "x = {\n  \n", "a;\x85", "a;\x0cb"]
    rng = random.Random(11)
    alphabet = "ab_9 \t=+:({[]});.$#\n\r\x0b\x1c\x85\u2028"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(20000)]

    def reference(text: str) -> bool:
        return any(_HINT_REFERENCE.match(line) for line in text.splitlines(keepends=True))

    mismatched = [text for text in texts if hints_at_code(text, text.splitlines(keepends=True)) != reference(text)]
    assert mismatched == []
    hinted = [hints_at_code(text, text.splitlines(keepends=True)) for text in texts[:3000]]
    assert 100 < sum(hinted) < 2900  # both answers occur


def test_reads_as_prose_equals_the_counts_it_replaced():
    """``code.reads_as_prose`` stops at the third word instead of listing every word of the text (~1,000
    characters of code before a docstring's quotes): the same answers on real texts, tricky ones and fuzz."""
    from copyguard.normalize.code import reads_as_prose

    symbols = re.compile(r"[{}()\[\];=<>$#*&|:+\-/\\]")
    words = re.compile(r"[^\W_]+")

    def reference(text: str) -> bool:
        visible = len(text) - sum(text.count(c) for c in " \t\n")
        return len(words.findall(text)) >= 3 and len(symbols.findall(text)) < 0.04 * max(visible, 1)

    lines = _real_lines()
    texts = lines[::3] + ["".join(lines[i : i + 9]) for i in range(0, len(lines), 9)]
    rng = random.Random(13)
    alphabet = "ab_9 \t\n{}()[];=<>$#*&|:+-/\\.,\u00e9\u4e2d\U0001f600"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20000)]
    texts += ["", "a b", "a b c", "a b c {", "one two three " + "x" * 80 + "{{", "\ud800 a b c", "_ _ _ a b"]
    assert [t for t in texts if reads_as_prose(t) != reference(t)] == []
    assert 1000 < sum(map(reference, texts)) < len(texts) - 1000  # both answers occur


def test_marker_scores_counts_each_languages_markers():
    """Against a count made here from ``languages()`` (each marker searched, word boundary checked by hand)."""
    def reference(text: str) -> dict[str, int]:
        def found(m) -> bool:
            return any(not m.boundary or i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
                       for i in (x.start() for x in m.pattern.finditer(text)))
        own = {lang.name: sum(found(m) for m in lang.markers) for lang in languages()}
        parents = {lang.name: lang.parent for lang in languages()}
        out = {}
        for name, n in own.items():
            total, parent = n, parents[name]
            while parent is not None and n:
                if parents.get(parent) is not None and not own.get(parent):
                    n = 0
                total += own.get(parent, 0)
                parent = parents.get(parent)
            if n:
                out[name] = total
        return out

    lines = _real_lines()
    texts = ([text for _, text in SNIPPETS] + ["The cat sat on the mat.", ""] + lines[:3000:100]
             + ["".join(lines[i : i + 150]) for i in range(0, 6000, 300)])
    for text in texts:
        expected = reference(text[:4000])
        assert marker_scores(text) == expected
        assert list(marker_scores(text)) == list(expected)
        assert marker_scores(text) == expected  # again, from the cache of recent texts
    scores = marker_scores(SNIPPETS[0][1])
    scores.clear()  # the caller's copy: the cache is not touched
    assert marker_scores(SNIPPETS[0][1]) == reference(SNIPPETS[0][1])


def test_an_untagged_fence_holding_a_bare_method_is_the_language_of_its_head():
    """``count() {`` under a doc comment is a JavaScript method's head and no Java method's (a Java method has a
    return type); ``.length`` alone made it Java. A Java constructor (``public Exchanger() {``: a TypeScript head too)
    stays Java."""
    from copyguard.normalize.detect import guess_fenced

    method = "/**\n * Returns the number of items.\n */\ncount() {\n\n\treturn this.items.length;\n\n}"
    assert guess_fenced(method) == "javascript"
    ctor = "/**\n * Creates a new Exchanger.\n */\npublic Exchanger() {\n    participant = new Participant();\n}"
    assert guess_fenced(ctor) == "java"


def test_a_data_table_cut_inside_its_brackets_is_python():
    # rich's _emoji_codes.py / _versions.py and seaborn's crayons.py as raw files (the first 100 lines: the table is cut
    # open); tuning analogs: pint's babel_names.py (was Bash), networkx's centrality/__init__.py (was no code)
    table = "EMOJI = {\n" + "".join(f'    "name_{i}": "\U0001f947",\n' for i in range(60))
    assert code_blocks(table) == [(0, len(table.rstrip()), "python")]
    versions = "VERSIONS = (\n" + "".join(f'    "{i}.0.0",\n' for i in range(4, 40))
    assert code_blocks(versions) == [(0, len(versions.rstrip()), "python")]
    crayons = "crayons = {'Almond': '#EFDECD',\n" + "".join(f"           'Name {i}': '#{i:06X}',\n" for i in range(50))
    assert code_blocks(crayons) == [(0, len(crayons.rstrip()), "python")]
    styles = ("from typing import Dict\n\nfrom .style import Style\n\nDEFAULT_STYLES: Dict[str, Style] = {\n"
              + "".join(f'    "s{i}": Style(bold=True, color="red"),\n' for i in range(40)))
    assert code_blocks(styles) == [(0, len(styles.rstrip()), "python")]
    stars = "".join(f"from .mod{i} import *\n" for i in range(20))
    assert code_blocks(stars) == [(0, len(stars.rstrip()), "python")]


def test_a_barrel_file_is_javascript():
    # three.js's Geometries.js (reporting); tuning analogs: mobx's internal.ts, query-core's index.ts (no semicolons)
    for end in (";", ""):
        barrel = "".join(f"export * from './geometries/G{i}Geometry.js'{end}\n" for i in range(20))
        barrel += "export { Shape, Path as P } from './Shape.js'" + end + "\n"
        assert code_blocks(barrel) == [(0, len(barrel.rstrip()), "javascript")]


def test_closing_a_cut_table_does_not_read_prose_as_code():
    prose = ("The table (which lists every emoji, its name and its code point [as of Unicode 15] is long.\n"
             "Values = (the first, the second and the third) are listed in order {as below}.\n")
    assert detect_language(prose) is None and code_blocks(prose) == []


def test_compiled_line_kinds_equal_the_python_ones():
    """The compiled classifier (``_lines.h``) against ``_line_kind`` and ``hints_at_code`` (``compiled.reference()``),
    bit for bit: real lines alone and in texts, and fuzz made of the regexes' own keywords, operators, and every
    kind of space, line break, letter and digit a str regex knows."""
    from collections import Counter

    from copyguard import compiled
    from copyguard.normalize.detect import line_kinds

    assert compiled.core() is not None, "copyguard._core is not built or is stale: run pip install -e ."
    lines = _real_lines()
    joined = ["".join(lines[i : i + 7]) for i in range(0, len(lines), 7)]
    texts = lines[::2] + joined
    tokens = ["def", "class", "import", "from", "async", "export", "type", "function", "fn", "func", "package", "using", "public",
              "private", "protected", "static", "const", "let", "var", "return", "if", "for", "while", "elif", "else",
              "switch", "try", "except", "catch", "print", "printf", "console.log", "console.", "echo", "end",
              "#include", "#!/", "#!", "@", "$", "x", "a.b", "foo_1", "\u00e9", "\u0663", "_", "the", "cat", "sat", "on",
              "=", "+=", "-=", ":=", "==", "!=", "=>", "->", "(", ")", "[", "]", "{", "}", ";", ":", ".", ",", "!", "?",
              "*", "&", "|", "<", ">", "/", "\\", "%", "'", '"', "-", "+", "```", "~~~", "`", " ", " ", "  ", "\t",
              "\x0c", "\x0b", "\r", "\n", "\n", "\r\n", "\x85", "\u2028", "\xa0", "\u3000", "\x1c", "\x1f", "1",
              "\u00b2", "\u216b", "\u00df", "\u4e2d", "\U0001f600", "..."]
    rng = random.Random(17)
    texts += ["".join(rng.choice(tokens) + rng.choice(("", " ")) for _ in range(rng.randint(1, 30)))
              for _ in range(20000)]
    texts += [" ".join(rng.choice(tokens) for _ in range(rng.randint(1, 90))) for _ in range(3000)]
    for always in (True, False):
        got = [line_kinds(text, always) for text in texts]
        with compiled.reference():
            want = [line_kinds(text, always) for text in texts]
        assert [text for text, a, b in zip(texts, got, want) if a != b] == []
    counts = Counter(kind for kinds in want for kind in kinds or ["none"])
    assert min(counts[k] for k in ("blank", "fence", "code", "prose", "weak", "none")) > 200, counts  # every answer occurs
    some = joined[::15] + texts[-3000::10]
    got = [code_blocks(text) for text in some]
    with compiled.reference():
        assert [code_blocks(text) for text in some] == got
    assert sum(map(len, got)) > 20


def test_the_marker_needs_file_is_current():
    """``NEEDS_FILE`` holds ``needed_strings`` of every bundled grammar's markers and rejects, so that a process's
    first check of unfenced code parses none of them (after changing a grammar's markers: ``write_marker_needs()``)."""
    import json

    from copyguard.normalize.detect import NEEDS_FILE, marker_needs

    stored = {source: None if needs is None else tuple(needs)
              for source, needs in json.loads(NEEDS_FILE.read_text(encoding="utf-8")).items()}
    assert stored == marker_needs(), "stale: run copyguard.normalize.detect.write_marker_needs()"
    assert len(stored) > 150
    first = next(lang for lang in languages() if lang.markers).markers[0]
    assert first.needs == stored[first.source] and first.pattern.pattern == first.source
