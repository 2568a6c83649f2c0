"""Dedup benchmark: copyguard (local, optionally Spark) vs datatrove's MinHash pipeline vs plain datasketch.

Data: short documents (2-6 sentences, ~50 words) composed from real sentences
found on this machine (Python docstrings from the stdlib and site-packages,
/usr/share/common-licenses, /usr/share/doc). After the originals are written,
10% of the rows are planted copies of an earlier original: half exact, half
near (one word replaced, deleted or inserted per 40 words, at least one).
Ground truth: each row's original. Scores are over duplicate *pairs*: a pair
is predicted when both rows share a predicted cluster, true when both share
an original.

Originals are drawn compositions with no other drawn composition at
estimated Jaccard >= 0.3 under prose normalization (as in
bench/dedup_curves.py): two compositions that share a long sentence are
near duplicates (one 40-word sentence is half of a 2-sentence row), which
a user calls duplicates too, so they are taken out before any copy is
planted rather than scored as false positives (how many is printed).
Sentences are drawn with replacement from ~380,000, so compositions share
them often: at 100,000 rows 15% of the drawn compositions have another at
>= 0.3 and are taken out (more are drawn to make up). In the data before
this (no such filter), 688 of the 704 false pairs copyguard's defaults
made were such pairs (prose Jaccard 0.3-0.7, one long shared sentence).

Datatrove's 14 bands x 8 rows put its 50% candidate probability at J = 0.72
and it keeps every bucket collision without verification; pass
``copyguard-local-2-0.7`` for a like-for-like comparison. By default copyguard
runs at its defaults (``--mode auto``, threshold 0.5) with 1 and 2 processes,
and at the old default (prose, 0.8) as ``copyguard-local-2-0.8-prose``.

Every system runs in its own subprocess (peak RSS is that process's
``ru_maxrss``) on the same Parquet file, end to end: read, sign, cluster,
write the deduplicated output. Throughput counts the UTF-8 bytes of the text.

    python bench/dedup.py --rows 100000          # quick
    python bench/dedup.py                        # 1,000,000 rows
    python bench/dedup.py --systems copyguard-local-2,datatrove --spark
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

WORK = Path("/tmp/copyguard-bench")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
THRESHOLD = 0.8
SHINGLE = 3


# --- data -----------------------------------------------------------------------------------


def _docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node)
            if doc:
                out.append(doc)
    return out


def _text_files() -> list[str]:
    out = []
    for p in list(Path("/usr/share/common-licenses").iterdir()) + list(Path("/usr/share/doc").rglob("*")):
        try:
            if not p.is_file() or p.stat().st_size > 2_000_000:
                continue
            raw = gzip.open(p).read() if p.suffix == ".gz" else p.read_bytes()
            out.append(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, EOFError):
            continue
    return out


def sentences() -> list[str]:
    """Distinct real sentences of 5 to 40 words."""
    texts = _text_files()
    roots = [Path(p) for p in ("/usr/lib/python3.11", sys.prefix + "/lib/python3.11/site-packages")]
    for root in roots:
        for f in root.rglob("*.py"):
            texts.extend(_docstrings(f))
    seen: dict[str, None] = {}
    for t in texts:
        for s in _SENT.split(" ".join(t.split())):
            n = s.count(" ") + 1
            if 5 <= n <= 40:
                seen.setdefault(s, None)
    return list(seen)


def mutate(words: list[str], rng: np.random.Generator, pool: list[str]) -> list[str]:
    words = list(words)
    for _ in range(max(1, len(words) // 40)):
        op, pos = int(rng.integers(0, 3)), int(rng.integers(0, len(words)))
        if op == 0:
            words[pos] = pool[int(rng.integers(0, len(pool)))]
        elif op == 1 and len(words) > 5:
            del words[pos]
        else:
            words.insert(pos, pool[int(rng.integers(0, len(pool)))])
    return words


def build(rows: int, seed: int = 0) -> tuple[Path, np.ndarray]:
    """The benchmark Parquet file (``id``, ``text``) and each row's original (cached)."""
    WORK.mkdir(parents=True, exist_ok=True)
    data, truth = WORK / f"data-v2-{rows}.parquet", WORK / f"truth-v2-{rows}.npy"  # v2: distinct originals
    if data.exists() and truth.exists():
        return data, np.load(truth)
    sents = sentences()
    print(f"{len(sents)} distinct real sentences", file=sys.stderr)
    rng = np.random.default_rng(seed)
    pool = [w for s in sents[:20000] for w in s.split()]
    copy = [i >= 1000 and rng.random() < 0.1 for i in range(rows)]
    need, draw = copy.count(False), rows
    while True:  # compositions share sentences more often the more are drawn: draw until enough are distinct
        drawn = [" ".join(sents[j] for j in rng.integers(0, len(sents), int(rng.integers(2, 7)))) for _ in range(draw)]
        kept = distinct(drawn)
        if len(kept) >= need:
            break
        draw = int(draw * 1.25)
    fresh = iter(kept)
    texts: list[str] = []
    origin = np.arange(rows)
    for i in range(rows):
        if copy[i]:
            src = int(rng.integers(0, i))
            src = int(origin[src])
            origin[i] = src
            texts.append(texts[src] if rng.random() < 0.5 else " ".join(mutate(texts[src].split(), rng, pool)))
        else:
            texts.append(next(fresh))
    pq.write_table(pa.table({"id": np.arange(rows), "text": texts}), data, row_group_size=50_000)
    np.save(truth, origin)
    return data, origin


