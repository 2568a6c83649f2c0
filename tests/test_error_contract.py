"""The error contract under the issue's repros (issue 10): exit 2, one line on stderr, no traceback, nothing lost.

Each case is what an unlucky operator or a hostile caller did; the CLI runs
as a user would run it (a subprocess), on real files, FIFOs and devices.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
ANSWER = (ROOT / "copyguard" / "samples" / "answer.md").read_text()


def cg(*args: str, stdin: str | bytes | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    r = subprocess.run([sys.executable, "-m", "copyguard", *args], input=data, capture_output=True, cwd=ROOT,
                       timeout=timeout)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode(errors="replace"))


def one_line_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr[-2000:]
    assert r.stderr.startswith("copyguard: error: "), r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "idx"
    r = cg("index", "build", str(CORPUS), "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


# --- check: paths that are not files ---------------------------------------------------


def test_check_a_symlink_loop(index, tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    one_line_error(cg("check", "--index", str(index), str(tmp_path / "loop")), "symbolic links")


def test_check_a_path_through_a_file(index, tmp_path):
    (tmp_path / "file").write_text("x")
    one_line_error(cg("check", "--index", str(index), str(tmp_path / "file" / "answer.md")), "not a directory")


def test_check_a_name_too_long(index):
    one_line_error(cg("check", "--index", str(index), "a" * 5000), "too long")


def test_check_an_index_path_that_is_a_symlink_loop(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    one_line_error(cg("check", "--index", str(tmp_path / "loop"), "-", stdin="hello"))


def test_check_dev_zero_and_urandom_stop_at_the_limit(index):
    one_line_error(cg("check", "--index", str(index), "/dev/zero", timeout=60), "device")
    one_line_error(cg("check", "--index", str(index), "/dev/urandom", timeout=60), "device")
    one_line_error(cg("check", "--index", str(index), "--max-bytes", "1000", "-", stdin=b"a" * 5000), "1,000-byte")


def test_a_fifo_without_a_writer_times_out(index, tmp_path):
    os.mkfifo(tmp_path / "fifo")
    one_line_error(cg("check", "--index", str(index), "--read-timeout", "1", str(tmp_path / "fifo"), timeout=60),
                   "no data within")


def test_max_bytes_caps_every_input_path(index, tmp_path):
    big = tmp_path / "big.md"
    big.write_text("word " * 1000)
    one_line_error(cg("check", "--index", str(index), "--max-bytes", "100", str(big)), "100-byte", "--max-bytes")
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"id": 1, "text": "word " * 1000}) + "\n")
    r = cg("check", "--index", str(index), "--max-bytes", "100", "--batch", str(batch))
    assert r.returncode == 2 and json.loads(r.stdout)["line"] == 1 and "100-byte" in r.stdout
    one_line_error(cg("normalize", "--max-bytes", "100", str(big)), "100-byte")
    one_line_error(cg("check", "--index", str(index), "--max-bytes", "0", str(big)), "--max-bytes")


# --- --batch: every good line answered, every bad line an error object ------------------


def _batch(index: Path, tmp_path: Path, raw: bytes, *extra: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(raw)
    r = cg("check", "--index", str(index), "--batch", str(path), *extra)
    assert "Traceback" not in r.stderr
    return r, [json.loads(line) for line in r.stdout.splitlines()]


def test_batch_bad_lines_are_answered_with_their_line_number_and_the_rest_still_checked(index, tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "hello"}),
        json.dumps({"id": "b", "text": "hi", "lang": 5}),
        '{"id": ' + "9" * 5000 + ', "text": "t"}',
        "[" * 100_000 + "]" * 100_000,
        '{"id": "c", "text": 5}',
        "not json",
        '{"id": NaN, "text": "nan id"}',
        json.dumps({"id": "d", "text": ANSWER}),
        '{"id": "e", "text": "fine", "lang": "klingon"}',
    ]
    r, out = _batch(index, tmp_path, "\n".join(lines).encode() + b"\n")
    assert r.returncode == 2
    assert "line" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    by_line = {o["line"]: o for o in out if "error" in o}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 9]
    assert "lang" in by_line[2]["error"] and "digits" in by_line[3]["error"] and "nested" in by_line[4]["error"]
    answered = [o for o in out if "action" in o]
    assert [o["id"] for o in answered] == ["a", "d"] and answered[1]["action"] != "allow"
    assert by_line[7].get("id") is None  # NaN is not echoed: the output stays valid JSON
    for line in r.stdout.splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"invalid JSON constant {c} in output"))


def test_batch_splits_only_on_newlines(index, tmp_path):
    texts = ["one\u2028two", "three\u2029four", "five\x85six", "seven\x0bseven\x0cseven\x1cseven"]
    raw = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(texts)) + "\r\n"
    r, out = _batch(index, tmp_path, raw.encode())
    assert r.returncode == 0, r.stderr
    assert [o["id"] for o in out] == [0, 1, 2, 3]


def test_batch_invalid_utf8_line_is_an_error_object(index, tmp_path):
    raw = json.dumps({"id": 1, "text": "ok"}).encode() + b"\n" + b'{"id": 2, "text": "caf\xe9"}\n'
    r, out = _batch(index, tmp_path, raw)
    assert r.returncode == 2 and out[0]["id"] == 1 and out[1]["line"] == 2 and "UTF-8" in out[1]["error"]


# --- policy, index writes, index damage -----------------------------------------------------


@pytest.mark.parametrize("body, word", [('min_similarity = "high"', "min_similarity"), ("max_sources = 0", "max_sources"),
                                        ("max_gap = 1.5", "max_gap"), ('licenses = "MIT"', "licenses"),
                                        ('[sources]\n"a" = ["block"]', "action"), ("min_tokens_code = true", "min_tokens")])
def test_bad_policy_values(index, tmp_path, body, word):
    (tmp_path / "p.toml").write_text(body + "\n")
    one_line_error(cg("check", "--index", str(index), "--policy", str(tmp_path / "p.toml"), "-", stdin="x"), word)


def _read_only(path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the CLI with ``path`` mounted read-only (root ignores permissions: a private read-only bind mount)."""
    command = [sys.executable, "-m", "copyguard", *args]
    if os.geteuid() != 0:
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        r = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
        return r
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(path), *command], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("command", ["add", "remove", "compact"])
def test_a_read_only_index_refuses_writes_in_one_line(index, tmp_path, command):
    copy = tmp_path / "idx"
    shutil.copytree(index, copy)
    before = (copy / "manifest.json").read_bytes()
    args = {"add": ["index", "add", str(CORPUS / "tomli"), "--index", str(copy)],
            "remove": ["index", "remove", "corpus/tomli/_re.py", "--index", str(copy)],
            "compact": ["index", "compact", "--index", str(copy)]}[command]
    one_line_error(_read_only(copy, *args))
    assert (copy / "manifest.json").read_bytes() == before


