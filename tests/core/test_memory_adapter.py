"""The reference ``memory`` adapter through ``vectorstore.open("memory://")``: the contract of DESIGN 3, and threads.

Expected results come from numpy formulas written here and from plain Python bookkeeping, never from the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

import vectorstore
from vectorstore import CollectionInfo
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.errors import CollectionExists, CollectionNotFound, InvalidInput, StoreClosed
from vectorstore.store import VectorStore

RNG = np.random.default_rng(7)


def test_open_memory_gives_the_memory_adapter(store: VectorStore) -> None:
    assert isinstance(store.adapter, MemoryAdapter)
    assert store.capabilities.metrics == frozenset({"cosine", "dot", "l2"})
    assert store.capabilities.exact_search and not store.capabilities.persistent
    assert "memory" in repr(store)


def test_each_open_is_a_separate_store() -> None:
    with vectorstore.open("memory://") as one, vectorstore.open("memory://") as two:
        one.create_collection("abc", 2)
        assert two.list_collections() == []


# -- collections ----------------------------------------------------------------------------------------------------


def test_collection_lifecycle(store: VectorStore) -> None:
    info = store.create_collection("docs", 4, "dot")
    assert info == CollectionInfo(name="docs", dimension=4, metric="dot")
    assert store.get_collection("docs") == info
    store.create_collection("alpha", 2)
    assert [c.name for c in store.list_collections()] == ["alpha", "docs"]
    assert store.get_collection("alpha").metric == "cosine"  # the default
    store.delete_collection("docs")
    assert [c.name for c in store.list_collections()] == ["alpha"]
    with pytest.raises(CollectionNotFound):
        store.get_collection("docs")
    with pytest.raises(CollectionNotFound):
        store.delete_collection("docs")
    store.delete_collection("docs", missing_ok=True)


def test_create_existing(store: VectorStore) -> None:
    store.create_collection("docs", 3, "l2")
    store.upsert("docs", ["a"], [[1, 2, 3]])
    with pytest.raises(CollectionExists):
        store.create_collection("docs", 3, "l2")
    same = store.create_collection("docs", 3, "l2", exist_ok=True)
    assert same == CollectionInfo(name="docs", dimension=3, metric="l2")
    for dimension, metric in ((4, "l2"), (3, "cosine")):
        with pytest.raises(CollectionExists, match="dimension 3 and metric 'l2'"):
            store.create_collection("docs", dimension, metric, exist_ok=True)  # type: ignore[arg-type]
    assert store.get_collection("docs").dimension == 3 and store.count("docs") == 1


def test_operations_on_a_missing_collection(store: VectorStore) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.upsert("nope", ["a"], [[1.0]]),
        lambda: store.get("nope", ["a"]),
        lambda: store.delete("nope", ["a"]),
        lambda: store.count("nope"),
        lambda: store.search("nope", [1.0]),
        lambda: store.query("nope", [[1.0]]),
        lambda: next(store.scan("nope")),
    ]
    for call in calls:
        with pytest.raises(CollectionNotFound, match="nope"):
            call()


def test_recreated_collection_gets_its_new_shape(store: VectorStore) -> None:
    store.create_collection("docs", 3)
    store.upsert("docs", ["a"], [[1, 2, 3]])
    store.delete_collection("docs")
    store.create_collection("docs", 2, "l2")
    store.upsert("docs", ["b"], [[1, 2]])
    assert store.count("docs") == 1
    assert store.search("docs", [1, 2])[0].distance == pytest.approx(0.0)


# -- records --------------------------------------------------------------------------------------------------------


@pytest.fixture
def docs(store: VectorStore) -> VectorStore:
    store.create_collection("docs", 3, "cosine")
    store.upsert(
        "docs",
        ["a", "b", "c"],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        documents=["alpha", "beta", None],
        metadatas=[{"n": 1, "tags": ["x", "y"]}, {"n": 2}, None],
    )
    return store


def test_upsert_fully_replaces(docs: VectorStore) -> None:
    result = docs.upsert("docs", ["a"], [[0, 0, 2]], metadatas=[{"m": True}])
    assert result.upserted == 1
    (record,) = docs.get("docs", ["a"], include=["vector", "document", "metadata"])
    assert (record.vector, record.document, record.metadata) == ([0.0, 0.0, 2.0], None, {"m": True})
    assert docs.count("docs") == 3
    assert docs.count("docs", where={"n": 1}) == 0


def test_get_order_duplicates_missing_and_include(docs: VectorStore) -> None:
    got = docs.get("docs", ["c", "missing", "a", "b", "a"])
    assert [r.id for r in got] == ["c", "a", "b"]
    assert [(r.vector, r.document, r.metadata) for r in got] == [
        (None, None, {}),
        (None, "alpha", {"n": 1, "tags": ["x", "y"]}),
        (None, "beta", {"n": 2}),
    ]
    (only_vector,) = docs.get("docs", ["b"], include=["vector"])
    assert (only_vector.vector, only_vector.document, only_vector.metadata) == ([0.0, 1.0, 0.0], None, None)
    (nothing,) = docs.get("docs", ["b"], include=[])
    assert (nothing.id, nothing.vector, nothing.document, nothing.metadata) == ("b", None, None, None)
    assert docs.get("docs", []) == []
    assert docs.get("docs", ["missing"]) == []


def test_vectors_round_trip_within_float32(store: VectorStore) -> None:
    vectors = RNG.normal(size=(20, 5))
    store.create_collection("vec", 5, "cosine")
    store.upsert("vec", [str(i) for i in range(20)], vectors)
    got = np.array([r.vector for r in store.get("vec", [str(i) for i in range(20)], include=["vector"])])
    np.testing.assert_array_equal(got, vectors.astype(np.float32))  # cosine vectors are stored as given


def test_caller_mutations_do_not_reach_the_store(docs: VectorStore) -> None:
    metadata = {"tags": ["p"], "n": 5}
    vector = np.array([[1.0, 1.0, 1.0]], dtype=np.float32)
    docs.upsert("docs", ["m"], vector, metadatas=[metadata])
    metadata["tags"].append("q")
    metadata["n"] = 6
    vector[0, 0] = 9.0
    (record,) = docs.get("docs", ["m"], include=["vector", "metadata"])
    assert record.metadata == {"tags": ["p"], "n": 5} and record.vector == [1.0, 1.0, 1.0]
    record.metadata["tags"].append("r")  # type: ignore[index]
    record.vector.append(0.0)  # type: ignore[union-attr]
    (again,) = docs.get("docs", ["m"], include=["vector", "metadata"])
    assert again.metadata == {"tags": ["p"], "n": 5} and again.vector == [1.0, 1.0, 1.0]
    hit = docs.search("docs", [1, 1, 1], k=1, include=["metadata"])[0]
    hit.metadata["tags"].append("s")  # type: ignore[index]
    assert docs.get("docs", ["m"])[0].metadata == {"tags": ["p"], "n": 5}


def test_delete_by_ids(docs: VectorStore) -> None:
    assert docs.delete("docs", ["a", "missing"]) == 1
    assert docs.delete("docs", ["missing"]) == 0
    assert docs.delete("docs", []) == 0
    assert sorted(r.id for batch in docs.scan("docs") for r in batch) == ["b", "c"]


def test_delete_by_filter(docs: VectorStore) -> None:
    assert docs.delete("docs", where={"n": {"$gte": 2}}) == 1
    assert docs.delete("docs", document={"$contains": "alp"}) == 1
    assert [r.id for batch in docs.scan("docs") for r in batch] == ["c"]
    assert docs.delete("docs", where={"n": 99}) == 0


def test_delete_needs_exactly_one_selector(docs: VectorStore) -> None:
    with pytest.raises(InvalidInput):
        docs.delete("docs")
    with pytest.raises(InvalidInput):
        docs.delete("docs", where={})
    with pytest.raises(InvalidInput):
        docs.delete("docs", ["a"], where={"n": 1})
    assert docs.count("docs") == 3


def test_count(docs: VectorStore) -> None:
    assert docs.count("docs") == 3
    assert docs.count("docs", where={"n": {"$exists": True}}) == 2
    assert docs.count("docs", where={"tags": {"$contains": "y"}}) == 1
    assert docs.count("docs", document={"$contains": "a"}) == 2


# -- query and search -----------------------------------------------------------------------------------------------


def truth(metric: str, queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Scores written independently of vectorstore.scores: higher is better."""
    q, v = queries.astype(np.float64), vectors.astype(np.float64)
    if metric == "cosine":
        return (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (v / np.linalg.norm(v, axis=1, keepdims=True)).T
    if metric == "dot":
        return q @ v.T
    return -np.linalg.norm(q[:, None, :] - v[None, :, :], axis=2)


def expected_distance(metric: str, score: np.ndarray) -> np.ndarray:
    return -score if metric == "l2" else 1.0 - score


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_query_scores_match_numpy(store: VectorStore, metric: str) -> None:
    vectors = RNG.normal(size=(300, 16)).astype(np.float32)
    queries = RNG.normal(size=(6, 16)).astype(np.float32)
    ids = [f"id{i}" for i in range(len(vectors))]
    store.create_collection("qry", 16, metric)  # type: ignore[arg-type]
    store.upsert("qry", ids, vectors, metadatas=[{"group": i % 3} for i in range(len(vectors))])
    expected = truth(metric, queries, vectors)
    results = store.query("qry", queries, k=10)
    assert len(results) == len(queries)
    for row, matches in zip(expected, results):
        order = np.argsort(-row, kind="stable")[:10]
        assert [m.id for m in matches] == [ids[i] for i in order]
        np.testing.assert_allclose([m.score for m in matches], row[order], atol=1e-4)
        np.testing.assert_allclose([m.distance for m in matches], expected_distance(metric, row[order]), atol=1e-4)
        assert all((m.document, m.metadata, m.vector) == (None, {"group": int(m.id[2:]) % 3}, None) for m in matches)
    # a filter restricts the candidates before ranking
    allowed = [i for i in range(len(vectors)) if i % 3 == 1]
    filtered = store.search("qry", queries[0], k=5, where={"group": 1}, include=["vector"])
    row = expected[0][allowed]
    order = np.argsort(-row, kind="stable")[:5]
    assert [m.id for m in filtered] == [ids[allowed[i]] for i in order]
    np.testing.assert_allclose([m.score for m in filtered], row[order], atol=1e-4)
    for match in filtered:
        assert match.vector == vectors[int(match.id[2:])].tolist()


def test_k_larger_than_count_returns_everything_sorted(docs: VectorStore) -> None:
    hits = docs.search("docs", [3, 2, 1], k=50)
    assert [h.id for h in hits] == ["a", "b", "c"]
    norm = np.sqrt(14)
    np.testing.assert_allclose([h.score for h in hits], [3 / norm, 2 / norm, 1 / norm], atol=1e-6)
    assert docs.search("docs", [3, 2, 1], k=50, where={"n": 99}) == []


def test_query_on_an_empty_collection(store: VectorStore) -> None:
    store.create_collection("empty", 2)
    assert store.query("empty", [[1, 0], [0, 1]], k=3) == [[], []]
    assert store.search("empty", [1, 0]) == []


def test_query_with_document_filter_and_include(docs: VectorStore) -> None:
    hits = docs.search("docs", [0, 1, 0], document={"$contains": "a"}, include=["document", "vector"])
    assert [(h.id, h.document, h.vector, h.metadata) for h in hits] == [
        ("b", "beta", [0.0, 1.0, 0.0], None),
        ("a", "alpha", [1.0, 0.0, 0.0], None),
    ]


def test_query_accepts_numpy_and_lists_alike(docs: VectorStore) -> None:
    as_list = docs.query("docs", [[1, 2, 3]], k=2)
    as_numpy = docs.query("docs", np.array([[1, 2, 3]], dtype=np.float64), k=2)
    assert as_list == as_numpy


# -- scan -----------------------------------------------------------------------------------------------------------


def test_scan_is_complete_each_id_once(store: VectorStore) -> None:
    n = 1037
    store.create_collection("big", 4)
    store.upsert("big", [f"r{i}" for i in range(n)], RNG.normal(size=(n, 4)), metadatas=[{"i": i} for i in range(n)])
    batches = list(store.scan("big", batch_size=100))
    assert all(1 <= len(b) <= 100 for b in batches)
    seen = [r.id for b in batches for r in b]
    assert len(seen) == n and set(seen) == {f"r{i}" for i in range(n)}
    odd = [r for b in store.scan("big", where={"i": {"$in": [1, 3, 5, 1001]}}, include=["metadata"]) for r in b]
    assert sorted(r.metadata["i"] for r in odd) == [1, 3, 5, 1001]  # type: ignore[index]


def test_scan_is_not_disturbed_by_writes(store: VectorStore) -> None:
    store.create_collection("big", 2)
    store.upsert("big", [f"r{i}" for i in range(50)], np.ones((50, 2)))
    seen: list[str] = []
    for batch in store.scan("big", batch_size=10):
        seen += [r.id for r in batch]
        store.delete("big", [batch[0].id])
        store.upsert("big", [f"new{len(seen)}"], [[1, 1]])
    assert sorted(seen) == sorted(f"r{i}" for i in range(50))


# -- lifecycle and handle -------------------------------------------------------------------------------------------


def test_closed_store_refuses_calls() -> None:
    store = vectorstore.open("memory://")
    store.create_collection("abc", 2)
    store.close()
    store.close()  # idempotent
    for call in (lambda: store.count("abc"), store.list_collections, lambda: store.create_collection("xyz", 2)):
        with pytest.raises(StoreClosed):
            call()


def test_collection_handle(store: VectorStore) -> None:
    store.create_collection("docs", 2, "dot")
    docs = store.collection("docs")
    docs.upsert(["a", "b"], [[1, 0], [0, 2]], metadatas=[{"k": 1}, {"k": 2}])
    assert len(docs) == 2 and docs.count(where={"k": 2}) == 1
    assert docs.info == CollectionInfo(name="docs", dimension=2, metric="dot")
    assert [m.id for m in docs.search([0, 1], k=1)] == ["b"]
    assert [[m.id for m in row] for row in docs.query([[1, 0]], k=2)] == [["a", "b"]]
    assert [r.id for r in docs.get(["b"])] == ["b"]
    assert docs.delete(where={"k": 1}) == 1
    assert [r.id for batch in docs.scan() for r in batch] == ["b"]
    assert "docs" in repr(docs)


# -- threads --------------------------------------------------------------------------------------------------------


def test_threads_writing_and_reading(store: VectorStore) -> None:
    """8 threads upsert, replace, delete and read at once; the end state equals a reference kept per thread."""
    threads, rounds, dim = 8, 60, 4
    store.create_collection("shared", dim, "l2")
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def vector(t: int, i: int, version: int) -> list[float]:
        return [float(t), float(i), float(version), 1.0]

    def work(t: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                record = f"t{t}-{i}"
                store.upsert("shared", [record], [vector(t, i, 0)], metadatas=[{"t": t, "i": i, "v": 0}])
                if i % 4 == 1:  # replace
                    store.upsert("shared", [record], [vector(t, i, 1)], metadatas=[{"t": t, "i": i, "v": 1}])
                if i % 5 == 2:  # delete
                    assert store.delete("shared", [record]) == 1
                    assert store.get("shared", [record]) == []
                else:
                    (got,) = store.get("shared", [record], include=["vector"])
                    assert got.vector == vector(t, i, 1 if i % 4 == 1 else 0)
                hits = store.search("shared", vector(t, i, 0), k=3, where={"t": t})
                assert all(h.metadata["t"] == t for h in hits)  # type: ignore[index]
                store.count("shared", where={"t": t})
                list(store.scan("shared", batch_size=50))
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []

    reference = {
        f"t{t}-{i}": (vector(t, i, 1 if i % 4 == 1 else 0), {"t": t, "i": i, "v": 1 if i % 4 == 1 else 0})
        for t in range(threads)
        for i in range(rounds)
        if i % 5 != 2
    }
    stored = {
        r.id: (r.vector, r.metadata)
        for batch in store.scan("shared", include=["vector", "metadata"])
        for r in batch
    }
    assert stored == reference
    assert store.count("shared") == len(reference)
    for t in range(threads):
        assert store.count("shared", where={"t": t}) == sum(1 for i in range(rounds) if i % 5 != 2)