def distinct(drawn: list[str]) -> list[str]:
    """The compositions with no other one at estimated Jaccard >= 0.3 under prose normalization, in order."""
    from copyguard.dedup import DedupConfig, cluster, signatures_for_batch

    cfg = DedupConfig(threshold=0.3, mode="prose")
    sigs = np.concatenate([signatures_for_batch(pa.record_batch({"text": drawn[s : s + 50_000]}), cfg)
                           for s in range(0, len(drawn), 50_000)])
    labels = cluster(sigs, cfg)
    keep = np.bincount(labels, minlength=len(drawn))[labels] == 1
    print(f"{len(drawn)} compositions drawn, {int((~keep).sum())} taken out (estimated Jaccard >= 0.3 to another)",
          file=sys.stderr)
    return [t for t, k in zip(drawn, keep) if k]


# --- systems (each runs in a child process) ------------------------------------------------


def run_copyguard(data: Path, out: Path, engine: str, jobs: int, threshold: float | None,
                  mode: str | None = None) -> np.ndarray:
    """copyguard with its defaults (auto mode, default threshold) unless a threshold or mode is given."""
    from copyguard.dedup import THRESHOLD, dedup

    if engine == "spark":
        out = out.with_suffix("")  # the executors write a folder
        shutil.rmtree(out, ignore_errors=True)
    extra = {"mode": mode} if mode else {}
    dedup([str(data)], str(out), threshold=threshold or THRESHOLD, mark_only=True, engine=engine, jobs=jobs, **extra)
    table = pq.read_table(out, columns=["id", "cluster_id"]).sort_by("id")
    return table.column("cluster_id").to_numpy()


