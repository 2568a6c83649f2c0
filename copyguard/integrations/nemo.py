"""NeMo Guardrails: an output rail action, ``copyguard_check``, that refuses or redacts copies.

In the config's ``config.py``::

    from copyguard.integrations.nemo import register

    def init(app):
        register(app, index="/srv/corpus.cgidx", policy="/srv/policy.toml")

and in a Colang flow (complete configurations for refusing and for redacting
are in ``examples/nemo/``)::

    define subflow copyguard check output
      $result = execute copyguard_check
      if $result.is_blocked
        bot refuse to show copied material
        stop
      if $result.is_transform
        $bot_message = $result.transform_text["bot_message"]

The action reads ``context["bot_message"]`` and returns NeMo's ``RailOutcome``
(which replaced ``output_mapping`` in NeMo 0.2x as the way a rail blocks):
``block`` for a verdict of block, a rewrite of the bot message for redact,
allow otherwise. Its metadata carry the verdict and the redacted text.
NeMo's streaming output rails apply blocks but not rewrites, so a streaming
configuration calls ``copyguard_check(on_redact="block")``.
"""

from __future__ import annotations

from typing import Any

from ..guard import Guard
from ..policy import Action
from . import missing, open_guard, refusal

try:
    from nemoguardrails.actions import action
    from nemoguardrails.actions.rail_outcome import RailOutcome, TransformTarget
except ImportError as err:
    raise missing("nemo", err) from None

GUARD_PARAM = "copyguard_guard"  # the action parameter NeMo fills with the registered Guard
# streaming output rails call the action with the rails' config but without registered parameters
_GUARDS: dict[int, Guard] = {}


def register(app: Any, guard: Guard | None = None, index: str | None = None, policy: str | None = None) -> Any:
    """Register ``copyguard_check`` with an ``LLMRails`` and the ``Guard`` it uses (from the environment if not given)."""
    guard = guard or open_guard(index, policy)
    app.register_action(copyguard_check, "copyguard_check")
    app.register_action_param(GUARD_PARAM, guard)
    _GUARDS[id(app.config)] = guard
    return app


@action(is_system_action=True, name="copyguard_check")
async def copyguard_check(context: dict | None = None, copyguard_guard: Guard | None = None,
                          on_redact: str = "transform", config: Any = None, **_: Any) -> RailOutcome:
    """Check the bot message: block, rewrite with the copies replaced by markers, or allow.

    ``on_redact="block"`` refuses instead of rewriting (for streaming rails, where
    the part already streamed cannot be rewritten).
    """
    guard = copyguard_guard or _GUARDS.get(id(config)) or open_guard()
    text = (context or {}).get("bot_message") or ""
    verdict = await guard.acheck(text)
    redacted = await guard.aredact(text, verdict=verdict)
    metadata = {"verdict": verdict.to_dict(), "redacted": redacted}
    if verdict.action == Action.BLOCK or (verdict.action == Action.REDACT and on_redact == "block"):
        return RailOutcome.block(reason=refusal(verdict), metadata=metadata)
    if verdict.action == Action.REDACT:
        return RailOutcome.transform([(TransformTarget.BOT_MESSAGE, redacted)], reason="copies redacted",
                                     metadata=metadata)
    return RailOutcome.allow(metadata=metadata)
