"""The few operations each Qdrant engine provides; :class:`~.adapter.QdrantAdapter` builds everything on them.

Engines speak Qdrant: point ids, payload dicts and :class:`~.filters.Clause` filters. Id mapping, the payload
layout, scores and include handling live once in the adapter. Points and hits come back as the engine's own objects,
which share the attributes the adapter reads (``id``, ``payload``, ``vector``, and ``score`` for hits); vectors are
already unwrapped from named-vector dicts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import numpy as np

from vectorstore.errors import BackendError, VectorStoreError
from vectorstore.models import Capabilities, Metric

from .filters import Clause

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """A collection's dimension, metric, and vector name (``None``: Qdrant's unnamed default vector)."""

    dimension: int
    metric: Metric
    vector: str | None = None


class Engine:
    """Base of the engines; each method must be implemented."""

    #: False where the engine's boolean match is unreliable (see :mod:`.payload`).
    native_bools: bool = True

    def capabilities(self) -> Capabilities:
        raise NotImplementedError("The 'capabilities' method must be implemented.")

    def create(self, name: str, shape: Shape) -> None:
        """Create a collection; raise ``CollectionExists`` if the name is taken."""
        raise NotImplementedError("The 'create' method must be implemented.")

    def shape(self, name: str) -> Shape:
        """The collection's shape, read from the backend; ``CollectionNotFound`` if it does not exist."""
        raise NotImplementedError("The 'shape' method must be implemented.")

    def names(self) -> list[str]:
        """Names of the collections this adapter can serve (unusable foreign ones are left out)."""
        raise NotImplementedError("The 'names' method must be implemented.")

    def drop(self, name: str) -> None:
        raise NotImplementedError("The 'drop' method must be implemented.")

    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, payloads: list[dict[str, Any]]) -> None:
        raise NotImplementedError("The 'upsert' method must be implemented.")

    def retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vector: bool) -> list[Any]:
        raise NotImplementedError("The 'retrieve' method must be implemented.")

    def delete_ids(self, name: str, ids: list[str]) -> None:
        raise NotImplementedError("The 'delete_ids' method must be implemented.")

    def delete_where(self, name: str, where: Clause) -> None:
        raise NotImplementedError("The 'delete_where' method must be implemented.")

    def count(self, name: str, where: Clause | None) -> int:
        raise NotImplementedError("The 'count' method must be implemented.")

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Clause | None, payload: list[str] | bool, vector: bool
    ) -> list[Sequence[Any]]:
        """Top ``k`` hits per query row, best first, with the engine's raw scores."""
        raise NotImplementedError("The 'query' method must be implemented.")

    def scroll(
        self, name: str, where: Clause | None, limit: int, offset: Any, payload: list[str] | bool, vector: bool
    ) -> tuple[list[Any], Any]:
        """One page of points in id order from ``offset`` (None: the start), and the next offset (None: done)."""
        raise NotImplementedError("The 'scroll' method must be implemented.")

    def vector_of(self, point: Any, shape: Shape) -> Any:
        """A point's vector as a list of floats, unwrapped from the named-vector dict if any."""
        vector = point.vector
        return vector[shape.vector] if isinstance(vector, dict) else vector

    def optimize(self, name: str) -> bool:
        """Build indexes and vacuum now; True if anything changed. Engines that do this themselves return False."""
        return False

    def close(self) -> None:
        raise NotImplementedError("The 'close' method must be implemented.")

    def classify(self, exc: Exception, operation: str, name: str | None) -> VectorStoreError:
        """Our error for a native exception (the caller chains the native one as ``__cause__``)."""
        return BackendError(f"qdrant {operation} failed{_on(name)}: {exc}", collection=name)


def _on(name: str | None) -> str:
    return f" on collection {name!r}" if name else ""


def native_errors(operation: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorate an engine method so native exceptions leave it as our errors, the native one as ``__cause__``."""

    def decorate(method: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return method(*args, **kwargs)
            except VectorStoreError:
                raise
            except Exception as exc:
                engine: Engine = args[0]  # type: ignore[assignment]
                name = args[1] if len(args) > 1 and isinstance(args[1], str) else None
                raise engine.classify(exc, operation, name) from exc

        return wrapper

    return decorate
