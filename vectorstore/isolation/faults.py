"""Test-only fault injection: make a worker really crash or hang around one chosen call.

Tests arm a fault through the private ``IsolatedAdapter._inject_fault``; the supervisor attaches it to the next
matching request and the worker triggers it just before or just after the backend call. Both sides refuse unless
``VECTORSTORE_ISOLATION_FAULTS=1`` is set (the worker inherits the host's environment at spawn), so a production
process can never be crashed through this path. Normal requests carry no fault and never import this module.
"""

from __future__ import annotations

import ctypes
import faulthandler
import os
import signal
import time
from dataclasses import dataclass
from typing import Literal

ENVIRONMENT_VARIABLE = "VECTORSTORE_ISOLATION_FAULTS"

FaultKind = Literal["segv", "abort", "sigkill", "exit", "hang", "native_hang"]
Moment = Literal["before", "after"]


@dataclass(frozen=True)
class Fault:
    """``kind`` happens ``when`` (before or after the backend call) during the operation ``op``.

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


def trigger(fault: Fault, moment: Moment) -> None:
    """Run in the worker around the backend call; does nothing at the other moment."""
    if fault.when != moment:
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
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    libc = ctypes.PyDLL(None)
    mutex = ctypes.create_string_buffer(256)  # larger than pthread_mutex_t on every platform
    libc.pthread_mutex_init(mutex, None)
    while True:  # the second lock never returns
        libc.pthread_mutex_lock(mutex)
