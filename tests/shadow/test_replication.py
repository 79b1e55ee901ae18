"""Writes reach the shadow through the journal, in order; a shadow that is unavailable never fails the caller."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore.errors import InvalidInput

from .conftest import DIMENSION, DRAIN_S, Pair, assert_same, contents, python, records


def _wait(condition, timeout: float = DRAIN_S) -> bool:  # type: ignore[no-untyped-def]
    """Poll a condition that no event announces (another process's lock), bounded."""
    done = threading.Event()
    deadline = timeout
    while deadline > 0:
        if condition():
            return True
        done.wait(0.05)
        deadline -= 0.05
    return condition()


def test_every_kind_of_write_reaches_the_shadow_in_order(pair: Pair) -> None:
    rng = np.random.default_rng(1)
    with pair.open() as store:
        store.create_collection("docs", DIMENSION)
        store.upsert("docs", **records(0, 300, rng))
        store.upsert("docs", **records(100, 50, rng, tag="-v2"))  # full replace of 50 of them
        store.delete("docs", ids=["r1", "r2", "missing"])
        store.delete("docs", where={"t": "t1"})
        store.create_collection("gone", DIMENSION)
        store.upsert("gone", **records(0, 10, rng))
        store.delete_collection("gone")
        with pytest.raises(InvalidInput):
            store.upsert("docs", ["bad"], np.full((1, DIMENSION), np.nan, dtype=np.float32))
        assert store.wait_caught_up(DRAIN_S)
        stats = store.stats()["shadow"]
        assert stats["lag"]["writes"] == 0 and stats["applier"]["replay_errors"] == 0
    primary, shadow = contents(pair.primary, "docs"), contents(pair.shadow, "docs")
    deleted_by_filter = [j for j in range(300) if j not in (1, 2) and j % 5 and j % 3 == 1 and not 100 <= j < 150]
    assert len(primary) == 300 - 2 - len(deleted_by_filter)
    assert primary["r120"][1] == "doc 120-v2"
    assert_same(primary, shadow)
    with vectorstore.open(pair.shadow) as shadow_store:
        assert [info.name for info in shadow_store.list_collections()] == ["docs"]


def test_payload_indexes_reach_the_shadow(pair: Pair) -> None:
    """Declared with the collection or later, and carried by a backfill of a collection the shadow never saw."""
    rng = np.random.default_rng(4)
    with vectorstore.open(pair.primary) as primary:  # before the shadow existed: only a backfill brings it over
        primary.create_collection("early", DIMENSION, indexes={"t": "keyword"})
        primary.upsert("early", **records(0, 20, rng))
    with pair.open() as store:
        store.create_collection("docs", DIMENSION, indexes={"n": "integer"})
        store.create_index("docs", "t", "keyword")
        store.upsert("docs", **records(0, 20, rng))
        with pytest.raises(InvalidInput):
            store.create_index("docs", "x", "fuzzy")  # refused before anything is journaled
        assert store.backfill(["early"], timeout=DRAIN_S)
        assert store.wait_caught_up(DRAIN_S)
        assert store.stats()["shadow"]["applier"]["replay_errors"] == 0
    with vectorstore.open(pair.shadow) as shadow_store:
        assert shadow_store.list_indexes("docs") == {"n": "integer", "t": "keyword"}
        assert shadow_store.list_indexes("early") == {"t": "keyword"}
        assert shadow_store.count("docs", where={"t": "t1"}) == sum(1 for j in range(20) if j % 5 and j % 3 == 1)


def test_a_locked_shadow_never_fails_the_caller_and_the_journal_drains_after(pair: Pair, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    holder = subprocess.Popen(
        [python(), "-c", f"import sys, vectorstore; s = vectorstore.open({pair.shadow!r}); print('held', flush=True); "
                         "sys.stdin.read(); s.close()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pair.open() as store:
            store.create_collection("docs", DIMENSION)
            for start in range(0, 200, 20):
                store.upsert("docs", **records(start, 20, rng))
            store.delete("docs", ids=["r3"])
            assert _wait(lambda: store.stats()["shadow"]["applier"]["replay_errors"] >= 1)
            shadow = store.stats()["shadow"]
            assert shadow["lag"]["writes"] == 12 and not shadow["applier"]["shadow_open"]
            assert "StoreLocked" in shadow["applier"]["last_error"]
            holder.communicate("", timeout=60)
            assert store.wait_caught_up(DRAIN_S)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert_same(contents(pair.primary, "docs"), contents(pair.shadow, "docs"))


def test_a_crashing_shadow_worker_never_fails_the_caller(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTORSTORE_ISOLATION_FAULTS", "1")
    pair.shadow += "?isolation=process&circuit_cooldown_s=0.2"
    rng = np.random.default_rng(3)
    with pair.open() as store:
        store.create_collection("docs", DIMENSION)
        store.upsert("docs", **records(0, 10, rng))
        assert store.wait_caught_up(DRAIN_S)
        shadow = store.applier.shadow
        assert shadow is not None
        shadow.adapter._inject_fault("sigkill", "upsert", times=4)  # retried once per call: two failing calls
        for start in range(10, 110, 10):
            store.upsert("docs", **records(start, 10, rng))
        assert store.wait_caught_up(DRAIN_S)
        stats = store.stats()["shadow"]["applier"]
        assert stats["replay_errors"] >= 1 and "WorkerCrashed" in stats["last_error"]
    assert_same(contents(pair.primary, "docs"), contents(pair.shadow.split("?")[0], "docs"))
