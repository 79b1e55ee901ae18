"""The embedded engine: the real Qdrant engine in this process through qdrant-edge-py, one EdgeShard per collection.

Facts this relies on (qdrant-edge-py 0.9.0, measured, see ``shared/notes/backends.md`` section 3):

- a write is in the shard's WAL when ``update`` returns, so it survives the process being killed; ``flush`` (on
  every write with ``sync_writes``, and on close) also writes segments, for OS crashes and power loss;
- shards are safe to use from several threads; only collection management is serialised here;
- search is exact on the plain segments shards start with; ``optimize()`` builds HNSW indexes, after which
  ``SearchParams(exact=True)`` (our default) still searches exactly;
- ``MatchValue(True)`` matches the integer 1 and never ``true`` (so ``native_bools`` is False);
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
from vectorstore.models import Capabilities

from . import filters
from .directory import StoreDirectory
from .engine import Engine, Shape, native_errors
from .payload import INDEXED_FIELDS

_DISTANCE = {"cosine": qe.Distance.Cosine, "dot": qe.Distance.Dot, "l2": qe.Distance.Euclid}


def build(part: filters.Part) -> Any:
    """qdrant-edge-py objects for a neutral filter part."""
    if isinstance(part, filters.Clause):
        return qe.Filter(
            must=[build(p) for p in part.must] or None,
            should=[build(p) for p in part.should] or None,
            must_not=[build(p) for p in part.must_not] or None,
        )
    if isinstance(part, filters.Match):
        return qe.FieldCondition(part.path, match=qe.MatchValue(part.value))
    if isinstance(part, filters.MatchAny):
        return qe.FieldCondition(part.path, match=qe.MatchAny(list(part.values)))
    if isinstance(part, filters.Range):
        return qe.FieldCondition(part.path, range=qe.RangeFloat(gt=part.gt, gte=part.gte, lt=part.lt, lte=part.lte))
    if isinstance(part, filters.IsEmpty):
        return qe.IsEmptyCondition(part.path)
    return qe.FieldCondition(part.path, match=qe.MatchSubstring(part.text))


class EdgeEngine(Engine):
    native_bools = False

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

    @native_errors("create_collection")
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

    @native_errors("delete_collection")
    def drop(self, name: str) -> None:
        with self._lock:
            self.shape(name)
            path = self.directory.remove(name)
            shard = self._shards.pop(name, None)
            if shard is not None:
                shard.close()
            shutil.rmtree(path, ignore_errors=True)

    # -- points -----------------------------------------------------------------------------------------------

    @native_errors("upsert")
    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        shard = self._shard(name)
        vector_name = self.shape(name).vector
        if vector_name is None:
            points = [qe.Point(i, v, p) for i, v, p in zip(ids, vectors, payloads)]
        else:
            points = [qe.Point(i, {vector_name: v}, p) for i, v, p in zip(ids, vectors, payloads)]
        shard.update(qe.UpdateOperation.upsert_points(points))
        if self._sync:
            shard.flush()

    @native_errors("get")
    def retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vector: bool) -> list[Any]:
        return self._shard(name).retrieve(ids, payload, self._vectors(name, vector))  # type: ignore[no-any-return]

    @native_errors("delete")
    def delete_ids(self, name: str, ids: list[str]) -> None:
        shard = self._shard(name)
        shard.update(qe.UpdateOperation.delete_points(ids))
        if self._sync:
            shard.flush()

    @native_errors("delete")
    def delete_where(self, name: str, where: filters.Clause) -> None:
        shard = self._shard(name)
        shard.update(qe.UpdateOperation.delete_points_by_filter(build(where)))
        if self._sync:
            shard.flush()

    @native_errors("count")
    def count(self, name: str, where: filters.Clause | None) -> int:
        request = qe.CountRequest(exact=True, filter=build(where) if where is not None else None)
        return self._shard(name).count(request)  # type: ignore[no-any-return]

    @native_errors("query")
    def query(
        self,
        name: str,
        vectors: np.ndarray,
        k: int,
        where: filters.Clause | None,
        payload: list[str] | bool,
        vector: bool,
    ) -> list[Sequence[Any]]:
        shard = self._shard(name)
        using = self.shape(name).vector
        native = build(where) if where is not None else None
        with_vector = self._vectors(name, vector)
        requests = [
            qe.QueryRequest(
                limit=k,
                query=qe.Query.Nearest(row, using=using),
                filter=native,
                with_payload=payload,
                with_vector=with_vector,
                params=self._params,
            )
            for row in vectors
        ]
        if len(requests) == 1:
            return [shard.query(requests[0])]
        return shard.query_batch(qe.QueryBatchRequest(requests))  # type: ignore[no-any-return]

    @native_errors("scan")
    def scroll(
        self, name: str, where: filters.Clause | None, limit: int, offset: Any, payload: list[str] | bool, vector: bool
    ) -> tuple[list[Any], Any]:
        request = qe.ScrollRequest(
            offset=offset,
            limit=limit,
            filter=build(where) if where is not None else None,
            with_payload=payload,
            with_vector=self._vectors(name, vector),
        )
        return self._shard(name).scroll(request)  # type: ignore[no-any-return]

    def _vectors(self, name: str, wanted: bool) -> list[str] | bool:
        vector_name = self.shape(name).vector
        return [vector_name] if wanted and vector_name else wanted

    @native_errors("optimize")
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

    def classify(self, exc: Exception, operation: str, name: str | None) -> VectorStoreError:
        if "Shard is not initialized" in str(exc):
            if self._closed:
                return StoreClosed(f"the Qdrant store at {self.directory.root} is closed")
            if name is not None and self.directory.shape(name) is None:
                return CollectionNotFound(f"collection {name!r} does not exist", collection=name)
        return super().classify(exc, operation, name)
