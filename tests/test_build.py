"""Index building: the same index whatever the number of processes; datasets with fields."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from copyguard.guard import Guard
from copyguard.index.build import build_index

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "copyguard" / "samples" / "corpus"
ANSWER = (ROOT / "copyguard" / "samples" / "answer.md").read_text()
WRITING = (CORPUS / "jargon" / "hacker-writing-style.txt").read_text()


def test_jobs_give_the_same_index_as_one_process(tmp_path):
    one = build_index([str(CORPUS)], str(tmp_path / "one"))
    two = build_index([str(CORPUS)], str(tmp_path / "two"), jobs=2)
    assert (one.sources, one.passages, one.tokens) == (two.sources, two.passages, two.tokens)
    v1 = Guard.open(tmp_path / "one").check(ANSWER).to_dict()
    v2 = Guard.open(tmp_path / "two").check(ANSWER).to_dict()
    assert v1 == v2 and v1["matches"]


def test_jsonl_and_parquet_datasets_with_id_license_and_language_fields(tmp_path):
    code = (CORPUS / "tomli" / "_parser.py").read_text()
    rows = [{"doc": "essay-1", "body": WRITING, "lic": "CC-BY-4.0", "lang": "text"},
            {"doc": "parser", "body": code, "lic": "MIT", "lang": "py"}]
    jsonl = tmp_path / "data.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in rows[:1]) + "\n")
    parquet = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(rows[1:]), parquet)
    report = build_index([str(jsonl), str(parquet)], str(tmp_path / "idx"), text_field="body",
                         id_field="doc", license_field="lic", lang_field="lang")
    assert report.sources == 2
    verdict = Guard.open(tmp_path / "idx").check(ANSWER)
    found = {m.source: (m.license, m.lang) for m in verdict.matches}
    assert found == {"parser": ("MIT", "python"), "essay-1": ("CC-BY-4.0", "prose")}
