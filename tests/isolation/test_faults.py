"""Real crashes and hangs injected into the worker: the host survives, gets the right typed error in words, the
worker restarts, and the store keeps working. Durability of acknowledged writes is in test_durability.py."""

from __future__ import annotations

import os
import sys
import time

import pytest

from vectorstore.errors import CircuitOpen, CollectionNotFound, StoreClosed, WorkerCrashed, WorkerTimeout
from vectorstore.isolation import timeout
from vectorstore.isolation.faults import FaultKind, Moment

from .conftest import FAST, EventRecorder, Opener
from .helpers import inject, isolated, process_gone, wait_until_gone, worker_pid

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="signals and the C-level hang are POSIX")

#: What each crash must say, and what faulthandler leaves behind (nothing after a SIGKILL).
CRASHES = {
    "segv": ("SIGSEGV", "segmentation fault", "Fatal Python error: Segmentation fault"),
    "abort": ("SIGABRT", "aborted", "Fatal Python error: Aborted"),
    "sigkill": ("SIGKILL", "killed: likely out of memory (the OOM killer) or killed externally", None),
    "exit": ("exit code 3", "the worker exited on its own", None),
}


@posix_only
@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("kind", sorted(CRASHES))
def test_crash_is_a_typed_error_in_words_and_the_worker_restarts(
    open_isolated: Opener, events: EventRecorder, kind: FaultKind, when: Moment
) -> None:
    store = open_isolated()
    old_pid = worker_pid(store)
    inject(store, kind, "create_collection", when)
    with pytest.raises(WorkerCrashed) as caught:
        store.create_collection("docs", 4)
    error = caught.value
    name, meaning, dump = CRASHES[kind]
    message = str(error)
    assert f"worker crashed during create_collection on collection 'docs': {name} ({meaning}" in message
    assert f"Worker pid {old_pid}," in message
    assert "Not retried, since it may or may not have taken effect" in message  # create is not idempotent
    facts = {key: error.context[key] for key in ("op", "collection", "pid", "exit_name")}
    assert facts == {"op": "create_collection", "collection": "docs", "pid": old_pid, "exit_name": name}
    if dump is None:
        assert "No Python traceback was written" in message
    else:
        assert dump in message and "faults.py" in error.context["native_traceback"]
    assert process_gone(old_pid)
    # the store keeps working, on a new worker
    store.create_collection("other", 4)
    assert [info.name for info in store.list_collections()] == ["other"]  # memory state dies with its worker
    assert worker_pid(store) != old_pid
    report = store.stats()
    assert report["failures"] == {"crash": 1} and report["restarts"] == 1
    crash = events.of("worker_crash")
    assert len(crash) == 1 and crash[0].detail["pid"] == old_pid and crash[0].detail["exit_name"] == name
    assert events.of("worker_restart")[0].detail["pid"] == worker_pid(store)


def test_idempotent_call_is_retried_once_on_a_new_worker(open_isolated: Opener, events: EventRecorder) -> None:
    store = open_isolated()
    store.create_collection("docs", 4)
    inject(store, "segv", "list_collections")
    assert store.list_collections() == []  # retried on a fresh worker (a memory store starts empty)
    assert store.stats()["failures"] == {"crash": 1} and store.stats()["restarts"] == 1
    assert events.kinds()[-3:] == ["worker_crash", "worker_start", "worker_restart"]


def test_a_retried_call_can_meet_the_new_workers_state(open_isolated: Opener) -> None:
    store = open_isolated()
    store.create_collection("docs", 4)
    inject(store, "segv", "count")
    with pytest.raises(CollectionNotFound):  # memory state died with the first worker: an honest answer
        store.count("docs")


def test_a_request_that_crashes_two_workers_is_a_poison_request(open_isolated: Opener) -> None:
    store = open_isolated()
    first = worker_pid(store)
    inject(store, "segv", "list_collections", times=2)
    with pytest.raises(WorkerCrashed) as caught:
        store.list_collections()
    message = str(caught.value)
    assert message.startswith(
        "poison request: list_collections crashed 2 workers in a row (SIGSEGV then SIGSEGV); it is not retried again"
    )
    assert caught.value.context["poison"] is True
    assert f"Worker pid {first}" not in message  # it names the last worker
    report = store.stats()
    assert report["failures"] == {"crash": 2, "poison": 1} and report["restarts"] == 1
    assert store.list_collections() == []  # and the store still works


@posix_only
def test_python_hang_times_out_and_the_worker_is_stopped(open_isolated: Opener, events: EventRecorder) -> None:
    store = open_isolated(timeout_s=1.5)
    old_pid = worker_pid(store)
    inject(store, "hang", "list_collections")
    with pytest.raises(WorkerTimeout) as caught:
        store.list_collections()
    message = str(caught.value)
    assert message.startswith(f"list_collections did not finish within 1.5 s (timeout_s); worker pid {old_pid}")
    assert "it was stopped with SIGTERM" in message and "may or may not" not in message  # a read
    assert "Where it was stuck (faulthandler, last lines):" in message and "in trigger" in message
    assert process_gone(old_pid)
    assert store.list_collections() == [] and worker_pid(store) != old_pid  # not retried: a new worker now
    assert store.stats()["failures"] == {"timeout": 1}
    (event,) = events.of("worker_timeout")
    assert event.detail["timeout_s"] == 1.5 and event.detail["op"] == "list_collections"


