"""Concurrent single queries are merged into fewer adapter calls (vectorstore.aio.coalescing), and each task still
gets exactly what it would get alone: its own rows, its own filter's and k's answer, its own error; a cancelled task
leaves the others' answers intact."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import vectorstore
from vectorstore import aio
from vectorstore.errors import CollectionNotFound

from .conftest import DIM, N, vectors

pytestmark = pytest.mark.asyncio

TASKS = 64


async def test_concurrent_searches_share_calls_and_each_gets_its_own_rows(chroma: aio.AsyncVectorStore) -> None:
    rows = vectors(1, N)[:TASKS]
    before = (await chroma.stats())["calls_by_op"].get("query", 0)
    results = await asyncio.gather(*(chroma.search("docs", rows[i], k=3) for i in range(TASKS)))
    assert [matches[0].id for matches in results] == [f"r{i}" for i in range(TASKS)]  # each row's own nearest
    assert all(len(matches) == 3 for matches in results)
    calls = (await chroma.stats())["calls_by_op"]["query"] - before
    assert calls < TASKS, "the searches were not merged"


async def test_merged_answers_equal_the_sync_store_s_for_each_filter_and_k() -> None:
    """Filters that Python finds equal (1, 1.0 and True) and different k are never merged into one call."""
    sync = vectorstore.open("memory://")
    store = aio.AsyncVectorStore(sync, owns=False)
    try:
        sync.create_collection("docs", DIM)
        values: list[Any] = [1, 1.0, True, 2, False]
        sync.upsert(
            "docs", [f"r{i}" for i in range(60)], vectors(3, 60), metadatas=[{"x": values[i % 5]} for i in range(60)]
        )
        probes = vectors(4, 40)
        calls = [(probes[i], 1 + i % 4, {"x": values[i % 5]}) for i in range(40)]
        got = await asyncio.gather(*(store.search("docs", vector, k=k, where=where) for vector, k, where in calls))
        assert got == [sync.search("docs", vector, k=k, where=where) for vector, k, where in calls]
        assert {len(matches) for matches in got} == {1, 2, 3, 4}
    finally:
        store.detach()
        sync.close()


async def test_a_cancelled_task_leaves_the_others_answers(chroma: aio.AsyncVectorStore) -> None:
    rows = vectors(1, N)[:TASKS]
    tasks = [asyncio.ensure_future(chroma.search("docs", rows[i], k=1)) for i in range(TASKS)]
    await asyncio.sleep(0)  # every task is waiting for its rows now
    for task in tasks[1::2]:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes[1::2])
    assert [matches[0].id for matches in outcomes[0::2]] == [f"r{i}" for i in range(0, TASKS, 2)]  # type: ignore[index]
    assert (await chroma.search("docs", rows[5], k=1))[0].id == "r5"  # and the store serves on


async def test_every_task_of_a_failing_merged_call_gets_the_error(chroma: aio.AsyncVectorStore) -> None:
    await chroma.create_collection("gone", DIM)
    rows = vectors(5, TASKS)
    await chroma.search("gone", rows[0], k=1)  # the store knows its shape: the searches reach the adapter
    await chroma.bridged.adapter.engine.run(chroma.inner.adapter.delete_collection, "gone")  # behind its back
    outcomes = await asyncio.gather(*(chroma.search("gone", row, k=1) for row in rows), return_exceptions=True)
    assert all(isinstance(outcome, CollectionNotFound) for outcome in outcomes), outcomes
