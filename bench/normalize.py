"""Normalization throughput per language on real code (and prose), single core, CPU time.

Sources (none written by us; nothing from bench/.cache is committed):
  python      CPython 3.11 standard library
  java, c     SOCO FIRE-2014 + IR-Plag (/work/shared/eval, unpacked to bench/.cache)
  c           /usr/include headers
  javascript  npm's own node_modules (/usr/lib/node_modules/npm)
  typescript  rxjs 7.8.1 src/      (npm pack rxjs@7.8.1)
  tsx         @tanstack/react-query 5.59.0 src/   (npm pack)
  go          Debian golang-github-spf13-cobra-dev, golang-golang-x-text-dev (apt-get download)
  rust        Debian librust-serde-dev, librust-regex-syntax-dev
  cpp         Debian libfmt-dev headers, cmake/numpy/CPython .cpp files on disk
  ruby        Debian ruby-rack
  php         the PHP SDK of Google App Engine (inside /usr/lib/google-cloud-sdk)
  bash        .sh files of perf, git contrib, /etc and the Google Cloud SDK
  prose       Clough & Stevenson short answers and their Wikipedia sources

Run ``python bench/normalize.py --fetch`` once to download the packages into
bench/.cache, then ``python bench/normalize.py [--mb 2]``. Columns: tree-sitter's
parse alone on copyguard's vendored runtime (``_core.parse_only``: the same parser,
allocator and parse budget that the normalization itself runs, so the floor it is
measured against), the same parse by the Python binding (its own copy of the
runtime, which rebalances trees: see vendor/tree-sitter/README.md), copyguard's
normalization (compiled core), its ratio to each parse, tokens per second, and the
numpy reference's normalization. Every column is CPU time, least of ``--repeat``
rounds, and includes encoding the str to UTF-8.
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
EVAL = Path("/work/shared/eval")
STDLIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
GCLOUD = "/usr/lib/google-cloud-sdk"

NPM = ["rxjs@7.8.1", "@tanstack/react-query@5.59.0"]
DEBS = ["golang-github-spf13-cobra-dev", "golang-golang-x-text-dev", "librust-serde-dev",
        "librust-regex-syntax-dev", "libfmt-dev", "ruby-rack"]


def fetch() -> None:
    """Download the npm and Debian packages into bench/.cache (package registries only)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", *NPM, "--silent"], cwd=CACHE, check=True)
    subprocess.run(["apt-get", "download", *DEBS], cwd=CACHE, check=True)


