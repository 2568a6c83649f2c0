"""Decontamination: drop (or mark) dataset rows that contain a copy of anything in a copyguard index.

Two rules decide whether a row copies an indexed source (a benchmark item):

- the index's check (default): ``Guard.check`` on the row returns any action
  other than ``allow`` under the index's policy, or ``--policy``'s; this finds
  renamed and edited copies, exactly as for model output;
- ``ngram=N``: the row shares at least one run of N normalized tokens (words
  for prose, code tokens with identifiers numbered for code) with the source:
  the 13-gram rule of evaluation-suite decontamination (GPT-3, Llama 2).

Marked rows get ``contaminated_by``: the distinct sources hit, in order of
first appearance (null for clean rows). The report lists, per benchmark item,
the training rows that hit it (their ``id_field`` value or row number).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from functools import lru_cache, partial

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from ..errors import ConfigError, InputError
from .local import signatures_stream
from .output import atomic_output, check_out
from .report import DecontaminationReport
from .sources import check_inputs, expand, read, schema_of, total_rows

COLUMN = "contaminated_by"
Hits = list[list[str] | None]


class NgramTable:
    """Every N-gram hash of every live source of an index, sorted, with the source it comes from.

    >>> NgramTable.__name__
    'NgramTable'
    """

    def __init__(self, index: str, n: int):
        from ..index.store import Index

        if not isinstance(n, int) or n < 1:
            raise ConfigError(f"ngram must be a positive integer, got {n!r}")
        idx = Index.open(index)
        total = int(idx.stats()["sources"])
        ids = [idx.source(ref).source_id for ref in range(total)]
        live = idx.find_sources(ids)
        hashes, owner = [], []
        self.sources = list(live)
        for i, ref in enumerate(live.values()):
            grams = _grams(idx.source_tokens(ref), n, idx.source(ref).lang != "prose")
            hashes.append(grams)
            owner.append(np.full(grams.shape[0], i, dtype=np.int64))
        h = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        o = np.concatenate(owner) if owner else np.zeros(0, np.int64)
        order = np.argsort(h, kind="stable")
        self.hashes, self.owner, self.n = h[order], o[order], n

    def hits(self, text: str, lang: str | None) -> list[str] | None:
        """The sources sharing an N-gram with ``text``, in order of first appearance; None if none."""
        from ..normalize import normalize

        ts = normalize(text, lang)
        grams = _grams(ts.tokens, self.n, ts.is_code)
        if not grams.shape[0] or not self.hashes.shape[0]:
            return None
        pos = np.searchsorted(self.hashes, grams)
        pos = np.minimum(pos, self.hashes.shape[0] - 1)
        found = pos[self.hashes[pos] == grams]
        if not found.shape[0]:
            return None
        first = np.searchsorted(self.hashes, self.hashes[found])  # every source owning a found gram
        last = np.searchsorted(self.hashes, self.hashes[found], side="right")
        owners = np.concatenate([self.owner[a:b] for a, b in zip(first.tolist(), last.tolist())])
        return [self.sources[i] for i in dict.fromkeys(owners.tolist())]


def _grams(tokens, n: int, code: bool) -> np.ndarray:
    from ..sketch import stream_shingles

    return stream_shingles(tokens, n, code=code) if len(tokens) >= n else np.zeros(0, np.uint64)


@lru_cache(maxsize=4)
def checker(index: str, policy: str | None = None, ngram: int | None = None):
    """The rule of one run, built once per process: ``(text, lang) -> sources or None``."""
    if ngram is not None:
        return NgramTable(index, ngram).hits
    from ..guard import Guard
    from ..policy import Policy

    guard = Guard.open(index, Policy.from_toml(policy) if policy else None)

    def hits(text: str, lang: str | None) -> list[str] | None:
        verdict = guard.check(text, lang)
        if verdict.action == "allow":
            return None
        return list(dict.fromkeys(m.source for m in verdict.matches))

    return hits


def contaminated_by(texts: list[str | None], index: str, langs: list[str | None] | None = None,
                    policy: str | None = None, ngram: int | None = None) -> Hits:
    """For each text, the index sources it copies (None when clean); the call integrations make.

    contaminated_by(["my own words"], "benchmarks.cgidx")
    # -> [None]
    """
    rule = checker(index, policy, ngram)
    langs = langs or [None] * len(texts)
    return [rule(t, _lang(lang)) if t else None for t, lang in zip(texts, langs)]


def _lang(value: str | None) -> str | None:
    from .signatures import grammar_name

    return grammar_name(value) if value else None


def check_batch(batch: pa.RecordBatch, index: str, text_field: str = "text", lang_field: str | None = None,
                policy: str | None = None, ngram: int | None = None) -> Hits:
    """For each row of ``batch``, the sources its text copies (None when clean)."""
    texts = batch.column(text_field).to_pylist()
    langs = batch.column(lang_field).to_pylist() if lang_field else None
    return contaminated_by(texts, index, langs, policy, ngram)


def decontaminate_batches(batches: Iterable[pa.RecordBatch], index: str, text_field: str = "text",
                          lang_field: str | None = None, mark_only: bool = False, jobs: int = 1,
                          policy: str | None = None, ngram: int | None = None) -> Iterator[pa.RecordBatch]:
    """Batches without contaminated rows, or with a ``contaminated_by`` column when ``mark_only``.

    clean = list(decontaminate_batches(batches, "protected-idx"))
    """
    check = partial(check_batch, index=index, text_field=text_field, lang_field=lang_field, policy=policy,
                    ngram=ngram)
    for batch, sources in signatures_stream(batches, check, jobs):
        yield _apply(batch, sources, mark_only)


def _apply(batch: pa.RecordBatch, sources: Hits, mark_only: bool) -> pa.RecordBatch:
    col = pa.array(sources, type=pa.list_(pa.string()))
    table = pa.Table.from_batches([batch])
    if COLUMN in table.column_names:
        table = table.drop_columns([COLUMN])
    if mark_only:
        table = table.append_column(COLUMN, col)
    else:
        table = table.filter(pa.array(np.array([s is None for s in sources], dtype=bool)))
    return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], table.schema)


def _check_columns(schema: pa.Schema, text_field: str, id_field: str | None, lang_field: str | None) -> None:
    missing = [c for c in (text_field, id_field, lang_field) if c is not None and c not in schema.names]
    if missing:
        raise InputError(f"no column(s) {missing} in the input; columns are {schema.names}")
    kind = schema.field(text_field).type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise InputError(f"column {text_field!r} must hold strings, not {kind}")


def decontaminate(inputs: list[str], out: str, *, index: str, text_field: str = "text",
                  id_field: str | None = None, lang_field: str | None = None, policy: str | None = None,
                  ngram: int | None = None, mark_only: bool = False, jobs: int = 1,
                  progress: bool = False) -> DecontaminationReport:
    """Write ``inputs`` to ``out`` without the rows that copy content of the index at ``index``.

    - ``inputs``: as for ``dedup`` (Parquet, JSONL[.gz|.zst], CSV, folders, URLs); ``out``: its
      extension picks the format.
    - ``index``: a copyguard index of the protected content (e.g. benchmark items, one source each).
    - ``text_field``: the column checked; ``id_field``: the column naming rows in the report (default:
      row numbers); ``lang_field``: a column giving each row's language (default: prose with code
      fences and untagged code detected).
    - ``policy``: a policy TOML replacing the index's (thresholds, actions) for the default rule.
    - ``ngram``: use the N-gram overlap rule instead (13 is the evaluation-suite convention).
    - ``mark_only``: keep every row and add ``contaminated_by`` (list of sources, null if clean).
    - ``jobs``: processes checking rows; ``progress``: tqdm bar on stderr.

    report = decontaminate(["train.parquet"], "clean.parquet", index="protected-idx")
    report.hits["gsm8k/test/17"]
    # -> ['row-88123']
    """
    t0 = time.perf_counter()
    sources = expand(inputs)
    check_out(out, sources)
    schema = schema_of(sources)
    _check_columns(schema, text_field, id_field, lang_field)
    check_inputs(sources)
    checker(index, policy, ngram)  # fail early on a bad index or policy, before reading any row
    target = pa.schema([f for f in schema if f.name != COLUMN], metadata=schema.metadata)
    if mark_only:
        target = target.append(pa.field(COLUMN, pa.list_(pa.string())))
    rows_in = rows_out = marked = 0
    hits: dict[str, list] = {}
    check = partial(check_batch, index=index, text_field=text_field, lang_field=lang_field, policy=policy,
                    ngram=ngram)
    with tqdm(total=total_rows(sources), unit="rows", desc="decontaminate", disable=not progress) as bar, \
            atomic_output(out, target) as writer:
        for batch_in, done in signatures_stream(read(sources, schema), check, jobs):
            ids = batch_in.column(id_field).to_pylist() if id_field else range(rows_in, rows_in + batch_in.num_rows)
            for row_id, found in zip(ids, done):
                for s in found or ():
                    hits.setdefault(s, []).append(row_id)
            rows_in += batch_in.num_rows
            kept = _apply(batch_in, done, mark_only)
            rows_out += kept.num_rows
            marked += sum(s is not None for s in done)
            if kept.num_rows:
                writer.write_table(pa.Table.from_batches([kept.select(target.names).cast(target)]))
            bar.update(batch_in.num_rows)
    return DecontaminationReport(rows_in, rows_out, marked, time.perf_counter() - t0, hits)
