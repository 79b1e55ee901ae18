"""The whole suite on the example adapter (``docs/adapters.md``), which also reaches the groups the memory adapter
cannot: persistence, durability, single owner, and (declared approximate) recall."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance import ConformanceTests
from vectorstore_conformance.suite import RecallTests


class TestPickleFile(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"picklefile://{tmp_path}/store"


class TestPickleFileApproximate(RecallTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"picklefile://{tmp_path}/store?approximate=true"
