"""``copyguard index build|add|remove|compact|stats``: manage a protected-corpus index."""

from __future__ import annotations

import argparse
import json
import sys

from .options import add_index, command


def _source_args(p: argparse.ArgumentParser, optional: bool = False) -> None:
    p.add_argument("paths", nargs="*" if optional else "+", metavar="PATH",
                   help="folders, files, .jsonl or .parquet datasets")
    p.add_argument("--text-field", default="text", help="text column of JSONL/Parquet input (default: text)")
    p.add_argument("--id-field", help="id column (default: <file>:<row>)")
    p.add_argument("--license-field", help="license column")
    p.add_argument("--lang-field", help="language column (grammar name or alias; default: prose)")
    p.add_argument("--license", help="license of every source that states none (SPDX id)")
    p.add_argument("--prefix", help="namespace of the source ids (default: a folder's own name; '' for none)")
    p.add_argument("--max-bytes", type=int, default=None, metavar="N",
                   help="skip (and count as too-large) a source over N bytes (default: 4 MiB); nothing larger is read")
    p.add_argument("--allow-empty", action="store_true",
                   help="accept a result with no sources (by default nothing indexable is an error)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default: 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


_BASE_HELP = ("starter or template code every answer is expected to contain (a folder or file, repeatable): "
              "stored with the index and never reported, as JPlag's base code")


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "index", "build and maintain an index of protected content", [
        "copyguard index build corpus/ --out corpus.cgidx", "copyguard index remove corpus/py/heapq.py --index corpus.cgidx"],
        "Build and maintain an index of protected text and code.")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True

    b = command(isub, "build", "build a new index from folders, files, JSONL or Parquet", [
        "copyguard index build corpus/ --out corpus.cgidx --jobs 2",
        "copyguard index build books.parquet --out books.cgidx --text-field body --id-field isbn --license-field license",
        "copyguard index build /shared/corpus/ --out /shared/corpus.cgidx --engine spark --spark-master spark://head:7077",
        "copyguard index build submissions/ --out course.cgidx --base starter/",
    ])
    _source_args(b)
    b.add_argument("--out", required=True, metavar="DIR", help="index directory to create")
    b.add_argument("--base", action="append", metavar="DIR", help=_BASE_HELP)
    b.add_argument("--params", metavar="TOML", help="index parameters (see docs/parameters.md)")
    b.add_argument("--engine", choices=("local", "spark"), default="local",
                   help="local processes (--jobs) or Spark executors (default: local)")
    b.add_argument("--spark-master", metavar="URL",
                   help="Spark master for --engine spark (default: the active session, else local[--jobs])")
    b.add_argument("--spark-task-mb", type=float, default=64.0, metavar="MB",
                   help="input per Spark task; each task writes its own segments (default: 64)")
    b.set_defaults(run=run_build)

    a = command(isub, "add", "add or replace sources in an existing index", [
        "copyguard index add new-repo/ --index corpus.cgidx",
        "copyguard index add --base starter-week2/ --index course.cgidx"])
    _source_args(a, optional=True)
    add_index(a)
    a.add_argument("--base", action="append", metavar="DIR",
                   help=_BASE_HELP + "; joins the base code the index already declares (PATHs may then be omitted)")
    a.set_defaults(run=run_add)

    r = command(isub, "remove", "remove sources at once (takedown), no rebuild", [
        "copyguard index remove corpus/py/heapq.py corpus/py/bisect.py --index corpus.cgidx"])
    r.add_argument("source_ids", nargs="+", metavar="SOURCE_ID")
    add_index(r)
    r.set_defaults(run=run_remove)

    c = command(isub, "compact", "merge segments and drop removed sources", [
        "copyguard index compact --index corpus.cgidx"])
    add_index(c)
    c.set_defaults(run=run_compact)

    v = command(isub, "verify", "read every file of the index and check its checksum", [
        "copyguard index verify --index corpus.cgidx"])
    add_index(v)
    v.set_defaults(run=run_verify)

    s = command(isub, "stats", "print index statistics", [
        "copyguard index stats --index corpus.cgidx", "copyguard index stats --index corpus.cgidx --json"])
    add_index(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=run_stats)


def _corpus_options(args: argparse.Namespace) -> dict:
    from ..errors import ConfigError

    options = dict(text_field=args.text_field, id_field=args.id_field, license_field=args.license_field,
                   lang_field=args.lang_field, license=args.license, prefix=args.prefix)
    if args.max_bytes is not None:
        if args.max_bytes <= 0:
            raise ConfigError(f"--max-bytes must be a positive number of bytes, got {args.max_bytes}")
        options["max_bytes"] = args.max_bytes
    return options


def _print_report(report, verb: str) -> None:
    print(f"{verb} {report.sources:,} sources, {report.passages:,} passages, "
          f"{report.chars / 1e6:.2f} M characters in {report.seconds:.1f} s")
    for reason, count in sorted(report.skipped.items()):
        examples = ", ".join(report.examples.get(reason, []))
        print(f"  skipped {count:,} ({reason}){': ' + examples if examples else ''}")
    if report.replaced:
        print(f"  replaced {len(report.replaced):,} source(s) already in the index: {', '.join(report.replaced)}")
    if report.unparsed:
        print(f"  indexed {len(report.unparsed):,} source(s) as unparsed code (tree-sitter's parse outgrew its "
              f"budget; lexed without a tree): {', '.join(report.unparsed[:3])}{', ...' if len(report.unparsed) > 3 else ''}")


def run_build(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..index.build import build_index
    from ..params import load_params

    params = load_params(args.params)
    progress = not args.no_progress and sys.stderr.isatty()
    if args.engine == "spark":
        from ..index.spark_build import spark_build_index

        report = spark_build_index(args.paths, args.out, params=params, master=args.spark_master, jobs=args.jobs,
                                   progress=progress, allow_empty=args.allow_empty,
                                   task_bytes=int(args.spark_task_mb * 2**20), base=args.base, **_corpus_options(args))
    elif args.spark_master:
        raise ConfigError("--spark-master needs --engine spark")
    else:
        report = build_index(args.paths, args.out, params=params, jobs=args.jobs, allow_empty=args.allow_empty,
                             progress=progress, base=args.base, **_corpus_options(args))
    _print_report(report, f"indexed into {args.out}:")
    _print_base(args.out, args.base)
    return 0


def _print_base(index: str, declared: list[str] | None) -> None:
    if declared:
        from ..index import Index

        stats = Index.open(index).stats()
        print(f"  base code: {stats['base_files']:,} file(s), {stats['base_shingles']:,} shingles, never reported")


def run_add(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..index.build import add_to_index

    if not args.paths and not args.base:
        raise ConfigError("index add needs PATHs to add, or --base DIR")
    report = add_to_index(args.paths, args.index, jobs=args.jobs, allow_empty=args.allow_empty,
                          progress=not args.no_progress and sys.stderr.isatty(), base=args.base,
                          **_corpus_options(args))
    if args.paths:
        _print_report(report, f"added to {args.index}:")
    _print_base(args.index, args.base)
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


def run_verify(args: argparse.Namespace) -> int:
    from ..index import Index
    from ..index.integrity import raise_problems

    report = Index.open(args.index).verify()
    raise_problems(args.index, report.problems)
    print(f"verified {args.index}: {report.segments} segment(s), {report.files} files, "
          f"{report.bytes / 1e6:.2f} MB, every checksum matches")
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
