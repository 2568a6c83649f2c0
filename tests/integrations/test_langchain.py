"""LangChain: LCEL chains and an agent from create_agent, driven by LangChain's own fake chat models."""

from __future__ import annotations

import asyncio

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard.integrations import CopyBlocked
from copyguard.integrations.langchain import CopyGuardMiddleware, CopyGuardRunnable, guard_stream
from copyguard.normalize import normalize

PREAMBLE = "Let me explain how the parser handles inline tables before showing the code. " * 6 + "\n\n"


def _model(*answers: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=a) for a in answers]))


def test_the_runnable_blocks_redacts_and_passes(guard):
    chain = _model(BLOCKED, REDACTED, CLEAN, ANNOTATED) | CopyGuardRunnable(guard)
    with pytest.raises(CopyBlocked) as err:
        chain.invoke("hi")
    assert err.value.verdict.action == "block" and "corpus/tomli/_parser.py" in str(err.value)
    redacted = chain.invoke("hi")
    assert isinstance(redacted, AIMessage) and redacted.content.startswith("Sure.")
    assert "[copyguard: removed a verbatim copy of corpus/jargon/hacker-writing-style.txt" in redacted.content
    assert chain.invoke("hi").content == CLEAN and chain.invoke("hi").content == ANNOTATED


def test_the_runnable_refuses_instead_of_raising_and_works_on_strings_and_async(guard):
    chain = _model(BLOCKED, REDACTED) | StrOutputParser() | CopyGuardRunnable(guard, on_block="refuse")
    assert chain.invoke("hi").startswith("This answer was withheld")
    assert asyncio.run(chain.ainvoke("hi")).endswith("Hope this helps.")


def _streamed(chain, text_of=lambda c: c.content) -> str:
    return "".join(text_of(c) for c in chain.stream("hi"))


def test_a_streamed_copy_stops_within_one_window_of_its_start(guard):
    answer = PREAMBLE + BLOCKED
    model = _model(answer)
    out = _streamed(model | guard_stream(guard, check_every=64))
    shown, _, note = out.partition("\n[copyguard: the answer stopped here")
    assert note and "corpus/tomli/_parser.py" in note
    start = answer.index("def parse_inline_table")
    assert answer.startswith(shown) and len(shown) >= start  # the preamble went through, then it stopped
    assert len(normalize(shown[start:], "python")) <= guard.params.window_code + guard.params.stride_code


def test_a_streamed_redaction_ends_with_its_marker_and_async_streams_the_same(guard):
    out = _streamed(_model(REDACTED) | StrOutputParser() | guard_stream(guard, check_every=64), str)
    assert out.startswith("Sure.") and out.endswith("(LicenseRef-public-domain)]")

    async def astreamed():
        chain = _model(REDACTED) | StrOutputParser() | guard_stream(guard, check_every=64)
        return "".join([c async for c in chain.astream("hi")])

    assert asyncio.run(astreamed()) == out


def test_annotated_and_clean_streams_pass_whole(guard):
    for answer in (PREAMBLE + ANNOTATED, CLEAN):
        assert _streamed(_model(answer) | guard_stream(guard, check_every=64)) == answer


def test_the_agent_middleware_replaces_the_last_ai_message(guard):
    def ask(answer: str) -> str:
        agent = create_agent(model=_model(answer), tools=[], middleware=[CopyGuardMiddleware(guard)])
        return agent.invoke({"messages": [{"role": "user", "content": "hi"}]})["messages"][-1].content

    assert ask(BLOCKED).startswith("This answer was withheld") and "corpus/tomli/_parser.py" in ask(BLOCKED)
    redacted = ask(REDACTED)
    assert "[copyguard: removed a verbatim copy" in redacted and "overgeneralizing" not in redacted
    assert ask(ANNOTATED) == ANNOTATED and ask(CLEAN) == CLEAN

    async def aask(answer: str) -> list:
        agent = create_agent(model=_model(answer), tools=[], middleware=[CopyGuardMiddleware(guard)])
        return (await agent.ainvoke({"messages": [{"role": "user", "content": "hi"}]}))["messages"]

    messages = asyncio.run(aask(REDACTED))
    assert len(messages) == 2 and messages[-1].content == redacted  # replaced, not appended
