"""What every subcommand shares: a parser with examples in its help, and the ``--index`` / ``--policy`` options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..policy import Policy


def command(sub: argparse._SubParsersAction, name: str, help: str, examples: list[str],
            description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` ends with copy-paste examples (as sqlite-utils' do)."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(name, help=help, description=description or help[:1].upper() + help[1:] + ".",
                          epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors keep the CLI contract: one line, exit code 2."""

    def error(self, message: str) -> Any:
        from . import _fail

        raise SystemExit(_fail(f"{message} (see {self.prog} --help)"))


def add_index(p: argparse.ArgumentParser, help: str = "index directory", many: bool = False) -> None:
    """``--index DIR``; with ``many``, repeatable (``args.index`` is then a list, checked together)."""
    if many:
        p.add_argument("--index", required=True, metavar="DIR", action="append",
                       help=help + "; repeat it to check against several indexes at once")
    else:
        p.add_argument("--index", required=True, metavar="DIR", help=help)


def add_input_limits(p: argparse.ArgumentParser) -> None:
    """``--max-bytes`` and ``--read-timeout``: how much of one input is read, and how long a silent FIFO is waited for."""
    from ..textio import MAX_BYTES, READ_TIMEOUT

    p.add_argument("--max-bytes", type=_positive(int), default=MAX_BYTES, metavar="N",
                   help=f"refuse an input (a file, standard input, one --batch line) over N bytes (default: {MAX_BYTES:,})")
    p.add_argument("--read-timeout", type=_positive(float), default=READ_TIMEOUT, metavar="S",
                   help=f"give up on a FIFO or pipe that stays silent S seconds (default: {READ_TIMEOUT:g})")


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not number > 0 or number != number or number == float("inf"):
            raise argparse.ArgumentTypeError(f"{value!r} must be a positive, finite number")
        return number

    return parse


def add_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", metavar="TOML", help="policy file: thresholds, actions per license or source")


def load_policy(args: argparse.Namespace) -> Policy:
    """The policy named by ``--policy``, or the default one."""
    from ..policy import Policy

    return Policy.from_toml(args.policy) if getattr(args, "policy", None) else Policy()
