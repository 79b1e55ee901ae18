"""The store's policy layer over an adapter: capability checks, chunking, eager validation, lifecycle.

The adapter here is the real memory adapter with narrower declared capabilities and a log of the calls it got, so
the tests see what reaches an adapter (and what must not).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vectorstore import Capabilities, RecordBatch
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.errors import CollectionNotFound, InvalidFilter, InvalidInput, UnsupportedFeature, UnsupportedFilter
from vectorstore.filters import Node
from vectorstore.store import VectorStore


class NarrowAdapter(MemoryAdapter):
    """Declares a small subset of the contract and records what it was asked."""

    name = "narrow"
    capabilities = Capabilities(
        metrics=frozenset({"cosine"}),
        filter_operators=frozenset({"$eq", "$and"}),
        document_contains=False,
        max_batch=7,
    )

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []

    def upsert(self, name: str, batch: RecordBatch) -> None:
        self.calls.append(("upsert", len(batch)))
        super().upsert(name, batch)

    def count(self, name: str, where: Node | None) -> int:
        self.calls.append(("count", where))
        return super().count(name, where)


@pytest.fixture
def narrow() -> VectorStore:
    return VectorStore(NarrowAdapter(), url="narrow://")


def adapter_calls(store: VectorStore) -> list[tuple[str, Any]]:
    return store.adapter.calls  # type: ignore[attr-defined,no-any-return]


def test_writes_are_chunked_to_max_batch(narrow: VectorStore) -> None:
    narrow.create_collection("docs", 2)
    result = narrow.upsert("docs", [str(i) for i in range(23)], np.ones((23, 2)))
    assert result.upserted == 23
    assert adapter_calls(narrow) == [("upsert", 7), ("upsert", 7), ("upsert", 7), ("upsert", 2)]
    assert narrow.count("docs") == 23


def test_unsupported_metric(narrow: VectorStore) -> None:
    with pytest.raises(UnsupportedFeature, match="'l2'"):
        narrow.create_collection("docs", 2, "l2")
    assert narrow.list_collections() == []


@pytest.mark.parametrize(
    ("where", "document", "named"),
    [
        ({"a": {"$gt": 1}}, None, "$gt"),
        ({"$or": [{"a": 1}, {"b": 2}]}, None, "$or"),
        ({"$not": {"a": 1}}, None, "$not"),
        ({"a": 1}, {"$contains": "x"}, "$document"),
    ],
)
def test_undeclared_filter_operators_never_reach_the_adapter(
    narrow: VectorStore, where: dict[str, Any], document: dict[str, Any] | None, named: str
) -> None:
    narrow.create_collection("docs", 2)
    with pytest.raises(UnsupportedFilter, match=f"\\{named}"):
        narrow.count("docs", where=where, document=document)
    assert adapter_calls(narrow) == []


def test_declared_operators_pass(narrow: VectorStore) -> None:
    narrow.create_collection("docs", 2)
    narrow.upsert("docs", ["a", "b"], [[1, 0], [0, 1]], metadatas=[{"k": 1}, {"k": 2}])
    assert narrow.count("docs", where={"k": 2, "$and": [{"k": {"$eq": 2}}]}) == 1


def test_scan_validates_when_called_not_when_iterated(store: VectorStore) -> None:
    """A bad scan fails at the call, like every other method, even if the iterator is never consumed."""
    with pytest.raises(CollectionNotFound):
        store.scan("missing")
    store.create_collection("docs", 2)
    with pytest.raises(InvalidFilter):
        store.scan("docs", where={"a": {"$gt": "x"}})
    with pytest.raises(InvalidInput):
        store.scan("docs", batch_size=0)
    with pytest.raises(InvalidInput):
        store.scan("docs", include=["vectors"])
    with pytest.raises(CollectionNotFound):
        store.collection("missing").scan()


def test_shape_cache_forgets_a_collection_deleted_behind_its_back(store: VectorStore) -> None:
    """Another client dropped the collection: the store must not keep validating against the old shape."""
    store.create_collection("docs", 3)
    store.upsert("docs", ["a"], [[1, 2, 3]])
    store.adapter.delete_collection("docs")  # as another client of the same backend would
    with pytest.raises(CollectionNotFound):
        store.upsert("docs", ["a"], [[1, 2, 3]])
    store.adapter.create_collection("docs", 2, "l2")
    store.upsert("docs", ["b"], [[1, 2]])  # validated against the new dimension
    assert store.count("docs") == 1


def test_context_manager_closes_the_adapter() -> None:
    closed: list[bool] = []

    class Closing(MemoryAdapter):
        def close(self) -> None:
            closed.append(True)

    with VectorStore(Closing()) as store:
        store.create_collection("abc", 2)
    store.close()
    assert closed == [True]


def test_repr_and_stats(narrow: VectorStore) -> None:
    assert repr(narrow) == "<VectorStore narrow narrow://>"
    assert repr(VectorStore(MemoryAdapter())) == "<VectorStore memory>"
    assert narrow.stats() == {}


def test_collection_handle_validates_its_name(store: VectorStore) -> None:
    with pytest.raises(InvalidInput):
        store.collection("x")
