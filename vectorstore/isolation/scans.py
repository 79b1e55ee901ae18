"""Streamed operations across the process boundary: the worker holds each scan's iterator between batches.

A streaming operation (``scan``, see :data:`vectorstore.operations.OPERATIONS`) is opened by a request of its own
name, whose first argument is a scan id the host chose, and answered with the first batch; each :data:`SCAN_NEXT`
request returns the next batch, or None once it is exhausted.

Host side (:class:`HostScans`): a scan dropped before its end is remembered and the next request of any kind tells
the worker to close it (``Request.forget``), so no round trip is spent on it. A scan belongs to one worker: when the
worker is replaced (another call crashed or timed out) its iterator is gone, and continuing the scan raises
:class:`~vectorstore.errors.WorkerCrashed` instead of silently starting over.

Worker side (:class:`WorkerScans`): the open iterators by id, closed when dropped, failed or forgotten.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, Protocol

from ..batch import RecordBatch
from ..errors import WorkerCrashed
from ..operations import Op

#: Returns the next batch of an open scan; not retried after a crash (the worker that held the scan is gone).
SCAN_NEXT = "scan_next"
CONTINUATION = Op(idempotent=False, if_unsure="start the scan again")


class WorkerReplaced(Exception):
    """A call pinned to one worker generation found a newer worker (raised by the supervisor)."""


class Exchange(Protocol):
    """The supervisor's call: the result and the worker generation that produced it; ``pinned`` refuses another."""

    def __call__(
        self, request: str, op: Op, args: tuple[Any, ...], collection: str | None, pinned: int | None = None
    ) -> tuple[Any, int]: ...


class Submit(Protocol):
    """The supervisor's :meth:`~.supervisor.Supervisor.submit_exchange`: :class:`Exchange` returning a future."""

    def __call__(
        self, request: str, op: Op, args: tuple[Any, ...], collection: str | None, pinned: int | None = None
    ) -> Future[tuple[Any, int]]: ...


class HostScans:
    """Scan ids, and the scans the host abandoned that the worker has not been told about yet."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._abandoned: deque[int] = deque()

    def stream(
        self,
        exchange: Exchange,
        submit: Submit,
        live: Callable[[], int | None],
        request: str,
        op: Op,
        args: tuple[Any, ...],
        collection: str | None,
    ) -> Iterator[RecordBatch]:
        """Open the scan in the worker and yield its batches, one step ahead of the caller.

        The next batch is asked for before the current one is handed out, so the worker reads it while the caller
        works on this one: without the read-ahead the worker sat idle meanwhile, and a caller that waits outside the
        GIL for each batch (a write to a server) took the sum of both times, not the longer one. A batch that
        arrives after its worker died or was replaced is not handed out (``live`` gives the live worker's
        generation): a scan belongs to one worker, and continuing it after a replacement raises as before.
        """
        scan_id = next(self._ids)
        batch, generation = exchange(request, op, (scan_id, *args), collection)
        ahead: Future[tuple[Any, int]] | None = None
        try:
            while batch is not None:
                ahead = submit(SCAN_NEXT, CONTINUATION, (scan_id,), collection, pinned=generation)
                yield batch
                try:
                    batch, _ = ahead.result()
                except WorkerReplaced:
                    raise _interrupted(collection) from None
                ahead = None
                if batch is not None and live() != generation:
                    raise _interrupted(collection)
        finally:
            if ahead is not None:  # dropped early: forget the scan once the step asked for ahead has ended
                ahead.add_done_callback(lambda _: self._abandoned.append(scan_id))
            elif batch is not None:
                self._abandoned.append(scan_id)

    async def astream(
        self, submit: Submit, request: str, op: Op, args: tuple[Any, ...], collection: str | None
    ) -> AsyncIterator[RecordBatch]:
        """:meth:`stream` for asyncio: each step awaited without a thread (``submit`` returns a future)."""
        scan_id = next(self._ids)
        opening = submit(request, op, (scan_id, *args), collection)
        try:
            batch, generation = await asyncio.wrap_future(opening)
        except asyncio.CancelledError:  # the scan may still open in the worker: forget it once it has
            opening.add_done_callback(lambda done: done.exception() or self._abandoned.append(scan_id))
            raise
        finished = False
        try:
            while batch is not None:
                yield batch
                step = submit(SCAN_NEXT, CONTINUATION, (scan_id,), collection, pinned=generation)
                try:
                    batch, _ = await asyncio.wrap_future(step)
                except WorkerReplaced:
                    raise _interrupted(collection) from None
            finished = True
        finally:
            if not finished:
                self._abandoned.append(scan_id)

    def take_abandoned(self) -> tuple[int, ...]:
        """The scans to forget, each handed out once (called by the supervisor for every request it sends)."""
        if not self._abandoned:
            return ()
        taken: list[int] = []
        while self._abandoned:
            taken.append(self._abandoned.popleft())
        return tuple(taken)


def _interrupted(collection: str | None) -> WorkerCrashed:
    return WorkerCrashed(
        f"the scan of collection {collection!r} was interrupted: its worker was replaced after another call's "
        "crash or timeout; start the scan again",
        op=SCAN_NEXT,
        collection=collection,
    )


class WorkerScans:
    """The iterators of the scans a worker holds open."""

    def __init__(self) -> None:
        self._open: dict[int, Iterator[Any]] = {}

    def open(self, scan_id: int, batches: Iterable[Any]) -> Any:
        """Hold ``batches`` under ``scan_id`` and return its first batch (None if there is none)."""
        self._open[scan_id] = iter(batches)
        return self.next(scan_id)

    def next(self, scan_id: int) -> Any:
        """The next batch, or None once the scan is exhausted (the iterator is then dropped)."""
        try:
            return next(self._open[scan_id])
        except StopIteration:
            del self._open[scan_id]
            return None
        except BaseException:
            self.forget(scan_id)
            raise

    def forget(self, scan_id: int) -> None:
        iterator = self._open.pop(scan_id, None)
        close = getattr(iterator, "close", None)
        if close is not None:
            close()

    def close_all(self) -> None:
        for scan_id in list(self._open):
            self.forget(scan_id)
