"""The typed filter tree that adapters translate.

The parser (:mod:`.parse`) turns a user's Mongo-style dict into these nodes after full validation, so an adapter
never inspects raw dicts and never sees an operand of the wrong type. The meaning of every node is defined once, in
:mod:`.evaluate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Union

from ..models import Scalar

FieldOp = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$contains"]
RANGE_OPS: frozenset[str] = frozenset({"$gt", "$gte", "$lt", "$lte"})
FIELD_OPS: frozenset[str] = frozenset({"$eq", "$ne", "$in", "$nin", "$exists", "$contains"} | RANGE_OPS)


@dataclass(frozen=True)
class Condition:
    """``key op value``. ``value`` is a scalar, a tuple of same-kind scalars (``$in``/``$nin``) or a bool (``$exists``)."""

    key: str
    op: FieldOp
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Negation of the whole child (so ``Not(And(a, b))`` is NAND)."""

    child: Node


@dataclass(frozen=True)
class DocumentContains:
    """Case-sensitive substring of the record's document; a record without a document never matches."""

    text: str


Node = Union[Condition, And, Or, Not, DocumentContains]


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, (And, Or)):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)


def operators(node: Node | None) -> set[str]:
    """The operators a tree uses (``$document`` for a document filter), to check against capabilities."""
    found: set[str] = set()
    for item in walk(node) if node is not None else ():
        if isinstance(item, Condition):
            found.add(item.op)
        elif isinstance(item, And):
            found.add("$and")
        elif isinstance(item, Or):
            found.add("$or")
        elif isinstance(item, Not):
            found.add("$not")
        else:
            found.add("$document")
    return found


def conjoin(*nodes: Node | None) -> Node | None:
    """AND of the given nodes, skipping ``None``; ``None`` when nothing is left."""
    present = tuple(n for n in nodes if n is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else And(present)
