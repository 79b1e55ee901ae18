"""The isolated adapter behaves like the adapter it wraps: same answers, same errors, scans streamed in batches.

Expected results come from the reference adapter run directly in this process and from numpy, never from the
isolated store itself.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

import vectorstore
from vectorstore import scores
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.errors import CollectionExists, CollectionNotFound
from vectorstore.isolation import IsolatedAdapter
from vectorstore.isolation.protocol import RemoteTraceback
from vectorstore.store import VectorStore

from .conftest import Opener
from .helpers import isolated, vectors, worker_pid

N, DIMENSION = 60, 8


def _fill(store: VectorStore, metric: str = "cosine") -> np.ndarray:
    matrix = vectors(N, DIMENSION, seed=3)
    store.create_collection("docs", DIMENSION, metric)  # type: ignore[arg-type]
    store.upsert(
        "docs",
        [f"id{i}" for i in range(N)],
        matrix,
        documents=[f"text {i}" if i % 3 else None for i in range(N)],
        metadatas=[{"i": i, "even": i % 2 == 0, "tags": ["a", "b"] if i % 5 == 0 else ["c"]} for i in range(N)],
    )
    return matrix


def test_every_method_answers_like_the_reference_adapter(open_isolated: Opener) -> None:
    isolated = open_isolated()
    with vectorstore.open("memory://") as reference:
        matrix = _fill(isolated)
        _fill(reference)
        where = {"$or": [{"even": True}, {"i": {"$gte": 50}}]}
        include = ["vector", "document", "metadata"]
        assert isolated.list_collections() == reference.list_collections()
        assert isolated.get_collection("docs") == reference.get_collection("docs")
        assert isolated.get("docs", ["id7", "missing", "id3"], include=include) == reference.get(
            "docs", ["id7", "missing", "id3"], include=include
        )
        assert isolated.count("docs", where=where) == reference.count("docs", where=where)
        queries = vectors(3, DIMENSION, seed=4)
        got = isolated.query("docs", queries, k=5, include=include)
        assert got == reference.query("docs", queries, k=5, include=include)
        truth = scores.top_k(scores.exact("cosine", queries, matrix), 5)
        assert [[m.id for m in row] for row in got] == [[f"id{i}" for i in row] for row in truth]
        assert isolated.delete("docs", ids=["id1", "id2", "nope"]) == reference.delete(
            "docs", ids=["id1", "id2", "nope"]
        )
        assert isolated.delete("docs", where={"i": {"$lt": 10}}) == reference.delete("docs", where={"i": {"$lt": 10}})
        assert list(isolated.scan("docs", batch_size=7)) == list(reference.scan("docs", batch_size=7))
        with pytest.raises(CollectionExists):
            isolated.create_collection("docs", DIMENSION)
        isolated.delete_collection("docs")
        assert isolated.list_collections() == []


def test_scan_streams_batches_between_other_calls(open_isolated: Opener) -> None:
    store = open_isolated()
    _fill(store)
    first, second = store.scan("docs", batch_size=7), store.scan("docs", batch_size=25, where={"even": True})
    seen: list[str] = []
    sizes: list[int] = []
    for batch in first:
        sizes.append(len(batch))
        seen.extend(record.id for record in batch)
        assert store.count("docs") == N  # other calls run between batches; the worker keeps the scan open
        next(second, None)
    assert sizes == [7] * (N // 7) + [N % 7]
    assert sorted(seen) == sorted(f"id{i}" for i in range(N)) and len(seen) == len(set(seen))


def test_an_abandoned_scan_leaves_the_store_usable(open_isolated: Opener) -> None:
    store = open_isolated()
    _fill(store)
    for _ in store.scan("docs", batch_size=5):
        break
    assert [len(batch) for batch in store.scan("docs", batch_size=50)] == [50, 10]


def _within(bound_s: float, condition: Callable[[], bool]) -> bool:
    """Wait (bounded, never asserted on duration) for ``condition``."""
    deadline = time.monotonic() + bound_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_scan_reads_its_next_batch_while_the_caller_holds_this_one(open_isolated: Opener) -> None:
    store = open_isolated()
    _fill(store)
    steps = lambda: store.stats()["calls_by_op"].get("scan_next", 0)  # noqa: E731
    scan = store.scan("docs", batch_size=25)
    first = next(scan)
    assert _within(30, lambda: steps() == 1), "the second batch was not asked for while the first was held"
    rest = list(scan)
    assert [len(first)] + [len(batch) for batch in rest] == [25, 25, 10]
    assert sorted(r.id for r in first + [r for batch in rest for r in batch]) == sorted(f"id{i}" for i in range(N))
    assert steps() == 3  # batches two and three, then the end: no step beyond it


def test_a_scan_dropped_with_a_step_in_flight_is_forgotten_once_the_step_ends(open_isolated: Opener) -> None:
    store = open_isolated()
    _fill(store)
    scans = isolated(store)._supervisor.scans
    scan = store.scan("docs", batch_size=5)
    next(scan)
    scan.close()
    assert _within(30, lambda: len(scans._abandoned) == 1)
    assert store.count("docs") == N  # this request tells the worker to close the scan
    assert not scans._abandoned


def test_errors_keep_their_type_and_carry_the_worker_traceback(open_isolated: Opener) -> None:
    store = open_isolated()
    with pytest.raises(CollectionNotFound) as caught:
        store.get_collection("nothing")
    assert "nothing" in str(caught.value)
    assert isinstance(caught.value.__cause__, RemoteTraceback) and "memory.py" in caught.value.__cause__.text
    assert store.stats()["errors"] == {"CollectionNotFound": 1}


def test_vectorstore_open_isolates_when_the_url_says_so() -> None:
    with vectorstore.open("memory://?isolation=process") as store:
        assert isinstance(store.adapter, IsolatedAdapter) and store.adapter.name == "memory"
        assert store.capabilities == MemoryAdapter.capabilities
        report = store.stats()
        assert report["timeout_s"] == 180.0 and report["isolation"] == "process"
        assert worker_pid(store) in {child.pid for child in multiprocessing.active_children()}


def test_stats_count_calls_and_report_latency_percentiles(open_isolated: Opener) -> None:
    store = open_isolated()
    _fill(store)
    for _ in range(20):
        store.count("docs")
    report = store.stats()
    assert report["calls_by_op"]["count"] == 20 and report["calls"] == sum(report["calls_by_op"].values())
    latency = report["latency_ms"]["count"]
    assert latency["samples"] == 20 and 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    assert report["latency_ms"]["all"]["samples"] == report["calls"]
    assert report["failures"] == {} and report["restarts"] == 0 and report["circuit"]["state"] == "closed"
    assert report["worker"]["uptime_s"] > 0 and report["worker"]["generation"] == 1
    assert report["adapter"] == {}  # the memory adapter reports nothing of its own


def test_many_threads_share_one_worker_and_get_exact_answers(open_isolated: Opener) -> None:
    store = open_isolated()
    matrix = _fill(store, "l2")
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for round_ in range(15):
                query = vectors(1, DIMENSION, seed=100 * seed + round_)
                truth = scores.top_k(scores.exact("l2", query, matrix), 4)[0]
                assert [m.id for m in store.search("docs", query[0], k=4)] == [f"id{i}" for i in truth]
        except BaseException as exc:  # reported below; a thread's assertion would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads) and failures == []
