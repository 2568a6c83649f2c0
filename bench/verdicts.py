"""Verdicts of bench/check.py's answers as JSON, to show a change to the hot path changes no result.

Builds bench/check.py's index (same corpus, default parameters), checks its
2 KB and 10 KB answers, and writes every verdict (``Verdict.to_dict``) plus a
SHA-256 of the index's arrays. Run it on two trees and compare the files:

    python bench/verdicts.py --out /tmp/after.json
    (cd /tmp/before-tree && PYTHONPATH=. python bench/verdicts.py --out /tmp/before.json)
    cmp /tmp/before.json /tmp/after.json

(``git archive main | tar -x -C /tmp/before-tree`` and a ``setup.py build_ext
--inplace`` there give the "before" tree; ``PYTHONPATH`` makes it win over an
editable install.) Equal files mean a byte-identical index and identical
verdicts, attributions and spans on every answer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check  # noqa: E402  (bench/check.py: corpus and answers)

from copyguard import Guard  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402
from copyguard.params import Params  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSON file to write")
    ap.add_argument("--queries", type=int, default=300, help="answers per size (default 300)")
    ap.add_argument("--max-mb", type=float, default=40, help="corpus size, as bench/check.py's")
    args = ap.parse_args()
    docs, held_code, held_prose = check.corpus(args.max_mb)
    tmp = Path(tempfile.mkdtemp())
    try:
        index_documents(docs, str(tmp / "idx"), params=Params())
        digest = hashlib.sha256()
        for f in sorted((tmp / "idx" / "segments").rglob("*.npy")):
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
        guard = Guard.open(tmp / "idx")
        verdicts = [guard.check(q).to_dict() for size in (2000, 10000)
                    for q in check.answers(docs, held_code, held_prose, size, args.queries)]
    finally:
        shutil.rmtree(tmp)
    Path(args.out).write_text(json.dumps({"index_arrays_sha256": digest.hexdigest(), "verdicts": verdicts},
                                         sort_keys=True, indent=0, default=str))
    flagged = sum(bool(v.get("matches")) for v in verdicts)
    print(f"{len(verdicts)} verdicts ({flagged} with matches), index arrays {digest.hexdigest()[:16]}: {args.out}")


if __name__ == "__main__":
    main()
