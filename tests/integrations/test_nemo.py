"""NeMo Guardrails: the example configurations in examples/nemo/, loaded as users load them, with NeMo's
own ``FakeLLMModel`` as the main model; generate and stream_async, as an app calls them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from nemoguardrails import LLMRails, RailsConfig
from nemoguardrails.testing import FakeLLMModel
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard.integrations.nemo import copyguard_check
from copyguard.normalize import normalize

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "nemo"
REFUSAL = "I can't show that answer: it copies protected material."
PREAMBLE = "Let me explain how the parser handles inline tables before showing the code. " * 6 + "\n\n"


@pytest.fixture(scope="module", autouse=True)
def copyguard_env(index_dir, policy_file, guard):
    """The examples' config.py opens the guard from the environment, as a deployment would."""
    mp = pytest.MonkeyPatch()
    mp.setenv("COPYGUARD_INDEX", str(index_dir))
    mp.setenv("COPYGUARD_POLICY", str(policy_file))
    yield
    mp.undo()


def _rails(example: str, answer: str) -> LLMRails:
    return LLMRails(RailsConfig.from_path(str(EXAMPLES / example)), llm=FakeLLMModel(responses=[answer]))


def _answer(example: str, answer: str) -> str:
    return _rails(example, answer).generate(messages=[{"role": "user", "content": "hi"}])["content"]


async def _stream(example: str, answer: str) -> list[str]:
    return [chunk async for chunk in _rails(example, answer).stream_async(messages=[{"role": "user", "content": "hi"}])]


def test_the_action_is_a_system_action_named_copyguard_check():
    assert copyguard_check.action_meta == {"name": "copyguard_check", "is_system_action": True, "execute_async": False}


def test_redact_example_refuses_a_blocked_copy_and_redacts_a_redacted_one():
    assert _answer("redact", BLOCKED) == REFUSAL
    redacted = _answer("redact", REDACTED)
    assert redacted.startswith("Sure.") and redacted.endswith("Hope this helps.")
    assert "[copyguard: removed a verbatim copy of corpus/jargon/hacker-writing-style.txt" in redacted
    assert "overgeneralizing" not in redacted


def test_refuse_example_refuses_both_and_clean_or_annotated_answers_pass_unchanged():
    assert _answer("refuse", BLOCKED) == REFUSAL and _answer("refuse", REDACTED) == REFUSAL
    for example in ("refuse", "redact"):
        assert _answer(example, CLEAN) == CLEAN
        assert _answer(example, ANNOTATED) == ANNOTATED


def test_the_action_returns_the_verdict_and_the_redacted_text(guard):
    outcome = asyncio.run(copyguard_check(context={"bot_message": REDACTED}, copyguard_guard=guard))
    assert outcome.is_transform and outcome.metadata["verdict"]["action"] == "redact"
    assert outcome.transform_text["bot_message"] == outcome.metadata["redacted"]
    assert "[copyguard: removed" in outcome.metadata["redacted"]
    blocked = asyncio.run(copyguard_check(context={"bot_message": BLOCKED}, copyguard_guard=guard))
    assert blocked.is_blocked and "corpus/tomli/_parser.py" in blocked.reason


def test_a_streamed_copy_stops_within_one_window_of_its_start(guard):
    answer = PREAMBLE + BLOCKED
    chunks = asyncio.run(_stream("refuse", answer))
    *shown, last = chunks
    assert json.loads(last)["error"]["code"] == "content_blocked"
    text = "".join(shown)
    assert text and answer.startswith(text)  # the preamble streamed, then the stream stopped
    start = answer.index("def parse_inline_table")
    assert len(normalize(text[start:], "python")) <= guard.params.window_code + guard.params.stride_code


def test_an_annotated_copy_never_stops_a_stream():
    chunks = asyncio.run(_stream("refuse", PREAMBLE + ANNOTATED))
    assert "".join(chunks) == PREAMBLE + ANNOTATED
