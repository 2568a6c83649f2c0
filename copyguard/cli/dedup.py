"""``copyguard dedup``: near-duplicate clustering of a dataset, keeping at most k copies per cluster."""

from __future__ import annotations

import argparse
import sys

from .options import command


def register(sub: argparse._SubParsersAction) -> None:
    from ..dedup.config import THRESHOLD

    p = command(sub, "dedup", "cluster near-duplicate rows of Parquet/JSONL/CSV and keep k per cluster", [
        "copyguard dedup data/*.parquet --out dedup.parquet",
        "copyguard dedup data/ --out marked.jsonl.gz --mark-only --max-copies 2 --id-field id",
        "copyguard dedup s3://bucket/shards/ --out dedup/ --engine spark --spark-master spark://head:7077",
    ], "Adds cluster_id, cluster_size and duplicate_of columns; drops rows beyond "
       "--max-copies per cluster (or marks them with --mark-only). Code rows are compared with "
       "identifiers renumbered, so renamed copies are duplicates.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="Parquet, JSONL (.jsonl, .jsonl.gz, .jsonl.zst) or CSV files, folders of them, or URLs "
                        "(file://, s3://, gs://, hf://...)")
    p.add_argument("--out", required=True,
                   help="output file; the extension picks the format (.parquet, .jsonl[.gz|.zst], .csv); "
                        "with --engine spark, a folder of Parquet files")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", help="column whose value duplicate_of names (default: the row number)")
    p.add_argument("--lang-field", help="column naming each row's language (default: detected per row)")
    p.add_argument("--mode", choices=("auto", "prose", "code"), default="auto",
                   help="auto (default): code where a language is given or detected, prose elsewhere")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"estimated Jaccard similarity that makes a duplicate (default {THRESHOLD})")
    p.add_argument("--verify", action="store_true",
                   help="decide candidate pairs on their exact shingle sets, not signature estimates (local engine)")
    p.add_argument("--max-copies", type=int, default=1, metavar="K", help="rows kept per cluster (default 1)")
    p.add_argument("--mark-only", action="store_true", help="keep every row, only add the columns")
    p.add_argument("--engine", choices=("local", "spark"), default="local")
    p.add_argument("--spark-master", metavar="URL",
                   help="Spark master for --engine spark (spark://host:7077, yarn...; default local[--jobs])")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..dedup import dedup

    report = dedup(args.inputs, args.out, text_field=args.text_field, id_field=args.id_field,
                   lang_field=args.lang_field, mode=args.mode, threshold=args.threshold,
                   max_copies=args.max_copies, mark_only=args.mark_only, engine=args.engine,
                   jobs=args.jobs, spark_master=args.spark_master, verify=args.verify, progress=sys.stderr.isatty())
    print(report.summary())
    return 0
