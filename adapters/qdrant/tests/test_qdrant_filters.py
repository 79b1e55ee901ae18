"""Filter translation traps specific to Qdrant, each checked against the reference evaluator.

The conformance suite compares every operator family on every engine; these pin the cases where a naive Qdrant
translation is wrong: qdrant-edge-py's boolean match, list elements, type strictness, quoted keys, and documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from vectorstore_qdrant.filters import Translator

import vectorstore
from vectorstore.errors import UnsupportedFilter
from vectorstore.filters import And, Condition, Not, matches, parse_filter
from vectorstore.store import VectorStore

ROWS: dict[str, tuple[str | None, dict]] = {
    "bool-true": (None, {"v": True}),
    "bool-false": (None, {"v": False}),
    "int-1": (None, {"v": 1}),
    "int-0": (None, {"v": 0}),
    "float-1": (None, {"v": 1.0}),
    "str-1": (None, {"v": "1"}),
    "str-true": (None, {"v": "true"}),
    "list-int": (None, {"v": [1, 2]}),
    "list-bool": (None, {"v": [True]}),
    "list-str": (None, {"v": ["true", "x"]}),
    "missing": (None, {"w": 1}),
    "empty": (None, {}),
    "dotted": (None, {"a.b": 5, "a": 6, "sp ace": "x", "ü": True, "[0]": 1}),
    "doc-upper": ("Hello World", {}),
    "doc-lower": ("hello world", {}),
    "doc-word": ("foo-bar baz", {}),
}

FILTERS = [
    {"v": True},
    {"v": False},
    {"v": 1},
    {"v": 1.0},
    {"v": "1"},
    {"v": "true"},
    {"v": {"$ne": True}},
    {"v": {"$ne": 1}},
    {"v": {"$in": [True]}},
    {"v": {"$in": [1, 2]}},
    {"v": {"$in": ["1", "x"]}},
    {"v": {"$nin": [False, True]}},
    {"v": {"$nin": [1]}},
    {"v": {"$gt": 0}},
    {"v": {"$gte": 1}},
    {"v": {"$lt": 1.5}},
    {"v": {"$contains": True}},
    {"v": {"$contains": 1}},
    {"v": {"$contains": "true"}},
    {"v": {"$exists": True}},
    {"v": {"$exists": False}},
    {"$not": {"v": {"$contains": 2}}},
    {"$or": [{"v": True}, {"v": {"$contains": True}}]},
    {"a.b": 5},
    {"a": 6},
    {"sp ace": "x"},
    {"ü": True},
    {"[0]": 1},
]
DOCUMENTS = [{"$contains": "World"}, {"$contains": "world"}, {"$contains": "o-b"}, {"$contains": "lo wo"}]


@pytest.fixture(scope="module")
def corpus_store(module_url: str) -> Iterator[VectorStore]:
    """One store per engine holding the corpus, shared by this module's read-only tests."""
    with vectorstore.open(module_url) as store:
        ids = list(ROWS)
        vectors = np.random.default_rng(3).standard_normal((len(ids), 4)).astype(np.float32)
        store.create_collection("traps", 4, "cosine")
        documents = [document for document, _ in ROWS.values()]
        store.upsert("traps", ids, vectors, documents=documents, metadatas=[m for _, m in ROWS.values()])
        yield store


def _expected(where: dict | None, document: dict | None = None) -> set[str]:
    node = parse_filter(where, document)
    return {i for i, (doc, metadata) in ROWS.items() if matches(node, metadata, doc)}


@pytest.mark.parametrize("where", FILTERS, ids=[str(f) for f in FILTERS])
def test_where_equals_reference(corpus_store: VectorStore, where: dict) -> None:
    found = {r.id for batch in corpus_store.scan("traps", where=where) for r in batch}
    assert found == _expected(where)
    assert corpus_store.count("traps", where=where) == len(found)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d) for d in DOCUMENTS])
def test_document_contains_is_case_sensitive_substring(corpus_store: VectorStore, document: dict) -> None:
    found = {r.id for batch in corpus_store.scan("traps", document=document) for r in batch}
    assert found == _expected(None, document)


def test_key_that_cannot_be_addressed(corpus_store: VectorStore) -> None:
    with pytest.raises(UnsupportedFilter, match="double quote"):
        corpus_store.count("traps", where={'say "hi"': 1})


def test_edge_boolean_match_needs_numpy_bool(tmp_path: Path) -> None:
    """Guards the edge engine's boolean matches: qdrant-edge-py's MatchValue(True) matches 1 and misses true, while
    MatchValue(numpy.True_) matches true (and a list holding it) and not 1. If the first half starts failing, the
    engine is fixed and the conversion in ``EdgeFilters.match`` can go."""
    import qdrant_edge as qe

    shard = qe.EdgeShard.create(str(tmp_path / "s"), qe.EdgeConfig(vectors=qe.EdgeVectorParams(2, qe.Distance.Dot)))
    try:
        payloads = [{"b": True}, {"b": 1}, {"b": [False, True]}, {"b": False}]
        points = [qe.Point(i + 1, [1.0, 0.0], payload) for i, payload in enumerate(payloads)]
        shard.update(qe.UpdateOperation.upsert_points(points))

        def found(value: Any) -> list[int]:
            condition = qe.Filter(must=[qe.FieldCondition("b", match=qe.MatchValue(value))])
            return sorted(p.id for p in shard.scroll(qe.ScrollRequest(limit=10, filter=condition))[0])

        plain, numpy_true, numpy_false = found(True), found(np.True_), found(np.False_)
    finally:
        shard.close()
    assert plain == [2]
    assert (numpy_true, numpy_false) == ([1, 3], [3, 4])


@dataclass(frozen=True)
class _Near:
    """A node kind the tree does not define."""

    key: str


@pytest.mark.parametrize("tree", [_Near("v"), Not(_Near("v")), And((Condition("v", "$eq", 1), _Near("v")))])
def test_an_unknown_node_is_an_unsupported_filter(tree: Any) -> None:
    """Refused by the translation both engines share (a ``TypeError`` before), before any engine sees it."""
    translator = Translator("document")
    with pytest.raises(UnsupportedFilter, match="is not a filter node"):
        translator.translate(tree)
