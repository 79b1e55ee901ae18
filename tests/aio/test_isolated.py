"""An isolated store under asyncio: the loop keeps running while 200 queries wait on the worker, faults while 50
tasks are in flight give every task a result or a typed error (none hangs), and cancelled tasks leave the worker's
protocol in step."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from vectorstore import aio
from vectorstore.errors import BackendUnavailable, WorkerTimeout
from vectorstore.isolation import timeout

from .conftest import N, vectors

pytestmark = pytest.mark.asyncio

#: Bound on waiting for all tasks: generous (a slow shared machine), only there so a hang fails instead of blocking.
LIMIT_S = 120.0


class Ticker:
    """A coroutine ticking every 1 ms; :attr:`ticks` counts how often the loop let it run, :attr:`seen` what
    ``probe`` returned at each tick."""

    def __init__(self, probe: Any = None) -> None:
        self.ticks = 0
        self.probe = probe
        self.seen: list[Any] = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            self.ticks += 1
            if self.probe is not None:
                self.seen.append(self.probe())

    async def stop(self) -> None:
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


def _expected_first(results: list[Any]) -> list[str]:
    return [row[0].id for row in results]


async def test_loop_keeps_ticking_during_200_queries(chroma: aio.AsyncVectorStore) -> None:
    """No call holds the loop: the 1 ms ticker ran while requests were in the worker, and kept ticking between the
    first and the last completion; every search had started before the first one completed.

    A call that blocked the loop would keep the ticker from running while its request is in the worker. (Counting
    ticks per completion shows no blocking, since a blocked loop runs neither, and breaks when completions come in
    bursts: merged searches complete up to 16 at once.)"""
    rows = vectors(1, N)[:200]
    supervisor = chroma.inner.adapter._supervisor
    ticker = Ticker(probe=lambda: len(supervisor._worker.in_flight()) if supervisor._worker is not None else 0)
    started: list[int] = []
    started_before_completion: list[int] = []
    ticks_at_completion: list[int] = []

    async def search(i: int) -> str:
        started.append(i)
        matches = await chroma.search("docs", rows[i], k=3)
        started_before_completion.append(len(started))
        ticks_at_completion.append(ticker.ticks)
        return matches[0].id

    found = await asyncio.wait_for(asyncio.gather(*(search(i) for i in range(200))), LIMIT_S)
    await ticker.stop()
    assert found == [f"r{i}" for i in range(200)]
    assert max(ticker.seen) > 0, "the loop never ran while a request was in the worker: the calls block it"
    assert ticks_at_completion[-1] > ticks_at_completion[0], ticks_at_completion  # 200 searches take far over 1 ms
    assert started_before_completion[0] == 200, "a search completed before every task had started"


async def test_200_concurrent_queries_block_no_thread(chroma: aio.AsyncVectorStore) -> None:
    """Each call is submitted to the worker and its future awaited: no pool thread, no thread per call; only the
    worker's one reader thread reads the replies."""
    rows = vectors(1, N)[:200]
    before = {thread.ident for thread in threading.enumerate()}
    found = await asyncio.wait_for(asyncio.gather(*(chroma.search("docs", row, k=1) for row in rows)), LIMIT_S)
    assert [matches[0].id for matches in found] == [f"r{i}" for i in range(200)]
    started = [thread.name for thread in threading.enumerate() if thread.ident not in before]
    assert all(name.startswith("vectorstore-reader-") for name in started), started
    assert not [thread.name for thread in threading.enumerate() if thread.name.startswith("vectorstore-aio")]


async def test_sync_callers_and_awaiting_tasks_share_the_reading(chroma: aio.AsyncVectorStore) -> None:
    """Sync threads waiting on the same worker read replies for the awaiting tasks and hand the reading back to the
    reader thread when they are done: every call gets its own answer."""
    rows = vectors(1, N)
    sync_found: list[list[str]] = [[] for _ in range(4)]

    def sync_caller(n: int) -> None:
        for i in range(n * 50, n * 50 + 50):
            sync_found[n].append(chroma.inner.search("docs", rows[i], k=1)[0].id)

    threads = [threading.Thread(target=sync_caller, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    found = await asyncio.wait_for(
        asyncio.gather(*(chroma.search("docs", rows[i], k=1) for i in range(200, 400))), LIMIT_S
    )
    for thread in threads:
        await asyncio.to_thread(thread.join, LIMIT_S)
    assert [matches[0].id for matches in found] == [f"r{i}" for i in range(200, 400)]
    assert sync_found == [[f"r{i}" for i in range(n * 50, n * 50 + 50)] for n in range(4)]


@pytest.mark.parametrize("kind", ["segv", "hang"])
async def test_fault_while_50_tasks_are_in_flight(chroma: aio.AsyncVectorStore, kind: str) -> None:
    rows = vectors(1, N)
    chroma.adapter._inject_fault(kind, "query", times=1)

    async def search(i: int) -> str | BaseException:
        try:
            return (await chroma.search("docs", rows[i], k=1))[0].id
        except BackendUnavailable as exc:  # WorkerCrashed / WorkerTimeout: typed, never a bare or native error
            return exc

    outcomes = await asyncio.wait_for(asyncio.gather(*(search(i) for i in range(50))), LIMIT_S)
    answered = [outcome for outcome in outcomes if isinstance(outcome, str)]
    assert all(outcome == f"r{i}" for i, outcome in enumerate(outcomes) if isinstance(outcome, str))
    assert answered, outcomes  # the fault fails at most the calls in flight with it; the rest are served
    if kind == "hang":  # a timeout is not retried: its call, at least, failed with WorkerTimeout
        assert len(answered) < 50
    assert (await chroma.search("docs", rows[7], k=1))[0].id == "r7"
    assert await chroma.count("docs") == N


async def test_cancelled_tasks_leave_the_protocol_in_step(chroma: aio.AsyncVectorStore) -> None:
    rows = vectors(1, N)
    tasks = [asyncio.ensure_future(chroma.search("docs", rows[i], k=1)) for i in range(60)]
    await asyncio.sleep(0)
    for task in tasks[::2]:
        task.cancel()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), LIMIT_S)
    for i, outcome in enumerate(outcomes):
        assert isinstance(outcome, asyncio.CancelledError) or outcome[0].id == f"r{i}", (i, outcome)
    again = await asyncio.gather(*(chroma.search("docs", rows[i], k=1) for i in range(60)))
    assert [matches[0].id for matches in again] == [f"r{i}" for i in range(60)]
    assert chroma.adapter.stats()["restarts"] == 0


async def test_a_timeout_set_in_the_task_applies_to_its_calls(chroma: aio.AsyncVectorStore) -> None:
    chroma.adapter._inject_fault("hang", "count", times=1)
    with timeout(0.5), pytest.raises(WorkerTimeout, match="within 0.5 s"):
        await asyncio.wait_for(chroma.count("docs"), LIMIT_S)
    assert await chroma.count("docs") == N


async def test_stats_are_the_isolation_report(chroma: aio.AsyncVectorStore) -> None:
    """``stats`` is answered by the host side (the supervisor's report, with the adapter's own figures inside), not
    sent to the worker as a plain adapter call."""
    report = await chroma.stats()
    assert report["isolation"] == "process" and isinstance(report["adapter"], dict)
