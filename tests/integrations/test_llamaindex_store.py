"""The LlamaIndex vector store end to end on every backend: an index built from documents, filters, scores, nodes.

Expected results never come from the store under test: filters are checked against the reference evaluator
(``vectorstore.filters.matches``) applied to hand-written filters in our language, and, where LlamaIndex's meaning
and ours coincide, against LlamaIndex's own evaluator too; scores against numpy (``vectorstore.scores.exact``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.core.vector_stores.utils import build_metadata_filter_fn

import vectorstore
from vectorstore.errors import InvalidFilter, InvalidInput, UnsupportedFeature, UnsupportedFilter
from vectorstore.filters import matches, parse_filter
from vectorstore.integrations.llamaindex import LlamaIndexVectorStore
from vectorstore.scores import exact

DIM = 6
F, Op, Cond = MetadataFilter, FilterOperator, FilterCondition


@pytest.fixture
def vector_store(backend_store: vectorstore.VectorStore) -> Iterator[LlamaIndexVectorStore]:
    name = f"li-{uuid.uuid4().hex[:12]}"
    try:
        yield LlamaIndexVectorStore(store=backend_store, collection_name=name)
    finally:
        backend_store.delete_collection(name, missing_ok=True)


def _filters(*items: Any, condition: FilterCondition = Cond.AND) -> MetadataFilters:
    return MetadataFilters(filters=list(items), condition=condition)


# -- a corpus with explicit embeddings -----------------------------------------------------------------------------

#: node id -> (metadata the core can filter on, metadata that lives only in the node JSON)
CORPUS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "n1": ({"year": 2019, "lang": "en", "tags": ["pets", "cats"], "draft": False}, {"nested": {"a": 1}}),
    "n2": ({"year": 2021, "lang": "de", "tags": ["pets"], "draft": True}, {}),
    "n3": ({"year": 2023.0, "lang": "en", "score": 0.5}, {"empty": []}),
    "n4": ({"lang": "", "tags": ["dogs"]}, {}),
    "n5": ({"year": 2025, "lang": "fr", "tags": ["cats", "dogs"]}, {"none": None}),
    "n6": ({}, {}),
}
VECTORS = np.random.default_rng(7).standard_normal((len(CORPUS), DIM)).astype(np.float32)


def corpus_nodes() -> list[TextNode]:
    return [
        TextNode(
            id_=node_id,
            text=f"text of {node_id}",
            metadata={**flat, **nested},
            embedding=VECTORS[i].tolist(),
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=f"doc-{int(node_id[1:]) % 2}")},
        )
        for i, (node_id, (flat, nested)) in enumerate(CORPUS.items())
    ]


#: (LlamaIndex filters, the same meaning written by hand in our language or True, LlamaIndex's evaluator agrees)
CASES: list[tuple[str, MetadataFilters, Any, bool]] = [
    ("eq", _filters(F(key="lang", value="en")), {"lang": {"$eq": "en"}}, True),
    ("eq-int-float", _filters(F(key="year", value=2023)), {"year": 2023}, True),
    ("ne", _filters(F(key="lang", value="en", operator=Op.NE)), {"lang": {"$ne": "en"}}, True),
    ("gt", _filters(F(key="year", value=2019, operator=Op.GT)), {"year": {"$gt": 2019}}, True),
    ("gte", _filters(F(key="year", value=2021, operator=Op.GTE)), {"year": {"$gte": 2021}}, True),
    ("lt", _filters(F(key="year", value=2023, operator=Op.LT)), {"year": {"$lt": 2023}}, True),
    ("lte-float", _filters(F(key="score", value=0.5, operator=Op.LTE)), {"score": {"$lte": 0.5}}, True),
    ("in", _filters(F(key="lang", value=["de", "fr"], operator=Op.IN)), {"lang": {"$in": ["de", "fr"]}}, True),
    ("nin", _filters(F(key="lang", value=["de", "fr"], operator=Op.NIN)), {"lang": {"$nin": ["de", "fr"]}}, True),
    ("in-empty", _filters(F(key="lang", value=[], operator=Op.IN)), False, True),
    ("nin-empty", _filters(F(key="lang", value=[], operator=Op.NIN)), True, True),
    ("contains", _filters(F(key="tags", value="cats", operator=Op.CONTAINS)), {"tags": {"$contains": "cats"}}, True),
    (
        "any",
        _filters(F(key="tags", value=["cats", "dogs"], operator=Op.ANY)),
        {"$or": [{"tags": {"$contains": "cats"}}, {"tags": {"$contains": "dogs"}}]},
        True,
    ),
    (
        "all",
        _filters(F(key="tags", value=["cats", "dogs"], operator=Op.ALL)),
        {"$and": [{"tags": {"$contains": "cats"}}, {"tags": {"$contains": "dogs"}}]},
        True,
    ),
    (
        "is-empty",
        _filters(F(key="lang", value=None, operator=Op.IS_EMPTY)),
        {"$or": [{"lang": {"$exists": False}}, {"lang": ""}]},
        True,
    ),
    ("is-empty-list-only-in-json", _filters(F(key="empty", value=None, operator=Op.IS_EMPTY)), True, True),
    (
        "and",
        _filters(F(key="lang", value="en"), F(key="year", value=2020, operator=Op.GT)),
        {"$and": [{"lang": "en"}, {"year": {"$gt": 2020}}]},
        True,
    ),
    (
        "or",
        _filters(F(key="lang", value="de"), F(key="year", value=2025), condition=Cond.OR),
        {"$or": [{"lang": "de"}, {"year": 2025}]},
        True,
    ),
    (
        "not-is-nor",
        _filters(F(key="lang", value="en"), F(key="year", value=2025), condition=Cond.NOT),
        {"$not": {"$or": [{"lang": "en"}, {"year": 2025}]}},
        True,
    ),
    (
        "nested",
        _filters(
            F(key="tags", value="pets", operator=Op.CONTAINS),
            _filters(F(key="year", value=2021), F(key="lang", value="en"), condition=Cond.OR),
        ),
        {"$and": [{"tags": {"$contains": "pets"}}, {"$or": [{"year": 2021}, {"lang": "en"}]}]},
        False,  # LlamaIndex's evaluator refuses nested filters
    ),
    ("strict-bool", _filters(F(key="draft", value=1)), {"draft": 1}, False),  # Python: True == 1; ours: never
    ("no-filters", _filters(), True, True),
]


def expected_ids(where: Any) -> set[str]:
    if isinstance(where, bool):
        return set(CORPUS) if where else set()
    node = parse_filter(where)
    return {node_id for node_id, (flat, _) in CORPUS.items() if matches(node, flat)}


@pytest.mark.parametrize(("name", "filters", "where", "llamaindex_agrees"), CASES, ids=[c[0] for c in CASES])
def test_filters_match_the_reference(
    vector_store: LlamaIndexVectorStore, name: str, filters: MetadataFilters, where: Any, llamaindex_agrees: bool
) -> None:
    vector_store.add(corpus_nodes())
    expected = expected_ids(where)
    if llamaindex_agrees:
        metadata = {node_id: {**flat, **nested} for node_id, (flat, nested) in CORPUS.items()}
        by_llamaindex = build_metadata_filter_fn(metadata.__getitem__, filters)
        assert {node_id for node_id in CORPUS if by_llamaindex(node_id)} == expected
    assert {node.node_id for node in vector_store.get_nodes(filters=filters)} == expected
    query = VectorStoreQuery(query_embedding=VECTORS[0].tolist(), similarity_top_k=len(CORPUS), filters=filters)
    assert set(vector_store.query(query).ids) == expected


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        (_filters(F(key="lang", value="en", operator=Op.TEXT_MATCH)), UnsupportedFilter),
        (_filters(F(key="lang", value="EN", operator=Op.TEXT_MATCH_INSENSITIVE)), UnsupportedFilter),
        (_filters(F(key="lang", value="a", operator=Op.GT)), UnsupportedFilter),
        (_filters(F(key="lang", value="en", operator=Op.IN)), InvalidFilter),
        (_filters(F(key="lang", value=["en"], operator=Op.EQ)), InvalidFilter),
        (_filters(F(key="lang", value=None)), InvalidFilter),
        (
            _filters(F(key="year", value=1), F(key="lang", value="x", operator=Op.TEXT_MATCH), condition=Cond.OR),
            UnsupportedFilter,
        ),
    ],
)
def test_untranslatable_filters_are_refused_and_change_nothing(
    vector_store: LlamaIndexVectorStore, filters: MetadataFilters, error: type[Exception]
) -> None:
    vector_store.add(corpus_nodes())
    with pytest.raises(error):
        vector_store.get_nodes(filters=filters)
    with pytest.raises(error):
        vector_store.query(VectorStoreQuery(query_embedding=VECTORS[0].tolist(), similarity_top_k=3, filters=filters))
    with pytest.raises(error):
        vector_store.delete_nodes(filters=filters)
    assert len(vector_store.get_nodes()) == len(CORPUS)


# -- scores, nodes, deletes ----------------------------------------------------------------------------------------


def test_query_scores_and_order_match_numpy(vector_store: LlamaIndexVectorStore) -> None:
    vector_store.add(corpus_nodes())
    query = np.random.default_rng(11).standard_normal(DIM).astype(np.float32)
    truth = exact("cosine", query[None, :], VECTORS)[0]
    order = np.argsort(-truth, kind="stable")
    result = vector_store.query(VectorStoreQuery(query_embedding=query.tolist(), similarity_top_k=4))
    assert result.ids == [list(CORPUS)[i] for i in order[:4]]
    np.testing.assert_allclose(result.similarities, truth[order[:4]], atol=1e-4)
    assert [node.node_id for node in result.nodes] == result.ids
    everything = vector_store.query(VectorStoreQuery(query_embedding=query.tolist(), similarity_top_k=100))
    assert len(everything.ids) == len(CORPUS)
    restricted = vector_store.query(
        VectorStoreQuery(query_embedding=query.tolist(), similarity_top_k=100, doc_ids=["doc-0"])
    )
    assert set(restricted.ids) == {"n2", "n4", "n6"}


def test_nodes_round_trip_with_relationships_and_nested_metadata(vector_store: LlamaIndexVectorStore) -> None:
    nodes = corpus_nodes()
    nodes[0].excluded_llm_metadata_keys = ["year"]
    nodes[0].start_char_idx, nodes[0].end_char_idx = 3, 9
    vector_store.add(nodes)
    got = {node.node_id: node for node in vector_store.get_nodes(node_ids=["n1", "n3", "n5", "missing"])}
    assert set(got) == {"n1", "n3", "n5"}
    for original in nodes:
        if original.node_id in got:
            node = got[original.node_id]
            assert node.model_dump(exclude={"embedding"}) == original.model_dump(exclude={"embedding"})
            np.testing.assert_allclose(node.embedding, original.embedding, rtol=1e-6, atol=1e-7)
    assert got["n1"].metadata["nested"] == {"a": 1}
    assert got["n1"].ref_doc_id == "doc-1"


def test_deletes(vector_store: LlamaIndexVectorStore) -> None:
    vector_store.add(corpus_nodes())
    vector_store.delete("doc-0")  # n2, n4, n6
    assert {n.node_id for n in vector_store.get_nodes()} == {"n1", "n3", "n5"}
    vector_store.delete_nodes(node_ids=["n1", "missing"])
    assert {n.node_id for n in vector_store.get_nodes()} == {"n3", "n5"}
    vector_store.delete_nodes(node_ids=["n3", "n5"], filters=_filters(F(key="lang", value="fr")))
    assert {n.node_id for n in vector_store.get_nodes()} == {"n3"}
    vector_store.delete_nodes(filters=_filters(F(key="lang", value="en")))
    assert vector_store.get_nodes() == []
    with pytest.raises(InvalidInput):
        vector_store.delete_nodes()
    vector_store.add(corpus_nodes())
    vector_store.clear()
    assert vector_store.get_nodes() == []
    vector_store.delete("doc-0")  # nothing there: no error


def test_before_the_first_add_everything_is_empty(vector_store: LlamaIndexVectorStore) -> None:
    assert vector_store.get_nodes() == []
    assert vector_store.query(VectorStoreQuery(query_embedding=[1.0] * DIM, similarity_top_k=3)).ids == []
    vector_store.delete("doc-0")
    vector_store.delete_nodes(node_ids=["n1"])


def test_unsupported_queries_and_inputs_are_refused(vector_store: LlamaIndexVectorStore) -> None:
    vector_store.add(corpus_nodes())
    with pytest.raises(UnsupportedFeature):
        vector_store.query(
            VectorStoreQuery(query_embedding=[1.0] * DIM, similarity_top_k=3, mode=VectorStoreQueryMode.MMR)
        )
    with pytest.raises(UnsupportedFeature):
        vector_store.query(VectorStoreQuery(query_embedding=[1.0] * DIM, similarity_top_k=3, node_ids=["n1"]))
    with pytest.raises(InvalidInput):
        vector_store.add([TextNode(id_="no-vector", text="x")])
    assert len(vector_store.get_nodes()) == len(CORPUS)


async def test_async_twins(vector_store: LlamaIndexVectorStore) -> None:
    assert await vector_store.async_add(corpus_nodes()) == list(CORPUS)
    result = await vector_store.aquery(VectorStoreQuery(query_embedding=VECTORS[2].tolist(), similarity_top_k=1))
    assert result.ids == ["n3"]
    assert {n.node_id for n in await vector_store.aget_nodes(filters=_filters(F(key="lang", value="en")))} == {
        "n1",
        "n3",
    }
    await vector_store.adelete_nodes(node_ids=["n1"])
    await vector_store.adelete("doc-0")
    assert {n.node_id for n in await vector_store.aget_nodes()} == {"n3", "n5"}
    await vector_store.aclear()
    assert await vector_store.aget_nodes() == []


# -- an index built from documents ---------------------------------------------------------------------------------

DOCUMENTS = [
    Document(id_="d1", text="Cats sleep a lot. They purr.", metadata={"kind": "pets", "year": 2020}),
    Document(id_="d2", text="Dogs bark at the mail carrier.", metadata={"kind": "pets", "year": 2022}),
    Document(id_="d3", text="Qdrant and Chroma store vectors.", metadata={"kind": "tech", "year": 2024}),
]


def test_vector_store_index_from_documents(vector_store: LlamaIndexVectorStore) -> None:
    context = StorageContext.from_defaults(vector_store=vector_store)
    index = VectorStoreIndex.from_documents(DOCUMENTS, storage_context=context, embed_model=MockEmbedding(embed_dim=8))
    filters = _filters(F(key="kind", value="pets"), F(key="year", value=2021, operator=Op.GT))
    retriever = index.as_retriever(similarity_top_k=10, filters=filters)
    hits = retriever.retrieve("anything")
    where = {"$and": [{"kind": "pets"}, {"year": {"$gt": 2021}}]}
    expected = {doc.doc_id for doc in DOCUMENTS if matches(parse_filter(where), doc.metadata)}
    assert {hit.node.ref_doc_id for hit in hits} == expected == {"d2"}
    assert [hit.node.get_content() for hit in hits] == [DOCUMENTS[1].text]
    assert hits[0].node.metadata == DOCUMENTS[1].metadata
    assert len(index.as_retriever(similarity_top_k=10).retrieve("anything")) == 3
    index.delete_ref_doc("d1")
    assert {hit.node.ref_doc_id for hit in index.as_retriever(similarity_top_k=10).retrieve("x")} == {"d2", "d3"}
