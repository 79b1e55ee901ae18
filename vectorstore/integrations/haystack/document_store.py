"""A Haystack ``DocumentStore`` (and ``AsyncDocumentStore``) over one collection of any vectorstore store.

Built on the public :class:`~vectorstore.VectorStore` API only. Filters are translated by :mod:`.filters` and run by
the backend; the metadata statistics (:meth:`VectorStoreDocumentStore.get_metadata_field_unique_values` and the
like) read the matching records' metadata from the backend and aggregate it here, as Haystack's in-memory store does.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any, Self, TypeVar

import numpy as np
from haystack import default_from_dict, default_to_dict
from haystack.core.errors import SerializationError
from haystack.dataclasses import Document
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy

from ... import validation
from ...errors import CollectionNotFound, InvalidInput
from ...models import Metric, Record
from ...opening import open as open_store
from ...scores import relevance
from ...store import VectorStore
from .._clauses import conjoin
from . import filters as haystack_filters
from .documents import NO_EMBEDDING, RESERVED_PREFIX, decode, encode

#: Haystack's similarity names -> our metrics.
SIMILARITIES: dict[str, Metric] = {"cosine": "cosine", "dot_product": "dot", "l2": "l2"}
_ALL_FIELDS = ("vector", "document", "metadata")
_T = TypeVar("_T")


def _threaded(method: Callable[..., _T]) -> Callable[..., Coroutine[Any, Any, _T]]:
    """The ``*_async`` twin of a method: the same call in a worker thread, so the event loop is never blocked."""

    @functools.wraps(method)
    async def twin(self: VectorStoreDocumentStore, *args: Any, **kwargs: Any) -> _T:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    twin.__name__ = twin.__qualname__ = f"{method.__name__}_async"
    return twin


def _meta_key(field: str) -> str:
    """A metadata field name with or without Haystack's ``meta.`` prefix."""
    return field.removeprefix("meta.")


def _type_name(value: Any) -> str:
    """Haystack's in-memory names for a meta value's type."""
    for python_type, name in ((bool, "boolean"), (int, "int"), (float, "float")):
        if isinstance(value, python_type):
            return name
    return "keyword"


