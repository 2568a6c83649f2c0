"""Index build and check latency on real code and prose, against datasketch's and rensa's MinHashLSH.

Corpus (not written by us): the Python standard library installed on this
machine and the Jargon File (public domain, Debian's jargon-text package,
installed by `apt-get install jargon-text` if missing). Queries are 2 KB and
10 KB chat-style answers (their mean size is printed) made of prose and code
that is NOT in the index: other Jargon chapters, and the code of a pinned
list of packages (``HELD_OUT_PACKAGES``, installed with copyguard and its
test extra; installing other packages does not change the answers). Every
other answer embeds a 1,200-character slice of a protected file.

    pip install rensa==0.5.0   # the third peer (datasketch is a dependency already)
    python bench/check.py [--max-mb 40] [--queries 300]

Prints one table, every latency in CPU time (``time.process_time``) and in
wall time: build MB/s (all, and code alone), passages, bytes per passage on disk
and resident, open time (here and in a fresh process), one ``copyguard check``
process, check p50/p99 per answer size with where the CPU time goes (the
normalization, tree-sitter's parse alone, the candidate stage alone), and
the same build and 2 KB queries on datasketch's MinHashLSH (same passages and
shingles) and on rensa's RMinHashLSH (Rust, raw whitespace tokens).
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
from copyguard.passages import cut, shingle_ranges  # noqa: E402
from copyguard.sketch import stream_shingles  # noqa: E402

JARGON = Path("/usr/share/doc/jargon-text/jargon.txt.gz")
# Held-out code comes from these packages only (copyguard's dependencies, its test extra, and pip).
HELD_OUT_PACKAGES = ("pip", "numpy", "pyarrow", "datasketch", "tqdm", "_pytest", "hypothesis")
COPY_CHARS = 1200


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
    missing = [name for name in HELD_OUT_PACKAGES if not (site / name).is_dir()]
    if missing:
        raise SystemExit(f"bench/check.py: held-out packages {missing} are not installed; pip install -e '.[test]'")
    paths = sorted(p for name in HELD_OUT_PACKAGES for p in (site / name).rglob("*.py"))
    held_code = [p.read_text(encoding="utf-8", errors="replace") for p in paths[::4]]
    return docs, [c for c in held_code if len(c) > 800], held_prose


def build(docs: list[Document], out: Path, params: Params) -> tuple[float, float]:
    """CPU seconds to build and compact the index, and its MB of source text."""
    start = time.process_time()
    index_documents(docs, str(out), params=params)
    Index.open(out).compact()
    return time.process_time() - start, sum(len(d.text.encode()) for d in docs) / 1e6


def answers(docs: list[Document], held_code: list[str], held_prose: list[str], size: int, n: int) -> list[str]:
    """Chat-style answers of ``size`` characters (within a few); every other one embeds a protected slice.

    Pieces of held-out prose and fenced code (at most 600 / 700 characters)
    fill the budget; the last piece is cut to what is left, so the answer has
    the size its row says.
    """
    rng = random.Random(size)
    code_docs = [d for d in docs if d.lang == "python" and len(d.text) > 3000]
    out = []
    for i in range(n):
        copy = ""
        if i % 2:
            d = rng.choice(code_docs)
            s = rng.randrange(len(d.text) - COPY_CHARS - 300)
            copy = "```python\n" + d.text[s : s + COPY_CHARS] + "\n```\n\n"
        parts: list[str] = []
        left = size - len(copy)
        while left > 40:
            if rng.random() < 0.5:
                p = rng.choice(held_prose)
                s = rng.randrange(max(1, len(p) - 600))
                piece = p[s : s + min(600, left - 2)] + "\n\n"
            else:
                c = rng.choice(held_code)
                s = rng.randrange(max(1, len(c) - 700))
                piece = "```python\n" + c[s : s + min(700, left - 20)] + "\n```\n\n"
            parts.append(piece)
            left -= len(piece)
        parts.insert(len(parts) // 2, copy)
        out.append("".join(parts))
    return out


def _pcts(times: list[float]) -> str:
    return f"p50 {np.percentile(times, 50) * 1e3:.2f} / p99 {np.percentile(times, 99) * 1e3:.2f} ms"


def latency(guard: Guard, queries: list[str]) -> dict:
    """CPU and wall times per check, normalization's share, false-positive rate (even answers), recall (odd)."""
    from copyguard.normalize.markdown import blocks

    for q in queries[:5]:
        guard.check(q)
    cpu, wall, parse, flagged = [], [], [], []
    for q in queries:
        w, c = time.perf_counter(), time.process_time()
        v = guard.check(q)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        flagged.append(v.flagged)
        c = time.process_time()  # the normalization the check did, done again alone
        normalize(q)
        for b in blocks(q):
            if b.kind == "code" and b.lang:
                normalize(q[b.start : b.end], b.lang)
        parse.append(time.process_time() - c)
    return {"cpu": _pcts(cpu), "wall": _pcts(wall), "parse": _pcts(parse),
            "fp": float(np.mean(flagged[0::2])), "hit": float(np.mean(flagged[1::2]))}


