"""``copyguard decontaminate``: remove (or mark) dataset rows that copy anything in an index."""

from __future__ import annotations

import argparse
import json
import sys

from .options import add_index, add_policy, command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "decontaminate", "drop or mark rows that contain a copy of indexed content", [
        "copyguard decontaminate train.parquet --index benchmarks.cgidx --out clean.parquet",
        "copyguard decontaminate data/ --index benchmarks.cgidx --out marked.jsonl.gz --mark-only --id-field id",
        "copyguard decontaminate data/ --index benchmarks.cgidx --out clean.parquet --ngram 13 --report hits.json",
    ], "Drops (or with --mark-only, marks with contaminated_by) the rows that copy a source of the index, "
       "and lists per benchmark item (indexed source) the training rows that hit it.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="Parquet, JSONL (.jsonl[.gz|.zst]) or CSV files, folders of them, or URLs")
    add_index(p, "index of the protected content (e.g. evaluation sets, one source per item)")
    p.add_argument("--out", required=True, help="output file; the extension picks the format")
    p.add_argument("--text-field", default="text")
    p.add_argument("--id-field", help="column naming rows in the per-item report (default: row number)")
    p.add_argument("--lang-field", help="column giving each row's language (default: detected)")
    add_policy(p)
    p.add_argument("--ngram", type=int, metavar="N",
                   help="n-gram overlap rule instead of the index's check: a row sharing any N-token run "
                        "with an item is contaminated (13 is the evaluation-suite convention)")
    p.add_argument("--mark-only", action="store_true", help="keep every row, add the matching sources")
    p.add_argument("--report", metavar="JSON", help="write {item: [row ids]} to this file")
    p.add_argument("--jobs", type=int, default=1, metavar="N")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..dedup import decontaminate

    report = decontaminate(args.inputs, args.out, index=args.index, text_field=args.text_field,
                           id_field=args.id_field, lang_field=args.lang_field, policy=args.policy,
                           ngram=args.ngram, mark_only=args.mark_only, jobs=args.jobs,
                           progress=sys.stderr.isatty())
    print(report.summary())
    for line in report.item_lines():
        print(f"  {line}")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump(report.hits, f, indent=1, default=str)
    return 0
