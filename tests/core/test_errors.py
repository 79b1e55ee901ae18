"""The error hierarchy of DESIGN 3.4: one root, the named subclasses, and errors that survive pickling.

Errors cross the isolation worker's process boundary by pickle, so the type, the message and the context attributes
(collection, record id, key) must all come back.
"""

from __future__ import annotations

import pickle

import pytest

from vectorstore import errors
from vectorstore.errors import VectorStoreError

HIERARCHY = {
    "CollectionNotFound": "VectorStoreError",
    "CollectionExists": "VectorStoreError",
    "InvalidInput": "VectorStoreError",
    "InvalidCollectionName": "InvalidInput",
    "DimensionMismatch": "InvalidInput",
    "InvalidRecord": "InvalidInput",
    "DuplicateId": "InvalidInput",
    "InvalidFilter": "VectorStoreError",
    "UnsupportedFeature": "VectorStoreError",
    "UnsupportedFilter": "UnsupportedFeature",
    "ConfigurationError": "VectorStoreError",
    "AdapterNotFound": "ConfigurationError",
    "BackendError": "VectorStoreError",
    "BackendUnavailable": "VectorStoreError",
    "WorkerCrashed": "BackendUnavailable",
    "WorkerTimeout": "BackendUnavailable",
    "CircuitOpen": "BackendUnavailable",
    "StoreLocked": "BackendUnavailable",
    "StoreClosed": "BackendUnavailable",
}


@pytest.mark.parametrize(("name", "parent"), HIERARCHY.items())
def test_hierarchy(name: str, parent: str) -> None:
    error = getattr(errors, name)
    assert error.__bases__ == (getattr(errors, parent),)
    assert name in errors.__all__


@pytest.mark.parametrize("name", HIERARCHY)
def test_pickle_round_trip_keeps_type_message_and_context(name: str) -> None:
    error = getattr(errors, name)("collection 'docs': record 'r1' is bad", collection="docs", record_id="r1", key="k")
    error.extra = 5  # state set after construction, as the isolation layer does
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == "collection 'docs': record 'r1' is bad"
    assert (copy.collection, copy.record_id, copy.key, copy.extra) == ("docs", "r1", "k", 5)
    assert copy.context == {"collection": "docs", "record_id": "r1", "key": "k"}


def test_one_root_catches_everything() -> None:
    with pytest.raises(VectorStoreError):
        raise errors.WorkerCrashed("worker died (SIGSEGV)", signal="SIGSEGV")
