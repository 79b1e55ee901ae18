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
from vectorstore.models import Capabilities, Metric

from . import filters
from .config import DEFAULT_PORT, QdrantConfig
from .directory import MANIFEST_FILE
from .engine import Engine, Shape, native_errors
from .payload import INDEXED_FIELDS

_DISTANCE: dict[Metric, m.Distance] = {"cosine": m.Distance.COSINE, "dot": m.Distance.DOT, "l2": m.Distance.EUCLID}
_METRIC: dict[m.Distance, Metric] = {distance: metric for metric, distance in _DISTANCE.items()}
#: First server version with ``MatchSubstring`` (``MatchText`` is tokenised, so documents need it).
SUBSTRING_SINCE = (1, 20)


def build(part: filters.Part) -> Any:
    """qdrant-client models for a neutral filter part."""
    if isinstance(part, filters.Clause):
        return m.Filter(
            must=[build(p) for p in part.must] or None,
            should=[build(p) for p in part.should] or None,
            must_not=[build(p) for p in part.must_not] or None,
        )
    if isinstance(part, filters.Match):
        return m.FieldCondition(key=part.path, match=m.MatchValue(value=part.value))
    if isinstance(part, filters.MatchAny):
        return m.FieldCondition(key=part.path, match=m.MatchAny(any=list(part.values)))
    if isinstance(part, filters.Range):
        return m.FieldCondition(key=part.path, range=m.Range(gt=part.gt, gte=part.gte, lt=part.lt, lte=part.lte))
    if isinstance(part, filters.IsEmpty):
        return m.IsEmptyCondition(is_empty=m.PayloadField(key=part.path))
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
        return QdrantClient(
            host=config.host,
            port=config.port or DEFAULT_PORT,
            grpc_port=config.grpc_port,
            prefer_grpc=config.prefer_grpc,
            https=config.variant == "https",
            api_key=config.api_key.get_secret_value() if config.api_key else None,
            timeout=config.timeout,
            check_compatibility=False,
        )

    @native_errors("connect")
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
        )

    @contextlib.contextmanager
    def _call(self) -> Iterator[QdrantClient]:
        with self._lock:
            yield self.client

    # -- collections ------------------------------------------------------------------------------------------

    @native_errors("create_collection")
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

    @native_errors("get_collection")
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

    @native_errors("list_collections")
    def names(self) -> list[str]:
        with self._call() as client:
            return [collection.name for collection in client.get_collections().collections]

    @native_errors("delete_collection")
    def drop(self, name: str) -> None:
        self._shapes.pop(name, None)
        with self._call() as client:
            if not client.collection_exists(name) or not client.delete_collection(name):
                raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)

    # -- points -----------------------------------------------------------------------------------------------

    @native_errors("upsert")
    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        vector_name = self.shape(name).vector
        batch = m.Batch(ids=ids, vectors={vector_name: vectors} if vector_name else vectors, payloads=payloads)
        with self._call() as client:
            client.upsert(name, points=batch, wait=True)

    @native_errors("get")
    def retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vector: bool) -> list[Any]:
        with_vectors = self._vectors(name, vector)
        with self._call() as client:
            return client.retrieve(name, ids, with_payload=payload, with_vectors=with_vectors)

    @native_errors("delete")
    def delete_ids(self, name: str, ids: list[str]) -> None:
        with self._call() as client:
            client.delete(name, points_selector=m.PointIdsList(points=ids), wait=True)  # type: ignore[arg-type]

    @native_errors("delete")
    def delete_where(self, name: str, where: filters.Clause) -> None:
        with self._call() as client:
            client.delete(name, points_selector=m.FilterSelector(filter=build(where)), wait=True)

    @native_errors("count")
    def count(self, name: str, where: filters.Clause | None) -> int:
        native = build(where) if where is not None else None
        with self._call() as client:
            return client.count(name, count_filter=native, exact=True).count

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
        using = self.shape(name).vector
        native = build(where) if where is not None else None
        with_vector = self._vectors(name, vector)
        requests = [
            m.QueryRequest(
                query=row.tolist(),
                using=using,
                filter=native,
                limit=k,
                with_payload=payload,
                with_vector=with_vector,
                params=self._params,
            )
            for row in vectors
        ]
        with self._call() as client:
            responses = client.query_batch_points(name, requests=requests)
        return [response.points for response in responses]

    @native_errors("scan")
    def scroll(
        self, name: str, where: filters.Clause | None, limit: int, offset: Any, payload: list[str] | bool, vector: bool
    ) -> tuple[list[Any], Any]:
        native = build(where) if where is not None else None
        with_vectors = self._vectors(name, vector)
        with self._call() as client:
            return client.scroll(
                name, scroll_filter=native, limit=limit, offset=offset, with_payload=payload, with_vectors=with_vectors
            )

    def _vectors(self, name: str, wanted: bool) -> list[str] | bool:
        vector_name = self.shape(name).vector
        return [vector_name] if wanted and vector_name else wanted

    def close(self) -> None:
        with self._lock:
            self.client.close()

    def classify(self, exc: Exception, operation: str, name: str | None) -> VectorStoreError:
        kind = _kind(exc, name)
        if kind == "missing" and name:
            self._shapes.pop(name, None)
            return CollectionNotFound(f"collection {name!r} does not exist", collection=name)
        if kind == "exists" and name:
            return CollectionExists(f"collection {name!r} already exists", collection=name)
        if kind == "unavailable":
            return BackendUnavailable(f"cannot reach Qdrant at {self.where} during {operation}: {exc}")
        return super().classify(exc, operation, name)


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
