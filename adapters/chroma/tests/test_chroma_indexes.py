"""Chroma has no payload indexes: declarations are recorded in the collection's metadata, listed, kept across a
reopen and carried by ``repair`` (which rebuilds the collection with its ``_vs_`` metadata)."""

from __future__ import annotations

from pathlib import Path

import vectorstore


def test_declarations_are_recorded_and_survive_reopen_and_repair(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c?isolation=none"
    with vectorstore.open(url) as store:
        assert not store.capabilities.payload_indexes
        store.create_collection("docs", 2, indexes={"year": "integer"})
        store.upsert("docs", ["a"], [[1.0, 0.0]], metadatas=[{"year": 2020}])
        store.create_index("docs", "lang", "keyword")
    with vectorstore.open(url) as store:
        assert store.list_indexes("docs") == {"lang": "keyword", "year": "integer"}
        report = store.adapter.repair("docs")  # type: ignore[attr-defined]
        assert report.replaced, report
        assert store.list_indexes("docs") == {"lang": "keyword", "year": "integer"}
        assert [(r.id, r.metadata) for r in store.get("docs", ["a"])] == [("a", {"year": 2020})]
