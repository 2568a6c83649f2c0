"""LiteLLM proxy: a guardrail that checks every model response before it leaves the proxy.

``config.yaml`` of ``litellm --config config.yaml``::

    guardrails:
      - guardrail_name: copyguard
        litellm_params:
          guardrail: copyguard.integrations.litellm.CopyGuardGuardrail
          mode: post_call
          default_on: true
          index: /srv/corpus.cgidx      # or COPYGUARD_INDEX
          policy: /srv/policy.toml      # optional, or COPYGUARD_POLICY

A response whose verdict is ``block`` is refused (HTTP 400 naming the source
and license); ``redact`` rewrites it with the copies replaced by markers;
``annotate`` and ``allow`` pass it unchanged. A streamed response is checked
by the proxy every few chunks on the text so far; as text already sent cannot
be rewritten, ``redact`` stops a stream as ``block`` does (an error event in
the stream, then ``[DONE]``), within about one window of the copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ..policy import Action
from . import missing, open_guard, refusal

try:
    from fastapi import HTTPException  # a dependency of litellm[proxy], where guardrails run
    from litellm.integrations.custom_guardrail import CustomGuardrail
except ImportError as err:
    raise missing("litellm", err) from None

if TYPE_CHECKING:
    from ..guard import Guard


class CopyGuardGuardrail(CustomGuardrail):
    """``apply_guardrail`` for responses: raise to block, rewrite to redact."""

    def __init__(self, index: str | None = None, policy: str | None = None, guard: Guard | None = None,
                 **kwargs: Any) -> None:
        self.guard = guard or open_guard(index, policy)
        kwargs.setdefault("guardrail_name", "copyguard")
        super().__init__(**kwargs)

    async def apply_guardrail(self, inputs: Any, request_data: dict, input_type: Literal["request", "response"],
                              logging_obj: Any = None) -> Any:
        """Check each response text; requests (the user's prompt) pass untouched."""
        if input_type != "response":
            return inputs
        texts = []
        for text in inputs.get("texts") or []:
            verdict = await self.guard.acheck(text)
            if verdict.action == Action.BLOCK or (verdict.action == Action.REDACT and request_data.get("stream")):
                raise HTTPException(status_code=400, detail={
                    "error": refusal(verdict), "guardrail": self.guardrail_name, "copyguard": verdict.to_dict()})
            texts.append(await self.guard.aredact(text, verdict=verdict) if verdict.action == Action.REDACT else text)
        inputs["texts"] = texts
        return inputs