@pytest.mark.parametrize("damage", ["zero-length", "garbage"])
def test_a_damaged_npy_is_one_line(index, tmp_path, damage):
    copy = tmp_path / "idx"
    shutil.copytree(index, copy)
    [seg] = list((copy / "segments").iterdir())
    target = seg / "p_tok.npy"
    target.write_bytes(b"" if damage == "zero-length" else b"\x93NUMPY garbage" * 10)
    one_line_error(cg("check", "--index", str(copy), "-", stdin="hello"))
    one_line_error(cg("index", "verify", "--index", str(copy)))


# --- dedup and decontaminate ----------------------------------------------------------------


def test_dedup_invalid_utf8_in_jsonl(tmp_path):
    (tmp_path / "in.jsonl").write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    one_line_error(cg("dedup", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.parquet")), "UTF-8")
    assert not (tmp_path / "o.parquet").exists()


def test_dedup_out_is_a_directory_fails_before_the_work(tmp_path):
    pq.write_table(pa.table({"text": ["a b c d e f"] * 10}), tmp_path / "in.parquet")
    (tmp_path / "dir").mkdir()
    one_line_error(cg("dedup", str(tmp_path / "in.parquet"), "--out", str(tmp_path / "dir")), "folder")
    one_line_error(cg("dedup", str(tmp_path / "in.parquet"), "--out", str(tmp_path / "in.parquet")), "input")
    assert pq.read_table(tmp_path / "in.parquet").num_rows == 10


def test_decontaminate_non_string_text(index, tmp_path):
    pq.write_table(pa.table({"text": [1, 2]}), tmp_path / "in.parquet")
    one_line_error(cg("decontaminate", str(tmp_path / "in.parquet"), "--index", str(index),
                      "--out", str(tmp_path / "o.parquet")), "strings")
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(b'{"text": {"a": 1}}\n'))
    one_line_error(cg("decontaminate", str(tmp_path / "in.jsonl.gz"), "--index", str(index),
                      "--out", str(tmp_path / "o2.parquet")))


def test_decontaminate_out_is_a_directory_fails_before_the_index_is_read(tmp_path):
    pq.write_table(pa.table({"text": ["a b c"]}), tmp_path / "in.parquet")
    (tmp_path / "dir").mkdir()
    one_line_error(cg("decontaminate", str(tmp_path / "in.parquet"), "--index", str(tmp_path / "no-index"),
                      "--out", str(tmp_path / "dir")), "folder")


# --- hostile answers: fences, blocks --------------------------------------------------------


def test_thousands_of_fences_are_checked_within_the_block_limit(index):
    from copyguard.guard import MAX_CODE_BLOCKS, Guard

    func = (CORPUS / "tomli" / "_parser.py").read_text()[15_000:17_000]
    tiny = "".join(f"```{'python' if i % 2 else 'js'}\nx{i} = {i}\n```\n" for i in range(3 * MAX_CODE_BLOCKS))
    verdict = Guard.open(index).check(tiny + f"```python\n{func}\n```\n")
    assert verdict.truncated
    assert any(m.source == "corpus/tomli/_parser.py" for m in verdict.matches)  # the copy after the limit is found


# --- fail closed at build time --------------------------------------------------------------


@pytest.mark.parametrize("setup", ["empty folder", "only unreadable files"])
def test_a_build_with_nothing_to_index_is_an_error_unless_asked_for(tmp_path, setup):
    src = tmp_path / "src"
    src.mkdir()
    if setup == "only unreadable files":
        (src / "a.py").write_bytes(b"\x00\x01binary")
        (src / "b.txt").write_bytes("caf\xe9 latin-1".encode("latin-1"))
    one_line_error(cg("index", "build", str(src), "--out", str(tmp_path / "idx")), "nothing")
    assert not (tmp_path / "idx").exists()
    r = cg("index", "build", str(src), "--out", str(tmp_path / "idx"), "--allow-empty")
    assert r.returncode == 0, r.stderr
    one_line_error(cg("check", "--index", str(tmp_path / "idx"), "-", stdin="anything"), "no live passages")


def test_a_jsonl_gz_corpus_is_read(tmp_path):
    rows = [{"id": f"r{i}", "text": (CORPUS / "jargon" / "the-story-of-mel.txt").read_text()[i * 2000 : i * 2000 + 1500]}
            for i in range(3)]
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode()))
    r = cg("index", "build", str(tmp_path / "c.jsonl.gz"), "--out", str(tmp_path / "idx"), "--license", "GPL-3.0")
    assert r.returncode == 0 and "3 sources" in r.stdout, r.stdout + r.stderr
    r = cg("check", "--index", str(tmp_path / "idx"), "--json", "-", stdin=rows[1]["text"])
    assert r.returncode == 1 and json.loads(r.stdout)["action"] == "block"


