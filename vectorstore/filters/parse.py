"""Parse and validate ``where`` and ``document`` filters (DESIGN 3.3) into a :mod:`.tree`.

Errors point at the bad node with a path such as ``where.$and[1].year.$gt`` so that a user can find it in a large
filter. Anything we do not define raises :class:`UnsupportedFilter` instead of being dropped.

A filter is bounded (DESIGN 3.3, docs/contract.md "Limits") so that what one backend evaluates, every backend does,
and so that no input reaches Python's recursion limit or a backend's late failure. Depth is checked while descending,
size while counting, both before anything deeper or wider is read. The values come from the backends we run, measured
through this library (embedded Chroma 1.5.9, qdrant-edge-py, qdrant-client local mode) and from their sources:

- ``MAX_FILTER_DEPTH`` 32: Chroma refuses a ``where`` nested 63 levels deep ("Invalid where clause"), Qdrant's
  server refuses filters nested deeper than 50 (qdrant/qdrant#10267), qdrant-edge-py 0.9.0 kills the process
  (SIGSEGV) between 850 and 900 levels, and qdrant-client's local mode recurses in Python. An adapter adds up to
  about three native levels per condition (e.g. the complement of a range on Chroma), so 32 keeps a margin.
- ``MAX_FILTER_NODES`` 512: Chroma compiles an n-ary ``$and``/``$or`` into a chain that SQLite nests one level per
  operand, and SQLite refuses expressions deeper than 1,000 ("Expression tree is too large"): 990 operands fail.
- ``MAX_FILTER_VALUES`` 4,096 (all ``$in``/``$nin`` lists together): SQLite allows 32,766 variables per statement,
  Chroma binds two per number (int and float columns) and the exact repair of fractional operands up to two more.
- ``MAX_CONTAINS_LENGTH`` 10,000 characters of document text: Chroma matches it with a SQLite ``LIKE`` pattern,
  refused past 50,000 bytes, and one character takes up to 4 bytes in UTF-8.
"""

from __future__ import annotations

import datetime as dt
import reprlib
from collections.abc import Mapping
from typing import Any, TypeAlias

from ..errors import InvalidFilter, InvalidRecord, UnsupportedFilter
from ..validation import MAX_KEY_LENGTH, ORDERED_KINDS, describe, kind, metadata_key, scalar_problem
from .tree import FIELD_OPS, RANGE_OPS, And, Condition, DocumentContains, Node, Not, Or, conjoin

#: A user's ``where`` or ``document`` filter as the public API takes it: a Mongo-style dict, or ``None`` for none.
Where: TypeAlias = Mapping[str, Any] | None

_SUPPORTED = ", ".join(sorted(FIELD_OPS | {"$and", "$or", "$not"}))

#: Levels of logic in one filter: each ``$and``, ``$or`` and ``$not`` (a field's ``$not`` too) opens one, and so does a
#: dict with several keys (an implicit ``$and``).
MAX_FILTER_DEPTH = 32
#: Conditions (one per field operator) and logical operators (implicit ``$and`` included) in one filter.
MAX_FILTER_NODES = 512
#: Values in all the ``$in`` and ``$nin`` lists of one filter together.
MAX_FILTER_VALUES = 4096
#: Characters of the text of a document ``$contains``.
MAX_CONTAINS_LENGTH = 10_000


class _Budget:
    """What one filter may still hold; raises as soon as a node or a list would exceed it, before it is read."""

    def __init__(self) -> None:
        self.nodes = 0
        self.values = 0

    def node(self, path: str) -> None:
        self.nodes += 1
        if self.nodes > MAX_FILTER_NODES:
            raise InvalidFilter(
                f"{path}: the filter has more than {MAX_FILTER_NODES} conditions and logical operators (the limit); "
                "use $in for many values of one field, or split the request"
            )

    def list(self, path: str, length: int) -> None:
        self.values += length
        if self.values > MAX_FILTER_VALUES:
            raise InvalidFilter(
                f"{path}: the filter's $in/$nin lists hold more than {MAX_FILTER_VALUES} values together (the limit); "
                "split the request into several filters"
            )


def _deeper(path: str, depth: int) -> int:
    """The depth one level below ``depth``; refused past :data:`MAX_FILTER_DEPTH`, before that level is read."""
    if depth >= MAX_FILTER_DEPTH:
        raise InvalidFilter(
            f"{path}: the filter is nested more than {MAX_FILTER_DEPTH} levels deep (the limit; each $and, $or, $not "
            "and each dict of several keys is a level); flatten it, e.g. $and of $and is one $and"
        )
    return depth + 1


def _operand(path: str, op: str, value: Any, budget: _Budget) -> Any:
    if op in RANGE_OPS:
        if kind(value) not in ORDERED_KINDS:
            raise InvalidFilter(
                f"{path}: expected a number, got {describe(value)} (ranges take numbers, datetimes and dates)"
            )
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
        budget.list(path, len(value))
        for i, element in enumerate(value):
            problem = scalar_problem(element)
            if problem:
                raise InvalidFilter(f"{path}[{i}]: {problem}")
        kinds = {kind(v) for v in value}
        if len(kinds) > 1:
            raise InvalidFilter(
                f"{path}: values must all be of one kind (str, number, bool, datetime or date), got {sorted(kinds)}"
            )
        return tuple(value)
    problem = scalar_problem(value)  # $eq $ne $contains
    if problem:
        hint = (
            " (use $in for a list of values)"
            if type(value) is list
            else " (None is no value: use {'$exists': False})" if value is None else ""
        )
        raise InvalidFilter(f"{path}: {problem}{hint}")
    if op == "$contains" and type(value) in (dt.datetime, dt.date):
        raise InvalidFilter(
            f"{path}: lists of datetimes or dates are not stored, so $contains {describe(value)} cannot match; "
            "use $eq to compare a datetime or date field"
        )
    return value