@posix_only
def test_native_hang_ignoring_sigterm_is_killed(open_isolated: Opener) -> None:
    store = open_isolated()
    old_pid = worker_pid(store)
    inject(store, "native_hang", "list_collections", "after")
    with timeout(1.0), pytest.raises(WorkerTimeout) as caught:
        store.list_collections()
    message = str(caught.value)
    assert "list_collections did not finish within 1 s" in message
    assert "SIGTERM was ignored (a native hang), so it was killed with SIGKILL" in message
    assert "_deadlock_in_c" in message  # the SIGUSR1 dump shows where it hung
    assert caught.value.context["exit_name"] == "SIGKILL" and process_gone(old_pid)
    store.create_collection("docs", 4)


@posix_only
def test_per_call_timeout_applies_only_inside_its_block(open_isolated: Opener) -> None:
    store = open_isolated(timeout_s=60)
    inject(store, "hang", "list_collections")
    with timeout(0.5), pytest.raises(WorkerTimeout, match=r"within 0\.5 s"):
        store.list_collections()
    with pytest.raises(ValueError), timeout(0):
        pass
    assert store.stats()["timeout_s"] == 60


@posix_only
def test_a_worker_that_dies_between_calls_does_not_fail_the_next_call(
    open_isolated: Opener, events: EventRecorder
) -> None:
    import signal

    store = open_isolated()
    old_pid = worker_pid(store)
    os.kill(old_pid, signal.SIGKILL)  # what the OOM killer does to an idle worker
    assert wait_until_gone(old_pid)
    assert store.list_collections() == []
    (crash,) = events.of("worker_crash")
    assert crash.detail["during"] == "idle" and crash.detail["exit_name"] == "SIGKILL"
    assert store.stats()["restarts"] == 1


@posix_only
def test_repeated_crashes_open_the_circuit_then_half_open_then_close(
    open_isolated: Opener, events: EventRecorder
) -> None:
    policy = FAST.model_copy(update={"circuit_failures": 2, "circuit_cooldown_s": 0.5})
    store = open_isolated(policy=policy)
    inject(store, "abort", "create_collection", times=2)
    with pytest.raises(WorkerCrashed):
        store.create_collection("aaa", 4)
    with pytest.raises(WorkerCrashed):
        store.create_collection("bbb", 4)
    assert events.of("circuit_open")[0].detail["failures"] == 2
    with pytest.raises(CircuitOpen) as caught:
        store.list_collections()
    assert "circuit open: the isolation worker died 2 times in a row (last: SIGABRT during create_collection" in str(
        caught.value
    )
    report = store.stats()
    assert report["worker"] is None and report["circuit"]["state"] == "open"  # no worker is started while open
    assert report["failures"]["circuit_open"] == 1
    time.sleep(0.6)  # the cool-down
    assert store.stats()["circuit"]["state"] == "half_open"
    assert store.list_collections() == []  # one call tries a new worker and closes the circuit
    assert store.stats()["circuit"]["state"] == "closed"
    assert events.kinds().count("circuit_close") == 1


@posix_only
def test_a_death_while_half_open_reopens_the_circuit(open_isolated: Opener) -> None:
    policy = FAST.model_copy(update={"circuit_failures": 1, "circuit_cooldown_s": 0.3})
    store = open_isolated(policy=policy)
    inject(store, "segv", "list_collections", times=2)
    with pytest.raises(WorkerCrashed, match="The circuit is now open: calls fail fast for 0.3 s"):  # and no retry
        store.list_collections()
    time.sleep(0.4)
    with pytest.raises(WorkerCrashed):
        store.list_collections()
    with pytest.raises(CircuitOpen):
        store.list_collections()
    assert store.stats()["circuit"]["times_opened"] == 2


@posix_only
def test_scan_survives_a_crash_at_its_start_but_not_midway(open_isolated: Opener) -> None:
    import numpy as np

    store = open_isolated()
    store.create_collection("docs", 4)
    store.upsert("docs", [f"id{i}" for i in range(10)], np.ones((10, 4), dtype=np.float32))
    inject(store, "segv", "scan_next")  # the scan asks for its second batch while the first is handed out
    scan = store.scan("docs", batch_size=4)
    assert len(next(scan)) == 4
    with pytest.raises(WorkerCrashed, match="start the scan again"):
        next(scan)


@posix_only
def test_scan_is_interrupted_when_another_call_replaced_the_worker(open_isolated: Opener) -> None:
    store = open_isolated()
    store.create_collection("docs", 4)
    inject(store, "segv", "create_collection")
    import numpy as np

    store.upsert("docs", [f"id{i}" for i in range(10)], np.ones((10, 4), dtype=np.float32))
    scan = store.scan("docs", batch_size=4)
    next(scan)
    with pytest.raises(WorkerCrashed):
        store.create_collection("other", 4)
    with pytest.raises(WorkerCrashed, match="the scan of collection 'docs' was interrupted"):
        next(scan)


def test_fault_injection_is_refused_unless_enabled(open_isolated: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_isolated()
    monkeypatch.delenv("VECTORSTORE_ISOLATION_FAULTS")
    with pytest.raises(RuntimeError, match="for tests only"):
        inject(store, "segv", "count")


def test_close_during_a_long_call_ends_it_with_store_closed(open_isolated: Opener, events: EventRecorder) -> None:
    import threading

    policy = FAST.model_copy(update={"stop_timeout_s": 0.5})
    store = open_isolated(policy=policy, timeout_s=60)
    pid = worker_pid(store)
    inject(store, "hang", "list_collections")
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            store.list_collections()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    worker = isolated(store)._supervisor._worker
    assert worker is not None
    while ("list_collections", None) not in worker.in_flight():  # the request has been sent
        time.sleep(0.01)
    store.adapter.close()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], StoreClosed), outcome
    assert "closed while list_collections was running" in str(outcome[0])
    assert wait_until_gone(pid)
    assert [event.detail["reason"] for event in events.of("worker_stop")] == ["closed during a call"]
