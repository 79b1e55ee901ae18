"""Throughput of 8 host threads querying one store: isolated Chroma vs in-process Chroma (``isolation=none``) on the
same data (issue 13, item 3).

Each round runs the same batch of single-vector queries (k=10) from ``--threads`` threads on each side, the side
order alternating between rounds so both see the same machine load; reported: queries per second per side (median
of the rounds) and their ratio. Target: isolated / in-process >= 0.90 at 10k and 100k x 384.

    python bench/isolation_concurrency.py                 # 10,000 x 384
    python bench/isolation_concurrency.py --n 100000      # the 100k figure (loading takes minutes)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

import vectorstore
from vectorstore import VectorStore

TARGET = 0.90


def _load(store: VectorStore, name: str, data: np.ndarray, batch: int) -> None:
    store.create_collection(name, data.shape[1], "cosine")
    for start in range(0, len(data), batch):
        store.upsert(name, [f"id{i}" for i in range(start, min(start + batch, len(data)))], data[start : start + batch])


def _throughput(store: VectorStore, name: str, queries: np.ndarray, threads: int) -> float:
    """Queries per second with ``threads`` threads sharing ``queries`` (each thread takes every threads-th one)."""
    barrier = threading.Barrier(threads + 1)

    def work(offset: int) -> None:
        barrier.wait()
        for vector in queries[offset::threads]:
            store.search(name, vector, k=10)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    return len(queries) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--queries", type=int, default=800, help="queries per side per round")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    data = rng.standard_normal((args.n, args.dimension), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dimension), dtype=np.float32)
    root = Path(tempfile.mkdtemp(prefix="isolation-concurrency-"))
    stores = {
        "isolated": vectorstore.open(f"chroma://{root}/isolated?isolation=process"),
        "in-process": vectorstore.open(f"chroma://{root}/direct?isolation=none"),
    }
    print(f"{args.n} x {args.dimension} float32, {args.threads} threads, {args.queries} queries per side per round, "
          f"{args.rounds} rounds; Python {sys.version.split()[0]}")
    for store in stores.values():
        _load(store, "bench", data, 1_000)
        _throughput(store, "bench", queries[:100], args.threads)  # warm
    rates: dict[str, list[float]] = {side: [] for side in stores}
    for round_ in range(args.rounds):
        sides = list(stores.items())
        for side, store in sides if round_ % 2 == 0 else sides[::-1]:
            rates[side].append(_throughput(store, "bench", queries, args.threads))
    single = {side: _throughput(store, "bench", queries[:200], 1) for side, store in stores.items()}
    for store in stores.values():
        store.close()
    medians = {side: statistics.median(values) for side, values in rates.items()}
    ratio = medians["isolated"] / medians["in-process"]
    print(f"isolated   {medians['isolated']:8.1f} q/s  rounds {[round(r, 1) for r in rates['isolated']]}")
    print(f"in-process {medians['in-process']:8.1f} q/s  rounds {[round(r, 1) for r in rates['in-process']]}")
    print(f"ratio isolated / in-process {ratio:.3f}  (>= {TARGET}: {'ok' if ratio >= TARGET else 'BELOW TARGET'})")
    print(f"1 thread: isolated {single['isolated']:.1f} q/s, in-process {single['in-process']:.1f} q/s; "
          f"{args.threads} threads / 1 thread: isolated {medians['isolated'] / single['isolated']:.2f}, "
          f"in-process {medians['in-process'] / single['in-process']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
