"""The policy around one worker: serialise calls, restart, retry, open the circuit, count, and report.

Calls from many host threads take turns on one lock: the worker runs one call at a time anyway (its backend may
not be thread-safe, which is often why it is isolated), and a crash then fails only the call that was running,
while the callers still waiting get a fresh worker. Every lock holder is bounded by its call's timeout, so
waiting for the lock cannot deadlock.

After a death, the old process is reaped before a new one starts: one worker owns a persistent path at a time
(two Chroma processes on one path lose index entries). An idempotent call is retried once on the new worker;
if that worker dies too, the call is reported as a poison request and not retried again.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..config import Resolved
from ..errors import BackendUnavailable, StoreClosed, VectorStoreError, WorkerCrashed, WorkerTimeout
from ..events import emit
from ..models import Capabilities, Record
from . import reports
from .arena import Arena
from .circuit import CircuitBreaker
from .policy import IsolationPolicy, current_timeout
from .process import CallTimedOut, Death, WorkerDied, WorkerProcess
from .protocol import SCAN, SCAN_NEXT, Failure, Hello, Reply, Request
from .stats import Stats

if TYPE_CHECKING:
    from .faults import Fault

#: Calls that are safe to run again after a crash: reads, and writes whose second run changes nothing more
#: (a full-replace upsert, a delete). create/delete_collection are not: a retry could report CollectionExists
#: or CollectionNotFound for the caller's own successful call.
RETRIED: frozenset[str] = frozenset(
    {"get_collection", "list_collections", "get", "count", "query", SCAN, "upsert", "delete", "stats", "check_files"}
)
#: Retried calls whose result counts what was done: after a retry the first attempt may have done part of it.
COUNT_UNKNOWN_AFTER_RETRY: frozenset[str] = frozenset({"delete"})


class Supervisor:
    """Owns the worker of one isolated store. Starts it at once, so opening a store fails early (StoreLocked)."""

    def __init__(self, resolved: Resolved, policy: IsolationPolicy) -> None:
        self.spec, self.config = resolved.spec, resolved.config
        self.label = resolved.url
        self.timeout_s = resolved.settings.timeout_s
        self.policy = policy
        self.stats = Stats(policy.latency_window)
        self.circuit = CircuitBreaker(policy.circuit_failures, policy.circuit_cooldown_s)
        self._lock = threading.Lock()
        self._arena = Arena(policy.shared_memory_limit)
        self._worker: WorkerProcess | None = None
        self._generation = 0
        self._last_death = ""
        self._owner_pid = os.getpid()
        self._closed = False
        self._scan_ids = itertools.count(1)
        self._abandoned_scans: deque[int] = deque()
        self._faults: list[tuple[Fault, list[int]]] = []
        with self._lock:
            self.capabilities: Capabilities = self._start().capabilities

    # -- calls ----------------------------------------------------------------------------------------------------

    def call(self, op: str, args: tuple[Any, ...], collection: str | None) -> Any:
        """Run ``op`` in the worker and return its result, or raise what the backend or the isolation raised."""
        return self._call(op, args, collection)[0]

    def scan(self, name: str, *args: Any) -> Iterator[list[Record]]:
        """Stream a scan batch by batch; the worker holds the iterator between batches."""
        scan_id = next(self._scan_ids)
        batch, generation = self._call(SCAN, (scan_id, name, *args), name)
        finished = False
        try:
            while batch is not None:
                yield batch
                batch, _ = self._call(SCAN_NEXT, (scan_id,), name, generation=generation)
            finished = True
        finally:
            if not finished:  # dropped early: the next request tells the worker to close it
                self._abandoned_scans.append(scan_id)

    def _call(
        self, op: str, args: tuple[Any, ...], collection: str | None, *, generation: int | None = None
    ) -> tuple[Any, int]:
        timeout = current_timeout() or self.timeout_s
        started = time.perf_counter()
        failure: Failure | None = None
        try:
            with self._lock:
                reply, retried, current = self._exchange(op, args, collection, timeout, generation)
            if not reply.ok:
                failure = reply.value
                raise failure.rebuild()
            if retried and op in COUNT_UNKNOWN_AFTER_RETRY:
                return None, current
            return reply.value, current
        finally:
            error = type(failure.error).__name__ if failure is not None else None
            self.stats.call(op, time.perf_counter() - started, error)

    def _exchange(
        self, op: str, args: tuple[Any, ...], collection: str | None, timeout: float, generation: int | None
    ) -> tuple[Reply, bool, int]:
        """One call under the lock: returns the reply, whether it was retried, and the worker generation."""
        self._check_usable()
        self._check_circuit()
        deaths: list[Death] = []
        while True:
            worker = self._ensure_worker()
            if generation is not None and generation != self._generation:
                raise WorkerCrashed(
                    f"the scan of collection {collection!r} was interrupted: its worker was replaced after another "
                    "call's crash or timeout; start the scan again",
                    op=op,
                    collection=collection,
                )
            fault = self._take_fault(op) if self._faults else None
            request = Request(op, args, self._take_abandoned_scans(), fault)
            try:
                reply = worker.call(request, timeout)
            except WorkerDied:
                if self._closed:  # close() gave up waiting for this call and killed the worker
                    self._finish_close(worker)
                    raise StoreClosed(f"the store was closed while {reports.where(op, collection)} was running")
                deaths.append(self._bury(worker, reports.where(op, collection), op, collection))
                if op in RETRIED and len(deaths) == 1 and self.circuit.state == "closed":
                    continue
                if len(deaths) > 1:
                    self.stats.failure("poison")
                raise reports.crashed(
                    op, collection, deaths, retried=len(deaths) > 1, circuit_cooldown_s=self._opened_cooldown()
                ) from None
            except CallTimedOut:
                death = self._kill(worker, "timeout", reports.where(op, collection), op, collection, timeout_s=timeout)
                raise reports.timed_out(
                    op, collection, timeout, death, circuit_cooldown_s=self._opened_cooldown()
                ) from None
            except Exception:  # a message that does not pickle fails before a byte is written: still in step
                raise
            except BaseException:  # e.g. KeyboardInterrupt: the pipe may hold half a message, so drop the worker
                self._discard(worker, "interrupted")
                raise
            if self._closed:  # close() gave up waiting, but the call finished: its result stands
                self._finish_close(worker)
            elif self.circuit.record_success():
                emit("circuit_close", self.label, pid=worker.pid)
            return reply, bool(deaths), self._generation

    # -- worker lifecycle -----------------------------------------------------------------------------------------

    def _ensure_worker(self) -> WorkerProcess:
        worker = self._worker
        if worker is not None and worker.alive():
            return worker
        if self._closed:
            raise StoreClosed(f"the isolated store {self.label} was closed")
        if worker is not None:  # it died between calls (e.g. the OOM killer): not this call's fault
            self._bury(worker, "idle", None, None)
            self._check_circuit()
        self._start()
        assert self._worker is not None
        return self._worker

    def _start(self) -> Hello:
        previous = self._last_death
        worker = WorkerProcess(
            self.spec, self.config, self._arena, label=self.label, orphan_grace_s=self.policy.orphan_grace_s
        )
        started = time.monotonic()
        try:
            hello = worker.handshake(self.policy.start_timeout_s)
        except WorkerDied:
            death = worker.reap()
            self._note_death(death, "startup", "start", None, None)
            raise reports.failed_to_start(death) from None
        except CallTimedOut:
            death = self._kill(worker, "startup", "start", None, None, timeout_s=self.policy.start_timeout_s)
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
            self._finish_close(worker)
            raise StoreClosed(f"the isolated store {self.label} was closed while its worker was starting")
        self._worker = worker
        self._generation += 1
        emit("worker_start", self.label, pid=worker.pid, startup_s=round(time.monotonic() - started, 3))
        if self._generation > 1:
            self.stats.restart()
            emit("worker_restart", self.label, pid=worker.pid, generation=self._generation, after=previous)
        return hello

    def _bury(self, worker: WorkerProcess, during: str, op: str | None, collection: str | None) -> Death:
        death = worker.reap()
        self._worker = None
        self._note_death(death, "crash", during, op, collection)
        return death

    def _kill(
        self, worker: WorkerProcess, kind: str, during: str, op: str | None, collection: str | None, *, timeout_s: float
    ) -> Death:
        death = worker.kill(self.policy.kill_grace_s)
        self._worker = None
        self._note_death(death, kind, during, op, collection, timeout_s=timeout_s)
        return death

    def _discard(self, worker: WorkerProcess, reason: str) -> None:
        death = worker.kill(self.policy.kill_grace_s)
        self._worker = None
        self.stats.failure(reason)
        emit("worker_stop", self.label, pid=death.pid, reason=reason, exit=death.exit.name)

    def _note_death(
        self, death: Death, kind: str, during: str, op: str | None, collection: str | None, **detail: Any
    ) -> None:
        """Count a death, emit its event, and feed the circuit breaker."""
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
        if self.circuit.record_death():
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
        """The part of close() that had to wait for the running call: reap its worker, free the arena."""
        death = worker.kill(self.policy.kill_grace_s)
        self._worker = None
        self._arena.close()
        emit("worker_stop", self.label, pid=death.pid, reason="closed during a call", exit=death.exit.name)

    # -- bookkeeping ------------------------------------------------------------------------------------------------

    def _take_abandoned_scans(self) -> tuple[int, ...]:
        taken: list[int] = []
        while self._abandoned_scans:
            taken.append(self._abandoned_scans.popleft())
        return tuple(taken)

    def _take_fault(self, op: str) -> Fault | None:
        for entry in self._faults:
            fault, remaining = entry
            if fault.op == op:
                remaining[0] -= 1
                if remaining[0] == 0:
                    self._faults.remove(entry)
                return fault
        return None

    def inject_fault(self, fault: Fault, times: int) -> None:
        """Test-only: attach ``fault`` to the next ``times`` requests for its operation (retries included)."""
        from .faults import require_enabled

        require_enabled()
        with self._lock:
            self._faults.append((fault, [times]))

    # -- reporting and shutdown -------------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Stats of the isolation, plus the adapter's own when the worker is idle (never waits for a busy one)."""
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
            adapter=self._adapter_stats(),
        )
        return report

    def _adapter_stats(self) -> dict[str, Any] | None:
        if self._closed or self.circuit.state != "closed" or not self._lock.acquire(blocking=False):
            return None
        try:
            worker = self._worker
            if worker is None or not worker.alive():
                return None
            reply, _, _ = self._exchange("stats", (), None, self.timeout_s, None)
        except VectorStoreError:
            return None
        finally:
            self._lock.release()
        return reply.value if reply.ok else None

    def close(self, reason: str) -> None:
        """Stop the worker politely (its backend flushes and closes); idempotent; a forked child does nothing."""
        if os.getpid() != self._owner_pid:
            return
        if not self._lock.acquire(timeout=self.policy.stop_timeout_s):
            self._closed = True  # a call has run too long: end its worker; that call raises StoreClosed
            worker = self._worker
            if worker is not None:
                _signal(worker.pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            return
        failure: Failure | None = None
        try:
            if self._closed:
                return
            self._closed = True
            worker, self._worker = self._worker, None
            if worker is not None:
                death, failure = worker.stop(self.policy.stop_timeout_s, self.policy.kill_grace_s)
                emit("worker_stop", self.label, pid=death.pid, reason=reason, exit=death.exit.name)
            self._arena.close()
        finally:
            self._lock.release()
        if failure is not None:
            raise failure.rebuild()


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except OSError:  # gone already: ProcessLookupError on POSIX, a plain OSError (WinError 87) on Windows
        pass
