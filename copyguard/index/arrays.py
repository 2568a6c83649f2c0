"""Conversions between numpy, Arrow and ``.npy`` files, without pandas and without copies.

``pa.array()`` and ``Array.to_numpy()`` import pandas when it is installed
(half a second on the first write or lookup of a process); these helpers
build and read the same arrays from raw buffers instead.
"""

from __future__ import annotations

import mmap
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sorted_sets import isin_sorted as isin_sorted  # re-exported: the index's callers and bench scripts use it here

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_strings(values: Sequence[str | None], type: pa.DataType | None = None) -> pa.Array:
    """A string array of ``values`` (None -> null); ``type`` is ``pa.string()`` or ``pa.large_string()``."""
    import pyarrow as pa

    type = type or pa.string()
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64 if type == pa.large_string() else np.int32)
    np.cumsum(lengths, out=offsets[1:])
    valid = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(type, len(encoded), buffers, null_count=int((~valid).sum()))


def numpy_ints(values: pa.Array) -> np.ndarray:
    """An integer Arrow array without nulls as int64 numpy (``to_numpy`` imports pandas)."""
    import pyarrow as pa

    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    width = values.type.bit_width // 8
    raw = np.frombuffer(values.buffers()[1], dtype=f"<{'i' if pa.types.is_signed_integer(values.type) else 'u'}{width}",
                        count=len(values), offset=values.offset * width)
    return raw.astype(np.int64)


def arrow_ints(values: np.ndarray) -> pa.Array:
    """An int64 Arrow array viewing ``values``."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), values.shape[0], [None, pa.py_buffer(values)])


_HEADER = re.compile(rb"\{'descr': '([^']+)', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}")


def map_npy(path: Path, dtype: type) -> np.ndarray:
    """A read-only memory map of a ``.npy`` file this module wrote, like ``np.load(mmap_mode="r")``.

    Parsing the fixed header format directly takes a few microseconds where
    ``np.load`` takes a third of a millisecond per file; with a dozen files
    per segment that is most of the open time.
    """
    with open(path, "rb") as f:
        head = f.read(128)
        m = _HEADER.search(head)
        if not head.startswith(b"\x93NUMPY\x01\x00") or m is None or np.dtype(m.group(1).decode()) != np.dtype(dtype):
            return np.load(path, mmap_mode="r", allow_pickle=False)  # any other valid .npy still opens
        offset = 10 + int.from_bytes(head[8:10], "little")
        shape = tuple(int(x) for x in m.group(2).split(b",") if x.strip())
        size = os.fstat(f.fileno()).st_size
        count = int(np.prod(shape, dtype=np.int64))
        if offset + count * np.dtype(dtype).itemsize > size:
            raise ValueError(f"{path.name} is truncated")
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(buf, dtype=dtype, count=count, offset=offset).reshape(shape)


def expand_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concat(arange(s, s + n) for s, n in zip(starts, lengths))`` without a Python loop.

    >>> expand_ranges(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    begin = np.cumsum(lengths) - lengths
    return np.repeat(starts - begin, lengths) + np.arange(total, dtype=np.int64)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of a 1-D array, by sorting.

    numpy 2.3+ answers a plain ``np.unique`` of integers with a hash table,
    measured 60-100x slower than a sort on a million distinct 64-bit keys
    (1.2 s against 0.013 s): the check's hot paths use this instead.

    >>> sorted_unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    out = np.sort(np.asarray(values).reshape(-1))
    if out.shape[0] < 2:
        return out
    keep = np.empty(out.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


_PAGES = {"users": 0, "before": True}
_PAGES_LOCK = threading.Lock()


@contextmanager
def small_pages() -> Iterator[None]:
    """Inside the block numpy does not ask for transparent huge pages for its large arrays (index writes).

    numpy advises huge pages for every array of 4 MB or more. A build's large arrays (band keys,
    their sort, the holders table) are each written once and freed; where the kernel finds huge pages
    on demand by compacting memory (THP defrag ``madvise``, a common default), a busy machine pays for
    that in the faulting thread: 0.3-0.5 s of system time per 13 MB code build, measured. Process-wide
    while any thread is inside; the setting comes back when the last one leaves.
    """
    toggle = getattr(getattr(np, "_core", None), "multiarray", None)  # (numpy 2; with numpy 1 nothing is turned off)
    toggle = getattr(toggle, "_set_madvise_hugepage", None)
    if toggle is None:
        yield
        return
    with _PAGES_LOCK:
        if _PAGES["users"] == 0:
            _PAGES["before"] = toggle(False)
        _PAGES["users"] += 1
    try:
        yield
    finally:
        with _PAGES_LOCK:
            _PAGES["users"] -= 1
            if _PAGES["users"] == 0:
                toggle(_PAGES["before"])
