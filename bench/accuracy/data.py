"""The real data: protected corpora fetched from the registries at pinned versions, and the human-made sets.

Everything is fetched or unpacked into ``bench/.cache/accuracy`` on first use
and read from there afterwards; nothing here is written by us.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / ".cache" / "accuracy"
EVAL = Path("/work/shared/eval")
JARGON = Path("/usr/share/doc/jargon-text/jargon.txt.gz")

# Protected (indexed) and negative (never indexed) packages, pinned.
PY_PROTECTED = {"boltons": "26.2.0", "more-itertools": "11.2.1", "pyparsing": "3.3.3"}
PY_NEGATIVE = {"toolz": "1.2.0", "jinja2": "3.1.6", "httpx": "0.28.1"}
JS_PROTECTED = {"acorn": ("8.19.0", ["dist/acorn.js"]), "underscore": ("1.13.8", ["modules/"])}
JS_NEGATIVE = {"esprima": ("4.0.1", ["dist/esprima.js"]), "marked": ("18.2.1", ["lib/marked.esm.js"])}


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    lang: str  # "python", "javascript", "java", "c", "text"


def run(cmd: list[str], cwd: Path | None = None) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


# --- registries -------------------------------------------------------------


def pypi_sources(pkg: str, version: str) -> list[Doc]:
    """The ``.py`` files of a wheel from PyPI (``pip download --no-deps``), ids ``pkg/relpath``."""
    dest = CACHE / "pypi" / f"{pkg}-{version}"
    if not (dest / ".done").exists():
        wheels = CACHE / "wheels"
        wheels.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             "-d", str(wheels), f"{pkg}=={version}"])
        norm = re.sub(r"[-_.]+", "_", pkg).lower()
        whl = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(f"{norm}-{version}-")]
        if not whl:
            raise RuntimeError(f"no wheel for {pkg}=={version} in {wheels}")
        with zipfile.ZipFile(whl[0]) as z:
            z.extractall(dest)
        (dest / ".done").touch()
    docs = []
    for p in sorted(dest.rglob("*.py")):
        rel = p.relative_to(dest)
        if any("test" in part for part in rel.parts[:-1]):
            continue
        docs.append(Doc(f"{pkg}/{rel}", read_text(p), "python"))
    return docs


def npm_sources(pkg: str, version: str, paths: list[str], ext: str = ".js", lang: str = "javascript") -> list[Doc]:
    """Files ending in ``ext`` of an npm package (``npm pack``), restricted to ``paths`` (files or folders)."""
    dest = CACHE / "npm" / f"{pkg.replace('/', '_')}-{version}"
    if not (dest / ".done").exists():
        dest.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(["npm", "pack", "--silent", f"{pkg}@{version}"], cwd=dest, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(dest / out) as t:
            t.extractall(dest, filter="data")
        (dest / ".done").touch()
    base = dest / "package"
    docs = []
    seen = set()
    for sel in paths:
        files = sorted((base / sel).rglob(f"*{ext}")) if sel.endswith("/") else [base / sel]
        for p in files:
            rel = p.relative_to(base)
            if rel in seen or (sel.endswith("/") and (rel.parts[0] == "dist" or p.stat().st_size > 300_000
                                                      or p.name.endswith(".d.ts"))):
                continue
            seen.add(rel)
            docs.append(Doc(f"{pkg}/{rel}", read_text(p), lang))
    return docs


JDK_SRC = Path("/usr/lib/jvm/java-17-openjdk-amd64/lib/src.zip")


def jdk_sources(prefixes: list[str]) -> list[Doc]:
    """The ``.java`` files of OpenJDK 17's own sources under ``prefixes`` (Debian's openjdk-17-source), ids ``openjdk-17/...``."""
    if not JDK_SRC.exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "openjdk-17-source"], check=False, capture_output=True)
    with zipfile.ZipFile(JDK_SRC) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".java") and any(n.startswith(p) for p in prefixes))
        return [Doc(f"openjdk-17/{n}", z.read(n).decode("utf-8", errors="replace"), "java") for n in names]


def jargon_chapters() -> list[str]:
    """The Jargon File (public domain, Debian's jargon-text) cut into its glossary entries (``:headword:``)."""
    if not JARGON.exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "jargon-text"], check=False, capture_output=True)
    text = gzip.open(JARGON, "rt", encoding="utf-8", errors="replace").read()
    starts = [m.start() for m in re.finditer(r"^   :[^:\n]+:", text, re.MULTILINE)]
    entries = [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    return [e for e in entries if len(e.split()) >= 12]


def protected_corpus() -> list[Doc]:
    docs = []
    for pkg, ver in PY_PROTECTED.items():
        docs += pypi_sources(pkg, ver)
    for pkg, (ver, paths) in JS_PROTECTED.items():
        docs += npm_sources(pkg, ver, paths)
    for i, chunk in enumerate(jargon_chapters()):
        if i % 10:
            docs.append(Doc(f"jargon/{i:05d}", chunk, "text"))
    return docs


def negative_corpus() -> tuple[list[Doc], list[Doc], list[str]]:
    """(python files, javascript files, prose chapters) that are never indexed."""
    py = [d for pkg, ver in PY_NEGATIVE.items() for d in pypi_sources(pkg, ver)]
    js = [d for pkg, (ver, paths) in JS_NEGATIVE.items() for d in npm_sources(pkg, ver, paths)]
    prose = [c for i, c in enumerate(jargon_chapters()) if i % 10 == 0]
    return py, js, prose


# --- human-made sets ----------------------------------------------------------


def irplag() -> Path:
    """Unpacked IR-Plag: ``case-0N/{original,plagiarized/L*,non-plagiarized/NN}/*.java``."""
    dest = CACHE / "ir-plag"
    if not (dest / ".done").exists():
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(EVAL / "ir-plag" / "IR-Plag-Dataset.zip") as z:
            z.extractall(dest)
        (dest / ".done").touch()
    cases = sorted(dest.rglob("case-0*"))
    return cases[0].parent


@dataclass(frozen=True)
class PairItem:
    """One (query, original) pair of a pairwise set with its label and group."""

    case: str
    query: Doc
    original: Doc
    label: int
    group: str  # level (L1..L6), category (cut/light/heavy/non), relation


def irplag_pairs() -> list[PairItem]:
    root = irplag()
    items = []
    for case in sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("case-")):
        orig_files = sorted((case / "original").rglob("*.java"))
        original = Doc(f"{case.name}/original", "\n".join(read_text(p) for p in orig_files), "java")
        for p in sorted((case / "plagiarized").rglob("*.java")):
            level = next(part for part in p.relative_to(case).parts if re.fullmatch(r"L\d", part))
            items.append(PairItem(case.name, Doc(str(p.relative_to(root)), read_text(p), "java"), original, 1, level))
        for p in sorted((case / "non-plagiarized").rglob("*.java")):
            sub = p.relative_to(case / "non-plagiarized").parts[0]
            items.append(PairItem(case.name, Doc(str(p.relative_to(root)), read_text(p), "java"), original, 0,
                                  f"non-{sub}"))
    return items


