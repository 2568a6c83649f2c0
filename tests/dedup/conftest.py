"""Registers the ``spark`` marker for the dedup tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs the PySpark engine in local mode (slow start, part of the suite)")
