"""The policy around one worker: run calls side by side, restart, retry, open the circuit, count, and report.

Calls from many host threads are in flight at once (each bounded by its own timeout); the worker serves reads
concurrently and changes in order per collection (:mod:`.worker`). A worker's death, or a call's timeout (which
kills the worker), fails every call in flight; whoever notices first accounts for it once
(:meth:`Supervisor._on_worker_death`), and the callers still waiting get a fresh worker.

After a death, the old process is reaped before a new one starts: one worker owns a persistent path at a time
(two Chroma processes on one path lose index entries). An idempotent call (per :mod:`vectorstore.operations`) is
retried once on the new worker, alone (:mod:`.gate`); if that worker dies too, the call is reported as a poison
request and not retried again. Scans are streamed by :mod:`.scans`; test-only faults are armed by :mod:`.faults`.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..config import Resolved
from ..errors import BackendUnavailable, StoreClosed, VectorStoreError, WorkerTimeout
from ..events import emit
from ..models import Capabilities
from ..operations import Op, collection_of
from ..sharing import local_path
from . import reports
from .arena import Arena
from .circuit import CircuitBreaker
from .domains import FaultDomains
from .gate import Gate
from .policy import IsolationPolicy, current_timeout
from .process import CallTimedOut, Death, NotSent, OnReply, Pending, WorkerDied, WorkerProcess
from .protocol import Failure, Hello, Reply, Request, decode_result
from .quarantine_record import Recorder
from .scans import HostScans, WorkerReplaced
from .stats import Stats
from .submitted import TAKE, Submitted

if TYPE_CHECKING:
    from .faults import Fault, FaultPlan

#: Test faults that hang rather than crash (as :data:`.faults.HANGS`; that module is imported only by tests).
HANGS = frozenset({"hang", "native_hang"})
#: How long ``stats()`` waits for the adapter's own figures: monitoring must not hang on a worker stuck in native
#: code (a worker running other calls answers at once: reads overlap there).
_STATS_TIMEOUT_S = 2.0


class Supervisor:
    """Owns the worker of one isolated store. Starts it at once, so opening a store fails early (StoreLocked)."""

    def __init__(self, resolved: Resolved, policy: IsolationPolicy) -> None:
        self.spec, self.config = resolved.spec, resolved.config
        self.label = resolved.url
        self.timeout_s = resolved.settings.timeout_s
        self.policy = policy
        self.stats = Stats(policy.latency_window)
        self.circuit = CircuitBreaker(policy.circuit_failures, policy.circuit_cooldown_s)
        directory = local_path(resolved)
        #: Other processes see this host's quarantines in a file beside the store's (:mod:`.quarantine_record`).
        self.record = None if directory is None else Recorder(directory, self.label, policy.circuit_cooldown_s)
        self.domains = FaultDomains(
            self.label, policy.circuit_failures, policy.circuit_cooldown_s, recorder=self.record
        )
        #: Guards the worker's life: starting one, accounting for a death, the circuit, closing.
        self._lock = threading.Lock()
        self._gate = Gate()
        self._arena = Arena(policy.shared_memory_limit)
        self._worker: WorkerProcess | None = None
        self._generation = 0
        self._last_death = ""
        self._owner_pid = os.getpid()
        self._closed = False
        self.scans = HostScans()
        #: Test-only: faults to arm in the worker before matching requests (see :mod:`.faults`); None in normal use.
        self.faults: FaultPlan | None = None
        with self._lock:
            hello = self._start()
        self.capabilities: Capabilities = hello.capabilities
        #: The worker adapter's own operations (checked in the worker: none redefines a base operation).
        self.extensions: dict[str, Op] = dict(hello.extensions)

    # -- calls ----------------------------------------------------------------------------------------------------

    def call(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        """Run operation ``name`` in the worker and return its result, or raise what the backend or the isolation
        raised."""
        return self.exchange(name, op, args, collection_of(op, args))[0]

    def stream(self, name: str, op: Op, args: tuple[Any, ...]) -> Iterator[Any]:
        """Run the streaming operation ``name`` batch by batch; the worker holds the iterator between batches."""
        return self.scans.stream(
            self.exchange, self.submit_exchange, self._live_generation, name, op, args, collection_of(op, args)
        )

    def _live_generation(self) -> int | None:
        """The generation of the worker serving calls now; None while none is alive (one died, none started)."""
        worker = self._worker
        return worker.generation if worker is not None and worker.alive() else None

    def submit(self, name: str, op: Op, args: tuple[Any, ...]) -> Future[Any]:
        """:meth:`call` without a waiting thread: sent at once, the future resolved with the result or exactly the
        error :meth:`call` raises, by whichever thread reads the worker's replies (:mod:`.submitted`). Cancelling
        the future does not cancel the request: its reply is read and dropped."""
        future: Future[Any] = Submitted(self, name, op, args, collection_of(op, args), None, generation=False).start()
        return future

    def submit_exchange(
        self, request: str, op: Op, args: tuple[Any, ...], collection: str | None, pinned: int | None = None
    ) -> Future[tuple[Any, int]]:
        """:meth:`exchange` as :meth:`submit` (for the async scans of :mod:`.scans`)."""
        future: Future[tuple[Any, int]] = Submitted(self, request, op, args, collection, pinned, generation=True).start()
        return future

    def exchange(
        self, request: str, op: Op, args: tuple[Any, ...], collection: str | None, pinned: int | None = None
    ) -> tuple[Any, int]:
        """The result of one request and the generation of the worker that answered it; with ``pinned``, raise
        :class:`~.scans.WorkerReplaced` instead of sending it to a worker of another generation."""
        timeout = current_timeout() or self.timeout_s
        started = time.perf_counter()
        return self.settle(request, op, started, lambda: self._exchange(request, op, args, collection, timeout, pinned))

    def settle(
        self, request: str, op: Op, started: float, run: Callable[[], tuple[Reply, bool, int]]
    ) -> tuple[Any, int]:
        """The result (and worker generation) of the call whose attempts ``run`` makes, or the error it raises;
        counted in the stats either way."""
        failure: Failure | None = None
        try:
            reply, retried, current = run()
            if not reply.ok:
                failure = reply.value
                raise failure.rebuild()
            if retried and op.count_unknown_after_retry:
                return None, current
            return decode_result(request, reply.value), current
        finally:
            error = type(failure.error).__name__ if failure is not None else None
            self.stats.call(request, time.perf_counter() - started, error)

    def _exchange(
        self, request: str, op: Op, args: tuple[Any, ...], collection: str | None, timeout: float, pinned: int | None
    ) -> tuple[Reply, bool, int]:
        """One call, retried alone after a crash when it is idempotent: returns the reply, whether it was retried,
        and the worker generation."""
        self.admit(request, collection)
        deaths: list[Death] = []
        try:
            return self._attempts(request, op, args, collection, timeout, pinned, deaths)
        finally:
            if self.faults is not None:
                self.faults.release(deaths)

    def admit(self, request: str, collection: str | None) -> None:
        """Raise if the call may not run now (closed or forked store, open circuit, quarantined collection)."""
        self._check_usable()
        self._check_circuit()
        self.domains.admit(request, collection)

    def _attempts(
        self,
        request: str,
        op: Op,
        args: tuple[Any, ...],
        collection: str | None,
        timeout: float,
        pinned: int | None,
        deaths: list[Death],
        fault: Any = TAKE,
    ) -> tuple[Reply, bool, int]:
        """The attempts of one call (``fault``: the test fault taken for its first, if that was done already)."""
        while True:
            if fault is TAKE:
                fault = self.take_fault(request, deaths)
            alone = self.alone(fault, deaths)
            self._gate.enter(exclusive=alone)
            try:
                worker, pending = self.send(request, args, collection, pinned, fault)
                deadline = time.monotonic() + timeout
                outcome = functools.partial(worker.result, pending, deadline)
                return self.receive(worker, outcome, request, op, collection, timeout, deaths)
            except WorkerDied:
                self.after_death(request, op, collection, deaths)
            finally:
                self._gate.leave(exclusive=alone)
            fault = TAKE

    def take_fault(self, request: str, deaths: list[Death]) -> Fault | None:
        return self.faults.take(request, deaths) if self.faults is not None else None

    @staticmethod
    def alone(fault: Fault | None, deaths: list[Death]) -> bool:
        """A retry runs alone: if it crashes again, it is the poison. So does a request carrying a test fault that
        crashes, so that the fault cannot be lost with another call's worker."""
        return bool(deaths) or (fault is not None and fault.kind not in HANGS)

    def after_death(self, request: str, op: Op, collection: str | None, deaths: list[Death]) -> None:
        """A call's worker died under it: return if the call is to be retried, else raise its WorkerCrashed."""
        retry = op.idempotent and len(deaths) == 1 and self.circuit.state == "closed"
        if retry and not self.domains.quarantined(collection):
            return
        if len(deaths) > 1:
            self.stats.failure("poison")
        raise reports.crashed(
            request, op, collection, deaths, retried=len(deaths) > 1, circuit_cooldown_s=self._opened_cooldown()
        ) from None

    def send(
        self,
        request: str,
        args: tuple[Any, ...],
        collection: str | None,
        pinned: int | None,
        fault: Fault | None,
        worker: WorkerProcess | None = None,
        callback: OnReply | None = None,
        deadline: float | None = None,
    ) -> tuple[WorkerProcess, Pending]:
        """Send the request to ``worker`` (by default the current one, started if need be); with ``callback``, as a
        submitted call (:meth:`WorkerProcess.submit`). NotSent only when ``worker`` was given."""
        current = self._ensure_worker() if worker is None else worker
        if pinned is not None and pinned != current.generation:
            raise WorkerReplaced(request)
        try:
            message = Request(request, args, self.scans.take_abandoned(), fault)
            return current, current.submit(message, collection, callback, deadline)
        except NotSent:  # the worker had died before the request left (idle, or under other calls): send it again
            if worker is not None:
                raise
            self._on_worker_death(current, None, None)
            self._check_circuit()
            return self.send(request, args, collection, pinned, fault)
        except Exception:  # a message that does not pickle fails before a byte is written: still in step
            raise
        except BaseException:  # e.g. KeyboardInterrupt: the pipe may hold half a message, so drop the worker
            self._discard(current, "interrupted")
            raise

    def receive(
        self,
        worker: WorkerProcess,
        outcome: Callable[[], Reply],
        request: str,
        op: Op,
        collection: str | None,
        timeout: float,
        deaths: list[Death],
    ) -> tuple[Reply, bool, int]:
        """The reply to a request sent to ``worker`` (``outcome`` returns it or raises how the call ended); a death
        is appended to ``deaths`` and re-raised."""
        try:
            reply = outcome()
        except WorkerDied:
            if self._closed:  # close() gave up waiting for this call and killed the worker
                self._finish_close(worker)
                raise StoreClosed(f"the store was closed while {reports.where(request, collection)} was running")
            deaths.append(self._on_worker_death(worker, request, collection))
            raise
        except CallTimedOut:
            death = self._kill(worker, "timeout", request, collection, timeout_s=timeout)
            raise reports.timed_out(
                request, op, collection, timeout, death, circuit_cooldown_s=self._opened_cooldown()
            ) from None
        except Exception:  # raised reading a whole message (e.g. it does not unpickle): still in step
            raise
        except BaseException:  # e.g. KeyboardInterrupt: the pipe may hold half a message, so drop the worker
            self._discard(worker, "interrupted")
            raise
        self.domains.returned(request, collection, reply.ok)
        if self._closed:  # close() gave up waiting, but the call finished: its result stands
            self._finish_close(worker)
        elif self.circuit.failures:  # zero failures: the circuit is closed and stays so (no lock needed)
            with self._lock:
                if self.circuit.record_success():
                    emit("circuit_close", self.label, pid=worker.pid)
        return reply, bool(deaths), worker.generation

    # -- worker lifecycle -----------------------------------------------------------------------------------------

    def _ensure_worker(self) -> WorkerProcess:
        worker = self._worker
        if worker is not None and worker.alive():
            return worker
        with self._lock:
            worker = self._worker
            if worker is not None and worker.alive():
                return worker
            if self._closed:
                raise StoreClosed(f"the isolated store {self.label} was closed")
            if worker is not None:  # it died (between calls, e.g. the OOM killer, or under calls not back yet)
                self._account(worker, None, None, kind="crash")
                self._check_circuit()
            self._start()
            assert self._worker is not None
            return self._worker

    def _start(self) -> Hello:
        """Start a worker (under ``_lock``) and make it the current one."""
        previous = self._last_death
        worker = WorkerProcess(
            self.spec,
            self.config,
            self._arena,
            label=self.label,
            orphan_grace_s=self.policy.orphan_grace_s,
            spin_budget_s=self.policy.reply_spin_ms / 1000,
            threads=self.policy.worker_threads,
        )
        started = time.monotonic()
        try:
            hello = worker.handshake(self.policy.start_timeout_s)
        except WorkerDied:
            death = worker.reap()
            self._note_death(death, "startup", "start", None, None)
            raise reports.failed_to_start(death) from None
        except CallTimedOut:
            death = worker.kill(self.policy.kill_grace_s)
            self._note_death(death, "startup", "start", None, None, timeout_s=self.policy.start_timeout_s)
            raise WorkerTimeout(
                f"the isolation worker of {self.label} did not start within {self.policy.start_timeout_s:g} s "
                f"(start_timeout_s); it was stopped ({death.exit})",
                op="start",
                pid=death.pid,
            ) from None
        except BaseException:
            worker.kill(self.policy.kill_grace_s)
            raise
        if isinstance(hello, Failure):  # building the adapter raised (StoreLocked, bad config): not a crash
            worker.reap()
            raise hello.rebuild()
        if self._closed:  # close() gave up waiting while this worker was starting
            worker.kill(self.policy.kill_grace_s)
            raise StoreClosed(f"the isolated store {self.label} was closed while its worker was starting")
        self._generation += 1
        worker.generation = self._generation
        self._worker = worker
        emit("worker_start", self.label, pid=worker.pid, startup_s=round(time.monotonic() - started, 3))
        if self._generation > 1:
            self.stats.restart()
            emit("worker_restart", self.label, pid=worker.pid, generation=self._generation, after=previous)
        return hello

    def _on_worker_death(self, worker: WorkerProcess, op: str | None, collection: str | None) -> Death:
        """The one place a worker's death is handled, whichever of its calls (or a later call) noticed it first:
        the process is reaped, the death counted once, its event emitted and the circuit fed. Every call that was
        in flight gets the same :class:`Death`."""
        with self._lock:
            return self._account(worker, op, collection, kind="crash")

    def _account(self, worker: WorkerProcess, op: str | None, collection: str | None, *, kind: str, **detail: Any) -> Death:
        """Under ``_lock``: end ``worker`` (reap it, or kill it for a timeout) unless that was done already, and
        account for it; returns its death."""
        if worker.death is not None:
            return worker.death
        in_flight = worker.in_flight()
        if op is None and in_flight:
            op, collection = in_flight[0]
        during = reports.where(op, collection) if op is not None else "idle"
        worker.death = death = worker.reap() if kind == "crash" else worker.kill(self.policy.kill_grace_s)
        if self._worker is worker:
            self._worker = None
        suspects = [where[1] for where in in_flight] or ([collection] if op is not None else [])
        self._note_death(
            death, kind, during, op, collection, suspects, in_flight=[reports.where(*where) for where in in_flight], **detail
        )
        return death

    def _kill(
        self, worker: WorkerProcess, kind: str, op: str | None, collection: str | None, *, timeout_s: float
    ) -> Death:
        """End a hung worker (its other calls in flight fail as after a crash)."""
        with self._lock:
            return self._account(worker, op, collection, kind=kind, timeout_s=timeout_s)

    def _discard(self, worker: WorkerProcess, reason: str) -> None:
        with self._lock:
            if worker.death is not None:
                return
            worker.death = death = worker.kill(self.policy.kill_grace_s)
            if self._worker is worker:
                self._worker = None
        self.stats.failure(reason)
        emit("worker_stop", self.label, pid=death.pid, reason=reason, exit=death.exit.name)

    def _note_death(
        self,
        death: Death,
        kind: str,
        during: str,
        op: str | None,
        collection: str | None,
        suspects: Sequence[str | None] = (),
        **detail: Any,
    ) -> None:
        """Count a death, emit its event, and charge it to the one collection in flight (``suspects``,
        :mod:`.domains`) or else feed the circuit breaker."""
        self.stats.failure(kind)
        self._last_death = f"{death.exit.name} during {during}" if during != "idle" else f"{death.exit.name} while idle"
        emit(
            "worker_timeout" if kind == "timeout" else "worker_crash",
            self.label,
            logging.WARNING,
            pid=death.pid,
            exitcode=death.exit.code,
            exit_name=death.exit.name,
            exit_kind=death.exit.kind,
            meaning=death.exit.meaning,
            op=op,
            collection=collection,
            during=during,
            uptime_s=round(death.uptime_s, 3),
            calls=death.calls,
            native_traceback=death.traceback,
            **detail,
        )
        counted = self.domains.died(suspects, self._last_death)
        if counted and self.circuit.record_death(counted):
            emit(
                "circuit_open",
                self.label,
                logging.WARNING,
                failures=self.circuit.failures,
                cooldown_s=self.circuit.cooldown_s,
                last=self._last_death,
            )

    def _opened_cooldown(self) -> float | None:
        """The cool-down, when the death just recorded left the circuit open (for the error message)."""
        return self.circuit.cooldown_s if self.circuit.state != "closed" else None

    def _check_circuit(self) -> None:
        if self.circuit.state == "open":
            self.stats.failure("circuit_open")
            raise reports.circuit_open(
                self.circuit.remaining_s(), self.circuit.cooldown_s, self.circuit.failures, self._last_death
            )

    def _check_usable(self) -> None:
        if os.getpid() != self._owner_pid:
            raise BackendUnavailable(
                f"this isolated store ({self.label}) was opened in process {self._owner_pid} and its worker belongs "
                "to that process; open the store again after fork"
            )
        if self._closed:
            raise StoreClosed(f"the isolated store {self.label} is closed; open a new one")

    def _finish_close(self, worker: WorkerProcess) -> None:
        """The part of close() that had to wait for the calls in flight: reap their worker, free the arena."""
        with self._lock:
            if worker.death is None:
                worker.death = death = worker.kill(self.policy.kill_grace_s)
                emit("worker_stop", self.label, pid=death.pid, reason="closed during a call", exit=death.exit.name)
            if self._worker is worker:
                self._worker = None
            self._arena.close()

    # -- reporting and shutdown -------------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Stats of the isolation, plus the adapter's own (asked of the worker beside the calls in flight)."""
        report = self.stats.snapshot()
        worker = self._worker
        report.update(
            isolation="process",
            store=self.label,
            timeout_s=self.timeout_s,
            worker=None
            if worker is None
            else {
                "pid": worker.pid,
                "uptime_s": round(time.monotonic() - worker.started, 3),
                "calls": worker.calls,
                "generation": self._generation,
            },
            circuit={
                "state": self.circuit.state,
                "consecutive_failures": self.circuit.failures,
                "times_opened": self.circuit.times_opened,
                "remaining_s": round(self.circuit.remaining_s(), 3),
            },
            quarantined=self.domains.snapshot(),
            adapter=self._adapter_stats(),
        )
        return report

    def _adapter_stats(self) -> dict[str, Any] | None:
        """The adapter's stats, or None when the worker cannot answer now: the store closed, the circuit open, no
        live worker, a retry or ``close()`` holding the exclusive turn, or no answer within the stats timeout."""
        worker = self._worker
        if self._closed or self.circuit.state != "closed" or worker is None or not worker.alive():
            return None
        if not self._gate.enter(exclusive=False, timeout=0):
            return None
        try:
            reply = worker.call(Request("stats", ()), min(self.timeout_s, _STATS_TIMEOUT_S))
        except (WorkerDied, CallTimedOut, VectorStoreError):
            return None  # the calls that follow account for the worker
        finally:
            self._gate.leave(exclusive=False)
        return reply.value if reply.ok else None

    def close(self, reason: str) -> None:
        """Stop the worker politely (its backend flushes and closes); idempotent; a forked child does nothing."""
        if os.getpid() != self._owner_pid:
            return
        if self.record is not None:
            self.record.close()  # the quarantines end with this store
        if not self._gate.enter(exclusive=True, timeout=self.policy.stop_timeout_s):
            self._closed = True  # calls have run too long: end their worker; they raise StoreClosed
            worker = self._worker
            if worker is not None:
                _signal(worker.pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            return
        failure: Failure | None = None
        try:
            with self._lock:
                if self._closed:
                    return
                self._closed = True
                worker, self._worker = self._worker, None
                if worker is not None and worker.death is None:
                    death, failure = worker.stop(self.policy.stop_timeout_s, self.policy.kill_grace_s)
                    worker.death = death
                    emit("worker_stop", self.label, pid=death.pid, reason=reason, exit=death.exit.name)
                self._arena.close()
        finally:
            self._gate.leave(exclusive=True)
        if failure is not None:
            raise failure.rebuild()


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except OSError:  # gone already: ProcessLookupError on POSIX, a plain OSError (WinError 87) on Windows
        pass
