"""The reference adapter passes the whole suite."""

import pytest

from vectorstore_conformance import ConformanceTests


class TestMemory(ConformanceTests):
    @pytest.fixture
    def store_url(self) -> str:
        return "memory://"