def stages(guard: Guard, queries: list[str]) -> dict:
    """CPU per answer of the candidate stage alone (sketch, boilerplate counts, candidate ranking: the work
    rensa's lookup does), and of tree-sitter parsing the answer's code blocks alone (the floor under a check)."""
    from copyguard.candidates import boilerplate_mask, rank_candidates, sketch_query, without
    from copyguard.guard import MAX_ROUNDS
    from copyguard.normalize import grammars
    from copyguard.normalize.markdown import blocks

    p, indexes = guard.policy, guard.indexes
    streams = [guard._read(q, None)[0] for q in queries]  # the streams Guard.check reads
    cand, parse = [], []
    for _ in range(2):  # the first pass warms the caches
        cand, parse = [], []
        for q, ss in zip(queries, streams):
            c = time.process_time()
            for ts in ss:
                query = sketch_query(ts, guard.params)
                common = boilerplate_mask(indexes, query, p.max_shingle_sources, p.max_shingle_share)
                rank_candidates(indexes, without(query, common), p.min_candidate_containment, p.max_sources * MAX_ROUNDS)
            cand.append(time.process_time() - c)
            code = [(q[b.start : b.end].encode(), grammars.parser(grammars.get(b.lang))) for b in blocks(q)
                    if b.kind == "code" and b.lang]
            c = time.process_time()
            for data, parser in code:
                parser.parse(data)
            parse.append(time.process_time() - c)
    return {"cand": _pcts(cand), "parse": _pcts(parse)}


def one_shot(index: Path) -> dict:
    """Wall time of one ``copyguard check`` process on the bundled sample corpus's index (median of 5), and of a
    first ``Guard.open`` in a fresh process, on that index and on ``index``."""
    import copyguard

    samples = Path(copyguard.__file__).parent / "samples"
    small = index.parent / "samples.cgidx"
    run = [sys.executable, "-m", "copyguard"]
    # A user's install has its bytecode: pip compiles it, and an editable install writes it on the first import.
    # With PYTHONDONTWRITEBYTECODE set (as in this sandbox) every process would compile copyguard's sources anew.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*run, "index", "build", str(samples / "corpus"), "--out", str(small)], check=True, capture_output=True,
                   env=env)
    check = [*run, "check", "--index", str(small), str(samples / "answer.md")]
    subprocess.run(check, capture_output=True, env=env)  # writes the bytecode the first time
    walls = []
    for _ in range(5):
        w = time.perf_counter()
        subprocess.run(check, capture_output=True, env=env)
        walls.append(time.perf_counter() - w)
    code = ("import sys, time; from copyguard import Guard; t = time.perf_counter(); Guard.open(sys.argv[1]); "
            "print((time.perf_counter() - t) * 1e3)")
    opens = {name: float(np.median([float(subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env,
                                                           capture_output=True, text=True).stdout) for _ in range(5)]))
             for name, path in (("small", small), ("large", index))}
    return {"cli": float(np.median(walls)), **opens}


