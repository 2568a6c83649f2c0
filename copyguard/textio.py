"""Reading user files as text, with one clear error for what is not text."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import InputError

MAX_BYTES = 64 * 1024 * 1024


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text, or ``InputError`` naming ``name`` when it is binary or not UTF-8."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: not valid UTF-8 (byte {err.start}: {data[err.start:err.start + 1]!r})") from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """The file at ``path`` (or standard input for ``-``) as text; ``InputError`` otherwise."""
    name = str(path)
    if name == "-":
        return decode(sys.stdin.buffer.read(), "<stdin>")
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(f"{name}: {size:,} bytes is over the {max_bytes:,}-byte limit for one file")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    return decode(data, name)


def read_toml(path: str | Path, what: str) -> dict:
    """A TOML settings file as a dict; ``ConfigError`` naming the file (``what``: "policy", "parameter").

    Imported late: the error classes of ``tomllib`` are only needed here.
    """
    import tomllib

    from .errors import ConfigError

    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not a valid TOML file: {err}") from None
