"""Reading a protected corpus: folders of files and JSONL/Parquet datasets as ``Document``s.

Source ids carry a namespace: files in folders get their path relative to
the folder given behind the folder's own name (``corpus/py/a.py`` ->
``corpus/py/a.py`` for ``corpus/``, also when given as ``./corpus`` or an
absolute path), so two folders added one after the other never replace each
other's ``__init__.py``; a file given directly gets its name. ``prefix``
replaces the namespace (``""`` for none); dataset rows keep their
``<file>:<row>`` or ``id_field`` id, behind ``prefix`` when one is given.
What is not worth indexing is skipped and tallied with a reason:
``binary``, ``not-utf8``, ``empty``, ``too-large``, ``vendored`` (a pruned
folder such as ``node_modules`` counts once, or a lock file), ``generated``
(``*.min.js``, a head saying "DO NOT EDIT" or "@generated"),
``data-file`` (images, archives, compiled files, CSV/JSON, and JSONL/Parquet
met inside a folder), ``license-file`` (LICENSE files are read for licenses,
not indexed), ``duplicate-id``, ``unreadable``, ``special-file`` (FIFOs,
devices and sockets are never opened while walking). Path rules (vendored, generated, data-file,
license-file) apply while walking folders; a file named directly is always read,
and one that cannot be read as text is an error, not a skip.

A path ending in ``.jsonl``, ``.jsonl.gz`` or ``.parquet`` (a file, or a folder of such
files) is a dataset: one document per row with text from ``text_field``;
id from ``id_field`` or ``<file>:<row>`` (row from 0). A line that is not a
JSON object, or a missing text field, raises ``InputError`` naming file and
line; a null or blank text is skipped as ``empty``.

The license is the row's ``license_field``, else ``license=``, else the
nearest LICENSE/COPYING file at or above the document's folder, up to the
folder given (see ``copyguard.licenses``).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .licenses import LicenseFinder, is_license_file
from .normalize.tokens import PROSE
from .textio import decode, describe_os_error, read_bytes

MAX_BYTES = 4 * 1024 * 1024
PROSE_SUFFIXES = {"", ".txt", ".md", ".markdown", ".rst", ".text"}
DATASET_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
VENDORED_DIRS = {"node_modules", "vendor", "third_party", "third-party", "dist", "build", ".git", ".hg", ".svn",
                 "__pycache__", ".venv", "venv", "site-packages", ".tox", ".mypy_cache", ".pytest_cache"}
LOCK_FILES = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "cargo.lock", "poetry.lock", "pipfile.lock",
              "composer.lock", "gemfile.lock", "go.sum", "uv.lock", "npm-shrinkwrap.json"}
DATA_SUFFIXES = set(
    ".png .jpg .jpeg .gif .bmp .ico .webp .tif .tiff .psd .pdf .zip .gz .tgz .bz2 .xz .zst .7z .rar .tar .jar .war "
    ".whl .egg .class .pyc .pyo .so .dylib .dll .exe .o .a .lib .bin .dat .wasm .woff .woff2 .ttf .otf .eot .mp3 "
    ".mp4 .wav .ogg .flac .avi .mov .mkv .webm .npy .npz .pkl .pickle .h5 .hdf5 .db .sqlite .sqlite3 .arrow "
    ".feather .avro .orc .csv .tsv .json .jsonl .parquet .map .lock .svg".split()
)
_GENERATED_NAME = re.compile(r"\.min\.(js|css|mjs)$|[-.]bundle\.js$|_pb2\.py$|\.pb\.go$", re.IGNORECASE)
# "DO NOT EDIT" alone is not enough: "DO NOT EDIT THIS LINE MANUALLY" marks a version string in hand-written files.
_GENERATED_HEAD = re.compile(
    r"@generated|auto-?generated|generated (by|from|automatically)|code generated .* do not edit|"
    r"this file (is|was) generated",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Document:
    """One text to index; ``lang`` None means: decide later (detection), ``"prose"`` means prose."""

    id: str
    text: str
    lang: str | None
    license: str | None
    path: str | None


@dataclass
class Skipped:
    """How many inputs were skipped, per reason, with a few example paths of each."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, where: str | Path) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(str(where))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """One line: ``"3 skipped: 2 binary (a.png, b.so), 1 empty (e.txt)"``."""
        parts = [f"{n} {r} ({', '.join(self.examples[r])})" for r, n in sorted(self.counts.items())]
        return f"{self.total} skipped" + (": " + ", ".join(parts) if parts else "")


def default_language(path: str) -> str | None:
    """Grammar name by extension, ``"prose"`` for prose extensions, None to decide from the content."""
    from .normalize.grammars import for_path

    grammar = for_path(path)
    if grammar is not None:
        return grammar.name
    suffix = Path(path).suffix.lower()
    return PROSE if suffix in PROSE_SUFFIXES else None


@dataclass(frozen=True)
class Piece:
    """One part of a corpus that can be read on its own, on any machine: a file, or a dataset file's rows.

    ``kind`` is ``"file"``, ``"jsonl"`` or ``"parquet"``; ``root`` is the folder
    where the license search stops; ``name`` is a file's document id, or the
    prefix of a dataset's row ids; ``walking`` marks a file met while walking a
    folder (path rules were applied, the generated-file rule still applies);
    ``group`` is a Parquet row group whose first row is ``first_row``; ``size``
    is in bytes, for planning.
    """

    kind: str
    path: str
    root: str
    name: str
    walking: bool = False
    group: int = -1
    first_row: int = 0
    size: int = 0


class CorpusReader:
    """Iterate the documents of ``paths``; ``skipped`` tallies what was left out (reset per iteration).

    Iteration is ``pieces()`` (walking folders, reading no file) followed by
    ``read(piece)`` for each; a distributed build runs the two on different
    machines and gets the same documents. ``base`` is where relative paths
    are read from (default: the current directory).

    reader = CorpusReader(["corpus/"], license="MIT")
    docs = list(reader); print(reader.skipped.summary())
    """

    def __init__(self, paths: Iterable[str | os.PathLike], *, text_field: str = "text", id_field: str | None = None,
                 license_field: str | None = None, lang_field: str | None = None, license: str | None = None,
                 max_bytes: int = MAX_BYTES, language: Callable[[str], str | None] = default_language,
                 prefix: str | None = None, base: str | os.PathLike | None = None):
        self.paths = [Path(p) for p in paths]
        self.prefix = prefix
        self.base = Path(base) if base is not None else None
        self.text_field, self.id_field = text_field, id_field
        self.license_field, self.lang_field, self.license = license_field, lang_field, license
        self.max_bytes = max_bytes
        self.language = language
        self.skipped = Skipped()
        self._seen: set[str] = set()
        self._finders: dict[str, LicenseFinder] = {}

    def __iter__(self) -> Iterator[Document]:
        self.skipped, self._seen = Skipped(), set()
        for piece in self.pieces():
            for doc in self.read(piece):
                if doc.id in self._seen:
                    self.skipped.add("duplicate-id", doc.path or doc.id)
                    continue
                self._seen.add(doc.id)
                yield doc

    def pieces(self) -> Iterator[Piece]:
        """The corpus as pieces in reading order; folders' vendored and path-rule skips are tallied here."""
        for path in self.paths:
            try:
                path.stat()
            except OSError as err:
                raise InputError(f"{path}: {describe_os_error(err)}") from None
            if is_dataset(path):
                yield from self._dataset_pieces(path)
            elif path.is_dir():
                yield from self._folder_pieces(path)
            else:
                yield Piece("file", str(path), str(path.parent), self._namespaced(path.name, None), size=_size(path))

    def read(self, piece: Piece) -> Iterator[Document]:
        """The documents of one piece; what is left out is tallied in ``skipped``."""
        path, disk = Path(piece.path), self._disk(piece.path)
        if piece.kind == "file":
            yield from self._file(path, disk, piece)
            return
        default_license = self.license or self._finder(piece.root).find(disk)
        if piece.kind == "parquet":
            rows = self._parquet_rows(disk, path, piece.group, piece.first_row)
        else:
            rows = self._jsonl_rows(disk, path)
        for i, (where, row) in enumerate(rows, piece.first_row):
            doc = self._row_document(row, f"{piece.name}:{i}", where, default_license)
            if doc is not None:
                yield doc

    def _finder(self, root: str) -> LicenseFinder:
        if root not in self._finders:
            self._finders[root] = LicenseFinder(self._disk(root))
        return self._finders[root]

    def _disk(self, path: str) -> Path:
        """Where ``path`` (as the user gave it) is read from: relative to ``base`` when one is set."""
        return self.base / path if self.base is not None else Path(path)

    # --- folders and files ------------------------------------------------

    def _namespaced(self, doc_id: str, default: str | None) -> str:
        prefix = self.prefix if self.prefix is not None else default
        return f"{prefix.rstrip('/')}/{doc_id}" if prefix else doc_id

    def _folder_pieces(self, root: Path) -> Iterator[Piece]:
        namespace = (root if root.name not in ("", ".", "..") else root.resolve()).name
        for directory, dirs, files in os.walk(root):
            here = Path(directory)
            for d in sorted(dirs):
                if d in VENDORED_DIRS:
                    self.skipped.add("vendored", here / d)
            dirs[:] = sorted(d for d in dirs if d not in VENDORED_DIRS)
            for name in sorted(files):
                path = here / name
                reason = self._path_reason(path)
                if reason is not None:
                    self.skipped.add(reason, path)
                    continue
                doc_id = self._namespaced(path.relative_to(root).as_posix(), namespace)
                yield Piece("file", str(path), str(root), doc_id, walking=True, size=_size(path))

    def _file(self, path: Path, disk: Path, piece: Piece) -> Iterator[Document]:
        text, reason = self._read(disk)
        if reason is not None and not piece.walking and reason != "empty":
            raise InputError(f"{path}: {reason}, cannot index it"
                             + (" (decompress it, or name it .jsonl.gz if it is JSON lines)"
                                if path.suffix.lower() in (".gz", ".zst", ".bz2", ".xz", ".zip") else ""))
        if reason is None and piece.walking and text is not None and _GENERATED_HEAD.search(text[:1024]):
            reason = "generated"
        if reason is not None or text is None:
            self.skipped.add(reason or "unreadable", path)
            return
        lang = self.language(str(path))
        if lang == PROSE and not path.suffix and text.startswith("#!"):
            lang = None  # an extensionless script: let detection decide
        yield Document(piece.name, text, lang, self.license or self._finder(piece.root).find(disk), str(path))

    @staticmethod
    def _path_reason(path: Path) -> str | None:
        name = path.name.lower()
        suffix = path.suffix.lower()
        if name in LOCK_FILES:
            return "vendored"
        if is_license_file(path):
            return "license-file"
        if _GENERATED_NAME.search(name):
            return "generated"
        if suffix in DATA_SUFFIXES:
            return "data-file"
        return None

    def _read(self, path: Path) -> tuple[str | None, str | None]:
        """``(text, None)`` or ``(None, reason)``; never opens a FIFO or a device, never reads past ``max_bytes``."""
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):
                return None, "special-file"
            if info.st_size > self.max_bytes:
                return None, "too-large"
            data = read_bytes(path, self.max_bytes)
        except InputError as err:
            return None, "too-large" if "limit" in str(err) else "unreadable"
        except OSError:
            return None, "unreadable"
        try:
            text = decode(data, str(path))
        except InputError:
            return None, "binary" if b"\x00" in data[:8192] else "not-utf8"
        return (None, "empty") if not text.strip() else (text, None)

    # --- datasets ---------------------------------------------------------

    def _dataset_pieces(self, path: Path) -> Iterator[Piece]:
        files = sorted(p for p in path.rglob("*") if is_dataset(p) and p.is_file()) if path.is_dir() else [path]
        root = str(path if path.is_dir() else path.parent)
        for file in files:
            name = file.relative_to(path.parent).as_posix()
            if file.suffix.lower() != ".parquet":
                yield Piece("jsonl", str(file), root, name, size=_size(file))
                continue
            meta = self._parquet_file(file, file).metadata
            row = 0
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                yield Piece("parquet", str(file), root, name, group=g, first_row=row, size=group.total_byte_size)
                row += group.num_rows

    def _row_document(self, row: dict[str, Any], default_id: str, where: str, license: str | None) -> Document | None:
        if self.text_field not in row:
            raise InputError(f"{where}: no {self.text_field!r} field (fields: {', '.join(sorted(row)) or 'none'}); "
                             f"choose the text column with --text-field")
        text = row[self.text_field]
        if text is not None and not isinstance(text, str):
            raise InputError(f"{where}: field {self.text_field!r} is {type(text).__name__}, not text")
        if not text or not text.strip():
            self.skipped.add("empty", where)
            return None
        if len(text) > self.max_bytes:
            self.skipped.add("too-large", where)
            return None
        if self.id_field and row.get(self.id_field) is not None:
            doc_id = self._namespaced(_scalar_text(row[self.id_field], self.id_field, where), None)
        else:
            doc_id = self._namespaced(default_id, None)
        lic = _optional_text(row, self.license_field, where)
        lang = _optional_text(row, self.lang_field, where)
        return Document(doc_id, text, lang or None, lic or license, where.rsplit(":", 1)[0])

    def _jsonl_rows(self, file: Path, shown: Path) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(where, object)`` per non-blank line of ``file``; ``where`` is ``shown:line`` (line from 1)."""
        for lineno, raw in _jsonl_lines(file, self.max_bytes * 6 + 1024):  # JSON escapes can take 6 bytes a character
            if raw is None:
                self.skipped.add("too-large", f"{shown}:{lineno}")
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (UnicodeDecodeError, ValueError, RecursionError) as err:
                raise InputError(f"{shown}:{lineno}: not valid JSON ({str(err)[:120] or 'nested too deeply'})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{shown}:{lineno}: expected a JSON object per line, got {type(obj).__name__}")
            yield f"{shown}:{lineno}", obj

    def _parquet_file(self, file: Path, shown: Path) -> Any:
        """The open Parquet file; ``InputError`` when unreadable or without the text column."""
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(file)
        except Exception as err:  # pyarrow raises several types for a bad file
            raise InputError(f"{shown}: not a readable Parquet file ({err})") from None
        names = pf.schema_arrow.names
        if self.text_field not in names:
            raise InputError(f"{shown}: no {self.text_field!r} column (columns: {', '.join(names)}); "
                             f"choose the text column with --text-field")
        return pf

    def _parquet_rows(self, file: Path, shown: Path, group: int, first_row: int) -> Iterator[tuple[str, dict[str, Any]]]:
        pf = self._parquet_file(file, shown)
        wanted = [c for c in (self.text_field, self.id_field, self.license_field, self.lang_field) if c]
        columns = [c for c in dict.fromkeys(wanted) if c in pf.schema_arrow.names]
        row = first_row
        for batch in pf.iter_batches(batch_size=1024, columns=columns, row_groups=[group]):
            for record in batch.to_pylist():
                yield f"{shown}:{row}", record
                row += 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def is_dataset(path: Path) -> bool:
    """A JSONL, gzip'd JSONL or Parquet file (or a folder named like one)."""
    return path.name.lower().endswith(DATASET_SUFFIXES)