def _windows(n: int, params: Params) -> list[tuple[int, int]]:
    window, stride = params.window(False)
    return [(s, min(s + window, n)) for s in range(0, max(n - window, 0) + 1, stride)]


def rensa_baseline(docs: list[Document], queries: list[str], params: Params) -> dict:
    """rensa's RMinHashLSH (Rust) over raw whitespace tokens, prose-sized windows: the fastest peer a user can pip install."""
    from rensa import RMinHash, RMinHashLSH

    num_perm = params.bands * params.rows  # rensa needs bands to divide num_perm: 42 bands of 3 rows
    t0 = time.process_time()
    lsh = RMinHashLSH(0.5, num_perm, params.bands)
    n = 0
    for d in docs:
        words = d.text.split()
        sets = [words[s:e] for s, e in _windows(len(words), params)]
        if sets:
            lsh.insert_matrix(RMinHash.digest_matrix_from_token_sets(sets, num_perm, params.seed), start_key=n)
            n += len(sets)
    build_s = time.process_time() - t0
    cpu, wall = [], []
    for q in queries:
        w, c = time.perf_counter(), time.process_time()
        words = q.split()
        mhs = []
        for s, e in _windows(len(words), params):
            m = RMinHash(num_perm, params.seed)
            m.update(words[s:e])
            mhs.append(m)
        lsh.query_all(mhs)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"build_s": build_s, "passages": n, "cpu": _pcts(cpu), "wall": _pcts(wall)}


