"""The async twin of the core case groups: the same tests, run through ``vectorstore.aio`` (see :mod:`..aio`).

An adapter runs it next to the sync suite with one more class::

    class TestMyAdapterAsync(AsyncCoreTests):
        @pytest.fixture
        def store_url(self, tmp_path) -> str:
            return f"myadapter://{tmp_path}/store"
"""

from __future__ import annotations

from ..aio import AsyncStoreSession
from ..fixtures import StoreFixtures
from .test_bad_input import BadInputTests
from .test_collections import CollectionTests
from .test_concurrency import ConcurrencyTests
from .test_delete_count import DeleteCountTests
from .test_filters import FilterTests
from .test_get import GetTests
from .test_query import QueryTests
from .test_roundtrip import RoundTripTests
from .test_scan import ScanTests
from .test_upsert import UpsertTests

#: The groups the twin runs, in report order: everything a store does per call (not persistence, durability,
#: recall, large batches or the differential run, which are about the backend rather than the API in front of it).
CORE_GROUPS: tuple[type, ...] = (
    CollectionTests,
    RoundTripTests,
    UpsertTests,
    GetTests,
    DeleteCountTests,
    QueryTests,
    FilterTests,
    ScanTests,
    BadInputTests,
    ConcurrencyTests,
)


class AsyncFixtures(StoreFixtures):
    """The suite's fixtures with the store opened by ``vectorstore.aio.open`` behind a blocking facade."""

    session_class = AsyncStoreSession
    #: Concurrent callers of the concurrency case (each call a task on the store's one event loop), and their steps.
    threads, steps = 50, 2


class AsyncCoreTests(AsyncFixtures, *reversed(CORE_GROUPS)):  # type: ignore[misc]
    """The core case groups against the async store. Subclass it and override the ``store_url`` fixture."""
