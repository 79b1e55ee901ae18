"""Migration carries payload indexes: the source's declared ones, and with ``infer_indexes`` one per metadata key
whose values share a kind; onto a real Qdrant Edge target, where they are built."""

from __future__ import annotations

from pathlib import Path

import pytest

import vectorstore
from vectorstore.migration import migrate

from .conftest import has, make_corpus

pytestmark = pytest.mark.skipif(not has("vectorstore_qdrant"), reason="needs vectorstore-qdrant")

INFERRED = {
    "b": "bool", "f": "float", "i": "integer", "lb": "bool", "lf": "float", "li": "integer", "ls": "keyword",
    "s": "keyword", "whole": "float",
}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {"s": "keyword", "year": "integer"}),
        ({"indexes": False}, {}),
        ({"infer_indexes": True}, {**INFERRED, "s": "keyword", "year": "integer"}),
    ],
    ids=["declared", "none", "declared-and-inferred"],
)
def test_indexes_carried_to_the_target(tmp_path: Path, options: dict[str, bool], expected: dict[str, str]) -> None:
    corpus = make_corpus(300)
    with vectorstore.open("memory://") as source, vectorstore.open(f"qdrant://{tmp_path}/q") as target:
        corpus.load(source, "docs")
        source.create_index("docs", "year", "integer")
        source.create_index("docs", "s", "keyword")
        report = migrate(source, target, ["docs"], checkpoint_dir=tmp_path / "ck", trial_queries=0, **options)
        assert report.ok, report.to_json()
        assert target.list_indexes("docs") == dict(sorted(expected.items()))
        assert target.count("docs", where={"s": "cat-3"}) == source.count("docs", where={"s": "cat-3"})
