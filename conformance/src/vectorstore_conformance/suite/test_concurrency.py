"""Concurrency (DESIGN 3.5): 8 threads share one store doing upsert/get/query/delete/count; nothing is lost.

Each thread owns the records tagged with its number, so while the threads interleave, every thread can still check
exactly what it reads back of its own records (read-your-writes), and the final state is the union of the threads'
references.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from vectorstore.store import VectorStore

from ..checks import ALL_FIELDS, SCORE_TOLERANCE, expect_no_problems, record_problems
from ..fixtures import StoreFixtures
from ..reference import Reference

THREADS, STEPS, BATCH, DIM = 8, 12, 6, 8


def _worker(
    store: VectorStore, name: str, thread: int, steps: int, reference: Reference, problems: list[str]
) -> None:
    generator = np.random.default_rng(500 + thread)
    mine = {"thread": thread}
    for step in range(steps):
        ids = [f"t{thread}-{int(i)}" for i in generator.choice(3 * BATCH, size=BATCH, replace=False)]
        vectors = generator.standard_normal((BATCH, DIM)).astype(np.float32)
        documents = [f"thread {thread} step {step}"] * BATCH
        metadatas = [{"thread": thread, "step": step}] * BATCH
        store.upsert(name, ids, vectors, documents, metadatas)
        reference.upsert(ids, vectors, documents, metadatas)
        doomed = [f"t{thread}-{int(i)}" for i in generator.choice(3 * BATCH, size=2, replace=False)]
        store.delete(name, doomed)
        reference.delete(doomed)
        wanted = [f"t{thread}-{i}" for i in range(3 * BATCH)]
        got = store.get(name, wanted, include=ALL_FIELDS)
        if [r.id for r in got] != [i for i in wanted if i in reference.rows]:
            problems.append(f"thread {thread} step {step}: get returned {[r.id for r in got]}")
        problems.extend(
            p for r in got if r.id in reference.rows for p in record_problems(r, reference.rows[r.id], ALL_FIELDS)
        )
        count = store.count(name, where=mine)
        if count != len(reference.rows):
            problems.append(f"thread {thread} step {step}: count {count}, expected {len(reference.rows)}")
        kept = next(i for i, record_id in enumerate(ids) if record_id in reference.rows)
        found = store.search(name, vectors[kept], k=5, where=mine)
        if not found or found[0].id != ids[kept] or abs(found[0].score - 1.0) > SCORE_TOLERANCE:
            problems.append(
                f"thread {thread} step {step}: searching {ids[kept]}'s own vector found {[m.id for m in found]}"
            )
        store.query(name, vectors[:2], k=5)  # unfiltered: other threads' records move underneath; it must not fail


class ConcurrencyTests(StoreFixtures):
    group = "concurrency"
    __requires__ = ("thread_safe", "filter_eq")
    #: How many callers share the store, and the steps each takes (the async twin runs 50 callers, each a task on
    #: the store's loop, of 2 steps: about the same work in all).
    threads, steps = THREADS, STEPS

    def test_threads_share_one_store(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=DIM, metric="cosine")
        references = [Reference() for _ in range(self.threads)]
        problems: list[str] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(self.threads)

        def run(thread: int) -> None:
            try:
                barrier.wait()
                _worker(store, name, thread, self.steps, references[thread], problems)
            except BaseException as exc:  # reported below with the thread
                errors.append(exc)
                problems.append(f"thread {thread}: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=run, args=(t,)) for t in range(self.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected = {i: row for reference in references for i, row in reference.rows.items()}
        assert store.count(name) == len(expected)
        scanned = [r for batch in store.scan(name, include=ALL_FIELDS) for r in batch]
        assert sorted(r.id for r in scanned) == sorted(expected)
        problems += [p for r in scanned for p in record_problems(r, expected[r.id], ALL_FIELDS)]
        expect_no_problems(problems)
