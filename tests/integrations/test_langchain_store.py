"""What LangChain's standard suite leaves out: our filter language, relevance scores, MMR, inputs left untouched,
and the wrapper's own rules (lazy collection, metric, ownership, errors).

Expected results come from the reference evaluator (``vectorstore.filters.matches``) and numpy, never from the
wrapper. Vectors are chosen per text by a fixed table, so every score is known in advance.
"""

from __future__ import annotations

import copy
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

import vectorstore
from vectorstore.errors import CollectionExists, InvalidInput, InvalidRecord, StoreClosed
from vectorstore.filters import matches, operators, parse_filter
from vectorstore.integrations.langchain import LangChainVectorStore
from vectorstore.isolation import IsolatedAdapter
from vectorstore.models import Metric
from vectorstore.scores import exact

DIM = 4


class TableEmbeddings(Embeddings):
    """Embeddings looked up in a fixed table; counts calls so tests can tell whether embedding happened."""

    def __init__(self, table: Mapping[str, Sequence[float]]) -> None:
        self.table = {text: [float(x) for x in vector] for text, vector in table.items()}
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self.table[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self.table[text]


Wrap = Callable[..., LangChainVectorStore]


@pytest.fixture
def wrap(backend_store: vectorstore.VectorStore) -> Iterator[Wrap]:
    """Build wrappers over a fresh collection of the backend store; their collections are dropped afterwards."""
    made: list[LangChainVectorStore] = []

    def build(embedding: Embeddings, **kwargs: Any) -> LangChainVectorStore:
        kwargs.setdefault("collection_name", f"lc-{uuid.uuid4().hex[:12]}")
        wrapper = LangChainVectorStore(embedding, store=backend_store, **kwargs)
        made.append(wrapper)
        return wrapper

    yield build
    for wrapper in made:
        wrapper.delete_collection()


def unit(*components: float) -> list[float]:
    vector = np.zeros(DIM)
    vector[: len(components)] = components
    return (vector / np.linalg.norm(vector)).tolist()


# -- filters in our language ------------------------------------------------------------------------------------

CORPUS: list[tuple[str, str, dict[str, Any]]] = [
    ("a", "alpha report on cats", {"year": 2019, "lang": "en", "draft": False, "tags": ["pets", "cats"]}),
    ("b", "beta notes on dogs", {"year": 2021, "lang": "de", "draft": True, "tags": ["pets"]}),
    ("c", "gamma memo", {"year": 2023.0, "lang": "en", "score": 1}),
    ("d", "delta summary on cats", {"lang": "fr", "draft": 1}),
    ("e", "epsilon", {}),
    ("f", "zeta cats and dogs", {"year": 2020, "tags": ["dogs"], "draft": False}),
]
CORPUS_EMBEDDINGS = {text: unit(1.0, 0.1 * i, 0.05 * i * i) for i, (_, text, _) in enumerate(CORPUS)}
CORPUS_EMBEDDINGS["query"] = unit(1.0, 0.2, 0.1)

FILTERS: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = [
    ({"year": {"$gte": 2020}}, None),
    ({"lang": "en", "year": {"$lt": 2022}}, None),
    ({"draft": True}, None),  # a bool never equals the int 1 of "d"
    ({"tags": {"$contains": "pets"}}, None),
    ({"lang": {"$ne": "en"}}, None),  # records without "lang" match $ne
    ({"$not": {"lang": {"$in": ["en", "de"]}}}, None),
    ({"$or": [{"year": 2019}, {"tags": {"$contains": "dogs"}}]}, None),
    ({"year": {"$exists": False}}, None),
    (None, {"$contains": "cats"}),
    ({"lang": "en"}, {"$contains": "memo"}),
]


def expected_ids(where: dict[str, Any] | None, document: dict[str, Any] | None) -> set[str]:
    node = parse_filter(where, document)
    return {record_id for record_id, text, metadata in CORPUS if matches(node, metadata, text)}


def skip_unless_supported(store: vectorstore.VectorStore, where: Any, document: Any) -> None:
    node = parse_filter(where, document)
    missing = operators(node) - store.capabilities.filter_operators
    if store.capabilities.document_contains:
        missing.discard("$document")
    if missing:
        pytest.skip(f"{store.adapter.name} declares {sorted(missing)} unsupported")


@pytest.mark.parametrize(("where", "document"), FILTERS, ids=[repr(f) for f in FILTERS])
def test_filter_in_our_language_matches_the_reference(
    wrap: Wrap, backend_store: vectorstore.VectorStore, where: Any, document: Any
) -> None:
    skip_unless_supported(backend_store, where, document)
    docs = wrap(TableEmbeddings(CORPUS_EMBEDDINGS))
    docs.add_texts([t for _, t, _ in CORPUS], [m for _, _, m in CORPUS], ids=[i for i, _, _ in CORPUS])
    want = expected_ids(where, document)

    found = docs.similarity_search("query", k=len(CORPUS), filter=where, document=document)
    assert {d.id for d in found} == want
    mmr = docs.max_marginal_relevance_search("query", k=len(CORPUS), filter=where, document=document)
    assert {d.id for d in mmr} == want

    docs.delete(filter=where, document=document)
    left = docs.get_by_ids([i for i, _, _ in CORPUS])
    assert {d.id for d in left} == {i for i, _, _ in CORPUS} - want


def test_retriever_passes_filter_through(wrap: Wrap) -> None:
    docs = wrap(TableEmbeddings(CORPUS_EMBEDDINGS))
    docs.add_texts([t for _, t, _ in CORPUS], [m for _, _, m in CORPUS], ids=[i for i, _, _ in CORPUS])
    where = {"tags": {"$contains": "pets"}}
    retriever = docs.as_retriever(search_kwargs={"k": 10, "filter": where})
    assert {d.id for d in retriever.invoke("query")} == expected_ids(where, None)
    mmr = docs.as_retriever(search_type="mmr", search_kwargs={"k": 10, "filter": where})
    assert {d.id for d in mmr.invoke("query")} == expected_ids(where, None)


# -- scores -----------------------------------------------------------------------------------------------------

ANGLES = [0, 60, 90, 135, 180]  # degrees from the query: cosines 1, 0.5, 0, -0.71, -1


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_relevance_is_half_one_plus_cosine_for_unit_vectors(wrap: Wrap, metric: Metric) -> None:
    """For unit vectors every metric gives the same relevance, (1 + cos) / 2, in [0, 1] and ordered."""
    table = {f"v{a}": unit(np.cos(np.radians(a)), np.sin(np.radians(a))) for a in ANGLES}
    table["query"] = unit(1.0)
    docs = wrap(TableEmbeddings(table), metric=metric)
    docs.add_texts([f"v{a}" for a in ANGLES], ids=[f"v{a}" for a in ANGLES])

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # LangChain warns about relevance outside [0, 1]
        pairs = docs.similarity_search_with_relevance_scores("query", k=len(ANGLES))

    cosines = exact("cosine", np.array([table["query"]]), np.array([table[f"v{a}"] for a in ANGLES]))[0]
    want = {f"v{a}": (1.0 + c) / 2.0 for a, c in zip(ANGLES, cosines)}
    assert [d.id for d, _ in pairs] == [f"v{a}" for a in ANGLES]
    for doc, value in pairs:
        assert value == pytest.approx(want[doc.id], abs=1e-4)
    values = [value for _, value in pairs]
    assert values == sorted(values, reverse=True)
    assert all(0.0 <= value <= 1.0 for value in values)


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2"])
def test_scores_are_ours_and_relevance_stays_in_unit_interval(wrap: Wrap, metric: Metric) -> None:
    """``*_with_score`` gives our score (numpy on the stored vectors); relevance is clipped into [0, 1] for vectors
    that are not unit length, and never reorders."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(8, DIM)) * 3.0
    table = {f"t{i}": v.tolist() for i, v in enumerate(vectors)}
    table["query"] = (rng.normal(size=DIM) * 3.0).tolist()
    docs = wrap(TableEmbeddings(table), metric=metric)
    docs.add_texts(list(table)[:-1], ids=list(table)[:-1])

    scored = docs.similarity_search_with_score("query", k=8)
    truth = exact(metric, np.array([table["query"]]), vectors)[0]
    assert [d.id for d, _ in scored] == [f"t{i}" for i in np.argsort(-truth, kind="stable")]
    for doc, score in scored:
        assert score == pytest.approx(truth[int(doc.id[1:])], abs=1e-3 * max(1.0, abs(score)))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        relevances = [value for _, value in docs.similarity_search_with_relevance_scores("query", k=8)]
    assert all(0.0 <= value <= 1.0 for value in relevances)
    assert relevances == sorted(relevances, reverse=True)


def test_score_threshold_retriever_uses_relevance(wrap: Wrap) -> None:
    table = {f"v{a}": unit(np.cos(np.radians(a)), np.sin(np.radians(a))) for a in ANGLES}
    table["query"] = unit(1.0)
    docs = wrap(TableEmbeddings(table))
    docs.add_texts([f"v{a}" for a in ANGLES], ids=[f"v{a}" for a in ANGLES])
    retriever = docs.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.7, "k": 5}
    )
    assert [d.id for d in retriever.invoke("query")] == ["v0", "v60"]  # relevances 1.0 and 0.75; v90 is 0.5


# -- max marginal relevance -------------------------------------------------------------------------------------


def numpy_mmr(query: np.ndarray, candidates: np.ndarray, k: int, lambda_mult: float) -> list[int]:
    """Greedy MMR over cosine similarity, written out independently of LangChain's helper."""
    normed = candidates / np.linalg.norm(candidates, axis=1, keepdims=True)
    to_query = normed @ (query / np.linalg.norm(query))
    chosen = [int(np.argmax(to_query))]
    while len(chosen) < k:
        redundancy = (normed @ normed[chosen].T).max(axis=1)
        gain = lambda_mult * to_query - (1 - lambda_mult) * redundancy
        gain[chosen] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return chosen


def test_mmr_prefers_a_diverse_result_over_a_near_duplicate(wrap: Wrap) -> None:
    table = {
        "original": unit(1.0),
        "near duplicate": unit(1.0, 0.05),
        "other angle": unit(1.0, 0.0, 1.0),
        "query": unit(1.0, 0.01),
    }
    texts = list(table)[:-1]
    docs = wrap(TableEmbeddings(table))
    docs.add_texts(texts, ids=texts)
    vectors = np.array([table[t] for t in texts])
    query = np.array(table["query"])

    want = [texts[i] for i in numpy_mmr(query, vectors, k=2, lambda_mult=0.25)]
    assert want == ["original", "other angle"]  # the example is meaningful: plain top-2 is the near duplicate
    assert [d.id for d in docs.similarity_search("query", k=2)] == ["original", "near duplicate"]

    assert [d.id for d in docs.max_marginal_relevance_search("query", k=2, lambda_mult=0.25)] == want
    assert [d.id for d in docs.max_marginal_relevance_search_by_vector(table["query"], k=2, lambda_mult=0.25)] == want
    got = docs.max_marginal_relevance_search("query", k=2, fetch_k=2, lambda_mult=0.25)
    assert [d.id for d in got] == ["original", "near duplicate"]  # fetch_k limits the candidates MMR sees


async def test_async_twins(wrap: Wrap) -> None:
    table = {"original": unit(1.0), "near duplicate": unit(1.0, 0.05), "other angle": unit(1.0, 0.0, 1.0)}
    table["query"] = unit(1.0, 0.01)
    docs = wrap(TableEmbeddings(table))
    ids = await docs.aadd_texts(list(table)[:-1], [{"n": i} for i in range(3)], ids=list(table)[:-1])
    assert [d.id for d in await docs.asimilarity_search("query", k=1, filter={"n": {"$gte": 1}})] == ["near duplicate"]
    pairs = await docs.asimilarity_search_with_relevance_scores("query", k=3)
    assert [d.id for d, _ in pairs] == ["original", "near duplicate", "other angle"]
    mmr = await docs.amax_marginal_relevance_search("query", k=2, lambda_mult=0.25)
    assert [d.id for d in mmr] == ["original", "other angle"]
    assert [d.id for d in await docs.as_retriever(search_kwargs={"k": 1}).ainvoke("query")] == ["original"]
    await docs.adelete(["original"])
    assert sorted(d.id for d in await docs.aget_by_ids(ids)) == ["near duplicate", "other angle"]


# -- inputs are left as they were -------------------------------------------------------------------------------


def test_caller_documents_and_metadatas_are_not_mutated(wrap: Wrap) -> None:
    table = {"foo": unit(1.0), "bar": unit(0.0, 1.0), "query": unit(1.0)}
    docs = wrap(TableEmbeddings(table))
    originals = [
        Document(page_content="foo", metadata={"tags": ["x", "y"], "n": 1}),
        Document(page_content="bar", metadata={"flag": True}, id="given"),
    ]
    snapshot = copy.deepcopy(originals)
    ids = docs.add_documents(originals)
    assert originals == snapshot and originals[0].id is None
    assert ids[1] == "given" and uuid.UUID(ids[0]).version == 4

    metadatas = [{"tags": ["x"]}, {"flag": False}]
    before = copy.deepcopy(metadatas)
    docs.add_texts(["foo", "bar"], metadatas, ids=ids)
    assert metadatas == before

    found = docs.get_by_ids(ids)  # and what comes back is the caller's to change
    found[0].metadata["tags"].append("changed by the caller")
    assert docs.get_by_ids(ids)[0].metadata == {"tags": ["x"]}


# -- the wrapper's own rules (memory is enough: they do not depend on the backend) ------------------------------


@pytest.fixture
def memory() -> Iterator[vectorstore.VectorStore]:
    with vectorstore.open("memory://") as store:
        yield store


def test_collection_is_created_on_first_add_with_the_embedding_dimension(memory: vectorstore.VectorStore) -> None:
    docs = LangChainVectorStore(TableEmbeddings({"a": [1.0, 0.0, 0.0], "q": [1.0, 0.0, 0.0]}), store=memory)
    assert docs.similarity_search("q") == [] and docs.get_by_ids(["a"]) == []
    assert docs.delete(["a"]) is True
    assert memory.list_collections() == []
    docs.add_texts(["a"], ids=["a"])
    info = memory.get_collection("langchain")
    assert (info.dimension, info.metric) == (3, "cosine")


def test_bad_metadata_fails_before_embedding_and_writes_nothing(memory: vectorstore.VectorStore) -> None:
    embedding = TableEmbeddings({"a": unit(1.0), "b": unit(0.0, 1.0)})
    docs = LangChainVectorStore(embedding, store=memory, collection_name="docs")
    docs.add_texts(["a"], ids=["a"])
    calls = embedding.calls
    with pytest.raises(InvalidRecord, match="'source'"):
        docs.add_texts(["a", "b"], [{"n": 2}, {"source": {"nested": 1}}], ids=["a", "b"])
    with pytest.raises(InvalidInput, match="2 ids for 1 texts"):
        docs.add_texts(["a"], ids=["a", "b"])
    assert embedding.calls == calls
    assert [(d.id, d.metadata) for d in docs.get_by_ids(["a", "b"])] == [("a", {})]


def test_metric_is_checked_against_an_existing_collection(memory: vectorstore.VectorStore) -> None:
    table = {"a": [3.0, 0.0], "q": [0.0, 0.0]}
    LangChainVectorStore(TableEmbeddings(table), store=memory, metric="l2").add_texts(["a"], ids=["a"])
    with pytest.raises(CollectionExists, match="'l2'"):
        LangChainVectorStore(TableEmbeddings(table), store=memory, metric="cosine").add_texts(["a"], ids=["a"])
    adopted = LangChainVectorStore(TableEmbeddings(table), store=memory)
    [(_, value)] = adopted.similarity_search_with_relevance_scores("q", k=1)
    assert value == 0.0  # L2 = 3 from the query: 1 - 9/4 clipped, the l2 mapping rather than the cosine one


def test_unknown_keywords_and_bare_delete_are_errors(memory: vectorstore.VectorStore) -> None:
    docs = LangChainVectorStore(TableEmbeddings({"a": unit(1.0)}), store=memory)
    docs.add_texts(["a"], ids=["a"])
    with pytest.raises(TypeError, match="document="):
        docs.similarity_search("a", where_document={"$contains": "a"})
    with pytest.raises(TypeError, match="fetch"):
        docs.similarity_search("a", fetch=3)
    with pytest.raises(InvalidInput, match="delete_collection"):
        docs.delete()
    assert [d.id for d in docs.get_by_ids(["a"])] == ["a"]


def test_from_texts_owns_a_store_opened_from_a_url() -> None:
    table = {"a": unit(1.0), "b": unit(0.0, 1.0)}
    docs = LangChainVectorStore.from_texts(["a", "b"], TableEmbeddings(table), [{"k": 1}, {"k": 2}], url="memory://")
    assert [(d.id is not None, d.metadata) for d in docs.similarity_search("a", k=1)] == [(True, {"k": 1})]
    docs.close()
    with pytest.raises(StoreClosed):
        docs.store.list_collections()


def test_from_documents_keeps_ids_and_shares_a_given_store(memory: vectorstore.VectorStore) -> None:
    table = {"a": unit(1.0), "b": unit(0.0, 1.0)}
    originals = [Document(page_content="a", id="x"), Document(page_content="b", id="y")]
    with LangChainVectorStore.from_documents(originals, TableEmbeddings(table), store=memory, collection_name="shared"):
        pass
    assert [r.id for r in memory.get("shared", ["x", "y"])] == ["x", "y"]  # still open: the caller owns it


async def test_afrom_documents_keeps_ids(memory: vectorstore.VectorStore) -> None:
    originals = [Document(page_content="a", id="x"), Document(page_content="b")]
    docs = await LangChainVectorStore.afrom_documents(
        originals, TableEmbeddings({"a": unit(1.0), "b": unit(0.0, 1.0)}), store=memory, collection_name="async"
    )
    assert [d.id for d in await docs.asimilarity_search("a", k=1)] == ["x"]
    assert originals[1].id is None


# -- the backends are what the test ids say ---------------------------------------------------------------------


def test_backend_is_the_one_named(request: pytest.FixtureRequest, backend_store: vectorstore.VectorStore) -> None:
    """Guard against a silent fallback: Chroma really runs isolated, Qdrant really is the embedded Edge engine."""
    backend = request.node.callspec.params["backend_store"]
    adapter = backend_store.adapter
    if backend == "chroma-isolated":
        assert isinstance(adapter, IsolatedAdapter) and adapter.name == "chroma"
    elif backend == "qdrant-edge":
        assert adapter.name == "qdrant" and adapter.config.engine == "edge"
    else:
        assert adapter.name == "memory"


# -- isolation seen through LangChain ---------------------------------------------------------------------------


def test_a_chroma_crash_during_a_search_is_survived(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real SIGSEGV in the Chroma worker during a LangChain search: the host lives on, the search is retried once
    on a fresh worker and answers correctly, and the restart is counted."""
    pytest.importorskip("vectorstore_chroma", reason="chroma-isolated: pip install -e adapters/chroma")
    monkeypatch.setenv("VECTORSTORE_ISOLATION_FAULTS", "1")  # test-only fault injection, inherited by the worker
    table = {"original": unit(1.0), "near duplicate": unit(1.0, 0.05), "other angle": unit(1.0, 0.0, 1.0)}
    table["query"] = unit(1.0, 0.01)
    with LangChainVectorStore(TableEmbeddings(table), url=f"chroma://{tmp_path}/c?isolation=process") as docs:
        docs.add_texts(list(table)[:-1], ids=list(table)[:-1])
        adapter = docs.store.adapter
        assert isinstance(adapter, IsolatedAdapter)
        adapter._inject_fault("segv", "query")
        assert [d.id for d in docs.similarity_search("query", k=2)] == ["original", "near duplicate"]
        assert docs.store.stats()["restarts"] == 1


def test_none_metadata_values_are_no_values(memory: vectorstore.VectorStore) -> None:
    """A loader's ``None`` (DESIGN: no value) is not stored; the other keys are."""
    docs = LangChainVectorStore(TableEmbeddings({"a": unit(1.0)}), store=memory, collection_name="docs")
    docs.add_texts(["a"], [{"source": None, "page": 3}], ids=["a"])
    assert [(d.id, d.metadata) for d in docs.get_by_ids(["a"])] == [("a", {"page": 3})]
