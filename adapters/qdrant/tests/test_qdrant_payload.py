"""The payload layout, read with the engines' own clients: what other Qdrant tools see, and what we can open."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore import scores
from vectorstore.store import VectorStore
from vectorstore_qdrant.ids import point_id

RECORDS = {
    "book-1": (
        "A desert planet",
        {"title": "Dune", "year": 1965, "tags": ["sf", "classic"], "hardcover": True, "flags": [False, True]},
    ),
    "book-2": (None, {}),
}


def _write(url: str, metric: str = "cosine") -> np.ndarray:
    vectors = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0]], dtype=np.float32)
    with vectorstore.open(url) as store:
        store.create_collection("books", 3, metric)  # type: ignore[arg-type]
        store.upsert(
            "books",
            list(RECORDS),
            vectors,
            documents=[document for document, _ in RECORDS.values()],
            metadatas=[metadata for _, metadata in RECORDS.values()],
        )
    return vectors


EXPECTED = {
    "book-1": {
        "title": "Dune",
        "year": 1965,
        "tags": ["sf", "classic"],
        "hardcover": True,
        "flags": [False, True],
        "_vs_id": "book-1",
        "_vs_doc": "A desert planet",
        "_vs_lists": ["tags", "flags"],
        "_vs_norm": 5.0,
    },
    "book-2": {"_vs_id": "book-2", "_vs_norm": 2.0},
}


def _normalise(payload: dict) -> dict:
    """Compare list-valued reserved fields as sets (their order is not part of the layout)."""
    return {k: sorted(v) if k == "_vs_lists" else v for k, v in payload.items()}


def test_edge_payload_layout(tmp_path: Path) -> None:
    import qdrant_edge as qe

    _write(f"qdrant://{tmp_path}/q")
    manifest = (tmp_path / "q" / "vectorstore-qdrant.json").read_text()
    directory = __import__("json").loads(manifest)["collections"]["books"]["directory"]
    shard = qe.EdgeShard.load(str(tmp_path / "q" / directory))
    try:
        points = shard.retrieve([point_id(i) for i in RECORDS], True, True)
    finally:
        shard.close()
    assert {str(p.id) for p in points} == {point_id(i) for i in RECORDS}
    for record_id, point in zip(RECORDS, points):
        assert _normalise(point.payload) == _normalise(EXPECTED[record_id])
    np.testing.assert_allclose(points[0].vector, [0.6, 0.8, 0.0], rtol=1e-6)  # Qdrant stores it normalised


def test_local_payload_layout(tmp_path: Path) -> None:
    from qdrant_client import QdrantClient

    _write(f"qdrant+local://{tmp_path}/q")
    client = QdrantClient(path=str(tmp_path / "q"))
    try:
        points = client.retrieve("books", [point_id(i) for i in RECORDS], with_payload=True)
    finally:
        client.close()
    for record_id, point in zip(RECORDS, points):
        assert _normalise(point.payload or {}) == _normalise(EXPECTED[record_id])


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_norm_kept_only_for_cosine(tmp_path: Path, metric: str) -> None:
    from qdrant_client import QdrantClient

    _write(f"qdrant+local://{tmp_path}/q", metric)
    client = QdrantClient(path=str(tmp_path / "q"))
    try:
        (point,) = client.retrieve("books", [point_id("book-1")], with_payload=True)
    finally:
        client.close()
    assert ("_vs_norm" in (point.payload or {})) is (metric == "cosine")


def test_opens_a_migration_tool_collection(tmp_path: Path) -> None:
    """A collection as qdrant/migration writes it from Chroma: named vector ``dense_vector``, ids in ``__id__``,
    documents in ``document``, metadata at the top level, UUID ids passed through, others uuid5-hashed."""
    from qdrant_client import QdrantClient
    from qdrant_client import models as m

    kept_uuid = str(uuid.uuid4())
    rows = {
        "doc-1": ([1.0, 0.0, 0.0], "first", {"lang": "en", "year": 2020}),
        kept_uuid: ([0.0, 1.0, 0.0], "second", {"lang": "fr", "year": 2021}),
        "doc-3": ([0.0, 0.0, 1.0], None, {"lang": "en", "year": 2022}),
    }
    client = QdrantClient(path=str(tmp_path / "migrated"))
    client.create_collection(
        "from_chroma", vectors_config={"dense_vector": m.VectorParams(size=3, distance=m.Distance.EUCLID)}
    )
    points = []
    for record_id, (vector, document, metadata) in rows.items():
        target = record_id if record_id == kept_uuid else str(uuid.uuid5(uuid.NAMESPACE_URL, record_id))
        payload = {**metadata, "__id__": record_id, **({"document": document} if document else {})}
        points.append(m.PointStruct(id=target, vector={"dense_vector": vector}, payload=payload))
    client.upsert("from_chroma", points)
    client.close()

    url = f"qdrant+local://{tmp_path}/migrated?id_field=__id__&document_field=document"
    with vectorstore.open(url) as store:
        info = store.get_collection("from_chroma")
        assert (info.dimension, info.metric) == (3, "l2")
        got = store.get("from_chroma", list(rows), include=["vector", "document", "metadata"])
        assert [r.id for r in got] == list(rows)
        for record in got:
            vector, document, metadata = rows[record.id]
            assert (record.vector, record.document, record.metadata) == (vector, document, metadata)
        assert [m.id for m in store.search("from_chroma", [0.0, 0.9, 0.0], k=1)] == [kept_uuid]
        assert store.count("from_chroma", where={"lang": "en"}) == 2
        assert store.count("from_chroma", document={"$contains": "sec"}) == 1
        store.upsert("from_chroma", ["doc-1"], [[0.5, 0.5, 0.0]], documents=["updated"])
        assert store.count("from_chroma") == 3  # the migrated point was replaced, not duplicated
        assert store.get("from_chroma", ["doc-1"])[0].document == "updated"


def test_metadata_may_not_shadow_custom_fields(tmp_path: Path) -> None:
    from vectorstore.errors import InvalidRecord

    with vectorstore.open(f"qdrant+local://{tmp_path}/q?id_field=__id__&document_field=document") as store:
        store.create_collection("c-1", 2)
        with pytest.raises(InvalidRecord, match="document"):
            store.upsert("c-1", ["a"], [[1.0, 0.0]], metadatas=[{"document": "x"}])
        assert store.count("c-1") == 0


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_cosine_vectors_come_back_as_written_after_reopen(url_for: Callable[[str], str], engine: str) -> None:
    """Unit vectors are stored without a norm; others with one; both come back as written, also after a reopen
    (qdrant-client's local mode returns normalised vectors before a reopen and the originals after it)."""
    generator = np.random.default_rng(9)
    raw = generator.standard_normal((6, 5)).astype(np.float32)
    unit = (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype(np.float32)
    vectors = np.concatenate([unit[:3], raw[3:] * np.array([[1e-4], [3.0], [2e4]], dtype=np.float32)])
    tiny = np.zeros((1, 5), dtype=np.float32)
    tiny[0, 2] = 1e-7  # below float32 epsilon squared: Qdrant keeps it as it is
    vectors = np.concatenate([vectors, tiny, np.zeros((1, 5), dtype=np.float32)])
    ids = [f"v{i}" for i in range(len(vectors))]
    url = url_for(engine)

    def check(store: VectorStore) -> None:
        got = np.array([r.vector for r in store.get("cos", ids, include=["vector"])], dtype=np.float64)
        scale = np.abs(vectors).max(axis=1, keepdims=True)
        assert (np.abs(got - vectors) <= 1e-6 * np.abs(vectors) + 1e-6 * scale).all()

    with vectorstore.open(url) as store:
        store.create_collection("cos", 5, "cosine")
        store.upsert("cos", ids, vectors)
        check(store)
        hits = store.search("cos", vectors[4], k=len(ids))
        expected = scores.exact("cosine", vectors[4:5], vectors)[0]
        for hit in hits:
            assert hit.score == pytest.approx(expected[ids.index(hit.id)], abs=1e-4)
    with vectorstore.open(url) as store:
        check(store)


def test_reads_and_filters_points_with_the_legacy_bools_field(tmp_path: Path) -> None:
    """Points written before booleans were matched natively carry a ``_vs_bools`` shadow: it stays out of the
    metadata, and filters on their booleans still match (they read the boolean itself)."""
    import qdrant_edge as qe

    with vectorstore.open(f"qdrant://{tmp_path}/q") as store:
        store.create_collection("old", 2, "dot")
    manifest = (tmp_path / "q" / "vectorstore-qdrant.json").read_text()
    directory = __import__("json").loads(manifest)["collections"]["old"]["directory"]
    shard = qe.EdgeShard.load(str(tmp_path / "q" / directory))
    try:
        legacy = {  # the previous layout, field for field
            "old-1": {
                "hardcover": True,
                "flags": [False, True],
                "_vs_lists": ["flags"],
                "_vs_bools": ["hardcover=true", "flags=false", "flags=true"],
            },
            "old-2": {
                "hardcover": False,
                "flags": [True],
                "_vs_lists": ["flags"],
                "_vs_bools": ["hardcover=false", "flags=true"],
            },
        }
        points = [
            qe.Point(point_id(record_id), [1.0, 0.0], {**payload, "_vs_id": record_id})
            for record_id, payload in legacy.items()
        ]
        shard.update(qe.UpdateOperation.upsert_points(points))
        shard.flush()
    finally:
        shard.close()
    with vectorstore.open(f"qdrant://{tmp_path}/q") as store:
        got = store.get("old", ["old-1", "old-2"])
        assert [r.metadata for r in got] == [
            {"hardcover": True, "flags": [False, True]},
            {"hardcover": False, "flags": [True]},
        ]
        assert [r.id for r in store.search("old", [1.0, 0.0], k=5, where={"hardcover": True})] == ["old-1"]
        assert store.count("old", where={"hardcover": {"$ne": True}}) == 1
        assert store.count("old", where={"flags": {"$contains": False}}) == 1
        assert store.count("old", where={"flags": True}) == 0  # a list never equals a scalar
