"""The reference evaluator: the single definition of what a filter means (DESIGN 3.3).

Every adapter's native translation is tested against this function on a corpus of records and filters, so any
change here changes the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..toolkit.visiting import FilterVisitor
from ..validation import KINDS, ORDERED_KINDS
from .tree import And, Condition, DocumentContains, Node, Not, Or


def _kind(value: Any) -> str:
    return KINDS.get(type(value), "other")


def _equal(stored: Any, operand: Any) -> bool:
    """Strictly typed equality: bool never equals a number, str never a number, a date never a datetime, 1 == 1.0;
    datetimes are equal when they name the same instant, whatever their offsets."""
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
    if op == "$contains":
        return False
    stored_kind = _kind(stored)
    if stored_kind not in ORDERED_KINDS or stored_kind != _kind(node.value):  # a range orders one kind only
        return False
    operand = node.value
    if op == "$gt":
        return bool(stored > operand)  # type: ignore[operator]
    if op == "$gte":
        return bool(stored >= operand)  # type: ignore[operator]
    if op == "$lt":
        return bool(stored < operand)  # type: ignore[operator]
    return bool(stored <= operand)  # type: ignore[operator]


#: A compiled filter: whether a record with this metadata (``{}`` for none) and document matches.
Test = Callable[[Mapping[str, Any], "str | None"], bool]


class _Compiler(FilterVisitor[Test]):
    """Compiles a tree into nested closures once, so evaluating it per record costs no dispatch."""

    label = "the reference evaluator"

    def condition(self, node: Condition) -> Test:
        return lambda metadata, document: _condition(node, metadata)

    def and_(self, node: And) -> Test:
        tests = tuple(self.visit(child) for child in node.children)
        return lambda metadata, document: all(test(metadata, document) for test in tests)

    def or_(self, node: Or) -> Test:
        tests = tuple(self.visit(child) for child in node.children)
        return lambda metadata, document: any(test(metadata, document) for test in tests)

    def not_(self, node: Not) -> Test:
        test = self.visit(node.child)
        return lambda metadata, document: not test(metadata, document)

    def document(self, node: DocumentContains) -> Test:
        text = node.text
        return lambda metadata, document: document is not None and text in document


_COMPILER = _Compiler()
#: The last tree compiled and its test: callers evaluate one filter over many records, one call per record.
_last: tuple[Node | None, Test] = (None, lambda metadata, document: True)


def matches(node: Node | None, metadata: Mapping[str, Any] | None, document: str | None = None) -> bool:
    """Whether a record with this metadata and document satisfies the filter (``None`` matches everything)."""
    global _last
    if node is None:
        return True
    last, test = _last
    if last is not node:  # identity, not equality: cheap, and the reference held here keeps the id from reuse
        test = _COMPILER.visit(node)
        _last = (node, test)
    return test(metadata or {}, document)
