"""``copyguard decontaminate``: remove (or mark) dataset rows that copy anything in an index."""

from __future__ import annotations

import argparse
import sys

from .options import add_index, command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "decontaminate", "drop or mark rows that contain a copy of indexed content", [
        "copyguard decontaminate train.parquet --index benchmarks.cgidx --out clean.parquet",
        "copyguard decontaminate data/ --index benchmarks.cgidx --out marked.parquet --mark-only",
    ])
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="Parquet files or folders of them, or JSONL")
    add_index(p, "index of the protected content (e.g. evaluation sets)")
    p.add_argument("--out", required=True, help="output Parquet file")
    p.add_argument("--text-field", default="text")
    p.add_argument("--mark-only", action="store_true", help="keep every row, add the matching source")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..dedup import decontaminate

    report = decontaminate(args.inputs, args.out, index=args.index, text_field=args.text_field,
                           mark_only=args.mark_only, progress=sys.stderr.isatty())
    print(report.summary() if hasattr(report, "summary") else report)
    return 0
