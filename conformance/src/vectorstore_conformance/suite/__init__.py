"""The suite: one module and one class per case group; :class:`ConformanceTests` inherits them all.

An adapter may also subclass single groups (``class TestMyQuery(QueryTests)``) while developing.
"""

from .test_bad_input import BadInputTests
from .test_collections import CollectionTests
from .test_delete_count import DeleteCountTests
from .test_filters import FilterTests
from .test_get import GetTests
from .test_guard import GuardTests
from .test_large_batch import LargeBatchTests
from .test_query import QueryTests
from .test_roundtrip import RoundTripTests
from .test_scan import ScanTests
from .test_upsert import UpsertTests

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
    GuardTests,
)


class ConformanceTests(*GROUPS):  # type: ignore[misc]
    """Every case group. Subclass it and override the ``store_url`` fixture."""


__all__ = ["GROUPS", "ConformanceTests", *(group.__name__ for group in GROUPS)]
