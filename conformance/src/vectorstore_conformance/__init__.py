"""The vectorstore conformance suite: one set of tests that every adapter, ours and third-party, runs.

An adapter's test module subclasses :class:`ConformanceTests` and overrides one fixture::

    import pytest
    from vectorstore_conformance import ConformanceTests

    class TestMyAdapter(ConformanceTests):
        @pytest.fixture
        def store_url(self, tmp_path) -> str:
            return f"myadapter://{tmp_path}/store"

Tests whose capability the adapter declares unsupported (``store.capabilities``) are skipped with the capability's
name and listed in the run's summary. Expected results come from :func:`vectorstore.filters.matches` and
:func:`vectorstore.scores.exact`, never from the adapter under test.
"""

from .fixtures import StoreFixtures, StoreSession
from .requirements import Requirements, requires
from .suite import AsyncCoreTests, ConformanceTests

__all__ = ["AsyncCoreTests", "ConformanceTests", "Requirements", "StoreFixtures", "StoreSession", "requires"]
