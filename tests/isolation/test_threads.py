"""Eight host threads share one isolated store while faults are injected: no deadlock, every failure typed, and no
acknowledged write lost (on persistent backends). The long version runs with ``-m heavy``."""

from __future__ import annotations

import sys
import threading
from collections import Counter

import pytest

from vectorstore.errors import WorkerCrashed, WorkerTimeout
from vectorstore.isolation.faults import FaultKind, Moment

from .conftest import Opener, Target
from .helpers import inject, vectors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the injected faults use POSIX signals")

THREADS = 8
#: (kind, op, when, times): crashes before and after the backend call on reads and writes, and one poison request.
PLAN: list[tuple[FaultKind, str, Moment, int]] = [
    ("segv", "upsert", "after", 1),
    ("abort", "get", "before", 1),
    ("sigkill", "count", "before", 1),
    ("segv", "query", "after", 1),
    ("exit", "upsert", "before", 1),
    ("segv", "upsert", "before", 2),
]


@pytest.mark.parametrize("rounds", [pytest.param(10, id="ci"), pytest.param(60, id="long", marks=pytest.mark.heavy)])
def test_threads_share_a_store_while_workers_crash(open_isolated: Opener, persistent: Target, rounds: int) -> None:
    store = open_isolated(persistent(timeout_s=30))
    store.create_collection("docs", 8)
    acknowledged: set[str] = set()
    typed: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    finished_rounds = threading.Semaphore(0)

    def work(thread: int) -> None:
        for round_ in range(rounds):
            ids = [f"t{thread}-r{round_}-{j}" for j in range(5)]
            try:
                store.upsert("docs", ids, vectors(5, seed=thread * 1000 + round_))
                with lock:
                    acknowledged.update(ids)
                assert [record.id for record in store.get("docs", ids)] == ids  # read your own write
                assert len(store.search("docs", vectors(1, seed=round_)[0], k=3)) == 3
                assert store.count("docs") >= len(ids)
            except (WorkerCrashed, WorkerTimeout) as exc:
                with lock:
                    typed[type(exc).__name__] += 1
            except BaseException as exc:  # anything else fails the test below
                unexpected.append(exc)
                return
            finally:
                finished_rounds.release()

    threads = [threading.Thread(target=work, args=(t,), name=f"host-{t}") for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for kind, op, when, times in PLAN:  # one fault per THREADS finished rounds, while calls are in flight
        for _ in range(THREADS):
            assert finished_rounds.acquire(timeout=300), "no progress: deadlock?"
        inject(store, kind, op, when, times=times)
    for thread in threads:
        thread.join(timeout=600)
    assert [thread.name for thread in threads if thread.is_alive()] == [], "deadlock"
    assert unexpected == []
    report = store.stats()
    assert report["failures"]["crash"] == sum(times for *_, times in PLAN)  # every fault really fired
    assert report["failures"]["poison"] == 1 and typed["WorkerCrashed"] >= 1
    present = {record.id for record in store.get("docs", sorted(acknowledged))}
    assert sorted(acknowledged - present) == []
