"""The CLI contract: exit codes, one-line errors, JSON shapes, batch mode, every command documented."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
ANSWER = ROOT / "copyguard" / "samples" / "answer.md"


def cg(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "copyguard", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "idx"
    r = cg("index", "build", str(CORPUS), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "18 sources" in r.stdout and "skipped" in r.stdout  # LICENSE files are counted as skipped
    return out


def test_check_json_verdict_and_exit_code_1_when_flagged(index):
    r = cg("check", "--index", str(index), str(ANSWER), "--json")
    assert r.returncode == 1, r.stderr
    verdict = json.loads(r.stdout)
    assert verdict["action"] in ("annotate", "redact", "block")
    kinds = {m["source"]: m["kind"] for m in verdict["matches"]}
    assert kinds["corpus/tomli/_parser.py"] == "renamed"
    assert kinds["corpus/jargon/hacker-writing-style.txt"] == "near"
    for m in verdict["matches"]:
        assert set(m) >= {"source", "license", "kind", "similarity", "output_span", "source_span"}
        assert 0.0 <= m["similarity"] <= 1.0 and m["output_span"][0] < m["output_span"][1]


def test_check_clean_text_from_stdin_exits_0(index):
    r = cg("check", "--index", str(index), "-", stdin="Nothing copied here, just a friendly answer.\n")
    assert r.returncode == 0 and r.stdout.startswith("action: allow")


def test_check_batch_prints_one_verdict_per_line_with_its_id(index, tmp_path):
    batch = tmp_path / "b.jsonl"
    lines = [{"id": "a", "text": ANSWER.read_text()}, {"id": 7, "text": "hello there"}]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    r = cg("check", "--index", str(index), "--batch", str(batch))
    assert r.returncode == 1
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert out[0]["action"] != "allow" and out[1] == {"id": 7, "action": "allow", "decided_by": None, "matches": []}


@pytest.fixture(scope="module")
def redacting(tmp_path_factory) -> Path:
    policy = tmp_path_factory.mktemp("policy") / "redact.toml"
    policy.write_text('[licenses]\nMIT = "redact"\n')
    return policy


def test_redact_flag_prints_the_redacted_output(index, redacting):
    r = cg("check", "--index", str(index), str(ANSWER), "--redact", "--policy", str(redacting))
    assert "[copyguard: removed a renamed copy of corpus/tomli/_parser.py" in r.stdout
    assert "idx += 1" not in r.stdout
    # the public-domain paragraph is only annotated: it stays
    assert "jargon" not in r.stdout and ANSWER.read_text().split("\n\n")[-1].strip()[:40] in r.stdout


def test_redact_follows_the_policy_an_allowed_copy_stays_and_exits_0(index, tmp_path):
    policy = tmp_path / "allow.toml"
    policy.write_text('[licenses]\nMIT = "allow"\n"LicenseRef-public-domain" = "allow"\n')
    r = cg("check", "--index", str(index), str(ANSWER), "--redact", "--policy", str(policy))
    assert r.returncode == 0 and r.stdout == ANSWER.read_text()
    r = cg("check", "--index", str(index), str(ANSWER), "--json", "--redact", "--policy", str(policy))
    verdict = json.loads(r.stdout)
    assert r.returncode == 0 and verdict["action"] == "allow" and verdict["matches"]
    assert verdict["redacted"] == ANSWER.read_text()
    assert {m["rule"] for m in verdict["matches"]} == {'licenses["MIT"]', 'licenses["LicenseRef-public-domain"]'}


def test_redact_with_json_and_batch_adds_a_redacted_field(index, redacting, tmp_path):
    r = cg("check", "--index", str(index), str(ANSWER), "--json", "--redact", "--policy", str(redacting))
    verdict = json.loads(r.stdout)
    assert r.returncode == 1 and verdict["action"] == "redact"
    assert verdict["decided_by"]["rule"] == 'licenses["MIT"]'
    assert verdict["matches"][verdict["decided_by"]["match"]]["source"] == "corpus/tomli/_parser.py"
    assert "idx += 1" not in verdict["redacted"] and "[copyguard: removed a renamed copy" in verdict["redacted"]
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"id": "a", "text": ANSWER.read_text()}) + "\n" + json.dumps({"id": "b", "text": "hi"}))
    r = cg("check", "--index", str(index), "--batch", str(batch), "--redact", "--policy", str(redacting))
    a, b = (json.loads(line) for line in r.stdout.splitlines())
    assert a["redacted"] == verdict["redacted"] and b["redacted"] == "hi"


@pytest.mark.parametrize("setup, args, message", [
    ("binary", ["normalize", "{f}"], "binary"),
    ("latin1", ["normalize", "{f}"], "not valid UTF-8"),
    (None, ["normalize", "{f}"], "no such file"),
    ("text", ["normalize", "{f}", "--lang", "klingon"], "klingon"),
    (None, ["check", "--index", "{f}", "-"], "{f}"),
    ("text", ["index", "remove", "nope", "--index", "{f}"], ""),
])
def test_user_errors_give_one_line_and_exit_2(tmp_path, setup, args, message):
    f = tmp_path / "input"
    if setup == "binary":
        f.write_bytes(b"\x00\x01\x02 binary")
    elif setup == "latin1":
        f.write_bytes("caf\xe9".encode("latin-1"))
    elif setup == "text":
        f.write_text("x = 1\n")
    r = cg(*[a.format(f=f) for a in args], stdin="")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("copyguard: error: ") and message.format(f=f) in r.stderr


def test_index_add_remove_stats_compact(index, tmp_path):
    import shutil

    idx = tmp_path / "idx"
    shutil.copytree(index, idx)
    r = cg("index", "remove", "corpus/tomli/_parser.py", "--index", str(idx))
    assert r.returncode == 0 and "removed 1" in r.stdout
    assert cg("check", "--index", str(idx), str(ANSWER), "--json").returncode == 1  # the paragraph remains
    verdict = json.loads(cg("check", "--index", str(idx), str(ANSWER), "--json").stdout)
    assert "corpus/tomli/_parser.py" not in {m["source"] for m in verdict["matches"]}
    assert cg("index", "compact", "--index", str(idx)).returncode == 0
    stats = json.loads(cg("index", "stats", "--index", str(idx), "--json").stdout)
    assert stats["segments"] == 1 and stats["live_sources"] == 17


def test_normalize_prints_tokens_with_spans(tmp_path):
    f = tmp_path / "a.py"
    f.write_text("def f(x):\n    return x + 1\n")
    r = cg("normalize", str(f))
    assert r.returncode == 0
    assert re.search(r"^\s+0-3\s+other", r.stdout, re.M) and "ident" in r.stdout and "literal" in r.stdout


def test_normalize_says_when_a_parse_was_given_up(tmp_path):
    lang, text = json.loads((ROOT / "tests" / "data" / "parse" / "tsx-hang.json").read_text())
    assert lang == "tsx"
    f = tmp_path / "hang.tsx"
    f.write_text(text, encoding="utf-8")
    given_up = cg("normalize", str(f))
    assert given_up.returncode == 0 and "parse given up" in given_up.stdout.splitlines()[0], given_up.stdout[:300]
    f.write_text("const x = <div>{a}</div>;\n")
    assert "given up" not in cg("normalize", str(f)).stdout


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    from copyguard.cli import COMMANDS

    for name in COMMANDS:
        assert f"copyguard {name}" in readme, f"README does not document `copyguard {name}`"
    for action in ("build", "add", "remove", "compact", "stats"):
        assert f"copyguard index {action}" in readme


def test_every_command_help_ends_with_examples():
    import argparse

    from copyguard.cli import build_parser

    def leaves(parser: argparse.ArgumentParser, path: list[str]):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            yield path, parser
        for action in subs:
            for name, child in action.choices.items():
                yield from leaves(child, path + [name])

    found = list(leaves(build_parser(), []))
    assert len(found) >= 10
    for path, parser in found:
        examples = [line for line in (parser.epilog or "").splitlines() if line.strip().startswith("copyguard ")]
        assert examples, f"copyguard {' '.join(path)} --help has no example"
        assert all(e.split()[1] == path[0] for e in examples), (path, examples)


def test_check_takes_the_language_from_the_file_extension(index, tmp_path):
    source = (CORPUS / "tomli" / "_parser.py").read_text()
    start = source.index('"""', source.index("def parse_basic_str_escape"))  # a raw file that starts with a docstring
    raw = tmp_path / "copy.py"
    raw.write_text(source[start : start + 2500])
    r = cg("check", "--index", str(index), str(raw), "--json")
    assert r.returncode == 1, r.stderr
    assert any(m["source"].endswith("tomli/_parser.py") for m in json.loads(r.stdout)["matches"])


def test_demo_the_quickstart_finds_both_sample_copies_and_shows_them_redacted():
    r = cg("demo")
    assert r.returncode == 0, r.stderr
    report, _, redacted = r.stdout.partition("under a policy that redacts every copy")
    assert "renamed copy of corpus/tomli/_parser.py (license: MIT)" in report
    assert "renamed: idx <- pos" in report
    assert "near copy of corpus/jargon/hacker-writing-style.txt" in report
    assert "[copyguard: removed a renamed copy of corpus/tomli/_parser.py (MIT)]" in redacted
    assert "[copyguard: removed a near copy of corpus/jargon/hacker-writing-style.txt" in redacted
    assert "state.set(name, Flags.FROZEN" not in redacted and "Spock groks" not in redacted
    assert "Let me know if you want the array parser as well." in redacted
