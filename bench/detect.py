"""Language-detection accuracy on chunks of real files, and prose false positives.

Takes up to ``--per-lang`` chunks of ``--lines`` consecutive lines from real
files of each language (the same sources as bench/normalize.py) and real
prose paragraphs (Clough & Stevenson answers and sources), runs
``detect_language`` on each and ``code_blocks`` on the prose, and prints
per-language accuracy, the confusion counts and the time per call.

With ``--declarative SPLIT`` it also reads the declarative raw files of
bench/accuracy/documented.py's ``raw-file-data`` slice (data tables, import
lists, barrel files: no function, class or control statement in their first
100 lines) of that split, protected and negative libraries, with
``code_blocks`` as a raw answer is read: a file counts as read when blocks in
its language cover half its characters or more.

    python bench/detect.py [--lines 50] [--per-lang 60] [--declarative tuning]
"""

from __future__ import annotations

import argparse
import glob
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from normalize import EVAL, sources, unpack  # noqa: E402  (bench/normalize.py)


def chunks(paths: list[str], n_lines: int, limit: int, rng: random.Random) -> list[str]:
    """Up to ``limit`` chunks of ``n_lines`` lines with some real content, one or two per file."""
    out = []
    paths = paths[:]
    rng.shuffle(paths)
    for p in paths:
        try:
            lines = Path(p).read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for start in range(0, max(1, len(lines) - n_lines + 1), max(n_lines, len(lines) // 2 or 1)):
            chunk = "\n".join(lines[start : start + n_lines])
            if sum(1 for line in chunk.splitlines() if line.strip()) >= min(10, n_lines // 3):
                out.append(chunk)
            if len(out) >= limit:
                return out
    return out


def prose_paragraphs() -> list[str]:
    paras = []
    for p in sorted(glob.glob(str(EVAL / "clough_stevenson_short_answers/**/*.txt"), recursive=True)):
        text = Path(p).read_text(encoding="utf-8", errors="replace")
        paras += [x.strip() for x in text.split("\n\n") if len(x.strip()) > 80]
    return paras


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=50)
    ap.add_argument("--per-lang", type=int, default=60)
    ap.add_argument("--declarative", choices=["tuning", "reporting"], default=None,
                    help="also read that split's declarative raw files (documented.py's raw-file-data)")
    args = ap.parse_args()
    unpack()
    from copyguard.normalize.detect import code_blocks, detect_language

    rng = random.Random(0)
    confusion: dict[str, Counter] = defaultdict(Counter)
    elapsed, calls = 0.0, 0
    for lang, paths in sources().items():
        for chunk in chunks(paths, args.lines, args.per_lang, rng):
            t0 = time.process_time()
            confusion[lang][detect_language(chunk) or "None"] += 1
            elapsed += time.process_time() - t0
            calls += 1
    paras = prose_paragraphs()
    blocks = 0
    t0 = time.process_time()
    for para in paras:
        confusion["prose"][detect_language(para) or "None"] += 1
    t_prose = time.process_time() - t0
    t0 = time.process_time()
    for para in paras:
        blocks += len(code_blocks(para))
    t_blocks = time.process_time() - t0
    report(confusion)
    print(f"\ndetect_language: {1000 * elapsed / max(calls, 1):.2f} ms per {args.lines}-line chunk; "
          f"{1000 * t_prose / max(len(paras), 1):.3f} ms per prose paragraph")
    print(f"code_blocks on {len(paras)} prose paragraphs: {blocks} false blocks, "
          f"{1000 * t_blocks / max(len(paras), 1):.3f} ms per paragraph")
    if args.declarative:
        declarative(args.declarative)


def declarative(split: str) -> None:
    """Per language, how many of ``split``'s declarative raw files ``code_blocks`` reads in their language."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "accuracy"))
    import documented as D

    from copyguard.normalize.detect import code_blocks

    print(f"\ndeclarative raw files ({split} split, documented.py raw-file-data, protected and negative):")
    print(f"{'language':12s} {'n':>4s} {'read':>6s}  misread as (file)")
    for lang in ("python", "javascript", "typescript"):
        docs = [d for lib in D.LIBRARIES if lib.split == split and lib.lang == lang for d in D.sources(lib)]
        files = D._raw_data(docs, lang, 10**6, 1)
        wrong = []
        for fid, raw in files:
            blocks = code_blocks(raw)
            mine = sum(e - s for s, e, got in blocks if got == lang)
            if 2 * mine < len(raw):
                wrong.append(f"{'/'.join(sorted({b[2] for b in blocks})) or 'None'} ({fid})")
        if files:
            print(f"{lang:12s} {len(files):4d} {1 - len(wrong) / len(files):6.1%}  {'; '.join(wrong)}")


def report(confusion: dict[str, Counter]) -> None:
    print(f"{'truth':12s} {'n':>4s} {'accuracy':>8s}  confused with")
    total = correct = 0
    for lang, counts in confusion.items():
        n = sum(counts.values())
        ok = counts["None" if lang == "prose" else lang]
        total, correct = total + n, correct + ok
        wrong = ", ".join(f"{k}:{v}" for k, v in counts.most_common() if k != ("None" if lang == "prose" else lang))
        print(f"{lang:12s} {n:4d} {ok / n:8.1%}  {wrong}")
    print(f"{'all':12s} {total:4d} {correct / total:8.1%}")


if __name__ == "__main__":
    main()
