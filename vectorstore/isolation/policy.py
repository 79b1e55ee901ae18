"""Tunables of process isolation, and the per-call timeout override.

The per-call timeout of a store comes from its configuration (``timeout_s``, default 180 s). A block of code can
shorten or lengthen it for the calls it makes, in the current thread or task only::

    with vectorstore.isolation.timeout(5):
        store.query("docs", vectors)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pydantic import BaseModel, ConfigDict, Field

_call_timeout: ContextVar[float | None] = ContextVar("vectorstore_isolation_timeout", default=None)


class IsolationPolicy(BaseModel):
    """How the supervisor reacts to deaths, hangs and shutdowns. The defaults suit Chroma."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Consecutive worker deaths (crashes or timeouts) that open the circuit.
    circuit_failures: int = Field(default=3, ge=1)
    #: How long an open circuit fails calls fast before one call may try a new worker.
    circuit_cooldown_s: float = Field(default=30.0, gt=0)
    #: Time for a new worker to import the backend and open it (Chroma needs about 0.65 s warm, more cold).
    start_timeout_s: float = Field(default=120.0, gt=0)
    #: Between SIGTERM and SIGKILL when a call timed out; SIGTERM cannot interrupt a native hang.
    kill_grace_s: float = Field(default=0.5, ge=0)
    #: How long ``close()`` waits for a running call and then for the backend to close before killing the worker.
    stop_timeout_s: float = Field(default=10.0, gt=0)
    #: How long a worker whose host died may finish its current call before it exits.
    orphan_grace_s: float = Field(default=5.0, ge=0)
    #: Latency samples kept per operation for the percentiles in ``stats()``.
    latency_window: int = Field(default=2048, ge=1)
    #: Request buffers of at least this many bytes travel through shared memory instead of the pipe.
    shared_memory_threshold: int = Field(default=64 << 10, ge=1)
    #: Largest shared-memory segment per worker; bigger requests go through the pipe.
    shared_memory_limit: int = Field(default=256 << 20, ge=0)
    #: Threads the worker serves requests on: reads overlap up to this many (writes keep their order per
    #: collection whatever it is). An adapter that is not ``thread_safe`` is served on one thread.
    worker_threads: int = Field(default=8, ge=1)
    #: A lone call whose operation's replies typically come within this time polls for its reply rather than
    #: sleeping until it comes: it saves the 0.2-0.5 ms a wake-up takes on a VM (``bench/query_overhead.py``), but
    #: burns the caller's core meanwhile and takes turns for the GIL with the host's busy threads
    #: (``bench/shadow.py``), so it is off unless asked for (10 suits a single-threaded pipeline).
    reply_spin_ms: float = Field(default=0.0, ge=0)


def current_timeout() -> float | None:
    """The override set by :func:`timeout` in this context, if any."""
    return _call_timeout.get()


@contextmanager
def timeout(seconds: float) -> Iterator[None]:
    """Use ``seconds`` as the timeout of every isolated call made in this block (this thread or task only)."""
    if not seconds > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {seconds!r}")
    token = _call_timeout.set(float(seconds))
    try:
        yield
    finally:
        _call_timeout.reset(token)