def unpack() -> None:
    """Extract every archive in bench/.cache and the eval zips, once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for z in EVAL.glob("*/*.zip"):
        dest = CACHE / z.stem
        if not dest.exists():
            zipfile.ZipFile(z).extractall(dest)
    for tgz in CACHE.glob("*.tgz"):
        dest = CACHE / tgz.name.removesuffix(".tgz")
        if not dest.exists():
            with tarfile.open(tgz) as t:
                t.extractall(dest, filter="data")
    for deb in CACHE.glob("*.deb"):
        dest = CACHE / deb.name.split("_")[0]
        if not dest.exists():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)


def sources() -> dict[str, list[str]]:
    """Language -> file paths of real code."""
    c = CACHE

    def g(*patterns: str) -> list[str]:
        return sorted({p for pat in patterns for p in glob.glob(str(pat), recursive=True)})

    return {
        "python": g(STDLIB / "*.py", STDLIB / "email/**/*.py", STDLIB / "asyncio/*.py"),
        "javascript": g("/usr/lib/node_modules/npm/node_modules/**/*.js"),
        "typescript": g(c / "rxjs-7.8.1/package/src/**/*.ts"),
        "tsx": g(c / "tanstack-react-query-5.59.0/package/src/**/*.tsx"),
        "java": g(EVAL / "soco_fire2014_train/java/*.java", c / "IR-Plag-Dataset/**/*.java"),
        "c": g(EVAL / "soco_fire2014_train/c/*.c", "/usr/include/*.h"),
        "cpp": g(c / "libfmt-dev/**/*.h", "/usr/share/cmake-*/**/*.cpp", STDLIB / "test/*/*.cpp"),
        "go": g(c / "golang-*/**/*.go"),
        "rust": g(c / "librust-*/**/*.rs"),
        "ruby": g(c / "ruby-rack/**/*.rb"),
        "php": g(f"{GCLOUD}/platform/google_appengine/php/**/*.php"),
        "bash": g("/usr/lib/perf-core/**/*.sh", "/usr/share/doc/git/**/*.sh",
                  "/usr/lib/x86_64-linux-gnu/*.sh", "/etc/**/*.sh", f"{GCLOUD}/**/*.sh"),
    }


def read_until(paths: list[str], limit_bytes: int) -> list[str]:
    """Readable UTF-8 texts from ``paths``, up to about ``limit_bytes`` in all."""
    out, total = [], 0
    for p in paths:
        try:
            text = Path(p).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text.strip():
            out.append(text)
            total += len(text.encode())
        if total >= limit_bytes:
            break
    return out


def measure(lang: str, texts: list[str], repeat: int = 5, numpy: bool = True
            ) -> tuple[float, float, float, float, int]:
    """Seconds to parse only on the core's runtime, to parse only with the binding, and to normalize all texts
    (each the best of ``repeat``), to normalize them with the numpy reference (``COPYGUARD_NO_EXT``; once, or
    nan without ``numpy``), and the token count.

    Each round parses every text, then normalizes every text: load from other
    processes on the machine hits all columns alike, and each side runs as it
    would alone (file by file alternation would measure the compiled core,
    which embeds its own copy of the tree-sitter runtime, with the binding's
    copy just run in the CPU's caches).
    """
    from copyguard import compiled
    from copyguard.normalize import grammars
    from copyguard.normalize.code import normalize_code

    grammar = grammars.get(lang)
    c = compiled.core()
    if c is None:
        raise SystemExit("the compiled core is not built (python setup.py build_ext --inplace)")
    core_parser = c.CodeParser(grammars.capsule(grammar))  # the runtime normalize_code parses with
    parser = grammars.parser(grammar)
    best_c = best_p = best_n = float("inf")
    tokens = 0
    for _ in range(repeat):
        t0 = time.process_time()
        for text in texts:
            data = grammars.source_bytes(grammar, text)
            c.parse_only(core_parser, data, grammars.parse_budget(len(data)))
        t1 = time.process_time()
        for text in texts:
            parser.parse(text.encode())
        t2 = time.process_time()
        tokens = sum(len(normalize_code(text, lang)) for text in texts)
        t3 = time.process_time()
        best_c, best_p, best_n = min(best_c, t1 - t0), min(best_p, t2 - t1), min(best_n, t3 - t2)
    t_ref = float("nan")
    if numpy:
        with compiled.reference():
            t0 = time.process_time()
            for text in texts:
                normalize_code(text, lang)
            t_ref = time.process_time() - t0
    return best_c, best_p, best_n, t_ref, tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.5, help="MB of code per language")
    ap.add_argument("--fetch", action="store_true", help="download packages first")
    ap.add_argument("--langs", nargs="*", help="only these languages")
    ap.add_argument("--repeat", type=int, default=5, help="rounds per language (each column: the least)")
    ap.add_argument("--no-numpy", action="store_true", help="skip the numpy reference's column (and the prose rows)")
    args = ap.parse_args()
    if args.fetch:
        fetch()
    unpack()
    print(f"{'language':12s} {'MB':>6s} {'files':>6s} {'core parse':>10s} {'binding':>8s} {'MB/s':>7s} "
          f"{'ratio':>6s} {'vs bind':>7s} {'tokens/s':>10s} {'numpy MB/s':>10s}")
    print(f"{'':12s} {'':>6s} {'':>6s} {'MB/s':>10s} {'MB/s':>8s} {'':>7s} {'(core)':>6s} {'':>7s}")
    for lang, paths in sources().items():
        if args.langs and lang not in args.langs:
            continue
        texts = read_until(paths, int(args.mb * 1e6))
        if not texts:
            print(f"{lang:12s}  no source files found (run with --fetch?)")
            continue
        mb = sum(len(t.encode()) for t in texts) / 1e6
        t_core, t_bind, t_norm, t_ref, n_tok = measure(lang, texts, args.repeat, not args.no_numpy)
        print(f"{lang:12s} {mb:6.2f} {len(texts):6d} {mb / t_core:10.2f} {mb / t_bind:8.2f} {mb / t_norm:7.2f} "
              f"{t_core / t_norm:6.2f} {t_bind / t_norm:7.2f} {n_tok / t_norm:10.0f} {mb / t_ref:10.2f}", flush=True)
    if not args.no_numpy:
        prose_row(args.mb)


def prose_row(mb_limit: float) -> None:
    """Prose rows: short answers one by one (per-call cost shows) and a whole book (throughput)."""
    from copyguard.normalize import normalize

    base = EVAL / "clough_stevenson_short_answers"
    answers = read_until(sorted(glob.glob(str(base / "**/*.txt"), recursive=True)), int(mb_limit * 1e6))
    rows = [("prose 1 KB", answers)]
    jargon = Path("/usr/share/doc/jargon-text/jargon.txt.gz")  # public domain; apt-get install jargon-text
    if jargon.exists():
        import gzip

        rows.append(("prose book", [gzip.open(jargon, "rt", encoding="utf-8").read()]))
    else:
        print(f"{'prose book':12s}  skipped: {jargon} missing (apt-get install jargon-text)")
    for name, texts in rows:
        mb = sum(len(t.encode()) for t in texts) / 1e6
        t_norm, n_tok = float("inf"), 0
        for _ in range(3):
            t0 = time.process_time()
            n_tok = sum(len(normalize(t)) for t in texts)
            t_norm = min(t_norm, time.process_time() - t0)
        print(f"{name:12s} {mb:6.2f} {len(texts):6d} {'-':>10s} {'-':>8s} {mb / t_norm:7.2f} {'-':>6s} {'-':>7s} "
              f"{n_tok / t_norm:10.0f}")


if __name__ == "__main__":
    main()
