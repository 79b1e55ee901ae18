"""Concurrent queries of an async store merged into one adapter call (group commit for reads).

Sixty-four tasks each searching one vector pay sixty-four adapter calls through the sync store's threads: a
hand-off to a pool thread and back, or a request and a reply on an isolated worker's pipe, for a few hundred
microseconds of search each. An event loop sees them all at once, so it can do better: the queries of one collection
that agree on everything but the vectors (``k``, filter, fields) and arrive while earlier ones of the same kind are
running wait for a free *lane*, and then go together as the rows of one ``query`` call, each task getting its own
rows back. A lone query goes at once, alone.

What a task gets is what it would get alone: an adapter answers each query row on its own (the contract's
``query``), so the rows of a merged call are each task's rows; a failure of the merged call is each task's
failure, as it would have been for calls in flight together. A task cancelled while it waits leaves the batch
without its rows; cancelled once its batch runs, its rows are dropped. Filters are told apart by their ``repr``,
which keeps ``1``, ``1.0`` and ``True`` apart (they are equal, and hash alike, in Python).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

#: Makes one adapter call from ``(name, vectors, k, where, include)``, the arguments ``Adapter.query`` takes.
_Run = Callable[[tuple[Any, ...]], Awaitable[Any]]


class _Waiting:
    __slots__ = ("future", "vectors")

    def __init__(self, vectors: np.ndarray, future: asyncio.Future[Any]) -> None:
        self.vectors, self.future = vectors, future


class _Kind:
    """The queries of one collection with one ``k``, filter and set of fields: those waiting, and lanes in use."""

    __slots__ = ("args", "running", "waiting")

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.args = args
        self.running = 0
        self.waiting: list[_Waiting] = []


class QueryCoalescer:
    """Merges the ``query`` calls of concurrent tasks (see the module); ``run`` makes one adapter call.

    ``lanes`` calls of one kind run at once (what the engine runs in parallel: its pool threads, or the worker's);
    a merged call has at most ``max_rows`` rows.
    """

    def __init__(self, run: _Run, *, lanes: int, max_rows: int) -> None:
        self._run = run
        self._lanes = lanes
        self._max_rows = max_rows
        self._kinds: dict[tuple[Any, ...], _Kind] = {}
        self._calls: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def query(self, args: tuple[Any, ...]) -> list[Any]:
        """The rows ``Adapter.query(*args)`` returns, possibly from a call shared with other tasks."""
        name, vectors, k, where, include = args
        if len(vectors) >= self._max_rows:
            return list(await self._run(args))
        key = (name, k, repr(where), include)
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = _Kind((name, k, where, include))
        waiting = _Waiting(vectors, asyncio.get_running_loop().create_future())
        kind.waiting.append(waiting)
        if kind.running < self._lanes:
            self._launch(key, kind)
        return list(await waiting.future)

    def _launch(self, key: tuple[Any, ...], kind: _Kind) -> None:
        """Start one call with the waiting queries of ``kind`` that fit in it (the ones not cancelled)."""
        batch: list[_Waiting] = []
        rows = 0
        while kind.waiting and rows + len(kind.waiting[0].vectors) <= self._max_rows:
            waiting = kind.waiting.pop(0)
            if not waiting.future.done():
                batch.append(waiting)
                rows += len(waiting.vectors)
        if not batch:
            self._settle(key, kind)
            return
        kind.running += 1
        call = asyncio.ensure_future(self._call(key, kind, batch))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)

    async def _call(self, key: tuple[Any, ...], kind: _Kind, batch: list[_Waiting]) -> None:
        name, k, where, include = kind.args
        vectors = batch[0].vectors if len(batch) == 1 else np.concatenate([w.vectors for w in batch])
        try:
            result = await self._run((name, vectors, k, where, include))
        except asyncio.CancelledError:  # the loop is closing
            for waiting in batch:
                waiting.future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - each task's own error, as for calls in flight together
            for waiting in batch:
                if not waiting.future.done():
                    waiting.future.set_exception(exc)
        else:
            start = 0
            for waiting in batch:
                end = start + len(waiting.vectors)
                if not waiting.future.done():
                    waiting.future.set_result(result[start:end])
                start = end
        finally:
            kind.running -= 1
            if kind.waiting:
                self._launch(key, kind)
            else:
                self._settle(key, kind)

    def _settle(self, key: tuple[Any, ...], kind: _Kind) -> None:
        """Forget a kind with nothing waiting or running (keys hold filters: they must not pile up)."""
        if not kind.running and not kind.waiting and self._kinds.get(key) is kind:
            del self._kinds[key]
