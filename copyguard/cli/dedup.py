"""``copyguard dedup``: near-duplicate clustering of a dataset, keeping at most k copies per cluster."""

from __future__ import annotations

import argparse
import sys

from .options import command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "dedup", "cluster near-duplicate rows of Parquet/JSONL and keep k per cluster", [
        "copyguard dedup data/*.parquet --out dedup.parquet",
        "copyguard dedup data/ --out marked.parquet --mark-only --max-copies 2",
        "copyguard dedup big/ --out dedup.parquet --engine spark --jobs 8",
    ], "Adds cluster_id, cluster_size and duplicate_of columns; drops rows beyond "
       "--max-copies per cluster (or marks them with --mark-only).")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="Parquet files or folders of them, or JSONL")
    p.add_argument("--out", required=True, help="output Parquet file")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field")
    p.add_argument("--lang-field")
    p.add_argument("--mode", choices=("auto", "prose", "code"), default="auto")
    p.add_argument("--threshold", type=float, default=0.8, help="Jaccard similarity that makes a duplicate")
    p.add_argument("--max-copies", type=int, default=1, metavar="K", help="rows kept per cluster (default 1)")
    p.add_argument("--mark-only", action="store_true", help="keep every row, only add the columns")
    p.add_argument("--engine", choices=("local", "spark"), default="local")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..dedup import dedup

    report = dedup(args.inputs, args.out, text_field=args.text_field, id_field=args.id_field,
                   lang_field=args.lang_field, mode=args.mode, threshold=args.threshold,
                   max_copies=args.max_copies, mark_only=args.mark_only, engine=args.engine,
                   jobs=args.jobs, progress=sys.stderr.isatty())
    print(report.summary() if hasattr(report, "summary") else report)
    return 0
