"""Full-replace upsert, reserved keys, absent documents and batches above Chroma's limit, on real Chroma."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings

import vectorstore
from vectorstore.errors import BackendError
from vectorstore.models import CollectionInfo, Record
from vectorstore.store import VectorStore
from vectorstore_chroma.adapter import CHROMA_MAX_BATCH


@pytest.fixture
def store(any_url: str) -> Iterator[VectorStore]:
    with vectorstore.open(any_url) as opened:
        before = {info.name for info in opened.list_collections()}
        yield opened
        for info in opened.list_collections():
            if info.name not in before:
                opened.delete_collection(info.name)


def _native(store: VectorStore, name: str, record_id: str) -> tuple[str | None, dict | None]:
    """What Chroma itself holds for a record (reserved keys included), read through the adapter's own client."""
    collection = store.adapter._client.get_collection(name, embedding_function=None)  # type: ignore[attr-defined]
    raw = collection.get(ids=[record_id], include=["documents", "metadatas"])
    return raw["documents"][0], raw["metadatas"][0]


def test_native_upsert_merges_so_the_adapter_must_replace() -> None:
    """The gap being closed: Chroma's own upsert keeps old keys and the old document."""
    client = chromadb.EphemeralClient(Settings(anonymized_telemetry=False))
    collection = client.create_collection(f"merge-{uuid.uuid4().hex[:8]}", embedding_function=None)
    try:
        collection.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["old"], metadatas=[{"k": 1, "tags": ["x"]}])
        collection.upsert(ids=["a"], embeddings=[[0.0, 1.0]], metadatas=[{"j": 2}])
        raw = collection.get(ids=["a"], include=["documents", "metadatas"])
        assert raw["documents"] == ["old"]
        assert raw["metadatas"][0] == {"k": 1, "tags": ["x"], "j": 2}
    finally:
        client.delete_collection(collection.name)


def test_upsert_replaces_the_whole_record(store: VectorStore) -> None:
    name = f"replace-{uuid.uuid4().hex[:8]}"
    store.create_collection(name, 2, "l2")
    store.upsert(name, ["a", "b"], [[1, 0], [0, 1]], ["old doc", "keeps"], [{"k": 1, "tags": ["x", "y"], "f": 0.5}, {"k": 2}])
    store.upsert(name, ["a"], [[3, 4]], None, [{"j": True}])

    (record,) = store.get(name, ["a"], include=("vector", "document", "metadata"))
    assert record == Record(id="a", vector=[3.0, 4.0], document=None, metadata={"j": True})
    assert store.get(name, ["b"])[0].metadata == {"k": 2}  # the other record is untouched
    # the old keys are gone from Chroma, not just hidden: filters cannot see them either
    document, metadata = _native(store, name, "a")
    assert not {"k", "tags", "f"} & set(metadata or {})
    assert store.count(name, where={"k": {"$exists": True}}) == 1
    assert store.count(name, where={"tags": {"$contains": "x"}}) == 0
    assert store.count(name, document={"$contains": "old"}) == 0

    store.upsert(name, ["a"], [[3, 4]], ["new doc"], [None])
    assert store.get(name, ["a"])[0] == Record(id="a", document="new doc", metadata={})
    assert store.count(name, where={"j": {"$exists": True}}) == 0


def test_reserved_keys_are_stored_but_hidden(store: VectorStore) -> None:
    name = f"reserved-{uuid.uuid4().hex[:8]}"
    store.create_collection(name, 2)
    store.upsert(name, ["a", "b", "c"], np.ones((3, 2)), [None, "", "text"], [{"n": 1, "s": "x", "l": [1]}, {}, None])
    flags = {"_vs_num_n": True, "_vs_num_s": False, "_vs_num_l": False}
    assert _native(store, name, "a") == (None, {"n": 1, "s": "x", "l": [1], **flags})
    assert _native(store, name, "b") == ("", None)
    store.upsert(name, ["a"], [[1, 1]], metadatas=[{"n": 1, "s": "x", "l": [1]}])  # replaced: "" marks no document
    assert _native(store, name, "a") == ("", {"n": 1, "s": "x", "l": [1], **flags, "_vs_nodoc": True})
    got = {r.id: (r.document, r.metadata) for r in store.get(name, ["a", "b", "c"])}
    # an empty document and no document stay different things
    assert got == {"a": (None, {"n": 1, "s": "x", "l": [1]}), "b": ("", {}), "c": ("text", {})}
    hits = store.search(name, [1, 1], k=3, include=("document", "metadata"))
    assert {m.id: (m.document, m.metadata) for m in hits} == got


