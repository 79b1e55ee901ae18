"""A LlamaIndex ``BasePydanticVectorStore`` over one collection of any vectorstore store.

Nodes are stored the way LlamaIndex's own stores store them (``node_to_metadata_dict``): the node's text is the
record's document, its embedding the vector, and the metadata holds the node's own metadata (the values the core
can filter on), the whole node as JSON in ``_node_content`` (relationships, nested metadata, templates: everything
:func:`~llama_index.core.vector_stores.utils.metadata_dict_to_node` needs), ``_node_type``, and the source document's
id as ``ref_doc_id`` (also ``doc_id`` and ``document_id``, as in LlamaIndex's Qdrant and Chroma stores).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from ... import validation
from ...errors import CollectionNotFound, InvalidInput, UnsupportedFeature
from ...models import Match, Metric, Record
from ...opening import open as open_store
from ...store import VectorStore
from .._clauses import Clause, conjoin
from .._values import storable
from .filters import translate

#: LlamaIndex's own default collection name for vector stores.
DEFAULT_COLLECTION = "llamaindex"
_ALL_FIELDS = ("vector", "document", "metadata")
_T = TypeVar("_T")


def _metadata(node: BaseNode) -> dict[str, Any]:
    return {
        key: value
        for key, value in node_to_metadata_dict(node, remove_text=True, flat_metadata=False).items()
        if storable(value)
    }


def _node(item: Record | Match) -> BaseNode:
    node = metadata_dict_to_node(item.metadata or {}, text=item.document or "")
    if item.vector is not None:
        node.embedding = list(item.vector)
    return node


class LlamaIndexVectorStore(BasePydanticVectorStore):
    """LlamaIndex nodes in one collection of a vectorstore store (memory, Qdrant, isolated Chroma, ...).

    :param url: a store URL (``qdrant:///data/qdrant``, ``chroma:///data/chroma``, ``memory://``); opened here and
        closed by :meth:`close`. Two opens of one local path in a process share one store.
    :param store: an already open store to use instead; the caller keeps ownership.
    :param collection_name: the collection; created on the first add, with the first embedding's dimension.
    :param metric: ``cosine``, ``dot`` or ``l2`` for a collection created here.

    Query similarities are our scores (higher is more similar: cos, q . v or -L2), the same number on every
    backend. Only the default (dense) query mode is supported; other modes raise ``UnsupportedFeature``.
    """

    stores_text: bool = True
    flat_metadata: bool = False
    collection_name: str = DEFAULT_COLLECTION
    metric: str = "cosine"
    url: str | None = None

    _store: VectorStore = PrivateAttr()
    _owns_store: bool = PrivateAttr(default=True)

    def __init__(
        self,
        url: str | None = None,
        *,
        store: VectorStore | None = None,
        collection_name: str = DEFAULT_COLLECTION,
        metric: Metric = "cosine",
    ) -> None:
        if url is not None and store is not None:
            raise InvalidInput("pass either url= or store=, not both")
        super().__init__(
            collection_name=validation.collection_name(collection_name),
            metric=validation.metric(metric),
            url=url if store is None else store.url,
        )
        self._owns_store = store is None
        self._store = open_store(url) if store is None else store

    @classmethod
    def class_name(cls) -> str:
        return "LlamaIndexVectorStore"

    @property
    def client(self) -> VectorStore:
        """The vectorstore store underneath."""
        return self._store

    def close(self) -> None:
        """Close the store if this vector store opened it (``url=``); a shared ``store=`` stays open."""
        if self._owns_store:
            self._store.close()

    # -- helpers ------------------------------------------------------------------------------------------------

    def _read(self, call: Callable[[], _T], empty: _T) -> _T:
        """A read of a collection that may not exist yet (nothing added): ``empty`` then."""
        try:
            return call()
        except CollectionNotFound:
            return empty

    def _select(
        self, node_ids: list[str] | None, filters: MetadataFilters | None, include: Iterable[str]
    ) -> list[Record]:
        """Records by ids and/or filter; the filter runs in the backend (with ids too: the ids are intersected)."""
        clause = translate(filters)
        name = self.collection_name
        if clause is False or (node_ids is not None and not node_ids):
            return []
        if node_ids is not None and clause is True:
            return self._read(lambda: self._store.get(name, node_ids, include=include), [])
        where = None if clause is True else clause
        records = self._read(
            lambda: [r for batch in self._store.scan(name, where=where, include=include) for r in batch], []
        )
        if node_ids is None:
            return records
        wanted = set(node_ids)
        return [record for record in records if record.id in wanted]

    # -- writes -------------------------------------------------------------------------------------------------

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Insert or replace nodes (each needs an embedding); their ids."""
        if add_kwargs:
            raise TypeError(f"add() got unexpected keyword argument(s) {', '.join(sorted(add_kwargs))}")
        if not nodes:
            return []
        missing = [node.node_id for node in nodes if node.embedding is None]
        if missing:
            raise InvalidInput(
                f"collection {self.collection_name!r}: nodes {missing[:5]} have no embedding; "
                "embed them first (VectorStoreIndex does when given an embed_model)"
            )
        ids = [node.node_id for node in nodes]
        vectors = np.asarray([node.embedding for node in nodes], dtype=np.float32)
        texts = [node.get_content() for node in nodes]
        metadatas = [_metadata(node) for node in nodes]
        name = self.collection_name
        try:
            self._store.upsert(name, ids, vectors, texts, metadatas)
        except CollectionNotFound:
            self._store.create_collection(name, vectors.shape[1], self.metric, exist_ok=True)  # type: ignore[arg-type]
            self._store.upsert(name, ids, vectors, texts, metadatas)
        return ids

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete every node of one source document."""
        if delete_kwargs:
            raise TypeError(f"delete() got unexpected keyword argument(s) {', '.join(sorted(delete_kwargs))}")
        self._read(lambda: self._store.delete(self.collection_name, where={"ref_doc_id": ref_doc_id}), None)

    def delete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        """Delete nodes by id, by filter, or those of the ids that match the filter; neither is an error."""
        if delete_kwargs:
            raise TypeError(f"delete_nodes() got unexpected keyword argument(s) {', '.join(sorted(delete_kwargs))}")
        if node_ids is None and filters is None:
            raise InvalidInput("delete_nodes needs node_ids or filters; call clear() to remove every node")
        clause = translate(filters)
        name = self.collection_name
        if node_ids is None and isinstance(clause, dict):
            self._read(lambda: self._store.delete(name, where=clause), None)
            return
        ids = node_ids if clause is True else [record.id for record in self._select(node_ids, filters, ())]
        if ids:
            self._read(lambda: self._store.delete(name, list(ids)), None)

    def clear(self) -> None:
        """Remove every node (the collection is dropped; the next add creates it again)."""
        self._store.delete_collection(self.collection_name, missing_ok=True)

    # -- reads --------------------------------------------------------------------------------------------------

    def get_nodes(self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None) -> list[BaseNode]:
        """Nodes by id and/or filter (with their embeddings); with neither, every node."""
        return [_node(record) for record in self._select(node_ids, filters, _ALL_FIELDS)]

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The ``similarity_top_k`` nodes nearest to ``query.query_embedding``, best first, with our scores."""
        if kwargs:
            raise TypeError(f"query() got unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        if query.mode != VectorStoreQueryMode.DEFAULT:
            raise UnsupportedFeature(f"query mode {query.mode.value!r} is not supported; use the default (dense) mode")
        if query.node_ids:  # as_retriever() passes [] (the index keeps no node list when the store holds text)
            raise UnsupportedFeature("query by node_ids is not supported; use get_nodes(node_ids=...) or filters")
        if query.query_embedding is None:
            raise InvalidInput("query needs query_embedding (the default mode searches by vector)")
        clause: Clause = translate(query.filters)
        if query.doc_ids:  # None or [] restrict nothing, as in LlamaIndex's own stores
            clause = conjoin(clause, {"ref_doc_id": {"$in": query.doc_ids}})
        if clause is False or query.similarity_top_k == 0:
            return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
        where = None if clause is True else clause
        matches = self._read(
            lambda: self._store.search(
                self.collection_name, query.query_embedding, query.similarity_top_k, where=where, include=_ALL_FIELDS
            ),
            [],
        )
        return VectorStoreQueryResult(
            nodes=[_node(match) for match in matches],
            similarities=[match.score for match in matches],
            ids=[match.id for match in matches],
        )

    # -- async twins: the same calls in a worker thread, so the event loop is never blocked -----------------------

    async def async_add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        return await asyncio.to_thread(self.add, nodes, **kwargs)

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        await asyncio.to_thread(self.delete, ref_doc_id, **delete_kwargs)

    async def adelete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        await asyncio.to_thread(self.delete_nodes, node_ids, filters, **delete_kwargs)

    async def aclear(self) -> None:
        await asyncio.to_thread(self.clear)

    async def aget_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        return await asyncio.to_thread(self.get_nodes, node_ids, filters)

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        return await asyncio.to_thread(self.query, query, **kwargs)
