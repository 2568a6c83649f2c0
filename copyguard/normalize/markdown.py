"""Split model output into prose and code: markdown fences first, then code pasted without fences.

Fences follow CommonMark: a line of three or more backticks or tildes opens a
block, a line of the same character at least as long (and nothing else) closes
it, a block left open runs to the end of the text. A backtick line whose info
string holds a backtick is an inline code span, hence prose. Opening fences may
be indented (fences inside list items); a closing fence may be indented up to
three columns more than its opening one, so indented fence lines inside code
stay code. A fence line indented four columns or more inside a triple-quoted
string or a block comment left open by the text before it (outside fences) is
a docstring's example, not a fence; so is a line of tildes alone right under a
line of text there (a title's underline: ``pint.util`` over ``~~~~~~~~~`` at the
top of a module's docstring).

>>> [(s.kind, s.lang) for s in blocks("Run:\\n```py\\nprint(1)\\n```\\nDone.")]
[('prose', None), ('code', 'python'), ('prose', None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..compiled import core
from ..errors import UnknownLanguageError

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.MULTILINE)
_COMMENT_OPEN = re.compile(r"^[ \t]*/\*", re.MULTILINE)
_TAG = re.compile(r"\{?\s*\.?(?:language-)?([^\s{},:;`]+)")
# Tags that announce prose: such a block is code only if its body reads as code.
_PROSE_TAGS = frozenset({"text", "txt", "plain", "plaintext", "markdown", "md", "none", "nohighlight", "prose"})


@dataclass(frozen=True)
class Block:
    """``text[start:end]`` is prose or code (``lang`` a grammar name, or None when none applies)."""

    start: int
    end: int
    kind: str  # "prose" | "code"
    lang: str | None = None


@dataclass(frozen=True)
class _Fence:
    """A fenced block: fence lines ``[open, body_start)`` and ``[body_end, close)``."""

    open: int
    body_start: int
    body_end: int
    close: int
    info: str


def _indent(m: re.Match[str]) -> int:
    return len(m["indent"].expandtabs(4))


def _fence_lines(text: str):
    """Match objects of the lines that look like fences, found with ``str.find`` (fast on prose)."""
    n, pos = len(text), 0
    nxt = {m: text.find(m) for m in ("```", "~~~")}
    while True:
        for marker, at in nxt.items():
            if 0 <= at < pos:
                nxt[marker] = text.find(marker, pos)
        found = [at for at in nxt.values() if at >= 0]
        if not found:
            return
        i = min(found)
        line_start = text.rfind("\n", 0, i) + 1
        line_end = text.find("\n", i)
        line_end = n if line_end < 0 else line_end
        m = _FENCE.match(text, line_start, line_end)
        if m is not None:
            yield m
        pos = line_end + 1


def _in_string(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` leaves a triple-quoted string or a ``/*`` comment open."""
    if text.count('"""', start, end) % 2 == 1 or text.count("'''", start, end) % 2 == 1:
        return True
    opened = [m.start() for m in _COMMENT_OPEN.finditer(text, start, end)]
    return bool(opened) and text.rfind("*/", start, end) < opened[-1]


def _underline(text: str, m: re.Match[str]) -> bool:
    """Whether the fence-like line ``m`` is tildes alone right under a line of text (a title's underline).

    >>> text, apart = "pint.util\\n~~~~~~~~~\\n", "a\\n\\n~~~\\n"
    >>> _underline(text, _FENCE.search(text)), _underline(apart, _FENCE.search(apart))
    (True, False)
    """
    if m["fence"][0] != "~" or m["info"].strip() or m.start() == 0:
        return False
    above = text[text.rfind("\n", 0, m.start() - 1) + 1 : m.start() - 1]
    return bool(above.strip())


