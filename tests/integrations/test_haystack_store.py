"""What Haystack's own test classes leave out: filters compared with Haystack's reference evaluator, what a document
carries (nested meta, blob, sparse embedding), the retriever against numpy, and a YAML pipeline naming one URL twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from haystack import Pipeline
from haystack.dataclasses import ByteStream, Document, SparseEmbedding
from haystack.document_stores.types import DuplicatePolicy, FilterPolicy
from haystack.errors import FilterError
from haystack.utils.filters import document_matches_filter

import vectorstore
from vectorstore.errors import InvalidFilter, InvalidRecord, UnsupportedFilter
from vectorstore.integrations.haystack import VectorStoreDocumentStore, VectorStoreEmbeddingRetriever
from vectorstore.scores import exact, relevance

from .conftest import BACKENDS, require

DIM = 4
Make = Callable[..., VectorStoreDocumentStore]


@pytest.fixture
def make(backend_store: vectorstore.VectorStore) -> Iterator[Make]:
    """Document stores over fresh collections of the backend store, dropped afterwards."""
    names: list[str] = []

    def build(**kwargs: Any) -> VectorStoreDocumentStore:
        names.append(f"hs-{uuid.uuid4().hex[:12]}")
        return VectorStoreDocumentStore(store=backend_store, collection_name=names[-1], embedding_dim=DIM, **kwargs)

    yield build
    for name in names:
        backend_store.delete_collection(name, missing_ok=True)


VECTORS = np.random.default_rng(3).standard_normal((8, DIM)).astype(np.float32)
DOCS = [
    Document(
        id="a",
        content="alpha",
        meta={"lang": "en", "year": 2019, "rating": 4.5, "when": "2019-03-01T10:00:00"},
        embedding=VECTORS[0].tolist(),
    ),
    Document(id="b", content="beta", meta={"lang": "de", "year": 2021, "when": "2021-06-30"}, embedding=VECTORS[1].tolist()),
    Document(
        id="c",
        content="gamma",
        meta={"lang": "en", "year": 2023, "draft": True, "when": "2021-06-30T00:00:00.000001+00:00"},
        embedding=VECTORS[2].tolist(),
    ),
    Document(id="d", content="delta", meta={"lang": "fr", "rating": 1}, embedding=VECTORS[3].tolist()),
    Document(id="e", content="epsilon", meta={"info": {"a": 1}, "year": 2025}, embedding=VECTORS[4].tolist()),
    Document(id="f", content="no embedding", meta={"lang": "en", "year": 2020}),
    Document(id="g", content=None, meta={}, embedding=VECTORS[6].tolist()),
    Document(id="h", content="nulls", meta={"lang": None, "year": None}, embedding=VECTORS[7].tolist()),
]


def _cmp(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


FILTERS: list[dict[str, Any]] = [
    _cmp("meta.lang", "==", "en"),
    _cmp("meta.lang", "!=", "en"),
    _cmp("meta.lang", "==", None),
    _cmp("meta.year", "!=", None),
    _cmp("meta.year", ">", 2020),
    _cmp("meta.year", "<=", 2021),
    _cmp("meta.rating", ">=", 1),
    _cmp("meta.year", ">", None),
    _cmp("meta.lang", "in", ["de", "fr"]),
    _cmp("meta.lang", "not in", ["de", "fr"]),
    _cmp("meta.lang", "in", ["de", None]),
    _cmp("meta.lang", "not in", ["en", None]),
    _cmp("meta.year", "in", []),
    _cmp("meta.year", "not in", []),
    _cmp("meta.info", "!=", "x"),
    _cmp("lang", "==", "de"),  # a legacy filter without "meta."
    _cmp("meta.when", ">", "2021-06-30T00:00:00"),  # ISO strings compare as instants
    _cmp("meta.when", ">=", "2021-06-30"),
    _cmp("meta.when", "<", "2021-06-30T00:00:00.000001"),
    _cmp("meta.when", "<=", "2019-03-01T10:00:00+00:00"),
    _cmp("meta.when", "==", "2021-06-30"),  # equality stays string equality, as in Haystack
    _cmp("meta.year", "==", None),  # a None value is no value
    {"operator": "NOT", "conditions": [_cmp("meta.when", ">", "2020-01-01")]},
    {"operator": "AND", "conditions": [_cmp("meta.lang", "==", "en"), _cmp("meta.year", ">=", 2020)]},
    {"operator": "OR", "conditions": [_cmp("meta.lang", "==", "de"), _cmp("meta.rating", "<", 2)]},
    {"operator": "NOT", "conditions": [_cmp("meta.lang", "==", "en"), _cmp("meta.year", ">", 2020)]},
    {"operator": "AND", "conditions": []},
    {"operator": "OR", "conditions": []},
    {"operator": "NOT", "conditions": [{"operator": "OR", "conditions": [_cmp("meta.year", "==", 2019)]}]},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(i) for i in range(len(FILTERS))])
def test_filters_match_haystacks_reference(make: Make, filters: dict[str, Any]) -> None:
    store = make()
    store.write_documents(DOCS)
    expected = {doc.id for doc in DOCS if document_matches_filter(filters, doc)}
    assert {doc.id for doc in store.filter_documents(filters)} == expected
    assert store.count_documents_by_filter(filters) == len(expected)


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        (_cmp("meta.info.a", "==", 1), UnsupportedFilter),
        (_cmp("content", "==", "alpha"), UnsupportedFilter),
        (_cmp("id", "!=", "a"), UnsupportedFilter),
        (_cmp("meta.year", ">", "2020-13-01"), InvalidFilter),
        (_cmp("meta.year", ">", "tomorrow"), InvalidFilter),
        (_cmp("meta.year", ">", True), InvalidFilter),
        (_cmp("meta.year", "==", float("nan")), InvalidFilter),
        (_cmp("meta.year", "~", 1), InvalidFilter),
        ({"operator": "XOR", "conditions": []}, InvalidFilter),
    ],
)
def test_untranslatable_filters_are_refused_and_delete_nothing(
    make: Make, filters: dict[str, Any], error: type[Exception]
) -> None:
    store = make()
    store.write_documents(DOCS)
    for call in (store.filter_documents, store.delete_by_filter, store.count_documents_by_filter):
        with pytest.raises(error) as raised:
            call(filters)
        assert isinstance(raised.value, FilterError)
    assert store.count_documents() == len(DOCS)


def test_id_lookups(make: Make) -> None:
    store = make()
    store.write_documents(DOCS)
    assert {d.id for d in store.filter_documents(_cmp("id", "in", ["a", "f", "zz"]))} == {"a", "f"}
    assert [d.id for d in store.filter_documents(_cmp("id", "==", "c"))] == ["c"]
    assert store.delete_by_filter(_cmp("id", "in", ["a", "b"])) == 2
    assert store.count_documents() == len(DOCS) - 2


def test_documents_round_trip_everything_they_carry(make: Make) -> None:
    store = make()
    doc = Document(
        id="rich",
        content="text",
        blob=ByteStream(data=b"\x00\x01binary", mime_type="application/octet-stream", meta={"page": 2}),
        meta={"_split_overlap": [{"doc_id": "x", "range": [0, 5]}], "empty": [], "mixed": [1, "a"], "n": 3},
        sparse_embedding=SparseEmbedding(indices=[1, 7], values=[0.5, 0.25]),
    )
    assert store.write_documents([doc]) == 1
    assert store.filter_documents() == [doc]
    assert store.filter_documents(_cmp("meta.n", "==", 3)) == [doc]
    with pytest.raises(InvalidRecord, match="_haystack"):
        store.write_documents([Document(content="x", meta={"_haystack_extras": "forged"})])
    with pytest.raises(InvalidRecord, match="not JSON-serialisable"):
        store.write_documents([Document(content="x", meta={"when": object()})])
    assert store.count_documents() == 1


def test_policies_and_updates(make: Make) -> None:
    store = make()
    store.write_documents(DOCS)
    assert store.write_documents([DOCS[0], Document(id="new", content="n")], policy=DuplicatePolicy.SKIP) == 1
    replaced = Document(id="a", content="replaced", meta={"lang": "xx"}, embedding=VECTORS[7].tolist())
    assert store.write_documents([replaced], policy=DuplicatePolicy.OVERWRITE) == 1
    assert store.filter_documents(_cmp("id", "==", "a"))[0].meta == {"lang": "xx"}  # replaced, not merged
    assert store.update_by_filter(_cmp("meta.lang", "==", "en"), {"checked": True, "lang": "EN"}) == 2
    updated = {d.id: d for d in store.filter_documents(_cmp("meta.checked", "==", True))}
    assert set(updated) == {"c", "f"}
    assert updated["c"].meta == {**DOCS[2].meta, "lang": "EN", "checked": True}
    assert updated["f"].embedding is None and updated["c"].embedding is not None


def test_retrieval_matches_numpy(make: Make) -> None:
    store = make()
    store.write_documents(DOCS)
    query = np.random.default_rng(5).standard_normal(DIM).astype(np.float32)
    with_vectors = [d for d in DOCS if d.embedding is not None]
    truth = exact("cosine", query[None, :], np.asarray([d.embedding for d in with_vectors]))[0]
    order = np.argsort(-truth, kind="stable")
    found = store.embedding_retrieval(query.tolist(), top_k=len(DOCS))
    assert [d.id for d in found] == [with_vectors[i].id for i in order]  # "f" has no embedding: never returned
    np.testing.assert_allclose([d.score for d in found], truth[order], atol=1e-4)
    assert all(d.embedding is None for d in found)

    retriever = VectorStoreEmbeddingRetriever(store, filters=_cmp("meta.lang", "==", "en"), top_k=5, scale_score=True)
    hits = retriever.run(query_embedding=query.tolist(), return_embedding=True)["documents"]
    english = [i for i in order if with_vectors[i].meta.get("lang") == "en"]
    assert [d.id for d in hits] == [with_vectors[i].id for i in english]
    np.testing.assert_allclose([d.score for d in hits], [relevance("cosine", truth[i]) for i in english], atol=1e-4)
    np.testing.assert_allclose(hits[0].embedding, with_vectors[english[0]].embedding, rtol=1e-6, atol=1e-6)
    merged = VectorStoreEmbeddingRetriever(
        store, filters=_cmp("meta.lang", "==", "en"), filter_policy=FilterPolicy.MERGE
    )
    assert [d.id for d in merged.run(query.tolist(), filters=_cmp("meta.year", ">", 2020))["documents"]] == ["c"]


async def test_async_retrieval(make: Make) -> None:
    store = make()
    await store.write_documents_async(DOCS)
    retriever = VectorStoreEmbeddingRetriever(store, top_k=2)
    hits = (await retriever.run_async(query_embedding=VECTORS[2].tolist()))["documents"]
    assert hits[0].id == "c" and len(hits) == 2


# -- a YAML pipeline that names one store URL twice ----------------------------------------------------------------

#: Haystack 3 loads classes only from trusted modules; an application names ours the same way.
TRUSTED = ["vectorstore.integrations.haystack.*"]
PIPELINE = """
components:
  retriever:
    type: vectorstore.integrations.haystack.retriever.VectorStoreEmbeddingRetriever
    init_parameters:
      top_k: 3
      document_store:
        type: vectorstore.integrations.haystack.document_store.VectorStoreDocumentStore
        init_parameters: {{url: "{url}", collection_name: source, embedding_dim: {dim}}}
  writer:
    type: haystack.components.writers.document_writer.DocumentWriter
    init_parameters:
      policy: OVERWRITE
      document_store:
        type: vectorstore.integrations.haystack.document_store.VectorStoreDocumentStore
        init_parameters: {{url: "{url}", collection_name: selected, embedding_dim: {dim}}}
