"""The reference adapter passes the whole suite, and the suite is well formed."""

from collections import Counter

import pytest

from vectorstore_conformance import ConformanceTests
from vectorstore_conformance.suite import GROUPS


class TestMemory(ConformanceTests):
    @pytest.fixture
    def store_url(self) -> str:
        return "memory://"


def test_group_test_names_are_unique() -> None:
    """A name defined in two groups would be shadowed in ConformanceTests and silently never run."""
    names = Counter(name for group in GROUPS for name in vars(group) if name.startswith("test_"))
    assert [name for name, count in names.items() if count > 1] == []
