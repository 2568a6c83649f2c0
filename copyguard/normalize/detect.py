"""Which programming language a snippet is in, and where code sits in prose without fences.

Detection is cheap first and exact last: each grammar file lists marker
regexes (``def f(...):``, ``#include <stdio.h>``, ``fn main()``...); the
languages with the most distinct markers are parsed with tree-sitter and the
one with the fewest parse errors wins. A language that ``extends`` another
(C++ of C, TypeScript of JavaScript) adds its markers to its parent's and is
chosen only when some of its own markers match. Prose never has enough
markers, and symbol density rules out the rest.

>>> detect_language("def f(x):\\n    return x + 1\\n")
'python'
>>> detect_language("The cat sat on the mat. It was happy.") is None
True
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path

from ..compiled import core
from . import grammars

_SHEBANG = re.compile(r"#!\s*(?:/usr)?(?:/local)?/bin/(?:env\s+(?:-\S+\s+)*)?([\w.+-]+)")
_SYMBOLS = re.compile(r"[{}()\[\];=<>$#*&|:+\-/\\]")

# A line that looks like code in any language (used to find unfenced code in prose), in two parts that
# ``looks_like_code`` runs: what a line starts with (``match``), and what may sit anywhere in it (``search``).
# A line of ``str.splitlines`` holds no newline but its last character, so one ``^``-anchored search is
# exactly a match at 0; a name before an operator is tried at the name's start only (``(?<!\w)``: a match
# inside a name is one from its start), which spares the regex engine a quadratic retry inside every word.
_CODE_LINE_START = re.compile(
    r"""\s*(?:[}\])]|\#include|\#!|@\w+|import\s+[\w.{*]|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import
    |(?:async\s+)?def\s+\w+\s*\(|class\s+\w+|(?:export\s+)?(?:async\s+)?function\b|fn\s+\w+
    |func\s|package\s+\w+|using\s+[\w.]+;|(?:public|private|protected|static)\s+\w+
    |(?:const|let|var)\s+\w+\s*=|return\b|(?:if|for|while|elif|else|switch|try|except|catch)\b.*[:{(]
    |print\w*\s*\(|console\.\w+\(|echo\s|end\s*$|\$\s+\w
    |\w+(?:\.\w+)*\(.*\)\s*;?\s*$)""",
    re.VERBOSE | re.MULTILINE,
)
_CODE_LINE_ANY = re.compile(r"[;{}]\s*$|(?<!\w)\w+\s*(?:=|\+=|-=|:=|==|!=|=>|->)\s*\S|\)\s*:\s*$", re.MULTILINE)


# Every match of _CODE_LINE_ANY holds one of these characters (``;{}``, an operator's ``=`` or ``>``, a ``)``): a line
# without any is looked at by one scan instead of the search's three alternatives at every position.
_CODE_LINE_ANY_NEEDS = re.compile(r"[;{}=>)]")


def looks_like_code(line: str) -> bool:
    """Whether one line of ``str.splitlines`` reads as code in some language (a statement, a brace, a call...)."""
    return _CODE_LINE_START.match(line) is not None or (
        _CODE_LINE_ANY_NEEDS.search(line) is not None and _CODE_LINE_ANY.search(line) is not None)


# A line hinting that a prose answer contains any code at all (the fast path for pure prose): one that starts like
# this, or ends with ``;``, ``{`` or ``}`` (``_HINT_END``, searched in the whole text at once: see ``hints_at_code``).
_HINT = re.compile(
    r"""[ \t]*(?:[}\])]|\#include|\#!/|def\s+\w+\s*\(|class\s+\w+.*[:{][ \t]*$
    |import\s+[\w.]+|export\s+(?:type\s+)?[{*]|from\s+[\w.]+\s+import|function\s+\w*\s*\(|fn\s+\w+|func\s+\w+
    |package\s+\w+|(?:public|private|static)\s+\w+|(?:const|let|var)\s+\w+\s*=|return\b|\$\s+\w
    |\w+(?:\.\w+)*\s*(?:=|\+=|:=)\s*[\w\[{("'-]|\w+(?:\.\w+)*\(.*\)[ \t]*$)""",
    re.VERBOSE,
)
_HINT_END = re.compile(r"[;{}][ \t]*(?:\n|\Z)")


def hints_at_code(text: str, lines: list[str]) -> bool:
    """Whether a line of ``lines`` (``text.splitlines(keepends=True)``) hints at code: ``_HINT`` matches it, or it
    ends with ``;``, ``{`` or ``}``, spaces and tabs after it aside, before its newline (or the end of the text).

    The second test was ``.*[;{}][ \\t]*$`` matched at each line, which backtracked from the end of every line of
    prose; in ``text`` it is one search: ``[ \\t]`` holds no line break, so a match lies inside one line.

    >>> text = "plain words\\nx = f(1);\\r\\nend;  \\n"
    >>> hints_at_code(text, text.splitlines(keepends=True)), hints_at_code("a;\\r\\nb", ["a;\\r\\n", "b"])
    (True, False)
    """
    return _HINT_END.search(text) is not None or any(map(_HINT.match, lines))


_SCAN_CHARS = 4000  # markers are looked for in the first 4000 characters only


class _Marker:
    """A marker regex (``source``, compiled on first use), whether it ``needs`` a word boundary before the match
    (checked by hand), and strings one of which every match contains (None: unknown)."""

    __slots__ = ("source", "boundary", "needs", "_pattern")

    def __init__(self, source: str, boundary: bool, needs: tuple[str, ...] | None) -> None:
        self.source, self.boundary, self.needs = source, boundary, needs
        self._pattern: re.Pattern[str] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """Compiled when first run: most markers' ``needs`` are absent from most texts, so most never are."""
        if self._pattern is None:
            self._pattern = re.compile(self.source, re.MULTILINE)
        return self._pattern


@dataclass(frozen=True)
class Lang:
    name: str
    markers: tuple[_Marker, ...]
    parent: str | None
    rejects: tuple[_Marker, ...] = ()


@cache
def languages() -> tuple[Lang, ...]:
    out = []
    for name in grammars.names():
        g = grammars.get(name)
        # A leading \b stops the regex engine from skipping ahead by the pattern's first
        # characters (several times slower), so it is checked by hand after a match.
        out.append(Lang(name, _markers(g.markers), g.extends, _markers(g.rejects)))
    return tuple(out)


def _markers(patterns: tuple[str, ...]) -> tuple[_Marker, ...]:
    markers = []
    known = _known_needs()
    for m in patterns:
        boundary = m.startswith("\\b")
        source = m[2:] if boundary else m
        needs = known[source] if source in known else needed_strings(source)
        markers.append(_Marker(source, boundary, needs))
    return tuple(markers)


NEEDS_FILE = Path(__file__).parent / "data" / "marker_needs.json"


@cache
def _known_needs() -> dict[str, tuple[str, ...] | None]:
    """``needed_strings`` of the bundled grammars' markers, as computed by ``write_marker_needs`` (``NEEDS_FILE``).

    Parsing ~200 regexes for them cost the first check of unfenced code in a
    process ~10 ms; a marker missing from the file (a grammar edited since)
    is parsed as before. tests/normalize/test_detect.py checks the file is current.
    """
    try:
        raw = json.loads(NEEDS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {source: tuple(needs) if needs is not None else None for source, needs in raw.items()}


def marker_needs() -> dict[str, tuple[str, ...] | None]:
    """``needed_strings`` of every marker and reject regex of the bundled grammars (what ``NEEDS_FILE`` holds)."""
    out: dict[str, tuple[str, ...] | None] = {}
    for name in grammars.names():
        g = grammars.get(name)
        for m in (*g.markers, *g.rejects):
            source = m[2:] if m.startswith("\\b") else m
            out[source] = needed_strings(source)
    return dict(sorted(out.items()))


def write_marker_needs(path: Path = NEEDS_FILE) -> None:
    """Write ``marker_needs()`` to ``path`` (run after changing a grammar's markers:
    ``python -c "from copyguard.normalize.detect import write_marker_needs; write_marker_needs()"``)."""
    rows = [f"{json.dumps(source)}: {json.dumps(needs)}" for source, needs in marker_needs().items()]
    path.write_text("{\n" + ",\n".join(rows) + "\n}\n", encoding="utf-8")


def rejected(text: str) -> set[str]:
    """Languages one of whose ``rejects`` patterns matches ``text[:_SCAN_CHARS]``: code in them never looks so."""
    text = text[:_SCAN_CHARS]
    seen: dict[str, bool] = {}
    return {lang.name for lang in languages() if any(_present(m, text, seen) for m in lang.rejects)}


def needed_strings(source: str) -> tuple[str, ...] | None:
    """Strings one of which every match of the regex ``source`` contains, the most selective found.

    Running a marker regex costs a scan of the text per marker; a substring test
    first skips most of them (most markers are absent from most texts).
    """
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def needed(items) -> frozenset[str] | None:
        best, run = None, ""

        def consider(cands):
            nonlocal best
            if cands and "" not in cands and (best is None or min(map(len, cands)) > min(map(len, best))):
                best = frozenset(cands)

        for op, av in items:
            if op is c.LITERAL:
                run += chr(av)
                continue
            consider({run} if run else None)
            run = ""
            if op is c.SUBPATTERN:
                consider(needed(av[-1]))
            elif op is c.BRANCH:
                alts = [needed(a) for a in av[1]]
                if all(alts):
                    consider(frozenset().union(*(a for a in alts if a)))
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                consider(needed(av[2]))
        consider({run} if run else None)
        return best

    try:
        found = needed(_parser.parse(source, re.MULTILINE))
    except Exception:  # an unusual pattern: always run it
        return None
    return tuple(sorted(found)) if found else None


def _present(marker: _Marker, text: str, seen: dict[str, bool]) -> bool:
    """Whether ``marker`` matches ``text``; ``seen`` caches substring tests for one text."""
    if marker.needs is not None:
        for s in marker.needs:
            hit = seen.get(s)
            if hit is None:
                hit = seen[s] = s in text
            if hit:
                break
        else:
            return False
    return marker_found(marker.pattern, marker.boundary, text)


def marker_found(pattern: re.Pattern, boundary: bool, text: str) -> bool:
    for m in pattern.finditer(text):
        i = m.start()
        if not boundary or i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"):
            return True
    return False


@cache
def _shebangs() -> dict[str, str]:
    return {s: name for name in grammars.names() for s in grammars.get(name).shebangs}


def marker_scores(text: str, limit: int = _SCAN_CHARS) -> dict[str, int]:
    """Number of distinct markers of each language found in ``text[:limit]`` (parents' included).

    A language that extends another scores only if one of its own markers matched.
    """
    return dict(_marker_scores(text[:limit]))


@lru_cache(maxsize=8)
def _marker_scores(text: str) -> tuple[tuple[str, int], ...]:
    """``marker_scores`` of ``text`` as pairs, kept for the last few texts: a run of unfenced code is scored
    again by ``_best_parse`` after ``_detect``, and ``_rank`` and ``_decide`` read the same probe."""
    names, flat = _all_markers()
    own_n = [0] * len(names)
    seen: dict[str, bool] = {}
    for i, marker in flat:
        if _present(marker, text, seen):
            own_n[i] += 1
    own = dict(zip(names, own_n))
    parents = {lang.name: lang.parent for lang in languages()}
    scores = {}
    for name, n in own.items():
        total, parent = n, parents[name]
        while parent is not None and n:
            if parents.get(parent) is not None and not own.get(parent):
                n = 0  # an intermediate dialect (TypeScript under TSX) must show its own markers
            total += own.get(parent, 0)
            parent = parents.get(parent)
        if n:
            scores[name] = total
    return tuple(scores.items())


@cache
def _all_markers() -> tuple[tuple[str, ...], tuple[tuple[int, _Marker], ...]]:
    """The languages' names, and every marker with its language's position among them, in one flat tuple."""
    langs = languages()
    return tuple(lang.name for lang in langs), tuple((i, m) for i, lang in enumerate(langs) for m in lang.markers)


def _error_ratio(text: str, lang: str) -> float:
    """Share of the text's bytes inside ERROR nodes (plus missing nodes) when parsed as ``lang``.

    In a language with classes, the lesser of the text's ratio and its ratio inside a class
    (``member_of``): a method pasted without its class parses with errors on its own.
    """
    bare = _errors(text, lang)
    before_after = grammars.get(lang).member_of
    if bare == 0.0 or not before_after:
        return bare
    return min(bare, _errors(before_after[0] + text + before_after[1], lang))


def _errors(text: str, lang: str) -> float:
    """Share of ``text``'s bytes in ERROR nodes when parsed as ``lang``; in a language of ``_CLOSED_WHEN_CUT``, the
    lesser of that and the share with the brackets it leaves open closed (``_closers``: a file cut inside a table or
    a call is no error of its own)."""
    bare = _errors_of(text, lang)
    if bare == 0.0 or lang not in _CLOSED_WHEN_CUT:
        return bare
    closers = _closers(text)
    return min(bare, _errors_of(text + "\n" + closers, lang)) if closers else bare


# The grammars whose parse with errors is tried again with the text's open brackets closed. Python's reads a statement
# cut inside brackets whole as an ERROR (a table of a raw file cut at 100 lines: 93% of the bytes). The brace
# languages' mostly recover with a MISSING node; tried on all of them, bench/detect.py's JavaScript chunks went
# 90.0% -> 86.7% (read as TypeScript, whose score holds JavaScript's markers, once both parse cleanly).
_CLOSED_WHEN_CUT = frozenset({"python"})
# What brackets are not counted in: block strings, block comments, one-line strings, line comments.
_NOT_CODE = re.compile(r"""\"\"\"[\s\S]*?(?:\"\"\"|\Z)|'''[\s\S]*?(?:'''|\Z)|/\*[\s\S]*?(?:\*/|\Z)"""
                       r"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`|//.*|(?:^|(?<=\s))\#.*""",
                       re.MULTILINE)
_BRACKETS = re.compile(r"[()\[\]{}]")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _closers(text: str) -> str:
    """The brackets that close, innermost first, those ``text`` leaves open; "" when none or when they do not nest.

    >>> _closers("X = {\\n    'a': (1, 2),\\n    'b': [3,\\n"), _closers("f(a]"), _closers("s = '('\\n")
    (']}', '', '')
    """
    stack: list[str] = []
    for c in _BRACKETS.findall(_NOT_CODE.sub("", text)):
        if c in _CLOSE:
            stack.append(c)
        elif c in _PAIRS:
            if not stack or stack.pop() != _PAIRS[c]:
                return ""
    return "".join(_CLOSE[c] for c in reversed(stack))


def _errors_of(text: str, lang: str) -> float:
    g = grammars.get(lang)
    text = g.tag_before(text) + text  # as normalization parses it: else any text is one piece of PHP's HTML
    data = grammars.source_bytes(g, text)
    tree = grammars.parse(g, data)
    if tree is None:  # the parse outgrew its budget: no reading of it as this language
        return 1.0
    root = tree.root_node
    if not root.has_error:
        return 0.0
    bad, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.is_error:
            bad += node.end_byte - node.start_byte
        elif node.is_missing:
            bad += 4
        elif node.has_error:
            stack.extend(node.children)
    return min(1.0, bad / max(1, len(data)))


def symbol_density(text: str) -> float:
    """Share of non-space characters that are code punctuation."""
    non_space = len(text) - text.count(" ") - text.count("\n") - text.count("\t")
    return len(_SYMBOLS.findall(text)) / max(1, non_space)


def detect_language(text: str) -> str | None:
    """The grammar name ``text`` is most likely written in, or None for prose or unknown code.

    >>> detect_language("#include <stdio.h>\\nint main(void) { printf(\\"hi\\"); return 0; }")
    'c'
    """
    body = text.strip()
    return _detect(body, _code_probe(body))


def _code_probe(body: str) -> str:
    """``body`` with its comment lines, docstrings and block comments blanked (``body`` itself when it has none)."""
    if not _COMMENT_ANYWHERE.search(body):
        return body
    lines = body.splitlines(keepends=True)
    kinds = _comment_lines(lines, ["code"] * len(lines))
    if "comment" not in kinds:
        return body
    return "".join("\n" if kind == "comment" else line for kind, line in zip(kinds, lines))


def _detect(body: str, probe: str) -> str | None:
    """``detect_language`` of ``body``, its punctuation and markers read on ``probe``.

    ``probe`` is ``body`` with its comment lines blanked when they are known
    (``code_blocks``): a long docstring or license header says nothing of the
    language and dilutes the code's punctuation below the prose threshold.
    """
    if not body:
        return None
    m = _SHEBANG.match(body)
    if m and m.group(1) in _shebangs():
        return _shebangs()[m.group(1)]
    if body.startswith("<?php"):
        return "php"
    attempts = [(body, body, _SCAN_CHARS)]
    if probe is not body:
        probe = probe.strip()
        # the code alone first, then its markers and those of its comments (a docstring's quotes, Javadoc
        # tags), then the text as it is (a slice that starts inside a docstring fools the comment lines)
        both = probe[:_SCAN_CHARS] + "\n" + body[:_SCAN_CHARS]
        attempts = [(probe, probe, _SCAN_CHARS), (probe, both, 2 * _SCAN_CHARS + 1), *attempts]
    for code, text, limit in attempts:
        density = symbol_density(code[:_SCAN_CHARS])
        if density >= 0.015:
            name = _decide(body, code, text[:limit], density)
            if name is not None:
                return name
    return None


def _decide(body: str, probe: str, text: str, density: float) -> str | None:
    """The language of ``body`` from the markers in ``text``, or None when they are too few for its punctuation."""
    scores = _scores(text, probe, len(text))
    if not scores:
        return None
    best = max(scores.values())
    lines = probe.count("\n") + 1
    if best < 2 and not (lines <= 3 and density >= 0.08):
        return None
    if best < 3 and density < 0.04:
        return None
    name, error = _rank(body, scores)
    if best < 2 and error > 0:
        return None  # one marker is only enough for a short snippet that parses cleanly
    if best < 3 and error > 0.5:
        return None
    return name


def _scores(text: str, probe: str, limit: int = _SCAN_CHARS) -> dict[str, int]:
    """``marker_scores`` of ``text[:limit]`` without the languages ``probe`` rules out."""
    scores = marker_scores(text, limit)
    if scores:
        for name in rejected(probe):
            scores.pop(name, None)
    return scores


def _rank(body: str, scores: dict[str, int]) -> tuple[str, float]:
    """The best of the top-scoring grammars once parse errors are counted, and its error ratio."""
    best = max(scores.values())
    candidates = sorted(scores, key=lambda n: (-scores[n], n))[:4]
    candidates = [n for n in candidates if scores[n] >= max(1, best // 2)]
    sample = body[:_SCAN_CHARS]
    errors = {n: _error_ratio(sample, n) if len(candidates) > 1 or best < 3 else 0.0
              for n in candidates}
    _, name = max(((scores[n] * (1.0 - errors[n]), n) for n in candidates), key=lambda r: (r[0], -_depth(r[1])))
    return name, errors[name]


def guess_fenced(text: str) -> str | None:
    """The language of a fenced block without a tag: ``detect_language``, else the best-scoring grammar
    when the block is dense in code punctuation (a fence is a strong hint of code; prose in a fence is not dense).
    """
    lang = detect_language(text)
    if lang is not None:
        return lang
    body = text.strip()
    probe = _code_probe(body).strip()
    member = _bare_member(body, probe, root=True) if probe else None
    if member is not None:  # before the markers: ``.length`` is Java's too, and a bare ``count() {`` no Java method
        return member
    if not probe or symbol_density(probe[:_SCAN_CHARS]) < 0.04:
        return None
    scores = _scores(probe, probe)
    return _rank(body, scores)[0] if scores else None


def _depth(name: str) -> int:
    parents = {lang.name: lang.parent for lang in languages()}
    depth = 0
    parent = parents.get(name)
    while parent:
        depth += 1
        parent = parents.get(parent)
    return depth


# --- unfenced code in prose ------------------------------------------------------------


def code_blocks(text: str) -> list[tuple[int, int, str]]:
    """Character ranges ``(start, end, lang)`` of code pasted into prose without fences.

    Runs of code-looking lines (blank lines, comments and lines that read as
    neither code nor prose allowed inside) that ``detect_language``
    recognises. A line indented deeper than the run's code, or inside a
    bracket its code left open, belongs to the run whatever it looks like
    (``raise Error("a message.")`` under an ``if``, the arguments of a call cut
    over several lines). Meant for the prose between fences; fence lines end a run.

    >>> prose = "Use this:\\n\\ndef add(a, b):\\n    return a + b\\n\\nThen call it."
    >>> [(prose[s:e], lang) for s, e, lang in code_blocks(prose)]
    [('def add(a, b):\\n    return a + b', 'python')]
    """
    first_kinds = line_kinds(text)
    if first_kinds is None:
        return []
    lines = text.splitlines(keepends=True)
    offsets = list(accumulate(map(len, lines), initial=0))
    kinds = _in_context(lines, _comment_lines(lines, first_kinds))
    out = []
    for first, last in _runs(kinds):
        start = offsets[first] + len(lines[first]) - len(lines[first].lstrip())
        end = offsets[last] + len(lines[last].rstrip())
        probe = "".join("\n" if kinds[i] == "comment" else lines[i] for i in range(first, last + 1))
        lang = _detect(text[start:end], probe)
        if lang is None and _mostly_code(kinds[first : last + 1]):
            lang = _best_parse(text[start:end], probe)
        if lang is None:
            lang = _bare_member(text[start:end], probe)
        if lang is not None:
            out.append((start, end, lang))
    return out


_WORD = re.compile(r"[^\W\d_]{2,}")
# A name and its parenthesis (prose puts a space between them); a line ending in an operator or an opening
# bracket goes on in the next line: neither is prose.
_CALL = re.compile(r"[\w$]\(")


def _mostly_code(kinds: list[str]) -> bool:
    """Four code lines or more, and under a third of the other non-blank lines weak (none is prose inside a run)."""
    n_code = kinds.count("code")
    return n_code >= 4 and kinds.count("weak") * 2 < n_code


def _bare_member(body: str, probe: str, root: bool = False) -> str | None:
    """The language of a run whose first code line is a method's head (``member_head``), when it parses as one.

    A short method pasted without its class (``clone() {``, one line of body,
    ``}`` under its doc comment) has too few code lines and no marker of its
    language; in its class (``member_of``) it parses without errors. Of the
    grammars whose head matches, the one that parses it best (the parent
    language on a tie: JavaScript before TypeScript). ``root``: only when a
    grammar without a parent reads the head (``public Foo() {`` is TypeScript's
    head and a Java constructor's; ``clone() {`` is no Java method's).
    """
    first = probe.lstrip()
    if not first:
        return None
    head = first[: first.find("\n")] if "\n" in first else first
    if not head.rstrip().endswith("{"):
        return None
    ruled_out = set(rejected(probe))
    found = []
    for lang in languages():
        g = grammars.get(lang.name)
        pattern = grammars.member_head(g)
        if pattern is None or lang.name in ruled_out or pattern.match(head) is None:
            continue
        error = _error_ratio(body[:_SCAN_CHARS], lang.name)
        if error <= 0.1:
            found.append((error, _depth(lang.name), lang.name))
    if root and not any(depth == 0 for _, depth, _ in found):
        return None
    return min(found)[2] if found else None


def _best_parse(body: str, probe: str) -> str | None:
    """The best-ranked language of a run made of code lines, when it parses with few errors.

    Lines of code in the run's structure (brackets, indentation, statements)
    are evidence enough when the markers are few or the punctuation sparse
    (a file of imports and ``__all__``, a Java method without its class).
    """
    scores = _scores(probe, probe) or _scores(probe[:_SCAN_CHARS] + "\n" + body[:_SCAN_CHARS], probe, 2 * _SCAN_CHARS + 1)
    if not scores:
        return None
    name, error = _rank(body, scores)
    return name if error <= 0.1 else None


def line_kinds(text: str, always: bool = False) -> list[str] | None:
    """``_line_kind`` of each line of ``text.splitlines(keepends=True)``; ``None`` when no line hints at code
    (``hints_at_code``), unless ``always``. The compiled core does it in one pass over ``text`` (``_lines.h``).

    >>> line_kinds("Some words here.\\n\\nx = f(1)\\n"), line_kinds("Just words.\\n", always=True)
    (['prose', 'blank', 'code'], ['weak'])
    """
    c = core()
    if c is not None:
        return c.line_kinds(text, always)
    lines = text.splitlines(keepends=True)
    if not always and not hints_at_code(text, lines):
        return None
    return [_line_kind(line) for line in lines]


def _line_kind(line: str) -> str:
    """'blank', 'fence', 'code', 'prose' (reads as a sentence) or 'weak' (neither: ``x,``, ``Thanks,``)."""
    stripped = line.strip()
    if not stripped:
        return "blank"
    if stripped.startswith(("```", "~~~")):
        return "fence"
    density = symbol_density(stripped)
    words = stripped.count(" ") + 1
    if words >= 7 and stripped[-1] in ".!?" and density < 0.05:
        return "prose"
    if len(stripped) > 200 and density < 0.03:
        return "prose"
    if looks_like_code(line) or (line[:1] in " \t" and density > 0.1):
        return "code"
    if (len(_WORD.findall(stripped)) >= 3 and density < 0.05 and not _CALL.search(stripped)
            and stripped[-1] not in "=([{&|+*/%<>"):
        return "prose"
    return "weak"


# String literals on one line; and with line comments, what is left out when brackets are counted.
_STRINGS = re.compile(r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`""")
_NOT_BRACKETS = re.compile(_STRINGS.pattern + r"""|(?:\#|//)(?:\s.*)?$""")


def _bracket_balance(line: str) -> int:
    """Opening minus closing brackets of a code line, strings and comments left out."""
    bare = _NOT_BRACKETS.sub("", line)
    return sum(bare.count(c) for c in "([{") - sum(bare.count(c) for c in ")]}")


def _in_context(lines: list[str], kinds: list[str]) -> list[str]:
    """``kinds`` with the lines that continue a run of code made 'code'.

    Inside a run (from a code line to the next prose line at the run's
    indentation or less), a prose or weak line indented deeper than the run's
    least indented code line is code, and so is a weak line while a bracket
    opened by the run's code is still open. Prose at the run's indentation
    ends it, and so does a weak line left of it, so the answer's next
    paragraph is never swallowed.
    """
    out = list(kinds)
    base: int | None = None  # least indentation of the run's code lines (None: no run)
    depth = 0
    for i, kind in enumerate(out):
        if kind in ("blank", "comment"):
            continue
        if kind == "fence":
            base, depth = None, 0
            continue
        line = lines[i].expandtabs(4)
        indent = len(line) - len(line.lstrip())
        if base is not None and kind in ("prose", "weak") and (indent > base or (depth > 0 and kind == "weak")):
            kind = out[i] = "code"
        elif base is not None and kind == "weak" and indent < base:
            kind = out[i] = "prose"  # a line left of the code, outside its brackets: the answer goes on
        if kind == "code":
            base = indent if base is None else min(base, indent)
            depth = max(0, depth + _bracket_balance(lines[i]))
        elif kind == "prose":
            base, depth = None, 0
    return out


_COMMENT_ANYWHERE = re.compile(r"""\#|//|/\*|^\s*\*|\"\"\"|'''""", re.MULTILINE)
_COMMENT_START = re.compile(
    r"""^\s*(?:\#(?!\s*include\b|(?:define|undef|if|ifdef|ifndef|elif|else|endif|pragma|error)\b|!|\#+\s)"""
    r"""|//|/\*|\*|[rRbBuU]?(?:\"\"\"|'''))""")


def _comment_lines(lines: list[str], kinds: list[str]) -> list[str]:
    """``kinds`` with comment lines and the lines of block strings and block comments made 'comment'.

    A docstring or a ``/** ... */`` block reads as prose line by line; inside
    code it must not cut the code in two, and at the head of a file it belongs
    to the code below it. A code line that opens a block string or comment
    it does not close (``MESSAGE = \"\"\"\\``) stays code, and the lines after it
    up to the closing delimiter are its contents.
    """
    out = list(kinds)
    closing: str | None = None
    for i, line in enumerate(lines):
        if closing is not None:
            out[i] = "comment"
            if closing in line:
                closing = None
            continue
        if _COMMENT_START.match(line):
            out[i] = "comment"
            stripped = line.strip().lstrip("rRbBuU")
            for quote in ('"""', "'''"):
                if stripped.startswith(quote) and stripped.count(quote) % 2:
                    closing = quote
            if stripped.startswith("/*") and "*/" not in stripped:
                closing = "*/"
        elif kinds[i] in ("code", "weak"):
            for quote in ('"""', "'''"):
                if line.count(quote) % 2:
                    closing = quote
                    break
            else:
                bare = _STRINGS.sub("", line)
                if bare.rfind("/*") > bare.rfind("*/"):
                    closing = "*/"
    return out


def _runs(kinds: list[str]) -> list[tuple[int, int]]:
    """(first, last) line indexes of runs with at least two code lines; blanks, comments and weak lines inside allowed.

    Comment lines and weak lines just before a run's first code line (a
    docstring or a license header at the top of a file, a signature cut over
    several lines) start the run; a weak line followed by a blank line does
    not (``Sure!`` before the code).
    """
    runs: list[tuple[int, int]] = []
    first: int | None = None
    last: int | None = None
    n_code = 0
    for i, kind in enumerate(kinds + ["prose"]):
        if kind == "code":
            if first is None:
                first = _lead(kinds, i)
            last, n_code = i, n_code + 1
        elif kind in ("prose", "fence"):
            if first is not None and last is not None and n_code >= 2:
                runs.append((first, last))
            first, last, n_code = None, None, 0
    return runs


def _lead(kinds: list[str], i: int) -> int:
    """The first line of the comments and weak lines that lead into the code line ``i``."""
    first = i
    j = i - 1
    while j >= 0 and kinds[j] in ("comment", "weak", "blank"):
        if kinds[j] == "comment" or (kinds[j] == "weak" and kinds[j + 1] != "blank"):
            first = j
        elif kinds[j] == "weak":
            break
        j -= 1
    return first
