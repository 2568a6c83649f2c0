"""Streaming: a stream stops only when the policy takes a copy out, within one window of it, and
``safe_text`` holds back one window of the kind of text it ends in; the async API keeps the loop free."""

from __future__ import annotations

import asyncio
import time

import pytest
from sample_corpus import CORPUS, sample_function

from copyguard import Guard, Policy
from copyguard.normalize import normalize

PARSER = (CORPUS / "tomli" / "_parser.py").read_text()
WRITING = (CORPUS / "jargon" / "hacker-writing-style.txt").read_text()
FILLER = (
    "Thanks for the question. Below I walk through the approach step by step and explain "
    "the trade-offs, so that you can adapt it to your own project without surprises.\n\n"
)


FUNC = sample_function("tomli/_parser.py", "parse_inline_table")
ANSWER = FILLER * 3 + "```python\n" + FUNC + "```\n" + FILLER * 3
COPY_START = ANSWER.index("def parse_inline_table")
COPY_END = COPY_START + len(FUNC.rstrip())


@pytest.fixture(scope="module")
def guard(sample_index) -> Guard:
    return Guard.open(sample_index)  # tomli is MIT: the default policy annotates it


def _run(stream, text: str, step: int = 16):
    """Feed ``text`` in chunks until the stream says stop; the results and where feeding stopped."""
    results = []
    for i in range(0, len(text), step):
        results.append(stream.feed(text[i : i + step]))
        if results[-1].should_stop:
            return results, i + step
    results.append(stream.close())
    return results, len(text)


def test_an_annotated_copy_is_flagged_but_never_stops_the_stream(guard):
    results, fed = _run(guard.stream(check_every=64), ANSWER)
    assert fed == len(ANSWER)
    assert any(r.flagged for r in results) and results[-1].matches[0].source == "corpus/tomli/_parser.py"
    assert not any(r.should_stop for r in results)
    assert results[-1].action == "annotate" and results[-1].safe_text == ANSWER
    assert "".join(r.new_text for r in results) == ANSWER


def test_a_blocked_copy_stops_the_stream_within_one_window_of_its_start(guard, sample_index):
    blocking = Guard.open(sample_index, Policy(sources={"corpus/tomli/_parser.py": "block"}))
    stream = blocking.stream(check_every=64)
    results, fed = _run(stream, ANSWER)
    last = results[-1]
    assert last.should_stop and last.action == "block" and fed < COPY_END
    shown = normalize(last.safe_text[COPY_START:], "python")
    assert len(shown) <= blocking.params.window_code + blocking.params.stride_code
    assert last.safe_text == ANSWER[: len(last.safe_text)]  # the part before the copy, unchanged
    # the released text only ever grew; after the stop nothing more is released
    assert "".join(r.new_text for r in results) == last.safe_text
    assert stream.feed(ANSWER[fed:]).safe_text == last.safe_text


def test_a_redacted_copy_stops_the_stream_with_its_marker(guard, sample_index):
    redacting = Guard.open(sample_index, Policy(sources={"corpus/tomli/_parser.py": "redact"}))
    results, fed = _run(redacting.stream(check_every=64), ANSWER)
    last = results[-1]
    assert last.should_stop and fed < COPY_END
    assert last.safe_text.endswith("copy of corpus/tomli/_parser.py (MIT)]") and "[copyguard: removed a " in last.safe_text
    assert "parse_inline_table" not in last.safe_text[COPY_START - 1 :]


def test_holdback_follows_the_kind_of_text_words_for_prose_tokens_for_code(guard):
    p = guard.params
    stream = guard.stream(check_every=32)
    prose = FILLER * 6
    r = stream.feed(prose)
    assert stream.holdback_tokens == p.window_prose + p.stride_prose
    held = prose[len(r.safe_text) :]
    assert len(normalize(held, "prose")) == stream.holdback_tokens  # exactly one window of words, no more
    code = "```python\n" + "".join(sample_function("tomli/_parser.py", f) for f in ("parse_array", "parse_basic_str"))
    r = stream.feed(code)
    assert stream.holdback_tokens == p.window_code + p.stride_code
    held = (prose + code)[len(r.safe_text) :]
    assert len(normalize(held.split("```python\n")[-1], "python")) <= stream.holdback_tokens
    assert stream.close().safe_text == prose + code  # closing releases everything


def test_acheck_leaves_the_event_loop_free_and_gives_the_same_verdict(guard):
    answer = (FILLER * 4 + "```python\n" + FUNC + "```\n") * 12

    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before, t0 = ticks, time.perf_counter()
        verdict = await guard.acheck(answer)
        during, took = ticks - before, time.perf_counter() - t0
        task.cancel()
        return verdict, during, took

    verdict, during, took = asyncio.run(main())
    assert verdict == guard.check(answer)
    assert took > 0.005 and during >= 5  # a check run on the loop would let the ticker run zero times


def test_astream_gives_the_results_of_stream(guard, sample_index):
    blocking = Guard.open(sample_index, Policy(sources={"corpus/tomli/_parser.py": "block"}))

    async def main():
        s = blocking.astream(check_every=64)
        for i in range(0, len(ANSWER), 16):
            r = await s.feed(ANSWER[i : i + 16])
            if r.should_stop:
                return r
        return await s.close()

    r = asyncio.run(main())
    sync, _ = _run(blocking.stream(check_every=64), ANSWER)
    assert r.should_stop and r.safe_text == sync[-1].safe_text and r.verdict == sync[-1].verdict
