"""LangChain: a Runnable that redacts or blocks a model's output, a streaming guard, and an agent middleware.

    from copyguard import Guard
    from copyguard.integrations.langchain import CopyGuardMiddleware, CopyGuardRunnable, guard_stream

    guard = Guard.open("corpus.cgidx")
    chain = prompt | model | CopyGuardRunnable(guard)          # redacted, or CopyBlocked raised
    for chunk in (prompt | model | guard_stream(guard)).stream(question):
        print(chunk.content, end="")                         # stops at a copy the policy takes out
    agent = create_agent(model, tools, middleware=[CopyGuardMiddleware(guard)])

Each applies the policy's verdict: ``block`` refuses (raises ``CopyBlocked``, or
gives the refusal text with ``on_block="refuse"``), ``redact`` replaces the
copies by markers, ``annotate`` and ``allow`` pass the output unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..guard import Guard
from ..policy import Action
from ..stream import StreamResult
from ..verdict import Verdict
from . import CopyBlocked, missing, refusal, stopped

try:
    from langchain.agents.middleware import AgentMiddleware
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator
except ImportError as err:
    raise missing("langchain", err) from None


def _text(value: Any) -> str:
    return str(value.text) if isinstance(value, BaseMessage) else str(value)  # a message's text blocks, joined


def _with_text(value: Any, text: str) -> Any:
    return value.model_copy(update={"content": text}) if isinstance(value, BaseMessage) else text


def _apply(value: Any, verdict: Verdict, on_block: str, guard: Guard) -> Any:
    """The output with the verdict applied (the same type: a message stays a message); redaction re-checked."""
    if verdict.action == Action.BLOCK:
        if on_block == "raise":
            raise CopyBlocked(verdict)
        return _with_text(value, refusal(verdict))
    if verdict.action == Action.REDACT:
        return _with_text(value, guard.redact(_text(value), verdict=verdict))
    return value


class CopyGuardRunnable(Runnable[Any, Any]):
    """A chain step after the model: the output redacted, refused or unchanged, as the policy says.

    It takes and gives a string or a message. ``on_block="raise"`` (the default) raises
    ``CopyBlocked`` with the verdict; ``"refuse"`` returns the refusal text instead.
    """

    def __init__(self, guard: Guard, on_block: str = "raise") -> None:
        if on_block not in ("raise", "refuse"):
            raise ValueError(f"on_block must be 'raise' or 'refuse', got {on_block!r}")
        self.guard, self.on_block = guard, on_block

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return _apply(input, self.guard.check(_text(input)), self.on_block, self.guard)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        text = _text(input)
        verdict = await self.guard.acheck(text)
        if verdict.action == Action.REDACT:
            return _with_text(input, await self.guard.aredact(text, verdict=verdict))
        return _apply(input, verdict, self.on_block, self.guard)


def _chunk(like: Any, text: str) -> Any:
    return AIMessageChunk(content=text) if isinstance(like, BaseMessage) else text


def _released(like: Any, r: StreamResult) -> Iterator[Any]:
    if r.new_text:
        yield _chunk(like, r.new_text)
    if r.should_stop and r.verdict.action == Action.BLOCK:
        yield _chunk(like, stopped(r.verdict))


def guard_stream(guard: Guard, check_every: int = 256) -> RunnableGenerator:
    """A streaming chain step wrapping ``guard.stream()``: it passes on only ``safe_text``.

    One check window is held back; at a copy the policy redacts or blocks it stops
    reading the model's stream (which stops generation) and ends with the marker or
    a note. Message chunks in give ``AIMessageChunk``s out, strings give strings.
    """

    def transform(chunks: Iterator[Any]) -> Iterator[Any]:
        s, like = guard.stream(check_every), ""
        for like in chunks:
            r = s.feed(_text(like))
            yield from _released(like, r)
            if r.should_stop:
                return
        yield from _released(like, s.close())

    async def atransform(chunks: AsyncIterator[Any]) -> AsyncIterator[Any]:
        s, like = guard.astream(check_every), ""
        async for like in chunks:
            r = await s.feed(_text(like))
            for out in _released(like, r):
                yield out
            if r.should_stop:
                return
        for out in _released(like, await s.close()):
            yield out

    return RunnableGenerator(transform, atransform, name="copyguard_stream")


class CopyGuardMiddleware(AgentMiddleware):
    """Agent middleware: after each model call, the last AI message redacted, or replaced by a refusal."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    @staticmethod
    def _last_ai(state: Any) -> AIMessage | None:
        return next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)

    def _update(self, message: AIMessage, verdict: Verdict) -> dict[str, Any] | None:
        if not verdict.action.removes:
            return None
        return {"messages": [_apply(message, verdict, on_block="refuse", guard=self.guard)]}  # same id: replaces the message

    def after_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        message = self._last_ai(state)
        if message is None or not _text(message):
            return None
        return self._update(message, self.guard.check(_text(message)))

    async def aafter_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        message = self._last_ai(state)
        if message is None or not _text(message):
            return None
        return self._update(message, await self.guard.acheck(_text(message)))
