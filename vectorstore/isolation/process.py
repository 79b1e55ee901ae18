"""One worker process: start it, exchange messages with it, and account for how it ended.

Death is detected by waiting on the pipe and the process sentinel together (``multiprocessing.connection.wait``),
so a crash is noticed the moment it happens, without polling. Each worker has its own pipe: killing it can only
fail the one call it was running. A worker is stopped politely (a ``stop`` request: the backend flushes and
closes) or, for a timeout, with SIGTERM and then SIGKILL: a thread stuck in native code never runs a Python
SIGTERM handler, and a library may ignore SIGTERM, so the grace before SIGKILL is short.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from pydantic import BaseModel

from ..registry import AdapterSpec
from . import worker
from .arena import Arena
from .exitcodes import ExitInfo, classify
from .protocol import STOP, Failure, Hello, Reply, Request
from .starting import Surroundings, context_for
from .transfer import Channel

_TAIL_LINES = 40
_TAIL_LINE_CHARS = 240
_WATCH_FRAME = re.compile(r'isolation[/\\]worker\.py", line \d+ in watch$')
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


class WorkerProcess:
    """A worker process (forked by a forkserver or spawned, see :mod:`.starting`) that builds ``spec``'s adapter."""

    def __init__(
        self, spec: AdapterSpec, config: BaseModel, arena: Arena, *, label: str, orphan_grace_s: float
    ) -> None:
        context = context_for(spec)
        conn, child_conn = context.Pipe(duplex=True)
        handle, self.log_path = tempfile.mkstemp(prefix="vectorstore-worker-", suffix=".log")
        os.close(handle)
        self.process = context.Process(
            target=worker.run,
            args=(child_conn, spec, config, self.log_path, orphan_grace_s, Surroundings()),
            name=f"vectorstore-worker {label}",
            daemon=True,
        )
        with _main_module_hidden():
            self.process.start()
        child_conn.close()  # only the worker holds its end, so its death closes the pipe
        self.channel = Channel(conn, arena)
        self.pid: int = self.process.pid  # type: ignore[assignment]
        self.started = time.monotonic()
        self.calls = 0

    def handshake(self, timeout: float) -> Hello | Failure:
        """The worker's greeting once its adapter is built, or why building it failed (the worker then exits)."""
        message = self._await(timeout)
        if isinstance(message, Reply):
            return message.value
        return message

    def alive(self) -> bool:
        return self.process.exitcode is None

    def call(self, request: Request, timeout: float) -> Reply:
        try:
            self.channel.send(request)
        except OSError:  # the worker is gone and its end of the pipe with it
            raise WorkerDied from None
        self.calls += 1
        return self._await(timeout)

    def _await(self, timeout: float) -> Any:
        conn = self.channel.conn
        ready = wait([conn, self.process.sentinel], timeout)
        if not ready:
            raise CallTimedOut
        if conn in ready:  # read a reply even if the worker exited right after sending it
            try:
                return self.channel.recv()
            except (EOFError, OSError):
                pass
        raise WorkerDied

    def reap(self) -> Death:
        """Account for a worker that has ended (or is ending) on its own."""
        self.process.join()
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
    """The useful end of a faulthandler log: the stacks of the threads that matter, without the worker's own
    parent-watch thread, multiprocessing's bootstrap frames and the list of extension modules."""
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
        if not any(_WATCH_FRAME.search(frame) for frame in block)
        for line in block
        if not _BOOTSTRAP_FRAME.search(line)
    ]
    return "\n".join(kept[-_TAIL_LINES:])
