"""Child Python processes for the persistence and durability tests.

Children are fresh interpreters (``sys.executable``), never forks of a process that has a backend open (DESIGN 3.5).
Each starts a new session, so killing it also kills any worker process it spawned (an isolated adapter's worker),
as when a machine loses the whole application.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from vectorstore.errors import StoreLocked

#: Upper bound on waiting for one line from a child; only reached when the child hangs.
LINE_TIMEOUT_S = 300.0

T = TypeVar("T")


class Child:
    """A Python child whose stdout lines are read by a thread, so waiting for a line can time out."""

    def __init__(self, *args: str) -> None:
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: a chatty child must never block on it
        self.process = subprocess.Popen(
            [sys.executable, *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def lines(self) -> Iterator[str]:
        """stdout lines until the child closes it; raises AssertionError (with stderr) if it hangs."""
        while True:
            try:
                line = self._lines.get(timeout=LINE_TIMEOUT_S)
            except queue.Empty:
                self.kill()
                raise AssertionError(
                    f"child printed nothing for {LINE_TIMEOUT_S:.0f} s; stderr:\n{self.stderr()}"
                ) from None
            if line is None:
                return
            yield line

    def kill(self) -> None:
        """SIGKILL the child and everything in its session (Windows: TerminateProcess), then reap it."""
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.process.wait()

    def stderr(self) -> str:
        """The end of what the child wrote to stderr (killing it first if it still runs)."""
        if self.process.poll() is None:
            self.kill()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]


def retry_locked(opener: Callable[[], T], attempts: int = 60, pause_s: float = 0.5) -> T:
    """``opener()``, retried while it raises StoreLocked: a killed owner's lock can take a moment to be released."""
    for _ in range(attempts - 1):
        try:
            return opener()
        except StoreLocked:
            time.sleep(pause_s)
    return opener()
