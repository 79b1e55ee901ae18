"""``delete`` by ids (missing ones are a no-op) and by filter; ``count`` with and without a filter."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from vectorstore.errors import InvalidInput
from vectorstore.store import VectorStore

from ..checks import snapshot
from ..fixtures import StoreFixtures
from ..reference import Reference
from ..requirements import requires


def _filled(store: VectorStore, make_collection: Callable[..., str], n: int = 60) -> tuple[str, Reference]:
    name = make_collection(dimension=4)
    ids = [f"d{i}" for i in range(n)]
    vectors = np.random.default_rng(40).standard_normal((n, 4)).astype(np.float32)
    metadatas = [{"i": i, "mod3": i % 3, "tag": "odd" if i % 2 else "even"} for i in range(n)]
    store.upsert(name, ids, vectors, metadatas=metadatas)
    reference = Reference()
    reference.upsert(ids, vectors, metadatas=metadatas)
    return name, reference


def _remaining(store: VectorStore, name: str) -> list[str]:
    return sorted(r.id for batch in store.scan(name, include=()) for r in batch)


class DeleteCountTests(StoreFixtures):
    group = "delete_count"

    def test_count(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=4)
        assert store.count(name) == 0
        name, _ = _filled(store, make_collection)
        assert store.count(name) == 60
        assert len(store.collection(name)) == 60

    @pytest.mark.parametrize(
        "where",
        [
            pytest.param({"mod3": 1}, marks=requires("filter_eq"), id="eq"),
            pytest.param({"i": {"$gte": 45}}, marks=requires("filter_gte"), id="gte"),
            pytest.param({"tag": {"$ne": "odd"}}, marks=requires("filter_ne"), id="ne"),
        ],
    )
    def test_count_with_filter(self, store: VectorStore, make_collection: Callable[..., str], where: dict) -> None:
        name, reference = _filled(store, make_collection)
        assert store.count(name, where=where) == len(reference.select(where))

    def test_delete_by_ids(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, reference = _filled(store, make_collection)
        doomed = ["d0", "d7", "d59", "d30"]
        deleted = store.delete(name, doomed)
        assert deleted in (4, None)
        reference.delete(doomed)
        assert _remaining(store, name) == sorted(reference.rows)
        assert store.count(name) == 56
        assert store.get(name, doomed) == []

    def test_delete_missing_ids_is_a_noop(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, _ = _filled(store, make_collection)
        before = snapshot(store, name)
        assert store.delete(name, ["missing", "d60", "D1"]) in (0, None)
        assert store.delete(name, []) in (0, None)
        assert snapshot(store, name) == before
        deleted = store.delete(name, ["d1", "missing", "d2"])
        assert deleted in (2, None)
        assert store.count(name) == 58

    def test_delete_twice(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, _ = _filled(store, make_collection)
        assert store.delete(name, ["d3"]) in (1, None)
        assert store.delete(name, ["d3"]) in (0, None)
        assert store.count(name) == 59

    @pytest.mark.parametrize(
        "where",
        [
            pytest.param({"mod3": 0}, marks=requires("filter_eq"), id="eq"),
            pytest.param({"i": {"$lt": 10}}, marks=requires("filter_lt"), id="lt"),
            pytest.param({"$or": [{"tag": "odd"}, {"i": 0}]}, marks=requires("filter_or", "filter_eq"), id="or"),
        ],
    )
    def test_delete_by_filter(self, store: VectorStore, make_collection: Callable[..., str], where: dict) -> None:
        name, reference = _filled(store, make_collection)
        expected = reference.delete_where(where)
        deleted = store.delete(name, where=where)
        assert deleted in (len(expected), None)
        assert _remaining(store, name) == sorted(reference.rows)
        assert store.count(name, where=where) == 0
        assert store.delete(name, where=where) in (0, None)

    def test_delete_needs_ids_or_filter(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, _ = _filled(store, make_collection)
        before = snapshot(store, name)
        for call in (
            lambda: store.delete(name),
            lambda: store.delete(name, where={}),
            lambda: store.delete(name, ["d1"], where={"i": 1}),
        ):
            with pytest.raises(InvalidInput):
                call()
        assert snapshot(store, name) == before
