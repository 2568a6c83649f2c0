"""copyguard as a production HTTP service: an ASGI app (FastAPI) on uvicorn, and the review page.

``copyguard serve --index DIR`` runs it; ``create_app`` builds the app for
any ASGI server. ``review`` and ``report_html`` (the review page as data
and as one static HTML file) need neither FastAPI nor a server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import ServiceConfig

if TYPE_CHECKING:
    from .app import create_app
    from .review import report_html, review, review_of

_LAZY = {"create_app": "app", "review": "review", "review_of": "review", "report_html": "review"}


def __getattr__(name: str) -> Any:
    """Import FastAPI only when the app is asked for: ``check --html`` needs the review page alone."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'copyguard.service' has no attribute {name!r}")


__all__ = ["ServiceConfig", "create_app", "report_html", "review", "review_of"]
