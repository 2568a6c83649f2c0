"""Dataset inputs: Parquet, JSONL (plain, ``.gz``, ``.zst``, ``.bz2``) and CSV files, folders of them, local
or behind any pyarrow / fsspec URL, read as a stream of record batches.

Row numbers are positions in the concatenation of the inputs in the order
given, a folder contributing its data files in sorted path order. Every
engine reads through ``Source``, so both agree on row numbers. A ``Source``
holds only strings: it pickles into Spark executors and worker processes,
which resolve the filesystem again on their side.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.fs as pafs
import pyarrow.json as pj
import pyarrow.parquet as pq

from ..errors import DependencyError, InputError

BATCH_ROWS = 8192
_JSON_BLOCK = 16 << 20  # JSONL types are inferred from the first block: make it large
_COMPRESSION = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2"}
_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
            ".csv": "csv"}
KINDS = "Parquet, JSONL (.jsonl[.gz|.zst]) or CSV"


def file_format(name: str) -> tuple[str, str | None] | None:
    """``(format, compression)`` from a file name, None when it is no data file.

    >>> file_format("part-0.jsonl.zst")
    ('jsonl', 'zstd')
    """
    lower = name.lower()
    compression = None
    for ext, codec in _COMPRESSION.items():
        if lower.endswith(ext):
            lower, compression = lower[: -len(ext)], codec
            break
    for ext, fmt in _FORMATS.items():
        if lower.endswith(ext):
            return (fmt, compression) if fmt != "parquet" or compression is None else None
    return None


@lru_cache(maxsize=64)
def filesystem(url: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path behind a local path or URL: pyarrow's own (local, ``s3://``, ``gs://``,
    ``hdfs://``), else fsspec's (``hf://``, ``memory://``, ...) wrapped for pyarrow."""
    if "://" not in url:
        return pafs.LocalFileSystem(), url
    try:
        return pafs.FileSystem.from_uri(url)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    try:
        import fsspec
    except ImportError:
        raise DependencyError(f"reading {url} needs fsspec, which is not installed; run: pip install fsspec") from None
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ValueError, ImportError) as e:
        raise InputError(f"cannot open {url}: {e}") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


