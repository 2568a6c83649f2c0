"""``copyguard normalize``: show the token stream of a file, to see why two snippets compare equal."""

from __future__ import annotations

import argparse
import json

from .options import add_input_limits, command


def register(sub: argparse._SubParsersAction) -> None:
    p = command(sub, "normalize", "print the normalized token stream of a file", [
        "copyguard normalize parser.py", "copyguard normalize snippet.txt --lang js --json",
        "copyguard normalize chapter.txt --lang prose"],
        "Print each token with its character span, kind and normalized hash.")
    p.add_argument("file", help="file to normalize, or - for standard input")
    p.add_argument("--lang", help="language (grammar name or alias, or 'prose'); "
                                  "default: from the file extension, else prose")
    p.add_argument("--json", action="store_true", help="one JSON object per token")
    add_input_limits(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..normalize import PROSE, PROSE_ALIASES, normalize
    from ..normalize.code import normalize_code_spans
    from ..normalize.grammars import for_path
    from ..normalize.tokens import Kind
    from ..textio import read_text

    text = read_text(args.file, args.max_bytes, args.read_timeout)
    lang = args.lang
    if lang is None and args.file != "-":
        grammar = for_path(args.file)
        lang = grammar.name if grammar else PROSE
    lang = lang or PROSE
    parsed = True
    if lang in PROSE_ALIASES:
        ts = normalize(text, lang)
    else:
        ts, _, parsed = normalize_code_spans(text, lang)
    # a check reads such code the same way, and says "truncated"
    given_up = "" if parsed else ", parse given up at its budget (grammars.parse_budget): lexed without a tree"
    print(f"# {args.file}: {len(ts)} tokens, language {ts.lang}{given_up}")
    for i in range(len(ts)):
        s, e = int(ts.starts[i]), int(ts.ends[i])
        kind = Kind(int(ts.kinds[i])).name.lower()
        if args.json:
            print(json.dumps({"start": s, "end": e, "kind": kind, "text": text[s:e], "hash": f"{int(ts.hashes[i]):016x}"}))
        else:
            print(f"{s:>7}-{e:<7} {kind:<7} {int(ts.hashes[i]):016x}  {text[s:e]!r}")
    return 0
