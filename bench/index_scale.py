"""How the index grows: build throughput (local jobs 1 and 2, Spark local[2]), disk per passage, open time,
resident memory and check latency at 10k, 100k and 1M passages (more with --sizes).

Corpus (not written by us, read from this machine, never copied into the repository): the Python 3.11
standard library and site-packages, the JDK's Java sources (src.zip), the C headers of /usr/include,
npm's JavaScript and the Jargon File (prose), shuffled with a fixed seed; one file in ten (by a hash of
its name) is held out and never indexed. Each size is a prefix of that order, written once as a Parquet
dataset (under --work) that every engine reads. Queries are 2 KB chat-style answers of held-out prose
and code; every other one embeds a 1,200-character slice of an indexed file.

    python bench/index_scale.py [--sizes 10k,100k,1M] [--engines local1,local2,spark2] [--queries 300]

Open time, memory and latency are measured in a fresh process per index, latency as CPU time
(time.process_time) because the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from check import jargon_text, private_bytes, prose_chunks, rss_bytes  # noqa: E402

PASSAGES_PER_BYTE = 1 / 168  # measured on this mix (about 6,000 passages per MB)
JDK_SRC = Path("/usr/lib/jvm/temurin-25-jdk-amd64/lib/src.zip")
NPM = Path("/usr/lib/node_modules")
LANGS = {".py": "python", ".java": "java", ".h": "c", ".js": "javascript"}


def _held_out(name: str) -> bool:
    return int(hashlib.sha1(name.encode()).hexdigest()[:4], 16) % 10 == 0


def _files() -> Iterator[tuple[str, str, str]]:
    """``(id, text, lang)`` of every usable file of the corpus, in a fixed shuffled order."""
    entries: list[tuple[str, object]] = []
    py = Path(sysconfig.get_paths()["stdlib"])
    entries += [(f"py/{p.relative_to(py)}", p) for p in sorted(py.rglob("*.py")) if "test" not in p.parts]
    entries += [(f"inc/{p.relative_to('/usr/include')}", p) for p in sorted(Path("/usr/include").rglob("*.h"))]
    entries += [(f"npm/{p.relative_to(NPM)}", p) for p in sorted(NPM.rglob("*.js")) if ".min." not in p.name]
    if JDK_SRC.exists():
        with zipfile.ZipFile(JDK_SRC) as z:
            entries += [(f"jdk/{n}", n) for n in sorted(z.namelist()) if n.endswith(".java")]
    for i, chunk in enumerate(prose_chunks(jargon_text())):
        entries.append((f"jargon/{i:05d}", chunk))
    random.Random(7).shuffle(entries)
    jdk = zipfile.ZipFile(JDK_SRC) if JDK_SRC.exists() else None
    for name, where in entries:
        if isinstance(where, Path):
            try:
                if where.stat().st_size > 1_000_000:
                    continue
                text = where.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            lang = LANGS[where.suffix]
        elif name.startswith("jdk/") and jdk is not None:
            text, lang = jdk.read(str(where)).decode("utf-8", "replace"), "java"
        else:
            text, lang = str(where), "prose"
        if text.strip():
            yield name, text, lang


def corpus(sizes: list[int], work: Path) -> tuple[dict[int, Path], list[tuple[str, str]]]:
    """One Parquet dataset per size (each a prefix of the next) and held-out ``(text, lang)`` for queries."""
    target = max(sizes)
    rows: list[dict] = []
    held: list[tuple[str, str]] = []
    budget = 0.0
    files = _files()
    paths: dict[int, Path] = {}
    for size in sorted(sizes):
        while budget < size:
            try:
                name, text, lang = next(files)
            except StopIteration:
                print(f"corpus ran out at about {int(budget):,} passages", file=sys.stderr)
                break
            if _held_out(name):
                if len(held) < 4000:
                    held.append((text, lang))
                continue
            rows.append({"id": name, "text": text, "lang": lang})
            budget += len(text.encode()) * PASSAGES_PER_BYTE
        path = work / f"corpus-{size}.parquet"
        if not path.exists():
            pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=256)
        paths[size] = path
        if size == target:
            break
    return paths, held


def _fence(lang: str) -> str:
    return "" if lang == "prose" else lang


def answers(dataset: Path, held: list[tuple[str, str]], n: int, size: int = 2000) -> list[str]:
    """Chat-style answers of held-out prose and code; every other one embeds a slice of an indexed file."""
    rng = random.Random(11)
    indexed = pq.read_table(dataset, columns=["text", "lang"]).to_pylist()
    indexed = [r for r in indexed if len(r["text"]) > 3000]
    out = []
    for i in range(n):
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            text, lang = rng.choice(held)
            s = rng.randrange(max(1, len(text) - 600))
            parts.append(text[s : s + 600] + "\n\n" if lang == "prose" else f"```{_fence(lang)}\n{text[s : s + 600]}\n```\n\n")
        if i % 2:
            r = rng.choice(indexed)
            s = rng.randrange(len(r["text"]) - 1500)
            piece = r["text"][s : s + 1200]
            parts.insert(len(parts) // 2, piece + "\n\n" if r["lang"] == "prose" else f"```{_fence(r['lang'])}\n{piece}\n```\n\n")
        out.append("".join(parts)[: size + 1500])
    return out


def build(engine: str, dataset: Path, out: Path) -> dict:
    """Build ``out`` from ``dataset`` with ``engine``; wall seconds, and CPU seconds where they can be counted."""
    from copyguard.index.build import build_index
    from copyguard.index.spark_build import spark_build_index

    shutil.rmtree(out, ignore_errors=True)
    options = dict(text_field="text", id_field="id", lang_field="lang", license="LicenseRef-bench")
    self0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    if engine.startswith("spark"):
        report = spark_build_index([str(dataset)], str(out), jobs=int(engine[5:]), **options)
    else:
        report = build_index([str(dataset)], str(out), jobs=int(engine[5:]), **options)
    wall = time.perf_counter() - t0
    self1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(getattr(b, f) - getattr(a, f) for a, b in ((self0, self1), (kids0, kids1)) for f in ("ru_utime", "ru_stime"))
    mb = pc.sum(pc.binary_length(pq.read_table(dataset, columns=["text"]).column("text"))).as_py() / 1e6
    return {"engine": engine, "wall": wall, "cpu": None if engine.startswith("spark") else cpu, "mb": mb,
            "passages": report.passages, "sources": report.sources}


def measure(index: Path, queries: Path) -> dict:
    """In this (fresh) process: open time, memory after the checks, check CPU time p50/p99, flag rates."""
    from copyguard.guard import Guard
    from copyguard.index import Index

    priv0, rss0 = private_bytes(), rss_bytes()
    opens = []
    for _ in range(5):
        t = time.perf_counter()
        guard = Guard.open(index)
        opens.append(time.perf_counter() - t)
    texts = json.loads(queries.read_text())
    for q in texts[:5]:
        guard.check(q)
    cpu, flagged = [], []
    for q in texts:
        t = time.process_time()
        flagged.append(guard.check(q).flagged)
        cpu.append(time.process_time() - t)
    stats = Index.open(index).stats()
    return {"open_ms": float(np.median(opens)) * 1e3, "p50": float(np.percentile(cpu, 50)) * 1e3,
            "p99": float(np.percentile(cpu, 99)) * 1e3, "found": float(np.mean(flagged[1::2])),
            "clean_flagged": float(np.mean(flagged[0::2])), "private": private_bytes() - priv0,
            "rss": rss_bytes() - rss0, "bytes": stats["bytes"], "segments": stats["segments"],
            "passages": stats["passages"]}


def _size(text: str) -> int:
    text = text.lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k,1M", help="index sizes in passages (default 10k,100k,1M)")
    ap.add_argument("--engines", default="local1,local2,spark2",
                    help="builds to time at each size; the last local one is measured for checks (and spark)")
    ap.add_argument("--queries", type=int, default=300, help="answers checked per index (default 300)")
    ap.add_argument("--work", default="/tmp/copyguard-index-scale", help="datasets and indexes (default %(default)s)")
    ap.add_argument("--measure", nargs=2, metavar=("INDEX", "QUERIES"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]))))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [_size(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    datasets, held = corpus(sizes, work)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if any(e.startswith("spark") for e in engines):
        from copyguard.dedup.spark import session

        t = time.perf_counter()
        session(2).range(1).count()
        print(f"Spark local[2] session start-up (not in the build times): {time.perf_counter() - t:.1f} s", flush=True)
    rows = []
    for size, dataset in datasets.items():
        qpath = work / f"queries-{size}.json"
        qpath.write_text(json.dumps(answers(dataset, held, args.queries)))
        for engine in engines:
            out = work / f"idx-{size}-{engine}"
            b = build(engine, dataset, out)
            m = json.loads(subprocess.run([sys.executable, __file__, "--measure", str(out), str(qpath)],
                                          capture_output=True, text=True, check=True).stdout)
            row = {"size": size, **b, **m, "load": os.getloadavg()[0]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    (work / "results.json").write_text(json.dumps(rows, indent=1))
    print("\n| passages | engine | MB | build s | MB/s wall | MB/s per CPU-s | segments | disk B/passage "
          "| open ms | heap B/passage | RSS B/passage | check p50 ms | p99 ms | copies found | clean flagged |")
    print("|" + "---|" * 15)
    for r in rows:
        per_cpu = f"{r['mb'] / r['cpu']:.2f}" if r["cpu"] else "-"
        print(f"| {r['passages']:,} | {r['engine']} | {r['mb']:.1f} | {r['wall']:.1f} | {r['mb'] / r['wall']:.2f} "
              f"| {per_cpu} | {r['segments']} | {r['bytes'] / r['passages']:.0f} | {r['open_ms']:.1f} "
              f"| {r['private'] / r['passages']:.1f} | {r['rss'] / r['passages']:.0f} | {r['p50']:.1f} "
              f"| {r['p99']:.1f} | {r['found']:.2f} | {r['clean_flagged']:.2f} |")


if __name__ == "__main__":
    main()