def fenced_blocks(text: str) -> list[_Fence]:
    """Every fenced block of ``text``, in order, from one pass over candidate fence lines (the compiled core's
    ``fences`` when it is built: the same blocks, ``_lines.h``).

    >>> [(f.open, f.body_start, f.body_end, f.close, f.info) for f in fenced_blocks("a\\n```py\\nx\\n```\\n")]
    [(2, 8, 10, 14, 'py')]
    """
    c = core()
    if c is not None:
        return [_Fence(o, bs, be, cl, text[i0:i1]) for o, bs, be, cl, i0, i1 in c.fences(text)]
    blocks: list[_Fence] = []
    opening: re.Match[str] | None = None
    n = len(text)
    outside = 0  # where the text outside fences resumes
    for m in _fence_lines(text):
        fence, info = m["fence"], m["info"]
        if opening is None:
            if fence[0] == "`" and "`" in info:
                continue  # ```inline``` span
            if (_indent(m) >= 4 or _underline(text, m)) and _in_string(text, outside, m.start()):
                continue  # an example fenced, or a title underlined, inside a docstring or comment of unfenced code
            opening = m
        elif (fence[0] == opening["fence"][0] and len(fence) >= len(opening["fence"])
              and not info.strip() and _indent(m) <= _indent(opening) + 3):
            blocks.append(_Fence(opening.start(), min(opening.end() + 1, n), m.start(),
                                 min(m.end() + 1, n), opening["info"]))
            opening, outside = None, min(m.end() + 1, n)
    if opening is not None:
        blocks.append(_Fence(opening.start(), min(opening.end() + 1, n), n, n, opening["info"]))
    return blocks


def fence_tag(info: str) -> str | None:
    """The language tag of a fence's info string, lowercased.

    >>> fence_tag(" {.python .numberLines}"), fence_tag("js title=a.js"), fence_tag("")
    ('python', 'js', None)
    """
    m = _TAG.match(info.strip())
    return m.group(1).lower() if m else None


def _classify(tag: str | None, body: str) -> tuple[str, str | None]:
    """``(kind, lang)`` of a fenced block: its tag's grammar, else what the body looks like."""
    from . import detect, grammars

    if tag is not None:
        try:
            return "code", grammars.get(tag).name
        except UnknownLanguageError:
            pass
    lang = detect.guess_fenced(body)
    if lang is not None:
        return "code", lang
    if tag is None or tag in _PROSE_TAGS:
        return "prose", None
    return "code", None  # a code tag without a grammar (json, sql...): code, normalized as text


def _split_unfenced(text: str, start: int, end: int) -> list[Block]:
    """The prose run ``text[start:end]`` cut around code pasted without fences."""
    from . import detect

    out: list[Block] = []
    pos = start
    for s, e, lang in sorted(detect.code_blocks(text[start:end])):
        s, e = max(start + s, pos), min(start + e, end)
        if s >= e:
            continue
        if s > pos:
            out.append(Block(pos, s, "prose"))
        out.append(Block(s, e, "code", lang))
        pos = e
    if pos < end:
        out.append(Block(pos, end, "prose"))
    return out


def blocks(text: str) -> list[Block]:
    """Ordered, non-overlapping prose and code segments; with the code fence lines they cover ``text``.

    >>> blocks("")
    []
    >>> blocks("just words")
    [Block(start=0, end=10, kind='prose', lang=None)]
    """
    out: list[Block] = []
    prose_start = 0
    for b in fenced_blocks(text):
        kind, lang = _classify(fence_tag(b.info), text[b.body_start : b.body_end])
        if kind == "prose":
            continue  # fence lines and body stay in the surrounding prose run
        if b.open > prose_start:
            out.extend(_split_unfenced(text, prose_start, b.open))
        if b.body_end > b.body_start:
            out.append(Block(b.body_start, b.body_end, "code", lang))
        prose_start = b.close
    if prose_start < len(text):
        out.extend(_split_unfenced(text, prose_start, len(text)))
    return out


def open_code_block(text: str) -> Block | None:
    """The code block that ``text`` ends inside of (a fence not closed yet), or ``None``.

    What a stream holds back depends on it: code tokens inside, words of prose outside.

    >>> open_code_block("Here:\\n```python\\ndef f(")
    Block(start=16, end=22, kind='code', lang='python')
    >>> open_code_block("```python\\nx = 1\\n```\\nDone.") is None
    True
    """
    fences = fenced_blocks(text)
    if not fences or fences[-1].close < len(text) or fences[-1].body_end < len(text):
        return None
    last = fences[-1]
    kind, lang = _classify(fence_tag(last.info), text[last.body_start :])
    return Block(last.body_start, len(text), "code", lang) if kind == "code" else None
