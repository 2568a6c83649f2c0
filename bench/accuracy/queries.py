"""Queries: protected code and prose reaching a user the way copies really do, inside chat-style answers.

Each query names its true source (``None`` for a negative). Code is cut into
functions (Python by ``ast``, JavaScript by tree-sitter); renaming is done by
third-party tools (python-minifier + black, terser + prettier, see
``tools.py``); prose edits use a seeded RNG, so a run is reproducible.
"""

from __future__ import annotations

import ast
import random
import re
import textwrap
from dataclasses import dataclass

from data import Doc

FENCE = {"python": "python", "javascript": "javascript", "text": ""}
INTROS = [
    "Sure! Here is one way to do it:",
    "Here's an implementation you can start from.",
    "You can write it like this:",
    "The following code does what you asked:",
    "Good question. A common approach looks like this:",
]
OUTROS = [
    "Let me know if you want me to explain any part of it.",
    "This should work for most inputs; add tests for the edge cases.",
    "Hope this helps!",
    "You may want to adapt the names to your code base.",
]


@dataclass(frozen=True)
class Query:
    id: str
    kind: str  # transformation name
    lang: str  # language of the copied content: python, javascript, text
    text: str  # the whole answer
    source: str | None  # true source id (None: negative)
    body: str  # the copied content alone (after transformation), for the pairwise peers


# --- units of code and prose ---------------------------------------------------


def python_defs(text: str) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]]:
    """Every function of ``text`` with its source (decorators included, dedented); none if it does not parse."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.splitlines()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            out.append((node, textwrap.dedent("\n".join(lines[start - 1 : node.end_lineno]))))
    return out


def python_functions(doc: Doc, min_lines: int = 8, max_lines: int = 80) -> list[str]:
    return [code for _, code in python_defs(doc.text) if min_lines <= len(code.splitlines()) <= max_lines]


def javascript_functions(doc: Doc, min_lines: int = 8, max_lines: int = 80) -> list[str]:
    """Top-level-parseable functions: declarations and ``x.y = function (...) {...}`` statements."""
    import tree_sitter
    import tree_sitter_javascript

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
    src = doc.text.encode("utf-8")
    tree = parser.parse(src)
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        take = node.type == "function_declaration"
        if node.type == "expression_statement" and node.named_children:
            child = node.named_children[0]
            take = child.type == "assignment_expression" and child.child_by_field_name("right") is not None \
                and child.child_by_field_name("right").type == "function_expression"
        if take:
            n = node.end_point[0] - node.start_point[0] + 1
            if min_lines <= n <= max_lines:
                line_start = src.rfind(b"\n", 0, node.start_byte) + 1
                text = src[line_start : node.end_byte].decode("utf-8")
                out.append(textwrap.dedent(text))
    return out


def functions(doc: Doc) -> list[str]:
    return python_functions(doc) if doc.lang == "python" else javascript_functions(doc)


def paragraphs(entry: str, min_words: int = 40, max_words: int = 160) -> list[str]:
    """Body paragraphs of a Jargon entry, whitespace-normalized (the headword line is skipped)."""
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", entry)[1:]]
    return [p for p in paras if min_words <= len(p.split()) <= max_words]


# --- wrapping ------------------------------------------------------------------


def wrap(rng: random.Random, content: str, fence: str | None, filler: list[str]) -> str:
    """A chat answer: intro, some unrelated prose, the content (fenced when ``fence`` is not None), outro."""
    parts = [rng.choice(INTROS)]
    if filler and rng.random() < 0.5:
        parts.append(rng.choice(filler))
    parts.append(f"```{fence}\n{content.rstrip()}\n```" if fence is not None else content)
    parts.append(rng.choice(OUTROS))
    return "\n\n".join(parts) + "\n"


# --- code transformations ------------------------------------------------------------


def truncate(code: str, n: int = 20) -> str:
    return "\n".join(code.splitlines()[:n])


def embed(rng: random.Random, code: str, other: list[str]) -> str:
    """The function in the middle of a longer block of unrelated code of the same language."""
    before, after = rng.choice(other), rng.choice(other)
    return f"{truncate(before, 15)}\n\n\n{code}\n\n\n{truncate(after, 15)}"


def add_remove(rng: random.Random, code: str, lang: str, rate: float = 0.1) -> str:
    """Delete about ``rate`` of the simple statement lines and insert as many logging statements."""
    lines = code.splitlines()
    out = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        nxt_indent = len(nxt) - len(nxt.lstrip())
        simple = (i > 0 and stripped and not stripped.endswith((":", "{", "(", "[", ",", "\\"))
                  and not stripped.startswith(("}", ")", "]", "@", "return", "else", "elif", "except", "finally",
                                               "#", "//", "/*", "*", "def ", "function"))
                  and nxt_indent <= len(indent) and stripped.count("(") == stripped.count(")"))
        if simple and rng.random() < rate:
            continue
        continues = ("else", "elif", "except", "finally", "}", ")", "]", "*", "case", "default")
        if i > 0 and stripped and rng.random() < rate and not stripped.startswith(continues):
            if lang == "python":
                out.append(f'{indent}logger.debug("step {i}: %r", locals().get("result"))')
            else:
                out.append(f'{indent}console.log("step {i}");')
        out.append(line)
    return "\n".join(out)


class _Renamer(ast.NodeTransformer):
    """Rename a function's parameters and local variables to other, consistent, plausible names."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.map: dict[str, str] = {}

    def _new(self, name: str) -> str:
        if name not in self.map and name not in ("self", "cls"):
            self.map[name] = self.rng.choice(["val", "item", "node", "tmp", "arg", "data", "elem", "obj"]) + \
                f"_{len(self.map)}"
        return self.map.get(name, name)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self._new(node.arg)
        return node

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Store):
            node.id = self._new(node.id)
        elif node.id in self.map:
            node.id = self.map[node.id]
        return node