def _field(path: str, key: str, spec: Any, depth: int, budget: _Budget) -> Node:
    if not isinstance(spec, Mapping):
        if type(spec) is list:
            raise InvalidFilter(f"{path}: a list is not a value; use {{'$in': [...]}} or {{'$contains': value}}")
        budget.node(path)
        return Condition(key, "$eq", _operand(path, "$eq", spec, budget))
    if not spec:
        raise InvalidFilter(f"{path}: empty operator dict")
    depth = _implicit_and(path, spec, depth, budget)
    nodes: list[Node] = []
    for op, value in spec.items():
        op_path = f"{path}.{_segment(op)}"
        if not isinstance(op, str) or not op.startswith("$"):
            raise InvalidFilter(f"{op_path}: nested fields are not supported; expected an operator such as $eq")
        if op == "$not":
            if not isinstance(value, Mapping):
                raise InvalidFilter(f"{op_path}: expected an operator dict, got {describe(value)}")
            budget.node(op_path)
            nodes.append(Not(_field(op_path, key, value, _deeper(op_path, depth), budget)))
        elif op in FIELD_OPS:
            budget.node(op_path)
            nodes.append(Condition(key, op, _operand(op_path, op, value, budget)))  # type: ignore[arg-type]
        else:
            raise UnsupportedFilter(f"{op_path}: unsupported operator {reprlib.repr(op)}; supported: {_SUPPORTED}")
    return conjoin(*nodes)  # type: ignore[return-value]


def _segment(key: Any) -> str:
    """``key`` as a path segment, shortened when it is too long (or too deep) to print whole."""
    if isinstance(key, str):
        return key if len(key) <= MAX_KEY_LENGTH else f"{key[:40]}..."
    return reprlib.repr(key)


def _implicit_and(path: str, spec: Mapping[Any, Any], depth: int, budget: _Budget) -> int:
    """The depth of the entries of ``spec``: one level deeper when several keys make an implicit ``$and``."""
    if len(spec) < 2:
        return depth
    budget.node(path)
    return _deeper(path, depth)


def _node(path: str, where: Any, depth: int, budget: _Budget) -> Node:
    if not isinstance(where, Mapping):
        raise InvalidFilter(f"{path}: expected a dict, got {describe(where)}")
    if not where:
        raise InvalidFilter(f"{path}: empty filter")
    depth = _implicit_and(path, where, depth, budget)
    nodes: list[Node] = []
    for key, value in where.items():
        key_path = f"{path}.{_segment(key)}"
        if isinstance(key, str) and key in ("$and", "$or"):
            if type(value) is not list or not value:
                raise InvalidFilter(f"{key_path}: expected a non-empty list of filters, got {describe(value)}")
            budget.node(key_path)
            below = _deeper(key_path, depth)
            children = tuple(_node(f"{key_path}[{i}]", child, below, budget) for i, child in enumerate(value))
            nodes.append(children[0] if len(children) == 1 else (And if key == "$and" else Or)(children))
        elif key == "$not":
            budget.node(key_path)
            nodes.append(Not(_node(key_path, value, _deeper(key_path, depth), budget)))
        elif isinstance(key, str) and key.startswith("$"):
            if key in FIELD_OPS:
                raise InvalidFilter(f"{key_path}: operator {key} needs a field, e.g. {{'year': {{'{key}': ...}}}}")
            raise UnsupportedFilter(f"{key_path}: unsupported operator {reprlib.repr(key)}; supported: {_SUPPORTED}")
        else:
            try:
                metadata_key(key, key_path)
            except InvalidRecord as exc:
                raise InvalidFilter(str(exc)) from None
            nodes.append(_field(key_path, key, value, depth, budget))
    return conjoin(*nodes)  # type: ignore[return-value]


def parse_where(where: Where) -> Node | None:
    """Validate a metadata filter; ``None`` and ``{}`` mean no filter."""
    if where is None or (isinstance(where, Mapping) and not where):
        return None
    return _node("where", where, 0, _Budget())


def parse_document(document: Where) -> Node | None:
    """Validate a document filter: ``{"$contains": "text"}`` (case-sensitive substring)."""
    if document is None:
        return None
    if not isinstance(document, Mapping) or not document:
        raise InvalidFilter(f"document: expected {{'$contains': 'text'}}, got {describe(document)}")
    nodes: list[Node] = []
    for op, value in document.items():
        if op != "$contains":
            raise UnsupportedFilter(f"document.{_segment(op)}: unsupported; only $contains is defined for documents")
        if type(value) is not str or not value:
            raise InvalidFilter(f"document.$contains: expected a non-empty str, got {describe(value)}")
        if len(value) > MAX_CONTAINS_LENGTH:
            raise InvalidFilter(
                f"document.$contains: the text has {len(value)} characters, at most {MAX_CONTAINS_LENGTH} are allowed "
                "(the limit); search for a shorter, distinctive part of it"
            )
        nodes.append(DocumentContains(value))
    return conjoin(*nodes)


def parse_filter(where: Where = None, document: Where = None) -> Node | None:
    """One tree for both filters (their AND); ``None`` when neither filters anything."""
    return conjoin(parse_where(where), parse_document(document))
