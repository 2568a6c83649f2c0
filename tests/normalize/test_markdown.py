"""Segmentation of model output into prose and code (fences, aliases, unfenced code)."""

from __future__ import annotations

import types

import pytest

import copyguard.normalize as normalize_pkg
from copyguard.normalize.markdown import Block, blocks, fence_tag

PY = "def add(a, b):\n    return a + b\n"


def _looks_like_python(body: str) -> str | None:
    return "python" if "def " in body or "print(" in body else None


def _unfenced_def_blocks(prose: str) -> list[tuple[int, int, str]]:
    """Fake ``code_blocks``: every run of lines starting at a 'def ' line up to a blank line."""
    out, pos = [], 0
    while (i := prose.find("def ", pos)) != -1:
        end = prose.find("\n\n", i)
        end = len(prose) if end == -1 else end + 1
        out.append((i, end, "python"))
        pos = end
    return out


@pytest.fixture
def fake_detect(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A deterministic stand-in for ``copyguard.normalize.detect`` (that module is tested on its own)."""
    fake = types.SimpleNamespace(detect_language=_looks_like_python, guess_fenced=_looks_like_python,
                                 code_blocks=lambda prose: [])
    monkeypatch.setattr(normalize_pkg, "detect", fake, raising=False)
    monkeypatch.setitem(__import__("sys").modules, "copyguard.normalize.detect", fake)
    return fake


def _covered(text: str, segs: list[Block]) -> None:
    """Segments are ordered, disjoint, and everything between them is fence lines."""
    pos = 0
    for s in segs:
        assert pos <= s.start < s.end <= len(text)
        gap = text[pos : s.start]
        assert all(line.lstrip(" \t")[:3] in ("```", "~~~") for line in gap.splitlines()), gap
        pos = s.end
    gap = text[pos:]
    assert all(line.lstrip(" \t")[:3] in ("```", "~~~") for line in gap.splitlines()), gap


def _shape(text: str) -> list[tuple[str, str | None, str]]:
    segs = blocks(text)
    _covered(text, segs)
    return [(s.kind, s.lang, text[s.start : s.end]) for s in segs]


def test_empty_input() -> None:
    assert blocks("") == []


def test_prose_only(fake_detect) -> None:
    text = "Plain answer with `inline code` and ```inline triple``` spans.\nSecond line."
    assert blocks(text) == [Block(0, len(text), "prose", None)]


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("python", "python"), ("py", "python"), ("js", "javascript"), ("c++", "cpp"),
     ("golang", "go"), ("C#", "c_sharp"), ("{.rust .numberLines}", "rust"), ("ts title=a.ts", "typescript")],
)
def test_tagged_fence_and_aliases(fake_detect, tag: str, lang: str) -> None:
    text = f"Here:\n```{tag}\nx = 1\n```\nBye."
    assert _shape(text) == [("prose", None, "Here:\n"), ("code", lang, "x = 1\n"), ("prose", None, "Bye.")]


def test_tilde_fence_and_indentation(fake_detect) -> None:
    text = "Steps:\n1. Add it:\n   ~~~~ python\n   x = 1\n   ~~~~\n2. Done\n"
    assert _shape(text) == [
        ("prose", None, "Steps:\n1. Add it:\n"), ("code", "python", "   x = 1\n"), ("prose", None, "2. Done\n"),
    ]


def test_closing_fence_must_match_char_and_length(fake_detect) -> None:
    text = "````md\nUse:\n```py\nprint(1)\n```\n~~~~\n````\nafter"
    # the inner ``` lines and the ~~~~ line are code body lines of the ```` block
    shape = _shape(text)
    assert shape[-1] == ("prose", None, "after")
    assert shape[0] == ("code", "python", "Use:\n```py\nprint(1)\n```\n~~~~\n")


def test_lines_that_do_not_close_a_fence(fake_detect) -> None:
    deep = "```py\ns = \"\"\"\n      ```\n\"\"\"\n```\nend"
    assert _shape(deep)[0] == ("code", "python", 's = """\n      ```\n"""\n')
    info = "```py\nx\n```not a close\ny\n```\nend"
    assert _shape(info) == [("code", "python", "x\n```not a close\ny\n"), ("prose", None, "end")]
    short = "````py\nx\n```\n````"
    assert _shape(short) == [("code", "python", "x\n```\n")]


def test_untagged_fence_uses_detection(fake_detect) -> None:
    text = "Code:\n```\n" + PY + "```\nText:\n```\nJust a quoted sentence.\n```\nEnd"
    assert _shape(text) == [
        ("prose", None, "Code:\n"), ("code", "python", PY),
        ("prose", None, "Text:\n```\nJust a quoted sentence.\n```\nEnd"),
    ]


def test_unknown_tag_is_code_with_detected_or_no_language(fake_detect) -> None:
    assert _shape("```weird\nprint(2)\n```")[0] == ("code", "python", "print(2)\n")
    assert _shape("```json\n{\"a\": 1}\n```") == [("code", None, '{"a": 1}\n')]
    assert _shape("```text\nhello there\n```") == [("prose", None, "```text\nhello there\n```")]


def test_unterminated_fence_runs_to_the_end(fake_detect) -> None:
    text = "Look:\n```python\n" + PY + "\n# more"
    assert _shape(text) == [("prose", None, "Look:\n"), ("code", "python", PY + "\n# more")]


def test_code_only_and_crlf(fake_detect) -> None:
    text = "```go\r\nfunc main() {}\r\n```\r\n"
    assert _shape(text) == [("code", "go", "func main() {}\r\n")]
    assert _shape("```py\n```") == []  # empty body: only fence lines


def test_unfenced_code_splits_the_prose(fake_detect, monkeypatch) -> None:
    monkeypatch.setattr(fake_detect, "code_blocks", _unfenced_def_blocks)
    text = "Try this:\n" + PY + "\nThen ```js``` and finally\n" + PY
    # "```js```" is an inline span: its info string holds backticks
    assert _shape(text) == [
        ("prose", None, "Try this:\n"), ("code", "python", PY),
        ("prose", None, "\nThen ```js``` and finally\n"), ("code", "python", PY),
    ]


def test_unfenced_code_offsets_are_relative_to_each_prose_run(fake_detect, monkeypatch) -> None:
    monkeypatch.setattr(fake_detect, "code_blocks", _unfenced_def_blocks)
    text = "```rust\nfn f() {}\n```\nprose then\n" + PY
    assert _shape(text) == [("code", "rust", "fn f() {}\n"), ("prose", None, "prose then\n"), ("code", "python", PY)]


def test_fence_tag_parsing() -> None:
    assert fence_tag("Python") == "python"
    assert fence_tag("language-js") == "js"
    assert fence_tag("python:app.py") == "python"
    assert fence_tag("   ") is None


def test_long_prose_with_one_fence(fake_detect) -> None:
    text = ("A sentence of ordinary prose, with `code` mentioned inline. " * 200)[:10_000]
    assert [(s.kind, s.start, s.end) for s in blocks(text)] == [("prose", 0, len(text))]
    fenced = text[:5000] + "\n```py\nx = 1\n```\n" + text[:5000]
    assert [(s.kind, s.lang) for s in blocks(fenced)] == [("prose", None), ("code", "python"), ("prose", None)]


# --- with the real detector (copyguard.normalize.detect) -----------------------


def test_real_untagged_fence_and_unfenced_code() -> None:
    code = "import os\n\ndef walk(root):\n    for name in os.listdir(root):\n        print(name)\n"
    text = "Here is a function:\n```\n" + code + "```\n"
    assert [(s.kind, s.lang) for s in blocks(text)] == [("prose", None), ("code", "python")]
    pasted = "You can list files like this:\n\n" + code + "\nThat prints every name in the folder.\n"
    segs = blocks(pasted)
    _covered(pasted, segs)
    code_segs = [s for s in segs if s.kind == "code"]
    assert len(code_segs) == 1 and code_segs[0].lang == "python"
    assert "def walk" in pasted[code_segs[0].start : code_segs[0].end]
    assert segs[0].kind == "prose" and segs[-1].kind == "prose"


def test_real_prose_fence_stays_prose() -> None:
    text = "Quote:\n```\nFour score and seven years ago our fathers brought forth on this continent a new nation.\n```\n"
    assert [(s.kind, s.lang) for s in blocks(text)] == [("prose", None)]


def test_a_title_underlined_with_tildes_in_a_docstring_is_no_fence() -> None:
    """A module pasted without a fence whose docstring's title is underlined with ``~`` (pint, Pocoo-style headers)
    is one block of code, its docstring whole: the underline opened a fence that ran to the end."""
    module = ('"""\npint.util\n~~~~~~~~~\n\nMiscellaneous functions for pint.\n\n'
              ':copyright: 2016 by Pint Authors, see AUTHORS for more details.\n"""\n\n'
              "import math\n\n\ndef ratio(part, whole):\n    return math.fsum(part) / whole\n")
    segs = [s for s in blocks(module) if module[s.start : s.end].strip()]
    assert [(s.kind, s.lang) for s in segs] == [("code", "python")]
    assert module[segs[0].start : segs[0].end].strip() == module.strip()
    # outside an open string, and as an opening with text under a blank line, tildes still open a fence
    for text in ("Title\n~~~\nprint(1)\n~~~\n", 'Here:\n\n~~~\nprint("""x""")\n~~~\n'):
        assert [(s.kind, s.lang) for s in blocks(text)][-1] == ("code", "python")


def test_compiled_fences_equal_the_python_ones() -> None:
    """The compiled fence scan (``_lines.h``) against ``fenced_blocks``' Python (``compiled.reference()``), bit for
    bit, on fuzz of fence lines, indents, info strings, docstring quotes, comments and line breaks."""
    import random
    from pathlib import Path

    from copyguard import compiled
    from copyguard.normalize.markdown import fenced_blocks

    assert compiled.core() is not None, "copyguard._core is not built or is stale: run pip install -e ."
    tokens = ["```", "````", "~~~", "~~~~", "``", "`", "~", "```python", "~~~ js", " ", "  ", "    ", "\t", "\n", "\n",
              "\n", "\r\n", '"""', "'''", "/*", "*/", "*", "/", "x", "title", "\u00e9", "\u2028", "\x0c", "{.py}", "a`b",
              "\xa0"]
    rng = random.Random(3)
    texts = ["".join(rng.choice(tokens) for _ in range(rng.randint(1, 30))) for _ in range(30000)]
    root = Path(__file__).parents[2]
    docs = [p.read_text() for p in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]]
    texts += docs
    got = [fenced_blocks(text) for text in texts]
    shown = [blocks(text) for text in docs]  # fenced code of every kind, unfenced code in prose
    with compiled.reference():
        want = [fenced_blocks(text) for text in texts]
        assert [blocks(text) for text in docs] == shown
    assert [text for text, a, b in zip(texts, got, want) if a != b] == []
    assert sum(map(len, want)) > 10000 and sum(f.info != "" for fs in want for f in fs) > 1000
    assert sum(f.close == len(text) for text, fs in zip(texts, want) for f in fs) > 1000  # open at the end too
