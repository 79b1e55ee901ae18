"""Every write acknowledged before a fault is still there after it, on persistent backends (the test adapter of
``durable.py``, and Chroma when its adapter is installed). Expected contents are what the test itself wrote."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from vectorstore.errors import WorkerCrashed, WorkerTimeout
from vectorstore.isolation.faults import FaultKind, Moment
from vectorstore.store import VectorStore

from .conftest import Opener, Target
from .helpers import inject, vectors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the injected faults use POSIX signals")

FIRST = [f"a{i}" for i in range(40)]
SECOND = [f"b{i}" for i in range(40)]


def _assert_holds(store: VectorStore, ids: list[str], matrix: np.ndarray) -> None:
    got = store.get("docs", ids, include=["vector", "metadata"])
    assert [record.id for record in got] == ids
    np.testing.assert_allclose(np.array([record.vector for record in got], dtype=np.float32), matrix, rtol=1e-6)
    assert [record.metadata for record in got] == [{"id": i} for i in ids]


def _write(store: VectorStore, ids: list[str], matrix: np.ndarray) -> None:
    store.upsert("docs", ids, matrix, metadatas=[{"id": i} for i in ids])


@pytest.mark.parametrize(("kind", "when"), [("segv", "before"), ("abort", "after"), ("sigkill", "after")])
def test_acknowledged_writes_survive_a_crash_and_the_crashed_write_is_retried(
    open_isolated: Opener, persistent: Target, kind: FaultKind, when: Moment
) -> None:
    first, second = vectors(len(FIRST), seed=1), vectors(len(SECOND), seed=2)
    store = open_isolated(persistent())
    store.create_collection("docs", 8)
    _write(store, FIRST, first)
    inject(store, kind, "upsert", when)
    _write(store, SECOND, second)  # the worker dies; a full-replace upsert is retried on a new one
    report = store.stats()
    assert report["failures"] == {"crash": 1} and report["restarts"] == 1
    _assert_holds(store, FIRST + SECOND, np.vstack([first, second]))
    store.close()
    reopened = open_isolated(persistent())  # and it is on disk, not only in the new worker
    _assert_holds(reopened, FIRST + SECOND, np.vstack([first, second]))
    assert reopened.count("docs") == len(FIRST) + len(SECOND)


def test_a_poison_write_loses_nothing_acknowledged_before_it(open_isolated: Opener, persistent: Target) -> None:
    first = vectors(len(FIRST), seed=1)
    store = open_isolated(persistent())
    store.create_collection("docs", 8)
    _write(store, FIRST, first)
    inject(store, "segv", "upsert", "after", times=2)
    with pytest.raises(WorkerCrashed, match="poison request"):
        _write(store, SECOND, vectors(len(SECOND), seed=2))
    _assert_holds(store, FIRST, first)
    assert store.count("docs") == len(FIRST) + len(SECOND)  # applied, though never acknowledged


def test_a_hung_write_is_killed_and_the_next_worker_can_open_the_same_path(
    open_isolated: Opener, persistent: Target
) -> None:
    """The hung worker still holds the path's lock until it is reaped; the new one would get StoreLocked otherwise."""
    first = vectors(len(FIRST), seed=1)
    store = open_isolated(persistent(timeout_s=1.5))
    store.create_collection("docs", 8)
    _write(store, FIRST, first)
    inject(store, "native_hang", "upsert", "before")
    with pytest.raises(WorkerTimeout):
        _write(store, SECOND, vectors(len(SECOND), seed=2))
    _assert_holds(store, FIRST, first)
    assert store.count("docs") == len(FIRST)  # the hung write never started


def test_a_create_that_crashed_after_applying_is_not_retried(open_isolated: Opener, persistent: Target) -> None:
    store = open_isolated(persistent())
    inject(store, "segv", "create_collection", "after")
    with pytest.raises(WorkerCrashed, match="may or may not have taken effect"):
        store.create_collection("docs", 8)
    assert [info.name for info in store.list_collections()] == ["docs"]  # it had taken effect
    assert store.create_collection("docs", 8, exist_ok=True).dimension == 8
