"""The shared conformance suite against Chroma: embedded direct, embedded in its isolation worker, and a server."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from vectorstore_conformance import ConformanceTests


def _isolation_missing() -> str | None:
    """Why the isolated class cannot run yet (None once ``vectorstore.isolation`` provides ``IsolatedAdapter``)."""
    try:
        module = importlib.import_module("vectorstore.isolation")
    except ImportError as exc:
        return f"vectorstore.isolation is not available yet ({exc})"
    if not hasattr(module, "IsolatedAdapter"):
        return "vectorstore.isolation does not provide IsolatedAdapter yet"
    return None


class TestChromaEmbeddedDirect(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"chroma://{tmp_path}/c?isolation=none"


@pytest.mark.skipif(_isolation_missing() is not None, reason=str(_isolation_missing()))
class TestChromaEmbeddedIsolated(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"chroma://{tmp_path}/c"  # process isolation is Chroma's default


class TestChromaServer(ConformanceTests):
    @pytest.fixture
    def store_url(self, chroma_server: str) -> str:
        return f"chroma+http://{chroma_server}?isolation=none"
