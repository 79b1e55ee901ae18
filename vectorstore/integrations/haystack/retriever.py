"""The embedding retriever component for :class:`VectorStoreDocumentStore`, shaped like Haystack's own retrievers."""

from __future__ import annotations

from typing import Any

from haystack import component, default_from_dict, default_to_dict
from haystack.dataclasses import Document
from haystack.document_stores.types import FilterPolicy, apply_filter_policy

from .document_store import VectorStoreDocumentStore


@component
class VectorStoreEmbeddingRetriever:
    """Retrieves the documents nearest to a query embedding from a :class:`VectorStoreDocumentStore`.

    :param document_store: the document store to search.
    :param filters: Haystack filters applied to every query (see ``filter_policy``).
    :param top_k: how many documents to return at most; must be > 0.
    :param scale_score: map scores into [0, 1] (:func:`vectorstore.scores.relevance`) instead of our raw score.
    :param return_embedding: return the documents' embeddings too.
    :param filter_policy: ``REPLACE`` (runtime filters replace the init ones) or ``MERGE`` (AND of both).
    """

    def __init__(
        self,
        document_store: VectorStoreDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
        filter_policy: FilterPolicy = FilterPolicy.REPLACE,
    ) -> None:
        if not isinstance(document_store, VectorStoreDocumentStore):
            raise TypeError(f"document_store must be a VectorStoreDocumentStore, got {type(document_store).__name__}")
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0, got {top_k}")
        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.return_embedding = return_embedding
        self.filter_policy = FilterPolicy.from_str(filter_policy) if isinstance(filter_policy, str) else filter_policy

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self,
            document_store=self.document_store,
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            return_embedding=self.return_embedding,
            filter_policy=self.filter_policy.value,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VectorStoreEmbeddingRetriever:
        return default_from_dict(cls, data)

    def _arguments(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None,
        top_k: int | None,
        scale_score: bool | None,
        return_embedding: bool | None,
    ) -> dict[str, Any]:
        top_k = self.top_k if top_k is None else top_k
        if top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        return {
            "query_embedding": query_embedding,
            "filters": apply_filter_policy(self.filter_policy, self.filters, filters),
            "top_k": top_k,
            "scale_score": self.scale_score if scale_score is None else scale_score,
            "return_embedding": self.return_embedding if return_embedding is None else return_embedding,
        }

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
        return_embedding: bool | None = None,
    ) -> dict[str, list[Document]]:
        """The nearest documents, best first; arguments given here override the init values for this run."""
        arguments = self._arguments(query_embedding, filters, top_k, scale_score, return_embedding)
        return {"documents": self.document_store.embedding_retrieval(**arguments)}

    @component.output_types(documents=list[Document])
    async def run_async(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
        return_embedding: bool | None = None,
    ) -> dict[str, list[Document]]:
        """:meth:`run` without blocking the event loop."""
        arguments = self._arguments(query_embedding, filters, top_k, scale_score, return_embedding)
        return {"documents": await self.document_store.embedding_retrieval_async(**arguments)}
