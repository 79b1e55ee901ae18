"""Counters and latency percentiles of an isolated store, for ``store.stats()`` and dashboards."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

import numpy as np

_PERCENTILES = (50, 95, 99)


class Stats:
    """Thread-safe: written by whichever thread finishes a call, read by ``stats()`` at any time."""

    def __init__(self, window: int) -> None:
        self._lock = threading.Lock()
        self._window = window
        self.calls: Counter[str] = Counter()
        #: Isolation failures: crash, timeout, poison, circuit_open, startup, interrupted.
        self.failures: Counter[str] = Counter()
        #: Exceptions the backend raised in the worker, by class name (the worker itself was fine).
        self.errors: Counter[str] = Counter()
        self.restarts = 0
        self._latencies: dict[str, deque[float]] = {}

    def call(self, op: str, seconds: float, error: str | None = None) -> None:
        with self._lock:
            self.calls[op] += 1
            self._latencies.setdefault(op, deque(maxlen=self._window)).append(seconds)
            if error is not None:
                self.errors[error] += 1

    def failure(self, kind: str) -> None:
        with self._lock:
            self.failures[kind] += 1

    def restart(self) -> None:
        with self._lock:
            self.restarts += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            samples = {op: np.fromiter(values, dtype=float) for op, values in self._latencies.items()}
            everything = np.concatenate(list(samples.values())) if samples else np.empty(0)
            return {
                "calls": sum(self.calls.values()),
                "calls_by_op": dict(self.calls),
                "failures": dict(self.failures),
                "errors": dict(self.errors),
                "restarts": self.restarts,
                "latency_ms": {
                    "all": _percentiles(everything),
                    **{op: _percentiles(values) for op, values in sorted(samples.items())},
                },
            }


def _percentiles(seconds: np.ndarray) -> dict[str, float | int]:
    """p50/p95/p99 in milliseconds over the last ``window`` calls, and how many samples that is."""
    if len(seconds) == 0:
        return {"samples": 0}
    values = np.percentile(seconds * 1000.0, _PERCENTILES)
    return {"samples": len(seconds), **{f"p{p}": round(float(v), 3) for p, v in zip(_PERCENTILES, values)}}
