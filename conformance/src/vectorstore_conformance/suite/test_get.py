"""``get``: records in request order, missing ids left out, ``include`` honoured."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from vectorstore.store import VectorStore

from ..checks import expect_no_problems, record_problems
from ..fixtures import StoreFixtures
from ..reference import Reference

INCLUDES = [(), ("vector",), ("document",), ("metadata",), ("vector", "document"), ("vector", "document", "metadata")]


def _filled(store: VectorStore, make_collection: Callable[..., str], n: int = 40) -> tuple[str, Reference]:
    name = make_collection(dimension=4)
    ids = [f"g{i}" for i in range(n)]
    vectors = np.random.default_rng(30).standard_normal((n, 4)).astype(np.float32)
    documents = [f"document {i}" if i % 3 else None for i in range(n)]
    metadatas = [{"i": i, "even": i % 2 == 0} if i % 4 else {} for i in range(n)]
    store.upsert(name, ids, vectors, documents, metadatas)
    reference = Reference()
    reference.upsert(ids, vectors, documents, metadatas)
    return name, reference


class GetTests(StoreFixtures):
    group = "get"

    def test_request_order(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, reference = _filled(store, make_collection)
        wanted = list(reference.rows)
        np.random.default_rng(31).shuffle(wanted)
        assert [r.id for r in store.get(name, wanted)] == wanted
        assert [r.id for r in store.get(name, wanted[::-1])] == wanted[::-1]

    def test_missing_ids_are_left_out(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, _ = _filled(store, make_collection)
        assert [r.id for r in store.get(name, ["nope", "g5", "g0", "also-missing", "g39"])] == ["g5", "g0", "g39"]
        assert store.get(name, ["nope", "G1", "g40", " g1"]) == []
        assert store.get(name, []) == []

    def test_repeated_id_comes_back_once(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name, _ = _filled(store, make_collection)
        assert [r.id for r in store.get(name, ["g3", "g1", "g3", "g1"])] == ["g3", "g1"]

    @pytest.mark.parametrize("include", INCLUDES, ids=lambda fields: "+".join(fields) or "nothing")
    def test_get_include(
        self, store: VectorStore, make_collection: Callable[..., str], include: tuple[str, ...]
    ) -> None:
        name, reference = _filled(store, make_collection)
        problems = []
        for record in store.get(name, list(reference.rows), include=include):
            problems += record_problems(record, reference.rows[record.id], include)
        expect_no_problems(problems)

    def test_default_include_is_document_and_metadata(
        self, store: VectorStore, make_collection: Callable[..., str]
    ) -> None:
        name, reference = _filled(store, make_collection)
        problems = []
        for record in store.get(name, list(reference.rows)):
            problems += record_problems(record, reference.rows[record.id], ("document", "metadata"))
        expect_no_problems(problems)
