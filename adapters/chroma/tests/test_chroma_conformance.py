"""The shared conformance suite against Chroma: embedded direct, embedded in its isolation worker, and a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance import ConformanceTests


class TestChromaEmbeddedDirect(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"chroma://{tmp_path}/c?isolation=none"


class TestChromaEmbeddedIsolated(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"chroma://{tmp_path}/c"  # process isolation is Chroma's default


class TestChromaServer(ConformanceTests):
    @pytest.fixture
    def store_url(self, chroma_server: str) -> str:
        return f"chroma+http://{chroma_server}?isolation=none"
