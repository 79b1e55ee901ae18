"""What process isolation costs, measured side by side in one run (issue 5, DESIGN 5).

- upsert: 10,000 x 384 float32 vectors in batches of 1,000 into a fresh collection, isolated vs direct, repeated
  with the order alternating; the median total time of each side;
- query: one vector, k=10, on that collection: isolated and direct queries interleaved, median latency of each;
- spawn-per-call: the naive fix, a new process per call that opens the store and runs one query (median);
- transfer (``--transfer``): the same upsert into ``memory://`` isolated with the shared-memory arena and with pipe
  frames only, where moving the vectors is a visible share of the call.

Targets: upsert ratio <= 1.10, query median ratio <= 1.15, isolated query >= 100x faster than spawn-per-call.

    python bench/isolation_overhead.py                      # Chroma (needs adapters/chroma installed)
    python bench/isolation_overhead.py --backend memory     # the reference adapter, to debug the harness
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

import vectorstore
from vectorstore import VectorStore
from vectorstore.config import resolve
from vectorstore.isolation import IsolatedAdapter, IsolationPolicy

TARGETS = {"upsert": 1.10, "query": 1.15, "spawn_speedup": 100.0}


def _urls(backend: str, root: Path) -> tuple[str, str]:
    """(direct, isolated) URLs on separate paths, so neither store waits for the other's lock."""
    if backend == "chroma":
        return f"chroma://{root}/direct?isolation=none", f"chroma://{root}/isolated?isolation=process"
    return "memory://?isolation=none", "memory://?isolation=process"


def _upsert_side_by_side(
    stores: dict[str, VectorStore], name: str, data: np.ndarray, batch: int, repeat: int
) -> dict[str, float]:
    """Load ``data`` into a new collection on each side, batch by batch, alternating which side goes first, so
    both see the same machine load; returns each side's total."""
    ids = [f"id{i}" for i in range(len(data))]
    totals = dict.fromkeys(stores, 0.0)
    for store in stores.values():
        store.create_collection(name, data.shape[1], "cosine")
    for number, start in enumerate(range(0, len(data), batch)):
        chunk_ids, chunk = ids[start : start + batch], data[start : start + batch]
        sides = list(stores.items())
        for side, store in sides if (number + repeat) % 2 == 0 else sides[::-1]:
            started = time.perf_counter()
            store.upsert(name, chunk_ids, chunk)
            totals[side] += time.perf_counter() - started
    return totals


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _spawned_query(conn: Connection, url: str, name: str, vector: np.ndarray, k: int) -> None:
    """The body of one spawn-per-call process: open, query once, answer, exit."""
    with vectorstore.open(url) as store:
        if store.capabilities.persistent:
            conn.send([match.id for match in store.search(name, vector, k=k)])
        else:  # a new process sees an empty memory store: open it and make one call
            conn.send(store.list_collections())


def _spawn_per_call(url: str, name: str, vector: np.ndarray, k: int) -> float:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    started = time.perf_counter()
    process = context.Process(target=_spawned_query, args=(child, url, name, vector, k))
    process.start()
    child.close()
    parent.recv()  # EOFError if the child failed (its traceback is on stderr)
    elapsed = time.perf_counter() - started
    process.join()
    return elapsed


