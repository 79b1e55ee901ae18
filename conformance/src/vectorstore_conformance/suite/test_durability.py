"""Durability (DESIGN 3.5): a write that returned survives the writer being SIGKILLed right after."""

from __future__ import annotations

from collections.abc import Callable

from vectorstore.store import VectorStore

from .. import durability_child
from ..checks import ALL_FIELDS, expect_no_problems, record_problems
from ..fixtures import StoreFixtures
from ..processes import Child, retry_locked
from ..reference import Reference

DIM = 8
#: The parent kills the writer right after reading this many acknowledgements.
ACKS = 5


class DurabilityTests(StoreFixtures):
    group = "durability"
    __requires__ = ("persistent",)

    def test_acknowledged_writes_survive_sigkill(
        self, store: VectorStore, store_url: str, make_collection: Callable[..., str], reopen: Callable[[], VectorStore]
    ) -> None:
        name = make_collection(dimension=DIM)
        store.close()  # the child must be the only owner of a persistent path
        child = Child("-m", "vectorstore_conformance.durability_child", store_url, name, str(DIM))
        acked = -1
        for line in child.lines():
            if line.startswith("acked "):
                acked = int(line.split()[1])
                if acked + 1 >= ACKS:
                    child.kill()
                    break
        else:
            raise AssertionError(f"the writer exited after {acked + 1} acknowledged batches:\n{child.stderr()}")
        reopened = retry_locked(reopen)
        reference = Reference()
        for number in range(acked + 1):
            reference.upsert(*durability_child.batch(number, DIM))
        count = reopened.count(name)
        assert count >= len(reference.rows), f"{count} records after the kill, {len(reference.rows)} were acknowledged"
        got = reopened.get(name, list(reference.rows), include=ALL_FIELDS)
        missing = sorted(set(reference.rows) - {r.id for r in got})
        assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
        expect_no_problems([p for r in got for p in record_problems(r, reference.rows[r.id], ALL_FIELDS)])
