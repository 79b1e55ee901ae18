"""One worker process: start it, exchange messages with it, and account for how it ended.

Death is detected by waiting on the pipe and the process sentinel together (``multiprocessing.connection.wait``),
so a crash is noticed the moment it happens, without polling. Each worker has its own pipe: killing it can only
fail the calls it was running. A worker is stopped politely (a ``stop`` request: the backend flushes and
closes) or, for a timeout, with SIGTERM and then SIGKILL: a thread stuck in native code never runs a Python
SIGTERM handler, and a library may ignore SIGTERM, so the grace before SIGKILL is short.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import shared_memory
from multiprocessing.connection import wait
from typing import Any

from pydantic import BaseModel

from ..registry import AdapterSpec
from . import worker
from .arena import Arena
from .exitcodes import ExitInfo, classify
from .protocol import STOP, Failure, Hello, Reply, Request
from .starting import Surroundings, context_for
from .transfer import Channel, Readiness

_TAIL_LINES = 40
_TAIL_LINE_CHARS = 240
#: Threads of the worker's own plumbing: the parent watch, serving threads waiting for a request, the main thread.
_IDLE_FRAME = re.compile(r'isolation[/\\]worker\.py", line \d+ in (watch|_follow|serve)$')
#: A serving thread running a request.
_BUSY_FRAME = re.compile(r'isolation[/\\]worker\.py", line \d+ in _run$')
_BOOTSTRAP_FRAME = re.compile(
    r'multiprocessing[/\\](process|spawn|forkserver|popen_fork)\.py", line \d+ in |File "<string>", line 1 in <module>'
)
#: How long faulthandler gets to write a hung worker's stacks after SIGUSR1 (it writes from the signal handler).
_DUMP_PAUSE_S = 0.1


_START_LOCK = threading.Lock()


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Keep a spawned worker from re-running the user's script.

    ``spawn`` re-imports the parent's ``__main__`` in the child. A script that opens a store at top level, without
    an ``if __name__ == "__main__"`` guard, would then open a store (and start a worker) inside the worker, and
    multiprocessing aborts the child. The worker needs nothing from ``__main__``, so it is shown an empty one while
    the start-up data is prepared (``Process.start`` captures it synchronously).
    """
    with _START_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


class WorkerDied(Exception):
    """The worker process ended before it answered."""


class NotSent(WorkerDied):
    """The worker had ended before the request left: the request was never in flight."""


class CallTimedOut(Exception):
    """The worker did not answer in time; it is still running."""


@dataclass(frozen=True)
class Death:
    """How a worker ended, for error messages, events and stats."""

    pid: int
    exit: ExitInfo
    #: The end of what faulthandler wrote (native crash or SIGUSR1 dump); empty when it wrote nothing (SIGKILL).
    traceback: str
    uptime_s: float
    calls: int
    #: For a worker the supervisor stopped: SIGTERM did not end it, so SIGKILL was needed.
    sigterm_ignored: bool = False


#: A pending call's reply slot when its worker died before answering.
_DIED: Any = object()
#: A submitted call's reply slot when its deadline passed first (its caller, not waiting, learns it from its callback).
_TIMED_OUT: Any = object()
#: How long the only waiting call polls for its reply before it sleeps when its operation's replies are not known to
#: come within the spin budget (see :class:`~.transfer.Readiness`).
_SPIN_S = 50e-6
#: A lone call polls for up to this multiple of its operation's typical reply time (within the spin budget).
_SPIN_MARGIN = 1.5
#: Weight of the latest reply time in an operation's typical one (an exponential moving average).
_TYPICAL_WEIGHT = 0.2
#: While submitted calls are in flight, the reader looks at their deadlines at least this often (a call submitted
#: later may have a shorter timeout than the one the reader is waiting for).
_RECHECK_S = 0.1

#: Called once with a submitted call's :class:`Pending` when its reply, its worker's death or its deadline arrives.
OnReply = Callable[["Pending"], None]