def run_datatrove(data: Path, out: Path, n_rows: int) -> np.ndarray:
    import xxhash
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashes import xxhash as dt_xxhash

    # datatrove 0.10.1 hashes str; xxhash 4 (this tree's pin) takes bytes only. UTF-8 is what xxhash 3 hashed.
    dt_xxhash.xxhash64 = lambda data: xxhash.xxh64_intdigest(data.encode() if isinstance(data, str) else data)
    dt_xxhash.xxhash32 = lambda data: xxhash.xxh32_intdigest(data.encode() if isinstance(data, str) else data)

    cfg = MinhashConfig(n_grams=SHINGLE)  # default 14 buckets x 8 hashes; 3-grams like copyguard
    from datatrove.utils.word_tokenizers import WordTokenizer

    class Whitespace(WordTokenizer):
        """str.split words: datatrove's default spaCy tokenizer ran 0.085 MB/s here (1M rows: ~100 min)."""

        def word_tokenize(self, text: str) -> list[str]:
            return text.split()

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    root = out.parent / "datatrove"
    shutil.rmtree(root, ignore_errors=True)
    reader = lambda: ParquetReader(str(data.parent), glob_pattern=data.name, text_key="text", id_key="id")  # noqa: E731
    stages = [
        [reader(), MinhashDedupSignature(output_folder=f"{root}/sigs", config=cfg, language=Whitespace())],
        [MinhashDedupBuckets(input_folder=f"{root}/sigs", output_folder=f"{root}/buckets", config=cfg)],
        [MinhashDedupCluster(input_folder=f"{root}/buckets", output_folder=f"{root}/remove", config=cfg,
                             save_cluster_id=True)],
        [reader(), MinhashDedupFilter(input_folder=f"{root}/remove"), JsonlWriter(f"{root}/out", compression=None)],
    ]
    for i, pipeline in enumerate(stages):
        tasks = cfg.num_buckets if i == 1 else 1
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{root}/logs{i}").run()
        print(f"datatrove stage {i + 1}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    labels = np.arange(n_rows)
    raw = (root / "remove" / "000000.clusters").read_bytes()
    pairs = np.frombuffer(raw, dtype=np.uint32).reshape(-1, 2).astype(np.int64)
    labels[pairs[:, 0]] = n_rows + pairs[:, 1]
    return labels


def _words3(text: str) -> list[bytes]:
    w = text.lower().split()
    return [" ".join(w[i : i + SHINGLE]).encode() for i in range(max(1, len(w) - SHINGLE + 1))]


def run_datasketch(data: Path, out: Path) -> np.ndarray:
    from datasketch import MinHash, MinHashLSH

    from copyguard.dedup.clusters import components

    texts = pq.read_table(data, columns=["text"]).column("text").to_pylist()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    lo, hi = [], []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=128)
        m.update_batch(_words3(t))
        for j in lsh.query(m):
            lo.append(j)
            hi.append(i)
        lsh.insert(i, m)
    labels = components(len(texts), np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64))
    keep = np.unique(labels, return_index=True)[1]
    pq.write_table(pq.read_table(data).take(np.sort(keep)), out)
    return labels


def child(system: str, data: Path, rows: int) -> None:
    out = WORK / f"out-{system}.parquet"
    t0 = time.perf_counter()
    if system.startswith("copyguard-"):
        _, engine, jobs, *rest = system.split("-")  # copyguard-local-2[-0.7[-prose]]
        labels = run_copyguard(data, out, engine, int(jobs), float(rest[0]) if rest else None,
                               rest[1] if len(rest) > 1 else None)
    elif system == "datatrove":
        labels = run_datatrove(data, out, rows)
    else:
        labels = run_datasketch(data, out)
    seconds = time.perf_counter() - t0
    np.save(WORK / f"labels-{system}.npy", labels)
    # VmHWM, not ru_maxrss: after fork+exec ru_maxrss still holds the parent's peak.
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    peak = int(hwm.split()[1]) / 1024 + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak}))


# --- scoring ----------------------------------------------------------------------------------


