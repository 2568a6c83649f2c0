"""``copyguard index build|add|remove|compact|stats``: manage a protected-corpus index."""

from __future__ import annotations

import argparse
import json
import sys


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders, files, .jsonl or .parquet datasets")
    p.add_argument("--text-field", default="text", help="text column of JSONL/Parquet input (default: text)")
    p.add_argument("--id-field", help="id column (default: <file>:<row>)")
    p.add_argument("--license-field", help="license column")
    p.add_argument("--lang-field", help="language column (grammar name or alias; default: prose)")
    p.add_argument("--license", help="license of every source that states none (SPDX id)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="build and maintain an index of protected content",
                       description="Build and maintain an index of protected text and code.")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True

    b = isub.add_parser("build", help="build a new index from folders, files, JSONL or Parquet")
    _source_args(b)
    b.add_argument("--out", required=True, metavar="DIR", help="index directory to create")
    b.add_argument("--params", metavar="TOML", help="index parameters (see docs/parameters.md)")
    b.set_defaults(run=run_build)

    a = isub.add_parser("add", help="add or replace sources in an existing index")
    _source_args(a)
    a.add_argument("--index", required=True, metavar="DIR")
    a.set_defaults(run=run_add)

    r = isub.add_parser("remove", help="remove sources at once (takedown), no rebuild")
    r.add_argument("source_ids", nargs="+", metavar="SOURCE_ID")
    r.add_argument("--index", required=True, metavar="DIR")
    r.set_defaults(run=run_remove)

    c = isub.add_parser("compact", help="merge segments and drop removed sources")
    c.add_argument("--index", required=True, metavar="DIR")
    c.set_defaults(run=run_compact)

    s = isub.add_parser("stats", help="print index statistics")
    s.add_argument("--index", required=True, metavar="DIR")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=run_stats)


def _corpus_options(args: argparse.Namespace) -> dict:
    return dict(text_field=args.text_field, id_field=args.id_field, license_field=args.license_field,
                lang_field=args.lang_field, license=args.license)


def _print_report(report, verb: str) -> None:
    print(f"{verb} {report.sources:,} sources, {report.passages:,} passages, "
          f"{report.chars / 1e6:.2f} M characters in {report.seconds:.1f} s")
    for reason, count in sorted(report.skipped.items()):
        examples = ", ".join(report.examples.get(reason, []))
        print(f"  skipped {count:,} ({reason}){': ' + examples if examples else ''}")


def run_build(args: argparse.Namespace) -> int:
    from ..index.build import build_index
    from ..params import load_params

    params = load_params(args.params)
    report = build_index(args.paths, args.out, params=params, jobs=args.jobs,
                         progress=not args.no_progress and sys.stderr.isatty(), **_corpus_options(args))
    _print_report(report, f"indexed into {args.out}:")
    return 0


def run_add(args: argparse.Namespace) -> int:
    from ..index.build import add_to_index

    report = add_to_index(args.paths, args.index, jobs=args.jobs,
                          progress=not args.no_progress and sys.stderr.isatty(), **_corpus_options(args))
    _print_report(report, f"added to {args.index}:")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from ..index import Index

    removed = Index.open(args.index).remove(args.source_ids)
    print(f"removed {removed} source(s) from {args.index}")
    return 0


def run_compact(args: argparse.Namespace) -> int:
    from ..index import Index

    index = Index.open(args.index)
    index.compact()
    print(f"compacted {args.index}: {index.stats()['segments']} segment(s)")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from ..index import Index

    stats = Index.open(args.index).stats()
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
    else:
        for key, value in stats.items():
            print(f"{key:>16}: {value:,}" if isinstance(value, int) else f"{key:>16}: {value}")
    return 0
