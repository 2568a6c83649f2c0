"""How much of tree-sitter's parse budget real code uses: progress callbacks per byte, per grammar.

The runtime calls a parse's progress callback every 100 parse operations; copyguard gives a parse up after
``grammars.parse_budget(n_bytes)`` calls (``PARSE_BUDGET_BASE + n_bytes // PARSE_BYTES_PER_CALL``). This
counts the calls the binding's parse of real code makes (nothing stops it here), the rebalancing of the finished
tree after the parse included: the budget counts the parse's own calls only, so these figures are an upper bound
(on tests/test_parse_budget.py's three files the rebalancing makes a third of the calls):

- ``own``: each file parsed as its own language (what normalization does), whole and cut at a random place
  (what a copied slice looks like);
- ``as other``: a sample of every language's files parsed as this grammar (what detection does when it tries
  the candidate languages of a text, and a fence tagged with the wrong language).

Sources: bench/normalize.py's (``--fetch`` there first), the packages under bench/.cache/accuracy (npm and
PyPI packages of bench/accuracy), this environment's site-packages, /work/shared/eval, and the C# of
``edge-js`` (``--fetch`` here: npm pack). Columns: files and MB read, mean and max calls per byte (max over
files of at least 300 bytes), the most calls a file or slice took beyond the budget's per-byte part (what
the base must hold; 0 or less: none), the file of the max.

    python bench/parse_budget.py [--mb 10] [--fetch]
"""

from __future__ import annotations

import argparse
import glob
import random
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import normalize as bench_normalize  # noqa: E402  (bench/normalize.py: its real code per language)

from copyguard.normalize import grammars  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
ACC = CACHE / "accuracy"
SITE = Path(sysconfig.get_paths()["purelib"])
EXTRA = {
    "python": [SITE / "**/*.py", ACC / "pypi/**/*.py", "/work/shared/eval/pip_vendored_python/**/*.py"],
    "javascript": [ACC / "npm/**/*.js", ACC / "node/**/*.js"],
    "typescript": [ACC / "npm/**/*.ts", ACC / "node/**/*.ts"],
    "tsx": [ACC / "npm/**/*.tsx"],
    "c_sharp": [ACC / "**/*.cs", CACHE / "edge-js-26.1.0/**/*.cs"],
    "java": [ACC / "**/*.java"],
    "c": [ACC / "**/*.c"],
    "cpp": [ACC / "**/*.cpp", ACC / "**/*.cc", ACC / "**/*.hpp"],
    "go": [ACC / "**/*.go"],
    "rust": [ACC / "**/*.rs"],
    "ruby": [ACC / "**/*.rb"],
    "php": [ACC / "**/*.php"],
    "bash": [ACC / "**/*.sh"],
}


def calls(parser, data: bytes) -> int:
    """Progress callbacks of one parse of ``data``, run to its end."""
    n = 0

    def progress(_offset: int, _has_error: bool) -> bool:
        nonlocal n
        n += 1
        return False

    parser.parse(lambda at, _point: data[at:], progress_callback=progress)
    return n


def texts(lang: str, limit: int) -> list[tuple[str, str]]:
    """(path, text) of real code in ``lang``, up to ``limit`` bytes."""
    paths = set(bench_normalize.sources().get(lang, []))
    paths |= {p for pat in EXTRA[lang] for p in glob.glob(str(pat), recursive=True)}
    out, total = [], 0
    for path in sorted(paths):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if text.strip():
            out.append((path, text))
            total += len(text.encode())
        if total >= limit:
            break
    return out


def fetch() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", "edge-js@26.1.0", "--silent"], cwd=CACHE, check=True)
    with tarfile.open(CACHE / "edge-js-26.1.0.tgz") as t:
        t.extractall(CACHE / "edge-js-26.1.0", filter="data")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10, help="MB of code per language (default 10)")
    ap.add_argument("--sample", type=int, default=120, help="files per language parsed as every other grammar")
    ap.add_argument("--fetch", action="store_true", help="download edge-js (C#) first")
    args = ap.parse_args()
    if args.fetch:
        fetch()
    bench_normalize.unpack()
    rng = random.Random(1)
    langs = list(EXTRA)
    corpus = {lang: texts(lang, int(args.mb * 1e6)) for lang in langs}
    per_byte = 1 / grammars.PARSE_BYTES_PER_CALL
    print(f"budget: {grammars.PARSE_BUDGET_BASE} + bytes // {grammars.PARSE_BYTES_PER_CALL} callbacks "
          f"({per_byte:.2f} per byte)\n")
    print(f"| grammar | files | MB | own: mean/byte | own: max/byte | own: max of calls - bytes // "
          f"{grammars.PARSE_BYTES_PER_CALL} (room taken from the base) | as other: max/byte | worst file (own) |")
    print("|---|---|---|---|---|---|---|---|")
    worst_own, worst_other = 0.0, 0.0
    for g in langs:
        gr = grammars.get(g)
        parser = grammars.parser(gr)
        total_calls = total_bytes = 0
        top, top_path, excess = 0.0, "", -10**9
        for path, text in corpus[g]:
            cut = text[rng.randrange(len(text)):][: rng.randrange(50, 5000)]
            for piece in (text, cut):
                data = (gr.tag_before(piece) + piece).encode("utf-8", "surrogatepass")
                n = calls(parser, data)
                if piece is text:
                    total_calls += n
                    total_bytes += len(data)
                if len(data) >= 300 and n / len(data) > top:
                    top, top_path = n / len(data), path
                excess = max(excess, n - len(data) // grammars.PARSE_BYTES_PER_CALL)
        other = 0.0
        for src, items in corpus.items():
            if src == g:
                continue
            for _path, text in rng.sample(items, min(args.sample, len(items))):
                data = (gr.tag_before(text) + text).encode("utf-8", "surrogatepass")[:30_000]
                if len(data) >= 300:
                    other = max(other, calls(parser, data) / len(data))
        worst_own, worst_other = max(worst_own, top), max(worst_other, other)
        print(f"| {g} | {len(corpus[g])} | {total_bytes / 1e6:.2f} | {total_calls / max(total_bytes, 1):.4f} | "
              f"{top:.4f} | {excess} | {other:.4f} | {Path(top_path).name} |", flush=True)
    print(f"\nmax calls per byte: own language {worst_own:.4f} (budget {per_byte:.2f}: margin "
          f"{per_byte / max(worst_own, 1e-9):.1f}x), as another grammar {worst_other:.4f} "
          f"(margin {per_byte / max(worst_other, 1e-9):.2f}x)")


if __name__ == "__main__":
    main()
