"""The groups the memory adapter cannot reach, run against the persistent ``picklefile`` test double."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore_conformance.suite import ConcurrencyTests, DurabilityTests, PersistenceTests, RecallTests


class TestPickleFile(PersistenceTests, DurabilityTests, ConcurrencyTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"picklefile://{tmp_path}/store"


class TestPickleFileApproximate(RecallTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"picklefile://{tmp_path}/store?approximate=true"
