"""copyguard's side: build an index from ``Doc``s, check answers end to end, and score pairs on tokens.

End to end goes through ``Guard.check`` exactly as an application would.
For the pairwise sets a continuous score is needed too: ``weighted`` turns a
verdict into the share of the query's tokens copied from one source
(similarity x tokens of every match naming it), and ``pair_cover`` measures
two normalized texts directly (greedy tiling of shared shingle runs, the
alignment ``copyguard.match`` uses) without the index or the policy's floors.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from data import CACHE, Doc  # noqa: E402

from copyguard.corpus import Document  # noqa: E402
from copyguard.guard import Guard  # noqa: E402
from copyguard.index import Index  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402
from copyguard.index.df import HOLDERS  # noqa: E402
from copyguard.index.manifest import FORMAT_VERSION  # noqa: E402
from copyguard.match import fragments, tile  # noqa: E402
from copyguard.normalize import normalize, versions  # noqa: E402
from copyguard.params import Params  # noqa: E402
from copyguard.policy import Policy  # noqa: E402
from copyguard.sketch import stream_shingles  # noqa: E402
from copyguard.verdict import Verdict  # noqa: E402

LICENSE = {"text": "public-domain"}


VARIANT = ""  # set by sweep.py when it patches normalization (part of the index cache key)

_ROOT = Path(__file__).resolve().parents[2]
# what an index's bytes depend on: a change to any of these outside a version bump must not reuse a cached index
_BUILD_SOURCES = ("copyguard/index/*.py", "copyguard/normalize/**/*", "grammars/*", "copyguard/sketch.py",
                  "copyguard/passages.py", "copyguard/corpus.py", "copyguard/textio.py", "copyguard/params.py",
                  "copyguard/_build.pxi", "copyguard/_code.pxi", "copyguard/_prose.pxi", "copyguard/*.h")


@functools.lru_cache(maxsize=1)
def build_sources_digest() -> str:
    """A digest of the sources an index build runs, so an edited tree never reuses another tree's cached index."""
    h = hashlib.sha1()
    for pattern in _BUILD_SOURCES:
        for path in sorted(_ROOT.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(_ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:12]


def build(docs: list[Doc], name: str, params: Params | None = None) -> Index:
    """An index at ``bench/.cache/accuracy/idx/<name>-<key>`` holding ``docs`` (reused when the key matches)."""
    params = params or Params()
    key = [params.to_dict(), VARIANT, versions(), FORMAT_VERSION, HOLDERS, build_sources_digest(),
           [(d.id, len(d.text)) for d in docs]]
    digest = hashlib.sha1(json.dumps(key).encode())
    path = CACHE / "idx" / f"{name}-{digest.hexdigest()[:10]}"
    if Path(f"{path}.complete").exists():
        return Index.open(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # worktrees share this cache: a second process building the same index waits for the first, then reuses it
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not Path(f"{path}.complete").exists():
            shutil.rmtree(path, ignore_errors=True)
            documents = (Document(d.id, d.text, d.lang, LICENSE.get(d.lang, "MIT"), d.id) for d in docs)
            report = index_documents(documents, str(path), params=params)
            if report.skipped:
                print(f"  [{name}] documents not indexed: {dict(report.skipped)} e.g. {report.examples}",
                      file=sys.stderr)
            Path(f"{path}.complete").touch()
    return Index.open(path)


def guard(index: Index, policy: Policy | None = None) -> Guard:
    return Guard(index, policy or Policy())


def check(g: Guard, text: str, lang: str | None = None) -> Verdict:
    return g.check(text, lang)


def weighted(verdict: Verdict, n_tokens: int) -> dict[str, float]:
    """Per source: share of the query's tokens in matches naming it, each weighted by its similarity."""
    out: dict[str, float] = {}
    for m in verdict.matches:
        out[m.source] = out.get(m.source, 0.0) + m.similarity * m.tokens
    return {s: min(v / max(n_tokens, 1), 1.0) for s, v in out.items()}


def n_tokens(text: str, lang: str) -> int:
    return len(normalize(text, lang))


def shingled(text: str, lang: str, params: Params) -> np.ndarray:
    ts = normalize(text, lang)
    return stream_shingles(ts.tokens, params.shingle(ts.is_code), ts.is_code)


def literal_content(ts) -> np.ndarray:
    """Normalized hashes with each string/number literal hashed by its content (quotes and prefixes stripped).

    An experiment, not copyguard's behaviour: copyguard hashes every literal to a type placeholder.
    """
    from copyguard.normalize.tokens import Kind, mix64

    lit = np.flatnonzero(ts.kinds == Kind.LITERAL)
    hashes = ts.hashes.copy()
    if lit.shape[0]:
        vals = np.empty(lit.shape[0], dtype=np.uint64)
        for j, i in enumerate(lit):
            raw = ts.text[int(ts.starts[i]) : int(ts.ends[i])].lstrip("rRbBuUfF").strip("\"'`")
            vals[j] = int.from_bytes(hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                     "little")
        hashes[lit] = mix64(vals ^ np.uint64(0x5BD1E995))
    return hashes


def shingled_literals(text: str, lang: str, params: Params) -> np.ndarray:
    """Code shingles (identifiers numbered per shingle) with literal contents kept."""
    from copyguard.sketch import code_shingles

    ts = normalize(text, lang)
    return code_shingles(literal_content(ts), ts.exact, ts.kinds, params.shingle_code)


def pair_cover(a_sh: np.ndarray, b_sh: np.ndarray, k: int) -> tuple[float, float]:
    """Share of tokens of ``a`` and of ``b`` covered by tiled shared shingle runs (symmetric alignment)."""
    na, nb = a_sh.shape[0] + k - 1, b_sh.shape[0] + k - 1
    if a_sh.shape[0] == 0 or b_sh.shape[0] == 0:
        return 0.0, 0.0
    frags = tile(fragments(a_sh, b_sh))
    if frags.shape[0] == 0:
        return 0.0, 0.0

    def cover(starts: np.ndarray, lengths: np.ndarray, size: int) -> float:
        delta = np.zeros(size + 1, dtype=np.int64)
        np.add.at(delta, starts, 1)
        np.add.at(delta, np.minimum(starts + lengths + k - 1, size), -1)
        return float(np.count_nonzero(np.cumsum(delta[:-1]))) / size

    return cover(frags[:, 0], frags[:, 2], na), cover(frags[:, 1], frags[:, 2], nb)
