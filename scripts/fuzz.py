"""Coverage-guided fuzzing (atheris) of what a hostile answer reaches first: segments, normalize, check.

    pip install -e ".[fuzz]"
    python scripts/fuzz.py -dict=scripts/fuzz.dict -max_total_time=1800 build/fuzz-corpus   # libFuzzer flags

Each input is decoded into a target and a text (any code points, lone
surrogates included, as JSON can carry them). A finding is any exception
or any broken invariant:

- ``normalize.markdown.blocks``: ordered, non-overlapping blocks inside the text, kinds and languages valid;
- ``normalize``: every token span inside the text, non-empty, in order; a code token's ``exact`` hash
  is the hash of its characters; the text of a prose token's span, normalized alone, gives the same tokens;
- ``Guard.check`` (an index of the bundled sample corpus): never raises, every span inside the text,
  ``redact`` returns a string.

The first run writes the index to ``build/fuzz-index`` and reuses it after.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports(include=["copyguard"]):
    from copyguard.guard import Guard
    from copyguard.normalize import PROSE, normalize
    from copyguard.normalize.grammars import names
    from copyguard.normalize.markdown import blocks
    from copyguard.normalize.tokens import hash_string

LANGS = [None, *sorted(names())]
INDEX = ROOT / "build" / "fuzz-index"


def _guard() -> Guard:
    if not (INDEX / "manifest.json").exists():
        from copyguard.index.build import build_index

        build_index([str(ROOT / "copyguard" / "samples" / "corpus")], str(INDEX))
    return Guard.open(INDEX)


GUARD = _guard()


def check_blocks(text: str) -> None:
    pos = 0
    for b in blocks(text):
        assert pos <= b.start < b.end <= len(text), (b, pos, len(text))
        assert b.kind in ("prose", "code") and (b.kind == "code" or b.lang is None), b
        pos = b.end


def check_normalize(text: str, lang: str | None) -> None:
    ts = normalize(text, lang)
    starts, ends = ts.starts.tolist(), ts.ends.tolist()
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends)), "span outside the text"
    assert starts == sorted(starts), "tokens out of order"
    if ts.is_code:
        for i, (s, e) in enumerate(zip(starts, ends)):
            assert int(ts.exact[i]) == hash_string(text[s:e]), f"token {i} {text[s:e]!r}: exact hash differs"
        return
    by_span: dict[tuple[int, int], list[int]] = {}
    for i, span in enumerate(zip(starts, ends)):  # one character may fold to several words ("¾" is "3⁄4")
        by_span.setdefault(span, []).append(int(ts.exact[i]))
    spans = sorted(by_span)
    for i, (s, e) in enumerate(spans[:50]):  # a span no other overlaps ("0¼" folds to the one word "01" and "4")
        if (i and spans[i - 1][1] > s) or (i + 1 < len(spans) and spans[i + 1][0] < e):
            continue
        again = normalize(text[s:e], PROSE).exact.tolist()
        assert again == by_span[(s, e)], f"{text[s:e]!r} normalized alone gives other tokens"


def check_guard(text: str, lang: str | None) -> None:
    verdict = GUARD.check(text, lang)
    for m in verdict.matches:
        assert 0 <= m.output_span[0] < m.output_span[1] <= len(text), m
    assert isinstance(GUARD.redact(text, lang, verdict), str)


def one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 3)
    lang = LANGS[fdp.ConsumeIntInRange(0, len(LANGS) - 1)] if fdp.ConsumeBool() else None
    text = fdp.ConsumeUnicode(fdp.remaining_bytes())
    if target == 0:
        check_blocks(text)
    elif target == 1:
        check_normalize(text, lang)
    else:
        check_guard(text, lang if target == 3 else None)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
