"""Plain data that crosses the public API: what goes in, what comes back.

Models are pydantic so they validate when users build them and serialise for the CLI and reports. Internally the
core builds them with ``model_construct`` after its own validation, so large scans pay no second check.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Metric = Literal["cosine", "dot", "l2"]
METRICS: tuple[Metric, ...] = ("cosine", "dot", "l2")

#: A metadata scalar. A ``datetime`` is timezone-aware (stored and returned in UTC); ``date`` and ``datetime`` are
#: different kinds (DESIGN 3.1, docs/contract.md "Records").
Scalar = Union[bool, int, float, str, dt.datetime, dt.date]
MetadataValue = Union[bool, int, float, str, dt.datetime, dt.date, list[bool], list[int], list[float], list[str]]
Metadata = dict[str, MetadataValue]

IncludeField = Literal["vector", "document", "metadata"]
INCLUDE_FIELDS: frozenset[str] = frozenset({"vector", "document", "metadata"})
DEFAULT_INCLUDE: frozenset[str] = frozenset({"document", "metadata"})

FILTER_OPERATORS: frozenset[str] = frozenset(
    {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$contains", "$and", "$or", "$not"}
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CollectionInfo(_Frozen):
    """A collection's shape, read back from the backend (never assumed)."""

    name: str
    dimension: int
    metric: Metric


class Record(BaseModel):
    """One stored item. ``vector``, ``document`` and ``metadata`` are ``None`` when not asked for in ``include``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    vector: list[float] | None = None
    document: str | None = None
    metadata: Metadata | None = None


class Match(BaseModel):
    """One query hit. ``score`` is higher-is-better, ``distance`` lower-is-closer (DESIGN 3.2)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    score: float
    distance: float
    vector: list[float] | None = None
    document: str | None = None
    metadata: Metadata | None = None

    @classmethod
    def trusted(
        cls,
        id: str,
        score: float,
        distance: float,
        vector: list[float] | None,
        document: str | None,
        metadata: Metadata | None,
    ) -> Match:
        """A match from values an adapter already holds in their final types: what ``model_construct`` gives with
        every field passed, without its per-field loop (a third of its cost; a query builds ``k`` of these per row,
        issue 13). It sets the four attributes ``model_construct`` sets; ``tests/core/test_models.py`` checks that
        both give equal objects, so a pydantic release that changes them fails a test rather than a query."""
        match = object.__new__(cls)
        fields = {"id": id, "score": score, "distance": distance, "vector": vector, "document": document}
        fields["metadata"] = metadata
        _set(match, "__dict__", fields)
        _set(match, "__pydantic_fields_set__", set(_MATCH_FIELDS))
        _set(match, "__pydantic_extra__", None)
        _set(match, "__pydantic_private__", None)
        return match


_set = object.__setattr__  # pydantic models refuse unknown attributes through their own __setattr__
_MATCH_FIELDS = frozenset(Match.model_fields)


class UpsertResult(_Frozen):
    """What an upsert wrote."""

    upserted: int


class Capabilities(_Frozen):
    """What an adapter supports. The conformance suite skips (and reports) what is declared unsupported."""

    metrics: frozenset[Metric] = frozenset(METRICS)
    filter_operators: frozenset[str] = FILTER_OPERATORS
    document_contains: bool = True
    persistent: bool = False
    server: bool = False
    exact_search: bool = True
    max_batch: int | None = None
    thread_safe: bool = True
    multi_process_safe: bool = False
    #: ``create_index`` builds a payload index that filters use; when false it is recorded and listed only.
    payload_indexes: bool = False
    extras: dict[str, bool] = Field(default_factory=dict)


__all__ = [
    "DEFAULT_INCLUDE",
    "FILTER_OPERATORS",
    "INCLUDE_FIELDS",
    "METRICS",
    "Capabilities",
    "CollectionInfo",
    "IncludeField",
    "Match",
    "Metadata",
    "MetadataValue",
    "Metric",
    "Record",
    "Scalar",
    "UpsertResult",
]
