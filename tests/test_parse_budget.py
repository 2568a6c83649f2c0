"""The parse budget: tree-sitter's parse of hostile text is given up, the same way in both implementations.

``tests/data/parse/tsx-hang.json`` holds ``[language, text]``: 199 random printable characters on which
tree-sitter 0.26.1's TSX grammar recovers from errors for minutes (found by random text, final review of
the 2026-12-07 stop). With the budget (``grammars.parse_budget``: progress callbacks, which the runtime makes
every 100 parse operations) its parse is given up after a few hundred callbacks: the code is lexed without a
tree, the check's verdict says ``truncated``, and a build indexes the file and says so.
"""

from __future__ import annotations

import faulthandler
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from copyguard import compiled
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.normalize import grammars
from copyguard.normalize.code import normalize_code_spans
from copyguard.normalize.detect import code_blocks, detect_language

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
LANG, HANG = json.loads((ROOT / "tests" / "data" / "parse" / "tsx-hang.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def no_hang():
    """Without the budget these parses run for minutes: fail with tracebacks rather than hang the suite."""
    faulthandler.dump_traceback_later(240, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def both(fn, *args):
    """``fn`` run compiled, then on the numpy reference."""
    assert compiled.core() is not None, "copyguard._core is not built or is stale: run pip install -e ."
    fast = fn(*args)
    with compiled.reference():
        slow = fn(*args)
    return fast, slow


def same_parts(a, b) -> None:
    for f in ("hashes", "exact", "starts", "ends", "kinds", "units"):
        x, y = getattr(a.code, f), getattr(b.code, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f
    assert a.words == b.words and a.parsed == b.parsed


def binding_callbacks(text: str, lang: str) -> tuple[int, int]:
    """Progress callbacks the binding's parse of ``text`` makes when nothing stops it: in the parse itself (the
    budget counts those), and in all, with those of the rebalancing of the finished tree after it.

    The runtime logs every step of the parse and none of the rebalancing: the parse's calls are those made
    before its last log line (``done`` is logged after the rebalancing)."""
    data = text.encode("utf-8", "surrogatepass")
    calls = parse_calls = 0

    def progress(_offset: int, _has_error: bool) -> bool:
        nonlocal calls
        calls += 1
        return False

    def log(_type, message: str) -> None:
        nonlocal parse_calls
        if message != "done":
            parse_calls = calls

    p = grammars.parser(grammars.get(lang))
    p.logger = log
    try:
        p.parse(lambda at, _point: data[at:], progress_callback=progress)
    finally:
        p.logger = None
    return parse_calls, calls


def test_the_repro_is_given_up_and_lexed_without_a_tree_alike_in_both_implementations():
    fast, slow = both(normalize_code_spans, HANG, LANG)
    same_parts(fast, slow)
    assert not fast.parsed
    assert len(fast.code) > 50 and fast.words == []  # every word and mark lexed; no comment or string told apart
    assert fast.code.token_text(0) == "r"


@pytest.mark.parametrize("lang,path", [
    ("python", CORPUS / "tomli" / "_parser.py"),
    ("tsx", ROOT / "tests" / "data" / "core" / "HydrationBoundary.tsx"),
    ("java", ROOT / "tests" / "data" / "core" / "Ledger.java"),
])
def test_both_implementations_give_up_at_the_same_callback(lang, path, monkeypatch):
    """The compiled core's runtime and the binding count the same callbacks: a budget of exactly what the parse
    takes lets both finish (the binding's rebalancing of the tree after the parse, which the compiled core
    skips, is not counted), one less makes both give up, so verdicts never depend on the implementation."""
    text = path.read_text(encoding="utf-8")
    needed, with_rebalancing = binding_callbacks(text, lang)
    assert needed > 3
    # the binding's parse within a budget of ``needed`` is stopped while it rebalances: it must finish it
    assert with_rebalancing > needed
    assert needed <= grammars.parse_budget(len(text.encode())) // 4  # real code stays far inside the default
    monkeypatch.setattr(grammars, "parse_budget", lambda n_bytes: needed)
    fast, slow = both(normalize_code_spans, text, lang)
    same_parts(fast, slow)
    assert fast.parsed and fast.words
    monkeypatch.setattr(grammars, "parse_budget", lambda n_bytes: needed - 1)
    cut_fast, cut_slow = both(normalize_code_spans, text, lang)
    same_parts(cut_fast, cut_slow)
    assert not cut_fast.parsed and cut_fast.words == []
    # a parser that gave up starts the next text afresh (the runtime would resume the abandoned parse)
    monkeypatch.undo()
    again = both(normalize_code_spans, text, lang)
    same_parts(again[0], fast)
    same_parts(again[1], fast)


def test_a_grown_hostile_text_is_given_up_within_a_linear_budget():
    text = HANG * 20 + "\n"
    fast, slow = both(normalize_code_spans, text, LANG)
    same_parts(fast, slow)
    assert not fast.parsed


# Two TSX markers before the repro: detection then parses the whole text as TSX (for minutes without the budget).
MARKED = "interface CardProps { title: string }\nconst [n, setN] = useState<number>(0);\n" + HANG


def test_detection_gives_up_on_the_repro_too():
    """Detection parses the text as its candidate languages with the same budget; a parse given up reads as
    all errors, so the language whose parse finished wins."""
    assert detect_language(MARKED) == "typescript"
    answer = "Here is some code:\n\n" + MARKED + "\n\nThat was it.\n"
    assert all(s < e for s, e, _ in code_blocks(answer))


@pytest.fixture(scope="module")
def idx(tmp_path_factory) -> Path:
    """The sample corpus plus the repro as a .tsx file, built by the CLI."""
    root = tmp_path_factory.mktemp("budget")
    corpus = root / "corpus"
    (corpus / "tomli").mkdir(parents=True)
    (corpus / "tomli" / "_parser.py").write_text((CORPUS / "tomli" / "_parser.py").read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    (corpus / "hang.tsx").write_text(HANG, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "copyguard", "index", "build", str(corpus), "--out", str(root / "idx"),
                        "--license", "GPL-3.0-only"], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert ": 2 sources" in r.stdout
    assert "indexed 1 source(s) as unparsed code" in r.stdout and "hang.tsx" in r.stdout
    return root / "idx"


def test_a_build_indexes_both_files_and_reports_the_one_given_up(idx):
    index = Index.open(idx)
    assert index.stats()["sources"] == 2


@pytest.mark.parametrize("reference", [False, True])
def test_a_check_of_the_repro_finishes_truncated_and_still_finds_a_copy_beside_it(idx, reference):
    guard = Guard.open(idx)
    source = (CORPUS / "tomli" / "_parser.py").read_text(encoding="utf-8")
    start = source.index("def parse_basic_str_escape")
    copy = source[start : start + 1500]
    answer = f"Copied:\n\n```python\n{copy}\n```\n\nAnd:\n\n```tsx\n{HANG}\n```\n"
    if reference:
        with compiled.reference():
            fenced, whole, clean = guard.check(answer), guard.check(HANG, LANG), guard.check(f"```python\n{copy}\n```")
    else:
        fenced, whole, clean = guard.check(answer), guard.check(HANG, LANG), guard.check(f"```python\n{copy}\n```")
    assert fenced.truncated and whole.truncated and not clean.truncated
    assert any(m.source.endswith("_parser.py") for m in fenced.matches)
    assert not any(m.source.endswith("_parser.py") for m in whole.matches)
    assert fenced.to_dict()["truncated"] is True


def test_the_cli_check_of_the_repro_file_exits_with_a_truncated_verdict(idx, tmp_path):
    path = tmp_path / "answer.tsx"
    path.write_text(HANG, encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "copyguard", "check", "--index", str(idx), str(path), "--json"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode in (0, 1), r.stderr
    assert json.loads(r.stdout)["truncated"] is True
