"""``vectorstore.toolkit.FilterVisitor`` and ``native_errors``: refusals and translations every adapter relies on."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import pytest

from vectorstore.errors import BackendError, CollectionNotFound, UnsupportedFilter, VectorStoreError
from vectorstore.filters import And, Condition, DocumentContains, Node, Not, Or, matches, parse_filter
from vectorstore.toolkit import FilterVisitor, native_errors, translated


@dataclass(frozen=True)
class Near:
    """A node kind the tree does not define (as a future one would be to an adapter that has not learnt it)."""

    key: str


class Operators(FilterVisitor[str]):
    """Spells a tree back; implements everything but documents."""

    def condition(self, node: Condition) -> str:
        return f"{node.key}{node.op}{node.value!r}"

    def and_(self, node: And) -> str:
        return "(" + " & ".join(self.visit(child) for child in node.children) + ")"

    def or_(self, node: Or) -> str:
        return "(" + " | ".join(self.visit(child) for child in node.children) + ")"

    def not_(self, node: Not) -> str:
        return f"!{self.visit(node.child)}"


class NamedCondition(Condition):
    """A subclass of a tree class is that kind of node."""


def test_each_kind_goes_to_its_method() -> None:
    tree = parse_filter({"$or": [{"a": 1}, {"$not": {"b": {"$gt": 2}}}], "c": "x"})
    assert tree is not None
    assert Operators().visit(tree) == "((a$eq1 | !b$gt2) & c$eq'x')"
    assert Operators().visit(NamedCondition("k", "$eq", True)) == "k$eqTrue"


def test_a_missing_method_is_an_unsupported_filter_naming_the_visitor() -> None:
    with pytest.raises(UnsupportedFilter, match=r"^Operators cannot express document \$contains filters"):
        Operators().visit(And((Condition("a", "$eq", 1), DocumentContains("x"))))

    class Labelled(FilterVisitor[None]):
        label = "the test backend"

    with pytest.raises(UnsupportedFilter, match=r"^the test backend cannot express \$or filters"):
        Labelled().visit(Or((Condition("a", "$eq", 1), Condition("a", "$eq", 2))))


@pytest.mark.parametrize("tree", [Near("a"), And((Condition("a", "$eq", 1), Near("a"))), Not(Near("a"))])
def test_an_unknown_node_is_an_unsupported_filter_in_the_evaluator(tree: Node) -> None:
    with pytest.raises(UnsupportedFilter, match="is not a filter node"):
        matches(tree, {"a": 1})
    with pytest.raises(UnsupportedFilter, match="is not a filter node"):
        Operators().visit(tree)


def _classify(exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
    if isinstance(exc, KeyError):
        return CollectionNotFound(f"collection {collection!r} does not exist", collection=collection)
    return BackendError(f"{operation} failed on {collection}: {exc}", operation=operation, collection=collection)


def test_native_errors_translates_and_keeps_the_cause() -> None:
    native = OSError("disk on fire")
    with (
        pytest.raises(BackendError, match="^save failed on docs: disk on fire$") as raised,
        native_errors(_classify, "save", "docs"),
    ):
        raise native
    assert raised.value.__cause__ is native
    assert raised.value.operation == "save" and raised.value.collection == "docs"
    assert pickle.loads(pickle.dumps(raised.value)).collection == "docs"  # still crosses the worker boundary


def test_native_errors_lets_ours_and_interrupts_through() -> None:
    ours = CollectionNotFound("collection 'x' does not exist", collection="x")
    with pytest.raises(CollectionNotFound) as raised, native_errors(_classify, "get", "x"):
        raise ours
    assert raised.value is ours and ours.__cause__ is None
    with pytest.raises(KeyboardInterrupt), native_errors(_classify, "get"):
        raise KeyboardInterrupt
    with native_errors(_classify, "get"):
        pass  # nothing raised, nothing translated


class Engine:
    """A native-calling object whose rules depend on its state (as the Qdrant engines' do)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def classify(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
        self.seen.append((operation, collection))
        return _classify(exc, operation, collection)

    @translated("count")
    def count(self, name: str, where: object = None) -> int:
        return {"docs": 3}[name]

    @translated("connect")
    def connect(self) -> None:
        raise ConnectionError("refused")


def test_translated_methods_name_the_collection_from_the_first_str_argument() -> None:
    engine = Engine()
    assert engine.count("docs") == 3
    with pytest.raises(CollectionNotFound, match="'gone'") as raised:
        engine.count("gone")
    assert isinstance(raised.value.__cause__, KeyError)
    with pytest.raises(BackendError, match="^connect failed on None: refused$"):
        engine.connect()
    assert engine.seen == [("count", "gone"), ("connect", None)]
    assert Engine.count.__name__ == "count"  # functools.wraps keeps the method's identity