def _hashable(value: Any) -> Any:
    """A key that keeps ``1``, ``1.0``, ``"1"`` and ``True`` apart (and makes lists and dicts hashable)."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    if isinstance(value, list):
        return ("list", tuple(_hashable(v) for v in value))
    return (type(value).__name__, value)


class VectorStoreDocumentStore:
    """Haystack documents in one collection of a vectorstore store (memory, Qdrant, isolated Chroma, ...).

    :param url: a store URL (``qdrant:///data/qdrant``, ``chroma:///data/chroma``, ``memory://``). The document store
        opens it and closes it in :meth:`close`. Two document stores on the same local path in one process share one
        store (:mod:`vectorstore.sharing`), so a pipeline may name the URL in several components.
    :param store: an already open store to use instead; the caller keeps ownership. Serialising the document store
        writes ``store.url``.
    :param collection_name: the collection holding the documents; created on first use.
    :param embedding_dim: the embedding dimension of the collection (documents without an embedding are stored too).
    :param similarity: ``cosine``, ``dot_product`` or ``l2``.

    ``DuplicatePolicy.NONE`` means ``FAIL`` (as in Haystack's in-memory store): nothing is overwritten unless asked.
    ``filter_documents`` returns documents in no particular order; embeddings come back as float32 values.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        store: VectorStore | None = None,
        collection_name: str = "documents",
        embedding_dim: int = 768,
        similarity: str = "cosine",
    ) -> None:
        if url is not None and store is not None:
            raise InvalidInput("pass either url= or store=, not both")
        if similarity not in SIMILARITIES:
            raise InvalidInput(f"unknown similarity {similarity!r}: use one of {sorted(SIMILARITIES)}")
        self.collection_name = validation.collection_name(collection_name)
        self.embedding_dim = validation.dimension(embedding_dim)
        self.similarity = similarity
        self.metric = SIMILARITIES[similarity]
        self._owns_store = store is None
        self.store = open_store(url) if store is None else store
        self.url = url if url is not None else self.store.url
        self._ready = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.collection_name!r} of {self.store!r}>"

    # -- lifecycle and serialisation ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store if this document store opened it (``url=``); a shared ``store=`` stays open."""
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def to_dict(self) -> dict[str, Any]:
        """What a YAML pipeline stores: the URL and the collection's shape (never an open store object)."""
        if self.url is None:
            raise SerializationError(
                f"{self!r} has no URL to serialise (its store was built without one); open it with a URL"
            )
        return default_to_dict(
            self,
            url=self.url,
            collection_name=self.collection_name,
            embedding_dim=self.embedding_dim,
            similarity=self.similarity,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VectorStoreDocumentStore:
        return default_from_dict(cls, data)

    # -- the collection -----------------------------------------------------------------------------------------

    def _ensure(self) -> None:
        """Create the collection on first use; an existing one must have our dimension and metric."""
        if not self._ready:
            self.store.create_collection(self.collection_name, self.embedding_dim, self.metric, exist_ok=True)
            self._ready = True

    def _read(self, call: Callable[[], _T], empty: _T) -> _T:
        """A read of a collection that may not exist yet: ``empty`` then, as for an empty store."""
        try:
            with haystack_filters.as_filter_errors():
                return call()
        except CollectionNotFound:
            self._ready = False
            return empty

    def _records(self, plan: haystack_filters.Plan, include: Iterable[str] = _ALL_FIELDS) -> list[Record]:
        if plan.empty:
            return []
        name = self.collection_name
        if plan.ids is not None:
            return self._read(lambda: self.store.get(name, plan.ids, include=include), [])
        return self._read(
            lambda: [r for batch in self.store.scan(name, where=plan.where, include=include) for r in batch], []
        )

    # -- the DocumentStore protocol -----------------------------------------------------------------------------

    def count_documents(self) -> int:
        return self._read(lambda: self.store.count(self.collection_name), 0)

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """The documents matching a Haystack filter (``None`` or ``{}``: all of them)."""
        return [decode(record) for record in self._records(haystack_filters.plan(filters))]

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write documents; the number written. ``NONE`` and ``FAIL`` raise ``DuplicateDocumentError`` for an id that
        exists (or repeats in the batch) and write nothing; ``SKIP`` keeps the stored one; ``OVERWRITE`` replaces it.

        The existence check and the write are two calls: a concurrent writer of the same ids can slip in between.
        """
        if not isinstance(documents, list) or not all(isinstance(doc, Document) for doc in documents):
            raise ValueError("write_documents expects a list of haystack Document objects")
        policy = DuplicatePolicy.FAIL if policy == DuplicatePolicy.NONE else policy
        chosen: dict[str, Document] = {}
        for doc in documents:
            if doc.id in chosen and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"ID '{doc.id}' appears more than once in this write")
            if doc.id not in chosen or policy == DuplicatePolicy.OVERWRITE:
                chosen[doc.id] = doc
        if not chosen:
            return 0
        encoded = {doc_id: encode(doc, self.embedding_dim, self.collection_name) for doc_id, doc in chosen.items()}
        self._ensure()
        if policy != DuplicatePolicy.OVERWRITE:
            existing = {record.id for record in self.store.get(self.collection_name, list(chosen), include=())}
            if existing and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"ID(s) {sorted(existing)} already exist in {self.collection_name!r}")
            encoded = {doc_id: item for doc_id, item in encoded.items() if doc_id not in existing}
        self._upsert(encoded, {doc_id: chosen[doc_id].content for doc_id in encoded})
        return len(encoded)

    def _upsert(self, encoded: Mapping[str, tuple[np.ndarray, dict[str, Any]]], contents: Mapping[str, Any]) -> None:
        if not encoded:
            return
        ids = list(encoded)
        vectors = np.stack([encoded[i][0] for i in ids])
        metadatas = [encoded[i][1] for i in ids]
        try:
            self.store.upsert(self.collection_name, ids, vectors, [contents[i] for i in ids], metadatas)
        except CollectionNotFound:  # dropped by someone else since we created it
            self._ready = False
            self._ensure()
            self.store.upsert(self.collection_name, ids, vectors, [contents[i] for i in ids], metadatas)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Delete by id; unknown ids are ignored."""
        if document_ids:
            self._read(lambda: self.store.delete(self.collection_name, list(document_ids)), None)

    # -- extended operations ------------------------------------------------------------------------------------

    def delete_all_documents(self, recreate_index: bool = False) -> None:
        """Remove every document. ``recreate_index=True`` drops and recreates the collection (a fresh index)."""
        if recreate_index:
            self.store.delete_collection(self.collection_name, missing_ok=True)
            self._ready = False
            self._ensure()
            return
        ids = [record.id for record in self._records(haystack_filters.Plan(), include=())]
        if ids:
            self._read(lambda: self.store.delete(self.collection_name, ids), None)

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete the documents a filter matches; how many were deleted."""
        query = haystack_filters.plan(filters)
        if query.empty:
            return 0
        if query.where is None:
            ids = [record.id for record in self._records(query, include=())]
            if ids:
                self._read(lambda: self.store.delete(self.collection_name, ids), None)
            return len(ids)
        before = self._count(query)
        deleted = self._read(lambda: self.store.delete(self.collection_name, where=query.where), 0)
        return before if deleted is None else deleted

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """Merge ``meta`` into the meta of every matching document; how many were updated.

        A read, then a write of the changed documents (vector and content unchanged): not atomic against a
        concurrent writer of the same documents.
        """
        if not isinstance(meta, dict):
            raise TypeError(f"meta must be a dict, got {type(meta).__name__}")
        docs = self.filter_documents(filters)
        for doc in docs:
            doc.meta.update(meta)
        encoded = {doc.id: encode(doc, self.embedding_dim, self.collection_name) for doc in docs}
        self._upsert(encoded, {doc.id: doc.content for doc in docs})
        return len(docs)

    def count_documents_by_filter(self, filters: dict[str, Any]) -> int:
        return self._count(haystack_filters.plan(filters))

    def _count(self, query: haystack_filters.Plan) -> int:
        if query.empty:
            return 0
        if query.ids is not None:
            return len(self._records(query, include=()))
        return self._read(lambda: self.store.count(self.collection_name, where=query.where), 0)

    def _values(self, field: str, filters: dict[str, Any] | None = None) -> Iterator[Any]:
        """The values of one meta field over the matching documents that have it (the backend selects them)."""
        key = _meta_key(field)
        present = conjoin(haystack_filters.where(filters), {key: {"$exists": True}})
        if key.startswith(RESERVED_PREFIX) or present is False:
            return iter(())
        query = haystack_filters.Plan(where=present)  # type: ignore[arg-type]  # never True: it has a condition
        return (decode(record).meta.get(key) for record in self._records(query, include=("metadata",)))

    def count_unique_metadata_by_filter(self, filters: dict[str, Any], metadata_fields: list[str]) -> dict[str, int]:
        """For each field (with or without ``meta.``), how many distinct values the matching documents hold."""
        docs = [decode(record) for record in self._records(haystack_filters.plan(filters), include=("metadata",))]
        counts: dict[str, int] = {}
        for field in metadata_fields:
            key = _meta_key(field)
            counts[key] = len({_hashable(doc.meta[key]) for doc in docs if doc.meta.get(key) is not None})
        return counts

    def get_metadata_fields_info(self) -> dict[str, dict[str, str]]:
        """Each meta field with the type of its values: ``boolean``, ``int``, ``float`` or ``keyword``."""
        types: dict[str, str] = {}
        for record in self._records(haystack_filters.Plan(), include=("metadata",)):
            for key, value in decode(record).meta.items():
                if value is not None:
                    types[key] = _type_name(value)
        return {key: {"type": kind} for key, kind in types.items()}

    def get_metadata_field_min_max(self, metadata_field: str) -> dict[str, Any]:
        """``{"min": ..., "max": ...}`` of a numeric or string field; both ``None`` without comparable values."""
        values = [v for v in self._values(metadata_field) if isinstance(v, (int, float, str))]
        try:
            return {"min": min(values), "max": max(values)} if values else {"min": None, "max": None}
        except TypeError:  # numbers mixed with strings have no order
            return {"min": None, "max": None}

    def get_metadata_field_unique_values(
        self,
        metadata_field: str,
        search_term: str | None = None,
        from_: int = 0,
        size: int = 10,
        filters: dict[str, Any] | None = None,
    ) -> tuple[list[Any], int]:
        """One page of the distinct values of a field (ordered by their text), and how many there are in all.

        ``search_term`` keeps the values that contain it, case-insensitively; ``filters`` restricts the documents.
        """
        unique: dict[Any, Any] = {}
        for value in self._values(metadata_field, filters):
            unique.setdefault(_hashable(value), value)
        if search_term:
            term = search_term.lower()
            unique = {key: value for key, value in unique.items() if term in str(value).lower()}
        ordered = sorted(unique, key=lambda key: (str(unique[key]), key[0]))
        return [unique[key] for key in ordered[from_ : from_ + size]], len(ordered)

    # -- retrieval ----------------------------------------------------------------------------------------------

    def embedding_retrieval(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        return_embedding: bool = False,
    ) -> list[Document]:
        """The ``top_k`` documents nearest to ``query_embedding``, best first, ``score`` set.

        The score is ours (higher is more similar: cos, q . v or -L2); ``scale_score`` maps it into [0, 1] with
        :func:`vectorstore.scores.relevance`. Documents written without an embedding are never returned.
        """
        if top_k == 0:
            return []
        clause = conjoin(haystack_filters.where(filters), {NO_EMBEDDING: {"$exists": False}})
        if clause is False:
            return []
        include = _ALL_FIELDS if return_embedding else ("document", "metadata")
        where = None if clause is True else clause
        matches = self._read(
            lambda: self.store.search(self.collection_name, query_embedding, top_k, where=where, include=include), []
        )
        return [
            decode(
                match,
                with_embedding=return_embedding,
                score=relevance(self.metric, match.score) if scale_score else match.score,
            )
            for match in matches
        ]

    # -- async twins (AsyncDocumentStore) -----------------------------------------------------------------------

    count_documents_async = _threaded(count_documents)
    filter_documents_async = _threaded(filter_documents)
    write_documents_async = _threaded(write_documents)
    delete_documents_async = _threaded(delete_documents)
    delete_all_documents_async = _threaded(delete_all_documents)
    delete_by_filter_async = _threaded(delete_by_filter)
    update_by_filter_async = _threaded(update_by_filter)
    count_documents_by_filter_async = _threaded(count_documents_by_filter)
    count_unique_metadata_by_filter_async = _threaded(count_unique_metadata_by_filter)
    get_metadata_fields_info_async = _threaded(get_metadata_fields_info)
    get_metadata_field_min_max_async = _threaded(get_metadata_field_min_max)
    get_metadata_field_unique_values_async = _threaded(get_metadata_field_unique_values)
    embedding_retrieval_async = _threaded(embedding_retrieval)
