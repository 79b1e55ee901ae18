"""The store's policy layer over an adapter: capability checks, chunking, eager validation, lifecycle.

The adapter here is the real memory adapter with narrower declared capabilities and a log of the calls it got, so
the tests see what reaches an adapter (and what must not).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from vectorstore import Capabilities, Match, RecordBatch
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

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        self.calls.append(("get", len(ids)))
        return super().get(name, ids, include)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        self.calls.append(("delete", None if ids is None else len(ids)))
        return super().delete(name, ids, where)

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        self.calls.append(("query", len(vectors)))
        return super().query(name, vectors, k, where, include)


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


def test_ids_and_query_rows_are_chunked_to_max_batch(narrow: VectorStore) -> None:
    """Every adapter gets at most ``max_batch`` ids or query rows per call; the answers are put back together."""
    narrow.create_collection("docs", 2)
    ids = [f"r{i:02}" for i in range(20)]
    vectors = np.stack([np.cos(np.arange(20)), np.sin(np.arange(20))], axis=1)
    narrow.upsert("docs", ids, vectors)
    adapter_calls(narrow).clear()

    wanted = ids[::-1] + ["missing"]  # reversed: the merged answer is still in request order
    assert [record.id for record in narrow.get("docs", wanted)] == ids[::-1]
    assert adapter_calls(narrow) == [("get", 7), ("get", 7), ("get", 7)]
    adapter_calls(narrow).clear()

    rows = narrow.query("docs", vectors[:16], k=1)
    assert [row[0].id for row in rows] == ids[:16]
    assert adapter_calls(narrow) == [("query", 7), ("query", 7), ("query", 2)]
    adapter_calls(narrow).clear()

    assert narrow.delete("docs", ids=ids[:15] + ["missing"]) == 15
    assert adapter_calls(narrow) == [("delete", 7), ("delete", 7), ("delete", 2)]
    assert narrow.count("docs") == 5


def test_a_delete_of_unknown_count_in_any_chunk_is_unknown(narrow: VectorStore) -> None:
    class Uncounted(NarrowAdapter):
        def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int | None:  # type: ignore[override]
            deleted = super().delete(name, ids, where)
            return None if ids and ids[0] == "r07" else deleted

    store = VectorStore(Uncounted())
    store.create_collection("docs", 2)
    store.upsert("docs", [f"r{i:02}" for i in range(10)], np.ones((10, 2)))
    assert store.delete("docs", ids=[f"r{i:02}" for i in range(10)]) is None
    assert store.count("docs") == 0


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
