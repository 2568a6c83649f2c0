"""Time and memory of one check on hostile answers of up to 1 MB: the bounds the README promises.

Index: the bundled sample corpus, every module of the Python standard library
installed on this machine between 2 and 60 KB (tests left out; about 600),
and one protected file holding a numeric table (``TABLE = [1, 1, 1, ...]``),
the kind of source that made identical windows of an answer look up the same
band keys thousands of times.

Answers (each built to the size of its row, in bytes of UTF-8):

- ``numeric list``: ``x = [1, 1, 1, ...]`` in a Python fence (the issue's repro);
- ``one copy repeated``: one protected function pasted again and again;
- ``many sources``: a slice of code of every protected file, sized so that they fill the answer;
- ``one character``: the same letter repeated (one token, no words);
- ``fences``: thousands of tiny fenced blocks alternating languages;
- ``random prose``: words drawn from the Jargon File chapters, no copy;
- ``dense code``: one Python fence of random one-letter statements (``a=b+c*d;``), the most tokens per byte;
- ``hostile TSX``: one TSX fence of ``tests/data/parse/tsx-hang.json`` repeated, 199 random characters whose
  parse tree-sitter's error recovery makes last for minutes (given up at the parse budget);
- ``hostile TSX fences``: the same text in fences of its own, one after the other (each parsed alone).

Last, the CLI on 10 MB of copies: refused by the default ``--max-bytes``.

Each check runs in a fresh process so that its peak resident memory
(``VmHWM``: ``ru_maxrss`` would carry this parent's peak across fork and
exec) is its own; times are CPU time of the check alone (process time),
after opening the index. Prints one table.

    python bench/bounds.py [--sizes 10000,100000,1000000] [--answers "hostile TSX,fences"]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "copyguard" / "samples" / "corpus"


def build(out: Path) -> list[Path]:
    """Build the index; return the protected Python files (for the answers)."""
    from copyguard.index.build import build_index

    corpus = out.parent / "corpus"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if 2_000 < p.stat().st_size < 60_000
                   and not {"test", "tests", "site-packages", "idle_test"} & set(p.relative_to(stdlib).parts))
    (corpus / "stdlib").mkdir(parents=True)
    for p in files:
        name = "_".join(p.relative_to(stdlib).parts)
        (corpus / "stdlib" / name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "table.py").write_text("TABLE = [" + ", ".join(["1"] * 20_000) + "]\n")
    build_index([str(corpus), str(SAMPLES)], str(out), license="MIT")
    return sorted((corpus / "stdlib").glob("*.py"))


def answers(size: int, protected: list[Path], rng: random.Random) -> dict[str, str]:
    def fill(piece: str) -> str:
        return (piece * (size // max(len(piece.encode()), 1) + 1))[:size]

    func = (SAMPLES / "tomli" / "_parser.py").read_text()[15_000:17_000]
    many, used = [], 0
    each = max(1200, size // max(len(protected), 1) - 40)
    for p in protected:
        text = p.read_text(encoding="utf-8")[:each]
        block = f"From {p.name}:\n```python\n{text}\n```\n\n"
        if used + len(block.encode()) > size:
            break
        many.append(block)
        used += len(block.encode())
    words = " ".join((SAMPLES / "jargon" / name).read_text() for name in ("the-story-of-mel.txt",)).split()
    prose = " ".join(rng.choice(words) for _ in range(size // 5))[:size]
    letters = "abcdefghijklmnopqrstuvwxyz"
    dense = "".join(f"{rng.choice(letters)}={rng.choice(letters)}{rng.choice('+-*/')}{rng.choice(letters)};"
                    for _ in range(size // 6))
    fences = "".join(f"```{'python' if i % 2 else 'js'}\nx{i} = {i}\n```\n" for i in range(size // 20))[:size]
    _, hang = json.loads((ROOT / "tests" / "data" / "parse" / "tsx-hang.json").read_text(encoding="utf-8"))
    return {
        "numeric list": "```python\nx = [" + fill("1, ")[: size - 20] + "1]\n```\n",
        "one copy repeated": fill(f"```python\n{func}\n```\n"),
        "many sources": "".join(many),
        "one character": "a" * size,
        "fences": fences,
        "random prose": prose,
        "dense code": f"```python\n{dense}"[: size - 4] + "\n```",
        "hostile TSX": f"```tsx\n{fill(hang)[: size - 12]}\n```\n",
        "hostile TSX fences": fill(f"```tsx\n{hang}\n```\n"),
    }


CHILD = """
import json, sys, time
from copyguard.guard import Guard
guard = Guard.open(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
t0 = time.process_time()
verdict = guard.check(text)
cpu = time.process_time() - t0
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024  # this process's own peak
print(json.dumps({"cpu": cpu, "rss": hwm,
                  "matches": len(verdict.matches), "sources": len({m.source for m in verdict.matches}),
                  "truncated": getattr(verdict, "truncated", None), "action": str(verdict.action)}))
"""


def run_one(index: Path, text: str, tmp: Path) -> dict:
    path = tmp / "answer.txt"
    path.write_text(text, encoding="utf-8")
    r = subprocess.run([sys.executable, "-c", CHILD, str(index), str(path)], capture_output=True, text=True,
                       cwd=ROOT, timeout=900)
    if r.returncode != 0:
        return {"error": r.stderr.strip().splitlines()[-1]}
    return json.loads(r.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--answers", help="only these answers (comma-separated names of the rows)")
    args = ap.parse_args()
    only = set(args.answers.split(",")) if args.answers else None
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="cg-bounds-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        protected = build(tmp / "idx")
        print(f"index: {len(protected)} stdlib modules + sample corpus + numeric table, "
              f"built in {time.perf_counter() - t0:.1f} s", flush=True)
        base = run_one(tmp / "idx", "hello", tmp)
        print(f"baseline process (open + tiny check): peak RSS {base['rss'] / 1e6:.0f} MB\n")
        print("| answer | bytes | check CPU s | peak RSS MB | matches | sources | truncated |")
        print("|---|---|---|---|---|---|---|")
        for size in sizes:
            for name, text in answers(size, protected, rng).items():
                if only is not None and name not in only:
                    continue
                r = run_one(tmp / "idx", text, tmp)
                if "error" in r:
                    print(f"| {name} | {len(text.encode()):,} | error: {r['error']} | | | | |", flush=True)
                    continue
                print(f"| {name} | {len(text.encode()):,} | {r['cpu']:.2f} | {r['rss'] / 1e6:.0f} | {r['matches']} | "
                      f"{r['sources']} | {r['truncated']} |", flush=True)
        if only is None:
            cli_ten_mb(tmp / "idx", answers(1_000_000, protected, rng)["one copy repeated"] * 10, tmp)


def cli_ten_mb(index: Path, text: str, tmp: Path) -> None:
    """``copyguard check`` on 10 MB of copies: the whole process's wall time, peak memory and answer."""
    path = tmp / "ten.md"
    path.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(index), str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=900)
    print(f"\nCLI, {len(text.encode()):,} bytes of copies: exit {r.returncode} in {time.perf_counter() - t0:.2f} s "
          f"(wall): {r.stderr.strip() or r.stdout.splitlines()[0]}")


if __name__ == "__main__":
    main()
