"""Persistence: closing and reopening the same URL keeps collections and records exactly (persistent adapters)."""

from __future__ import annotations

from collections.abc import Callable

from vectorstore.models import CollectionInfo
from vectorstore.store import VectorStore

from .. import data
from ..checks import expect_no_problems, match_problems, state_problems
from ..fixtures import StoreFixtures
from ..processes import Child
from ..reference import Reference
from ..requirements import requires
from .test_roundtrip import METADATAS

#: Run in a second process while the test holds the store open: print the class of the error opening raised.
_SECOND_OPENER = """
import sys, vectorstore
try:
    with vectorstore.open(sys.argv[1]) as store:
        store.list_collections()
        store.count(sys.argv[2])
except Exception as exc:
    print(type(exc).__name__, exc, flush=True)
else:
    print("opened", flush=True)
"""


def _fill(
    store: VectorStore, make_collection: Callable[..., str], dimension: int, metric: str, seed: int
) -> tuple[str, Reference]:
    name = make_collection(dimension=dimension, metric=metric)
    n = 60
    ids = data.ids(f"p{seed}-", n)
    vectors = data.gaussian(seed, n, dimension)
    documents = [None if i % 4 == 0 else f"document {i} ✓" for i in range(n)]
    metadatas = [METADATAS[i % len(METADATAS)] for i in range(n)]
    store.upsert(name, ids, vectors, documents, metadatas)
    reference = Reference(metric)  # type: ignore[arg-type]
    reference.upsert(ids, vectors, documents, metadatas)
    return name, reference


def _state_problems(store: VectorStore, name: str, reference: Reference) -> list[str]:
    """Everything stored, plus a query: the reopened backend's index must agree with its records."""
    query = data.gaussian(99, 1, next(iter(reference.rows.values())).vector.shape[0])[0]
    found = store.search(name, query, k=10)
    problems = state_problems(store, name, reference) + [
        f"query: {p}" for p in match_problems(found, reference, query, 10)
    ]
    return [f"{name}: {p}" for p in problems]


class PersistenceTests(StoreFixtures):
    group = "persistence"
    __requires__ = ("persistent",)

    def test_reopen_keeps_everything(
        self, store: VectorStore, make_collection: Callable[..., str], reopen: Callable[[], VectorStore]
    ) -> None:
        first, first_ref = _fill(store, make_collection, 8, "cosine", 1)
        second, second_ref = _fill(store, make_collection, 3, "l2", 2)
        dropped, _ = _fill(store, make_collection, 4, "dot", 3)
        store.delete(first, ["p1-0", "p1-1"])
        first_ref.delete(["p1-0", "p1-1"])
        store.delete_collection(dropped)
        store = reopen()
        listed = {info.name: info for info in store.list_collections()}
        assert listed.get(first) == CollectionInfo(name=first, dimension=8, metric="cosine")
        assert listed.get(second) == CollectionInfo(name=second, dimension=3, metric="l2")
        assert dropped not in listed
        expect_no_problems(_state_problems(store, first, first_ref) + _state_problems(store, second, second_ref))

    def test_writes_after_reopen(
        self, store: VectorStore, make_collection: Callable[..., str], reopen: Callable[[], VectorStore]
    ) -> None:
        name, reference = _fill(store, make_collection, 8, "cosine", 4)
        store = reopen()
        vectors = data.gaussian(5, 10, 8)
        ids = data.ids("p4-", 10)  # replaces the first ten
        store.upsert(name, ids, vectors, metadatas=[{"generation": 2}] * 10)
        reference.upsert(ids, vectors, metadatas=[{"generation": 2}] * 10)
        store.delete(name, ["p4-59"])
        reference.delete(["p4-59"])
        store = reopen()
        expect_no_problems(_state_problems(store, name, reference))

    @requires("single_owner")
    def test_second_process_gets_store_locked(
        self, store: VectorStore, store_url: str, make_collection: Callable[..., str]
    ) -> None:
        name, _ = _fill(store, make_collection, 8, "cosine", 6)
        child = Child("-c", _SECOND_OPENER, store_url, name)
        output = list(child.lines())
        child.process.wait()
        assert output and output[0].startswith("StoreLocked"), (
            f"second opener printed {output}; stderr:\n{child.stderr()}"
        )
        assert store.count(name) == 60
