"""Translate a :mod:`vectorstore.filters` tree into Qdrant's filter model, exactly (DESIGN 3.3).

The translation is engine-neutral: it builds the small structures below, and each engine turns them into its own
classes (qdrant-client models or qdrant-edge-py objects, which mirror each other) with a few lines. How each
operator gets the reference meaning of :func:`vectorstore.filters.matches`:

==============  ===================================================================================================
``$eq`` v       str: ``MatchValue``; number: ``Range(gte=v, lte=v)`` (so 1 == 1.0; Range never matches bools or
                strings); bool: ``MatchValue(bool)`` (``numpy.bool_`` on qdrant-edge-py, see :mod:`.edge`). Always
                with ``must_not _vs_lists == key``: a list field never equals a scalar.
``$ne`` v       ``must_not [$eq v]``: records without the field, with another type, or with a list match. Never
                ``MatchExcept``, which drops records lacking the field.
``$in``/``$nin``  like ``$eq``/``$ne`` over a ``should`` of values (``MatchAny`` for strings).
ranges          ``Range`` plus ``must_not _vs_lists == key``.
``$contains``   the ``$eq`` condition (Qdrant matches any list element) plus ``must _vs_lists == key``.
``$exists``     ``must_not IsEmpty(key)`` / ``IsEmpty(key)``; we never store null or ``[]``, so empty = missing.
``$and/$or``    ``must`` / ``should``; ``$not``: ``must_not``.
document        ``MatchSubstring`` on the document field: byte-wise, case-sensitive (``MatchText`` is tokenised).
datetime/date   first rewritten onto integer companion keys (:mod:`vectorstore.toolkit.times`), then as numbers.
==============  ===================================================================================================

Keys are JSON paths to Qdrant (``a.b`` means nested ``b``), so any key outside ``[A-Za-z0-9_-]`` is quoted; a key
with ``"`` or ``\\`` cannot be quoted and raises :class:`~vectorstore.errors.UnsupportedFilter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Union

from vectorstore.errors import UnsupportedFilter
from vectorstore.filters import And, Condition, DocumentContains, Node, Not, Or
from vectorstore.models import Scalar
from vectorstore.toolkit import FilterVisitor, times

from .payload import LISTS_FIELD

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Match:
    """Exact match of a str, int or bool (any element of a list field)."""

    path: str
    value: str | int | bool


@dataclass(frozen=True)
class MatchAny:
    path: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    path: str
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class IsEmpty:
    path: str


@dataclass(frozen=True)
class Substring:
    path: str
    text: str


@dataclass(frozen=True)
class Clause:
    """Qdrant's ``Filter``: all of ``must``, at least one of ``should`` (if any), none of ``must_not``."""

    must: tuple[Part, ...] = ()
    should: tuple[Part, ...] = ()
    must_not: tuple[Part, ...] = ()


Part = Union[Match, MatchAny, Range, IsEmpty, Substring, Clause]

_RANGES = {"$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}


def field_path(key: str) -> str:
    """The Qdrant JSON path that addresses top-level ``key`` literally."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    if '"' in key or "\\" in key:
        raise UnsupportedFilter(
            f"where.{key}: Qdrant filter paths cannot address a key containing a double quote or a backslash; "
            "rename the key to filter on it"
        )
    return f'"{key}"'


class Translator(FilterVisitor[Part]):
    """Turns filter trees into :class:`Clause` trees for one payload layout and engine."""

    label = "the Qdrant filter translation"

    def __init__(self, document_field: str) -> None:
        self.document_path = field_path(document_field)

    def translate(self, node: Node) -> Clause:
        part = self.visit(times.rewrite(node))  # type: ignore[arg-type]
        return part if isinstance(part, Clause) else Clause(must=(part,))

    def and_(self, node: And) -> Part:
        return _all(self.visit(child) for child in node.children)

    def or_(self, node: Or) -> Part:
        return _any(self.visit(child) for child in node.children)

    def not_(self, node: Not) -> Part:
        return Clause(must_not=(self.visit(node.child),))

    def document(self, node: DocumentContains) -> Part:
        return Substring(self.document_path, node.text)

    def condition(self, node: Condition) -> Part:
        key, op, value = node.key, node.op, node.value
        path = field_path(key)
        if op == "$exists":
            empty = IsEmpty(path)
            return Clause(must_not=(empty,)) if value else empty
        is_list = Match(LISTS_FIELD, key)
        if op == "$contains":
            return Clause(must=(self._equals(path, value), is_list))  # type: ignore[arg-type]
        if op in ("$eq", "$ne"):
            test = self._equals(path, value)  # type: ignore[arg-type]
        elif op in ("$in", "$nin"):
            test = self._one_of(path, value)  # type: ignore[arg-type]
        else:
            test = Range(path, **{_RANGES[op]: value})  # type: ignore[arg-type]
        scalar = Clause(must=(test,), must_not=(is_list,))
        return Clause(must_not=(scalar,)) if op in ("$ne", "$nin") else scalar

    def _equals(self, path: str, value: Scalar) -> Part:
        if type(value) is str or type(value) is bool:
            return Match(path, value)
        return Range(path, gte=value, lte=value)

    def _one_of(self, path: str, values: tuple[Scalar, ...]) -> Part:
        if type(values[0]) is str:
            return MatchAny(path, values)  # type: ignore[arg-type]
        return _any(self._equals(path, value) for value in values)


def _all(parts: Any) -> Part:
    """AND of parts, merging children that are plain must/must_not clauses."""
    must: list[Part] = []
    must_not: list[Part] = []
    for part in parts:
        if isinstance(part, Clause) and not part.should:
            must.extend(part.must)
            must_not.extend(part.must_not)
        else:
            must.append(part)
    return Clause(must=tuple(must), must_not=tuple(must_not))


def _any(parts: Any) -> Part:
    """OR of parts, merging children that are pure ``should`` clauses."""
    should: list[Part] = []
    for part in parts:
        if isinstance(part, Clause) and part.should and not part.must and not part.must_not:
            should.extend(part.should)
        else:
            should.append(part)
    return should[0] if len(should) == 1 else Clause(should=tuple(should))