def _scalar_text(value: Any, name: str, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, str) and not value):
        raise InputError(f"{where}: field {name!r} must be a non-empty string or an integer, got {value!r:.40}")
    return str(value)


def _optional_text(row: dict[str, Any], name: str | None, where: str) -> str | None:
    value = row.get(name) if name else None
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
    return value


def _jsonl_lines(file: Path, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Lines of a JSONL file (gzip'd when it ends in ``.gz``), each at most ``max_bytes`` (else None)."""
    from .textio import read_lines

    if not file.name.lower().endswith(".gz"):
        yield from read_lines(file, max_bytes)
        return
    try:
        with gzip.open(file, "rb") as f:
            lineno = 0
            while line := f.readline(max_bytes + 1):
                lineno += 1
                if len(line) > max_bytes and not line.endswith(b"\n"):
                    while line and not line.endswith(b"\n"):
                        line = f.readline(1 << 20)
                    yield lineno, None
                else:
                    yield lineno, line
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"{file}: not a readable gzip file ({err})") from None


def read_corpus(paths: Iterable[str | os.PathLike], *, text_field: str = "text", id_field: str | None = None,
                license_field: str | None = None, lang_field: str | None = None, license: str | None = None,
                max_bytes: int = MAX_BYTES, prefix: str | None = None) -> CorpusReader:
    """The documents of ``paths`` (folders, files, JSONL/Parquet datasets); ``.skipped`` tallies the rest.

    for doc in read_corpus(["corpus/"]):
    # -> ...     print(doc.id, doc.lang, doc.license)
    # -> corpus/py/a.py python MIT
    """
    return CorpusReader(paths, text_field=text_field, id_field=id_field, license_field=license_field,
                        lang_field=lang_field, license=license, max_bytes=max_bytes, prefix=prefix)
