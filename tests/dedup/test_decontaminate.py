"""Decontamination removes exactly the rows that copy indexed content, or marks them with the source."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_synth import sentence

from copyguard.dedup import decontaminate
from copyguard.errors import InputError
from copyguard.index.build import build_index

PROTECTED_CODE = '''
def levenshtein(source, target):
    previous = list(range(len(target) + 1))
    for i, left in enumerate(source, 1):
        current = [i]
        for j, right in enumerate(target, 1):
            insert = current[j - 1] + 1
            delete = previous[j] + 1
            replace = previous[j - 1] + (left != right)
            current.append(min(insert, delete, replace))
        previous = current
    return previous[-1]
'''


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = tmp_path_factory.mktemp("protected")
    rng = np.random.default_rng(11)
    prose = " ".join(sentence(rng, 300))
    (root / "corpus").mkdir()
    (root / "corpus" / "story.txt").write_text(prose)
    (root / "corpus" / "lev.py").write_text(PROTECTED_CODE)
    build_index([str(root / "corpus")], str(root / "idx"))
    return str(root / "idx"), prose


def _dataset(prose: str) -> list[str]:
    rng = np.random.default_rng(12)
    words = prose.split()
    clean = [" ".join(sentence(rng, 80)) for _ in range(6)]
    return [
        clean[0],
        "Intro words first. " + " ".join(words[100:200]) + " and then my own ending.",  # copies the story
        clean[1],
        "Here is a function:\n```python\n" + PROTECTED_CODE + "```\n",  # copies the code
        clean[2],
        None,
        clean[3],
    ]


def test_decontaminate_drops_exactly_the_rows_with_copies(tmp_path, index):
    idx, prose = index
    texts = _dataset(prose)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": list(range(len(texts))), "text": pa.array(texts, pa.string())}), src)
    report = decontaminate([str(src)], str(tmp_path / "out.parquet"), index=idx)
    assert pq.read_table(tmp_path / "out.parquet").column("id").to_pylist() == [0, 2, 4, 5, 6]
    assert (report.rows_in, report.rows_out, report.contaminated) == (7, 5, 2)


def test_decontaminate_mark_only_names_the_source(tmp_path, index):
    idx, prose = index
    texts = _dataset(prose)
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": pa.array(texts, pa.string())}), src)
    decontaminate([str(src)], str(tmp_path / "out.parquet"), index=idx, mark_only=True)
    marks = pq.read_table(tmp_path / "out.parquet").column("contaminated_by").to_pylist()
    assert [m is not None for m in marks] == [False, True, False, True, False, False, False]
    assert any("story" in s for s in marks[1]) and any("lev" in s for s in marks[3])


def test_report_names_per_item_the_training_rows_that_hit_it(tmp_path, index):
    idx, prose = index
    texts = _dataset(prose)
    src = tmp_path / "in.jsonl"
    pa_table = pa.table({"id": [f"row-{i}" for i in range(len(texts))], "text": pa.array(texts, pa.string())})
    import json

    src.write_text("".join(json.dumps(r) + "\n" for r in pa_table.to_pylist()))
    report = decontaminate([str(src)], str(tmp_path / "out.jsonl"), index=idx, id_field="id")
    assert {k.split("/")[-1]: v for k, v in report.hits.items()} == {"story.txt": ["row-1"], "lev.py": ["row-3"]}
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 5


def test_ngram_rule_flags_a_shared_13_gram_and_not_a_12_gram(tmp_path, index):
    idx, prose = index
    words = prose.split()
    rng = np.random.default_rng(5)
    own = [" ".join(sentence(rng, 30)) for _ in range(3)]
    texts = [own[0] + " " + " ".join(words[40:53]) + " " + own[1],  # 13 words of the story
             own[1] + " " + " ".join(words[60:72]) + " " + own[2],  # only 12
             own[2]]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": texts}), src)
    report = decontaminate([str(src)], str(tmp_path / "out.parquet"), index=idx, ngram=13, mark_only=True)
    marks = pq.read_table(tmp_path / "out.parquet").column("contaminated_by").to_pylist()
    assert [m is not None for m in marks] == [True, False, False]
    assert report.contaminated == 1 and list(report.hits.values()) == [[0]]


def test_non_string_text_is_refused_before_the_index_is_opened(tmp_path):
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), src)
    with pytest.raises(InputError, match="must hold strings"):
        decontaminate([str(src)], str(tmp_path / "out.parquet"), index=str(tmp_path / "no-such-index"))
