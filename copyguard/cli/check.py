"""``copyguard check``: check model output before display; exit 0 allowed, 1 flagged, 2 error.

The output format is a contract scripts depend on: see README "CLI contract".
"""

from __future__ import annotations

import argparse
import json
import sys

from .options import add_index, add_input_limits, add_policy, command, load_policy


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "check", "check model output for copies of indexed content", [
        "copyguard check --index corpus.cgidx answer.md",
        "llm 'write a TOML parser' | copyguard check --index corpus.cgidx --json",
        "copyguard check --index corpus.cgidx --batch answers.jsonl --policy policy.toml",
        "copyguard check --index corpus.cgidx answer.md --redact > safe.md",
        "copyguard check --index books.cgidx --index code.cgidx answer.md",
    ], "Check model output; exit 0 when allowed, 1 when anything is flagged, 2 on a usage or input error.")
    p.add_argument("file", nargs="?", default="-", help="output to check (default: standard input)")
    add_index(p, many=True)
    p.add_argument("--batch", metavar="FILE.jsonl",
                   help='one {"id": ..., "text": ...} object per line; prints one verdict per line, or for a bad '
                        'line {"line": N, "error": ...} (then exit 2 once every line is answered)')
    p.add_argument("--json", action="store_true", help="print the verdict as one JSON object")
    p.add_argument("--lang", help="treat the whole output as this language ('prose' for prose); default: "
                                  "from FILE's extension when it names a language (a.py, b.ts), else detected")
    add_policy(p)
    add_input_limits(p)
    p.add_argument("--redact", action="store_true",
                   help="print the output with the copies the policy redacts or blocks replaced by markers; "
                        'with --json or --batch, add it to each verdict as "redacted"')
    p.add_argument("--html", metavar="REPORT.html",
                   help="also write the review page for every checked output (answer beside each source) to this file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..guard import Guard
    from ..textio import read_text

    guard = Guard.open(args.index, load_policy(args))
    reviews: list[dict] | None = [] if args.html else None
    if args.batch:
        code = _run_batch(guard, args.batch, args.lang, args.redact, reviews, args.max_bytes)
        _write_html(args.html, reviews)
        return code
    text = read_text(args.file, args.max_bytes, args.read_timeout)
    lang = args.lang or _lang_of(args.file)
    verdict = guard.check(text, lang)
    if reviews is not None:
        _write_html(args.html, [_review(guard, text, verdict, args.file)])
    if args.json:
        print(json.dumps(_body(guard, text, verdict, args.redact, lang), ensure_ascii=False))
    elif args.redact:
        sys.stdout.write(guard.redact(text, lang, verdict))
    else:
        print(render(text, verdict))
    return 1 if verdict.flagged else 0


def _lang_of(path: str) -> str | None:
    """The language a file's extension names (``a.py`` -> python), as ``copyguard normalize`` reads it."""
    from ..normalize.grammars import for_path

    grammar = for_path(path) if path != "-" else None
    return grammar.name if grammar else None


def _body(guard, text: str, verdict, redacted: bool, lang: str | None) -> dict:
    """The verdict as JSON, with the redacted text (re-checked until clean) under ``"redacted"`` when asked for."""
    body = verdict.to_dict()
    if redacted:
        body["redacted"] = guard.redact(text, lang, verdict)
    return body


def _review(guard, text: str, verdict, id) -> dict:
    from ..service.review import review_of

    return review_of(guard.indexes, guard.policy, text, verdict, id)


def _write_html(path: str | None, reviews: list[dict] | None) -> None:
    """The static review report (``--html``), written whole or not at all."""
    if path is None or reviews is None:
        return
    import os

    from ..errors import InputError
    from ..service.review import report_html

    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(report_html(reviews))
        os.replace(tmp, path)
    except OSError as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"--html {path}: cannot write the report ({err.strerror})") from None


