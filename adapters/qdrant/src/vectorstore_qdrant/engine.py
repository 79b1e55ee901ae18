"""The few operations each Qdrant engine provides; :class:`~.adapter.QdrantAdapter` builds everything on them.

Engines speak Qdrant: point ids, payload dicts and :class:`~.filters.Clause` filters. Id mapping, the payload
layout, scores and include handling live once in the adapter. Points and hits come back as the engine's own objects,
which share the attributes the adapter reads (``id``, ``payload``, ``vector``, and ``score`` for hits); vectors are
already unwrapped from named-vector dicts.

qdrant-client and qdrant-edge-py mirror each other, so what is the same is written once here: the walk from a
:class:`~.filters.Clause` to native filter objects (:class:`FilterBuilder`, each engine supplies six constructors)
and ``retrieve``/``count``/``query``/``scroll``/``delete_where`` on a few native primitives (``_count``,
``_request``...). An engine module holds only what its native API does differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vectorstore.errors import BackendError, VectorStoreError
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities, Metric
from vectorstore.toolkit import translated

from . import filters
from .filters import Clause

#: The Qdrant index type serving each declared kind. Numbers get a float index whether declared ``integer`` or
#: ``float``: our numeric filters are float ranges, and an integer index answers a range from the integers alone,
#: hiding the float values of the key (``{"num": 2.5}`` matched nothing once ``num`` had an integer index).
NATIVE_KIND: dict[IndexKind, str] = {"keyword": "keyword", "integer": "float", "float": "float", "bool": "bool"}


@dataclass(frozen=True)
class Shape:
    """A collection's dimension, metric, and vector name (``None``: Qdrant's unnamed default vector)."""

    dimension: int
    metric: Metric
    vector: str | None = None


@dataclass(frozen=True)
class Search:
    """What every row of one query asks the engine for (the same for all rows)."""

    using: str | None  # the vector name, None for the unnamed vector
    filter: Any  # the native filter, or None
    limit: int
    payload: list[str] | bool
    vector: list[str] | bool


class FilterBuilder:
    """Builds an engine's native filter objects from :class:`~.filters.Clause` trees.

    The two native vocabularies (qdrant-client models, qdrant-edge-py objects) mirror each other, so the walk is
    here and each engine supplies only the six constructors.
    """

    def build(self, part: filters.Part) -> Any:
        if isinstance(part, Clause):
            return self.clause(
                [self.build(p) for p in part.must] or None,
                [self.build(p) for p in part.should] or None,
                [self.build(p) for p in part.must_not] or None,
            )
        return getattr(self, _CONSTRUCTORS[type(part)])(part)

    def optional(self, where: Clause | None) -> Any:
        """The native filter, or ``None`` for no filter."""
        return None if where is None else self.build(where)

    def clause(self, must: list[Any] | None, should: list[Any] | None, must_not: list[Any] | None) -> Any:
        raise NotImplementedError("The 'clause' method must be implemented.")

    def match(self, part: filters.Match) -> Any:
        raise NotImplementedError("The 'match' method must be implemented.")

    def match_any(self, part: filters.MatchAny) -> Any:
        raise NotImplementedError("The 'match_any' method must be implemented.")

    def range(self, part: filters.Range) -> Any:
        raise NotImplementedError("The 'range' method must be implemented.")

    def is_empty(self, part: filters.IsEmpty) -> Any:
        raise NotImplementedError("The 'is_empty' method must be implemented.")

    def substring(self, part: filters.Substring) -> Any:
        raise NotImplementedError("The 'substring' method must be implemented.")


_CONSTRUCTORS: dict[type, str] = {
    filters.Match: "match",
    filters.MatchAny: "match_any",
    filters.Range: "range",
    filters.IsEmpty: "is_empty",
    filters.Substring: "substring",
}


class Engine:
    """Base of the engines: what is the same for both is written here, on a few native primitives (``_...``).

    Public methods translate native exceptions with :meth:`classify` (``vectorstore.toolkit.translated``).
    """

    #: The engine's native filter vocabulary.
    builder: FilterBuilder

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

    def delete_ids(self, name: str, ids: list[str]) -> None:
        raise NotImplementedError("The 'delete_ids' method must be implemented.")

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        """Index payload field ``key`` (a top-level metadata key) for ``kind``, replacing an index of another kind,
        and record the declaration (:meth:`indexes` lists declarations, not native index types: both numeric kinds
        get Qdrant's float index, see :data:`NATIVE_KIND`)."""
        raise NotImplementedError("The 'create_index' method must be implemented.")

    def indexes(self, name: str) -> dict[str, IndexKind]:
        """The declared payload indexes of the collection, ``{key: kind}``."""
        raise NotImplementedError("The 'indexes' method must be implemented.")

    # -- shared on native primitives ----------------------------------------------------------------------------

    @translated("get")
    def retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vector: bool) -> list[Any]:
        return self._retrieve(name, ids, payload, self._vectors(name, vector))

    @translated("delete")
    def delete_where(self, name: str, where: Clause) -> None:
        self._delete_matching(name, self.builder.build(where))

    @translated("count")
    def count(self, name: str, where: Clause | None) -> int:
        return self._count(name, self.builder.optional(where))

    @translated("query")
    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Clause | None, payload: list[str] | bool, vector: bool
    ) -> list[Sequence[Any]]:
        """Top ``k`` hits per query row, best first, with the engine's raw scores."""
        search = Search(self.shape(name).vector, self.builder.optional(where), k, payload, self._vectors(name, vector))
        return self._query(name, [self._request(row, search) for row in vectors])

    @translated("scan")
    def scroll(
        self, name: str, where: Clause | None, limit: int, offset: Any, payload: list[str] | bool, vector: bool
    ) -> tuple[list[Any], Any]:
        """One page of points in id order from ``offset`` (None: the start), and the next offset (None: done)."""
        native = self.builder.optional(where)
        return self._scroll(name, native, limit, offset, payload, self._vectors(name, vector))

    def _vectors(self, name: str, wanted: bool) -> list[str] | bool:
        """The ``with_vector(s)`` argument: the collection's vector name if it has one, else a plain bool."""
        vector_name = self.shape(name).vector
        return [vector_name] if wanted and vector_name else wanted

    def vector_of(self, point: Any, shape: Shape) -> Any:
        """A point's vector as a list of floats, unwrapped from the named-vector dict if any."""
        vector = point.vector
        return vector[shape.vector] if isinstance(vector, dict) else vector

    # -- native primitives --------------------------------------------------------------------------------------

    def _retrieve(self, name: str, ids: list[str], payload: list[str] | bool, vectors: list[str] | bool) -> list[Any]:
        raise NotImplementedError("The '_retrieve' method must be implemented.")

    def _delete_matching(self, name: str, native: Any) -> None:
        raise NotImplementedError("The '_delete_matching' method must be implemented.")

    def _count(self, name: str, native: Any) -> int:
        raise NotImplementedError("The '_count' method must be implemented.")

    def _request(self, row: np.ndarray, search: Search) -> Any:
        """One native query request for one query row."""
        raise NotImplementedError("The '_request' method must be implemented.")

    def _query(self, name: str, requests: list[Any]) -> list[Sequence[Any]]:
        """Run the requests built by :meth:`_request`: one list of hits per request, in order."""
        raise NotImplementedError("The '_query' method must be implemented.")

    def _scroll(
        self, name: str, native: Any, limit: int, offset: Any, payload: list[str] | bool, vectors: list[str] | bool
    ) -> tuple[list[Any], Any]:
        raise NotImplementedError("The '_scroll' method must be implemented.")

    # -- lifecycle and errors -----------------------------------------------------------------------------------

    def optimize(self, name: str) -> bool:
        """Build indexes and vacuum now; True if anything changed. Engines that do this themselves return False."""
        return False

    def close(self) -> None:
        raise NotImplementedError("The 'close' method must be implemented.")

    def classify(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
        """Our error for a native exception (the toolkit chains the native one as ``__cause__``)."""
        where = f" on collection {collection!r}" if collection else ""
        return BackendError(f"qdrant {operation} failed{where}: {exc}", collection=collection)