def _pairs(*labelings: np.ndarray) -> int:
    """Pairs of rows equal under every labeling: sum of C(n, 2) over the joint groups."""
    _, counts = np.unique(np.stack(labelings, axis=1), axis=0, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def scores(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp, pp, tt = _pairs(truth, pred), _pairs(pred), _pairs(truth)
    p, r = tp / max(pp, 1), tp / max(tt, 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--systems",
                    default="copyguard-local-1,copyguard-local-2,copyguard-local-2-0.8-prose,datatrove,datasketch",
                    help="comma-separated; copyguard-ENGINE-JOBS[-THRESHOLD[-MODE]] (default: copyguard's defaults; "
                         "copyguard-local-2-0.8-prose is the old default)")
    ap.add_argument("--crossover", metavar="ROWS,...",
                    help="only copyguard local (jobs 2) vs Spark local[2] at these sizes, and where Spark would pay")
    ap.add_argument("--spark", action="store_true", help="also run copyguard's Spark engine (local[2])")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.crossover and not args.child:
        return crossover([int(n) for n in args.crossover.split(",")])
    data, truth = build(args.rows)
    if args.child:
        return child(args.child, data, args.rows)
    mb = pq.read_table(data, columns=["text"]).column("text").combine_chunks().buffers()[2].size / 1e6
    systems = args.systems.split(",") + (["copyguard-spark-2"] if args.spark else [])
    print(f"{args.rows} rows, {mb:.1f} MB of text, {len(set(truth.tolist()))} true clusters, "
          f"{_pairs(truth)} true duplicate pairs\n")
    print("| system | seconds | rows/s | MB/s | peak RSS MB (main + largest child) | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|---|")
    for system in systems:
        res = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--child", system],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(f"| {system} | failed: {res.stderr.strip().splitlines()[-1:]} |")
            continue
        stats = json.loads(res.stdout.strip().splitlines()[-1])
        p, r, f = scores(truth, np.load(WORK / f"labels-{system}.npy"))
        s = stats["seconds"]
        print(f"| {system} | {s:.1f} | {args.rows / s:,.0f} | {mb / s:.2f} | {stats['peak_mb']:,.0f} | "
              f"{p:.4f} | {r:.4f} | {f:.4f} |", flush=True)


def _timed(system: str, rows: int) -> tuple[float, np.ndarray]:
    res = subprocess.run([sys.executable, __file__, "--rows", str(rows), "--child", system], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{system} at {rows} rows failed: {res.stderr.strip().splitlines()[-1:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])["seconds"], np.load(WORK / f"labels-{system}.npy")


def crossover(sizes: list[int]) -> None:
    """Wall time of local (2 processes) and Spark (local[2]) per size, same clusters checked, and a linear fit
    ``seconds = fixed + rows * per_row`` per engine: Spark pays off where its line crosses the local one."""
    print("| rows | local jobs=2 s | Spark local[2] s | same clusters |\n|---|---|---|---|")
    fits: dict[str, list[tuple[int, float]]] = {"local": [], "spark": []}
    for n in sizes:
        build(n)
        t_local, a = _timed("copyguard-local-2", n)
        t_spark, b = _timed("copyguard-spark-2", n)
        fits["local"].append((n, t_local))
        fits["spark"].append((n, t_spark))
        print(f"| {n:,} | {t_local:.1f} | {t_spark:.1f} | {bool(np.array_equal(a, b))} |", flush=True)
    if len(sizes) < 2:
        return
    coef = {k: np.polyfit([r for r, _ in v], [t for _, t in v], 1) for k, v in fits.items()}  # (per_row, fixed)
    (pl, fl), (ps, fs) = coef["local"], coef["spark"]
    print(f"\nlocal: {fl:.1f} s + {1e6 * pl:.1f} us/row; Spark local[2]: {fs:.1f} s + {1e6 * ps:.1f} us/row")
    if ps < pl:
        print(f"crossover at {(fs - fl) / (pl - ps):,.0f} rows")
        return
    ratio = ps / pl
    w = int(np.ceil(2 * ratio))
    print(f"no crossover on one machine: Spark costs {ratio:.1f}x the local engine per row on the same 2 cores. "
          f"Assuming Spark's per-row cost divides by the number of such machines, it pays only on more than "
          f"{ratio:.1f} of them; on {w}, beyond {max(0.0, fs - fl) / (pl - ps / w):,.0f} rows.")


if __name__ == "__main__":
    main()
