"""Reading user input as text, bounded: one clear error for what is not text, too large, or never comes.

Every read stops at ``max_bytes`` (it never trusts ``stat()``: devices and
pipes report no size), devices are refused by name, and a FIFO that no
writer feeds gives up after ``timeout`` seconds instead of hanging.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

MAX_BYTES = 8 * 1024 * 1024  # one answer to check (``--max-bytes``)
READ_TIMEOUT = 10.0  # seconds a FIFO may stay silent (``--read-timeout``)
_CHUNK = 1 << 20
_REASONS = {errno.ENOENT: "no such file", errno.EISDIR: "is a directory, not a file",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.ELOOP: "too many levels of symbolic links", errno.ENOTDIR: "a part of the path is not a directory",
            errno.ENAMETOOLONG: "file name too long"}


def describe_os_error(err: OSError) -> str:
    """A short reason for an ``OSError`` ("no such file", "permission denied", ...)."""
    return _REASONS.get(err.errno or 0, err.strerror or type(err).__name__)


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text, or ``InputError`` naming ``name`` when it is binary or not UTF-8."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{name}: not valid UTF-8 (byte {err.start}: {data[err.start:err.start + 1]!r})") from None
    return text[1:] if text.startswith("\ufeff") else text


def too_large(name: str, max_bytes: int) -> InputError:
    return InputError(f"{name}: over the {max_bytes:,}-byte limit for one input (raise it with --max-bytes)")


def read_bytes(path: str | Path, max_bytes: int = MAX_BYTES, timeout: float = READ_TIMEOUT) -> bytes:
    """At most ``max_bytes`` of the file at ``path`` (``-``: standard input); ``InputError`` beyond that."""
    name = str(path)
    if name == "-":
        return _read_stream(sys.stdin.buffer, "<stdin>", max_bytes)
    fd = _open(name)
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind):
            return _read_fifo(fd, name, max_bytes, timeout)
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as f:
            return _read_stream(f, name, max_bytes)
    finally:
        os.close(fd)


def read_text(path: str | Path, max_bytes: int = MAX_BYTES, timeout: float = READ_TIMEOUT) -> str:
    """The file at ``path`` (or standard input for ``-``) as text; ``InputError`` otherwise."""
    return decode(read_bytes(path, max_bytes, timeout), "<stdin>" if str(path) == "-" else str(path))


def read_lines(path: str | Path, max_bytes: int = MAX_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, line)`` split on ``\\n`` only; a line over ``max_bytes`` comes as ``None``, never read whole.

    Memory stays within one line of ``max_bytes``, whatever the file's size.
    """
    name = str(path)
    if name == "-":
        stdin = sys.stdin.buffer
        if not stdin.isatty() and stat.S_ISCHR(os.fstat(stdin.fileno()).st_mode):
            raise InputError("<stdin>: is a device, not a file of lines")
        yield from _lines(stdin, max_bytes)
        return
    fd = _open(name)
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as f:
        yield from _lines(f, max_bytes)


def _lines(f: BinaryIO, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    lineno = 0
    while True:
        line = f.readline(max_bytes + 1)
        if not line:
            return
        lineno += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the over-long line, chunk by chunk
                line = f.readline(_CHUNK)
            yield lineno, None
            continue
        yield lineno, line.rstrip(b"\n").removesuffix(b"\r")


def _open(name: str) -> int:
    """A read-only descriptor of ``name``; non-blocking so that opening a FIFO without a writer returns."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise InputError(f"{name}: {describe_os_error(err)}") from None
    kind = os.fstat(fd).st_mode
    if stat.S_ISDIR(kind) or stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
        os.close(fd)
        raise InputError(f"{name}: {'is a directory' if stat.S_ISDIR(kind) else 'is a device'}, not a file")
    return fd


def _read_stream(f: BinaryIO, name: str, max_bytes: int) -> bytes:
    try:
        data = f.read(max_bytes + 1)
    except OSError as err:
        raise InputError(f"{name}: {describe_os_error(err)}") from None
    if len(data) > max_bytes:
        raise too_large(name, max_bytes)
    return data


def _read_fifo(fd: int, name: str, max_bytes: int, timeout: float) -> bytes:
    """Read a FIFO until its writer closes it, within ``timeout`` seconds of silence."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    chunks: list[bytes] = []
    total = 0
    while True:
        if not poller.poll(int(timeout * 1000)):
            raise InputError(f"{name}: no data within {timeout:g} s (a FIFO without a writer?); "
                             f"see --read-timeout")
        try:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise too_large(name, max_bytes)


def read_toml(path: str | Path, what: str) -> dict:
    """A TOML settings file as a dict; ``ConfigError`` naming the file (``what``: "policy", "parameter").

    Imported late: the error classes of ``tomllib`` are only needed here.
    """
    import tomllib

    from .errors import ConfigError

    if not os.path.lexists(path):
        raise ConfigError(f"{path}: {what} file not found")
    try:
        return tomllib.loads(decode(read_bytes(path, 1 << 20), str(path)))
    except InputError as err:
        raise ConfigError(f"{what} file {err}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        raise ConfigError(f"{path}: not a valid TOML file: {err or 'nested too deeply'}") from None
