"""The benchmark's ground truth (``bench/accuracy/audit.py``): which negatives are not independent of the corpus.

The audit is measured on the texts alone, never by asking copyguard; these tests pin its doc-words test, which
finds a doc comment copied into a negative with its lines re-wrapped and a word or two changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "accuracy"))

from audit import SHARED_WORDS, Shared, doc_words  # noqa: E402

DOC = ("Opens a channel to the archive named by this locator when no channel is open yet. When the method is "
       "called while a channel is already open, as the opened flag tells, nothing happens. Locators go through "
       "two stages: they are made, then they are opened. Between the two, options such as buffering and caching "
       "may be set; setting them afterwards is an error.")


def _javadoc(text: str, width: int, indent: str = "    ") -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([f"{indent}/**", *(f"{indent} * {s}" for s in lines + [line]), f"{indent} */"])


def _java(cls: str, doc: str, body: str) -> str:
    return f"package p;\n\npublic class {cls} {{\n\n{doc}\n    public void open() {{\n{body}\n    }}\n}}\n"


def test_a_rewrapped_doc_comment_copy_is_not_independent() -> None:
    source = _java("Locator", _javadoc(DOC, 70), "        channel = Channels.open(path);")
    # the same doc comment re-wrapped to another width, one word changed, over code of its own
    copy = _java("Wrapper", _javadoc(DOC.replace("this locator", "this wrapper"), 100),
                 "        delegate.open();\n        bridge.notify(this);")
    where = Shared({"Locator.java": source}).find(copy)
    assert where is not None and where.startswith("Locator.java (") and where.endswith(" doc words)")
    assert int(where.split("(")[1].split()[0]) >= SHARED_WORDS


def test_a_stock_sentence_in_several_comments_is_not_a_copy() -> None:
    stock = "Constructs a new failure with the given cause, which is kept for later retrieval by the cause method."
    source = _java("Failure", _javadoc(stock, 70), "        super(cause);")
    # the stock sentence once in each of three comments: more than SHARED_WORDS words in all, fewer in any one
    mine = "\n".join(_javadoc(f"{stock} Variant {i}.", 60) for i in range(3))
    negative = _java("Other", mine, "        super(cause);")
    assert sum(len(w) > 0 for w in doc_words(negative)) >= SHARED_WORDS
    assert Shared({"Failure.java": source}).find(negative) is None


def test_doc_words_reads_comments_and_docstrings_but_not_code_or_numbers() -> None:
    text = 'x = 1\n\ndef f(a):\n    """Sum the\n    values.\n\n    >>> f(3)\n    6\n    """\n    return a + 3  # add\n'
    assert [w for w in doc_words(text) if w] == ["sum", "the", "values", "f"]


def test_a_doc_comment_pasted_as_prose_is_read_as_one_block() -> None:
    source = _java("Locator", _javadoc(DOC, 70), "        channel = Channels.open(path);")
    answer = "Here is what the method does.\n\n" + DOC.replace("this locator", "the locator") + "\n\nHope it helps.\n"
    where = Shared({"Locator.java": source}).find(answer)
    assert where is not None and where.endswith(" doc words)")