connections:
  - sender: retriever.documents
    receiver: writer.documents
"""


@pytest.mark.parametrize("backend", ["qdrant-edge", "chroma-isolated"])
def test_yaml_pipeline_naming_one_url_twice(tmp_path: Path, backend: str) -> None:
    """Both components open the same local path; in one process they share one store (one Chroma worker)."""
    require(backend)
    url = BACKENDS[backend][1](tmp_path)
    with VectorStoreDocumentStore(url, collection_name="source", embedding_dim=DIM) as source:
        source.write_documents(DOCS)
        pipeline = Pipeline.loads(PIPELINE.format(url=url, dim=DIM), allowed_modules=TRUSTED)
        try:
            result = pipeline.run({"retriever": {"query_embedding": VECTORS[1].tolist()}})
            assert result["writer"]["documents_written"] == 3
            expected = [d.id for d in source.embedding_retrieval(VECTORS[1].tolist(), top_k=3)]
            selected = VectorStoreDocumentStore(store=source.store, collection_name="selected", embedding_dim=DIM)
            assert sorted(d.id for d in selected.filter_documents()) == sorted(expected)
            again = Pipeline.loads(pipeline.dumps(), allowed_modules=TRUSTED)
            try:
                assert again.dumps() == pipeline.dumps()
            finally:
                for name in ("retriever", "writer"):
                    again.get_component(name).document_store.close()
        finally:
            for name in ("retriever", "writer"):
                pipeline.get_component(name).document_store.close()


def test_none_values_and_iso_strings_come_back_as_written(make: Make) -> None:
    """A None meta value is kept by the integration (the core stores no value), ISO strings stay strings."""
    store = make()
    store.write_documents(DOCS)
    got = {doc.id: doc.meta for doc in store.filter_documents()}
    assert got == {doc.id: doc.meta for doc in DOCS}
    assert got["h"] == {"lang": None, "year": None}
    assert type(got["b"]["when"]) is str
    assert {d.id for d in store.filter_documents(_cmp("meta.lang", "==", None))} == {"e", "g", "h"}
