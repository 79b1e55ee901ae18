"""Test-only fault injection: make a worker really crash or hang around one chosen call.

Nothing of it is on the production path. A worker started with ``VECTORSTORE_ISOLATION_FAULTS=1`` (it inherits
the host's environment) wraps its adapter in a :class:`FaultingAdapter`, which adds one operation, :data:`ARM`.
Tests arm a fault through the private ``IsolatedAdapter._inject_fault``, which puts it in the supervisor's
:class:`FaultPlan`; each request for the fault's operation (a retry on a new worker included) carries the fault
(``Request.fault``), the worker arms it (``ARM``) in the thread that runs that request, and the faulting adapter
triggers it just before or just after the backend call. Without the variable the host refuses to arm and the worker has no ``ARM`` operation, so a production process
can never be crashed through this path.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..adapter import Adapter
from ..batch import RecordBatch
from ..filters import Node
from ..models import Capabilities
from ..operations import Op, extension, forwarding
from .scans import SCAN_NEXT
from .worker import FAULTS_VARIABLE as ENVIRONMENT_VARIABLE


#: The faulting adapter's own operation: trigger this fault during the next call of its operation.
ARM = "_arm_fault"

FaultKind = Literal["segv", "abort", "sigkill", "exit", "hang", "native_hang"]
Moment = Literal["before", "after"]
#: The kinds that leave the worker running (a call times out) instead of crashing it.
HANGS: frozenset[str] = frozenset({"hang", "native_hang"})


@dataclass(frozen=True)
class Fault:
    """``kind`` happens ``when`` (before or after the backend call) during the operation ``op``.

    ``op`` is an operation name; ``scan`` opens a scan (its first batch), ``scan_next`` fetches a later batch.
    ``segv`` is a real segmentation fault (``faulthandler._sigsegv``), ``abort`` calls ``os.abort()``, ``sigkill``
    sends SIGKILL to itself (what the OOM killer does), ``exit`` calls ``os._exit(exit_code)``, ``hang`` sleeps in
    Python, and ``native_hang`` ignores SIGTERM and deadlocks in C while holding the GIL (POSIX only), which only
    SIGKILL can end.
    """

    kind: FaultKind
    op: str
    when: Moment = "before"
    exit_code: int = 3


def enabled() -> bool:
    return os.environ.get(ENVIRONMENT_VARIABLE) == "1"


def require_enabled() -> None:
    if not enabled():
        raise RuntimeError(f"fault injection is for tests only; set {ENVIRONMENT_VARIABLE}=1 to enable it")


# -- host side ------------------------------------------------------------------------------------------------------


class FaultPlan:
    """The faults armed for a supervisor's next requests, each for a number of requests (retries included).

    A crash armed for several requests keeps its remaining ones for the call that took the first, so that its
    retry (``times=2``: a poison request) gets it, not another thread's call; the call releases them when it ends.
    A hang armed for several requests hangs that many calls.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: (fault, [remaining], [the call holding the remaining ones, or None])
        self._faults: list[tuple[Fault, list[int], list[object | None]]] = []

    def add(self, fault: Fault, times: int) -> None:
        require_enabled()
        with self._lock:
            self._faults.append((fault, [times], [None]))

    def take(self, request: str, call: object) -> Fault | None:
        """Called by the supervisor for each request ``call`` sends: the fault to arm for it, which travels with the
        request (``Request.fault``) and is armed in the worker thread that runs it, so no other call in flight can
        take it."""
        with self._lock:
            for entry in self._faults:
                fault, remaining, holder = entry
                if fault.op == request and (holder[0] is None or holder[0] is call):
                    remaining[0] -= 1
                    if fault.kind not in HANGS:  # a hang is not retried: its other requests are other calls'
                        holder[0] = call
                    if remaining[0] == 0:
                        self._faults.remove(entry)
                    return fault
        return None

    def release(self, call: object) -> None:
        """``call`` ended: the requests it kept for its retries go to the next calls."""
        with self._lock:
            for _, _, holder in self._faults:
                if holder[0] is call:
                    holder[0] = None


# -- worker side ----------------------------------------------------------------------------------------------------


@forwarding
class FaultingAdapter(Adapter):
    """The worker's adapter, with the armed fault triggered around the matching call."""

    def __init__(self, inner: Adapter) -> None:
        self.inner = inner
        self.capabilities: Capabilities = inner.capabilities
        self.extensions = {**inner.extensions, ARM: Op(idempotent=False, collection_arg=False)}  # type: ignore[misc]
        self._local = threading.local()  # the fault armed for the request this worker thread runs

    @property  # type: ignore[misc]  # the base declares a class attribute; this wrapper answers for its adapter
    def name(self) -> str:  # type: ignore[override]
        return self.inner.name

    def _arm_fault(self, fault: Fault | None) -> None:
        self._local.armed = fault

    def _take(self, op: str) -> Fault | None:
        fault = getattr(self._local, "armed", None)
        if fault is None or fault.op != op:
            return None
        self._local.armed = None
        return fault

    def _forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        fault = self._take(name)
        trigger(fault, "before")
        result = getattr(self.inner, name)(*args)
        trigger(fault, "after")
        return result

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        """``scan`` faults fire around the first batch, ``scan_next`` faults around a later one."""
        fault = self._take("scan")
        trigger(fault, "before")
        batches = iter(self.inner.scan(name, where, batch_size, include))
        while True:
            batch = next(batches, None)
            trigger(fault, "after")
            if batch is None:
                return
            yield batch
            fault = self._take(SCAN_NEXT)
            trigger(fault, "before")

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, attribute: str) -> Callable[..., Any]:  # the inner adapter's extensions, faults included
        op = self.inner.extensions.get(attribute) if attribute != "inner" else None
        if op is None:
            raise AttributeError(attribute)
        return extension(self, attribute, op)


def trigger(fault: Fault | None, moment: Moment) -> None:
    if fault is None or fault.when != moment:
        return
    require_enabled()
    if fault.kind == "segv":
        faulthandler._sigsegv()  # type: ignore[attr-defined]  # CPython's own test helper: a real SIGSEGV
    elif fault.kind == "abort":
        os.abort()
    elif fault.kind == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault.kind == "exit":
        os._exit(fault.exit_code)
    elif fault.kind == "hang":
        time.sleep(3600)
    elif fault.kind == "native_hang":
        _deadlock_in_c()


def _deadlock_in_c() -> None:
    """Lock a non-recursive pthread mutex twice through ``PyDLL``, which keeps the GIL: no Python code (signal
    handlers, the parent watchdog thread) runs again, and SIGTERM is ignored, like a hang inside a native library."""
    import ctypes

    libc = ctypes.PyDLL(None)
    libc.signal(signal.SIGTERM, ctypes.c_void_p(1))  # SIG_IGN, from any thread (signal.signal needs the main one)
    mutex = ctypes.create_string_buffer(256)  # larger than pthread_mutex_t on every platform
    libc.pthread_mutex_init(mutex, None)
    while True:  # the second lock never returns
        libc.pthread_mutex_lock(mutex)
