"""Engines on qdrant-client: a Qdrant server or cluster, and qdrant-client's local mode (on disk or in memory).

Local mode is pure Python and **not thread-safe** (qdrant-client #1193: concurrent calls corrupt it), so every call
on it holds one lock; it also takes its own lock on a directory, which we report as ``StoreLocked``. A server client
(httpx or gRPC) is safe to share and takes no lock.

Collections on a server may come from other tools, so their shape is read back, not assumed: an unnamed vector or
one named vector (the migration tool writes ``dense_vector``) with Cosine, Dot or Euclid distance is usable; other
layouts (several named vectors without ``vector_name``, Manhattan, multivectors) are reported as unsupported.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client import models as m
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from vectorstore.errors import (
    BackendUnavailable,
    CollectionExists,
    CollectionNotFound,
    ConfigurationError,
    StoreLocked,
    UnsupportedFeature,
    VectorStoreError,
)
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities, Metric
from vectorstore.toolkit import translated

from . import filters
from .config import DEFAULT_PORT, QdrantConfig
from .directory import MANIFEST_FILE
from .engine import NATIVE_KIND, Engine, FilterBuilder, Search, Shape
from .payload import INDEXED_FIELDS

_SCHEMA: dict[str, m.PayloadSchemaType] = {
    "keyword": m.PayloadSchemaType.KEYWORD,
    "float": m.PayloadSchemaType.FLOAT,
    "bool": m.PayloadSchemaType.BOOL,
}
#: Declared indexes are recorded under this key of the collection's metadata (a server also builds them; local
#: mode has no payload indexes).
DECLARED_KEY = "_vs_indexes"

_DISTANCE: dict[Metric, m.Distance] = {"cosine": m.Distance.COSINE, "dot": m.Distance.DOT, "l2": m.Distance.EUCLID}
_METRIC: dict[m.Distance, Metric] = {distance: metric for metric, distance in _DISTANCE.items()}
#: First server version with ``MatchSubstring`` (``MatchText`` is tokenised, so documents need it).
SUBSTRING_SINCE = (1, 20)


def _declared(info: m.CollectionInfo) -> dict[str, IndexKind]:
    """The indexes recorded in a collection's metadata."""
    return dict(sorted(((info.config.metadata or {}).get(DECLARED_KEY) or {}).items()))


class ClientFilters(FilterBuilder):
    """qdrant-client filter models."""

    def clause(self, must: list[Any] | None, should: list[Any] | None, must_not: list[Any] | None) -> Any:
        return m.Filter(must=must, should=should, must_not=must_not)

    def match(self, part: filters.Match) -> Any:
        return m.FieldCondition(key=part.path, match=m.MatchValue(value=part.value))

    def match_any(self, part: filters.MatchAny) -> Any:
        return m.FieldCondition(key=part.path, match=m.MatchAny(any=list(part.values)))

    def range(self, part: filters.Range) -> Any:
        return m.FieldCondition(key=part.path, range=m.Range(gt=part.gt, gte=part.gte, lt=part.lt, lte=part.lte))

    def is_empty(self, part: filters.IsEmpty) -> Any:
        return m.IsEmptyCondition(is_empty=m.PayloadField(key=part.path))

    def substring(self, part: filters.Substring) -> Any:
        return m.FieldCondition(key=part.path, match=m.MatchSubstring(substring=part.text))


def _version(text: str) -> tuple[int, ...]:
    numbers = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


