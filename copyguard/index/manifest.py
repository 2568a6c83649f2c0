"""The manifest: the one file that says what an index directory holds.

``manifest.json`` names the format version, the copyguard version that wrote
it, every sketch parameter, the grammar versions, and the live segments with
their counts, the size and checksum of each of their files, and their current
tombstone file; and the declared base code's file when there is one
(``copyguard.index.base``; an optional key, absent from indexes without base
code). Files it does not name do not exist as far as readers are concerned,
which is what makes writes atomic: a writer adds files first and replaces
the manifest last. The manifest ends with the checksum of its own
content, so an edited parameter, segment list or tombstone reference is refused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..errors import ConfigError, IndexFormatError, IndexStoreError
from ..params import Params
from .base import BaseEntry
from .fsutil import replace_file
from .integrity import ALGORITHM, check_name, digest_bytes

# 2: checksums of the manifest, of every segment file and tombstone; 3: the count table counts names (``df.name_keys``);
# 4: and literals (a format-3 segment has none: its literals would look rare); 5: and kept names (attributes, methods);
# 6: and the names a source declares (``df.own_key``), and the holders table names the sources of every name key too
# (a format-5 one names none: no name would propose a source)
FORMAT_VERSION = 6
MANIFEST = "manifest.json"


def rebuild_hint(root: Path | str) -> str:
    return f"rebuild it with `copyguard index build SOURCES... --out {root}`"


@dataclass(frozen=True)
class SegmentEntry:
    """One immutable segment: its directory name under ``segments/``, counts, and tombstones.

    ``tombstone`` names a file under ``tombstones/`` listing the dead source
    rows and passages of this segment, or is None when nothing was removed.
    """

    name: str
    sources: int
    passages: int
    tokens: int
    tombstone: str | None = None
    dead_sources: int = 0
    dead_passages: int = 0
    files: dict[str, list] = field(default_factory=dict)  # file name -> [size, xxh3-64 hex digest]
    tombstone_digest: str | None = None

    def __post_init__(self) -> None:
        check_name(self.name, "segment")
        if self.tombstone is not None:
            check_name(self.tombstone, "tombstone")
        for name, value in self.files.items():
            check_name(name, "segment file")
            if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
                    or not isinstance(value[1], str)):
                raise ValueError(f"file record of {name} is not [size, digest]")


@dataclass(frozen=True)
class Manifest:
    """Everything ``manifest.json`` holds.

    >>> m = Manifest(Params(), {"python": "0.23.6"})
    >>> Manifest.from_json(m.to_json(), "idx").segments
    ()
    """

    params: Params
    grammars: dict[str, str] = field(default_factory=dict)
    segments: tuple[SegmentEntry, ...] = ()
    generation: int = 0
    format: int = FORMAT_VERSION
    copyguard: str = __version__
    base: BaseEntry | None = None  # declared base code (starter code), never reported

    def to_json(self) -> bytes:
        data = {
            "format": self.format,
            "copyguard": self.copyguard,
            "generation": self.generation,
            "params": self.params.to_dict(),
            "grammars": dict(sorted(self.grammars.items())),
            "segments": [asdict(s) for s in self.segments],
        }
        if self.base is not None:
            data["base"] = self.base.to_dict()
        data["checksum"] = f"{ALGORITHM}:{_content_digest(data)}"
        return (json.dumps(data, indent=1) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, where: Path | str) -> Manifest:
        """Parse and check a manifest; ``IndexFormatError`` for another format, ``IndexStoreError`` if damaged."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise IndexStoreError(f"{where}: damaged index manifest ({err}); {rebuild_hint(where)}") from None
        if not isinstance(data, dict) or "format" not in data:
            raise IndexStoreError(f"{where}: {MANIFEST} is not a copyguard index manifest; {rebuild_hint(where)}")
        if data["format"] != FORMAT_VERSION:
            raise IndexFormatError(
                f"{where}: index format version {data['format']!r} (written by copyguard "
                f"{data.get('copyguard', '?')}), this copyguard reads version {FORMAT_VERSION}; {rebuild_hint(where)}"
            )
        stated = data.pop("checksum", None)
        if stated != f"{ALGORITHM}:{_content_digest(data)}":
            raise IndexStoreError(f"{where}: {MANIFEST} fails its checksum (edited or damaged); {rebuild_hint(where)}")
        try:
            params = Params.from_dict(data["params"])
            segments = tuple(SegmentEntry(**s) for s in data["segments"])
            base = BaseEntry(**data["base"]) if data.get("base") is not None else None
            return cls(params, dict(data["grammars"]), segments, int(data["generation"]), FORMAT_VERSION,
                       str(data["copyguard"]), base)
        except ConfigError as err:
            raise IndexFormatError(f"{where}: {err}; {rebuild_hint(where)}") from None
        except (KeyError, TypeError, ValueError) as err:
            raise IndexStoreError(f"{where}: damaged index manifest ({err!r}); {rebuild_hint(where)}") from None

    def with_segments(self, segments: list[SegmentEntry] | tuple[SegmentEntry, ...]) -> Manifest:
        """The next generation of this manifest with ``segments``."""
        return replace(self, segments=tuple(segments), generation=self.generation + 1, copyguard=__version__)


def _content_digest(data: dict) -> str:
    """Digest of a manifest's content in a canonical form (sorted keys, no spaces)."""
    return digest_bytes(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def read_manifest(root: Path) -> Manifest:
    """The manifest of the index at ``root``; ``IndexStoreError`` when there is none."""
    if not root.is_dir():
        raise IndexStoreError(f"{root}: no index here (no such directory); build one with "
                          f"`copyguard index build SOURCES... --out {root}`")
    try:
        raw = (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise IndexStoreError(f"{root}: not a copyguard index (no {MANIFEST})") from None
    except OSError as err:
        raise IndexStoreError(f"{root / MANIFEST}: cannot read the index manifest ({err.strerror})") from None
    return Manifest.from_json(raw, root)


def write_manifest(root: Path, manifest: Manifest) -> None:
    """Atomically replace the manifest; the last step of every write."""
    replace_file(root, MANIFEST, manifest.to_json())


def check_params(manifest: Manifest, params: Params, where: Path | str) -> None:
    """``IndexFormatError`` naming every parameter where ``params`` differs from the index's."""
    have, want = manifest.params.to_dict(), params.to_dict()
    diff = [f"{k}={have[k]} (asked {want[k]})" for k in sorted(have) if have[k] != want[k]]
    if diff:
        raise IndexFormatError(
            f"{where}: index was built with other parameters: {', '.join(diff)}; "
            f"use the index's parameters or {rebuild_hint(where)}"
        )


def check_compatible(manifest: Manifest, versions: dict[str, str], where: Path | str) -> None:
    """Refuse an index whose tokens were made by another normalizer or other grammar versions.

    ``versions`` is what this process would write (``copyguard.normalize.versions()``).

    >>> check_compatible(Manifest(Params(), {"python": "1"}), {"python": "1"}, "idx")
    >>> check_compatible(Manifest(Params(), {"python": "1"}), {"python": "2"}, "idx")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    copyguard.errors.IndexFormatError: idx: built with other normalization or grammar versions (python 1 -> 2); ...
    """
    built = manifest.grammars
    changed = sorted(k for k in set(built) | set(versions) if built.get(k) != versions.get(k))
    if changed:
        detail = ", ".join(f"{k} {built.get(k, 'absent')} -> {versions.get(k, 'absent')}" for k in changed[:4])
        raise IndexFormatError(f"{where}: built with other normalization or grammar versions ({detail}); "
                               f"{rebuild_hint(where)}")
