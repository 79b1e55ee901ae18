"""Haystack filters translated into our filter language (DESIGN 3.3), executed by the backend, never in Python.

Haystack's meaning is ``haystack.utils.filters.document_matches_filter``; the translation keeps it:

=====================  ==========================================================================================
Haystack               ours
=====================  ==========================================================================================
``meta.k == v``        ``{"k": {"$eq": v}}``; ``== None`` is ``{"k": {"$exists": false}}`` (a missing field is None)
``meta.k != v``        ``{"k": {"$ne": v}}`` (matches documents without ``k``, as Haystack does); ``!= None`` is
                       ``$exists: true``
``> >= < <=``          ``$gt $gte $lt $lte`` with a number; with an ISO-8601 string, the same on the datetime
                       companion of ``k`` (:func:`.documents.datetime_key`: strings that are ISO dates, compared
                       as instants, a naive one as UTC); ``None`` on the right matches nothing; a list, a bool
                       or a string that is not an ISO-8601 date is a :class:`FilterError`
``in`` / ``not in``    ``$in`` / ``$nin`` per kind of value (a ``None`` element adds ``$exists``); the value must
                       be a ``list``; ``in []`` matches nothing, ``not in []`` everything
``AND`` / ``OR``       ``$and`` / ``$or`` (an empty AND matches everything, an empty OR nothing)
``NOT``                ``$not`` of the AND of its conditions (NAND, as Haystack's reference)
``id == x``, ``in``    at the top level only: a lookup by id
=====================  ==========================================================================================

Where Haystack differs: it gives a naive datetime the other side's timezone, we take it as UTC; it raises
``FilterError`` when an ISO operand meets a field that is no date, we match nothing there.

Refused with :class:`UnsupportedHaystackFilter` (a ``FilterError`` and our ``UnsupportedFilter``), never dropped:
nested paths
(``meta.a.b``: nested values are stored as JSON), and conditions on ``content``, ``id`` (other than the lookup
above) or other document fields. Type rules are the core's (strict: ``True`` never equals ``1``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from haystack.dataclasses import Document
from haystack.errors import FilterError

from ...errors import InvalidFilter, UnsupportedFilter
from .._clauses import Clause, FilterDict, conjoin, disjoin, negate
from .._values import kind
from .documents import RESERVED_PREFIX, datetime_key, iso_datetime


class HaystackFilterError(FilterError, InvalidFilter):
    """A Haystack filter that is malformed or has no meaning (Haystack's ``FilterError`` and our ``InvalidFilter``)."""


class UnsupportedHaystackFilter(FilterError, UnsupportedFilter):
    """A valid Haystack filter this integration cannot execute exactly; it is refused, never approximated."""


@dataclass(frozen=True)
class Plan:
    """What to ask the store: ``ids`` (a lookup), else ``where`` (``None``: every document); ``empty``: no call."""

    where: FilterDict | None = None
    ids: list[str] | None = None
    empty: bool = False


_DOCUMENT_FIELDS = frozenset(Document.__dataclass_fields__)
_RANGES = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
_COMPARISONS = frozenset({"==", "!=", "in", "not in", *_RANGES})
_LOGIC = frozenset({"AND", "OR", "NOT"})


def plan(filters: Mapping[str, Any] | None) -> Plan:
    """The query for a Haystack filter (``None`` or ``{}``: everything); raises ``FilterError`` subclasses."""
    if filters is None or (isinstance(filters, Mapping) and not filters):
        return Plan()
    if not isinstance(filters, Mapping):
        raise HaystackFilterError(f"filters must be a dict, got {type(filters).__name__}")
    ids = _id_lookup(filters)
    if ids is not None:
        return Plan(ids=ids, empty=not ids)
    clause = _clause(filters, "filters")
    if clause is True:
        return Plan()
    if clause is False:
        return Plan(empty=True)
    return Plan(where=clause)


def where(filters: Mapping[str, Any] | None) -> Clause:
    """A filter as one clause (no id lookup): for retrieval and for combining with other conditions."""
    if filters is None or (isinstance(filters, Mapping) and not filters):
        return True
    if not isinstance(filters, Mapping):
        raise HaystackFilterError(f"filters must be a dict, got {type(filters).__name__}")
    return _clause(filters, "filters")


@contextmanager
def as_filter_errors() -> Iterator[None]:
    """Our filter errors from the core (e.g. a NaN operand) as Haystack ``FilterError`` subclasses."""
    try:
        yield
    except UnsupportedFilter as exc:
        if isinstance(exc, FilterError):
            raise
        raise UnsupportedHaystackFilter(str(exc)) from exc
    except InvalidFilter as exc:
        if isinstance(exc, FilterError):
            raise
        raise HaystackFilterError(str(exc)) from exc


def _id_lookup(filters: Mapping[str, Any]) -> list[str] | None:
    """The ids of a top-level ``id ==`` / ``id in`` condition, else None."""
    if filters.get("field") != "id" or filters.get("operator") not in ("==", "in") or "value" not in filters:
        return None
    value = filters["value"]
    values = value if filters["operator"] == "in" else [value]
    if type(values) is not list or not all(type(v) is str for v in values):
        raise HaystackFilterError(f"filter on id: expected a str (==) or a list of str (in), got {value!r}")
    return values


def _clause(node: Any, path: str) -> Clause:
    if not isinstance(node, Mapping):
        raise HaystackFilterError(f"{path}: expected a condition dict, got {type(node).__name__}")
    if "field" in node:
        return _comparison(node, path)
    if "operator" not in node:
        raise HaystackFilterError(f"{path}: 'operator' key missing in {dict(node)!r}")
    operator = node["operator"]
    if operator not in _LOGIC:
        raise HaystackFilterError(f"{path}: unknown logical operator {operator!r}; use AND, OR or NOT")
    if "conditions" not in node:
        raise HaystackFilterError(f"{path}: 'conditions' key missing in {dict(node)!r}")
    conditions = node["conditions"]
    if type(conditions) is not list:
        raise HaystackFilterError(f"{path}.conditions: expected a list, got {type(conditions).__name__}")
    clauses = [_clause(child, f"{path}.conditions[{i}]") for i, child in enumerate(conditions)]
    if operator == "OR":
        return disjoin(clauses)
    joined = conjoin(*clauses)
    return negate(joined) if operator == "NOT" else joined


def _key(field: Any, path: str) -> str:
    """The metadata key a Haystack field names (``meta.k``, or a bare ``k`` that is not a Document field)."""
    if not isinstance(field, str) or not field:
        raise HaystackFilterError(f"{path}: 'field' must be a non-empty str, got {field!r}")
    if field.startswith("meta."):
        key = field[len("meta.") :]
        if "." in key:
            raise UnsupportedHaystackFilter(
                f"{path}: nested field {field!r}: nested meta values are stored as JSON and cannot be filtered; "
                "store the value you filter on as a top-level meta key"
            )
    elif field in _DOCUMENT_FIELDS or "." in field:
        raise UnsupportedHaystackFilter(
            f"{path}: filters on {field!r} are not supported (only meta.<key>, and a top-level "
            "'id' == / in lookup); put what you filter on into meta"
        )
    else:
        key = field  # legacy filters omit the "meta." prefix; Haystack reads them from meta
    if key.startswith(RESERVED_PREFIX):
        raise HaystackFilterError(f"{path}: {field!r} uses the prefix {RESERVED_PREFIX!r} reserved by the integration")
    return key


def _comparison(node: Mapping[str, Any], path: str) -> Clause:
    if "operator" not in node:
        raise HaystackFilterError(f"{path}: 'operator' key missing in {dict(node)!r}")
    if "value" not in node:
        raise HaystackFilterError(f"{path}: 'value' key missing in {dict(node)!r}")
    operator, value = node["operator"], node["value"]
    if operator not in _COMPARISONS:
        raise HaystackFilterError(
            f"{path}: unknown comparison operator {operator!r}; valid operators are {sorted(_COMPARISONS)}"
        )
    key = _key(node["field"], path)
    where = f"{path} ({node['field']} {operator})"
    if operator in ("==", "!="):
        if value is None:
            return {key: {"$exists": operator == "!="}}
        _scalar(value, where)
        return {key: {"$eq" if operator == "==" else "$ne": value}}
    if operator in _RANGES:
        return _range(key, _RANGES[operator], value, where)
    if type(value) is not list:
        raise HaystackFilterError(f"{where}: expected a list, got {type(value).__name__}")
    return _membership(key, operator == "in", value, where)


def _scalar(value: Any, where: str) -> None:
    if isinstance(value, (list, tuple, dict)):
        raise HaystackFilterError(
            f"{where}: a {type(value).__name__} is not a comparable value here (use 'in' for several values; "
            "nested values are stored as JSON and cannot be filtered)"
        )


def _range(key: str, op: str, value: Any, where: str) -> Clause:
    if value is None:
        return False  # Haystack: an ordering comparison with None is false for every document
    if isinstance(value, str):
        instant = iso_datetime(value)
        if instant is None:
            raise HaystackFilterError(f"{where}: {value!r} is neither a number nor an ISO-8601 date")
        return {datetime_key(key): {op: instant}}
    if type(value) not in (int, float):
        raise HaystackFilterError(f"{where}: expected a number, got {type(value).__name__}")
    return {key: {op: value}}


def _membership(key: str, inside: bool, values: list[Any], where: str) -> Clause:
    groups: dict[str, list[Any]] = {}
    for value in values:
        if value is not None:
            _scalar(value, where)
            groups.setdefault(kind(value), []).append(value)
    if inside:
        clauses: list[Clause] = [{key: {"$in": group}} for group in groups.values()]
        if None in values:
            clauses.append({key: {"$exists": False}})
        return disjoin(clauses)
    parts: list[Clause] = [{key: {"$nin": group}} for group in groups.values()]
    if None in values:
        parts.append({key: {"$exists": True}})
    return conjoin(*parts)

