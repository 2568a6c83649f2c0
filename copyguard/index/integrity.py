"""Integrity of an index on disk: checksums of every file, and names that stay inside the index.

Every segment file's size and xxh3-64 digest are recorded in the manifest
when the segment is written, so is the digest of each tombstone file, and the
manifest carries a digest of its own content (parameters, segment list,
tombstone references). xxh3-64 was measured against CRC32C and zlib's CRC32
(``bench/checksum.py``: 30 GB/s against 13 and 4 of CPU time on one core).
It detects damage and hand edits; it is not a signature against someone who
can rewrite the whole index.

Opening an index checks what is cheap (``verify_open``): the manifest's own
digest, every file's presence and size, and the full digest of the small files
that map passages to sources (``CHEAP``). ``verify_full`` (``copyguard index
verify``) reads and checks every byte.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from ..errors import IndexStoreError

ALGORITHM = "xxh3_64"
# Files digested on every open: a few bytes per passage and per source, the map from passages to sources.
CHEAP = frozenset({"source_tok.npy", "p_source.npy", "p_tok.npy", "p_kind.npy", "band_dir.npy", "sources.arrow"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def digest_bytes(data: bytes | memoryview | mmap.mmap) -> str:
    """The hex xxh3-64 digest of ``data``."""
    return xxhash.xxh3_64_hexdigest(data)


def digest_file(path: Path) -> str:
    """The hex xxh3-64 digest of a file's content (memory-mapped, not copied)."""
    with open(path, "rb") as f:
        if not f.seek(0, 2):
            return digest_bytes(b"")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return digest_bytes(m)


def digest_dir(directory: Path) -> dict[str, list]:
    """``{file name: [size, digest]}`` of every file in ``directory`` (a segment being written)."""
    out: dict[str, list] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.is_symlink():
            raise IndexStoreError(f"{path}: a segment holds plain files only")
        check_name(path.name, "segment file")
        out[path.name] = [path.stat().st_size, digest_file(path)]
    return out


def check_name(name: object, what: str) -> str:
    """``name`` if it is a safe file name (letters, digits, ``._-``, no path), else ``IndexStoreError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise IndexStoreError(f"invalid {what} name {name!r} in the index: refusing to open it")
    return name


@dataclass
class VerifyReport:
    """What ``verify_full`` read and every problem it found."""

    segments: int = 0
    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_segment_files(directory: Path, files: dict[str, list], full: bool, report: VerifyReport | None = None,
                        extra_ok: bool = True) -> list[str]:
    """Problems of one segment directory against its recorded ``files``; digests of all files with ``full``."""
    problems: list[str] = []
    for name, (size, digest) in sorted(files.items()):
        path = directory / name
        try:
            actual = path.stat().st_size
        except OSError as err:
            problems.append(f"{path}: missing or unreadable ({err.strerror})")
            continue
        if actual != size:
            problems.append(f"{path}: {actual:,} bytes, the manifest recorded {size:,}")
            continue
        if (full or name in CHEAP) and digest_file(path) != digest:
            problems.append(f"{path}: checksum mismatch (the file is damaged)")
        if report is not None:
            report.files += 1
            report.bytes += size
    if not extra_ok and directory.is_dir():
        extra = sorted(p.name for p in directory.iterdir() if p.name not in files)
        problems += [f"{directory / name}: file not recorded in the manifest" for name in extra]
    return problems


def raise_problems(root: Path, problems: list[str]) -> None:
    """One ``IndexStoreError`` naming the first problems and how to recover."""
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise IndexStoreError(f"{root}: index damaged: {'; '.join(problems[:3])}{more}; "
                          f"run `copyguard index verify --index {root}` and rebuild it from its sources")
