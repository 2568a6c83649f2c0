"""Declared base code (starter code every answer contains): stored with the index or the policy, never reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from copyguard.base import shingle_set
from copyguard.corpus import Document
from copyguard.errors import IndexStoreError
from copyguard.guard import Guard
from copyguard.index import Index
from copyguard.index.build import add_to_index, build_index
from copyguard.params import Params
from copyguard.policy import Policy

ROOT = Path(__file__).resolve().parents[1]

STARTER = '''"""Homework 3: inventory report.

Read the inventory file given on the command line, compute the totals per
category and print a report sorted by value. Do not change the functions
marked DO NOT EDIT: the grader calls them.
"""
import csv
import sys


def read_inventory(path):
    """Read the CSV inventory file and return a list of row dictionaries.

    DO NOT EDIT: the grader calls this function with its own files.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return [dict(row) for row in reader]


def print_report(totals):
    """Print one line per category, the most valuable category first.

    DO NOT EDIT: the grader compares this output with its own.
    """
    for category, value in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{category:<20} {value:>12.2f}")


def main():
    rows = read_inventory(sys.argv[1])
    totals = compute_totals(rows)
    print_report(totals)


if __name__ == "__main__":
    main()
'''

# One student's own work, indexed with the starter around it (as a submission is).
SOLUTION = '''def compute_totals(rows):
    """Sum quantity times unit price per category, skipping rows without a category.

    Rows whose quantity or price cannot be parsed count as zero, and a
    warning naming the row is printed to standard error.
    """
    totals = {}
    for number, row in enumerate(rows, start=2):
        category = (row.get("category") or "").strip()
        if not category:
            continue
        try:
            value = int(row["quantity"]) * float(row["unit_price"])
        except (KeyError, ValueError):
            print(f"warning: row {number} has no usable quantity or price", file=sys.stderr)
            value = 0.0
        totals[category] = totals.get(category, 0.0) + value
    return totals
'''

OTHER = '''def compute_totals(rows):
    """Group the rows by category and add up what each category is worth."""
    result = {}
    for row in rows:
        key = row.get("category", "").strip()
        if key == "":
            continue
        worth = float(row.get("unit_price", 0) or 0) * int(row.get("quantity", 0) or 0)
        result[key] = result.get(key, 0.0) + worth
    return result
'''


def submission(own: str) -> str:
    """The starter with a student's function inserted before ``print_report``, as a student hands it in."""
    head, tail = STARTER.split("def print_report", 1)
    return f"{head}{own}\n\ndef print_report{tail}"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("course")
    (root / "starter").mkdir()
    (root / "starter" / "hw3.py").write_text(STARTER)
    (root / "submissions").mkdir()
    (root / "submissions" / "alice.py").write_text(submission(SOLUTION))
    (root / "submissions" / "bob.py").write_text(submission(OTHER))
    return root


@pytest.fixture(scope="module")
def indexes(folders) -> tuple[Path, Path]:
    plain, based = folders / "plain.cgidx", folders / "based.cgidx"
    build_index([str(folders / "submissions")], str(plain), license="GPL-3.0-only")
    build_index([str(folders / "submissions")], str(based), license="GPL-3.0-only", base=[str(folders / "starter")])
    return plain, based


def _copied_span(answer: str) -> tuple[int, int]:
    start = answer.index("def compute_totals")
    return start, start + len(SOLUTION)


def test_an_answer_that_is_only_the_starter_code_is_allowed(indexes):
    plain, based = indexes
    assert Guard.open(plain).check(STARTER, "python").flagged  # without base code, the starter is a copy of alice's
    v = Guard.open(based).check(STARTER, "python")
    assert not v.flagged and v.matches == ()
    assert v.base and v.base[0][0] <= 10 and v.base[-1][1] >= len(STARTER) - 20  # the report says where it was


def test_starter_plus_a_real_copy_reports_only_the_copy(indexes):
    _, based = indexes
    answer = submission(SOLUTION)
    v = Guard.open(based).check(answer, "python")
    assert [m.source for m in v.matches] == ["submissions/alice.py"]
    lo, hi = _copied_span(answer)
    start, end = v.matches[0].output_span
    # the reported region is the copied function (give or take a shingle at its edges), not the starter around it
    assert lo - 40 <= start <= lo + 40 and hi - 60 <= end <= hi + 40
    assert answer.index("return [dict(row)") < start and end < answer.index('"""Print one line')
    assert v.base  # and the starter parts are named as base code
    assert json.loads(json.dumps(v.to_dict()))["base"] == [list(s) for s in v.base]


THIRD = '''def compute_totals(rows):
    """Value of the stock in each category."""
    from collections import defaultdict

    by_category = defaultdict(float)
    usable = (r for r in rows if r.get("category"))
    for r in usable:
        qty, price = r.get("quantity"), r.get("unit_price")
        if qty and price:
            by_category[r["category"].strip()] += int(qty) * float(price)
    return dict(by_category)