@dataclass(frozen=True)
class Source:
    """One input file and how to read it; ``path`` is a local path or a URL."""

    path: str
    fmt: str  # "parquet" | "jsonl" | "csv"
    compression: str | None = None

    def _fs(self) -> tuple[pafs.FileSystem, str]:
        return filesystem(self.path)

    def _stream(self):
        fs, path = self._fs()
        return fs.open_input_stream(path, compression=self.compression)

    def parquet(self) -> pq.ParquetFile:
        fs, path = self._fs()
        return pq.ParquetFile(fs.open_input_file(path))

    def num_rows(self) -> int | None:
        """Row count from Parquet metadata; None for JSONL and CSV (unknown without reading them)."""
        return self.parquet().metadata.num_rows if self.fmt == "parquet" else None

    def batches(self, columns: list[str] | None = None, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Record batches of this file, restricted to ``columns`` when given."""
        try:
            if self.fmt == "parquet":
                yield from self.parquet().iter_batches(batch_size=batch_rows, columns=columns)
                return
            if self.fmt == "jsonl":
                reader = pj.open_json(self._stream(), read_options=pj.ReadOptions(block_size=_JSON_BLOCK))
            else:
                reader = pcsv.open_csv(self._stream(), read_options=pcsv.ReadOptions(block_size=_JSON_BLOCK))
            for batch in reader:
                yield batch.select(columns) if columns is not None else batch
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot read {self.path} as {self.fmt}: {_first_line(e)}") from None
        except KeyError as e:
            raise InputError(f"{self.path} has no column {e}") from None

    def check_utf8(self) -> None:
        """``InputError`` naming the line of the first invalid UTF-8 byte (JSONL and CSV only)."""
        if self.fmt == "parquet":
            return
        decoder, line = codecs.getincrementaldecoder("utf-8")(), 1
        try:
            with self._stream() as f:
                while chunk := f.read(1 << 22):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as e:
                        line += chunk[: e.start].count(b"\n")
                        raise InputError(f"{self.path} line {line} is not valid UTF-8 (byte {e.start})") from None
                    line += chunk.count(b"\n")
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot read {self.path}: {_first_line(e)}") from None


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def expand(inputs: list[str]) -> list[Source]:
    """The files behind ``inputs`` (files, folders or URLs of either), in row-number order.

    >>> expand([])
    Traceback (most recent call last):
    copyguard.errors.InputError: no input given: pass Parquet, JSONL (.jsonl[.gz|.zst]) or CSV files or folders of them
    """
    if not inputs:
        raise InputError(f"no input given: pass {KINDS} files or folders of them")
    out: list[Source] = []
    for item in inputs:
        fs, path = filesystem(item)
        try:
            info = fs.get_file_info(path)
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot open {item}: {_first_line(e)}") from None
        if info.type == pafs.FileType.Directory:
            found = _folder(item, fs, path)
            if not found:
                raise InputError(f"folder {item} holds no {KINDS} files")
            out.extend(found)
        elif info.type == pafs.FileType.File:
            kind = file_format(path) or ("parquet", None)  # unknown extension: try Parquet
            out.append(Source(item, *kind))
        elif info.type == pafs.FileType.NotFound:
            raise InputError(f"input {item} does not exist")
        else:  # a device, FIFO or socket: unbounded or blocking, never a data set
            raise InputError(f"input {item} is not a regular file or folder; pass {KINDS} files or folders of them")
    return out


def _folder(item: str, fs: pafs.FileSystem, path: str) -> list[Source]:
    """The data files under a folder, sorted, skipping hidden (``.``) and ``_`` entries (Spark's ``_SUCCESS``)."""
    root = path.rstrip("/")
    infos = fs.get_file_info(pafs.FileSelector(path, recursive=True))
    found = []
    for info in infos:
        rel = info.path[len(root) :].lstrip("/")
        kind = file_format(info.base_name)
        if info.type == pafs.FileType.File and kind and not any(p.startswith((".", "_")) for p in rel.split("/")):
            found.append((rel, kind))
    if "://" not in item:
        return [Source(f"{root}/{rel}", *kind) for rel, kind in sorted(found)]
    base, _, query = item.partition("?")
    tail = f"?{query}" if query else ""
    return [Source(f"{base.rstrip('/')}/{rel}{tail}", *kind) for rel, kind in sorted(found)]


def schema_of(sources: list[Source]) -> pa.Schema:
    """The schema of the first input; every other input is cast to it."""
    first = sources[0]
    if first.fmt == "parquet":
        try:
            return first.parquet().schema_arrow
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(f"cannot read {first.path} as parquet: {_first_line(e)}") from None
    for batch in first.batches():
        return batch.schema
    raise InputError(f"{first.path} holds no rows; cannot tell its columns")


def read(sources: list[Source], schema: pa.Schema, columns: list[str] | None = None,
         batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """Batches of every source in order, conformed to ``schema`` (then restricted to ``columns``)."""
    target = schema if columns is None else pa.schema([schema.field(c) for c in columns])
    for src in sources:
        cols = columns if src.fmt == "parquet" else None
        for batch in src.batches(cols, batch_rows):
            yield conform(batch, target, src.path)


def conform(batch: pa.RecordBatch, schema: pa.Schema, where: str) -> pa.RecordBatch:
    """``batch`` with the columns and types of ``schema``, or ``InputError`` naming what differs."""
    if batch.schema.equals(schema):
        return batch
    missing = [n for n in schema.names if n not in batch.schema.names]
    if missing:
        raise InputError(f"{where} lacks column(s) {missing} that the first input has")
    try:
        return batch.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise InputError(f"{where} has columns of other types than the first input: {_first_line(e)}") from None


def total_rows(sources: list[Source]) -> int | None:
    """Total row count when every input is Parquet, else None."""
    counts = [s.num_rows() for s in sources]
    known = [c for c in counts if c is not None]
    return None if len(known) < len(counts) else int(sum(known))


def check_inputs(sources: list[Source]) -> None:
    """Fail before any work on text inputs that are not valid UTF-8."""
    for s in sources:
        s.check_utf8()
