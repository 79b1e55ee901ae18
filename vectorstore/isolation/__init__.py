"""Process isolation: run any adapter in a supervised worker process (DESIGN 5).

A native crash or hang in the backend (Chroma's SIGSEGV, Windows 0xC0000005, a stuck ``add()``) becomes a typed
exception in the host (:class:`~vectorstore.errors.WorkerCrashed`, :class:`~vectorstore.errors.WorkerTimeout`,
:class:`~vectorstore.errors.CircuitOpen`) instead of taking the host down; the worker restarts on the next call.
Turn it on with ``isolation=process`` in the URL or configuration (Chroma's default). See ``docs/isolation.md``.

What is forwarded and what is retried after a crash comes from the operation table,
:mod:`vectorstore.operations`. Modules, one job each: :mod:`.adapter` (the proxy), :mod:`.supervisor` (restart,
retry, circuit, events), :mod:`.process` (one worker process), :mod:`.worker` (the worker's main loop),
:mod:`.scans` (streamed scans on both sides), :mod:`.protocol` and :mod:`.transfer` (messages and their framing),
:mod:`.arena` (shared memory for vectors), :mod:`.exitcodes` (exit codes in words), :mod:`.reports` (error
messages), :mod:`.circuit`, :mod:`.domains` (per-collection quarantine), :mod:`.quarantine_record` (its record
beside the store's files, for other processes), :mod:`.stats`, :mod:`.policy` (tunables and per-call timeouts) and
:mod:`.faults` (test-only fault injection, a wrapper adapter in the worker).
"""

from .adapter import IsolatedAdapter
from .exitcodes import ExitInfo, classify
from .policy import IsolationPolicy, timeout

__all__ = ["ExitInfo", "IsolatedAdapter", "IsolationPolicy", "classify", "timeout"]
