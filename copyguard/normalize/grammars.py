"""The grammar registry: every language copyguard parses is one ``grammars/<lang>.toml``.

A grammar file names the PyPI package holding the tree-sitter grammar, the
file extensions and markdown fence tags of the language, and which node types
are identifiers, literals, comments and syntactic units. Adding a language is
one new file plus its grammar package; no code changes.

>>> get("py").name
'python'
>>> for_path("src/main.rs").name
'rust'
"""

from __future__ import annotations

import importlib
import importlib.resources
import os
import re
import sys
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePath
from typing import Any

from ..errors import GrammarError, UnknownLanguageError

_NODE_KEYS = (
    "identifiers", "kept", "kept_fields", "strings", "numbers",
    "comments", "units", "imports", "erased", "shorthand",
)
_NAME_KEYS = ("builtins", "soft_keywords", "member_access", "optional", "type_operators", "type_marks", "statement_end")
_DETECT_KEYS = ("markers", "rejects", "shebangs", "extends", "member_of", "member_head")


@dataclass(frozen=True)
class Grammar:
    """One language: where its tree-sitter grammar lives and how its nodes are treated.

    Node-type fields hold tree-sitter node type names. ``kept_fields`` holds
    ``"parent_type.field"`` entries whose child is a name kept verbatim (keyword
    arguments...). ``extends`` names the language this one is a superset of
    for detection (C++ of C, TypeScript of JavaScript). ``markers`` are regexes that
    hint at the language, ``rejects`` regexes that code in it never holds
    (``public void f(`` is no JavaScript, ``this.x`` no C). ``member_of`` is the
    text before and after a method for it to parse in its class (a method pasted
    without its class is as much the language as a file), and ``member_head`` a
    regex matching the first line of such a method: a text that starts with one
    is normalized inside the class, so that its name is a member's as in its
    source. ``member_access`` lists operators after which a name is an
    attribute and kept (``.``, ``->``). ``soft_keywords`` are words the grammar
    knows as keywords that are also common identifiers; they count as keywords
    only where the parser used them as such. ``erased`` are node types
    dropped like imports: what a compiler erases (TypeScript's type
    annotations, interfaces, access modifiers), so that a typed source and
    its compiled output give the same tokens. ``optional`` are keywords and
    punctuation dropped wherever they are one (JavaScript's semicolons, which
    formatters add or leave out); ``type_operators`` are keywords dropped with
    the name after them (``x as Foo``: a longer type is an erased node);
    ``type_marks`` are marks dropped after a name or a closing bracket when
    a separator follows (``x?,`` of an optional parameter, ``a!.b``).
    ``statement_end`` is the token that ends a statement where a line break
    may stand for it (JavaScript's ``;``): one is put at such a line break,
    and one after a ``}`` is dropped, so code with and without semicolons
    gives the same tokens.
    ``shorthand`` are node types of a name that is both a property key and a
    value (JavaScript's ``{ x }``, which means ``{ x: x }``): the name is
    written as a kept key, ``:`` and the name, so that a minifier's
    ``{ x: a }`` gives the same tokens.
    ``open_tag`` is the tag that
    starts code in a file of a templating language (PHP's ``<?php``): a text
    holding no tag (none of its first two characters, ``<?``) is parsed as if
    it opened with it, as a snippet is meant; the grammar would read it all
    as template text.
    ``narrow_after`` is a regex after which the grammar's external scanner
    classifies the next character with a C function defined only up to
    U+00FF (tree-sitter-bash's ``isdigit`` after ``{``, which reads past
    the C library's table and can crash the process): such a character is
    parsed as a stand-in of its kind (``source_bytes``).
    ``block_comment`` is the start and end of a block comment (``/*``, ``*/``): a
    text cut inside one (a copy that starts or stops in a doc comment) is parsed
    with the missing delimiter added. Empty where the language has none.
    """

    name: str
    package: str
    module: str
    function: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...]
    identifiers: tuple[str, ...]
    kept: tuple[str, ...]
    kept_fields: tuple[str, ...]
    strings: tuple[str, ...]
    numbers: tuple[str, ...]
    comments: tuple[str, ...]
    units: tuple[str, ...]
    imports: tuple[str, ...]
    builtins: tuple[str, ...]
    soft_keywords: tuple[str, ...]
    member_access: tuple[str, ...]
    markers: tuple[str, ...]
    rejects: tuple[str, ...]
    shebangs: tuple[str, ...]
    extends: str | None
    source: str
    member_of: tuple[str, ...] = ()
    member_head: str = ""
    open_tag: str = ""
    narrow_after: str = ""
    block_comment: tuple[str, ...] = ()
    erased: tuple[str, ...] = ()
    shorthand: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    type_operators: tuple[str, ...] = ()
    type_marks: tuple[str, ...] = ()
    statement_end: tuple[str, ...] = ()

    def tag_before(self, text: str) -> str:
        """What ``text`` is parsed after: ``open_tag`` and a newline when it holds no tag (no ``open_tag[:2]``), else ``""``.

        >>> get("php").tag_before("echo 1;"), get("php").tag_before("<p><?= 1 ?></p>"), get("python").tag_before("x")
        ('<?php\\n', '', '')
        """
        return self.open_tag + "\n" if self.open_tag and self.open_tag[:2] not in text else ""

    @property
    def version(self) -> str:
        """Installed version of the grammar package (recorded in index manifests)."""
        return package_version(self)


