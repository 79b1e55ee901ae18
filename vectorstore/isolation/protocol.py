"""The messages host and worker exchange, and how an exception crosses the process boundary.

Several requests may be in flight at once, from many host threads: each travels as ``(request id, Request)`` and
its answer as ``(request id, Reply)``, in whatever order the worker finishes them. The requests a worker accepts
come from the operation table (:mod:`vectorstore.operations`) and its adapter's extensions; streamed operations
continue as :mod:`.scans` describes. The first message of a worker is unrequested: a :class:`Hello` when its
adapter is built, or a failed :class:`Reply` when building it raised (e.g. :class:`~vectorstore.errors.StoreLocked`).

Query matches cross as plain tuples (:func:`encode_result`, :func:`decode_result`): pickling ten pydantic models
costs about 0.1 ms, the tuples a few microseconds, and the host rebuilds the models without validating them again
(the worker's adapter built them).

Exceptions lose ``__cause__`` and ``__traceback__`` when pickled, so a :class:`Failure` carries the worker's
formatted traceback and, separately pickled, the native cause: the host restores the cause when it can import
its class and otherwise falls back to :class:`RemoteTraceback`, as ``concurrent.futures`` does.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Mapping
from itertools import starmap
from typing import Any, NamedTuple

from ..errors import BackendError
from ..models import Capabilities, Match
from ..operations import Op

#: Ends the worker: it closes its adapter and replies once the backend is closed.
STOP = "stop"


class Request(NamedTuple):
    #: An operation of :data:`~vectorstore.operations.OPERATIONS` or of the adapter's ``extensions``, a scan's
    #: continuation (:data:`.scans.SCAN_NEXT`), or :data:`STOP`.
    op: str
    args: tuple[Any, ...]
    #: Scans the host abandoned; the worker drops their iterators before running this request.
    forget: tuple[int, ...] = ()
    #: Test-only (:mod:`.faults`): a fault the worker arms in the thread that runs this request; None otherwise.
    fault: Any = None


class Hello(NamedTuple):
    pid: int
    capabilities: Capabilities
    #: The adapter's own operations (``Adapter.extensions``), which the host exposes as methods.
    extensions: Mapping[str, Op]


class RemoteTraceback(Exception):
    """The traceback of an exception raised in the worker, as text (attached as ``__cause__``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def _pickled(value: BaseException) -> bytes | None:
    """``value`` pickled, if it also unpickles here (a class with an unusual ``__init__`` often does not)."""
    try:
        blob = pickle.dumps(value, protocol=5)
        pickle.loads(blob)
    except Exception:
        return None
    return blob


class Failure(NamedTuple):
    """An exception raised in the worker, in a form that always unpickles in the host."""

    error: BaseException
    cause: bytes | None
    traceback: str

    @classmethod
    def capture(cls, exc: BaseException) -> Failure:
        error = exc if _pickled(exc) is not None else BackendError(f"{type(exc).__name__}: {exc}")
        cause = _pickled(exc.__cause__) if exc.__cause__ is not None else None
        return cls(error, cause, "".join(traceback.format_exception(exc)))

    def rebuild(self) -> BaseException:
        """The exception to raise in the host, chained to its native cause and the worker's traceback."""
        remote = RemoteTraceback(self.traceback)
        cause: BaseException | None = None
        if self.cause is not None:
            try:
                cause = pickle.loads(self.cause)
            except Exception:  # the backend's exception class is not importable in the host
                cause = None
        if cause is not None:
            cause.__cause__ = remote
            self.error.__cause__ = cause
        else:
            self.error.__cause__ = remote
        return self.error


class Reply(NamedTuple):
    ok: bool
    #: The result, or a :class:`Failure` when ``ok`` is false.
    value: Any


#: A message on the pipe after the greeting: the request id it belongs to, and the request or its reply.
Envelope = tuple[int, Any]

_Row = tuple[str, float, float, Any, Any, Any]


def _match_rows(result: list[list[Match]]) -> list[list[_Row]]:
    return [[(m.id, m.score, m.distance, m.vector, m.document, m.metadata) for m in row] for row in result]


def _matches(rows: list[list[_Row]]) -> list[list[Match]]:
    return [list(starmap(Match.trusted, row)) for row in rows]


def encode_result(op: str, result: Any) -> Any:
    """The worker's result of ``op`` in the form it crosses the pipe in."""
    return _match_rows(result) if op == "query" else result


def decode_result(op: str, value: Any) -> Any:
    """The host's side of :func:`encode_result`."""
    return _matches(value) if op == "query" else value
