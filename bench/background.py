"""Build the shipped background count table (copyguard/index/data/background.npz) from a named public corpus.

    python bench/background.py              # writes copyguard/index/data/background.npz
    python bench/background.py --out /tmp/background.npz

The corpus is ordinary code nobody protects, none of it from a library that bench/accuracy indexes or uses as
a negative:

- Python: the standard library of the running CPython (3.11.7 for the shipped table), ``Lib/`` without its
  tests, ``idlelib``, ``lib2to3`` and ``site-packages``;
- JavaScript: the ``.js`` files (under 300 KB, no ``.min.js``) of the node packages bench/accuracy/peers.py
  installs at pinned versions (terser, prettier, typescript, Dolos and their dependencies), in
  bench/.cache/accuracy/node/node_modules;
- Java: OpenJDK 17's own sources (Debian's openjdk-17-source) of ``java.base``'s ``java/lang``, ``java/util``,
  ``java/nio``, ``java/security``, ``java/math``, ``java/text``, and ``java.logging`` and ``java.sql``, without the
  packages documented.py indexes or uses as negatives (``java/util/concurrent``, ``stream``, ``function``,
  ``java/io``, ``java/time``, ``java/net``).

Each file is one source of a throwaway index built with the default ``Params``; its count table (every
shingle, identifier, literal and kept-name key, ``df``) becomes the background table (``index.background.table``:
keys at least ``MIN_COUNT`` files hold, 32-bit prefixes, counts capped at 255), stamped with the normalizer's and
grammars' versions: rebuild it whenever ``NORMALIZATION_VERSION`` or a grammar changes (the table is ignored
otherwise, and a test says so).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copyguard.corpus import Document  # noqa: E402
from copyguard.index import Index  # noqa: E402
from copyguard.index.background import FILE, read, save, stamp, table  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402
from copyguard.params import Params  # noqa: E402

NODE_MODULES = ROOT / "bench" / ".cache" / "accuracy" / "node" / "node_modules"
JDK_SRC = Path("/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip")
JDK_PREFIXES = ("java.base/java/lang/", "java.base/java/util/", "java.base/java/nio/", "java.base/java/security/",
                "java.base/java/math/", "java.base/java/text/", "java.logging/", "java.sql/")
JDK_SKIP = ("java.base/java/util/concurrent/", "java.base/java/util/stream/", "java.base/java/util/function/",
            "java.base/java/io/", "java.base/java/time/", "java.base/java/net/")
PY_SKIP = {"test", "site-packages", "idlelib", "lib2to3"}


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def corpus() -> list[tuple[str, str, str]]:
    """(id, text, language) of every file of the corpus, in a fixed order."""
    out = []
    lib = Path(sysconfig.get_paths()["stdlib"])
    for p in sorted(lib.rglob("*.py")):
        rel = p.relative_to(lib)
        if rel.parts[0] in PY_SKIP or "tests" in rel.parts or "idle_test" in rel.parts:
            continue
        out.append((f"cpython/{rel}", _text(p.read_bytes()), "python"))
    if not NODE_MODULES.exists():
        raise SystemExit(f"{NODE_MODULES} is missing: run bench/accuracy/documented.py once (peers.ensure_tools)")
    for p in sorted(NODE_MODULES.rglob("*.js")):
        if p.name.endswith(".min.js") or p.stat().st_size > 300_000:
            continue
        out.append((f"npm/{p.relative_to(NODE_MODULES)}", _text(p.read_bytes()), "javascript"))
    with zipfile.ZipFile(JDK_SRC) as z:
        for n in sorted(z.namelist()):
            if n.endswith(".java") and n.startswith(JDK_PREFIXES) and not n.startswith(JDK_SKIP):
                out.append((f"openjdk-17/{n}", _text(z.read(n)), "java"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(FILE))
    a = ap.parse_args()
    t0 = time.time()
    files = corpus()
    params = Params()
    digest = hashlib.sha1(json.dumps([(i, len(t)) for i, t, _ in files]).encode()).hexdigest()[:12]
    with tempfile.TemporaryDirectory() as tmp:
        docs = (Document(i, t, lang, "MIT", i) for i, t, lang in files)
        report = index_documents(docs, f"{tmp}/bg", params=params)
        index = Index.open(f"{tmp}/bg")
        keys = np.concatenate([np.asarray(s.df_keys, dtype=np.uint64) for s in index._view.segments])
        counts = np.concatenate([np.asarray(s.df_counts, dtype=np.int64) for s in index._view.segments])
        u, inv = np.unique(keys, return_inverse=True)
        total = np.zeros(u.shape[0], dtype=np.int64)
        np.add.at(total, inv, counts)
        sources = sum(e.sources for e in index.manifest.segments)
    langs = {lang: sum(1 for _, _, x in files if x == lang) for lang in ("python", "javascript", "java")}
    meta = {**stamp(params), "files": langs, "sources": int(sources), "corpus_digest": digest,
            "python": sys.version.split()[0], "skipped": {str(k): v for k, v in dict(report.skipped).items()}}
    bg = table(u, total, meta)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    save(bg, a.out)
    back = read(a.out)
    assert np.array_equal(back.keys, bg.keys) and np.array_equal(back.counts, bg.counts)
    print(f"{a.out}: {bg.keys.shape[0]:,} keys of {u.shape[0]:,} from {sources:,} files {langs}, "
          f"{Path(a.out).stat().st_size / 1e6:.2f} MB, {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