def datasketch_baseline(docs: list[Document], queries: list[str], params: Params) -> dict:
    """MinHashLSH over the same passages and shingles: what a user would write without copyguard."""
    from datasketch import MinHash, MinHashLSH

    from copyguard.sketch import minhash_ranges

    rss0 = rss_bytes()
    t0 = time.process_time()
    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))
    n = 0
    for d in docs:
        ts = normalize(d.text, d.lang)
        ranges, _ = cut(ts, params)
        sh = stream_shingles(ts.tokens, params.shingle(ts.is_code), ts.is_code)
        sigs = minhash_ranges(sh, shingle_ranges(ranges, params.shingle(ts.is_code)), params.num_perm, params.seed)
        for j, sig in enumerate(sigs):
            lsh.insert((d.id, j), MinHash(seed=params.seed, hashvalues=sig, scheme="affine32"), check_duplication=False)
            n += 1
    build_s = time.process_time() - t0
    resident = rss_bytes() - rss0
    cpu, wall = [], []
    for q in queries:
        w, c = time.perf_counter(), time.process_time()
        ts = normalize(q)
        ranges, _ = cut(ts, params)
        sh = stream_shingles(ts.tokens, params.shingle(False), False)
        sigs = minhash_ranges(sh, shingle_ranges(ranges, params.shingle(False)), params.num_perm, params.seed)
        for sig in sigs:
            lsh.query(MinHash(seed=params.seed, hashvalues=sig, scheme="affine32"))
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"build_s": build_s, "passages": n, "resident_per_passage": resident / max(n, 1),
            "cpu": _pcts(cpu), "wall": _pcts(wall)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max-mb", type=float, default=40.0, help="corpus size to index (default 40 MB)")
    ap.add_argument("--queries", type=int, default=300, help="answers per size (default 300)")
    ap.add_argument("--skip-peers", action="store_true", help="skip datasketch and rensa")
    args = ap.parse_args()
    params = Params()
    docs, held_code, held_prose = corpus(args.max_mb)
    tmp = Path(tempfile.mkdtemp(prefix="copyguard-bench-"))
    try:
        seconds, mb = build(docs, tmp / "idx", params)
        gc.collect()
        rss0, priv0 = rss_bytes(), private_bytes()
        t = time.process_time()
        guard = Guard.open(tmp / "idx")
        open_ms = (time.process_time() - t) * 1e3
        stats = guard.index.stats()
        passages = stats["live_passages"]
        text_bytes = sum(f.stat().st_size for f in (tmp / "idx").rglob("texts*"))
        rows = [("corpus", f"{mb:.1f} MB, {len(docs):,} sources, {passages:,} passages")]
        rows.append(("build", f"{mb / seconds:.2f} MB/s CPU ({seconds:.1f} s, 1 process)"))
        code_docs = [d for d in docs if d.lang != "text"]
        code_s, code_mb = build(code_docs, tmp / "code-only", params)
        rows.append(("build, code only", f"{code_mb / code_s:.2f} MB/s CPU ({code_mb:.1f} MB of Python, 1 process)"))
        per = (stats["bytes"] - text_bytes) / passages
        rows.append(("disk / passage", f"{per:.0f} B (+ {text_bytes / passages:.0f} B source text)"))
        rows.append(("open", f"{open_ms:.1f} ms CPU"))
        shot = one_shot(tmp / "idx")
        rows.append(("open, fresh process", f"{shot['large']:.1f} ms wall (this index), {shot['small']:.1f} ms (sample corpus)"))
        rows.append(("copyguard check process", f"{shot['cli'] * 1e3:.0f} ms wall (sample corpus index, samples/answer.md)"))
        for size in (2000, 10000):
            qs = answers(docs, held_code, held_prose, size, args.queries)
            r = latency(guard, qs)
            mean = sum(map(len, qs)) / len(qs)
            rows.append((f"check {size // 1000} KB", f"CPU {r['cpu']}, wall {r['wall']} (answers {mean:,.0f} chars on average)"))
            rows.append(("  of which normalization", f"CPU {r['parse']} (segmenting and parsing the answer alone)"))
            if size == 2000:
                st = stages(guard, qs)
                rows.append(("  of which parsing", f"CPU {st['parse']} (tree-sitter alone on the answer's code blocks)"))
                rows.append(("  candidate stage", f"CPU {st['cand']} (sketch, boilerplate counts, candidate ranking)"))
            rows.append(("  found / flagged", f"copies found {r['hit']:.0%}, clean answers flagged {r['fp']:.1%}"))
        rows.append(("resident / passage", f"{(private_bytes() - priv0) / passages:.0f} B anonymous (heap), "
                     f"{(rss_bytes() - rss0) / passages:.0f} B RSS incl. mapped index pages, after open and all checks"))
        qs = answers(docs, held_code, held_prose, 2000, min(args.queries, 100))
        if not args.skip_peers:
            ds = datasketch_baseline(docs, qs, params)
            rows.append(("datasketch build", f"{mb / ds['build_s']:.2f} MB/s CPU ({ds['passages']:,} passages)"))
            rows.append(("datasketch resident", f"{ds['resident_per_passage']:.0f} B / passage"))
            rows.append(("datasketch 2 KB", f"CPU {ds['cpu']}, wall {ds['wall']} (lookup only, no verification)"))
            del ds
            gc.collect()
            rs = rensa_baseline(docs, qs, params)
            rows.append(("rensa build", f"{mb / rs['build_s']:.2f} MB/s CPU ({rs['passages']:,} windows of raw words)"))
            rows.append(("rensa 2 KB", f"CPU {rs['cpu']}, wall {rs['wall']} (lookup only, no verification)"))
        import importlib.metadata as md

        versions = ", ".join(f"{p} {md.version(p.strip('_'))}" for p in HELD_OUT_PACKAGES)
        rows.append(("held-out code from", versions))
        width = max(len(r[0]) for r in rows)
        print(f"\ncopyguard check benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]})")
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
