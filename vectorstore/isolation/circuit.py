"""A circuit breaker over worker deaths, so a crash loop costs one restart per cool-down, not one per call.

It counts consecutive worker deaths (crashes and timeouts; ordinary backend errors mean the worker is healthy)
that are not one collection's doing: those quarantine that collection instead (:mod:`.domains`).
After ``threshold`` of them it opens: calls fail fast with :class:`~vectorstore.errors.CircuitOpen` and no worker
is started (a Chroma restart costs about 0.65 s). After ``cooldown_s`` it lets one call through (half-open): a
success closes it, another death reopens it. The same shape as pybreaker/purgatory, without their shared storage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Not thread-safe by itself: the supervisor uses it under its call lock."""

    def __init__(self, threshold: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.failures = 0
        self.times_opened = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        return "open" if self.remaining_s() > 0 else "half_open"

    def remaining_s(self) -> float:
        """Seconds until a call may try again (0 when closed or half-open)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_s - self.clock())

    def record_death(self, deaths: int = 1) -> bool:
        """Count worker deaths (several when fault domains held some back, see :mod:`.domains`); True when this
        opened (or reopened) the circuit."""
        self.failures += deaths
        if self.state == "half_open" or (self._opened_at is None and self.failures >= self.threshold):
            self._opened_at = self.clock()
            self.times_opened += 1
            return True
        return False

    def record_success(self) -> bool:
        """A call completed on a live worker; True when this closed an open circuit."""
        self.failures = 0
        if self._opened_at is None:
            return False
        self._opened_at = None
        return True