def test_deleted_collection_leaves_nothing_behind(store: VectorStore) -> None:
    """chroma#7594: list metadata of a dropped collection must not reappear on the next records written."""
    first, second = f"first-{uuid.uuid4().hex[:8]}", f"second-{uuid.uuid4().hex[:8]}"
    store.create_collection(first, 2)
    store.upsert(first, ["a"], [[1, 1]], metadatas=[{"k": 1}])  # the list comes in a later write
    store.upsert(first, ["a", "b"], np.ones((2, 2)), metadatas=[{"tags": ["ghost"]}, {"nums": [1, 2]}])
    store.delete_collection(first)
    store.create_collection(second, 2)
    store.upsert(second, ["x", "y", "z"], np.ones((3, 2)), metadatas=[{"k": 1}, None, {"k": 3}])
    assert {r.id: r.metadata for r in store.get(second, ["x", "y", "z"])} == {"x": {"k": 1}, "y": {}, "z": {"k": 3}}
    assert store.count(second, where={"tags": {"$contains": "ghost"}}) == 0


def test_closed_memory_store_leaves_nothing_behind() -> None:
    """Ephemeral stores share one Chroma system per process; closing one must not leak into the next."""
    with vectorstore.open("chroma+memory://?isolation=none") as first:
        first.create_collection("ghosts", 2)
        first.upsert("ghosts", ["a"], [[1, 0]], metadatas=[{"tags": ["ghost"]}])
    with vectorstore.open("chroma+memory://?isolation=none") as second:
        assert second.list_collections() == []
        second.create_collection("ghosts", 2)
        second.upsert("ghosts", ["a"], [[1, 0]], metadatas=[{"k": 1}])
        assert second.get("ghosts", ["a"])[0].metadata == {"k": 1}


def test_batches_above_chroma_limit(memory_url: str) -> None:
    """More than 5,461 records per call: upsert (new and replacing), get, query rows and delete are chunked."""
    n = CHROMA_MAX_BATCH + 150
    ids = [f"id{i}" for i in range(n)]
    vectors = np.random.default_rng(5).standard_normal((n, 3)).astype(np.float32)
    with vectorstore.open(memory_url) as store:
        assert store.capabilities.max_batch == CHROMA_MAX_BATCH
        store.create_collection("big", 3, "l2")
        store.upsert("big", ids, vectors, metadatas=[{"i": i, "old": True} for i in range(n)])
        store.upsert("big", ids, vectors, metadatas=[{"i": i} for i in range(n)])  # replaces: old keys nulled
        assert store.count("big") == n
        assert store.count("big", where={"old": {"$exists": True}}) == 0
        assert [r.id for r in store.get("big", ids[::-1], include=())] == ids[::-1]
        results = store.query("big", vectors, k=1, include=())
        assert len(results) == n and sum(hits[0].id == ids[i] for i, hits in enumerate(results)) == n
        assert store.delete("big", ids[: n - 10] + ["missing"]) == n - 10
        assert store.count("big") == 10


def test_collections_written_by_plain_chromadb(tmp_path: Path) -> None:
    """Read back what chromadb wrote without vectorstore: shape from a stored vector and the configured space."""
    client = chromadb.PersistentClient(str(tmp_path / "c"), Settings(anonymized_telemetry=False))
    native = client.create_collection("native", embedding_function=None, configuration={"hnsw": {"space": "ip"}})
    native.add(ids=["a", "b"], embeddings=[[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]], documents=["doc", None], metadatas=[{"k": 1}, None])
    client.create_collection("empty-native", embedding_function=None)
    client.close()

    with vectorstore.open(f"chroma://{tmp_path}/c?isolation=none") as store:
        assert store.list_collections() == [CollectionInfo(name="native", dimension=3, metric="dot")]  # empty one skipped
        with pytest.raises(BackendError, match="dimension is unknown"):
            store.get_collection("empty-native")
        assert store.get("native", ["b", "a"]) == [Record(id="b", metadata={}), Record(id="a", document="doc", metadata={"k": 1})]
        (best,) = store.search("native", [0.0, 1.0, 0.0], k=1)
        assert (best.id, best.score) == ("b", pytest.approx(2.0))
        store.upsert("native", ["a"], [[0.0, 0.0, 1.0]], metadatas=[{"j": 2}])  # full replace works on them too
        assert store.get("native", ["a"])[0] == Record(id="a", metadata={"j": 2})
