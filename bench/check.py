"""Index build and check latency on real code and prose, against datasketch's MinHashLSH.

Corpus (not written by us): the Python standard library installed on this
machine and the Jargon File (public domain, Debian's jargon-text package,
installed by `apt-get install jargon-text` if missing). Queries are 2 KB and
10 KB chat-style answers made of prose and code that is NOT in the index
(site-packages of this venv, other Jargon chapters are held out), half of
them with a protected function or paragraph embedded in the middle.

    python bench/check.py [--max-mb 40] [--queries 300]

Prints one table: build MB/s, passages, bytes per passage on disk and
resident, open time, check p50/p99 per answer size, and the same build and
query on datasketch's MinHashLSH over the same passages and shingles.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from copyguard.corpus import Document  # noqa: E402
from copyguard.guard import Guard  # noqa: E402
from copyguard.index import Index  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402
from copyguard.normalize import normalize  # noqa: E402
from copyguard.params import Params  # noqa: E402
from copyguard.passages import cut, shingle_ranges, stream_shingles  # noqa: E402

JARGON = Path("/usr/share/doc/jargon-text/jargon.txt.gz")


def _proc_kb(path: str, field: str) -> int:
    """A ``Field:   N kB`` line of a /proc file, in bytes."""
    with open(path) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def rss_bytes() -> int:
    return _proc_kb("/proc/self/status", "VmRSS")


def private_bytes() -> int:
    """Anonymous memory (heap and anonymous maps): what the process holds beyond the page cache of index files."""
    return _proc_kb("/proc/self/smaps_rollup", "Anonymous")


def jargon_text() -> str:
    if not JARGON.exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "jargon-text"], check=False, capture_output=True)
    return gzip.open(JARGON, "rt", encoding="utf-8").read()


def prose_chunks(text: str, size: int = 2500) -> list[str]:
    """Paragraphs of real prose grouped into chunks; headword lists (the File's indexes repeat them) left out."""
    paras = [p for p in text.split("\n\n") if len(p) >= 120]
    chunks, cur = [], []
    for p in paras:
        cur.append(p)
        if sum(map(len, cur)) >= size:
            chunks.append("\n\n".join(cur))
            cur = []
    return chunks


def corpus(max_mb: float) -> tuple[list[Document], list[str], list[str]]:
    """Protected documents, held-out code files and held-out prose paragraphs."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if "test" not in p.parts and "site-packages" not in p.parts)
    random.Random(1).shuffle(files)
    docs, size = [], 0
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if size + len(text) > max_mb * 1e6 * 0.9:
            break
        docs.append(Document(str(p.relative_to(stdlib)), text, "python", "PSF-2.0", str(p)))
        size += len(text)
    chapters = prose_chunks(jargon_text())
    held_prose = [c for i, c in enumerate(chapters) if i % 10 == 0]
    for i, chunk in enumerate(chapters):
        if i % 10:
            docs.append(Document(f"jargon/{i:05d}", chunk, "text", "LicenseRef-public-domain", None))
    site = Path(sysconfig.get_paths()["purelib"])
    held_code = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(site.rglob("*.py"))[:4000:8]]
    return docs, held_code, held_prose


def build(docs: list[Document], out: Path, params: Params) -> tuple[float, float]:
    start = time.perf_counter()
    index_documents(docs, str(out), params=params)
    Index.open(out).compact()
    return time.perf_counter() - start, sum(len(d.text.encode()) for d in docs) / 1e6


def answers(docs: list[Document], held_code: list[str], held_prose: list[str], size: int, n: int) -> list[str]:
    """Chat-style answers of about ``size`` characters; every other one embeds a protected passage."""
    rng = random.Random(size)
    code_docs = [d for d in docs if d.lang == "python" and len(d.text) > 3000]
    out = []
    for i in range(n):
        parts = []
        while sum(map(len, parts)) < size:
            if rng.random() < 0.5:
                p = rng.choice(held_prose)
                s = rng.randrange(max(1, len(p) - 600))
                parts.append(p[s : s + 600] + "\n\n")
            else:
                c = rng.choice(held_code)
                s = rng.randrange(max(1, len(c) - 700))
                parts.append("```python\n" + c[s : s + 700] + "\n```\n\n")
        if i % 2:
            d = rng.choice(code_docs)
            s = rng.randrange(len(d.text) - 1500)
            parts.insert(len(parts) // 2, "```python\n" + d.text[s : s + 1200] + "\n```\n\n")
        out.append("".join(parts)[: size + 1500])
    return out


def latency(guard: Guard, queries: list[str]) -> tuple[float, float, float, float]:
    """p50 and p99 in ms, false-positive rate on clean answers (even), recall on answers with a copy (odd)."""
    for q in queries[:5]:
        guard.check(q)
    times, flagged = [], []
    for q in queries:
        t = time.perf_counter()
        v = guard.check(q)
        times.append(time.perf_counter() - t)
        flagged.append(v.flagged)
    fp, hit = np.mean(flagged[0::2]), np.mean(flagged[1::2])
    return float(np.percentile(times, 50)) * 1e3, float(np.percentile(times, 99)) * 1e3, float(fp), float(hit)


def datasketch_baseline(docs: list[Document], queries: list[str], params: Params) -> dict:
    """MinHashLSH over the same passages and shingles: what a user would write without copyguard."""
    from datasketch import MinHash, MinHashLSH

    from copyguard.sketch import minhash_ranges

    rss0 = rss_bytes()
    t0 = time.perf_counter()
    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))
    n = 0
    for d in docs:
        ts = normalize(d.text, d.lang)
        ranges, _ = cut(ts, params)
        sh = stream_shingles(ts, params)
        sigs = minhash_ranges(sh, shingle_ranges(ranges, params.shingle(ts.is_code)), params.num_perm, params.seed)
        for j, sig in enumerate(sigs):
            lsh.insert((d.id, j), MinHash(seed=params.seed, hashvalues=sig, scheme="affine32"), check_duplication=False)
            n += 1
    build_s = time.perf_counter() - t0
    resident = rss_bytes() - rss0
    times = []
    for q in queries:
        t = time.perf_counter()
        ts = normalize(q)
        ranges, _ = cut(ts, params)
        sh = stream_shingles(ts, params)
        sigs = minhash_ranges(sh, shingle_ranges(ranges, params.shingle(False)), params.num_perm, params.seed)
        for sig in sigs:
            lsh.query(MinHash(seed=params.seed, hashvalues=sig, scheme="affine32"))
        times.append(time.perf_counter() - t)
    return {"build_s": build_s, "passages": n, "resident_per_passage": resident / max(n, 1),
            "p50": float(np.percentile(times, 50)) * 1e3, "p99": float(np.percentile(times, 99)) * 1e3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-mb", type=float, default=40.0, help="corpus size to index (default 40 MB)")
    ap.add_argument("--queries", type=int, default=300, help="answers per size (default 300)")
    ap.add_argument("--skip-datasketch", action="store_true")
    args = ap.parse_args()
    params = Params()
    docs, held_code, held_prose = corpus(args.max_mb)
    tmp = Path(tempfile.mkdtemp(prefix="copyguard-bench-"))
    try:
        seconds, mb = build(docs, tmp / "idx", params)
        gc.collect()
        rss0, priv0 = rss_bytes(), private_bytes()
        t = time.perf_counter()
        guard = Guard.open(tmp / "idx")
        open_ms = (time.perf_counter() - t) * 1e3
        stats = guard.index.stats()
        passages = stats["live_passages"]
        text_bytes = sum(f.stat().st_size for f in (tmp / "idx").rglob("texts*"))
        rows = [("corpus", f"{mb:.1f} MB, {len(docs):,} sources, {passages:,} passages")]
        rows.append(("build", f"{mb / seconds:.2f} MB/s ({seconds:.1f} s, 1 process)"))
        rows.append(("disk / passage", f"{(stats['bytes'] - text_bytes) / passages:.0f} B (+ {text_bytes / passages:.0f} B source text)"))
        rows.append(("open", f"{open_ms:.1f} ms"))
        for size in (2000, 10000):
            qs = answers(docs, held_code, held_prose, size, args.queries)
            p50, p99, fp, hit = latency(guard, qs)
            rows.append((f"check {size // 1000} KB", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms; "
                         f"copies found {hit:.0%}, clean answers flagged {fp:.1%}"))
        rows.append(("resident / passage", f"{(private_bytes() - priv0) / passages:.0f} B anonymous (heap), "
                     f"{(rss_bytes() - rss0) / passages:.0f} B RSS incl. mapped index pages, after open and all checks"))
        if not args.skip_datasketch:
            qs = answers(docs, held_code, held_prose, 2000, min(args.queries, 100))
            ds = datasketch_baseline(docs, qs, params)
            rows.append(("datasketch build", f"{mb / ds['build_s']:.2f} MB/s ({ds['passages']:,} passages)"))
            rows.append(("datasketch resident", f"{ds['resident_per_passage']:.0f} B / passage"))
            rows.append(("datasketch 2 KB", f"p50 {ds['p50']:.2f} ms, p99 {ds['p99']:.2f} ms (lookup only, no verification)"))
        width = max(len(r[0]) for r in rows)
        print(f"\ncopyguard check benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