def rename_python(rng: random.Random, code: str) -> str | None:
    """Locals and parameters renamed (two passes so uses before a store follow), re-printed by ``ast.unparse``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    r = _Renamer(rng)
    r.visit(tree)
    tree = ast.parse(ast.unparse(tree))
    r.visit(tree)  # second pass: loads that preceded their store in the walk
    return ast.unparse(tree)


def rename_javascript(rng: random.Random, code: str) -> str:
    """Parameters and declared variables renamed consistently (tree-sitter identifiers, not properties)."""
    return rename_braced(rng, code, "javascript") or code


_DECLARING = {"formal_parameters", "variable_declarator", "assignment_pattern", "rest_pattern",
              "formal_parameter", "required_parameter", "optional_parameter", "catch_formal_parameter",
              "enhanced_for_statement", "spread_parameter"}


def rename_braced(rng: random.Random, code: str, lang: str) -> str | None:
    """Parameters and local variables renamed consistently (tree-sitter identifiers; comments kept)."""
    from copyguard.normalize import grammars

    src = code.encode("utf-8")
    root = grammars.parser(grammars.get(lang)).parse(src).root_node
    declared, idents, stack = set(), [], [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type == "identifier":
            idents.append(node)
            parent = node.parent
            if parent is not None and parent.type in _DECLARING:
                declared.add(node.text.decode())
    if not declared:
        return None
    mapping = {name: rng.choice(["val", "item", "node", "tmp", "arg", "ref"]) + f"{i}"
               for i, name in enumerate(sorted(declared))}
    edits = sorted((n.start_byte, n.end_byte, mapping[n.text.decode()]) for n in idents if n.text.decode() in mapping)
    out, pos = [], 0
    for a, b, new in edits:
        out.append(src[pos:a].decode("utf-8"))
        out.append(new)
        pos = b
    out.append(src[pos:].decode("utf-8"))
    return "".join(out)


# --- prose transformations ----------------------------------------------------------

HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
              "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С", "T": "Т", "H": "Н", "B": "В", "M": "М"}
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def reflow(rng: random.Random, text: str) -> str:
    return textwrap.fill(text, width=rng.choice([40, 55, 100]))


def zero_width(rng: random.Random, text: str) -> str:
    out = []
    for ch in text:
        out.append(ch)
        if ch.isalpha() and rng.random() < 0.15:
            out.append(rng.choice(ZERO_WIDTH))
    return "".join(out)


def homoglyphs(rng: random.Random, text: str) -> str:
    return "".join(HOMOGLYPHS[ch] if ch in HOMOGLYPHS and rng.random() < 0.5 else ch for ch in text)


def word_edits(rng: random.Random, text: str, rate: float, vocab: list[str]) -> str:
    """Substitute, insert or delete ``rate`` of the words (each operation equally likely)."""
    out = []
    for w in text.split():
        if rng.random() >= rate:
            out.append(w)
            continue
        op = rng.randrange(3)
        if op == 0:
            out.append(rng.choice(vocab))
        elif op == 1:
            out.extend([w, rng.choice(vocab)])
    return " ".join(out)
