"""Normalization: prose and code to a ``TokenStream`` whose hashes are equal when content was copied.

One normalization serves indexing and checking, so the two can never drift.

>>> from copyguard.normalize import normalize
>>> normalize("Hello, WORLD").exact.shape
(2,)
"""

from __future__ import annotations

from .tokens import PROSE, PROSE_ALIASES, Kind, Tokens, TokenStream

# Bumped whenever normalization changes the tokens it produces: indexes built before must be rebuilt.
NORMALIZATION_VERSION = "16"  # 3: words of comments and docstrings; 4: source counts; 5: no license notices;
# 6: short literals hashed by their contents, license notices in strings left out of the words;
# 7: a text that starts inside a docstring or block comment is parsed opened; 8: not when a line of code
# (a first-column comment, a decorator, def, class or import) comes before its first triple quote;
# 9: a JavaScript/TypeScript text that starts with a method's head is normalized inside a class
# 10: a PHP text holding no "<?" is parsed after "<?php" (the grammar read it as one piece of HTML text)
# 11: forms a formatter or compiler chooses dropped: trailing commas, what TypeScript's compiler erases (types,
# interfaces, access modifiers); a JavaScript/TypeScript ';' put where a line break ends a statement and '};' read
# as '}'; private #names of JavaScript/TypeScript are placeholders
# 12: a string holding a license notice keeps its words before the notice's paragraph (unless they hold a copyright)
# 13: Python: a parameter aliased on the first lines of its function (``A = self``) reads as the parameter
# 14: only languages with /* */ block comments (grammars' block_comment) are parsed with one opened or closed: a
# Ruby regex or a Bash glob holding "/*" or "*/" was taken for a cut comment
# 15: import statements (and package lines) are words: a file's head of license, package and imports had no tokens
# 16: a JavaScript/TypeScript shorthand property ``{ x }`` reads as ``{ x: x }`` (kept key, ``:``, name): a minifier
# writes it ``{ x: a }``


def normalize(text: str, lang: str | None = None) -> TokenStream:
    """Tokens of ``text``: prose when ``lang`` is None or ``"prose"``, else code in that language.

    ``lang`` may be a grammar name or any alias its grammar file declares
    (``py``, ``c++``, ``golang``...). Unknown names raise ``UnknownLanguageError``.
    """
    if lang is None or lang in PROSE_ALIASES:
        from .text import normalize_prose

        return normalize_prose(text)
    from .code import normalize_code

    return normalize_code(text, lang)


def versions() -> dict[str, str]:
    """What tokens depend on besides the sketch parameters: the normalizer and each grammar package's version.

    Stored in every index manifest; an index whose versions differ is refused.
    """
    from . import grammars

    found = {name: grammars.package_version(grammars.get(name)) for name in grammars.names()}
    return {"copyguard-normalization": NORMALIZATION_VERSION, **found}


__all__ = ["Kind", "NORMALIZATION_VERSION", "PROSE", "PROSE_ALIASES", "Tokens", "TokenStream", "normalize", "versions"]
