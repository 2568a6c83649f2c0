"""The review view: an answer beside each source it copies, spans on both sides, as plain data and as HTML.

``review_of`` turns a verdict into what a person needs to judge it: per
matched source its license, the policy's action, the kinds and rename
maps, and an excerpt of the answer and of the source with the copied spans
marked (offsets in code points, relative to each excerpt). The service's
page at ``GET /`` renders this data live; ``report_html`` writes the same
page as one static file (``copyguard check --html``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..guard import Guard, Verdict
    from ..index import Index
    from ..policy import Policy

CONTEXT = 160  # characters of context around the copied spans, widened to whole lines
_DATA = '<script id="data" type="application/json">null</script>'


def review(guard: Guard, text: str, lang: str | None = None, id: Any = None) -> dict:
    """Check ``text`` and return its review data (see ``review_of``)."""
    verdict = guard.check(text, lang)
    return review_of(guard.indexes, guard.policy, text, verdict, id)


def review_of(indexes: Sequence[Index], policy: Policy, text: str, verdict: Verdict, id: Any = None) -> dict:
    """The review data of one checked answer: its verdict, and per matched source both excerpts with spans."""
    matches = verdict.to_dict()["matches"]
    by_source: dict[tuple[str, str | None], list[int]] = {}
    for i, m in enumerate(matches):
        by_source.setdefault((m["source"], m.get("index")), []).append(i)
    sources = []
    for (source, where), idx in by_source.items():
        first = matches[idx[0]]
        original = None
        source_text = _source_text(indexes, source, where)
        if source_text is not None:  # None when the source was taken down since the check
            original = _excerpt(source_text, [matches[i]["source_span"] for i in idx])
        sources.append({
            "source": source, "license": first["license"], "path": first.get("source_path"),
            "action": policy.action_for(first["license"], source), "matches": idx,
            "answer": _excerpt(text, [matches[i]["output_span"] for i in idx]), "original": original,
        })
    return {"id": id, "action": verdict.action, "length": len(text), "matches": matches, "sources": sources}


def _source_text(indexes: Sequence[Index], source: str, where: str | None) -> str | None:
    """The text of ``source`` in the index named ``where`` (any of them when None), if it is still live."""
    for index in indexes:
        if where is None or str(index.path) == where:
            ref = index.find_sources([source]).get(source)
            if ref is not None:
                return index.source_text(ref)
    return None


def _excerpt(text: str, spans: list[list[int]]) -> dict:
    """The lines of ``text`` around ``spans`` (plus ``CONTEXT``), and the spans relative to that excerpt."""
    lo = min(s for s, _ in spans)
    hi = max(e for _, e in spans)
    start = text.rfind("\n", 0, max(lo - CONTEXT, 0)) + 1 if lo > CONTEXT else 0
    end = text.find("\n", min(hi + CONTEXT, len(text)))
    end = len(text) if end < 0 else end
    return {"start": start, "text": text[start:end],
            "spans": [[s - start, e - start, n] for n, (s, e) in enumerate(spans)]}


def page_html(data: list[dict] | None = None) -> str:
    """The review page; with ``data`` (review dicts) a static report, without it the live page of the service."""
    html = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    if data is None:
        return html
    # inside <script>, "</" could close the element: JSON allows "\/" for "/"
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return html.replace(_DATA, _DATA.replace("null", payload), 1)


def report_html(reviews: list[dict]) -> str:
    """One self-contained HTML file showing every review in ``reviews``, like Dolos's or JPlag's reports."""
    return page_html(reviews)
