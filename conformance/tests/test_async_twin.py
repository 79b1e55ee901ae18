"""The async twin of the core groups on the reference adapter and the example adapter."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance import AsyncCoreTests


class TestMemoryAsync(AsyncCoreTests):
    @pytest.fixture
    def store_url(self) -> str:
        return "memory://"


class TestPickleFileAsync(AsyncCoreTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"picklefile://{tmp_path}/store"
