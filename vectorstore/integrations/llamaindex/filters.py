"""LlamaIndex ``MetadataFilters`` translated into our filter language (DESIGN 3.3), exactly or not at all.

LlamaIndex's meaning is ``llama_index.core.vector_stores.utils.build_metadata_filter_fn`` (a missing value matches
only ``!=`` and ``nin``; ``not`` is "none of the filters match"). Each operator:

==========================  =============================================================================
``==`` ``!=``               ``$eq`` ``$ne`` with a str or number
``>`` ``>=`` ``<`` ``<=``   ``$gt`` ``$gte`` ``$lt`` ``$lte`` with a number (a string range has no meaning
                            on every backend: refused)
``in`` ``nin``              ``$in`` ``$nin`` with a non-empty list (``in []`` nothing, ``nin []`` all)
``contains``                ``$contains``: the list field holds the value
``any`` / ``all``           ``$or`` / ``$and`` of ``$contains`` over the values (list fields)
``is_empty``                missing or ``""`` (empty lists and ``None`` are not stored as filterable values)
``text_match``,             refused: our filters have no substring match on metadata
``text_match_insensitive``
``and`` ``or``              ``$and`` ``$or``; nested ``MetadataFilters`` nest
``not``                     ``$not`` of the ``$or`` of the filters (NOR, LlamaIndex's meaning)
==========================  =============================================================================

A refusal is :class:`~vectorstore.errors.UnsupportedFilter` (no meaning here) or
:class:`~vectorstore.errors.InvalidFilter` (a malformed filter); a filter is never dropped or approximated
(llama_index #20237 is what dropping does: a filter that matches everything).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.vector_stores.types import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

from ...errors import InvalidFilter, UnsupportedFilter
from .._clauses import Clause, conjoin, disjoin, negate

_SIMPLE = {
    FilterOperator.EQ: "$eq",
    FilterOperator.NE: "$ne",
    FilterOperator.GT: "$gt",
    FilterOperator.GTE: "$gte",
    FilterOperator.LT: "$lt",
    FilterOperator.LTE: "$lte",
    FilterOperator.CONTAINS: "$contains",
}
_RANGES = frozenset({FilterOperator.GT, FilterOperator.GTE, FilterOperator.LT, FilterOperator.LTE})


def translate(filters: MetadataFilters | None) -> Clause:
    """Our filter for LlamaIndex filters (``None`` or no filters: True, everything)."""
    if filters is None:
        return True
    if not isinstance(filters, MetadataFilters):
        raise InvalidFilter(f"filters must be a llama_index MetadataFilters, got {type(filters).__name__}")
    return _filters(filters, "filters")


def _filters(filters: MetadataFilters, path: str) -> Clause:
    if not filters.filters:
        return True  # LlamaIndex: no filters match everything, whatever the condition
    clauses = [
        _filters(child, f"{path}[{i}]") if isinstance(child, MetadataFilters) else _filter(child, f"{path}[{i}]")
        for i, child in enumerate(filters.filters)
    ]
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return conjoin(*clauses)
    any_match = disjoin(clauses)
    if condition == FilterCondition.OR:
        return any_match
    if condition == FilterCondition.NOT:
        return negate(any_match)
    raise UnsupportedFilter(f"{path}: unknown condition {condition!r}; use and, or or not")


def _filter(item: MetadataFilter, path: str) -> Clause:
    key, op, value = item.key, FilterOperator(item.operator), item.value
    where = f"{path} ({key} {op.value})"
    if op == FilterOperator.IS_EMPTY:
        return disjoin([{key: {"$exists": False}}, {key: {"$eq": ""}}])
    if op in (FilterOperator.TEXT_MATCH, FilterOperator.TEXT_MATCH_INSENSITIVE):
        raise UnsupportedFilter(
            f"{where}: substring matching on metadata is not supported by vectorstore filters; "
            "store the terms as a list and use FilterOperator.CONTAINS or ANY"
        )
    if value is None:
        raise InvalidFilter(f"{where}: a None value has no meaning here; use FilterOperator.IS_EMPTY")
    if op in (FilterOperator.IN, FilterOperator.NIN, FilterOperator.ANY, FilterOperator.ALL):
        if not isinstance(value, list):
            raise InvalidFilter(f"{where}: expected a list of values, got {type(value).__name__}")
        return _many(key, op, value)
    if isinstance(value, list):
        raise InvalidFilter(f"{where}: expected one value, got a list (use FilterOperator.IN)")
    if op in _RANGES and isinstance(value, str):
        raise UnsupportedFilter(f"{where}: ranges take numbers, got the string {value!r}")
    return {key: {_SIMPLE[op]: value}}


def _many(key: str, op: FilterOperator, values: list[Any]) -> Clause:
    if op == FilterOperator.IN:
        return {key: {"$in": values}} if values else False
    if op == FilterOperator.NIN:
        return {key: {"$nin": values}} if values else True
    contains: list[Clause] = [{key: {"$contains": value}} for value in values]
    return disjoin(contains) if op == FilterOperator.ANY else conjoin(*contains)
