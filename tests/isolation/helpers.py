"""Small helpers shared by the isolation tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from vectorstore.isolation import IsolatedAdapter
from vectorstore.isolation.faults import FaultKind, Moment
from vectorstore.store import VectorStore


def isolated(store: VectorStore) -> IsolatedAdapter:
    assert isinstance(store.adapter, IsolatedAdapter)
    return store.adapter


def inject(store: VectorStore, kind: FaultKind, op: str, when: Moment = "before", times: int = 1) -> None:
    """Arm a real crash or hang in the store's worker (the test-only hook)."""
    isolated(store)._inject_fault(kind, op, when, times=times)


def worker_pid(store: VectorStore) -> int:
    worker = store.stats()["worker"]
    assert worker is not None, "the store has no running worker"
    return int(worker["pid"])


def process_gone(pid: int) -> bool:
    """True once ``pid`` no longer runs.

    A zombie waiting for a reaper counts as gone once all its threads have exited: a killed multi-threaded process
    shows ``Z`` for its main thread while the others are still being torn down, and only then can it be reaped.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    proc = Path(f"/proc/{pid}")
    try:
        zombie = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        return zombie and len(os.listdir(proc / "task")) <= 1
    except (OSError, IndexError):
        return False


def wait_until_gone(pid: int, bound_s: float = 30.0) -> bool:
    """Wait (bounded, never asserted on duration) for ``pid`` to end."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return process_gone(pid)


def vectors(n: int, dimension: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, dimension), dtype=np.float32)
