"""Code rows are compared after identifier normalization: a renamed copy is a duplicate."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from copyguard.dedup import dedup

ORIGINAL = '''
def merge_sorted(left, right):
    result = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            result.append(left[i])
            i += 1
        else:
            result.append(right[j])
            j += 1
    result.extend(left[i:])
    result.extend(right[j:])
    return result
'''

RENAMED = '''
def combine(xs, ys):
    out = []
    a = b = 0
    while a < len(xs) and b < len(ys):
        if xs[a] <= ys[b]:
            out.append(xs[a])
            a += 1
        else:
            out.append(ys[b])
            b += 1
    out.extend(xs[a:])
    out.extend(ys[b:])
    return out
'''

OTHER = '''
def count_words(path):
    counts = {}
    with open(path) as handle:
        for line in handle:
            for word in line.split():
                counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])
'''


def _clusters(tmp_path, table: pa.Table, **kw) -> list[int]:
    src = tmp_path / "code.parquet"
    pq.write_table(table, src)
    dedup([str(src)], str(tmp_path / "out.parquet"), text_field="content", mark_only=True, **kw)
    return pq.read_table(tmp_path / "out.parquet").column("cluster_id").to_pylist()


def test_renamed_code_clusters_with_its_original(tmp_path):
    table = pa.table({"content": [ORIGINAL, OTHER, RENAMED], "lang": ["python", "python", "py"]})
    assert _clusters(tmp_path, table, lang_field="lang") == [0, 1, 0]


def test_the_same_rows_as_prose_do_not_match_once_renamed(tmp_path):
    table = pa.table({"content": [ORIGINAL, OTHER, RENAMED], "lang": ["python", "python", "py"]})
    assert _clusters(tmp_path, table, lang_field="lang", mode="prose") == [0, 1, 2]


def test_auto_mode_treats_unknown_languages_as_prose(tmp_path):
    table = pa.table({"content": [ORIGINAL, RENAMED, "plain words here and there"], "lang": ["klingon", None, "text"]})
    assert _clusters(tmp_path, table, lang_field="lang") == [0, 1, 2]
