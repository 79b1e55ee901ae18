"""The async twin of the core conformance groups on Qdrant Edge (the embedded engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance import AsyncCoreTests


class TestEdgeAsync(AsyncCoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"qdrant://{tmp_path}/q"