def _run_batch(guard, path: str, lang: str | None, redacted: bool = False, reviews: list[dict] | None = None,
               max_bytes: int = 0) -> int:
    """One verdict per good line, one ``{"line", "id"?, "error"}`` object per bad one; exit 2 at the end if any was bad.

    Lines are split on ``\\n`` only (JSON strings may hold U+2028 and friends);
    each is read up to ``max_bytes``, so one huge line costs no more memory.
    """
    from ..errors import CopyguardError, InputError
    from ..textio import MAX_BYTES, read_lines

    max_bytes = max_bytes or MAX_BYTES
    flagged, bad, first_bad = False, 0, ""
    for lineno, raw in read_lines(path, max_bytes):
        if raw is not None and not raw.strip():
            continue
        obj: dict | None = None
        try:
            obj = _json_object(raw, max_bytes)
            text, item_lang = _item(obj, lang, max_bytes)
            verdict = guard.check(text, item_lang)
        except CopyguardError as err:
            bad += 1
            first_bad = first_bad or f"line {lineno}: {err}"
            error: dict = {"line": lineno}
            if obj is not None and _valid_id(obj.get("id")):
                error["id"] = obj.get("id")
            print(json.dumps({**error, "error": str(err)}, ensure_ascii=False), flush=True)
            continue
        flagged |= verdict.flagged
        if reviews is not None:
            reviews.append(_review(guard, text, verdict, obj.get("id")))
        print(json.dumps({"id": obj.get("id"), **_body(guard, text, verdict, redacted, item_lang)}, ensure_ascii=False),
              flush=True)
    if bad:
        raise InputError(f"{path}: {bad} bad line{'s' if bad > 1 else ''}, each answered with an error object; "
                         f"the first: {first_bad}")
    return 1 if flagged else 0


def _json_object(raw: bytes | None, max_bytes: int) -> dict:
    """One batch line as a JSON object, or ``InputError`` saying why it is not one."""
    from ..errors import InputError
    from ..textio import too_large

    if raw is None:
        raise too_large("the line", max_bytes)
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"not valid UTF-8 (byte {err.start})") from None
    try:
        obj = json.loads(line, parse_constant=_no_constant)
    except RecursionError:
        raise InputError("not a JSON object (nested too deeply)") from None
    except json.JSONDecodeError as err:
        raise InputError(f"not a JSON object ({err.msg} at column {err.colno})") from None
    except ValueError as err:  # NaN and Infinity, integers over Python's digit limit
        reason = "a number has too many digits" if "digits" in str(err) else str(err)
        raise InputError(f"not a JSON object ({reason})") from None
    if not isinstance(obj, dict):
        raise InputError('expected a JSON object {"id": ..., "text": "..."}')
    return obj


def _item(obj: dict, lang: str | None, max_bytes: int) -> tuple[str, str | None]:
    """The text and language of a batch object, or ``InputError`` naming the field that is wrong."""
    from ..errors import InputError
    from ..textio import too_large

    if not _valid_id(obj.get("id")):
        raise InputError(f'"id" must be a string, a finite number or null, got {type(obj.get("id")).__name__}')
    text, item_lang = obj.get("text"), obj.get("lang", lang)
    if not isinstance(text, str):
        raise InputError(f'"text" must be a string, got {type(text).__name__}')
    if not (item_lang is None or isinstance(item_lang, str)):
        raise InputError(f'"lang" must be a language name or null, got {item_lang!r}')
    if len(text) > max_bytes:
        raise too_large('"text"', max_bytes)
    return text, item_lang


def _valid_id(value: object) -> bool:
    """A JSON scalar that survives a round trip: no NaN or infinity."""
    import math

    return value is None or isinstance(value, (str, int, bool)) or (isinstance(value, float) and math.isfinite(value))


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def render(text: str, verdict) -> str:
    """A readable report: the action, then each match with both spans and an excerpt."""
    lines = [f"action: {verdict.action} ({len(verdict.matches)} match{'es' if len(verdict.matches) != 1 else ''})"]
    if verdict.discounted:
        lines.append(f"discounted as boilerplate (copies only when shared boilerplate counts): "
                     f"{', '.join(verdict.discounted)}")
    for s, e in verdict.base:
        first, last = text.count("\n", 0, s) + 1, text.count("\n", 0, max(e - 1, s)) + 1
        lines.append(f"declared base code, not reported: output chars {s}-{e} (lines {first}-{last})")
    for i, m in enumerate(verdict.matches, 1):
        s, e = m.output_span
        line_no = text.count("\n", 0, s) + 1
        where = f" in {m.index}" if m.index else ""
        lines.append(f"[{i}] {m.kind} copy of {m.source}{where} (license: {m.license or 'unknown'}), "
                     f"similarity {m.similarity:.2f}, {m.tokens} tokens")
        lines.append(f"    output chars {s}-{e} (line {line_no}) <- source chars "
                     f"{m.source_span[0]}-{m.source_span[1]}")
        if m.boilerplate:
            lines.append(f"    not counted: {m.boilerplate} of its tokens, boilerplate held by many sources")
        if m.renames:
            shown = ", ".join(f"{new} <- {old}" for new, old in list(m.renames.items())[:8])
            lines.append(f"    renamed: {shown}")
        excerpt = text[text.rfind("\n", 0, s) + 1 : e].strip().splitlines()  # from the start of its line
        for row in excerpt[:3]:
            lines.append(f"    | {row[:100]}")
        if len(excerpt) > 3:
            lines.append(f"    | ... ({len(excerpt) - 3} more lines)")
    return "\n".join(lines)
