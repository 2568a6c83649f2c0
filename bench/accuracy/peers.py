"""The peers, run on the same data in the same run: datasketch MinHashLSH, copydetect, Dolos.

Each returns scores for (query, reference) pairs: ``{query: {ref: score}}``.
copydetect and the renaming tools run in their own venv (``toolenv``), Dolos,
terser and prettier under node, all installed into the cache on first use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from data import CACHE, Doc

HERE = Path(__file__).resolve().parent
TOOLENV = CACHE / "toolenv"
NODE = CACHE / "node"
PY_TOOLS = ["copydetect==0.5.0", "python-minifier==3.4.0", "black==26.10.1"]
NODE_TOOLS = ["@dodona/dolos-lib@3.5.1", "terser@5.51.4", "prettier@3.10.1", "typescript@5.9.3"]

Scores = dict[str, dict[str, float]]


def _stamp(tools: list[str]) -> str:
    return "\n".join(sorted(tools)) + "\n"


def tools_ready() -> bool:
    """True when the tools venv and the node folder hold exactly the pinned tools (``ensure_tools`` ran)."""
    return (TOOLENV / ".done").exists() and (TOOLENV / ".done").read_text() == _stamp(PY_TOOLS) and \
        (NODE / ".done").exists() and (NODE / ".done").read_text() == _stamp(NODE_TOOLS)


def ensure_tools() -> None:
    """Install the tools venv and the node packages into the cache (again when the pinned list changed)."""
    done = TOOLENV / ".done"
    if not done.exists() or done.read_text() != _stamp(PY_TOOLS):
        subprocess.run([sys.executable, "-m", "venv", str(TOOLENV)], check=True)
        subprocess.run([str(TOOLENV / "bin" / "pip"), "install", "-q", *PY_TOOLS], check=True)
        done.write_text(_stamp(PY_TOOLS))
    done = NODE / ".done"
    if not done.exists() or done.read_text() != _stamp(NODE_TOOLS):
        NODE.mkdir(parents=True, exist_ok=True)
        if not (NODE / "package.json").exists():
            (NODE / "package.json").write_text('{"name": "copyguard-accuracy-peers", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", *NODE_TOOLS], cwd=NODE, check=True)
        done.write_text(_stamp(NODE_TOOLS))


def _run_json(cmd: list[str], payload, cwd: Path | None = None):
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        src, dst = Path(tmp) / "in.json", Path(tmp) / "out.json"
        src.write_text(json.dumps(payload))
        proc = subprocess.run([*cmd, str(src), str(dst)], cwd=cwd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed: {proc.stderr[-2000:]}")
        return json.loads(dst.read_text())


def _node(script: str, payload):
    shutil.copy(HERE / script, NODE / script)  # ESM resolves packages from the script's folder
    return _run_json(["node", "--max-old-space-size=6000", str(NODE / script)], payload, cwd=NODE)


# --- renaming tools -----------------------------------------------------------


def python_minify(codes: list[str], docstrings: bool = True) -> list[str | None]:
    """python-minifier (rename_locals only; docstrings removed unless ``docstrings``) then black."""
    return _run_json([str(TOOLENV / "bin" / "python"), str(HERE / "pytools.py"),
                      "minify" if docstrings else "minify-nodocs"], codes)


def terser_mangle(codes: list[str], comments: bool = False, typescript: bool = False,
                  member: list[bool] | None = None) -> list[str | None]:
    """terser's mangling (no compression) then prettier; doc comments kept with ``comments``.

    ``typescript``: each snippet is first compiled to JavaScript by TypeScript's
    own ``transpileModule`` (types erased, comments kept). ``member[i]``: snippet
    ``i`` is a class member (a method alone does not parse as a script), so it
    is wrapped in a class for the tools and unwrapped after.
    """
    return _node("jstools.mjs", {"mode": "terser", "codes": codes, "comments": comments, "typescript": typescript,
                                 "member": member or [False] * len(codes)})


def prettier_format(codes: list[str]) -> list[str | None]:
    """prettier at 60 columns (a reformatting, no renaming)."""
    return _node("jstools.mjs", {"mode": "prettier", "codes": codes})


# --- pairwise peers -------------------------------------------------------------

Group = tuple[list[Doc], list[Doc] | None]  # (refs, queries); queries None: all pairs among refs


def _payload(groups: list[Group], language: str) -> dict:
    return {"language": language, "groups": [
        {"refs": [{"name": d.id, "text": d.text} for d in refs],
         **({"queries": [{"name": d.id, "text": d.text} for d in qs]} if qs is not None else {})}
        for refs, qs in groups]}


def copydetect_scores(groups: list[Group], language: str) -> tuple[Scores, Scores]:
    """copydetect 0.5.0 defaults: (query-side similarity, reference-side similarity) per pair.

    copydetect flags a pair when the query-side similarity exceeds display_t = 0.33.
    """
    rows = _run_json([str(TOOLENV / "bin" / "python"), str(HERE / "pytools.py"), "copydetect"],
                     _payload(groups, language))
    q_side, r_side = defaultdict(dict), defaultdict(dict)
    for q, r, s1, s2 in rows:
        q_side[q][r] = s1
        r_side[q][r] = s2
    return q_side, r_side


DOLOS_LANG = {"python": "python", "javascript": "javascript", "typescript": "typescript", "java": "java", "c": "c",
              "text": "char"}


def dolos_scores(groups: list[Group], language: str, field: str = "similarity") -> Scores:
    """Dolos 3.5.1 defaults (k-gram 23, window 17): its pair similarity, or the share of the query covered.

    ``similarity`` is symmetric (covered k-grams of both files over both totals), right for two
    submissions of one task; ``query_cover`` suits a short copy inside a long answer or a
    function taken from a large file, where the symmetric figure is small by construction.
    """
    rows = _node("dolos.mjs", _payload(groups, DOLOS_LANG[language]))
    col = {"similarity": 2, "query_cover": 3}[field]
    out = defaultdict(dict)
    for row in rows:
        q, r, v = row[0], row[1], row[col]
        out[q][r] = max(v, out[q].get(r, 0.0))
    return out


# --- datasketch --------------------------------------------------------------------

NUM_PERM, NGRAM, THRESHOLD = 128, 5, 0.5


def _minhash(text: str):
    from datasketch import MinHash

    words = text.split()
    grams = {" ".join(words[i : i + NGRAM]).encode() for i in range(max(len(words) - NGRAM + 1, 1))}
    m = MinHash(num_perm=NUM_PERM)
    m.update_batch(list(grams))
    return m


def chunks(text: str, lines: int = 40, stride: int = 20) -> list[str]:
    """What a user indexes: windows of 40 lines every 20 (code) — prose entries are already short."""
    rows = text.splitlines()
    if len(rows) <= lines:
        return [text]
    return ["\n".join(rows[i : i + lines]) for i in range(0, len(rows) - stride, stride)]


class DatasketchLSH:
    """MinHashLSH over whitespace-token 5-gram shingles, threshold 0.5, num_perm 128.

    What a user writes without copyguard: the protected documents cut into
    40-line windows, each inserted; an answer is cut the same way and every
    window queried. A hit names the document of any returned window.
    """

    def __init__(self, docs: list[Doc]) -> None:
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        for d in docs:
            for j, chunk in enumerate(chunks(d.text)):
                self.lsh.insert(f"{d.id}\x00{j}", _minhash(chunk), check_duplication=False)

    def query(self, text: str) -> set[str]:
        found = set()
        for chunk in chunks(text):
            found |= {key.split("\x00")[0] for key in self.lsh.query(_minhash(chunk))}
        return found


def datasketch_jaccard(a: str, b: str) -> float:
    """Estimated Jaccard of two whole texts (the score behind the LSH decision)."""
    return float(_minhash(a).jaccard(_minhash(b)))


def best(scores: dict[str, float]) -> tuple[str | None, float]:
    if not scores:
        return None, 0.0
    ref = max(scores, key=scores.get)
    return ref, float(scores[ref])


def calibrate(neg_scores: list[float], fpr: float = 0.01) -> float:
    """The smallest threshold whose false-positive rate on the negatives is at most ``fpr`` (strictly above)."""
    if not neg_scores:
        return 0.0
    s = np.sort(np.asarray(neg_scores))[::-1]
    allowed = int(np.floor(fpr * s.shape[0]))
    return float(s[allowed]) if allowed < s.shape[0] else 0.0
