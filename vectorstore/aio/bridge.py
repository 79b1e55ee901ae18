"""Run the sync store's code on the event loop, awaiting only where it calls its adapter (greenlets).

This is SQLAlchemy's asyncio technique (``greenlet_spawn`` / ``await_only``). :func:`run_sync` starts a sync
function in a child greenlet of the task's greenlet; when that code reaches an adapter call, the adapter (an
:class:`~.engines.AwaitingAdapter`) calls :func:`await_` with a coroutine, which switches back to the task with
the coroutine; the task awaits it and switches back in with the result (or throws its exception in). So the
validation, filter parsing, chunking, ordering and short-answer completion of :class:`~vectorstore.VectorStore`
run unchanged on the loop thread (they are pure CPU work), and only the adapter's I/O is awaited.

Cancelling the task throws :class:`asyncio.CancelledError` into the sync code at the adapter call, where it unwinds
like any exception; what the awaited coroutine did about its request is the engine's business (see
:mod:`.engines`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from greenlet import getcurrent, greenlet

from ..errors import InvalidInput

_T = TypeVar("_T")


class _Bridged(greenlet):  # type: ignore[misc]  # greenlet's stubs leave the class untyped
    """The greenlet running one sync call; :func:`await_` works only inside one."""


async def run_sync(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``function(*args, **kwargs)`` run on this task, each :func:`await_` inside it awaited here."""
    child = _Bridged(function, getcurrent())
    child.gr_context = getcurrent().gr_context  # the task's context variables (e.g. an isolation timeout)
    waiting = child.switch(*args, **kwargs)
    while not child.dead:
        try:
            value = await waiting
        except BaseException as exc:  # CancelledError included: it unwinds the sync code at its adapter call
            waiting = child.throw(exc)
        else:
            waiting = child.switch(value)
    result: _T = waiting
    return result


def bridged() -> bool:
    """Whether this code runs inside :func:`run_sync` (so :func:`await_` can be used)."""
    return isinstance(getcurrent(), _Bridged)


def await_(awaitable: Awaitable[_T]) -> _T:
    """The result of ``awaitable``, awaited by the task that runs this sync code through :func:`run_sync`."""
    current = getcurrent()
    if not isinstance(current, _Bridged):
        if hasattr(awaitable, "close"):
            awaitable.close()  # never awaited: do not warn about it on top of this error
        raise InvalidInput(
            "an async store's adapter was called outside vectorstore.aio (no awaiting task); "
            "call the AsyncVectorStore's coroutines, or use the sync store from vectorstore.open"
        )
    result: _T = current.parent.switch(awaitable)
    return result
