"""The operation table: every adapter method a wrapper forwards, and how it behaves when a call is interrupted.

One entry per forwarded :class:`~vectorstore.adapter.Adapter` method. Everything that used to keep its own list of
method names is derived from it: the calls an isolation worker accepts, which calls the supervisor retries after a
crash, what an error message advises when a call may or may not have taken effect, and the forwarding methods of
wrappers (:class:`~vectorstore.isolation.IsolatedAdapter`, :class:`~vectorstore.healing.RefusingAdapter`, the
test-only fault injector) and which of them a store refusing damaged collections lets through. Adding an operation is
one method on :class:`~vectorstore.adapter.Adapter` plus one line here.

An adapter with operations of its own declares them the same way in ``extensions`` (Qdrant's ``optimize``); an
isolated store learns them from its worker and exposes them as methods.

How the forwarding methods are made: :func:`forwarding` is a class decorator that, after the class is built, adds
one method per operation the class does not define itself. Each is wrapped (``functools.wraps``) around the base
method of :class:`~vectorstore.adapter.Adapter`, so ``help()``, ``inspect.signature`` and readers see the real
signature and docstring, and type checkers see the inherited declaration (the decorator returns the class
unchanged in type). Keyword arguments are bound to positions with that signature, so the forwarded call is always
``(name, positional args)``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .adapter import Adapter
from .errors import ConfigurationError


@dataclass(frozen=True)
class Op:
    """How one operation behaves when the process running it dies mid-call."""

    #: Safe to run again after a crash: a read, or a write whose second run changes nothing more (a full-replace
    #: upsert, a delete). create/delete_collection are not: a retry could report CollectionExists or
    #: CollectionNotFound for the caller's own successful call.
    idempotent: bool
    #: The result counts what was done; after a retry the first attempt may have done part of it, so it is None.
    count_unknown_after_retry: bool = False
    #: The first argument is the collection's name (for messages, events and per-collection refusals).
    collection_arg: bool = True
    #: Returns an iterator that is consumed batch by batch (the worker holds it between batches).
    streaming: bool = False
    #: Changes stored records (a timed-out write "may or may not have been applied").
    writes: bool = False
    #: Meant for a damaged collection (drop, repair, compact, file checks): a store refusing damaged collections
    #: (:class:`~vectorstore.healing.RefusingAdapter`) still lets it through.
    maintenance: bool = False
    #: For a call that is not retried: what the caller should do when it may or may not have taken effect.
    if_unsure: str | None = None
    #: Changes the collection without changing its records (index creation): idempotent, yet not a read.
    changes_collection: bool = False

    @property
    def ordered(self) -> bool:
        """Runs in arrival order with the other changes of its collection (an isolation worker overlaps only the
        reads): anything that is not idempotent, writes records, or changes the collection."""
        return not self.idempotent or self.writes or self.changes_collection


OPERATIONS: dict[str, Op] = {
    "create_collection": Op(
        idempotent=False, if_unsure="check with get_collection, or call create_collection(..., exist_ok=True)"
    ),
    "get_collection": Op(idempotent=True),
    "list_collections": Op(idempotent=True, collection_arg=False),
    "delete_collection": Op(
        idempotent=False,
        maintenance=True,
        if_unsure="call delete_collection(name, missing_ok=True) to make sure it is gone",
    ),
    "upsert": Op(idempotent=True, writes=True),
    "get": Op(idempotent=True),
    "delete": Op(idempotent=True, count_unknown_after_retry=True, writes=True),
    "count": Op(idempotent=True),
    "query": Op(idempotent=True),
    "scan": Op(idempotent=True, streaming=True),
    "create_index": Op(idempotent=True, changes_collection=True),
    "list_indexes": Op(idempotent=True),
    "native_ids": Op(idempotent=False, collection_arg=False),
    "repair": Op(
        idempotent=False,
        maintenance=True,
        if_unsure="run it again (vectorstore doctor --repair): an interrupted repair resumes where it stopped",
    ),
    "compact": Op(
        idempotent=False, maintenance=True, if_unsure="run it again: entries it already removed stay removed"
    ),
    "check_files": Op(idempotent=True, maintenance=True),
    "stats": Op(idempotent=True, collection_arg=False),
}

_Wrapper = TypeVar("_Wrapper", bound=type)


def operations_of(adapter: Adapter) -> dict[str, Op]:
    """The table plus ``adapter``'s extensions, checked once (when a worker starts): each extension is a method of
    the adapter and does not redefine a base operation."""
    for name in adapter.extensions:
        if name in OPERATIONS:
            raise ConfigurationError(
                f"the {adapter.name} adapter lists the base operation {name!r} in its extensions; remove it from "
                "extensions (base operations are forwarded already)"
            )
        if not callable(getattr(adapter, name, None)):
            raise ConfigurationError(
                f"the {adapter.name} adapter lists {name!r} in its extensions but has no method of that name; "
                "add the method or remove the entry"
            )
    return {**OPERATIONS, **adapter.extensions}


def collection_of(op: Op, args: tuple[Any, ...]) -> str | None:
    """The collection a call is about, if its operation takes one."""
    return args[0] if op.collection_arg and args else None


def forwarding(cls: _Wrapper) -> _Wrapper:
    """Class decorator: every operation of :data:`OPERATIONS` that ``cls`` does not define itself becomes a method
    calling ``self._forward(name, op, args)``; ``cls`` defines ``_forward`` and the methods it treats specially."""
    for name, op in OPERATIONS.items():
        if name not in cls.__dict__:
            setattr(cls, name, _forwarder(name, op))
    return cls


def _forwarder(name: str, op: Op) -> Callable[..., Any]:
    declared = getattr(Adapter, name)
    signature = inspect.signature(declared)

    @functools.wraps(declared)
    def forward(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args = signature.bind(self, *args, **kwargs).args[1:]
        return self._forward(name, op, args)

    return forward


def extension(owner: Any, name: str, op: Op) -> Callable[..., Any]:
    """The bound method for an adapter's extension ``name`` on a wrapper (positional arguments only: the wrapper
    does not know the extension's signature)."""

    def forward(*args: Any) -> Any:
        return owner._forward(name, op, args)

    forward.__name__ = forward.__qualname__ = name
    return forward