def test_index_build_max_bytes_skips_larger_sources_without_reading_them(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "small.py").write_text((CORPUS / "tomli" / "_re.py").read_text())
    (src / "big.py").write_text((CORPUS / "tomli" / "_parser.py").read_text())
    r = cg("index", "build", str(src), "--out", str(tmp_path / "idx"), "--max-bytes", "10000")
    assert r.returncode == 0 and "1 sources" in r.stdout and "too-large" in r.stdout, r.stdout + r.stderr
    one_line_error(cg("index", "build", str(src), "--out", str(tmp_path / "idx2"), "--max-bytes", "0"), "--max-bytes")


def test_ten_megabytes_of_copies_are_refused_by_the_default_limit(index, tmp_path):
    func = (CORPUS / "tomli" / "_parser.py").read_text()[15_000:17_000]
    (tmp_path / "ten.md").write_text(f"```python\n{func}\n```\n" * 5_000)
    assert (tmp_path / "ten.md").stat().st_size > 10_000_000
    one_line_error(cg("check", "--index", str(index), str(tmp_path / "ten.md"), timeout=120), "8,388,608-byte")
    one_line_error(cg("check", "--index", str(index), "-", stdin=(tmp_path / "ten.md").read_bytes(), timeout=120),
                   "<stdin>")