class Pending:
    """One request in flight: its reply once it arrives, and how its caller learns it. A waiting thread sleeps on
    ``signal`` (released once, when the reply or the worker's death arrives or when the thread is asked to read the
    pipe); a submitted call (``callback``, with its own ``deadline``) has no thread waiting and is called back."""

    __slots__ = ("callback", "deadline", "id", "reply", "segment", "sent", "sent_at", "signal", "where")

    def __init__(
        self,
        request_id: int,
        where: tuple[str, str | None],
        callback: OnReply | None = None,
        deadline: float | None = None,
    ) -> None:
        self.id = request_id
        #: The operation and its collection, for the supervisor's account of a death.
        self.where = where
        self.reply: Any = None
        self.segment: shared_memory.SharedMemory | None = None
        #: Written to the pipe. A death before that is its sender's to handle (NotSent: it never ran anywhere).
        self.sent = False
        self.sent_at = 0.0  # perf_counter
        self.signal: threading.Lock | threading.Semaphore = threading.Lock()
        self.signal.acquire()
        self.callback = callback
        self.deadline = deadline

    def wake(self) -> None:
        """Wake the waiting thread. Two events may race to wake it (asked to read the pipe, then the worker's
        death): one wake-up is enough, since the thread looks at the state again when it runs."""
        try:
            self.signal.release()
        except (RuntimeError, ValueError):  # already woken (a Lock raises RuntimeError, a BoundedSemaphore ValueError)
            pass

    def outcome(self) -> Any:
        """The reply; raises WorkerDied or CallTimedOut when that is how the call ended."""
        if self.reply is _DIED:
            raise WorkerDied
        if self.reply is _TIMED_OUT:
            raise CallTimedOut
        return self.reply