def clough_pairs() -> list[PairItem]:
    base = EVAL / "clough_stevenson_short_answers"
    import csv

    origs = {t: Doc(f"orig_task{t}", read_text(base / "texts" / f"orig_task{t}.txt"), "text") for t in "abcde"}
    items = []
    with open(base / "file_information.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["Category"] == "orig":
                continue
            t = row["Task"].strip()[-1]
            q = Doc(row["File"], read_text(base / "texts" / row["File"]), "text")
            items.append(PairItem(t, q, origs[t], int(row["Category"] != "non"), row["Category"]))
    return items


CLOUGH_NOISE = {"g2pE_taskc.txt", "g4pD_taskb.txt"}


def soco(lang: str) -> tuple[list[Doc], set[frozenset[str]]]:
    base = EVAL / "soco_fire2014_train"
    ext = "java" if lang == "java" else "c"
    docs = [Doc(p.name, read_text(p), lang) for p in sorted((base / ext).glob(f"*.{ext}"))]
    pairs = set()
    for line in (base / f"SOCO14-{ext}.qrel").read_text().split("\n"):
        parts = line.split()
        if len(parts) >= 2:
            pairs.add(frozenset(parts[:2]))
    return docs, pairs


def pip_vendored() -> tuple[list[Doc], list[tuple[Doc, str | None, str]]]:
    """(protected docs, [(query doc, true source id or None, relation)])."""
    import csv

    base = EVAL / "pip_vendored_python"
    protected = [Doc(str(p.relative_to(base / "protected")), read_text(p), "python")
                 for p in sorted((base / "protected").rglob("*.py"))]
    queries = []
    with open(base / "pairs.csv", newline="") as f:
        for row in csv.DictReader(f):
            q = base / row["query"]
            if not q.exists():
                q = base / "queries" / row["query"]
            src = row["source"] or None
            if src:
                src = src.replace("protected/", "", 1)
            queries.append((Doc(row["query"], read_text(q), "python"), src, row["relation"]))
    return protected, queries
