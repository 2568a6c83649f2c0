"""Ground truth measured on the texts alone, never by asking copyguard: who holds a copied text, what a negative shares.

Two questions a benchmark must answer by itself, the same way for every tool and both groups:

- **holders**: a copy of text that several protected files hold (three.js's ``Vector2``/``3``/``4``
  share methods, OpenJDK's exception classes share constructors, lodash ships a function in two
  files) is rightly attributed to any of them. ``Holders.of(original)`` lists every protected file
  whose lines contain the copied original's lines, in order and consecutive.
- **shared negatives**: a "negative" that shares ``SHARED_LINES`` or more consecutive lines with a
  protected file (a Capacitor file that copies a cordova plugin's code, pip's ``utils/glibc.py`` and
  packaging's ``_manylinux.py``) is not independent of the corpus. ``Shared.find(text)`` says where.
  ``SHARED_LINES`` = 5 was fixed before looking at which items copyguard flags: it is issue 8's own
  bar for a copy ("the shortest verbatim copy caught is 5 lines or fewer"). A negative that shares
  ``RENAMED_LINES`` = 8 consecutive lines equal under a consistent renaming (issue 8's bar for a renamed
  copy: "a renamed 8-line function is caught") is not independent either, when the run holds a string
  literal, at least 32 tokens and lines of four or more forms (``renamed_key``). This second test was added
  after copyguard flagged pip's ``network/utils.py``, whose ``raise_for_status`` is requests'
  ``Response.raise_for_status`` with ``self`` renamed ``resp`` and its comment kept (pip's tuning half): it
  now finds that copy and, among all negatives of both groups, only an unjudged SOCO pair (Java 231/234)
  whose 9 lines share their code and literals with two names changed; without the literal and form tests it
  also took ``self.x = x`` runs and literal-free getters and setters, which are conventions.

A third test reads the words of comments and docstrings, line breaks ignored: a negative one of whose doc
comments or docstrings holds ``SHARED_WORDS`` = 40 words (5 lines of 8 words: 8 is the median of words per comment
line in the tuning group's protected files, 9 / 6 / 8 / 9 in Java / JavaScript / Python / TypeScript) in runs of
``DOC_RUN`` = 8 or more consecutive words equal to one protected file's doc text is not independent of it. It was
added after reading the reporting group's flagged Java negatives: Capacitor's ``CapacitorHttpUrlConnection`` and
``CapacitorCookieManager`` carry the JDK's doc comments of the methods they wrap (``java.net.URLConnection``,
``CookieManager``: runs of up to 118 words), re-wrapped to other widths and with a parameter renamed, which the
line tests cannot see. It leaves out three of those negatives and none of the tuning group's. Stock sentences
stay under the bar, also when a file repeats them in several comments (OpenJDK's exception constructors: ``with
the specified cause ... (which typically contains the class and detail message of cause)``, up to 32 words in one
comment), and so does pip's ``network/auth.py`` (a 17-word comment of requests' ``handle_401``).

For the shared-lines test, lines are logical lines: a statement continued inside open ``(`` or ``[`` is
one line. The first version of this audit counted physical lines and HTML markup; it then called five
lines of a black-formatted ``def __exit__(self, exc_type: ..., ...)`` signature (pip vs urllib3) and the
``<tr>``/``</thead>`` lines of a Javadoc table (java.net vs HijrahChronology) shared text, which they
are not: both fixes make the audit leave fewer negatives out.

Lines are compared after normalization: each line stripped, inner whitespace collapsed, one comment
marker or docstring quote at either end removed (``/**``, ``*``, ``*/``, ``//``, ``#``, ``\"\"\"``), HTML tags
of doc comments removed; lines left without a letter or digit (``}``, ``*``, ``</tr>``, blank) are
dropped. For the shared-lines test the header of a file (its leading comment block or module
docstring, where license notices sit: every OpenJDK file carries the same one) is left out on both sides.

>>> h = Holders({"a.js": "x = 1\\n// note\\ny = 2\\n", "b.js": "  x  = 1\\n\\n/* note */\\ny = 2\\nz()\\n"})
>>> h.of("x = 1\\n# note\\ny = 2")
('a.js', 'b.js')
>>> s = Shared({"a.py": "# license\\n" + "".join(f"v{i} = {i}\\n" for i in range(9))}, n=5)
>>> s.find("intro\\n" + "".join(f"v{i} = {i}\\n" for i in range(2, 8)))
'a.py:4-9 (6 lines)'
>>> s.find("v1 = 1\\nv2 = 2\\nother\\nv3 = 3\\n") is None
True
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import defaultdict

SHARED_LINES = 5
SHARED_WORDS = 8 * SHARED_LINES  # the doc-words test: 5 lines of 8 words ...
DOC_RUN = 8  # ... in runs of one line or more

_HEAD = re.compile(r"^(?:/\*\*?|\*/|\*|//+|#+|[rRbBuU]{0,2}(?:\"\"\"|'''))\s*")
_TAIL = re.compile(r"\s*(?:\*/|\"\"\"|''')$")
_WORD = re.compile(r"[^\W_]")
_COMMENT = re.compile(r"^\s*(?:\*|//|#|/\*)")
_STRING = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")
_MAX_JOINED = 12  # physical lines joined into one logical line at most (an unclosed bracket stops there)
_TAG = re.compile(r"</?(?:a|b|i|p|br|hr|tt|em|code|pre|ul|ol|li|dl|dt|dd|table|caption|thead|tbody|tfoot|tr|th|td|"
                  r"blockquote|strong|sup|sub|span|div|h[1-6])\b[^<>]*>")


def norm_line(line: str) -> str:
    """One line as compared: whitespace collapsed, a comment marker or docstring quote at either end removed,
    HTML tags of doc comments removed (``<tr>``, ``<th scope="col">``: markup, not text)."""
    s = _TAIL.sub("", _HEAD.sub("", " ".join(line.split()), count=1))
    return " ".join(_TAG.sub(" ", s).split())


def norm_lines(text: str, header: bool = True, logical: bool = False) -> list[tuple[int, str]]:
    """(1-based line number, normalized line) of the lines holding a letter or digit.

    ``header`` False leaves the file's header out; ``logical`` joins the lines of a statement that
    continues inside open ``(`` or ``[`` (a formatter's split of one signature or call is one line).
    """
    lines = text.splitlines()
    start = 0 if header else header_end(lines)
    out: list[tuple[int, str]] = []
    depth, first, parts = 0, 0, []
    for i in range(start, len(lines)):
        s = norm_line(lines[i])
        if logical and (depth > 0 or parts):
            parts.append(s)
        else:
            first, parts = i, [s]
        if logical and not _COMMENT.match(lines[i]):
            code = _STRING.sub("", lines[i])
            depth = max(depth + code.count("(") + code.count("[") - code.count(")") - code.count("]"), 0)
            if depth > 0 and len(parts) < _MAX_JOINED and s:
                continue
        depth, joined = 0, " ".join(p for p in parts if p)
        parts = []
        if _WORD.search(joined):
            out.append((first + 1, joined))
    return out


def header_end(lines: list[str]) -> int:
    """Index of the first line after the file's header: blank lines, comment lines, a leading docstring."""
    i, n = 0, len(lines)
    while i < n:
        s = lines[i].strip()
        if not s or s.startswith(("#", "//")):
            i += 1
        elif s.startswith("/*"):
            while i < n and "*/" not in lines[i]:
                i += 1
            i += 1
        elif re.match(r"^[rRbBuU]{0,2}(\"\"\"|''')", s):
            quote = re.match(r"^[rRbBuU]{0,2}(\"\"\"|''')", s).group(1)  # type: ignore[union-attr]
            rest = s[s.index(quote) + 3 :]
            if quote not in rest:
                i += 1
                while i < n and quote not in lines[i]:
                    i += 1
            i += 1
        else:
            break
    return i


_DOC_WORD = re.compile(r"[^\W_]*[^\W\d_][^\W_]*")  # a word holds a letter (not a doctest's column of numbers)
_DOCSTRING = re.compile(r"\"\"\"|'''")


def doc_words(text: str) -> list[str]:
    """The words of ``text``'s comments and docstrings (header left out), lowercased, one stream; "" between blocks.

    >>> doc_words("x = 1\\n/**\\n * Returns the {@code Map}.\\n */\\nint f() { // Fast\\n")
    ['returns', 'the', 'code', 'map', '']
    >>> doc_words("x = 1\\ndef f():\\n    \'\'\'Say\\n    hello.\'\'\'\\n    return 1\\n")
    ['say', 'hello', '']
    """
    lines = text.splitlines()
    out: list[str] = []
    inside = False  # inside a docstring (Python) or block comment that the line starts in
    for line in lines[header_end(lines):]:
        quotes = len(_DOCSTRING.findall(line))
        opens = line.lstrip().startswith("/*") or (quotes > 0 and not inside)  # a new comment or docstring
        doc = inside or bool(_COMMENT.match(line)) or (quotes > 0 and line.lstrip()[:1] in "\"'rRbBuU")
        if quotes % 2:
            inside = not inside
        if opens and out and out[-1]:
            out.append("")
        if doc:
            out.extend(_DOC_WORD.findall(norm_line(line).lower()))
        elif out and out[-1]:
            out.append("")
    if out and out[-1]:
        out.append("")
    return out


def _doc_grams(words: list[str]) -> list[bytes | None]:
    """Per position: the key of the ``DOC_RUN`` words from there (None across a block's end)."""
    return [None if "" in words[i : i + DOC_RUN] else hashlib.blake2b(" ".join(words[i : i + DOC_RUN]).encode(),
                                                                     digest_size=12).digest()
            for i in range(len(words) - DOC_RUN + 1)]


class Holders:
    """Every protected file whose normalized lines contain a text's normalized lines, consecutive and in order."""

    def __init__(self, files: dict[str, str]):
        self.joined: dict[str, str] = {}
        self.by_line: dict[str, set[str]] = defaultdict(set)
        for name, text in files.items():
            lines = [s for _, s in norm_lines(text)]
            self.joined[name] = "\n" + "\n".join(lines) + "\n"
            for s in set(lines):
                self.by_line[s].add(name)

    def of(self, original: str) -> tuple[str, ...]:
        lines = [s for _, s in norm_lines(original)]
        if not lines:
            return ()
        sets = sorted((self.by_line.get(s, set()) for s in set(lines)), key=len)
        cands = set(sets[0]).intersection(*sets[1:])
        needle = "\n" + "\n".join(lines) + "\n"
        return tuple(sorted(name for name in cands if needle in self.joined[name]))


class Shared:
    """Where a text shares a run of lines with a protected file (headers left out).

    Two tests: ``n`` (``SHARED_LINES``) consecutive logical lines are equal, or ``RENAMED_LINES`` consecutive
    logical lines are equal after a consistent renaming (``renamed_key``: the same word always for the same word
    within the window, keywords and string literals kept) and pass its tests (``RENAMED_TOKENS`` or more tokens,
    half of the lines of distinct forms, a string literal). A run is the longest chain of such windows.
    """

    def __init__(self, files: dict[str, str], n: int = SHARED_LINES):
        self.n = n
        self.lines: dict[str, list[tuple[int, str]]] = {}
        self.windows: dict[bytes, tuple[str, int]] = {}
        self.doc: dict[bytes, set[str]] = {}  # doc-words test: DOC_RUN-word key -> files whose doc text holds it
        for name, text in files.items():
            lines = norm_lines(text, header=False, logical=True)
            self.lines[name] = lines
            for i in range(len(lines) - n + 1):
                self.windows.setdefault(_key(lines[i : i + n]), (name, i))
            for i in range(len(lines) - RENAMED_LINES + 1):
                key = renamed_key(lines[i : i + RENAMED_LINES])
                if key is not None:
                    self.windows.setdefault(key, (name, i))
            for gram in _doc_grams(doc_words(text)):
                if gram is not None:
                    self.doc.setdefault(gram, set()).add(name)

    def find(self, text: str) -> str | None:
        """``file:first-last (k lines[, renamed])`` of the longest shared run (line numbers of the protected file),
        or None."""
        mine = norm_lines(text, header=False, logical=True)
        best: tuple[int, str, int, int, bool] | None = None
        for renamed, size in ((False, self.n), (True, RENAMED_LINES)):
            i = 0
            while i <= len(mine) - size:
                window = mine[i : i + size]
                key = renamed_key(window) if renamed else _key(window)
                hit = None if key is None else self.windows.get(key)
                if hit is None:
                    i += 1
                    continue
                name, j = hit
                theirs = self.lines[name]
                k = size
                while i + k < len(mine) and j + k < len(theirs):
                    if mine[i + k][1] != theirs[j + k][1]:
                        a = renamed_key(mine[i + k - size + 1 : i + k + 1]) if renamed else None
                        if a is None or a != renamed_key(theirs[j + k - size + 1 : j + k + 1]):
                            break
                    k += 1
                if best is None or k > best[0]:
                    best = (k, name, theirs[j][0], theirs[j + k - 1][0], renamed)
                i += k
        if best is None:
            return self._doc_find(text)
        k, name, first, last, renamed = best
        return f"{name}:{first}-{last} ({k} lines{', renamed' if renamed else ''})"


    def _doc_find(self, text: str) -> str | None:
        """``file (k doc words)`` of the protected file whose doc text covers the most words of one comment or
        docstring of ``text`` (or of ``text`` itself when it holds none: prose) in runs of ``DOC_RUN`` or more, when
        that is ``SHARED_WORDS`` or more; else None."""
        words = doc_words(text)
        if not any(words):  # no comment or docstring: prose (a doc comment pasted as text) is read as one block
            words = [w for line in text.splitlines() for w in _DOC_WORD.findall(norm_line(line).lower())] + [""]
        block = list(itertools.accumulate(w == "" for w in words))  # which comment or docstring each word is in
        covered: dict[tuple[str, int], set[int]] = defaultdict(set)
        for i, gram in enumerate(_doc_grams(words)):
            for name in self.doc.get(gram, ()) if gram is not None else ():
                covered[(name, block[i])].update(range(i, i + DOC_RUN))
        if not covered:
            return None
        (name, _), at = max(covered.items(), key=lambda kv: (len(kv[1]), kv[0]))
        return f"{name} ({len(at)} doc words)" if len(at) >= SHARED_WORDS else None


def check_negative(g, text: str, row: list[int], shared: Shared):
    """Check one negative into ``row`` = [flagged, independent, flagged of all, all]: a negative sharing lines
    with a protected file (``shared``) counts in "all" only. The verdict when it counts as independent and
    was flagged, else None."""
    v = g.check(text)
    row[2] += bool(v.matches)
    row[3] += 1
    if shared.find(text):
        return None
    row[0] += bool(v.matches)
    row[1] += 1
    return v if v.matches else None


def window_keys(text: str, n: int = SHARED_LINES) -> set[bytes]:
    """Keys of every window of ``text`` (header left out) ``Shared`` compares: two texts share a run when these meet."""
    lines = norm_lines(text, header=False, logical=True)
    keys = {_key(lines[i : i + n]) for i in range(len(lines) - n + 1)}
    renamed = (renamed_key(lines[i : i + RENAMED_LINES]) for i in range(len(lines) - RENAMED_LINES + 1))
    return keys | {key for key in renamed if key is not None} | {g for g in _doc_grams(doc_words(text)) if g is not None}


# issue 8's own bar for a renamed copy ("a renamed 8-line function is caught") and copyguard's code floor in
# tokens: a renamed run shorter than a copy copyguard must report is no evidence of one. Half of its lines must
# differ in form, and it must hold a string literal (kept verbatim): runs of one repeated form (``self.x = x``
# for each parameter) and literal-free getters and setters are conventions, not copies.
RENAMED_LINES = 8
RENAMED_TOKENS = 32
RENAMED_FORMS = RENAMED_LINES // 2
_TOKEN = re.compile(r"""[rRbBuUfF]{0,2}(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|[^\W\d]\w*|\d[\w.]*|[^\w\s]""")
_FIELD = re.compile(r"\{([^{}]*)\}")
# Python, Java, JavaScript/TypeScript and C keywords: kept as they are, every other word renamed
KEYWORDS = frozenset("""
False None True and as assert async await break case catch char class const continue def default del do double
elif else enum except export extends final finally float for from function global if implements import in
instanceof int interface is lambda let long new nonlocal not null or pass private protected public raise return
short static struct super switch this throw throws try typeof var void while with yield""".split())


def renamed_key(lines: list[tuple[int, str]]) -> bytes | None:
    """The lines with each word replaced by the order of its first occurrence (keywords and string literals kept,
    the fields of an f-string renamed as code), or None when they hold fewer than ``RENAMED_TOKENS`` tokens,
    fewer than ``RENAMED_FORMS`` distinct line forms or no string literal: equal keys mean the lines are equal
    under a consistent renaming.

    >>> lines = ["if n < 0:", "raise ValueError('negative')", "total = 0", "for i in range(n):",
    ...          "total += weights[i] * i", "if total > limit:", "break", "return total"]
    >>> mine = [s.replace("total", "acc").replace("weights", "w") for s in lines]
    >>> renamed_key(list(enumerate(lines))) == renamed_key(list(enumerate(mine)))
    True
    >>> renamed_key(list(enumerate(lines))) == renamed_key(list(enumerate(mine[:4] + ["acc += w[i] * n"] + mine[5:])))
    False
    >>> renamed_key([(1, 'a = f("x y")')] * 8) is None  # one form repeated: a convention
    True
    >>> key = lambda extra: renamed_key(list(enumerate(mine[1:] + [extra])))
    >>> renamed_key(list(enumerate(lines[1:] + ['m = f"{total} > {limit}"']))) == key('m = f"{acc} > {limit}"')
    True
    >>> renamed_key(list(enumerate(lines[1:] + ['m = f"{total} > {limit}"']))) == key('m = f"{acc} >= {limit}"')
    False
    """
    names: dict[str, str] = {}
    out, forms, count, literal = [], set(), 0, False

    def rename(toks: list[str], names: dict[str, str]) -> str:
        words = []
        for t in toks:
            if t[-1] in "\"'":
                if t[0] in "fF" or t[:2].lower() in ("rf", "fr"):
                    t = _FIELD.sub(lambda m: "{" + rename(_TOKEN.findall(m.group(1)), names) + "}", t)
            elif (t[0].isalpha() or t[0] == "_") and t not in KEYWORDS:
                t = names.setdefault(t, f"v{len(names)}")
            words.append(t)
        return " ".join(words)

    for _, line in lines:
        toks = _TOKEN.findall(line)
        count += len(toks)
        literal = literal or any(t[-1] in "\"'" for t in toks)
        out.append(rename(toks, names))
        forms.add(rename(toks, {}))
    if count < RENAMED_TOKENS or len(forms) < min(RENAMED_FORMS, len(lines)) or not literal:
        return None
    return b"R" + _key([(0, s) for s in out])


def _key(lines: list[tuple[int, str]]) -> bytes:
    return hashlib.blake2b("\n".join(s for _, s in lines).encode("utf-8", "surrogatepass"), digest_size=16).digest()
