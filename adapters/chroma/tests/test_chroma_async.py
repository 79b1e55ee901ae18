"""The async twin of the core conformance groups on Chroma in its isolation worker (Chroma's default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance import AsyncCoreTests


class TestChromaIsolatedAsync(AsyncCoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"chroma://{tmp_path}/c"
