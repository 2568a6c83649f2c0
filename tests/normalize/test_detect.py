"""Language detection of untagged snippets and of code pasted into prose."""

from __future__ import annotations


import pytest

from copyguard.normalize.detect import code_blocks, detect_language, marker_scores

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
    from copyguard.normalize.detect import marker_found, languages

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
