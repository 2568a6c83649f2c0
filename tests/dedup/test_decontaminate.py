"""Decontamination removes exactly the rows that copy indexed content, or marks them with the source."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dedup_synth import sentence

from copyguard.dedup import decontaminate
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
