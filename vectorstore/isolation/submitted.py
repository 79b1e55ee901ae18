"""A call submitted without a waiting thread: what :meth:`Supervisor.submit` returns a future for.

The async store (:mod:`vectorstore.aio`) has no thread to lend while a call is in flight, so the call is sent at
once from the caller's thread and its reply is handed to a callback by whichever thread reads the worker's pipe (a
waiting sync caller, or the worker's courier thread, :class:`~.process.WorkerProcess`). The future is resolved with
exactly what the sync call returns or raises, through the supervisor's own steps (:meth:`Supervisor.receive`,
:meth:`~Supervisor.after_death`, :meth:`~Supervisor.settle`), so stats, events, fault domains and the circuit are
the sync path's.

Only the common case runs without a thread: a live worker, a shared turn at once, no test fault that must run alone.
Otherwise (a retry is running alone, the worker is being replaced) the call runs the sync path on a thread of its
own, as it does after its worker died or its deadline passed: then a retry, a restart or a kill may block, which
must not happen on the caller's (the event loop's) thread. Those cases are rare and short-lived.

The future is marked running when it is made, so ``cancel()`` returns False: a request that left cannot be taken
back, its reply is read and dropped (the asyncio future wrapping it is cancelled on its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..operations import Op
from .policy import current_timeout
from .process import NotSent, Pending, WorkerDied, WorkerProcess
from .protocol import Reply

if TYPE_CHECKING:
    from .process import Death
    from .supervisor import Supervisor

#: The test fault of a call's first attempt is still to be taken (see :meth:`Supervisor._attempts`).
TAKE: Any = object()


class Submitted:
    """One submitted call, from :meth:`start` to its future's resolution."""

    def __init__(
        self,
        supervisor: Supervisor,
        request: str,
        op: Op,
        args: tuple[Any, ...],
        collection: str | None,
        pinned: int | None,
        *,
        generation: bool,
    ) -> None:
        self.supervisor = supervisor
        self.request, self.op, self.args, self.collection, self.pinned = request, op, args, collection, pinned
        #: Resolve with ``(result, worker generation)`` (a scan's steps) instead of the result alone.
        self.generation = generation
        self.timeout = current_timeout() or supervisor.timeout_s  # read in the caller's context (thread or task)
        self.started = time.perf_counter()
        self.future: Future[Any] = Future()
        self.future.set_running_or_notify_cancel()
        self.deaths: list[Death] = []
        self.fault: Any = TAKE
        self.worker: WorkerProcess | None = None
        self.pending: Pending | None = None

    def start(self) -> Future[Any]:
        try:
            self.supervisor.admit(self.request, self.collection)
            sent = self._send()
        except BaseException as exc:  # noqa: BLE001 - refused or unsendable: the sync call's error, for the future
            self._finish(_raising(exc))
            return self.future
        if not sent:
            self._on_thread(self._attempts)
        return self.future

    def _send(self) -> bool:
        """Send at once if nothing must block first; False if the call has to run on a thread."""
        supervisor = self.supervisor
        worker = supervisor._worker
        if worker is None or not worker.alive() or not supervisor._gate.enter(exclusive=False, timeout=0):
            return False
        try:
            self.fault = supervisor.take_fault(self.request, self.deaths)
            if supervisor.alone(self.fault, self.deaths):
                supervisor._gate.leave(exclusive=False)
                return False
            deadline = time.monotonic() + self.timeout
            self.worker = worker  # before sending: the reply may be read by another thread before send returns
            supervisor.send(
                self.request, self.args, self.collection, self.pinned, self.fault, worker, self._on_reply, deadline
            )
        except NotSent:  # the worker died just now: replacing it may block
            supervisor._gate.leave(exclusive=False)
            return False
        except BaseException:
            supervisor._gate.leave(exclusive=False)
            raise
        return True

    def _on_reply(self, pending: Pending) -> None:
        """Called by the thread that read the reply, noticed the death or passed the deadline."""
        self.pending = pending
        if isinstance(pending.reply, Reply):
            self._finish(self._answered)
        else:  # accounting for a death or killing a hung worker, and a retry, may block: not on the reader
            self._on_thread(self._recover)

    def _answered(self) -> tuple[Reply, bool, int]:
        try:
            return self._receive()
        finally:
            self.supervisor._gate.leave(exclusive=False)

    def _recover(self) -> tuple[Reply, bool, int]:
        """The sync path after the first attempt failed: account for it, then retry if the call is retried."""
        try:
            self._answered()  # raises WorkerDied (accounted) or the timeout's WorkerTimeout
        except WorkerDied:
            self.supervisor.after_death(self.request, self.op, self.collection, self.deaths)
        return self._attempts()

    def _receive(self) -> tuple[Reply, bool, int]:
        assert self.worker is not None and self.pending is not None
        return self.supervisor.receive(
            self.worker, self.pending.outcome, self.request, self.op, self.collection, self.timeout, self.deaths
        )

    def _attempts(self) -> tuple[Reply, bool, int]:
        fault, self.fault = self.fault, TAKE
        return self.supervisor._attempts(
            self.request, self.op, self.args, self.collection, self.timeout, self.pinned, self.deaths, fault
        )

    def _on_thread(self, run: Callable[[], tuple[Reply, bool, int]]) -> None:
        name = f"vectorstore-submitted {self.request}"
        threading.Thread(target=self._finish, args=(run,), name=name, daemon=True).start()

    def _finish(self, run: Callable[[], tuple[Reply, bool, int]]) -> None:
        supervisor = self.supervisor
        try:
            value, current = supervisor.settle(self.request, self.op, self.started, run)
        except BaseException as exc:  # noqa: BLE001 - whatever the sync call raises is the future's error
            self.future.set_exception(exc)
        else:
            self.future.set_result((value, current) if self.generation else value)
        finally:
            if supervisor.faults is not None:
                supervisor.faults.release(self.deaths)


def _raising(error: BaseException) -> Callable[[], tuple[Reply, bool, int]]:
    def run() -> tuple[Reply, bool, int]:
        raise error

    return run
