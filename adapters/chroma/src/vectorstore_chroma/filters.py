"""Translate a parsed filter tree into one exact Chroma ``where`` dict.

Chroma's own operators already agree with the reference meaning on missing fields, types (bool is never a number,
``1 == 1.0``) and lists versus scalars (backends.md 1). The remaining gaps are closed here, without approximation:

``$exists``
    Every user key has a reserved flag ``_vs_num_<key>`` (``True`` for a number, ``False`` for anything else; see
    :mod:`.records`), so ``$exists: true`` is ``flag $in [true, false]`` and ``$exists: false`` is
    ``flag $nin [true, false]`` (Chroma's ``$nin`` matches records without the field).
``$not``
    Pushed down to the leaves with De Morgan, negating each condition into its exact complement: ``$eq``/``$ne`` and
    ``$in``/``$nin`` swap (Chroma's ``$ne``/``$nin`` already match missing fields, other types and lists);
    ``$contains`` becomes ``$not_contains``; a range's complement is the opposite range *or* "not a number",
    which is ``flag $ne true``; a document ``$contains`` becomes ``#document $not_contains``.
numbers in lists
    Chroma keeps int and float lists apart (``[1.0] $contains 1`` is false), so a numeric ``$contains`` tests the
    int and the float form of an integral operand; ``$in``/``$nin`` lists of mixed ints and floats (an error in
    Chroma) are sent as floats, which still match ints.
fractional numbers against ints
    Chroma 1.5.9 truncates a fractional operand before comparing it with int values (chroma#7491: ``$eq 2.5``
    matches 2, ``$gte 2.5`` matches 2, ``$gt -2.5`` misses -2). :func:`_set` and :func:`_range`
    rewrite such conditions with integer operands so they are exact both with the bug and after its fix.
datetimes and dates
    Conditions on them are rewritten onto their integer companion keys first (:mod:`vectorstore.toolkit.times`).
shape
    Chroma wants one key per dict and at least two clauses per ``$and``/``$or``; documents are filtered inside
    ``where`` through the ``#document`` key, so metadata and document conditions can be mixed under ``$or``.
"""

from __future__ import annotations

import math
from typing import Any

from vectorstore.filters import And, Condition, DocumentContains, Node, Not, Or
from vectorstore.toolkit import FilterVisitor, times

from .records import number_flag

DOCUMENT_KEY = "#document"

#: Chroma's native ``where`` dict (what ``collection.get(where=...)`` takes), as opposed to the user's
#: :data:`vectorstore.Where`.
ChromaWhere = dict[str, Any]

_OPPOSITE = {"$eq": "$ne", "$ne": "$eq", "$in": "$nin", "$nin": "$in", "$gt": "$lte", "$lte": "$gt", "$lt": "$gte", "$gte": "$lt"}


def to_where(node: Node | None) -> ChromaWhere | None:
    """The Chroma ``where`` for a filter tree (``None`` for no filter, which Chroma spells as no argument)."""
    return None if node is None else _POSITIVE.visit(times.rewrite(node))  # type: ignore[arg-type]


def _join(op: str, clauses: list[ChromaWhere]) -> ChromaWhere:
    return clauses[0] if len(clauses) == 1 else {op: clauses}


class _Clauses(FilterVisitor[ChromaWhere]):
    """One node as a Chroma clause; ``negated``: of the node's complement (``$not`` pushed down with De Morgan)."""

    label = "the Chroma filter translation"

    def __init__(self, negated: bool) -> None:
        self.negated = negated

    def not_(self, node: Not) -> ChromaWhere:
        return (_POSITIVE if self.negated else _NEGATED).visit(node.child)

    def and_(self, node: And) -> ChromaWhere:
        return self._junction(node, conjunction=not self.negated)

    def or_(self, node: Or) -> ChromaWhere:
        return self._junction(node, conjunction=self.negated)

    def _junction(self, node: And | Or, conjunction: bool) -> ChromaWhere:
        return _join("$and" if conjunction else "$or", [self.visit(child) for child in node.children])

    def document(self, node: DocumentContains) -> ChromaWhere:
        return {DOCUMENT_KEY: {"$not_contains" if self.negated else "$contains": node.text}}

    def condition(self, node: Condition) -> ChromaWhere:
        return _condition(node, self.negated)


