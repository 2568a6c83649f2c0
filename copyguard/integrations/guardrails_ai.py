"""Guardrails AI: the validator ``copyguard/protected_material``.

    from guardrails import Guard
    from copyguard.integrations.guardrails_ai import ProtectedMaterial

    guard = Guard().use(ProtectedMaterial(index="/srv/corpus.cgidx", on_fail="fix"))
    guard.validate(model_output).validated_output      # the copies replaced by markers

A copy the policy redacts or blocks fails validation: ``fix_value`` is the text
with those copies replaced by markers, one ``ErrorSpan`` per such copy names its
source, license and kind, and the metadata carry every match (annotated ones
too) under ``"copyguard"``. Which ``on_fail`` to use is Guardrails' choice:
``"fix"`` redacts, ``"exception"`` refuses. Streaming (``guard(..., stream=True)``)
validates the text in chunks that each end one check window before the text
received so far, so at most about one window of a copy is passed on unchecked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..guard import Guard
from ..normalize.markdown import open_code_block
from ..stream import window_start
from ..verdict import Verdict, redact
from . import missing, open_guard, refusal

try:
    from guardrails.validators import (
        ErrorSpan,
        FailResult,
        PassResult,
        ValidationResult,
        Validator,
        register_validator,
    )
except ImportError as err:
    raise missing("guardrails", err) from None


def _spans(verdict: Verdict) -> list[ErrorSpan]:
    return [ErrorSpan(start=m.output_span[0], end=m.output_span[1],
                      reason=f"{m.kind} copy of {m.source} (license {m.license or 'unknown'})")
            for m in verdict.removed()]


@register_validator(name="copyguard/protected_material", data_type="string")
class ProtectedMaterial(Validator):
    """Fails on copies of protected material that the copyguard policy redacts or blocks."""

    def __init__(self, index: str | None = None, policy: str | None = None, guard: Guard | None = None,
                 on_fail: Any = None, **kwargs: Any) -> None:
        super().__init__(on_fail=on_fail, index=index, policy=policy, **kwargs)
        self.guard = guard or open_guard(index, policy)

    _context = ""  # streaming: the already validated text the next chunk is checked after (open fence included)
    _pending = ""

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text, context = str(value), self._pending
        self._pending = ""
        verdict = self.guard.check(context + text)
        if context:  # a streamed chunk: checked after its context, reported on the chunk alone
            verdict = Verdict.from_matches(self.guard.policy, [
                replace(m, output_span=(max(m.output_span[0] - len(context), 0), m.output_span[1] - len(context)))
                for m in verdict.matches if m.output_span[1] > len(context)])
        found = {"copyguard": verdict.to_dict()}
        if not verdict.action.removes:
            return PassResult(metadata=found)
        fixed = redact(text, verdict) if context else self.guard.redact(text, verdict=verdict)
        return FailResult(error_message=refusal(verdict), fix_value=fixed,
                          error_spans=_spans(verdict), metadata=found)

    def _chunking_function(self, chunk: str) -> list[str]:
        """Validate all but the last check window of the text so far, once at least one window precedes it.

        Each chunk is checked after the tail of the text validated before it, so a
        copy that straddles two chunks, or code whose fence opened earlier, is seen whole.
        """
        cut = window_start(self._context + chunk, self.guard.params) - len(self._context)
        if cut <= 0 or window_start(chunk[:cut], self.guard.params) == 0:
            return []  # not yet two windows: keep accumulating
        self._pending = self._context
        self._context = _tail(self._context + chunk[:cut], 2 * _LOOKBACK)
        return [chunk[:cut], chunk[cut:]]

    def validate_stream(self, chunk: Any, metadata: dict[str, Any], **kwargs: Any) -> ValidationResult | None:
        if kwargs.get("remainder"):  # the last chunk of a stream: check it after its context too
            self._pending = self._context
            self._context = ""
        result = super().validate_stream(chunk, metadata, **kwargs)
        if kwargs.get("remainder"):
            self._pending = ""
        return result


_LOOKBACK = 2048  # characters of validated text kept as the next chunk's context


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` worth checking a continuation after: from an open code fence's line, else a line start."""
    block = open_code_block(text)
    if block is not None and len(text) - block.start <= limit:
        return text[text.rfind("\n", 0, max(block.start - 1, 0)) + 1 :]
    start = max(0, len(text) - _LOOKBACK)
    return text[text.rfind("\n", 0, start) + 1 :] if start else text
