"""Guardrails AI: ``Guard().use(ProtectedMaterial(...))`` on strings, and streamed from a generator as the LLM."""

from __future__ import annotations

import pytest
from sample_corpus import ANNOTATED, BLOCKED, CLEAN, REDACTED

from copyguard.normalize import normalize

PREAMBLE = "Let me explain how the parser handles inline tables before showing the code. " * 6 + "\n\n"


@pytest.fixture(scope="module", autouse=True)
def no_metrics(tmp_path_factory):
    """What ``guardrails configure --disable-metrics`` writes: no telemetry leaves the machine."""
    home = tmp_path_factory.mktemp("home")
    (home / ".guardrailsrc").write_text("enable_metrics=false\nuse_remote_inferencing=false\n")
    mp = pytest.MonkeyPatch()
    mp.setenv("HOME", str(home))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def validator_class():
    from copyguard.integrations.guardrails_ai import ProtectedMaterial

    return ProtectedMaterial


def _guard(validator_class, guard, on_fail):
    from guardrails import Guard

    return Guard().use(validator_class(guard=guard, on_fail=on_fail))


def test_registered_under_its_hub_name(validator_class):
    from guardrails.validator_base import validators_registry

    assert validators_registry["copyguard/protected_material"] is validator_class


def test_a_copy_fails_with_the_redacted_fix_one_span_per_copy_and_the_attribution(validator_class, guard):
    outcome = _guard(validator_class, guard, "noop").validate(BLOCKED)
    assert outcome.validation_passed is False
    [summary] = outcome.validation_summaries
    [span] = summary.error_spans
    start = BLOCKED.index("def parse_inline_table")
    assert (span.start, span.end) == (start, start + len(BLOCKED[start:].rstrip("`\n")))
    assert span.reason == "verbatim copy of corpus/tomli/_parser.py (license MIT)"
    result = validator_class(guard=guard).validate(BLOCKED, {})
    assert result.fix_value == guard.redact(BLOCKED) and "[copyguard: removed" in result.fix_value
    assert result.metadata["copyguard"]["decided_by"]["rule"] == 'sources["corpus/tomli/_parser.py"]'


def test_fix_redacts_exception_refuses_and_clean_or_annotated_pass_unchanged(validator_class, guard):
    from guardrails.errors import ValidationError

    fixed = _guard(validator_class, guard, "fix").validate(REDACTED).validated_output
    assert fixed.startswith("Sure.") and fixed.endswith("Hope this helps.") and "overgeneralizing" not in fixed
    with pytest.raises(ValidationError, match="corpus/tomli/_parser.py"):
        _guard(validator_class, guard, "exception").validate(BLOCKED)
    strict = _guard(validator_class, guard, "exception")
    for answer in (CLEAN, ANNOTATED):
        outcome = strict.validate(answer)
        assert outcome.validation_passed and outcome.validated_output == answer
    annotated = validator_class(guard=guard).validate(ANNOTATED, {})
    assert annotated.metadata["copyguard"]["matches"][0]["source"] == "corpus/resolvelib/resolvers/resolution.py"


def _llm(text: str):
    def generate(*, messages=None, **kwargs):
        for i in range(0, len(text), 12):
            yield text[i : i + 12]

    return generate


def _streamed(guard, answer: str) -> str:
    return "".join(o.validated_output or "" for o in guard(_llm(answer), messages=[{"role": "user", "content": "hi"}],
                                                          stream=True))


def test_a_streamed_copy_is_cut_within_one_window_of_its_start(validator_class, guard):
    answer = PREAMBLE + BLOCKED
    out = _streamed(_guard(validator_class, guard, "fix"), answer)
    start = answer.index("def parse_inline_table")
    shown, marker, _ = out.partition("[copyguard: removed")
    assert marker and answer.startswith(shown) and len(shown) >= len(PREAMBLE)
    assert len(normalize(shown[start:], "python")) <= guard.params.window_code + guard.params.stride_code
    assert "nested_dict" not in out and "TOMLDecodeError" not in out


def test_an_annotated_copy_never_stops_a_stream(validator_class, guard):
    answer = PREAMBLE + ANNOTATED
    assert _streamed(_guard(validator_class, guard, "exception"), answer) == answer
    assert _streamed(_guard(validator_class, guard, "fix"), answer) == answer
