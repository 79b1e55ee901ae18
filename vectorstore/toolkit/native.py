"""Translate a backend's native exceptions into :mod:`vectorstore.errors` at the adapter boundary.

Every adapter wraps its native calls the same way: a :class:`VectorStoreError` raised inside passes unchanged, any
other exception goes through the adapter's ``classify`` function, and the error that comes out keeps the native
one as ``__cause__`` (``raise ... from exc``), so nothing is lost for debugging. Only the classification rules
differ per backend, and they stay in the adapter's package.

Two forms of the one mechanism::

    with native_errors(classify, "upsert", name):    # a block
        collection.upsert(...)

    class Engine:
        @translated("upsert")                         # a method of an object with a classify method; the
        def upsert(self, name, ...): ...              # first str argument is the collection
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ContextDecorator
from types import TracebackType
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from ..errors import VectorStoreError

P = ParamSpec("P")
T = TypeVar("T")


class Classify(Protocol):
    """The adapter's rules: our error for a native exception raised by ``operation`` on ``collection``."""

    def __call__(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError: ...


class Classifying(Protocol):
    """An object whose ``classify`` method holds its backend's rules (it may consult the object's state)."""

    def classify(self, exc: Exception, operation: str, collection: str | None) -> VectorStoreError: ...


S = TypeVar("S", bound=Classifying)


class native_errors(ContextDecorator):
    """Context manager (and decorator) that re-raises native exceptions as ``classify``'s :class:`VectorStoreError`.

    ``BaseException``\\ s that are not ``Exception`` (``KeyboardInterrupt``, ``SystemExit``) pass untouched.
    """

    def __init__(self, classify: Classify, operation: str, collection: str | None = None) -> None:
        self.classify = classify
        self.operation = operation
        self.collection = collection

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc is not None:
            _reraise(exc, self.classify, self.operation, self.collection)


def _reraise(exc: BaseException, classify: Classify, operation: str, collection: str | None) -> None:
    """Raise ``classify``'s error for a native exception; return for ours and for non-``Exception``\\ s."""
    if isinstance(exc, VectorStoreError) or not isinstance(exc, Exception):
        return
    raise classify(exc, operation, collection) from exc


def translated(operation: str) -> Callable[[Callable[Concatenate[S, P], T]], Callable[Concatenate[S, P], T]]:
    """Decorate a method so that :class:`native_errors` with ``self.classify`` surrounds every call.

    The collection named in errors is the method's first positional argument when it is a str (``name``).
    """

    def decorate(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
        @functools.wraps(method)
        def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
            try:  # what native_errors does, without a context manager per call (it wraps every query)
                return method(self, *args, **kwargs)
            except BaseException as exc:
                _reraise(exc, self.classify, operation, args[0] if args and isinstance(args[0], str) else None)
                raise

        return wrapper

    return decorate


__all__ = ["Classify", "Classifying", "native_errors", "translated"]
