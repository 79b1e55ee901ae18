"""The suite: one module and one class per case group; :class:`ConformanceTests` inherits them all.

An adapter may also subclass single groups (``class TestMyQuery(QueryTests)``) while developing.
"""

from .async_twin import CORE_GROUPS, AsyncCoreTests
from .test_bad_input import BadInputTests
from .test_collections import CollectionTests
from .test_concurrency import ConcurrencyTests
from .test_delete_count import DeleteCountTests
from .test_differential import DifferentialTests
from .test_durability import DurabilityTests
from .test_filters import FilterTests
from .test_get import GetTests
from .test_guard import GuardTests
from .test_indexes import IndexTests
from .test_large_batch import LargeBatchTests
from .test_persistence import PersistenceTests
from .test_query import QueryTests
from .test_recall import RecallTests
from .test_roundtrip import RoundTripTests
from .test_scan import ScanTests
from .test_upsert import UpsertTests

#: The case groups in report order (issue 3's numbering), then the guard.
GROUPS: tuple[type, ...] = (
    CollectionTests,
    RoundTripTests,
    UpsertTests,
    GetTests,
    DeleteCountTests,
    QueryTests,
    FilterTests,
    ScanTests,
    LargeBatchTests,
    BadInputTests,
    PersistenceTests,
    DurabilityTests,
    ConcurrencyTests,
    RecallTests,
    DifferentialTests,
    IndexTests,
    GuardTests,
)


class ConformanceTests(*reversed(GROUPS)):  # type: ignore[misc]
    """Every case group. Subclass it and override the ``store_url`` fixture.

    The bases are reversed because pytest collects inherited tests in reverse MRO order: this way the tests run,
    and print, in ``GROUPS`` order.
    """


__all__ = ["CORE_GROUPS", "GROUPS", "AsyncCoreTests", "ConformanceTests", *(group.__name__ for group in GROUPS)]