def _ratio_line(label: str, isolated: float, direct: float, unit: str, target: float) -> str:
    ratio = isolated / direct
    verdict = "ok" if ratio <= target else "ABOVE TARGET"
    return (
        f"{label:<28} isolated {isolated:9.3f} {unit}   direct {direct:9.3f} {unit}   "
        f"ratio {ratio:5.3f}  (<= {target}: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["chroma", "memory"], default="chroma")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3, help="upsert repeats per side")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--spawn-calls", type=int, default=5)
    parser.add_argument("--transfer", action="store_true", help="also compare shared memory with pipe frames")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    data = rng.standard_normal((args.n, args.dimension), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dimension), dtype=np.float32)
    root = Path(tempfile.mkdtemp(prefix="isolation-bench-"))
    direct_url, isolated_url = _urls(args.backend, root)
    print(
        f"backend {args.backend}: {args.n} x {args.dimension} float32, batches of {args.batch}; "
        f"Python {sys.version.split()[0]}"
    )

    direct, isolated = vectorstore.open(direct_url), vectorstore.open(isolated_url)
    assert isinstance(isolated.adapter, IsolatedAdapter) and not isinstance(direct.adapter, IsolatedAdapter)
    upserts: dict[str, list[float]] = {"direct": [], "isolated": []}
    keep = f"bench{args.repeats - 1}"
    for repeat in range(args.repeats):
        totals = _upsert_side_by_side(
            {"direct": direct, "isolated": isolated}, f"bench{repeat}", data, args.batch, repeat
        )
        for side, total in totals.items():
            upserts[side].append(total)
        if repeat < args.repeats - 1:
            direct.delete_collection(f"bench{repeat}")
            isolated.delete_collection(f"bench{repeat}")

    latencies: dict[str, list[float]] = {"direct": [], "isolated": []}
    for vector in queries[:20]:  # warm both sides
        direct.search(keep, vector, k=10)
        isolated.search(keep, vector, k=10)
    for i, vector in enumerate(queries):
        pair = [("direct", direct), ("isolated", isolated)]
        for side, store in pair if i % 2 == 0 else pair[::-1]:
            latencies[side].append(_timed(partial(store.search, keep, vector, k=10)))
    report = isolated.stats()
    isolated.close()
    direct.close()

    spawned = [_spawn_per_call(direct_url, keep, queries[i], 10) for i in range(args.spawn_calls)]  # path now free

    upsert_direct, upsert_isolated = statistics.median(upserts["direct"]), statistics.median(upserts["isolated"])
    query_direct = statistics.median(latencies["direct"]) * 1000
    query_isolated = statistics.median(latencies["isolated"]) * 1000
    spawn_median = statistics.median(spawned) * 1000
    print()
    print(_ratio_line(f"upsert {args.n} (total)", upsert_isolated, upsert_direct, "s ", TARGETS["upsert"]))
    print(_ratio_line("query k=10 (median)", query_isolated, query_direct, "ms", TARGETS["query"]))
    speedup = spawn_median / query_isolated
    verdict = "ok" if speedup >= TARGETS["spawn_speedup"] else "BELOW TARGET"
    print(
        f"{'spawn-per-call query':<28} median {spawn_median:9.1f} ms ({args.spawn_calls} calls); isolated is "
        f"{speedup:,.0f}x faster per call  (>= {TARGETS['spawn_speedup']:.0f}x: {verdict})"
    )
    print(
        f"{'':<28} upsert runs (s): direct {[round(t, 3) for t in upserts['direct']]}, "
        f"isolated {[round(t, 3) for t in upserts['isolated']]}"
    )
    quantiles = {side: np.percentile(np.array(values) * 1000, [95, 99]) for side, values in latencies.items()}
    print(
        f"{'':<28} query p95/p99 (ms): direct {quantiles['direct'].round(3).tolist()}, "
        f"isolated {quantiles['isolated'].round(3).tolist()}"
    )
    print(f"{'':<28} isolated store's own p50/p95/p99 for search: {report['latency_ms'].get('query')}")

    if args.transfer:
        _transfer(data, args.batch)
    return 0


def _transfer(data: np.ndarray, batch: int) -> None:
    """Where the vectors' trip dominates: isolated memory:// upserts, shared memory vs pipe frames vs direct."""
    print()
    results: dict[str, list[float]] = {}
    stores = {
        "direct": vectorstore.open("memory://"),
        "shared memory": VectorStore(IsolatedAdapter(resolve("memory://", isolation="process"))),
        "pipe frames": VectorStore(
            IsolatedAdapter(resolve("memory://", isolation="process"), IsolationPolicy(shared_memory_limit=0))
        ),
    }
    ids = [f"id{i}" for i in range(batch)]
    chunk = data[:batch]
    for label, store in stores.items():
        store.create_collection("transfer", data.shape[1])
        for _ in range(5):
            store.upsert("transfer", ids, chunk)
        results[label] = [_timed(partial(store.upsert, "transfer", ids, chunk)) for _ in range(50)]
        store.close()
    medians = {label: statistics.median(values) * 1000 for label, values in results.items()}
    print(f"transfer: one upsert of {batch} x {data.shape[1]} into memory:// (median of 50)")
    for label, value in medians.items():
        print(f"  {label:<14} {value:8.3f} ms   (+{value - medians['direct']:.3f} ms over direct)")


if __name__ == "__main__":
    raise SystemExit(main())
