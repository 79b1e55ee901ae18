"""The reference evaluator: the single definition of what a filter means (DESIGN 3.3).

Every adapter's native translation is tested against this function on a corpus of records and filters, so any
change here changes the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..toolkit.visiting import FilterVisitor
from .tree import And, Condition, DocumentContains, Node, Not, Or


def _kind(value: Any) -> str:
    kind = type(value)
    return "bool" if kind is bool else "str" if kind is str else "number" if kind in (int, float) else "other"


def _equal(stored: Any, operand: Any) -> bool:
    """Strictly typed equality: bool never equals a number, str never a number, 1 == 1.0."""
    return _kind(stored) == _kind(operand) and stored == operand


def _condition(node: Condition, metadata: Mapping[str, Any]) -> bool:
    op, key = node.op, node.key
    if op == "$exists":
        return (key in metadata) is node.value
    if op == "$ne":
        return not _condition(Condition(key, "$eq", node.value), metadata)
    if op == "$nin":
        return not _condition(Condition(key, "$in", node.value), metadata)
    if key not in metadata:
        return False
    stored = metadata[key]
    if isinstance(stored, list):  # lists answer $contains (and $exists/$ne/$nin above) only
        return op == "$contains" and any(_equal(element, node.value) for element in stored)
    if op == "$eq":
        return _equal(stored, node.value)
    if op == "$in":
        return any(_equal(stored, value) for value in node.value)  # type: ignore[union-attr]
    if op == "$contains" or _kind(stored) != "number":
        return False
    operand = node.value
    if op == "$gt":
        return bool(stored > operand)  # type: ignore[operator]
    if op == "$gte":
        return bool(stored >= operand)  # type: ignore[operator]
    if op == "$lt":
        return bool(stored < operand)  # type: ignore[operator]
    return bool(stored <= operand)  # type: ignore[operator]


class _Evaluator(FilterVisitor[bool]):
    """Whether one record satisfies a node."""

    label = "the reference evaluator"

    def __init__(self, metadata: Mapping[str, Any], document: str | None) -> None:
        self.metadata = metadata
        self.text = document

    def condition(self, node: Condition) -> bool:
        return _condition(node, self.metadata)

    def and_(self, node: And) -> bool:
        return all(self.visit(child) for child in node.children)

    def or_(self, node: Or) -> bool:
        return any(self.visit(child) for child in node.children)

    def not_(self, node: Not) -> bool:
        return not self.visit(node.child)

    def document(self, node: DocumentContains) -> bool:
        return self.text is not None and node.text in self.text


def matches(node: Node | None, metadata: Mapping[str, Any] | None, document: str | None = None) -> bool:
    """Whether a record with this metadata and document satisfies the filter (``None`` matches everything)."""
    if node is None:
        return True
    return _Evaluator(metadata or {}, document).visit(node)
