"""A worker never outlives its host, even when it is stuck in native code holding the GIL (Linux).

The worker's own watchdog thread (:func:`.worker.run`) waits on the host's sentinel: when the host dies, an idle
worker closes its backend cleanly (Chroma flushes) and a busy one gets ``orphan_grace_s`` to finish its call. That
thread needs the GIL, so a worker hung in native code while holding it would stay forever, keeping the store's path
locked. The kernel closes that gap on Linux with ``PR_SET_PDEATHSIG``, a signal sent to a process when its parent
dies. The parent of a forked worker is the forkserver, not the host, and a parent *thread* ending fires it too, so
it is chained:

- the forkserver (imported :mod:`._forkserver` as its first preload, see :mod:`.starting`) asks for SIGUSR2 when the
  host dies. On it, it checks that its parent really changed (a host thread that started it may have ended while the
  host lives on), then waits until its workers have exited on their own, for at most :data:`BACKSTOP_S`, and exits;
- each forked worker asks for SIGKILL when the forkserver dies (:func:`follow_forkserver`, the first thing it does):
  whatever outlived the grace is killed by the kernel, GIL or not. If the forkserver is already gone by then, the
  worker exits at once.

Spawned workers (macOS, Windows, ``VECTORSTORE_WORKER_START=spawn``) keep only the watchdog thread: their parent is
the host thread that started them, whose end would kill a healthy worker. Windows job objects are not used yet.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from types import FrameType

from .policy import IsolationPolicy

_PR_SET_PDEATHSIG = 1
#: The forkserver's signal for "my parent died" (a Python handler; its workers reset it at start).
FORKSERVER_SIGNAL = signal.SIGUSR2 if hasattr(signal, "SIGUSR2") else None
#: How long the forkserver waits for its workers after the host died: a busy worker's default ``orphan_grace_s``
#: plus a second. Later, the kernel kills them (a larger ``orphan_grace_s`` is cut to this on Linux).
BACKSTOP_S = float(IsolationPolicy.model_fields["orphan_grace_s"].default) + 1.0
#: The exit status of a worker whose forkserver (hence host) was gone before it could tie itself to it.
ORPHANED_AT_START = 71
_POLL_S = 0.05


def _death_signal(number: int) -> bool:
    """Ask the kernel to send ``number`` to this process when its parent (thread) dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(_PR_SET_PDEATHSIG, number, 0, 0, 0) == 0


def follow_forkserver(host_pid: int) -> None:
    """In a worker: die with the forkserver that forked it (see the module docstring); nothing when spawned."""
    if FORKSERVER_SIGNAL is not None:
        signal.signal(FORKSERVER_SIGNAL, signal.SIG_DFL)  # inherited from the forkserver's handler
    if sys.platform.startswith("linux"):  # elsewhere (and when spawned by the host) the watchdog thread is the tie
        forkserver = os.getppid()
        tied = forkserver != host_pid and _death_signal(signal.SIGKILL)
        if tied and os.getppid() != forkserver:  # it died before the tie was made: nobody would kill this later
            os._exit(ORPHANED_AT_START)


def watch_host() -> None:
    """In the forkserver: exit once the host is gone and its workers ended (bounded by :data:`BACKSTOP_S`)."""
    if FORKSERVER_SIGNAL is None:
        return
    host = os.getppid()

    def host_died(signum: int, frame: FrameType | None) -> None:
        if os.getppid() == host:  # a thread of the host ended, the host lives on
            return
        _await_children(time.monotonic() + BACKSTOP_S)
        os._exit(0)

    signal.signal(FORKSERVER_SIGNAL, host_died)
    if not _death_signal(FORKSERVER_SIGNAL):
        signal.signal(FORKSERVER_SIGNAL, signal.SIG_DFL)
        return
    if os.getppid() != host:  # the host died before the tie was made
        host_died(FORKSERVER_SIGNAL, None)


def _await_children(deadline: float) -> None:
    """Reap this process's children until none is left or ``deadline`` passes (POSIX: the forkserver's)."""
    if hasattr(os, "WNOHANG"):
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                time.sleep(_POLL_S)
