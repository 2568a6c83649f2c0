"""Normalization: prose and code to a ``TokenStream`` whose hashes are equal when content was copied.

One normalization serves indexing and checking, so the two can never drift.

>>> from copyguard.normalize import normalize
>>> normalize("Hello, WORLD").exact.shape
(2,)
"""

from __future__ import annotations

from .tokens import PROSE, Kind, TokenStream


def normalize(text: str, lang: str | None = None) -> TokenStream:
    """Tokens of ``text``: prose when ``lang`` is None or ``"text"``, else code in that language.

    ``lang`` may be a grammar name or any alias its grammar file declares
    (``py``, ``c++``, ``golang``...). Unknown names raise ``UnknownLanguageError``.
    """
    if lang is None or lang == PROSE:
        from .text import normalize_prose

        return normalize_prose(text)
    from .code import normalize_code

    return normalize_code(text, lang)


__all__ = ["Kind", "PROSE", "TokenStream", "normalize"]
