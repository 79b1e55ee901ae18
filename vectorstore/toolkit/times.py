"""Datetime and date metadata for backends without such a type: a number in a reserved companion key.

Chroma has no datetime type and Qdrant's would need a second filter vocabulary, so both adapters store a
``datetime`` or ``date`` value of key ``k`` only as an integer under a reserved key, and filter on that integer:

=====================  ===================================================  ==========================================
value of ``k``         stored as                                            a filter ``k op v`` becomes
=====================  ===================================================  ==========================================
``datetime`` (aware)   ``_vs_dt_k``: microseconds since 1970-01-01 UTC     ``_vs_dt_k op micros(v)`` (v a datetime)
``date``               ``_vs_date_k``: ``date.toordinal()``                 ``_vs_date_k op v.toordinal()`` (v a date)
=====================  ===================================================  ==========================================

Integers compare exactly on both backends (the core keeps datetimes within 2**53 microseconds of 1970), a datetime
condition never sees a number, string or date field (they are other keys), and the adapter's own handling of
missing fields and ``$not`` applies unchanged: ``$ne``/``$nin``/``$not`` of a datetime condition match records whose
``k`` is missing or of another kind, exactly as the reference evaluator says. Only ``$exists`` must look at all three
keys, and :func:`rewrite` does that. :func:`encode` runs before an adapter builds its native record, :func:`decode`
after it has read one, so datetimes come back as ``datetime`` in UTC and dates as ``date``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..filters.tree import And, Condition, DocumentContains, Node, Not, Or
from ..models import Metadata
from ..validation import epoch_microseconds, from_epoch_microseconds
from .visiting import FilterVisitor

DATETIME_PREFIX = "_vs_dt_"
DATE_PREFIX = "_vs_date_"
_PREFIXES = (DATETIME_PREFIX, DATE_PREFIX)
_TIME_TYPES = (dt.datetime, dt.date)


def _stored(value: Any) -> tuple[str, int] | None:
    """The companion prefix and integer of a datetime or date value; ``None`` for any other value."""
    kind = type(value)
    if kind is dt.datetime:
        return DATETIME_PREFIX, epoch_microseconds(value)
    if kind is dt.date:
        return DATE_PREFIX, value.toordinal()
    return None


def encode(metadata: Metadata) -> dict[str, Any]:
    """``metadata`` with each datetime or date value moved to its companion key as an integer.

    The same dict comes back when there is none (the common case costs one pass over the values).
    """
    if not any(type(value) in _TIME_TYPES for value in metadata.values()):
        return metadata
    encoded: dict[str, Any] = {}
    for key, value in metadata.items():
        stored = _stored(value)
        if stored is None:
            encoded[key] = value
        else:
            encoded[stored[0] + key] = stored[1]
    return encoded


def decode(stored: dict[str, Any]) -> dict[str, Any]:
    """``stored`` with each companion key replaced by the datetime or date it holds; ``stored`` itself if none."""
    companions = [key for key in stored if key.startswith(_PREFIXES)]
    if not companions:
        return stored
    decoded = {key: value for key, value in stored.items() if not key.startswith(_PREFIXES)}
    for key in companions:
        if key.startswith(DATETIME_PREFIX):
            decoded[key[len(DATETIME_PREFIX) :]] = from_epoch_microseconds(stored[key])
        else:
            decoded[key[len(DATE_PREFIX) :]] = dt.date.fromordinal(stored[key])
    return decoded


def rewrite(node: Node | None) -> Node | None:
    """The filter over the stored form: datetime/date conditions on their companion keys, ``$exists`` on all three."""
    return None if node is None else _REWRITE.visit(node)


class _Rewrite(FilterVisitor[Node]):
    label = "the datetime companion rewrite"

    def condition(self, node: Condition) -> Node:
        if node.op == "$exists":
            keys = (node.key, DATETIME_PREFIX + node.key, DATE_PREFIX + node.key)
            tests = tuple(Condition(key, "$exists", node.value) for key in keys)
            return Or(tests) if node.value else And(tests)
        values = node.value if isinstance(node.value, tuple) else (node.value,)
        stored = _stored(values[0])  # $in/$nin lists hold one kind
        if stored is None:
            return node
        prefix = stored[0]
        numbers = tuple(_stored(value)[1] for value in values)  # type: ignore[index]
        return Condition(prefix + node.key, node.op, numbers if isinstance(node.value, tuple) else numbers[0])

    def and_(self, node: And) -> Node:
        return And(tuple(self.visit(child) for child in node.children))

    def or_(self, node: Or) -> Node:
        return Or(tuple(self.visit(child) for child in node.children))

    def not_(self, node: Not) -> Node:
        return Not(self.visit(node.child))

    def document(self, node: DocumentContains) -> Node:
        return node


_REWRITE = _Rewrite()
