"""Thin adapters from frameworks' hooks to copyguard, one module per framework, each an optional extra.

Each module only translates the framework's hook to ``Guard.check`` / ``redact`` /
``stream`` (or the dedup API) and back. The helpers here are what the LLM-stack
adapters share: opening a guard from a path or the environment, and the
refusal shown in place of a blocked answer.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, CopyguardError, DependencyError

if TYPE_CHECKING:
    from ..guard import Guard
    from ..verdict import Verdict

INDEX_ENV, POLICY_ENV = "COPYGUARD_INDEX", "COPYGUARD_POLICY"


def open_guard(index: str | Path | None = None, policy: str | Path | None = None) -> Guard:
    """A ``Guard`` on ``index`` with the policy file ``policy``; either falls back to its environment variable.

    Frameworks that build a hook from a config file or a class name alone (LiteLLM's
    proxy, vLLM's ``--middleware``) reach copyguard through ``COPYGUARD_INDEX`` and
    ``COPYGUARD_POLICY``.
    """
    from ..guard import Guard
    from ..policy import Policy

    index = index or os.environ.get(INDEX_ENV)
    if not index:
        raise ConfigError(f"no copyguard index given: pass index=... or set {INDEX_ENV} to an index directory")
    policy = policy or os.environ.get(POLICY_ENV)
    return Guard.open(index, Policy.from_toml(policy) if policy else None)


class CopyBlocked(CopyguardError):
    """An answer the policy blocks, raised where a framework's way to refuse is an exception."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(refusal(verdict))
        self.verdict = verdict


def refusal(verdict: Verdict) -> str:
    """What is shown instead of a blocked answer: why, with the source and license that decided it."""
    decided = verdict.decided_by
    if decided is None:
        return "This answer was withheld by copyguard."
    m = verdict.matches[decided.match]
    return (f"This answer was withheld: it copies protected material ({m.kind} copy of {m.source}, "
            f"license {m.license or 'unknown'}).")


def stopped(verdict: Verdict) -> str:
    """The note that ends a stream stopped at a copy the policy blocks."""
    decided = verdict.decided_by
    m = verdict.matches[decided.match] if decided is not None else None
    what = f"{m.source}, license {m.license or 'unknown'}" if m else "protected material"
    return f"\n[copyguard: the answer stopped here; it went on to copy protected material ({what})]"


def missing(extra: str, err: ImportError) -> DependencyError:
    """The error for a framework that is not installed: which extra to install.

    >>> print(missing("litellm", ModuleNotFoundError("No module named 'litellm'", name="litellm")))
    litellm: not installed; pip install "copyguard[litellm]"
    """
    return DependencyError(f'{err.name or err}: not installed; pip install "copyguard[{extra}]"')
