"""Calls in flight at once through one worker: a crash fails each of them with a result or a typed error (never a
hang), ordered calls keep their order per collection, and reads go on while another call is stuck."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from vectorstore.batch import RecordBatch
from vectorstore.errors import StoreClosed, WorkerCrashed

from .conftest import FAST, Opener, Target
from .helpers import inject, isolated, vectors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the injected faults use POSIX signals")

BOUND_S = 60.0


def _wait_in_flight(store, wanted: int) -> None:  # type: ignore[no-untyped-def]
    """Wait (bounded) until ``wanted`` requests are in flight in the store's worker."""
    deadline = time.monotonic() + BOUND_S
    worker = isolated(store)._supervisor._worker
    assert worker is not None
    while len(worker.in_flight()) < wanted:
        assert time.monotonic() < deadline, f"only {worker.in_flight()} in flight"
        time.sleep(0.01)


def test_every_call_in_flight_at_a_crash_gets_a_result_or_a_typed_error(
    open_isolated: Opener, persistent: Target
) -> None:
    store = open_isolated(persistent(timeout_s=BOUND_S))
    store.create_collection("docs", 8)
    store.upsert("docs", ["a", "b"], vectors(2))
    readers = 6
    inject(store, "hang", "count", times=readers)  # each count hangs in its own worker thread: all in flight
    inject(store, "hang", "create_collection")
    outcomes: dict[str, object] = {}

    def run(label: str, call) -> None:  # type: ignore[no-untyped-def]
        try:
            outcomes[label] = call()
        except BaseException as exc:
            outcomes[label] = exc

    threads = [threading.Thread(target=run, args=(f"count{n}", lambda: store.count("docs"))) for n in range(readers)]
    threads.append(threading.Thread(target=run, args=("create", lambda: store.create_collection("other", 8))))
    for thread in threads:
        thread.start()
    _wait_in_flight(store, readers + 1)
    pid = isolated(store)._supervisor._worker.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=BOUND_S)
    assert [thread.name for thread in threads if thread.is_alive()] == [], "a call hangs"
    assert {label: outcomes[label] for label in outcomes if label.startswith("count")} == {
        f"count{n}": 2 for n in range(readers)
    }  # idempotent: retried on the new worker
    create = outcomes["create"]
    assert isinstance(create, WorkerCrashed) and "Not retried" in str(create) and create.context["pid"] == pid
    report = store.stats()
    assert report["failures"]["crash"] == 1 and report["restarts"] == 1 and "poison" not in report["failures"]


def test_ordered_calls_of_one_collection_run_in_the_order_they_were_sent(open_isolated: Opener, persistent: Target) -> None:
    store = open_isolated(persistent(timeout_s=BOUND_S))
    store.create_collection("docs", 8)
    worker = isolated(store)._supervisor._worker
    assert worker is not None
    from vectorstore.isolation.protocol import Request

    ids = [f"id{n}" for n in range(20)]
    sent = []
    # A burst of writes in flight at once, alternating upserts and deletes of the same ids, with reads mixed in:
    # only the arrival order decides the final state (the last upsert of each round survives, then the last delete
    # of the odd ids).
    for round_ in range(10):
        batch = RecordBatch(ids, vectors(len(ids), seed=round_), [f"r{round_}"] * len(ids), [{"round": round_}] * len(ids))
        sent.append(worker.submit(Request("upsert", ("docs", batch)), "docs"))
        sent.append(worker.submit(Request("count", ("docs", None)), "docs"))
        if round_ < 9:
            sent.append(worker.submit(Request("delete", ("docs", ids, None)), "docs"))
    sent.append(worker.submit(Request("delete", ("docs", ids[1::2], None)), "docs"))
    deadline = time.monotonic() + BOUND_S
    replies = [worker.result(pending, deadline) for pending in sent]
    assert all(reply.ok for reply in replies), [reply.value for reply in replies if not reply.ok]
    records = store.get("docs", ids, include=["document", "metadata"])
    assert [(r.id, r.document, r.metadata) for r in records] == [(i, "r9", {"round": 9}) for i in ids[0::2]]


def test_a_read_completes_while_another_call_is_stuck(open_isolated: Opener) -> None:
    store = open_isolated(policy=FAST.model_copy(update={"stop_timeout_s": 0.5}), timeout_s=BOUND_S)
    store.create_collection("docs", 8)
    store.upsert("docs", ["a", "b", "c"], vectors(3))
    inject(store, "hang", "query")
    outcome: list[BaseException] = []

    def stuck() -> None:
        try:
            store.search("docs", vectors(1)[0], k=1)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=stuck)
    thread.start()
    _wait_in_flight(store, 1)
    assert store.count("docs") == 3  # served while the query hangs in another worker thread
    assert [record.id for record in store.get("docs", ["b"])] == ["b"]
    store.close()  # the hung query keeps close waiting only stop_timeout_s, then its worker is killed
    thread.join(timeout=BOUND_S)
    assert not thread.is_alive() and len(outcome) == 1 and isinstance(outcome[0], StoreClosed), outcome
