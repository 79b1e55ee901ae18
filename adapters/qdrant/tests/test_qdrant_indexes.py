"""Payload indexes on Qdrant: the embedded engine builds them natively (numbers as float indexes, keys quoted like
filter paths), declarations are listed as declared, and local mode records them without building any."""

from __future__ import annotations

from pathlib import Path

import qdrant_edge as qe

import vectorstore


def _native_schema(store: vectorstore.VectorStore, name: str) -> dict[str, object]:
    shard = store.adapter.engine._shard(name)  # type: ignore[attr-defined]
    return {path: info.data_type for path, info in shard.info().payload_schema.items()}


def test_edge_builds_native_indexes_and_lists_the_declared_kinds(tmp_path: Path) -> None:
    with vectorstore.open(f"qdrant://{tmp_path}/q") as store:
        assert store.capabilities.payload_indexes
        store.create_collection("docs", 4, indexes={"year": "integer", "a.b": "keyword", "ok": "bool"})
        native = _native_schema(store, "docs")
        assert native["year"] == qe.PayloadSchemaType.Float  # an integer index would hide float values
        assert native['"a.b"'] == qe.PayloadSchemaType.Keyword  # the path filters use for a dotted key
        assert native["ok"] == qe.PayloadSchemaType.Bool
        assert store.list_indexes("docs") == {"a.b": "keyword", "ok": "bool", "year": "integer"}
        store.upsert("docs", ["x", "y"], [[1, 0, 0, 0], [0, 1, 0, 0]], metadatas=[{"a.b": "v", "year": 2.5}, {"year": 3}])
        assert [m.id for m in store.search("docs", [1, 0, 0, 0], where={"year": {"$lt": 3}})] == ["x"]
        assert [m.id for m in store.search("docs", [1, 0, 0, 0], where={"a.b": "v"})] == ["x"]


def test_local_mode_records_declarations_without_building(tmp_path: Path) -> None:
    url = f"qdrant+local://{tmp_path}/q"
    with vectorstore.open(url) as store:
        assert not store.capabilities.payload_indexes
        store.create_collection("docs", 4, indexes={"year": "integer"})
        store.create_index("docs", "lang", "keyword")
    with vectorstore.open(url) as store:
        assert store.list_indexes("docs") == {"lang": "keyword", "year": "integer"}
