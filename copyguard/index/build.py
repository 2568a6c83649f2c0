"""Building index segments from documents: normalize, cut, sketch, and hand arrays to the store.

Workers (``jobs > 1``) normalize and sketch documents in parallel and send
back plain numpy arrays; the parent only concatenates and writes, so memory
is bounded by one segment's arrays (``flush_passages``), never by the corpus.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..corpus import Document
    from .store import Transaction
from ..errors import CopyguardError, InputError
from ..normalize import PROSE, PROSE_ALIASES, TokenStream, normalize, versions
from ..normalize.code import normalize_code_spans, words_in
from ..params import Params
from ..passages import sketch_passages
from .arrays import small_pages, sorted_unique
from .df import counts_and_holders, name_keys, source_counts
from .segment import SegmentData, SourceRecord

_EMPTY = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class Sketched:
    """One document's tokens and passages, ready to be appended to a segment.

    A code document holds two channels one after the other: its code tokens,
    then the words of its comments, docstrings and long strings (prose), each
    cut into passages of its own kind. ``shingles`` is the sorted set of the
    document's shingles over both channels, ``names`` the keys of its code's
    names (``df.name_keys``) that are not among them: together, its keys of the
    source-count table, each held (the holders table names the source for it).
    """

    record: SourceRecord
    text: str
    tokens: tuple[np.ndarray, ...]  # hashes, exact, kinds, starts, ends
    p_tok: np.ndarray
    p_kind: np.ndarray
    keys: np.ndarray
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    words_start: int = 0  # first token of the words channel (0 for prose: all of it is words)
    token_shingles: np.ndarray | None = None  # uint64 per token: the shingle starting there, 0 at each channel's end
    parsed: bool = True  # False: the code's parse outgrew its budget, and it was lexed without a tree
    names: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))


@dataclass
class BuildReport:
    """What a build or add did: counts, and documents left out with the reason."""

    sources: int = 0
    passages: int = 0
    tokens: int = 0
    chars: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    replaced: list[str] = field(default_factory=list)  # ids of live sources this add replaced
    unparsed: list[str] = field(default_factory=list)  # ids of code sources indexed lexed without a tree

    def skip(self, reason: str, doc_id: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 3:
            self.examples[reason].append(doc_id)

    def merge_skips(self, counts: dict[str, int], examples: dict[str, list[str]]) -> None:
        """Add skips tallied elsewhere (the corpus reader, another machine), keeping the first three examples."""
        for reason, count in counts.items():
            self.skipped[reason] += count
            shown = self.examples.setdefault(reason, [])
            shown.extend(examples.get(reason, [])[: max(0, 3 - len(shown))])

    def fail_if_empty(self, paths: list[str], allow_empty: bool) -> None:
        """Fail closed: ``InputError`` when nothing at all could be indexed, unless ``allow_empty``."""
        if self.sources == 0 and not allow_empty:
            skipped = ", ".join(f"{n} {r}" for r, n in sorted(self.skipped.items())) or "no files"
            raise InputError(f"nothing to index in {', '.join(paths)} ({skipped}); nothing was written "
                             f"(pass --allow-empty to accept an empty result)")


def channels(text: str, lang: str) -> list[TokenStream]:
    """The token streams a document is indexed as: prose alone, or code and the words in it."""
    return _channels(text, lang)[0]


def _channels(text: str, lang: str) -> tuple[list[TokenStream], bool]:
    """``channels``, and whether the code parsed within its budget (else it is lexed without a tree)."""
    if lang in PROSE_ALIASES:
        return [normalize(text, lang)], True
    code, words, parsed = normalize_code_spans(text, lang)
    return [code, words_in(text, words)], parsed


def sketch_document(doc: Document, params: Params) -> Sketched:
    """Normalize and sketch one document (runs in worker processes)."""
    lang = doc.lang or PROSE
    streams, parsed = _channels(doc.text, lang)
    parts = [sketch_passages(ts, params) for ts in streams]
    record = SourceRecord(
        source_id=doc.id, path=doc.path, license=doc.license, lang=streams[0].lang, n_chars=len(doc.text),
        sha256=hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).hexdigest(),
    )
    base = np.cumsum([0] + [len(ts) for ts in streams])
    tokens = tuple(np.concatenate([getattr(ts, f) for ts in streams]) for f in ("hashes", "exact", "kinds"))
    tokens += tuple(np.concatenate([getattr(ts, f) for ts in streams]).astype(np.uint32) for f in ("starts", "ends"))
    p_tok = np.concatenate([p[0] + b for p, b in zip(parts, base)]).reshape(-1, 2)
    p_kind = np.concatenate([p[1] for p in parts])
    keys = np.concatenate([p[2] for p in parts]).reshape(-1, params.bands)
    shingles = sorted_unique(np.concatenate([p[3] for p in parts]))  # with ``names``, the count table's keys
    names = _EMPTY
    if len(streams) > 1 and len(streams[0]):
        names = name_keys(streams[0].hashes, streams[0].exact, streams[0].kinds)
        at = np.searchsorted(shingles, names).clip(max=max(shingles.shape[0] - 1, 0))
        names = names[shingles[at] != names] if shingles.shape[0] else names
    per_token = np.zeros(int(base[-1]), dtype=np.uint64)
    for p, b in zip(parts, base):
        per_token[b : b + p[3].shape[0]] = p[3]
    return Sketched(record, doc.text, tokens, p_tok, p_kind, keys, shingles, int(base[1]) if len(streams) > 1 else 0,
                    per_token, parsed, names)


def _sketch_safe(args: tuple[Document, Params]) -> Sketched | tuple[str, str]:
    doc, params = args
    try:
        return sketch_document(doc, params)
    except CopyguardError as err:
        return (doc.id, str(err))


def sketch_all(docs: Iterable[Document], params: Params, jobs: int = 1) -> Iterator[Sketched | tuple[str, str]]:
    """Sketch documents in order, in ``jobs`` processes; failures come back as ``(id, reason)``."""
    work = ((doc, params) for doc in docs)
    if jobs <= 1:
        yield from map(_sketch_safe, work)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_sketch_safe, work, chunksize=16)


def segments_from(items: Iterable[Sketched], flush_passages: int = 250_000) -> Iterator[SegmentData]:
    """Group sketched documents into segments of about ``flush_passages`` passages."""
    batch: list[Sketched] = []
    count = 0
    for item in items:
        batch.append(item)
        count += item.p_tok.shape[0]
        if count >= flush_passages:
            yield assemble(batch)
            batch, count = [], 0
    if batch:
        yield assemble(batch)


def assemble(batch: list[Sketched]) -> SegmentData:
    """Concatenate documents' arrays into one segment, shifting token ranges to flat coordinates."""
    n_tok = np.array([item.tokens[0].shape[0] for item in batch], dtype=np.int64)
    base = np.concatenate([[0], np.cumsum(n_tok)])
    n_pass = np.array([item.p_tok.shape[0] for item in batch], dtype=np.int64)
    cols = [np.concatenate([item.tokens[c] for item in batch]) for c in range(5)]
    bands = batch[0].keys.shape[1] if batch[0].keys.ndim == 2 else 0
    return SegmentData(
        sources=[item.record for item in batch],
        texts=[item.text for item in batch],
        source_tok=np.stack([base[:-1], base[1:]], axis=1),
        hashes=cols[0], exact=cols[1], kinds=cols[2], starts=cols[3], ends=cols[4],
        p_source=np.repeat(np.arange(len(batch), dtype=np.uint32), n_pass),
        p_tok=np.concatenate([item.p_tok + base[i] for i, item in enumerate(batch)]).reshape(-1, 2),
        p_kind=np.concatenate([item.p_kind for item in batch]),
        band_keys=np.concatenate([item.keys.reshape(-1, bands) for item in batch]).reshape(-1, bands),
        source_words=base[:-1] + np.array([item.words_start for item in batch], dtype=np.int64),
        shingles=np.concatenate([_token_shingles(item) for item in batch]),
        **_count_tables(batch),
    )


