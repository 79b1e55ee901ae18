"""What the async store costs and gives, on isolated Chroma and Qdrant Edge (issue 15).

- probe: a coroutine sleeping 1 ms in a loop while 200 concurrent ``search`` tasks run; the largest gap between two
  of its ticks (goal: under 20 ms; a blocked loop shows as one gap as long as the blocking call);
- throughput: 64 concurrent ``search`` tasks (``ROUNDS_PER_CALLER`` searches each) on the async store, against the
  same searches through the sync store from 64 threads; both on one store (the async one wraps the sync one, so
  they share the adapter and, isolated, its worker); the two sides alternate for ``--rounds`` rounds (>= 5) and
  the medians are compared (goal: async / sync-threads >= 1.0).

    python bench/async.py                       # both backends
    python bench/async.py --backend chroma --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import vectorstore
from vectorstore import aio

N, DIM, K = 2000, 64, 10
CALLERS = 64
ROUNDS_PER_CALLER = 10
PROBE_TASKS = 200
URLS = {"chroma": "chroma://{root}/c", "qdrant-edge": "qdrant://{root}/q"}


def _vectors(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


async def _largest_probe_gap(store: aio.AsyncVectorStore, queries: np.ndarray) -> float:
    """The longest time the loop left a 1 ms ticker waiting while PROBE_TASKS searches ran, in ms."""
    gaps: list[float] = []
    running = True

    async def tick() -> None:
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)
    await asyncio.gather(*(store.search("bench", queries[i % len(queries)], k=K) for i in range(PROBE_TASKS)))
    running = False
    await ticker
    return max(gaps) * 1000


async def _async_round(store: aio.AsyncVectorStore, queries: np.ndarray) -> float:
    """Searches per second of CALLERS concurrent tasks."""

    async def caller(c: int) -> None:
        for r in range(ROUNDS_PER_CALLER):
            await store.search("bench", queries[(c * ROUNDS_PER_CALLER + r) % len(queries)], k=K)

    started = time.perf_counter()
    await asyncio.gather(*(caller(c) for c in range(CALLERS)))
    return CALLERS * ROUNDS_PER_CALLER / (time.perf_counter() - started)


def _threads_round(store: vectorstore.VectorStore, queries: np.ndarray) -> float:
    """Searches per second of CALLERS threads calling the sync store."""
    barrier = threading.Barrier(CALLERS + 1)

    def caller(c: int) -> None:
        barrier.wait()
        for r in range(ROUNDS_PER_CALLER):
            store.search("bench", queries[(c * ROUNDS_PER_CALLER + r) % len(queries)], k=K)

    threads = [threading.Thread(target=caller, args=(c,)) for c in range(CALLERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return CALLERS * ROUNDS_PER_CALLER / (time.perf_counter() - started)


async def measure(backend: str, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as root:
        sync = vectorstore.open(URLS[backend].format(root=Path(root)))
        try:
            store = aio.AsyncVectorStore(sync, owns=False)
            sync.create_collection("bench", DIM)
            sync.upsert("bench", [f"r{i}" for i in range(N)], _vectors(1, N), metadatas=[{"i": i} for i in range(N)])
            queries = _vectors(2, 256)
            await _async_round(store, queries)  # warm both paths
            await asyncio.to_thread(_threads_round, sync, queries)
            gaps, async_rates, thread_rates = [], [], []
            for _ in range(rounds):
                gaps.append(await _largest_probe_gap(store, queries))
                async_rates.append(await _async_round(store, queries))
                thread_rates.append(await asyncio.to_thread(_threads_round, sync, queries))
            await store.close()
        finally:
            sync.close()
    return {
        "largest_gap_ms_median": statistics.median(gaps),
        "largest_gap_ms_max": max(gaps),
        "async_per_s": statistics.median(async_rates),
        "threads_per_s": statistics.median(thread_rates),
        "ratio": statistics.median(async_rates) / statistics.median(thread_rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=[*URLS, "all"], default="all")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if options.rounds < 5:
        parser.error("--rounds must be at least 5 (medians of interleaved rounds)")
    for backend in URLS if options.backend == "all" else [options.backend]:
        result = asyncio.run(measure(backend, options.rounds))
        print(
            f"{backend:12s} probe largest gap {result['largest_gap_ms_median']:.1f} ms median "
            f"({result['largest_gap_ms_max']:.1f} max; goal < 20)  "
            f"search x{CALLERS}: async {result['async_per_s']:.0f}/s, sync+threads {result['threads_per_s']:.0f}/s, "
            f"ratio {result['ratio']:.2f} (goal >= 1.0)"
        )


if __name__ == "__main__":
    main()