class WorkerProcess:
    """A worker process (forked by a forkserver or spawned, see :mod:`.starting`) that builds ``spec``'s adapter.

    Many threads may have calls in flight at once. Replies are read leader/follower: one waiting thread (the
    reader) reads the pipe and hands each reply to its caller; when its own reply arrives it passes the reading on
    to another waiting thread. A lone call thus reads its own reply with no hand-off between threads.

    A call may also be *submitted* with a callback instead of a waiting thread (the async store's calls). When no
    thread waits, this worker's one courier thread (started at the first submitted call) takes the reading, and it
    hands the reading back to a waiting thread when no submitted call is left. Whoever reads also expires submitted
    calls past their deadlines.
    """

    def __init__(
        self,
        spec: AdapterSpec,
        config: BaseModel,
        arena: Arena,
        *,
        label: str,
        orphan_grace_s: float,
        threads: int,
        spin_budget_s: float = 0.0,
    ) -> None:
        context = context_for(spec)
        conn, child_conn = context.Pipe(duplex=True)
        handle, self.log_path = tempfile.mkstemp(prefix="vectorstore-worker-", suffix=".log")
        os.close(handle)
        self.process = context.Process(
            target=worker.run,
            args=(child_conn, spec, config, self.log_path, orphan_grace_s, Surroundings(), threads),
            name=f"vectorstore-worker {label}",
            daemon=True,
        )
        with _main_module_hidden():
            self.process.start()
        child_conn.close()  # only the worker holds its end, so its death closes the pipe
        self.arena = arena
        self.channel = Channel(conn, arena)
        self.pid: int = self.process.pid  # type: ignore[assignment]
        self.readiness = Readiness(conn, self.process.sentinel)
        self.started = time.monotonic()
        self.calls = 0
        #: Set by the supervisor: which worker of the store this is (a scan stays with one generation).
        self.generation = 0
        #: Set by the supervisor once it has accounted for this worker's end (one account, whoever noticed).
        self.death: Death | None = None
        self._ids = itertools.count(1)
        #: A lone call whose operation typically replies within this time polls for its reply instead of sleeping.
        self._spin_budget_s = spin_budget_s
        #: Per operation, its typical reply time (seconds from written to read).
        self._typical: dict[str, float] = {}
        self._state = threading.Lock()
        self._pending: dict[int, Pending] = {}
        self._reader: Pending | None = None
        #: Submitted calls in flight, and the courier that reads for them when no thread waits (see the class).
        self._submitted = 0
        self._courier: Pending | None = None
        #: Set once the worker is known to have ended: no request is sent to it any more.
        self.dead = False
        self._lost: list[tuple[str, str | None]] = []

    def handshake(self, timeout: float) -> Hello | Failure:
        """The worker's greeting once its adapter is built, or why building it failed (the worker then exits)."""
        conn_ready, ended = self.readiness.wait(timeout)
        if not conn_ready:
            raise WorkerDied if ended else CallTimedOut
        try:
            message = self.channel.recv()
        except (EOFError, OSError):
            raise WorkerDied from None
        if isinstance(message, Reply):
            return message.value
        return message

    def alive(self) -> bool:
        if self.dead:
            return False
        try:
            return self.process.exitcode is None
        except ValueError:  # another thread reaped and closed it just now
            return False

    def in_flight(self) -> list[tuple[str, str | None]]:
        """(operation, collection) of each request sent and not answered yet; once the worker ended, of those that
        were in flight when it did."""
        with self._state:
            if self.dead:
                return list(self._lost)
            return [pending.where for pending in self._pending.values() if pending.sent]

    def call(self, request: Request, timeout: float, collection: str | None = None) -> Reply:
        return self.result(self.submit(request, collection), time.monotonic() + timeout)

    def submit(
        self,
        request: Request,
        collection: str | None = None,
        callback: OnReply | None = None,
        deadline: float | None = None,
    ) -> Pending:
        """Send ``request`` (about ``collection``); its reply is collected with :meth:`result`, or, with
        ``callback``, passed to it by whichever thread reads it (CallTimedOut at ``deadline``, monotonic)."""
        with self._state:
            if self.dead:
                raise NotSent
            pending = Pending(next(self._ids), (request.op, collection), callback, deadline)
            self._pending[pending.id] = pending
            self.calls += 1
            if callback is not None:
                self._submitted += 1
                courier = self._courier_for_submitted()
        try:
            segment = self.channel.send((pending.id, request))
        except OSError:  # the worker is gone and its end of the pipe with it
            self._forget(pending)
            raise NotSent from None
        except BaseException:  # did not pickle: nothing was written
            self._forget(pending)
            raise
        with self._state:
            pending.segment, pending.sent, pending.sent_at = segment, True, time.perf_counter()
            answered = pending.reply is not None  # read, or expired, by another thread before send returned
            lost = self.dead and not answered  # the worker died after the write: ended() left it to this thread
            if lost:
                pending.reply = _DIED
                self._lost.append(pending.where)
            summon = callback is not None and self._reader is None and not self.dead
            if summon:
                self._reader = courier
        if answered or lost:
            self._release_segment(pending)
        if lost and callback is not None:
            callback(pending)
        if summon:
            courier.signal.release()
        return pending

    def _courier_for_submitted(self) -> Pending:
        """Under ``_state``: the courier, started with the first submitted call."""
        if self._courier is None:
            self._courier = Pending(0, ("read", None))
            self._courier.signal = threading.Semaphore(0)  # woken whenever it is given the reading (or the end)
            threading.Thread(target=self._carry, name=f"vectorstore-reader-{self.pid}", daemon=True).start()
        return self._courier

    def _carry(self) -> None:
        """The courier thread: read for the submitted calls whenever it is given the reading; end with the worker."""
        courier = self._courier
        assert courier is not None
        while True:
            courier.signal.acquire()
            with self._state:
                if self.dead:
                    return
                if self._reader is not courier:  # a spare wake-up
                    continue
            try:
                self._read_until(courier, None)
            finally:
                self._pass_reading(courier)

    def result(self, pending: Pending, deadline: float) -> Reply:
        """The reply to ``pending``; raises WorkerDied, or CallTimedOut at ``deadline`` (monotonic)."""
        while True:
            with self._state:
                if pending.reply is None and self._reader is None:
                    self._reader = pending
                leading = self._reader is pending
            if pending.reply is not None:
                break
            if leading:
                try:
                    self._read_until(pending, deadline)
                finally:
                    self._pass_reading(pending)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not pending.signal.acquire(timeout=remaining):
                with self._state:
                    answered = pending.reply is not None
                if not answered:
                    self._forget(pending)
                    raise CallTimedOut
        reply: Reply = pending.outcome()
        return reply

    def _read_until(self, pending: Pending, deadline: float | None) -> None:
        """Read replies and hand them out until ``pending``'s arrives (for the courier: until no submitted call is
        left) or the worker dies; CallTimedOut at ``deadline``. Submitted calls past their deadlines are expired."""
        while pending.reply is None:
            with self._state:
                if self.dead or (pending is self._courier and not self._submitted):
                    return
                spin_s = self._spin_for(pending) if len(self._pending) == 1 else 0.0
                submitted = self._submitted
                if submitted:
                    earliest = min(p.deadline for p in self._pending.values() if p.deadline is not None)
                    until = earliest if deadline is None else min(deadline, earliest)
            if submitted:
                wait_s = min(max(0.0, until - time.monotonic()), _RECHECK_S)
            else:  # only waiting threads (the path of a plain sync call), and a waiting thread has a deadline
                assert deadline is not None
                wait_s = max(0.0, deadline - time.monotonic())
            try:
                conn_ready, ended = self.readiness.wait(wait_s, spin_s)
            except OSError:  # another thread closed the pipe of a worker it reaped or killed
                self.ended()
                return
            if conn_ready:  # read a reply even if the worker exited right after sending it
                try:
                    request_id, reply = self.channel.recv()
                except (EOFError, OSError):
                    self.ended()
                    return
                self._deliver(request_id, reply)
            elif ended:
                self.ended()
            else:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    self._forget(pending)
                    raise CallTimedOut
                if submitted:
                    self._expire(now)

    def _expire(self, now: float) -> None:
        """Submitted calls whose deadline has passed end with CallTimedOut (their callbacks say so)."""
        with self._state:
            expired = [p for p in self._pending.values() if p.deadline is not None and p.deadline <= now]
            for pending in expired:
                del self._pending[pending.id]
                pending.reply = _TIMED_OUT
            self._submitted -= len(expired)
        for pending in expired:
            self._release_segment(pending)
            assert pending.callback is not None
            pending.callback(pending)

    def _spin_for(self, pending: Pending) -> float:
        """Under ``_state``: how long the lone waiting call polls before it sleeps. Waking a sleeping thread took
        0.2-0.5 ms on a 2-core VM, a fifth of a query at 1k records: a call whose replies typically come within the
        spin budget polls for them (burning the caller's core, which would only sleep, and only while it is the one
        call in flight); a longer call, whose wake-up is a small part of it, sleeps at once."""
        typical = self._typical.get(pending.where[0])
        if typical is None or typical * _SPIN_MARGIN > self._spin_budget_s:
            return _SPIN_S
        return max(_SPIN_S, typical * _SPIN_MARGIN - (time.perf_counter() - pending.sent_at))

    def _deliver(self, request_id: int, reply: Reply) -> None:
        with self._state:
            pending = self._pending.pop(request_id, None)  # None: its caller gave up (timeout)
            if pending is None:
                return
            pending.reply = reply
            if pending.sent:
                took, op = time.perf_counter() - pending.sent_at, pending.where[0]
                typical = self._typical.get(op, took)
                self._typical[op] = typical + _TYPICAL_WEIGHT * (took - typical)
            if pending.callback is not None:
                self._submitted -= 1
        self._release_segment(pending)
        if pending.callback is not None:
            pending.callback(pending)
        elif pending is not self._reader:
            pending.wake()

    def _pass_reading(self, reader: Pending) -> None:
        """``reader`` stops reading the pipe: another waiting call takes over."""
        with self._state:
            if self._reader is not reader:
                return
            self._reader = successor = self._successor()
        if successor is not None:
            successor.wake()

    def _successor(self) -> Pending | None:
        """Under ``_state``: who reads next: a waiting thread, else the courier while submitted calls are in
        flight."""
        waiting = next((p for p in self._pending.values() if p.callback is None), None)
        if waiting is None and self._submitted and not self.dead:
            return self._courier
        return waiting

    def _forget(self, pending: Pending) -> None:
        with self._state:
            if self._pending.pop(pending.id, None) is not None and pending.callback is not None:
                self._submitted -= 1
        self._release_segment(pending)
        self._pass_reading(pending)

    def _release_segment(self, pending: Pending) -> None:
        segment, pending.segment = pending.segment, None
        if segment is not None:
            self.arena.release(segment)

    def ended(self) -> None:
        """The worker is gone (or is being killed): every call in flight fails with WorkerDied."""
        with self._state:
            failed = [pending for pending in self._pending.values() if pending.sent]  # the unsent: see submit()
            if not self.dead:
                self._lost = [pending.where for pending in failed]
            self.dead = True
            self._pending.clear()
            self._submitted = 0
            self._reader = None
            for pending in failed:
                pending.reply = _DIED
            courier = self._courier
        for pending in failed:
            self._release_segment(pending)
            if pending.callback is not None:
                pending.callback(pending)
            else:
                pending.wake()
        if courier is not None:
            courier.signal.release()  # it sees the end and its thread finishes

    def reap(self) -> Death:
        """Account for a worker that has ended (or is ending) on its own."""
        self.process.join()
        self.ended()
        return self._release(stopped_by_us=False)

    def kill(self, grace_s: float) -> Death:
        """Dump the stacks of a hung worker, then SIGTERM, then after ``grace_s`` SIGKILL."""
        if hasattr(signal, "SIGUSR1") and self.alive():
            try:
                os.kill(self.pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass
            wait([self.process.sentinel], _DUMP_PAUSE_S)
        self.process.terminate()
        sigterm_ignored = not wait([self.process.sentinel], grace_s)
        if sigterm_ignored:
            self.process.kill()
        self.process.join()
        self.ended()
        return self._release(stopped_by_us=True, sigterm_ignored=sigterm_ignored)

    def stop(self, timeout: float, grace_s: float) -> tuple[Death, Failure | None]:
        """Ask the worker to close its backend and exit; kill it if it does not within ``timeout``.

        Returns how it ended and, if closing the backend raised, that failure.
        """
        try:
            reply = self.call(Request(STOP, ()), timeout)
        except (WorkerDied, CallTimedOut):
            return self.kill(grace_s), None
        if not wait([self.process.sentinel], timeout):
            return self.kill(grace_s), None
        return self.reap(), (None if reply.ok else reply.value)

    def _release(self, *, stopped_by_us: bool, sigterm_ignored: bool = False) -> Death:
        code = self.process.exitcode
        assert code is not None, "released a worker that is still running"
        death = Death(
            pid=self.pid,
            exit=classify(code, stopped_by_us=stopped_by_us),
            traceback=self._read_log(),
            uptime_s=time.monotonic() - self.started,
            calls=self.calls,
            sigterm_ignored=sigterm_ignored,
        )
        self.channel.close()
        self.process.close()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass
        return death

    def _read_log(self) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return native_tail(log.read())
        except OSError:
            return ""


def native_tail(text: str) -> str:
    """The useful end of a faulthandler log: the stacks of the threads that matter (the ones running a call),
    without the worker's idle threads, multiprocessing's bootstrap frames and the list of extension modules."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if not line.strip() or line.startswith("Extension modules:"):
            continue
        if line.startswith(("Thread 0x", "Current thread 0x")):
            blocks.append([])
        blocks[-1].append(line[:_TAIL_LINE_CHARS])
    kept = [
        line
        for block in blocks
        if not _idle(block)
        for line in block
        if not _BOOTSTRAP_FRAME.search(line)
    ]
    return "\n".join(kept[-_TAIL_LINES:])


def _idle(block: list[str]) -> bool:
    return any(_IDLE_FRAME.search(frame) for frame in block) and not any(_BUSY_FRAME.search(f) for f in block)
