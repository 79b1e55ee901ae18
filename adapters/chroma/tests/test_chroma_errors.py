"""Native failures become :mod:`vectorstore.errors` with the chromadb exception as ``__cause__``; transient ones retry."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import numpy as np
import pytest
from chromadb.errors import ChromaError, InternalError, NotFoundError

import vectorstore
from vectorstore.errors import BackendUnavailable, CollectionExists, CollectionNotFound, InvalidCollectionName
from vectorstore_chroma.errors import is_transient


def test_missing_and_existing_collections(any_url: str) -> None:
    name = f"errors-{uuid.uuid4().hex[:8]}"
    with vectorstore.open(any_url) as store:
        with pytest.raises(CollectionNotFound) as missing:
            store.get_collection(name)
        assert isinstance(missing.value.__cause__, NotFoundError)
        store.create_collection(name, 2)
        try:
            with pytest.raises(CollectionExists) as exists:
                store.create_collection(name, 2)
            assert isinstance(exists.value.__cause__, ChromaError)
        finally:
            store.delete_collection(name)
        with pytest.raises(CollectionNotFound):
            store.delete_collection(name)


def test_name_chroma_refuses_is_an_invalid_name(any_url: str) -> None:
    """``a..b`` passes the core's character rules but not Chroma's; nothing is created."""
    with vectorstore.open(any_url) as store:
        before = store.list_collections()
        with pytest.raises(InvalidCollectionName) as refused:
            store.create_collection("a..b", 2)
        assert isinstance(refused.value.__cause__, ChromaError)
        assert store.list_collections() == before


def test_unreachable_server_is_backend_unavailable(unused_port: int) -> None:
    with pytest.raises(BackendUnavailable) as unavailable:
        vectorstore.open(f"chroma+http://127.0.0.1:{unused_port}?isolation=none")
    assert unavailable.value.__cause__ is not None


def test_collection_recreated_by_another_client(http_url: str) -> None:
    """A cached collection handle that went stale (deleted and recreated elsewhere) is refreshed, not an error."""
    name = f"stale-{uuid.uuid4().hex[:8]}"
    with vectorstore.open(http_url) as mine, vectorstore.open(http_url) as theirs:
        mine.create_collection(name, 2)
        mine.upsert(name, ["a"], [[1, 0]])
        theirs.delete_collection(name)
        theirs.create_collection(name, 2)
        mine.upsert(name, ["b"], [[0, 1]])
        assert [r.id for r in theirs.get(name, ["a", "b"])] == ["b"]
        mine.delete_collection(name)


def test_error_finding_id_is_transient() -> None:
    assert is_transient(InternalError("Error executing plan: Internal error: Error finding id"))
    assert not is_transient(InternalError("Collection [x] already exists"))
    assert not is_transient(ValueError("Error finding id"))  # only Chroma's own error


def test_reads_racing_deletes_do_not_fail(memory_url: str) -> None:
    """8 threads writing, deleting and running filtered reads: Chroma's transient "Error finding id" (6-10 per run
    of this shape without retries) never reaches the caller, and the final state is exact."""
    failures: Counter[str] = Counter()
    with vectorstore.open(memory_url) as store:
        store.create_collection("race", 16)

        def work(thread: int) -> None:
            rng = np.random.default_rng(thread)
            for round_ in range(30):
                ids = [f"t{thread}-{round_}-{i}" for i in range(20)]
                try:
                    store.upsert("race", ids, rng.random((20, 16)), metadatas=[{"t": thread, "r": round_}] * 20)
                    store.query("race", rng.random((2, 16)), k=5, where={"t": thread})
                    store.delete("race", ids[10:])
                    store.count("race", where={"t": thread})
                    store.query("race", rng.random((1, 16)), k=10, where={"r": {"$gte": round_ - 2}})
                except Exception as exc:  # noqa: BLE001 - counted and reported below
                    failures[f"{type(exc).__name__}: {exc}"] += 1

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        assert store.count("race") == 8 * 30 * 10
        assert all(store.count("race", where={"t": t}) == 300 for t in range(8))
