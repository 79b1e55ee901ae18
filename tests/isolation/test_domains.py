"""Fault domains (:mod:`vectorstore.isolation.domains`): deaths charged to the one collection in flight, its
quarantine, the probe after the cool-down and the remedies; then on a real isolated Chroma store, a collection
whose calls crash the worker is quarantined while a healthy collection of the same store is served."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vectorstore.errors import CircuitOpen, CollectionQuarantined, WorkerCrashed
from vectorstore.isolation import IsolationPolicy
from vectorstore.isolation.domains import FaultDomains

from .conftest import EventRecorder, Opener
from .helpers import inject


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def domains(clock: Clock) -> FaultDomains:
    return FaultDomains("memory://", threshold=3, cooldown_s=30.0, clock=clock)


def crash(domains: FaultDomains, *in_flight: str | None) -> int:
    """The deaths the circuit counts for this one."""
    return domains.died(in_flight, "SIGSEGV during query")


def test_a_death_is_charged_only_to_the_one_collection_in_flight(domains: FaultDomains) -> None:
    assert crash(domains) == 1  # idle or starting: store-wide
    assert crash(domains, "a", "b") == 1  # two suspects: nobody can tell, store-wide
    assert crash(domains, "a", None) == 1  # with a call without a collection
    assert crash(domains, "a", "a") == 0  # several calls, one collection
    assert domains.snapshot() == {}


def test_deaths_charged_to_two_collections_in_a_row_reach_the_circuit(domains: FaultDomains) -> None:
    assert (crash(domains, "a"), crash(domains, "a")) == (0, 0)
    assert crash(domains, "b") == 3  # the backend is failing, not one collection: the held-back deaths count too
    assert crash(domains, "a") == 1
    domains.returned("count", "c", ok=True)  # a call returned: a new streak
    assert crash(domains, "b") == 0


def test_threshold_consecutive_deaths_quarantine_and_a_return_resets_the_count(domains: FaultDomains) -> None:
    crash(domains, "bad")
    crash(domains, "bad")
    domains.returned("query", "bad", ok=False)  # a backend error: the worker survived the call
    crash(domains, "bad")
    crash(domains, "bad")
    domains.admit("query", "bad")  # two in a row: not yet
    crash(domains, "bad")
    with pytest.raises(CollectionQuarantined, match=r"'bad' is quarantined.*3 times in a row.*doctor --repair memory://") as caught:
        domains.admit("query", "bad")
    assert caught.value.context["collection"] == "bad" and caught.value.context["crashes"] == 3
    domains.admit("query", "good")
    domains.admit("query", None)
    assert domains.snapshot()["bad"]["crashes"] == 3 and domains.quarantined("bad")


def quarantine(domains: FaultDomains, name: str = "bad") -> None:
    for _ in range(3):
        crash(domains, name)
    assert domains.quarantined(name)


def test_after_the_cooldown_one_probe_runs_and_its_success_lifts_it(domains: FaultDomains, clock: Clock) -> None:
    quarantine(domains)
    clock.now += 30.0
    domains.admit("query", "bad")  # the probe
    with pytest.raises(CollectionQuarantined, match="already trying"):
        domains.admit("query", "bad")  # the others wait for its outcome
    domains.returned("query", "bad", ok=True)
    domains.admit("query", "bad")
    assert domains.snapshot() == {}


def test_a_probe_that_kills_the_worker_starts_the_cooldown_again(domains: FaultDomains, clock: Clock) -> None:
    quarantine(domains)
    clock.now += 31.0
    domains.admit("query", "bad")
    assert crash(domains, "bad") == 0  # still its own doing: not the circuit's
    with pytest.raises(CollectionQuarantined, match=r"in 30\.0 s"):
        domains.admit("query", "bad")
    assert domains.snapshot()["bad"]["times_quarantined"] == 2


def test_repair_and_delete_pass_and_a_successful_one_lifts_it(domains: FaultDomains) -> None:
    quarantine(domains)
    domains.admit("repair", "bad")
    domains.returned("repair", "bad", ok=False)  # a failed repair lifts nothing
    assert domains.quarantined("bad")
    domains.admit("delete_collection", "bad")
    domains.returned("repair", "bad", ok=True)
    assert not domains.quarantined("bad")


# -- on a real isolated Chroma store ------------------------------------------------------------------------------

#: A long cool-down: the test must not depend on it passing; a successful repair is what lifts the quarantine.
POLICY = IsolationPolicy(circuit_failures=3, circuit_cooldown_s=600, kill_grace_s=0.3, orphan_grace_s=1.0)


def test_a_collection_that_crashes_the_worker_is_quarantined_while_the_others_are_served(
    open_isolated: Opener, events: EventRecorder, tmp_path: Path
) -> None:
    pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
    store = open_isolated(f"chroma://{tmp_path}/c", policy=POLICY)
    vectors = np.random.default_rng(5).standard_normal((10, 4)).astype(np.float32)
    for name in ("bad", "good"):
        store.create_collection(name, 4)
        store.upsert(name, [f"{name}-{i}" for i in range(10)], vectors)
    inject(store, "segv", "query", times=3)
    with pytest.raises(WorkerCrashed, match="poison request"):
        store.search("bad", vectors[0], k=3)  # crashes, and so does its retry
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        store.search("bad", vectors[0], k=3)  # the third crash in a row: quarantined, so not retried
    assert [event.detail["collection"] for event in events.of("collection_quarantined")] == ["bad"]
    before = store.stats()
    with pytest.raises(CollectionQuarantined, match=r"'bad' is quarantined.*3 times.*SIGSEGV.*doctor --repair"):
        store.search("bad", vectors[0], k=3)
    after = store.stats()  # refused in the host: no worker was started (or killed) for it
    assert (after["restarts"], after["worker"]) == (before["restarts"], before["worker"])
    try:
        assert store.count("good") == 10
        assert store.search("good", vectors[0], k=3)[0].id == "good-0"
    except CircuitOpen as exc:  # the outage: a healthy collection failing for another's crashes
        pytest.fail(f"a healthy collection was refused: {exc}")
    stats = store.stats()
    assert stats["circuit"]["state"] == "closed" and stats["circuit"]["consecutive_failures"] == 0
    assert stats["quarantined"]["bad"]["crashes"] == 3 and "SIGSEGV" in stats["quarantined"]["bad"]["last"]
    store.adapter.repair("bad")  # the way out: passes the quarantine, and lifts it
    assert [event.detail["how"] for event in events.of("collection_released")] == ["repaired"]
    assert store.stats()["quarantined"] == {}
    assert store.search("bad", vectors[0], k=3)[0].id == "bad-0"

