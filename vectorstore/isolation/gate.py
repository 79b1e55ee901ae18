"""Shared and exclusive turns at one worker: calls run side by side, a retry after a crash runs alone.

A request that was in flight when its worker died is retried once, alone on the new worker: if that worker dies
too, the retried request is the likely trigger and is reported as a poison request, not an innocent call that
happened to share the worker with it. ``close()`` also takes the exclusive turn, to wait for the calls in flight.
A waiting exclusive turn goes before new shared ones, so a stream of calls cannot starve it.
"""

from __future__ import annotations

import threading


class Gate:
    """A readers-writer lock with writer preference and timeouts."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False
        self._waiting = 0

    def enter(self, *, exclusive: bool, timeout: float | None = None) -> bool:
        """Take a shared or the exclusive turn; False if ``timeout`` passed first."""
        with self._condition:
            if exclusive:
                self._waiting += 1
                try:
                    entered = self._condition.wait_for(lambda: not self._exclusive and self._shared == 0, timeout)
                finally:
                    self._waiting -= 1
                if entered:
                    self._exclusive = True
                else:
                    self._condition.notify_all()  # shared turns held back for this one may go now
                return entered
            if self._exclusive or self._waiting:
                if not self._condition.wait_for(lambda: not self._exclusive and not self._waiting, timeout):
                    return False
            self._shared += 1
            return True

    def leave(self, *, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._exclusive = False
                self._condition.notify_all()
            else:
                self._shared -= 1
                if self._shared == 0 and self._waiting:
                    self._condition.notify_all()