class ClientEngine(Engine):
    """qdrant-client against a server (``server=True``) or in local mode."""

    builder = ClientFilters()

    def __init__(self, config: QdrantConfig) -> None:
        self._config = config
        self._server = config.engine == "server"
        self._shapes: dict[str, Shape] = {}
        self._lock: contextlib.AbstractContextManager[Any] = (
            contextlib.nullcontext() if self._server else threading.RLock()
        )
        self._params = (
            m.SearchParams(exact=config.exact_search, hnsw_ef=config.hnsw_ef)
            if self._server and (config.exact_search or config.hnsw_ef)
            else None
        )
        self.where = self._describe()
        self.client = self._connect()
        try:
            self._substring = not self._server or _version(self._server_version()) >= SUBSTRING_SINCE
        except BaseException:
            self.client.close()
            raise

    def _describe(self) -> str:
        config = self._config
        if config.engine == "server":
            return f"{config.variant}://{config.host}:{config.port or DEFAULT_PORT}"
        return str(Path(config.path).expanduser().absolute()) if config.path else ":memory:"

    def _connect(self) -> QdrantClient:
        config = self._config
        if config.engine == "memory":
            return QdrantClient(":memory:")
        if config.engine == "local":
            if (Path(self.where) / MANIFEST_FILE).exists():
                raise ConfigurationError(
                    f"{self.where} holds an embedded-engine store; open it with qdrant://{self.where}"
                )
            try:
                return QdrantClient(path=self.where, force_disable_check_same_thread=True)
            except RuntimeError as exc:
                if "already accessed" not in str(exc):
                    raise
                raise StoreLocked(
                    f"the Qdrant local-mode store at {self.where} is already open (in this or another process); "
                    "close that store first, or share one store object between threads",
                    path=self.where,
                ) from exc
        return QdrantClient(**config.server_options())

    @translated("connect")
    def _server_version(self) -> str:
        return self.client.info().version

    def capabilities(self) -> Capabilities:
        return Capabilities(
            persistent=self._config.engine != "memory",
            server=self._server,
            exact_search=self._config.exact_search,
            document_contains=self._substring,
            max_batch=self._config.write_batch,
            thread_safe=True,
            multi_process_safe=self._server,
            payload_indexes=self._server,
        )

    @contextlib.contextmanager
    def _call(self) -> Iterator[QdrantClient]:
        with self._lock:
            yield self.client

    # -- collections ------------------------------------------------------------------------------------------

    @translated("create_collection")
    def create(self, name: str, shape: Shape) -> None:
        params = m.VectorParams(size=shape.dimension, distance=_DISTANCE[shape.metric])
        with self._call() as client:
            if client.collection_exists(name):
                raise CollectionExists(f"collection {name!r} already exists", collection=name)
            client.create_collection(name, vectors_config={shape.vector: params} if shape.vector else params)
            if self._server:  # local mode has no payload indexes
                for field in INDEXED_FIELDS:
                    client.create_payload_index(name, field, field_schema=m.PayloadSchemaType.KEYWORD, wait=True)
        self._shapes[name] = shape

    @translated("get_collection")
    def shape(self, name: str) -> Shape:
        shape = self._shapes.get(name)
        if shape is None:
            with self._call() as client:
                info = client.get_collection(name)
            shape = self._shapes[name] = self._read_shape(name, info.config.params.vectors)
        return shape

    def _read_shape(self, name: str, vectors: Any) -> Shape:
        vector_name: str | None = None
        if isinstance(vectors, dict):
            if self._config.vector_name in vectors:
                vector_name = self._config.vector_name
            elif len(vectors) == 1:
                vector_name = next(iter(vectors))
            else:
                raise UnsupportedFeature(
                    f"collection {name!r} has several named vectors ({', '.join(sorted(vectors))}); "
                    "choose one with the vector_name option",
                    collection=name,
                )
            vectors = vectors[vector_name]
        if not isinstance(vectors, m.VectorParams) or vectors.multivector_config is not None:
            raise UnsupportedFeature(f"collection {name!r} has no single dense vector", collection=name)
        if vectors.distance not in _METRIC:
            raise UnsupportedFeature(
                f"collection {name!r} uses {vectors.distance.value} distance; supported: Cosine, Dot, Euclid",
                collection=name,
            )
        return Shape(dimension=vectors.size, metric=_METRIC[vectors.distance], vector=vector_name)

    @translated("list_collections")
    def names(self) -> list[str]:
        with self._call() as client:
            return [collection.name for collection in client.get_collections().collections]

    @translated("delete_collection")
    def drop(self, name: str) -> None:
        self._shapes.pop(name, None)
        with self._call() as client:
            if not client.collection_exists(name) or not client.delete_collection(name):
                raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)

    # -- points -----------------------------------------------------------------------------------------------

    @translated("upsert")
    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        vector_name = self.shape(name).vector
        batch = m.Batch(ids=ids, vectors={vector_name: vectors} if vector_name else vectors, payloads=payloads)
        with self._call() as client:
            client.upsert(name, points=batch, wait=True)

    @translated("create_index")
    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        with self._call() as client:
            declared = _declared(client.get_collection(name))  # CollectionNotFound before anything is written
            if self._server:
                schema = _SCHEMA[NATIVE_KIND[kind]]
                client.create_payload_index(name, filters.field_path(key), field_schema=schema, wait=True)
            # the whole mapping: update_collection merges top-level metadata keys only
            client.update_collection(name, metadata={DECLARED_KEY: {**declared, key: kind}})

    @translated("list_indexes")
    def indexes(self, name: str) -> dict[str, IndexKind]:
        with self._call() as client:
            return _declared(client.get_collection(name))

    def _retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vectors: list[str] | bool) -> list[Any]:
        with self._call() as client:
            return client.retrieve(name, ids, with_payload=payload, with_vectors=vectors)

    @translated("delete")
    def delete_ids(self, name: str, ids: list[str]) -> None:
        with self._call() as client:
            client.delete(name, points_selector=m.PointIdsList(points=ids), wait=True)  # type: ignore[arg-type]

    def _delete_matching(self, name: str, native: Any) -> None:
        with self._call() as client:
            client.delete(name, points_selector=m.FilterSelector(filter=native), wait=True)

    def _count(self, name: str, native: Any) -> int:
        with self._call() as client:
            return client.count(name, count_filter=native, exact=True).count

    def _request(self, row: np.ndarray, search: Search) -> Any:
        return m.QueryRequest(
            query=row.tolist(),
            using=search.using,
            filter=search.filter,
            limit=search.limit,
            with_payload=search.payload,
            with_vector=search.vector,
            params=self._params,
        )

    def _query(self, name: str, requests: list[Any]) -> list[Sequence[Any]]:
        with self._call() as client:
            responses = client.query_batch_points(name, requests=requests)
        return [response.points for response in responses]

    def _scroll(
        self, name: str, native: Any, limit: int, offset: Any, payload: list[str] | bool, vectors: list[str] | bool
    ) -> tuple[list[Any], Any]:
        with self._call() as client:
            return client.scroll(
                name, scroll_filter=native, limit=limit, offset=offset, with_payload=payload, with_vectors=vectors
            )

    def close(self) -> None:
        with self._lock:
            self.client.close()

    def classify(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
        kind = _kind(exc, collection)
        if kind == "missing" and collection:
            self._shapes.pop(collection, None)
            return CollectionNotFound(f"collection {collection!r} does not exist", collection=collection)
        if kind == "exists" and collection:
            return CollectionExists(f"collection {collection!r} already exists", collection=collection)
        if kind == "unavailable":
            return BackendUnavailable(f"cannot reach Qdrant at {self.where} during {operation}: {exc}")
        return super().classify(exc, operation, collection)


def _kind(exc: Exception, name: str | None) -> str | None:
    """``missing``, ``exists`` or ``unavailable`` for the native errors of local mode, REST and gRPC."""
    import grpc  # lazily: only a server engine raises these
    import httpx

    if isinstance(exc, ValueError) and name and f"Collection {name} not found" in str(exc):
        return "missing"
    if isinstance(exc, UnexpectedResponse):
        return {404: "missing", 409: "exists", 502: "unavailable", 503: "unavailable", 504: "unavailable"}.get(
            exc.status_code or 0
        )
    if isinstance(exc, (ResponseHandlingException, httpx.TransportError)):
        return "unavailable"
    if isinstance(exc, grpc.RpcError) and callable(getattr(exc, "code", None)):
        codes = {
            grpc.StatusCode.NOT_FOUND: "missing",
            grpc.StatusCode.ALREADY_EXISTS: "exists",
            grpc.StatusCode.UNAVAILABLE: "unavailable",
            grpc.StatusCode.DEADLINE_EXCEEDED: "unavailable",
        }
        return codes.get(exc.code())
    return None
