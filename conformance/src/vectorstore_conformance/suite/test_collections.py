"""Collections: create, get, list, delete, names at the limits, and errors on missing collections."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vectorstore.errors import CollectionExists, CollectionNotFound, InvalidCollectionName, InvalidInput
from vectorstore.models import CollectionInfo, Metric
from vectorstore.store import VectorStore

from ..fixtures import StoreFixtures, unique_name
from ..requirements import METRIC_PARAMS

INVALID_NAMES: list[Any] = [
    "",
    "ab",
    "x" * 64,
    "-abc",
    "abc-",
    ".abc",
    "abc_",
    "a b c",
    "a/b/c",
    "ünï",
    "abc$",
    None,
    123,
]


def _names(store: VectorStore) -> set[str]:
    return {info.name for info in store.list_collections()}


class CollectionTests(StoreFixtures):
    group = "collections"

    @pytest.mark.parametrize("metric", METRIC_PARAMS)
    def test_create_returns_shape(
        self, store: VectorStore, make_collection: Callable[..., str], metric: Metric
    ) -> None:
        name = unique_name()
        make_collection(dimension=5, metric=metric, name=name)
        expected = CollectionInfo(name=name, dimension=5, metric=metric)
        assert store.get_collection(name) == expected
        assert expected in store.list_collections()
        assert store.count(name) == 0

    def test_create_twice(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=4, metric="cosine")
        with pytest.raises(CollectionExists):
            store.create_collection(name, 4, "cosine")
        assert store.create_collection(name, 4, "cosine", exist_ok=True) == CollectionInfo(
            name=name, dimension=4, metric="cosine"
        )
        with pytest.raises(CollectionExists):
            store.create_collection(name, 5, "cosine", exist_ok=True)
        with pytest.raises(CollectionExists):
            store.create_collection(name, 4, "l2", exist_ok=True)
        assert store.get_collection(name).dimension == 4

    def test_exist_ok_keeps_records(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2)
        store.upsert(name, ["a"], [[1.0, 0.0]])
        store.create_collection(name, 2, "cosine", exist_ok=True)
        assert store.count(name) == 1

    def test_list_shows_each_created_collection(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        names = [make_collection(dimension=d, metric="cosine") for d in (2, 3, 4)]
        listed = {info.name: info for info in store.list_collections()}
        for dimension, name in zip((2, 3, 4), names):
            assert listed[name] == CollectionInfo(name=name, dimension=dimension, metric="cosine")

    def test_delete_collection(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2)
        store.upsert(name, ["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
        store.delete_collection(name)
        assert name not in _names(store)
        with pytest.raises(CollectionNotFound):
            store.get_collection(name)
        with pytest.raises(CollectionNotFound):
            store.delete_collection(name)
        store.delete_collection(name, missing_ok=True)

    def test_recreate_after_delete_is_empty(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2, metric="cosine")
        store.upsert(name, ["a"], [[1.0, 0.0]])
        store.delete_collection(name)
        make_collection(dimension=3, metric="l2", name=name)
        assert store.get_collection(name) == CollectionInfo(name=name, dimension=3, metric="l2")
        assert store.count(name) == 0
        store.upsert(name, ["b"], [[1.0, 2.0, 3.0]])
        assert [r.id for r in store.get(name, ["a", "b"])] == ["b"]

    def test_names_at_the_limits(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        token = uuid.uuid4().hex
        shortest = f"{token[0]}x{token[1]}"
        longest = f"L.{token}_{'-' * 10}{'9' * 18}"
        assert len(longest) == 63
        for name in (shortest, longest):
            make_collection(dimension=2, name=name)
            assert store.get_collection(name).name == name
            store.upsert(name, ["a"], [[0.5, 0.5]])
            assert store.count(name) == 1
        assert {shortest, longest} <= _names(store)

    def test_invalid_names(self, store: VectorStore) -> None:
        before = _names(store)
        for name in INVALID_NAMES:
            with pytest.raises(InvalidCollectionName):
                store.create_collection(name, 2)
            with pytest.raises(InvalidCollectionName):
                store.count(name)
        assert _names(store) == before

    def test_invalid_shape(self, store: VectorStore) -> None:
        name = unique_name()
        for dimension, metric in (
            (0, "cosine"),
            (-1, "cosine"),
            (True, "cosine"),
            (2.5, "cosine"),
            (2, "cos"),
            (2, "L2"),
        ):
            with pytest.raises(InvalidInput):
                store.create_collection(name, dimension, metric)  # type: ignore[arg-type]
        assert name not in _names(store)

    def test_missing_collection(self, store: VectorStore) -> None:
        name = unique_name("missing")
        vector = np.ones((1, 2), dtype=np.float32)
        calls: list[Callable[[], object]] = [
            lambda: store.get_collection(name),
            lambda: store.upsert(name, ["a"], vector),
            lambda: store.get(name, ["a"]),
            lambda: store.delete(name, ["a"]),
            lambda: store.delete(name, where={"x": 1}),
            lambda: store.count(name),
            lambda: store.query(name, vector),
            lambda: store.search(name, vector[0]),
            lambda: list(store.scan(name)),
            lambda: store.delete_collection(name),
        ]
        for call in calls:
            with pytest.raises(CollectionNotFound):
                call()
        assert name not in _names(store)

    def test_deleted_collection_is_missing_for_records(
        self, store: VectorStore, make_collection: Callable[..., str]
    ) -> None:
        name = make_collection(dimension=2)
        store.upsert(name, ["a"], [[1.0, 0.0]])
        store.delete_collection(name)
        with pytest.raises(CollectionNotFound):
            store.count(name)
        with pytest.raises(CollectionNotFound):
            store.upsert(name, ["a"], [[1.0, 0.0]])
        assert name not in _names(store)