# --- loading and validation ---------------------------------------------------


def _grammar_files() -> list[tuple[str, bytes]]:
    """(file name, content) of every grammar TOML, installed package first, checkout second."""
    try:
        root: Any = importlib.resources.files("copyguard.grammars")
        entries = [p for p in root.iterdir() if p.name.endswith(".toml")]
    except ModuleNotFoundError:
        root = Path(__file__).resolve().parents[2] / "grammars"
        entries = list(root.glob("*.toml")) if root.is_dir() else []
    if not entries:
        raise GrammarError(f"no grammar files found in {root}; is copyguard installed correctly?")
    return sorted((p.name, p.read_bytes()) for p in entries)


def _str_list(source: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise GrammarError(f"{source}: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _check_keys(source: str, where: str, table: dict, known: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise GrammarError(
            f"{source}: unknown key(s) {', '.join(unknown)} in {where}; known: {', '.join(known)}"
        )


def parse_grammar(source: str, data: dict) -> Grammar:
    """A validated ``Grammar`` from the parsed TOML ``data`` of file ``source``."""
    top = ("name", "package", "module", "function", "extensions", "aliases", "open_tag", "narrow_after",
           "block_comment", "nodes", "names", "detect")
    _check_keys(source, "the top level", data, top)
    for key in ("name", "package", "module", "function"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise GrammarError(f"{source}: '{key}' is required and must be a non-empty string")
    sections = {}
    for section, keys in (("nodes", _NODE_KEYS), ("names", _NAME_KEYS), ("detect", _DETECT_KEYS)):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise GrammarError(f"{source}: [{section}] must be a table")
        _check_keys(source, f"[{section}]", table, keys)
        for key in keys:
            if key not in ("extends", "member_of", "member_head"):
                sections[key] = _str_list(source, f"{section}.{key}", table.get(key, []))
    extends = data.get("detect", {}).get("extends")
    if extends is not None and (not isinstance(extends, str) or not extends):
        raise GrammarError(f"{source}: 'detect.extends' must be a language name, got {extends!r}")
    member_of = data.get("detect", {}).get("member_of", [])
    if not (isinstance(member_of, list) and all(isinstance(v, str) for v in member_of) and len(member_of) in (0, 2)):
        raise GrammarError(f"{source}: 'detect.member_of' must be [text before, text after], got {member_of!r}")
    member_head = data.get("detect", {}).get("member_head", "")
    if not isinstance(member_head, str) or (member_head and len(member_of) != 2):
        raise GrammarError(f"{source}: 'detect.member_head' must be a regex, with detect.member_of set")
    for key in ("strings", "comments", "units"):
        if not sections[key]:
            raise GrammarError(f"{source}: [nodes].{key} must name at least one node type")
    for entry in sections["kept_fields"]:
        if entry.count(".") != 1:
            raise GrammarError(f"{source}: kept_fields entry {entry!r} must be 'parent_type.field'")
    open_tag = data.get("open_tag", "")
    if not isinstance(open_tag, str) or (open_tag and len(open_tag) < 2):
        raise GrammarError(f"{source}: 'open_tag' must be a tag of two or more characters, got {open_tag!r}")
    narrow_after = data.get("narrow_after", "")
    try:
        if not isinstance(narrow_after, str):
            raise re.error("not a string")
        re.compile(narrow_after)
    except re.error as e:
        raise GrammarError(f"{source}: 'narrow_after' must be a regex, got {narrow_after!r} ({e})") from None
    block_comment = _str_list(source, "block_comment", data.get("block_comment", []))
    if len(block_comment) not in (0, 2):
        raise GrammarError(f"{source}: 'block_comment' must be [start, end], got {list(block_comment)!r}")
    exts = _str_list(source, "extensions", data.get("extensions", []))
    return Grammar(
        name=data["name"], package=data["package"], module=data["module"],
        function=data["function"],
        extensions=tuple(e.lower().lstrip(".") for e in exts),
        aliases=tuple(a.lower() for a in _str_list(source, "aliases", data.get("aliases", []))),
        extends=extends, source=source, member_of=tuple(member_of), member_head=member_head,
        open_tag=open_tag, narrow_after=narrow_after, block_comment=block_comment, **sections,
    )


@cache
def _registry() -> tuple[dict[str, Grammar], dict[str, Grammar], dict[str, Grammar]]:
    """(by name, by alias or name, by extension), checked for clashes."""
    by_name: dict[str, Grammar] = {}
    for file_name, raw in _grammar_files():
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise GrammarError(f"grammars/{file_name}: not valid TOML: {e}") from None
        g = parse_grammar(f"grammars/{file_name}", data)
        if g.name in by_name:
            raise GrammarError(f"{g.source}: language {g.name!r} already defined by {by_name[g.name].source}")
        by_name[g.name] = g
    for g in by_name.values():
        if g.extends is not None and g.extends not in by_name:
            raise GrammarError(f"{g.source}: detect.extends names unknown language {g.extends!r}")
    by_alias = _unique_map(by_name, lambda g: (g.name, *g.aliases), "alias")
    by_ext = _unique_map(by_name, lambda g: g.extensions, "extension")
    return by_name, by_alias, by_ext


def _unique_map(by_name: dict[str, Grammar], keys_of, what: str) -> dict[str, Grammar]:
    out: dict[str, Grammar] = {}
    for g in by_name.values():
        for key in keys_of(g):
            other = out.get(key)
            if other is not None and other.name != g.name:
                raise GrammarError(f"{g.source}: {what} {key!r} is also claimed by {other.source}")
            out[key] = g
    return out


# --- public lookups -------------------------------------------------------------


def names() -> list[str]:
    """Names of every known language, sorted."""
    return sorted(_registry()[0])


def get(name_or_alias: str) -> Grammar:
    """The grammar for a language name or alias (``"py"``, ``"c++"``, ``"golang"``...).

    >>> get("c++").name
    'cpp'
    """
    key = name_or_alias.strip().lower()
    g = _registry()[1].get(key)
    if g is None:
        raise UnknownLanguageError(
            f"unknown language {name_or_alias!r}; known languages: {', '.join(names())}"
        )
    return g


def find(name_or_alias: str) -> Grammar | None:
    """Like ``get`` but None for an unknown name (for fence tags that may be anything)."""
    return _registry()[1].get(name_or_alias.strip().lower())


def for_path(path: str | PurePath) -> Grammar | None:
    """The grammar for a file by its extension, or None."""
    suffix = PurePath(path).suffix.lower().lstrip(".")
    return _registry()[2].get(suffix) if suffix else None


def package_version(grammar: Grammar) -> str:
    """Installed version of the grammar's package, or raise ``GrammarError`` with the pip command.

    Read from the name of the package's ``.dist-info`` folder, found by one
    listing of each ``sys.path`` folder per process: ``importlib.metadata``
    parses every package's METADATA file, a few milliseconds of every
    ``Guard.open``. Anything else (an egg, a zip) asks ``importlib.metadata``.
    """
    version = _dist_versions().get(_canonical(grammar.package))
    if version:
        return version
    import importlib.metadata

    try:
        return importlib.metadata.version(grammar.package)
    except importlib.metadata.PackageNotFoundError:
        raise _missing(grammar) from None


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def _dist_versions() -> dict[str, str]:
    """Canonical package name -> version of the first ``name-version.dist-info`` on ``sys.path`` ("" for an egg)."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
            elif entry.endswith(".egg-info"):
                name, version = entry.partition("-")[0], ""  # importlib.metadata decides
            else:
                continue
            found.setdefault(_canonical(name), version)
    return found


def _missing(grammar: Grammar) -> GrammarError:
    return GrammarError(
        f"the {grammar.name} grammar needs the package {grammar.package}: "
        f"pip install {grammar.package}"
    )


# --- tree-sitter objects ---------------------------------------------------------


@cache
def language(grammar: Grammar):
    """The ``tree_sitter.Language`` of a grammar, its node types checked against the TOML."""
    import tree_sitter

    try:
        module = importlib.import_module(grammar.module)
    except ImportError:
        raise _missing(grammar) from None
    fn = getattr(module, grammar.function, None)
    if fn is None:
        raise GrammarError(f"{grammar.source}: {grammar.module} has no function {grammar.function!r}")
    lang = tree_sitter.Language(fn())
    _check_node_types(grammar, lang)
    return lang


@cache
def capsule(grammar: Grammar):
    """The grammar package's ``language()`` capsule (a ``TSLanguage`` pointer) for the compiled core's runtime."""
    language(grammar)  # imports the module and checks its node types first
    return getattr(importlib.import_module(grammar.module), grammar.function)()


def _check_node_types(grammar: Grammar, lang) -> None:
    for key in _NODE_KEYS:
        for entry in getattr(grammar, key):
            node_type, _, field = entry.partition(".")
            if lang.id_for_node_kind(node_type, True) is None:
                raise GrammarError(
                    f"{grammar.source}: [nodes].{key} names {node_type!r}, "
                    f"which {grammar.package} {package_version(grammar)} does not define"
                )
            if field and lang.field_id_for_name(field) is None:
                raise GrammarError(f"{grammar.source}: [nodes].{key}: no field {field!r} in {grammar.package}")
    for word in grammar.soft_keywords:
        if lang.id_for_node_kind(word, False) is None:
            raise GrammarError(f"{grammar.source}: soft keyword {word!r} is not a keyword of {grammar.package}")


_local = threading.local()


def parser(grammar: Grammar):
    """A ``tree_sitter.Parser`` for the grammar, cached per thread (parsers are not thread-safe)."""
    import tree_sitter

    cache_ = _local.__dict__.setdefault("parsers", {})
    p = cache_.get(grammar.name)
    if p is None:
        p = cache_[grammar.name] = tree_sitter.Parser(language(grammar))
    return p


# The parse budget. tree-sitter's error recovery can work without end on hostile text (a 199-character
# random TSX string parses for minutes); its runtime calls a progress callback every 100 parse operations,
# and a parse given up after ``parse_budget(n)`` calls is treated as unparsed (``parse``). Counting calls,
# not time, gives up at the same texts on any machine and in both implementations (the compiled core's
# runtime and the binding's are one release). Only the parse's own calls count: after the parse the runtime
# rebalances the finished tree (for later incremental edits) and calls back during that too, but the compiled
# core, which walks a tree once and deletes it, skips that step (``COPYGUARD_NO_BALANCE``; about 3% of a parse,
# 13% in Go), and ``parse`` lets the binding finish it uncounted. Real code of the 13 grammars needs at most 0.03 calls per
# byte (0.029, a JavaScript slice; 0.16 when parsed as the wrong grammar, as detection does;
# bench/parse_budget.py): 5 bytes per call leaves a margin of about 7 (1.25), the base room for the
# smallest snippets.
PARSE_BUDGET_BASE = 64
PARSE_BYTES_PER_CALL = 5


def parse_budget(n_bytes: int) -> int:
    """Progress callbacks a parse of ``n_bytes`` bytes may take before it is given up."""
    return PARSE_BUDGET_BASE + n_bytes // PARSE_BYTES_PER_CALL


def parse(grammar: Grammar, data: bytes):
    """The binding's ``tree_sitter.Tree`` of the UTF-8 ``data``, or None when the parse outgrew ``parse_budget``.

    >>> parse(get("python"), b"x = 1").root_node.type
    'module'
    """
    p = parser(grammar)
    limit = parse_budget(len(data))
    calls = 0

    def progress(_offset: int, _has_error: bool) -> bool:
        nonlocal calls
        calls += 1
        return calls > limit

    def read(at: int, _point) -> bytes:
        return data[at:]

    try:  # (the binding calls back only when it reads through a function)
        return p.parse(read, progress_callback=progress)
    except ValueError:  # given up: the parser would resume this parse on its next call
        if calls <= limit:
            p.reset()
            raise
        return _finished_balancing(p, read)


def _finished_balancing(p, read):
    """The tree of a parse given up at its budget's last call, when that call came while the runtime rebalanced
    the finished tree (the budget counts the parse's calls only); else None, the parser reset.

    The runtime logs each step of a parse (``process version...``) and none of the rebalancing: resumed with
    a logger and stopped at its first call, a parse given up while rebalancing logs only that it resumed.
    """
    logs: list[str] = []
    p.logger = lambda _type, message: logs.append(message)
    try:
        tree = p.parse(read, progress_callback=lambda _offset, _has_error: True)
    except ValueError:
        tree = None
    finally:
        p.logger = None
    if logs[:1] != ["resume_parsing"] or not set(logs[1:]) <= {"done"}:
        p.reset()
        return None
    return tree if tree is not None else p.parse(read)  # (no callback: the rebalancing runs to its end)


def source_bytes(grammar: Grammar, text: str) -> bytes:
    """The UTF-8 bytes the grammar's parser reads for ``text`` (lone surrogates kept: ``surrogatepass``).

    After a match of ``narrow_after``, a character above U+00FF (surrogates aside: the parser reads
    them as decoding errors) is replaced by a stand-in of its kind, ``ª`` for a letter or digit,
    ``¤`` for anything else: the scanner reads it safely and the parse is what the character's
    kind gives. One character for one, so offsets in characters hold for ``text`` itself.

    >>> source_bytes(get("bash"), "echo {中} {1..9\U0001F600}").decode()
    'echo {ª} {1..9¤}'
    >>> source_bytes(get("python"), "x = {中}").decode()
    'x = {中}'
    """
    if grammar.narrow_after and not text.isascii():
        text = _narrow(grammar.narrow_after).sub(_stand_in, text)
    return text.encode("utf-8", "surrogatepass")


@cache
def _narrow(after: str) -> re.Pattern:
    return re.compile(f"(?:{after})[^\\x00-\\xff\\ud800-\\udfff]")


def _stand_in(m: re.Match) -> str:
    s = m.group()
    return s[:-1] + ("\u00aa" if s[-1].isalnum() else "\u00a4")


def member_head(grammar: Grammar) -> re.Pattern | None:
    """The compiled ``member_head`` regex of ``grammar`` (None when it has none)."""
    return _compiled_regex(grammar.member_head) if grammar.member_head else None


@cache
def _compiled_regex(pattern: str) -> re.Pattern:
    # cached by the pattern: a ``Grammar`` key hashes every field (3 µs, once per normalized text)
    return re.compile(pattern)
