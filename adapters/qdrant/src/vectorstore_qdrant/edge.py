"""The embedded engine: the real Qdrant engine in this process through qdrant-edge-py, one EdgeShard per collection.

Facts this relies on (qdrant-edge-py 0.9.0, measured, see ``shared/notes/backends.md`` section 3):

- a write is in the shard's WAL when ``update`` returns, so it survives the process being killed; ``flush`` (on
  every write with ``sync_writes``, and on close) also writes segments, for OS crashes and power loss;
- shards are safe to use from several threads; only collection management is serialised here;
- search is exact on the plain segments shards start with; ``optimize()`` builds HNSW indexes, after which
  ``SearchParams(exact=True)`` (our default) still searches exactly;
- ``MatchValue(True)`` matches the integer 1 and never ``true`` (PyO3 reads a Python bool as an integer first), while
  ``MatchValue(numpy.True_)``, which is no integer, is read as the boolean and matches exactly ``true`` (and lists
  holding it): so boolean matches are sent as ``numpy.bool_``;
- errors are bare ``Exception("Service runtime error: ...")``, classified by message.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import qdrant_edge as qe

from vectorstore.errors import CollectionExists, CollectionNotFound, StoreClosed, VectorStoreError
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities
from vectorstore.toolkit import translated

from . import filters
from .directory import StoreDirectory
from .engine import NATIVE_KIND, Engine, FilterBuilder, Search, Shape
from .payload import INDEXED_FIELDS

_DISTANCE = {"cosine": qe.Distance.Cosine, "dot": qe.Distance.Dot, "l2": qe.Distance.Euclid}
_SCHEMA: dict[str, Any] = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "float": qe.PayloadSchemaType.Float,
    "bool": qe.PayloadSchemaType.Bool,
}


class EdgeFilters(FilterBuilder):
    """qdrant-edge-py filter objects."""

    def clause(self, must: list[Any] | None, should: list[Any] | None, must_not: list[Any] | None) -> Any:
        return qe.Filter(must=must, should=should, must_not=must_not)

    def match(self, part: filters.Match) -> Any:
        value = np.bool_(part.value) if type(part.value) is bool else part.value  # see the module docstring
        return qe.FieldCondition(part.path, match=qe.MatchValue(value))

    def match_any(self, part: filters.MatchAny) -> Any:
        return qe.FieldCondition(part.path, match=qe.MatchAny(list(part.values)))

    def range(self, part: filters.Range) -> Any:
        return qe.FieldCondition(part.path, range=qe.RangeFloat(gt=part.gt, gte=part.gte, lt=part.lt, lte=part.lte))

    def is_empty(self, part: filters.IsEmpty) -> Any:
        return qe.IsEmptyCondition(part.path)

    def substring(self, part: filters.Substring) -> Any:
        return qe.FieldCondition(part.path, match=qe.MatchSubstring(part.text))


class EdgeEngine(Engine):
    builder = EdgeFilters()

    def __init__(self, path: str, *, exact: bool, hnsw_ef: int | None, sync_writes: bool, batch: int) -> None:
        self.directory = StoreDirectory(path)
        self._exact = exact
        self._params = qe.SearchParams(hnsw_ef=hnsw_ef, exact=exact) if exact or hnsw_ef else None
        self._sync = sync_writes
        self._batch = batch
        self._shards: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._closed = False

    def capabilities(self) -> Capabilities:
        return Capabilities(
            persistent=True,
            server=False,
            exact_search=self._exact,
            max_batch=self._batch,
            thread_safe=True,
            multi_process_safe=False,
            payload_indexes=True,
            extras={"optimize": True, "sync_writes": self._sync},
        )

    # -- collections ------------------------------------------------------------------------------------------

    def _shard(self, name: str) -> Any:
        shard = self._shards.get(name)
        if shard is not None:
            return shard
        with self._lock:
            if self._closed:
                raise StoreClosed(f"the Qdrant store at {self.directory.root} is closed")
            if name not in self._shards:
                if self.directory.shape(name) is None:
                    raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)
                self._shards[name] = qe.EdgeShard.load(str(self.directory.shard_path(name)))
            return self._shards[name]

    @translated("create_collection")
    def create(self, name: str, shape: Shape) -> None:
        with self._lock:
            if self.directory.shape(name) is not None:
                raise CollectionExists(f"collection {name!r} already exists", collection=name)
            params = qe.EdgeVectorParams(size=shape.dimension, distance=_DISTANCE[shape.metric])
            path = self.directory.new_shard_path()
            vectors = {shape.vector: params} if shape.vector else params
            shard = qe.EdgeShard.create(str(path), qe.EdgeConfig(vectors=vectors))
            for field in INDEXED_FIELDS:
                shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
            shard.flush()
            self.directory.add(name, shape, path)
            self._shards[name] = shard

    def shape(self, name: str) -> Shape:
        shape = self.directory.shape(name)
        if shape is None:
            raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)
        return shape

    def names(self) -> list[str]:
        return list(self.directory.entries)

    @translated("delete_collection")
    def drop(self, name: str) -> None:
        with self._lock:
            self.shape(name)
            path = self.directory.remove(name)
            shard = self._shards.pop(name, None)
            if shard is not None:
                shard.close()
            shutil.rmtree(path, ignore_errors=True)

    # -- points -----------------------------------------------------------------------------------------------

    @translated("upsert")
    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        vector_name = self.shape(name).vector
        if vector_name is None:
            points = [qe.Point(i, v, p) for i, v, p in zip(ids, vectors, payloads)]
        else:
            points = [qe.Point(i, {vector_name: v}, p) for i, v, p in zip(ids, vectors, payloads)]
        self._update(name, qe.UpdateOperation.upsert_points(points))

    @translated("create_index")
    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        shard = self._shard(name)
        shard.update(qe.UpdateOperation.create_field_index(filters.field_path(key), _SCHEMA[NATIVE_KIND[kind]]))
        shard.flush()
        with self._lock:
            self.directory.set_index(name, key, kind)

    def indexes(self, name: str) -> dict[str, IndexKind]:
        self.shape(name)
        return self.directory.indexes(name)

    def _retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vectors: list[str] | bool) -> list[Any]:
        return self._shard(name).retrieve(ids, payload, vectors)  # type: ignore[no-any-return]

    @translated("delete")
    def delete_ids(self, name: str, ids: list[str]) -> None:
        self._update(name, qe.UpdateOperation.delete_points(ids))

    def _delete_matching(self, name: str, native: Any) -> None:
        self._update(name, qe.UpdateOperation.delete_points_by_filter(native))

    def _update(self, name: str, operation: Any) -> None:
        """Apply a write; with ``sync_writes`` also flush segments (the WAL already has it when ``update`` returns)."""
        shard = self._shard(name)
        shard.update(operation)
        if self._sync:
            shard.flush()

    def _count(self, name: str, native: Any) -> int:
        return self._shard(name).count(qe.CountRequest(exact=True, filter=native))  # type: ignore[no-any-return]

    def _request(self, row: np.ndarray, search: Search) -> Any:
        return qe.QueryRequest(
            limit=search.limit,
            query=qe.Query.Nearest(row, using=search.using),
            filter=search.filter,
            with_payload=search.payload,
            with_vector=search.vector,
            params=self._params,
        )

    def _query(self, name: str, requests: list[Any]) -> list[Sequence[Any]]:
        shard = self._shard(name)
        if len(requests) == 1:
            return [shard.query(requests[0])]
        return shard.query_batch(qe.QueryBatchRequest(requests))  # type: ignore[no-any-return]

    def _scroll(
        self, name: str, native: Any, limit: int, offset: Any, payload: list[str] | bool, vectors: list[str] | bool
    ) -> tuple[list[Any], Any]:
        request = qe.ScrollRequest(offset=offset, limit=limit, filter=native, with_payload=payload, with_vector=vectors)
        return self._shard(name).scroll(request)  # type: ignore[no-any-return]

    @translated("optimize")
    def optimize(self, name: str) -> bool:
        shard = self._shard(name)
        changed = bool(shard.optimize())
        shard.flush()
        return changed

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            shards, self._shards = self._shards, {}
            try:
                for shard in shards.values():
                    shard.flush()
                    shard.close()
            finally:
                self.directory.close()

    def classify(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
        if "Shard is not initialized" in str(exc):
            if self._closed:
                return StoreClosed(f"the Qdrant store at {self.directory.root} is closed")
            if collection is not None and self.directory.shape(collection) is None:
                return CollectionNotFound(f"collection {collection!r} does not exist", collection=collection)
        return super().classify(exc, operation, collection)