def _count_tables(batch: list[Sketched]) -> dict[str, np.ndarray]:
    """The segment's count table, and its holders table from the same sort (``df.counts_and_holders``) when every
    item's token shingles are stored: ``df.holders`` of those token shingles (tested), written as given."""
    if all(item.token_shingles is not None for item in batch):
        # a source holds its name keys as it holds its shingles (``df.holders``, ``df.name_pairs``)
        keys, counts, held = counts_and_holders([np.concatenate([item.shingles, item.names]) for item in batch])
        return {"df_keys": keys, "df_counts": counts, "holders": held}
    keys, counts = source_counts(np.concatenate([item.shingles, item.names]) for item in batch)
    return {"df_keys": keys, "df_counts": counts}


def _token_shingles(item: Sketched) -> np.ndarray:
    if item.token_shingles is not None:
        return item.token_shingles
    return np.zeros(item.tokens[0].shape[0], dtype=np.uint64)  # (an item made by hand: no shingles stored)


def ingest(txn: Transaction, docs: Iterable[Document], jobs: int = 1, progress: bool = False) -> BuildReport:
    """Sketch ``docs`` and stage them in ``txn`` as segments; documents that fail are skipped and counted."""
    import time

    started = time.perf_counter()
    report = BuildReport()
    bar = _progress_bar(progress)

    def sketched() -> Iterator[Sketched]:
        for item in sketch_all(docs, txn.manifest.params, jobs):
            if isinstance(item, tuple):
                report.skip(f"could not normalize: {item[1][:80]}", item[0])
                continue
            report.sources += 1
            report.passages += item.p_tok.shape[0]
            report.tokens += item.tokens[0].shape[0]
            report.chars += item.record.n_chars
            if not item.parsed:
                report.unparsed.append(item.record.source_id)
            bar.update(item.record.n_chars)
            yield item

    with small_pages():
        for data in segments_from(sketched()):
            report.replaced += txn.add(data)
    bar.close()
    report.seconds = time.perf_counter() - started
    return report


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(progress: bool):
    """tqdm's bar when asked for (importing tqdm costs ~0.1 s, so not otherwise)."""
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(desc="indexing", unit="B", unit_scale=True, leave=False)


