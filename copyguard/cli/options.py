"""What every subcommand shares: a parser with examples in its help, and the ``--index`` / ``--policy`` options."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..policy import Policy


def command(sub: argparse._SubParsersAction, name: str, help: str, examples: list[str],
            description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand parser whose ``--help`` ends with copy-paste examples (as sqlite-utils' do)."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(name, help=help, description=description or help[:1].upper() + help[1:] + ".",
                          epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_index(p: argparse.ArgumentParser, help: str = "index directory", many: bool = False) -> None:
    """``--index DIR``; with ``many``, repeatable (``args.index`` is then a list, checked together)."""
    if many:
        p.add_argument("--index", required=True, metavar="DIR", action="append",
                       help=help + "; repeat it to check against several indexes at once")
    else:
        p.add_argument("--index", required=True, metavar="DIR", help=help)


def add_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", metavar="TOML", help="policy file: thresholds, actions per license or source")


def load_policy(args: argparse.Namespace) -> Policy:
    """The policy named by ``--policy``, or the default one."""
    from ..policy import Policy

    return Policy.from_toml(args.policy) if getattr(args, "policy", None) else Policy()
