"""The ``copyguard`` command: thin subcommands, each one library call.

Each subcommand lives in its own module with ``register(subparsers)`` and
``run(args) -> int``; heavy imports happen inside ``run``. Any
``CopyguardError`` (and any ``OSError`` a command let through, such as a
read-only index) becomes a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import CopyguardError

COMMANDS = ("normalize", "index", "check", "serve", "dedup", "decontaminate", "demo")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, just that subcommand (what one run needs, nothing else imported)."""
    from .. import __version__
    from .options import Parser

    parser = Parser(
        prog="copyguard",
        description="Stop AI systems from showing verbatim or near-verbatim copies of protected text and code.",
    )
    parser.add_argument("--version", action="version", version=f"copyguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f".{name}", __name__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    # copyguard does no linear algebra: one BLAS thread spares a one-shot process ~30 ms of CPU starting the others
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CopyguardError as err:
        return _fail(str(err))
    except BrokenPipeError:
        return 0
    except OSError as err:  # a file-system refusal not translated deeper down: still one line
        from ..textio import describe_os_error

        where = f"{err.filename}: " if err.filename else ""
        return _fail(f"{where}{describe_os_error(err)}")
    except RecursionError:
        return _fail("input nested too deeply")
    except KeyboardInterrupt:
        print("copyguard: interrupted", file=sys.stderr)
        return 130


def _fail(message: str) -> int:
    """Print the one-line error of the CLI contract; exit code 2."""
    line = " ".join(message.split())
    print(f"copyguard: error: {line}", file=sys.stderr)
    return 2