def _ingest_paths(txn: Transaction, paths: list[str], jobs: int, progress: bool, allow_empty: bool,
                  corpus_options: dict) -> BuildReport:
    """Read ``paths`` with the corpus reader and ingest them; the reader's skips join the report.

    Fails closed: when nothing at all could be indexed, ``InputError`` (and
    the transaction commits nothing) unless ``allow_empty``.
    """
    from ..corpus import CorpusReader

    reader = CorpusReader(paths, **corpus_options)
    report = ingest(txn, reader, jobs, progress)
    report.merge_skips(reader.skipped.counts, reader.skipped.examples)
    report.fail_if_empty(paths, allow_empty)
    return report


def declare_base(txn: Transaction, base: list[str] | list[Document] | None, add: bool = False) -> None:
    """Stage declared base code (paths, or ``Document`` s) in ``txn``: its shingles, never reported.

    ``add``: join the base code already declared instead of replacing it.
    """
    if not base:
        return
    from ..base import read_base, shingle_set

    params = txn.manifest.params
    if all(isinstance(b, str) for b in base):
        shingles, ids = read_base([str(b) for b in base], params)
    else:
        docs = [b for b in base if not isinstance(b, str)]
        shingles, ids = shingle_set(docs, params), [d.id for d in docs]
    (txn.add_base if add else txn.set_base)(shingles, ids)


def index_documents(docs: Iterable[Document], out: str, *, params: Params | None = None, jobs: int = 1,
                    progress: bool = False, allow_empty: bool = False, base: list[Document] | None = None
                    ) -> BuildReport:
    """Build a new index at ``out`` from ``Document`` objects already in memory (benchmarks, pipelines).

    All or nothing, like ``build_index``. ``base``: declared base code (starter code), never reported.

    index_documents([Document("a", text, "python", "MIT", None)], "a.cgidx")
    """
    from .store import Index

    with Index.building(out, params or Params(), versions()) as txn:
        declare_base(txn, base)
        report = ingest(txn, docs, jobs, progress)
        if report.sources == 0 and not allow_empty:
            raise InputError(f"{out}: no documents to index; nothing was written")
    return report


def build_index(paths: list[str], out: str, *, params: Params | None = None, jobs: int = 1,
                progress: bool = False, allow_empty: bool = False, base: list[str] | None = None,
                **corpus_options) -> BuildReport:
    """Build a new index at ``out`` from folders, files, JSONL or Parquet (see ``copyguard.corpus``).

    All or nothing: ``out`` holds an index only once every document is
    written; a failed build leaves nothing there, a killed one can be rerun.
    ``base``: folders or files of declared base code (starter code), never reported.

    build_index(["corpus/"], "corpus.cgidx", base=["starter/"])
    """
    from .store import Index

    with Index.building(out, params or Params(), versions()) as txn:
        declare_base(txn, base)
        return _ingest_paths(txn, paths, jobs, progress, allow_empty, corpus_options)


def add_to_index(paths: list[str], index_path: str, *, jobs: int = 1, progress: bool = False,
                 allow_empty: bool = False, base: list[str] | None = None, **corpus_options) -> BuildReport:
    """Add (or replace, by source id) sources in an existing index, all in one commit.

    The report's ``replaced`` lists every live source that was replaced.
    ``base``: more declared base code, joined to what the index already declares
    (with no ``paths``, only the base code is added).
    """
    from .manifest import check_compatible
    from .store import Index

    index = Index.open(index_path)
    check_compatible(index.manifest, versions(), index.path)
    with index.transaction() as txn:
        declare_base(txn, base, add=True)
        if not paths:
            return BuildReport()
        return _ingest_paths(txn, paths, jobs, progress, allow_empty, corpus_options)