_POSITIVE = _Clauses(negated=False)
_NEGATED = _Clauses(negated=True)


def _condition(node: Condition, negated: bool) -> ChromaWhere:
    key, op, value = node.key, node.op, node.value
    if op == "$exists":
        present = value is not negated
        return {number_flag(key): {"$in" if present else "$nin": [True, False]}}
    if op == "$contains":
        forms = _numeric_forms(value)
        return _join(
            "$and" if negated else "$or",
            [{key: {"$not_contains" if negated else "$contains": form}} for form in forms],
        )
    if negated:
        op = _OPPOSITE[op]  # type: ignore[assignment]
    if op in ("$in", "$nin"):
        clause = _set(key, op, _same_type(value))  # type: ignore[arg-type]
    elif op in ("$eq", "$ne"):
        clause = _set(key, "$in" if op == "$eq" else "$nin", [value]) if _fractional(value) else {key: {op: value}}
    else:
        clause = _range(key, op, value)
    if negated and op in ("$gt", "$gte", "$lt", "$lte"):  # the complement of a range also holds every non-number
        return {"$or": [clause, {number_flag(key): {"$ne": True}}]}
    return clause


def _fractional(value: Any) -> bool:
    return type(value) is float and not value.is_integer()


def _set(key: str, op: str, values: list[Any]) -> ChromaWhere:
    """``$in``/``$nin`` (``$eq``/``$ne`` of a fractional number too), exact despite chroma#7491.

    Chroma 1.5.9 truncates a fractional operand before comparing it with *int* values, so ``$in [2.5]`` matches the
    int 2. The ints that truncation lets in are excluded explicitly (for ``$nin``: added back). The repair stays
    exact once Chroma compares correctly, since no int can equal a fractional number anyway.
    """
    spurious = sorted({math.trunc(v) for v in values if _fractional(v)} - {v for v in values if not _fractional(v)})
    native = {key: {op: values}}
    if not spurious:
        return native
    if op == "$in":
        return {"$and": [native, {key: {"$nin": spurious}}]}
    return {"$or": [native, {key: {"$in": spurious}}]}


def _range(key: str, op: str, value: Any) -> ChromaWhere:
    """A range, exact despite chroma#7491 (a fractional bound is truncated towards zero for int values).

    For a fractional bound no int equals it, so on ints ``>`` and ``>=`` select the same set, which is Chroma's
    ``> trunc`` when truncation rounded down (positive bounds) and ``>= trunc`` when it rounded up (negative ones);
    likewise for ``<``/``<=``. So use the native operator whose int side is right, and fix its float side, which
    differs from the wanted operator only at values equal to the bound.
    """
    if not _fractional(value):
        return {key: {op: value}}
    rounded_down = math.trunc(value) < value
    upper = op in ("$gt", "$gte")
    native = ("$gt" if rounded_down else "$gte") if upper else ("$lte" if rounded_down else "$lt")
    clause = {key: {native: value}}
    if native == op:
        return clause
    if op in ("$gte", "$lte"):  # native is strict: add the floats equal to the bound
        return {"$or": [clause, _set(key, "$in", [value])]}
    return {"$and": [clause, _set(key, "$nin", [value])]}  # native is inclusive: drop them


def _numeric_forms(value: Any) -> list[Any]:
    """The stored forms a list element equal to ``value`` can take: an integral number as int and as float."""
    if type(value) in (int, float) and float(value).is_integer():
        return [int(value), float(value)]
    return [value]


def _same_type(values: tuple[Any, ...]) -> list[Any]:
    """A Chroma-acceptable ``$in`` list: ints and floats together become floats (exact below 2**53)."""
    if {type(v) for v in values} == {int, float}:
        return [float(v) for v in values]
    return list(values)
