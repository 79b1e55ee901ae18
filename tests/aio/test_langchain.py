"""The LangChain wrapper's ``a*`` methods run through the async store: the embeddings are awaited on the loop
(their sync methods are never called) and the results equal the sync methods' (memory and isolated Chroma)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

pytest.importorskip("langchain_core", reason="the LangChain integration needs langchain-core (the test extra)")

from langchain_core.embeddings import Embeddings  # noqa: E402

import vectorstore  # noqa: E402
from vectorstore.integrations.langchain import ASYNC_TWINS, LangChainVectorStore  # noqa: E402

pytestmark = pytest.mark.asyncio

TEXTS = ["apples", "apple pie", "pears", "bicycles"]


def _vector(text: str) -> list[float]:
    return [float(text.count(letter)) + 0.1 for letter in "aeiopr"]


class AsyncOnlyEmbeddings(Embeddings):
    """Embeddings whose sync methods fail, so a test sees which path an ``a*`` method took."""

    def __init__(self) -> None:
        self.threads: set[str] = set()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError("an a* method called the sync embed_documents")

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError("an a* method called the sync embed_query")

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.threads.add(threading.current_thread().name)
        return [_vector(text) for text in texts]

    async def aembed_query(self, text: str) -> list[float]:
        self.threads.add(threading.current_thread().name)
        return _vector(text)


class SyncEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text)


async def test_every_async_twin_is_generated() -> None:
    for name, sync_name in ASYNC_TWINS.items():
        assert getattr(LangChainVectorStore, name).__doc__ == getattr(LangChainVectorStore, sync_name).__doc__


@pytest.mark.parametrize("backend", ["memory", "chroma"])
async def test_async_methods_await_the_store_and_the_embeddings(backend: str, tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c" if backend == "chroma" else "memory://"
    with vectorstore.open(url) as store:
        embeddings = AsyncOnlyEmbeddings()
        docs = LangChainVectorStore(embeddings, store=store, collection_name="fruit")
        mirror = LangChainVectorStore(SyncEmbeddings(), store=store, collection_name="fruit")
        ids = await docs.aadd_texts(TEXTS, [{"n": i} for i in range(4)], ids=[f"t{i}" for i in range(4)])
        assert ids == [f"t{i}" for i in range(4)]
        found = await docs.asimilarity_search_with_score("apple", k=3, filter={"n": {"$lte": 2}})
        assert found == mirror.similarity_search_with_score("apple", k=3, filter={"n": {"$lte": 2}})
        assert await docs.asimilarity_search_with_relevance_scores(
            "pears", k=2
        ) == mirror.similarity_search_with_relevance_scores("pears", k=2)
        assert await docs.amax_marginal_relevance_search("apple", k=2) == mirror.max_marginal_relevance_search(
            "apple", k=2
        )
        assert [d.id for d in await docs.as_retriever(search_kwargs={"k": 1}).ainvoke("bicycles")] == ["t3"]
        await docs.adelete(["t0"])
        assert [d.id for d in await docs.aget_by_ids(["t0", "t1"])] == ["t1"]
        assert embeddings.threads == {threading.main_thread().name}  # awaited by the test's loop, not a pool
        docs.close()
        await docs.adelete_collection()
        assert store.list_collections() == []


async def test_afrom_texts_opens_and_closes(tmp_path: Path) -> None:
    docs = await LangChainVectorStore.afrom_texts(
        TEXTS, AsyncOnlyEmbeddings(), url=f"chroma://{tmp_path}/c", collection_name="fruit"
    )
    try:
        assert [d.id for d in await docs.asimilarity_search("pears", k=1)] != []
    finally:
        await docs.aclose()
