"""A LangChain ``VectorStore`` over any vectorstore store.

An application written against LangChain keeps its code and gets what the store gives every backend: one filter
language (DESIGN 3.3), one score meaning (DESIGN 3.2), string ids kept as given, full replacement on re-add, and the
process isolation of the configured backend. Switching from ``langchain_chroma.Chroma`` is one line::

    from vectorstore.integrations.langchain import LangChainVectorStore

    docs = LangChainVectorStore(embeddings, url="chroma:///data/chroma", collection_name="docs")
    docs.add_texts(["..."], metadatas=[{"year": 2024}])
    docs.similarity_search("question", k=4, filter={"year": {"$gte": 2020}})

The collection is created on the first add, with the embedding dimension, so an empty wrapper needs no schema.
Searching a collection that does not exist yet returns ``[]``.

Async. Every ``a*`` method is its sync twin run through :mod:`vectorstore.aio`: the same code, with the store calls
awaited on the store's engine and the embeddings awaited through ``aembed_documents``/``aembed_query`` (see
:data:`ASYNC_TWINS`); nothing runs the sync methods in a thread pool.

Scores. ``similarity_search_with_score`` returns our score (higher is more similar: cos for cosine, q . v for dot,
-L2 for l2), the same number on every backend. Relevance scores (``similarity_search_with_relevance_scores``,
``as_retriever(search_type="similarity_score_threshold")``) map it into [0, 1] with :func:`vectorstore.scores.relevance`.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Iterable, Mapping, Sequence
import functools
from functools import partial
from typing import Any, Callable, Self

import numpy as np

try:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import VectorStore as _LangChainBase
    from langchain_core.vectorstores.utils import maximal_marginal_relevance
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "vectorstore.integrations.langchain needs langchain-core; "
        "install it with: pip install 'vectorstore-core[langchain]'"
    ) from exc

from .. import validation
from ..aio.bridge import await_, bridged
from ..aio.store import AsyncVectorStore
from ..errors import CollectionExists, CollectionNotFound, InvalidInput
from ..filters import Where
from ..models import Match, Metric, Record
from ..opening import open as open_store
from ..scores import relevance
from ..store import VectorStore

#: langchain_chroma's default collection name, so a migrated app that never named its collection finds the same one.
DEFAULT_COLLECTION = "langchain"
#: Metric of a collection this wrapper creates when none was asked for.
DEFAULT_METRIC: Metric = "cosine"



def _document(item: Record | Match) -> Document:
    """A fresh LangChain document for a stored record; a record written without text reads back as ``""``."""
    return Document(id=item.id, page_content=item.document or "", metadata=item.metadata or {})


def _no_more(kwargs: Mapping[str, Any], method: str) -> None:
    """Refuse unknown keyword arguments: a misspelt or backend-specific option must not be silently ignored."""
    if not kwargs:
        return
    names = ", ".join(sorted(kwargs))
    hint = ""
    if "where_document" in kwargs:
        hint = "; use document={'$contains': ...} instead of where_document"
    elif "where" in kwargs:
        hint = "; use filter= (our filter language) instead of where"
    raise TypeError(f"{method}() got unexpected keyword argument(s) {names}{hint}")


class LangChainVectorStore(_LangChainBase):
    """A ``langchain_core.vectorstores.VectorStore`` backed by one collection of a vectorstore store.

    :param embedding: the LangChain embeddings that turn texts and queries into vectors.
    :param url: a store URL (``memory://``, ``chroma:///data``, ``qdrant:///data``, ...). The wrapper opens the store
        and closes it in :meth:`close`. With neither ``url`` nor ``store`` the usual resolution applies
        (``VECTORSTORE_URL``, ``vectorstore.toml``, the embedded default).
    :param store: an already open store to share; the caller keeps ownership and closes it.
    :param collection_name: the collection holding the documents; created on the first add.
    :param metric: ``cosine``, ``dot`` or ``l2`` for a collection created here. ``None`` (the default) takes the
        metric of an existing collection and creates new ones with cosine; a metric that disagrees with an existing
        collection raises :class:`~vectorstore.errors.CollectionExists` on the first add.
    """

    def __init__(
        self,
        embedding: Embeddings,
        *,
        url: str | None = None,
        store: VectorStore | None = None,
        collection_name: str = DEFAULT_COLLECTION,
        metric: Metric | None = None,
    ) -> None:
        if url is not None and store is not None:
            raise InvalidInput("pass either url= or store=, not both")
        self.collection_name = validation.collection_name(collection_name)
        self._metric = None if metric is None else validation.metric(metric)
        self.embedding = embedding
        self._owns_store = store is None
        self.store = open_store(url) if store is None else store
        #: The collection's metric once read or created; it cannot change while the collection exists.
        self._known_metric: Metric | None = None
        #: The async view of :attr:`store` the ``a*`` methods use, made on first use.
        self._async_store: AsyncVectorStore | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.collection_name!r} of {self.store!r}>"

    @property
    def embeddings(self) -> Embeddings:
        return self.embedding

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store if this wrapper opened it (``url=``); a shared ``store=`` stays open."""
        if self._async_store is not None:  # a shared store stays usable: the a* methods make a new view
            self._async_store.detach()
            self._async_store = None
        if self._owns_store:
            self.store.close()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the loop (closing an isolated store stops its worker)."""
        await asyncio.to_thread(self.close)

    async def _twin(self, method: str, /, *args: Any, **kwargs: Any) -> Any:
        """Run the sync ``method`` on a copy of this wrapper whose store and embeddings are awaited."""
        if self._async_store is None:
            self._async_store = AsyncVectorStore(self.store, owns=False)
        view = copy.copy(self)
        view.store = self._async_store.bridged
        view.embedding = _AwaitedEmbeddings(self.embedding)
        try:
            return await self._async_store.run(getattr(view, method), *args, **kwargs)
        finally:
            self._known_metric = view._known_metric

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def delete_collection(self) -> None:
        """Drop the whole collection (all documents); the next add creates it again."""
        self.store.delete_collection(self.collection_name, missing_ok=True)
        self._known_metric = None

    # -- writes -------------------------------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and upsert: an existing id is fully replaced (text, vector and metadata; old keys vanish).

        Ids that are missing or ``None`` get a generated ``uuid4`` string. Ids and metadata are checked with the
        core's rules before the texts are embedded, so a bad batch costs no embedding calls and writes nothing.
        """
        _no_more(kwargs, "add_texts")
        texts = list(texts)
        if not texts:
            return []
        record_ids = self._record_ids(ids, len(texts))
        self._check_metadatas(record_ids, metadatas)
        vectors = self.embedding.embed_documents(texts)
        self._upsert(record_ids, vectors, texts, metadatas)
        return record_ids

    def _record_ids(self, ids: Sequence[str | None] | None, count: int) -> list[str]:
        if ids is None:
            ids = [None] * count
        elif isinstance(ids, str) or len(ids) != count:
            given = "a str" if isinstance(ids, str) else f"{len(ids)} ids"
            raise InvalidInput(
                f"collection {self.collection_name!r}: got {given} for {count} texts; give a list with one id per text"
            )
        record_ids = [str(uuid.uuid4()) if record_id is None or record_id == "" else record_id for record_id in ids]
        return validation.ids(record_ids, self.collection_name)

    def _check_metadatas(self, record_ids: list[str], metadatas: Sequence[Mapping[str, Any] | None] | None) -> None:
        if metadatas is None:
            return
        if len(metadatas) != len(record_ids):
            raise InvalidInput(
                f"collection {self.collection_name!r}: got {len(metadatas)} metadatas for {len(record_ids)} texts"
            )
        for record_id, metadata in zip(record_ids, metadatas):
            validation.metadata(metadata, record_id, self.collection_name)

    def _upsert(
        self,
        ids: list[str],
        vectors: list[list[float]],
        texts: list[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None,
    ) -> None:
        """Upsert, creating the collection (with the embedding dimension) the first time it is missing."""
        name = self.collection_name
        try:
            self._check_shape()
            self.store.upsert(name, ids, vectors, texts, metadatas)
        except CollectionNotFound:
            dimension = len(vectors[0])
            info = self.store.create_collection(name, dimension, self._metric or DEFAULT_METRIC, exist_ok=True)
            self._known_metric = info.metric
            self.store.upsert(name, ids, vectors, texts, metadatas)

    def _check_shape(self) -> Metric:
        """On first contact with an existing collection, learn its metric and refuse one that contradicts ours."""
        if self._known_metric is not None:
            return self._known_metric
        info = self.store.get_collection(self.collection_name)
        if self._metric is not None and info.metric != self._metric:
            raise CollectionExists(
                f"collection {info.name!r} exists with metric {info.metric!r}, not {self._metric!r}; "
                "pass metric=None to use it as it is, or choose another collection_name",
                collection=info.name,
            )
        self._known_metric = info.metric
        return info.metric

    def delete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Where = None,  # noqa: A002 - LangChain's keyword
        document: Where = None,
        **kwargs: Any,
    ) -> bool:
        """Delete by ids (missing ones are ignored) or by a filter in our language.

        Unlike LangChain's default reading of ``delete()``, no arguments is an error rather than "delete
        everything": call :meth:`delete_collection` for that, on purpose.
        """
        _no_more(kwargs, "delete")
        if ids is None and filter is None and document is None:
            raise InvalidInput(
                f"collection {self.collection_name!r}: delete needs ids or filter=/document=; "
                "call delete_collection() to remove every document"
            )
        try:
            self.store.delete(self.collection_name, ids, where=filter, document=document)
        except CollectionNotFound:
            pass  # nothing was ever added: deleting from it is a no-op, as deleting a missing id is
        return True

    # -- reads --------------------------------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents in request order with ``id`` set; missing ids are left out."""
        try:
            records = self.store.get(self.collection_name, list(ids))
        except CollectionNotFound:
            return []
        return [_document(record) for record in records]

    def _search(
        self, vector: Sequence[float], k: int, where: Where, document: Where, *, with_vectors: bool = False
    ) -> list[Match]:
        include = ("document", "metadata", "vector") if with_vectors else ("document", "metadata")
        try:
            return self.store.search(self.collection_name, vector, k, where=where, document=document, include=include)
        except CollectionNotFound:
            return []

    def similarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """The ``k`` nearest documents with our score (higher is more similar), best first."""
        _no_more(kwargs, "similarity_search_with_score_by_vector")
        return [(_document(match), match.score) for match in self._search(embedding, k, filter, document)]

    def similarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """The ``k`` nearest documents with our score: cos, q . v or -L2 by metric; not Chroma's distance."""
        return self.similarity_search_with_score_by_vector(
            self.embedding.embed_query(query), k, filter=filter, document=document, **kwargs
        )

    def similarity_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[Document]:
        pairs = self.similarity_search_with_score_by_vector(embedding, k, filter=filter, document=document, **kwargs)
        return [doc for doc, _ in pairs]

    def similarity_search(
        self,
        query: str,
        k: int = 4,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[Document]:
        return self.similarity_search_by_vector(
            self.embedding.embed_query(query), k, filter=filter, document=document, **kwargs
        )

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        """LangChain's hook for relevance scores: :func:`relevance` for the collection's metric."""
        return partial(relevance, self._collection_metric())

    def _collection_metric(self) -> Metric:
        try:
            return self._check_shape()
        except CollectionNotFound:
            return self._metric or DEFAULT_METRIC  # no collection, no results: any mapping is right

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Fetch the ``fetch_k`` nearest (at least ``k``) with their stored vectors, then pick ``k`` by MMR.

        Diversity is LangChain's cosine-based :func:`maximal_marginal_relevance`, whatever the collection's metric.
        """
        _no_more(kwargs, "max_marginal_relevance_search_by_vector")
        matches = self._search(embedding, max(k, fetch_k), filter, document, with_vectors=True)
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            [match.vector for match in matches],
            lambda_mult=lambda_mult,
            k=k,
        )
        return [_document(matches[i]) for i in chosen]

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        *,
        filter: Where = None,  # noqa: A002
        document: Where = None,
        **kwargs: Any,
    ) -> list[Document]:
        return self.max_marginal_relevance_search_by_vector(
            self.embedding.embed_query(query), k, fetch_k, lambda_mult, filter=filter, document=document, **kwargs
        )

    # -- construction -------------------------------------------------------------------------------------------

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> Self:
        """A wrapper built with ``kwargs`` (``url=``, ``store=``, ``collection_name=``, ``metric=``), texts added.

        If adding fails, a store opened here from ``url=`` is closed again before the error propagates.
        """
        wrapper = cls(embedding, **kwargs)
        try:
            wrapper.add_texts(texts, metadatas, ids=ids)
        except BaseException:
            wrapper.close()
            raise
        return wrapper

    @classmethod
    def from_documents(cls, documents: list[Document], embedding: Embeddings, **kwargs: Any) -> Self:
        """Like :meth:`from_texts`, keeping each ``Document.id`` unless ``ids=`` is given (langchain-core 0.3.0's
        default dropped them)."""
        ids = kwargs.pop("ids", None) or [document.id for document in documents]
        texts = [document.page_content for document in documents]
        return cls.from_texts(texts, embedding, [document.metadata for document in documents], ids=ids, **kwargs)

    @classmethod
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> Self:
        """:meth:`from_texts` for asyncio: the store opens on a thread (an isolated one starts its worker), the
        texts are added with :meth:`aadd_texts`."""
        wrapper = await asyncio.to_thread(partial(cls, embedding, **kwargs))
        try:
            await wrapper.aadd_texts(texts, metadatas, ids=ids)
        except BaseException:
            await wrapper.aclose()
            raise
        return wrapper

    @classmethod
    async def afrom_documents(cls, documents: list[Document], embedding: Embeddings, **kwargs: Any) -> Self:
        """:meth:`from_documents` for asyncio (see :meth:`afrom_texts`)."""
        ids = kwargs.pop("ids", None) or [document.id for document in documents]
        texts = [document.page_content for document in documents]
        return await cls.afrom_texts(texts, embedding, [document.metadata for document in documents], ids=ids, **kwargs)


class _AwaitedEmbeddings:
    """The wrapper's embeddings inside an ``a*`` method: the calls are awaited (``aembed_*``) when the store's code
    runs on the loop, and plain when it runs on the store's pool (a pooled store: see :mod:`vectorstore.aio.store`)."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.embeddings = embeddings

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if bridged():
            return await_(self.embeddings.aembed_documents(texts))
        return self.embeddings.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        if bridged():
            return await_(self.embeddings.aembed_query(text))
        return self.embeddings.embed_query(text)


#: Each async method of the wrapper and the sync method it runs (through :meth:`LangChainVectorStore._twin`).
ASYNC_TWINS: dict[str, str] = {
    "aadd_texts": "add_texts",
    "adelete": "delete",
    "adelete_collection": "delete_collection",
    "aget_by_ids": "get_by_ids",
    "asimilarity_search": "similarity_search",
    "asimilarity_search_by_vector": "similarity_search_by_vector",
    "asimilarity_search_with_score": "similarity_search_with_score",
    "asimilarity_search_with_score_by_vector": "similarity_search_with_score_by_vector",
    "asimilarity_search_with_relevance_scores": "similarity_search_with_relevance_scores",
    "amax_marginal_relevance_search": "max_marginal_relevance_search",
    "amax_marginal_relevance_search_by_vector": "max_marginal_relevance_search_by_vector",
}


def _async_twin(name: str, sync_name: str) -> Callable[..., Any]:
    sync = getattr(LangChainVectorStore, sync_name)

    @functools.wraps(sync)
    async def method(self: LangChainVectorStore, *args: Any, **kwargs: Any) -> Any:
        return await self._twin(sync_name, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"LangChainVectorStore.{name}"
    return method


for _name, _sync_name in ASYNC_TWINS.items():
    setattr(LangChainVectorStore, _name, _async_twin(_name, _sync_name))


__all__ = ["ASYNC_TWINS", "DEFAULT_COLLECTION", "DEFAULT_METRIC", "LangChainVectorStore", "relevance"]