'''


def test_independent_solution_with_the_starter_is_allowed(indexes):
    plain, based = indexes
    answer = submission(THIRD)
    assert Guard.open(plain).check(answer, "python").flagged  # the starter alone would be reported
    assert Guard.open(based).check(answer, "python").matches == ()


def test_base_code_kept_under_add_remove_compact(folders, tmp_path):
    out = tmp_path / "idx"
    build_index([str(folders / "submissions" / "alice.py")], str(out), license="GPL-3.0-only",
                base=[str(folders / "starter")])
    before = Index.open(out).base_shingles().copy()
    assert before.shape[0] > 0 and np.all(np.diff(before.astype(np.float64)) > 0)
    add_to_index([str(folders / "submissions" / "bob.py")], str(out), license="GPL-3.0-only")
    index = Index.open(out)
    index.remove(["bob.py"], strict=False)
    index.remove([next(iter(index.find_sources(["alice.py", "submissions/alice.py"]) or {"alice.py": 0}))],
                 strict=False)
    index.compact()
    after = Index.open(out)
    assert np.array_equal(after.base_shingles(), before)
    assert after.stats()["base_files"] == 1 and after.verify().ok
    assert sorted(p.name for p in (out / "base").iterdir()) == [after.manifest.base.file]


def test_index_add_base_joins_the_declared_base_code(folders, tmp_path):
    out = tmp_path / "idx"
    build_index([str(folders / "submissions")], str(out), license="GPL-3.0-only")
    assert Index.open(out).manifest.base is None
    week2 = tmp_path / "week2"
    week2.mkdir()
    (week2 / "extra.py").write_text(OTHER)
    add_to_index([], str(out), base=[str(folders / "starter")])
    first = Index.open(out).base_shingles().copy()
    add_to_index([], str(out), base=[str(week2)])
    both = Index.open(out)
    assert set(first.tolist()) < set(both.base_shingles().tolist())
    assert both.stats()["base_files"] == 2 and both.stats()["sources"] == 2
    expected = shingle_set([Document("a", STARTER, "python", None, None), Document("b", OTHER, "python", None, None)],
                           both.params)
    assert np.array_equal(both.base_shingles(), expected)


def test_a_damaged_base_file_is_refused(folders, tmp_path):
    out = tmp_path / "idx"
    build_index([str(folders / "submissions")], str(out), license="GPL-3.0-only", base=[str(folders / "starter")])
    path = out / "base" / Index.open(out).manifest.base.file
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexStoreError, match="checksum"):
        Index.open(out)


def test_policy_base_declares_starter_code_at_check_time(folders, indexes, tmp_path):
    plain, _ = indexes
    policy_file = tmp_path / "policy.toml"
    (tmp_path / "starter").mkdir()
    (tmp_path / "starter" / "hw3.py").write_text(STARTER)
    policy_file.write_text('base = ["starter/"]\n')  # relative to the policy file's folder
    policy = Policy.from_toml(policy_file)
    assert policy.base == (str(tmp_path / "starter/"),)
    guard = Guard.open(plain, policy)
    assert not guard.check(STARTER, "python").flagged
    answer = submission(SOLUTION)
    assert [m.source for m in guard.check(answer, "python").matches] == ["submissions/alice.py"]


def test_policy_base_must_be_a_list():
    with pytest.raises(Exception, match="base must be a list"):
        Policy(base="starter/")  # type: ignore[arg-type]


def cg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "copyguard", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_cli_build_with_base_and_check(folders, tmp_path):
    out = tmp_path / "cli.cgidx"
    r = cg("index", "build", str(folders / "submissions"), "--out", str(out), "--base", str(folders / "starter"),
           "--license", "GPL-3.0-only", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "base code: 1 file(s)" in r.stdout
    r = cg("check", "--index", str(out), str(folders / "starter" / "hw3.py"))
    assert r.returncode == 0 and "declared base code, not reported" in r.stdout
    r = cg("check", "--index", str(out), str(folders / "submissions" / "alice.py"), "--json")
    assert r.returncode == 1
    verdict = json.loads(r.stdout)
    assert [m["source"] for m in verdict["matches"]] == ["submissions/alice.py"] and verdict["base"]


def test_cli_base_is_documented_and_errors_are_one_line(tmp_path):
    assert "--base DIR" in cg("index", "build", "--help").stdout
    assert "--base DIR" in cg("index", "add", "--help").stdout
    assert "--base" in (ROOT / "README.md").read_text()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.py").write_text(SOLUTION)
    r = cg("index", "build", str(tmp_path / "c"), "--out", str(tmp_path / "x"), "--base", str(tmp_path / "missing"))
    assert r.returncode == 2 and r.stderr.startswith("copyguard: error:") and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()  # nothing was written
    r = cg("index", "add", "--index", str(tmp_path / "x"))
    assert r.returncode == 2 and r.stderr.startswith("copyguard: error:")


def test_base_shingles_are_made_like_the_index_makes_them():
    """Both channels: the code's shingles and the words of its docstrings."""
    params = Params()
    words = "Keep the items of x that are true, in the order of x, and drop the others."
    code = f'def f(x):\n    """{words}"""\n    return [y for y in x if y]\n'
    both = set(shingle_set([Document("a", code, "python", None, None)], params).tolist())
    prose = set(shingle_set([Document("b", words, "prose", None, None)], params).tolist())
    assert prose and prose < both  # the docstring's words are shingled as prose, as the index does
    assert len(both - prose) > 0  # and the code as code


def test_spark_build_declares_the_same_base_code(folders, indexes, tmp_path):
    from copyguard.index.spark_build import spark_build_index

    _, based = indexes
    out = tmp_path / "spark.cgidx"
    spark_build_index([str(folders / "submissions")], str(out), jobs=1, license="GPL-3.0-only",
                      base=[str(folders / "starter")])
    assert np.array_equal(Index.open(out).base_shingles(), Index.open(based).base_shingles())
    assert not Guard.open(out).check(STARTER, "python").flagged
