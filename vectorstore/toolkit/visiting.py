"""A visitor over the filter tree (:mod:`vectorstore.filters.tree`), the one way to walk it node by node.

The reference evaluator and every adapter's translator subclass :class:`FilterVisitor` and implement a method per
node kind. What a subclass does not implement, and any object that is not a filter node, raises
:class:`~vectorstore.errors.UnsupportedFilter`: a filter is never dropped, approximated, or turned into a
``TypeError`` deep inside a backend call. Adding a node kind to the tree then fails loudly in every adapter that has
not learnt it, with a message naming the adapter's visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from ..errors import UnsupportedFilter
from ..filters.tree import And, Condition, DocumentContains, Node, Not, Or

T = TypeVar("T")

#: The method each node kind goes to, and how the kind reads in a refusal.
_METHODS: dict[type, tuple[str, str]] = {
    Condition: ("condition", "field conditions"),
    And: ("and_", "$and"),
    Or: ("or_", "$or"),
    Not: ("not_", "$not"),
    DocumentContains: ("document", "document $contains"),
}


class FilterVisitor(Generic[T]):
    """Maps each node of a filter tree to a ``T``: subclasses implement ``condition``, ``and_``, ``or_``, ``not_``
    and ``document``, and call :meth:`visit` on children.

    State a translation needs (a payload layout, whether the subtree is negated) lives on the visitor
    instance; make a new visitor for a new state rather than passing extra arguments.
    """

    #: How the visitor is named in :class:`UnsupportedFilter` messages; defaults to the class name.
    label: ClassVar[str] = ""
    #: Node class -> this class's method for it, built once per subclass: a dict lookup per node, no getattr.
    _dispatch: ClassVar[dict[type, Callable[[Any, Any], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._dispatch = _dispatch(cls)

    def visit(self, node: Node) -> T:
        """Dispatch ``node`` to the method for its kind; :class:`UnsupportedFilter` if it is not a filter node."""
        method = self._dispatch.get(type(node)) or self._dispatch[_kind(node)]
        return method(self, node)  # type: ignore[no-any-return]

    def condition(self, node: Condition) -> T:
        return self._unsupported(node)

    def and_(self, node: And) -> T:
        return self._unsupported(node)

    def or_(self, node: Or) -> T:
        return self._unsupported(node)

    def not_(self, node: Not) -> T:
        return self._unsupported(node)

    def document(self, node: DocumentContains) -> T:
        return self._unsupported(node)

    def _unsupported(self, node: Node) -> T:
        kind = _METHODS[_kind(node)][1]
        raise UnsupportedFilter(
            f"{self.label or type(self).__name__} cannot express {kind} filters (got {node!r}); "
            "remove that part of the filter, or use an adapter that supports it"
        )


def _dispatch(cls: type) -> dict[type, Callable[[Any, Any], Any]]:
    return {kind: getattr(cls, method) for kind, (method, _) in _METHODS.items()}


FilterVisitor._dispatch = _dispatch(FilterVisitor)


def _kind(node: object) -> type:
    """The tree class ``node`` is (or derives from); :class:`UnsupportedFilter` for anything else."""
    kind = type(node)
    if kind in _METHODS:
        return kind
    for base in kind.__mro__:
        if base in _METHODS:
            return base
    raise UnsupportedFilter(
        f"{node!r} is not a filter node (expected one of {', '.join(sorted(k.__name__ for k in _METHODS))}); "
        "build filters with vectorstore.filters.parse_filter"
    )
