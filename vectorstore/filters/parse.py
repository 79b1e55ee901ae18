"""Parse and validate ``where`` and ``document`` filters (DESIGN 3.3) into a :mod:`.tree`.

Errors point at the bad node with a path such as ``where.$and[1].year.$gt`` so that a user can find it in a large
filter. Anything we do not define raises :class:`UnsupportedFilter` instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InvalidFilter, InvalidRecord, UnsupportedFilter
from ..validation import describe, metadata_key, scalar_problem
from .tree import FIELD_OPS, RANGE_OPS, And, Condition, DocumentContains, Node, Not, Or, conjoin

_SUPPORTED = ", ".join(sorted(FIELD_OPS | {"$and", "$or", "$not"}))


def _kind(value: Any) -> str:
    return "bool" if type(value) is bool else "str" if type(value) is str else "number"


def _operand(path: str, op: str, value: Any) -> Any:
    if op in RANGE_OPS:
        if type(value) not in (int, float):
            raise InvalidFilter(f"{path}: expected a number, got {describe(value)}")
        problem = scalar_problem(value)
        if problem:
            raise InvalidFilter(f"{path}: {problem}")
        return value
    if op == "$exists":
        if type(value) is not bool:
            raise InvalidFilter(f"{path}: expected true or false, got {describe(value)}")
        return value
    if op in ("$in", "$nin"):
        if type(value) is not list or not value:
            raise InvalidFilter(f"{path}: expected a non-empty list of values, got {describe(value)}")
        for i, element in enumerate(value):
            problem = scalar_problem(element)
            if problem:
                raise InvalidFilter(f"{path}[{i}]: {problem}")
        kinds = {_kind(v) for v in value}
        if len(kinds) > 1:
            raise InvalidFilter(f"{path}: values must all be of one kind (str, number or bool), got {sorted(kinds)}")
        return tuple(value)
    problem = scalar_problem(value)  # $eq $ne $contains
    if problem:
        hint = " (use $in for a list of values)" if type(value) is list else ""
        raise InvalidFilter(f"{path}: {problem}{hint}")
    return value


def _field(path: str, key: str, spec: Any) -> Node:
    if not isinstance(spec, Mapping):
        if type(spec) is list:
            raise InvalidFilter(f"{path}: a list is not a value; use {{'$in': [...]}} or {{'$contains': value}}")
        return Condition(key, "$eq", _operand(path, "$eq", spec))
    if not spec:
        raise InvalidFilter(f"{path}: empty operator dict")
    nodes: list[Node] = []
    for op, value in spec.items():
        op_path = f"{path}.{op}"
        if not isinstance(op, str) or not op.startswith("$"):
            raise InvalidFilter(f"{op_path}: nested fields are not supported; expected an operator such as $eq")
        if op == "$not":
            if not isinstance(value, Mapping):
                raise InvalidFilter(f"{op_path}: expected an operator dict, got {describe(value)}")
            nodes.append(Not(_field(op_path, key, value)))
        elif op in FIELD_OPS:
            nodes.append(Condition(key, op, _operand(op_path, op, value)))  # type: ignore[arg-type]
        else:
            raise UnsupportedFilter(f"{op_path}: unsupported operator {op!r}; supported: {_SUPPORTED}")
    return conjoin(*nodes)  # type: ignore[return-value]


def _node(path: str, where: Any) -> Node:
    if not isinstance(where, Mapping):
        raise InvalidFilter(f"{path}: expected a dict, got {describe(where)}")
    if not where:
        raise InvalidFilter(f"{path}: empty filter")
    nodes: list[Node] = []
    for key, value in where.items():
        key_path = f"{path}.{key}"
        if isinstance(key, str) and key in ("$and", "$or"):
            if type(value) is not list or not value:
                raise InvalidFilter(f"{key_path}: expected a non-empty list of filters, got {describe(value)}")
            children = tuple(_node(f"{key_path}[{i}]", child) for i, child in enumerate(value))
            nodes.append(children[0] if len(children) == 1 else (And if key == "$and" else Or)(children))
        elif key == "$not":
            nodes.append(Not(_node(key_path, value)))
        elif isinstance(key, str) and key.startswith("$"):
            if key in FIELD_OPS:
                raise InvalidFilter(f"{key_path}: operator {key} needs a field, e.g. {{'year': {{'{key}': ...}}}}")
            raise UnsupportedFilter(f"{key_path}: unsupported operator {key!r}; supported: {_SUPPORTED}")
        else:
            try:
                metadata_key(key, key_path)
            except InvalidRecord as exc:
                raise InvalidFilter(str(exc)) from None
            nodes.append(_field(key_path, key, value))
    return conjoin(*nodes)  # type: ignore[return-value]


def parse_where(where: Mapping[str, Any] | None) -> Node | None:
    """Validate a metadata filter; ``None`` and ``{}`` mean no filter."""
    if where is None or (isinstance(where, Mapping) and not where):
        return None
    return _node("where", where)


def parse_document(document: Mapping[str, Any] | None) -> Node | None:
    """Validate a document filter: ``{"$contains": "text"}`` (case-sensitive substring)."""
    if document is None:
        return None
    if not isinstance(document, Mapping) or not document:
        raise InvalidFilter(f"document: expected {{'$contains': 'text'}}, got {describe(document)}")
    nodes: list[Node] = []
    for op, value in document.items():
        if op != "$contains":
            raise UnsupportedFilter(f"document.{op}: unsupported; only $contains is defined for documents")
        if type(value) is not str or not value:
            raise InvalidFilter(f"document.$contains: expected a non-empty str, got {describe(value)}")
        nodes.append(DocumentContains(value))
    return conjoin(*nodes)


def parse_filter(where: Mapping[str, Any] | None = None, document: Mapping[str, Any] | None = None) -> Node | None:
    """One tree for both filters (their AND); ``None`` when neither filters anything."""
    return conjoin(parse_where(where), parse_document(document))
