"""The public exception hierarchy.

Every error the library raises on purpose derives from :class:`VectorStoreError`, so an application can catch one
class. Errors that wrap a native backend exception keep it as ``__cause__`` (``raise BackendError(...) from exc``).

::

    VectorStoreError
     +-- CollectionNotFound
     +-- CollectionExists
     +-- InvalidInput
     |    +-- InvalidCollectionName
     |    +-- DimensionMismatch
     |    +-- InvalidRecord
     |    +-- DuplicateId
     +-- InvalidFilter
     +-- UnsupportedFeature
     |    +-- UnsupportedFilter
     +-- ConfigurationError
     |    +-- AdapterNotFound
     |         +-- PluginLoadError
     +-- BackendError
     +-- BackendUnavailable
          +-- WorkerCrashed
          +-- WorkerTimeout
          +-- CircuitOpen
          +-- StoreLocked
          +-- StoreClosed
          +-- CollectionDamaged
          +-- CollectionQuarantined

Exceptions cross process boundaries (the isolation worker pickles them), so each one stores its message as the only
positional argument and keeps extra context in keyword attributes restored by ``__reduce__``.
"""

from __future__ import annotations

from typing import Any


class VectorStoreError(Exception):
    """Root of every error raised by vectorstore."""

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for key, value in context.items():
            setattr(self, key, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.context, self.__dict__))

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[VectorStoreError], message: str, context: dict[str, Any], state: dict[str, Any]) -> VectorStoreError:
    error = cls.__new__(cls)
    VectorStoreError.__init__(error, message, **context)
    error.__dict__.update(state)
    return error


class CollectionNotFound(VectorStoreError):
    """Raised when an operation names a collection that does not exist."""


class CollectionExists(VectorStoreError):
    """Raised by ``create_collection`` when the name is taken and ``exist_ok`` is false or the shape differs."""


class InvalidInput(VectorStoreError):
    """Raised when arguments break the contract; nothing was written."""


class InvalidCollectionName(InvalidInput):
    """Raised for a collection name outside 3-63 characters of ``[a-zA-Z0-9._-]``."""


class DimensionMismatch(InvalidInput):
    """Raised when a vector's length differs from the collection's dimension."""


class InvalidRecord(InvalidInput):
    """Raised when an id, vector, document or metadata value breaks DESIGN 3.1."""


class DuplicateId(InvalidInput):
    """Raised when one call names the same id twice."""


class InvalidFilter(VectorStoreError):
    """Raised when a ``where`` or ``document`` filter is malformed; the message points at the bad node."""


class UnsupportedFeature(VectorStoreError):
    """Raised when the adapter cannot do what was asked (see its ``capabilities``)."""


class UnsupportedFilter(UnsupportedFeature):
    """Raised when a filter construct cannot be expressed exactly; filters are never dropped or approximated."""


class ConfigurationError(VectorStoreError):
    """Raised when a URL or configuration cannot be turned into a store."""


class AdapterNotFound(ConfigurationError):
    """Raised for an unknown URL scheme or an adapter whose package is not installed; says what to install."""


class PluginLoadError(AdapterNotFound):
    """Raised when the asked-for adapter's plugin failed to import or to declare itself; the failure is ``__cause__``.

    ``entry_point``, ``distribution`` and ``version`` name the plugin; every other adapter still opens.
    """


class BackendError(VectorStoreError):
    """Raised when the backend failed; the native exception is ``__cause__``."""


class BackendUnavailable(VectorStoreError):
    """Raised when the backend cannot be reached or its process is gone; retrying later may work."""


class WorkerCrashed(BackendUnavailable):
    """Raised when the isolation worker died during a call (signal or exit code named in the message)."""


class WorkerTimeout(BackendUnavailable):
    """Raised when a call outlived its timeout; the worker was killed and restarts on the next call."""


class CircuitOpen(BackendUnavailable):
    """Raised while repeated worker crashes keep the circuit open for a cool-down."""


class CollectionQuarantined(BackendUnavailable):
    """Raised at once for calls on a collection whose calls kept killing the isolation worker.

    ``collection``, ``crashes``, ``last`` and ``remaining_s`` are in ``context``; the message says what to do
    (repair it, or wait for the cool-down after which one call may try). The other collections are served as usual.
    """


class StoreLocked(BackendUnavailable):
    """Raised when another process already owns the persistent path."""


class StoreClosed(BackendUnavailable):
    """Raised when a store is used after ``close()``."""


class CollectionDamaged(BackendUnavailable):
    """Raised for calls on a collection that self-healing on open found damaged and could not repair.

    ``collection`` names it and ``verdict`` holds the doctor's failed checks; the message says to run
    ``vectorstore doctor --repair URL``. The other collections of the store are served as usual.
    """


__all__ = [
    "AdapterNotFound",
    "BackendError",
    "BackendUnavailable",
    "CircuitOpen",
    "CollectionDamaged",
    "CollectionExists",
    "CollectionNotFound",
    "CollectionQuarantined",
    "ConfigurationError",
    "DimensionMismatch",
    "DuplicateId",
    "InvalidCollectionName",
    "InvalidFilter",
    "InvalidInput",
    "InvalidRecord",
    "PluginLoadError",
    "StoreClosed",
    "StoreLocked",
    "UnsupportedFeature",
    "UnsupportedFilter",
    "VectorStoreError",
    "WorkerCrashed",
    "WorkerTimeout",
]
