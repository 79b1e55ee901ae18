"""Upsert is a full replace (DESIGN 3): old metadata keys vanish, an absent document clears the old one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vectorstore.store import VectorStore

from ..checks import expect_no_problems, match_problems, state_problems
from ..fixtures import StoreFixtures
from ..reference import Reference


def _expect_state(store: VectorStore, name: str, reference: Reference) -> None:
    expect_no_problems(state_problems(store, name, reference))


class UpsertTests(StoreFixtures):
    group = "upsert"

    def test_metadata_is_replaced_not_merged(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2)
        reference = Reference()
        for metadata in ({"a": 1, "b": "x", "c": [1, 2]}, {"z": True}, {"a": 2.5}):
            store.upsert(name, ["r"], [[1.0, 0.0]], metadatas=[metadata])
            reference.upsert(["r"], np.array([[1.0, 0.0]]), metadatas=[metadata])
            _expect_state(store, name, reference)
        assert store.count(name, where={"b": "x"}) == 0
        assert store.count(name, where={"z": {"$exists": True}}) == 0

    def test_absent_metadata_clears_it(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2)
        store.upsert(name, ["r", "s"], [[1.0, 0.0], [0.0, 1.0]], metadatas=[{"a": 1}, {"b": 2}])
        store.upsert(name, ["r"], [[1.0, 0.0]])
        store.upsert(name, ["s"], [[0.0, 1.0]], metadatas=[{}])
        assert [r.metadata for r in store.get(name, ["r", "s"])] == [{}, {}]
        assert store.count(name, where={"a": 1}) == 0
        assert store.count(name, where={"b": {"$exists": True}}) == 0

    def test_absent_document_clears_it(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=2)
        store.upsert(name, ["r", "s"], [[1.0, 0.0], [0.0, 1.0]], documents=["old text", "keep"])
        store.upsert(name, ["r"], [[1.0, 0.0]])
        store.upsert(name, ["s"], [[0.0, 1.0]], documents=[""])
        assert [(r.id, r.document) for r in store.get(name, ["r", "s"])] == [("r", None), ("s", "")]

    def test_vector_is_replaced(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=3, metric="l2")
        reference = Reference("l2")
        first = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
        store.upsert(name, ["a", "b", "c"], first)
        reference.upsert(["a", "b", "c"], first)
        moved = np.array([[0.0, 0.0, 1.1]], dtype=np.float32)
        store.upsert(name, ["a"], moved)
        reference.upsert(["a"], moved)
        _expect_state(store, name, reference)
        query = np.array([[0.0, 0.0, 1.2]], dtype=np.float32)
        found = store.query(name, query, k=3)[0]
        expect_no_problems(match_problems(found, reference, query[0], 3, strict_order=True))

    def test_reupsert_is_idempotent(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=4)
        ids = [f"i{n}" for n in range(30)]
        vectors = np.random.default_rng(20).standard_normal((30, 4)).astype(np.float32)
        metadatas = [{"n": n} for n in range(30)]
        documents = [f"doc {n}" for n in range(30)]
        reference = Reference()
        reference.upsert(ids, vectors, documents, metadatas)
        for _ in range(3):
            result = store.upsert(name, ids, vectors, documents, metadatas)
            assert result.upserted == 30
        _expect_state(store, name, reference)

    def test_mixed_new_and_existing(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=4)
        generator = np.random.default_rng(21)
        reference = Reference()
        first_ids = [f"i{n}" for n in range(20)]
        first = generator.standard_normal((20, 4)).astype(np.float32)
        store.upsert(name, first_ids, first, metadatas=[{"round": 1, "old": True}] * 20)
        reference.upsert(first_ids, first, metadatas=[{"round": 1, "old": True}] * 20)
        second_ids = [f"i{n}" for n in range(10, 35)]
        second = generator.standard_normal((25, 4)).astype(np.float32)
        store.upsert(name, second_ids, second, documents=["second"] * 25, metadatas=[{"round": 2}] * 25)
        reference.upsert(second_ids, second, documents=["second"] * 25, metadatas=[{"round": 2}] * 25)
        _expect_state(store, name, reference)
        assert store.count(name, where={"round": 2}) == 25
        assert store.count(name, where={"old": True}) == 10
