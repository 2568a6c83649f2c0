"""One exception tree for everything copyguard raises on purpose.

The CLI turns any ``CopyguardError`` into a one-line message and exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class CopyguardError(Exception):
    """Base class of every error copyguard raises for a user or data problem."""


class InputError(CopyguardError):
    """Input that cannot be read as text: binary, not UTF-8, missing, or empty where text is required."""


class UnknownLanguageError(CopyguardError):
    """A language name, extension or fence tag that no grammar in ``grammars/`` declares."""


class GrammarError(CopyguardError):
    """A grammar file that is malformed, or whose grammar package is not installed."""


class IndexFormatError(CopyguardError):
    """An index written by another format version or with other sketch parameters."""


class IndexStoreError(CopyguardError):
    """An index that is missing, damaged, or asked for something it does not hold."""


class ConfigError(CopyguardError):
    """Bad parameters or a bad policy file: the message names the value and the accepted range."""


class DependencyError(CopyguardError):
    """An optional dependency (pyspark, redis) is missing; the message gives the pip command."""
