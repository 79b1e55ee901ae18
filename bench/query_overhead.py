"""What one query costs on top of raw chromadb, in process and isolated, side by side (issue 13, item 4).

For each size (1k and 10k x 384; 100k with ``--large``) one collection is loaded once (documents and a small
metadata dict per record) and copied, so every side searches the same HNSW index with the same ``ef_search``:

- raw: chromadb's own ``collection.query`` on the in-process store's directory (same process, same chromadb
  system), asking for what our default ``include`` asks Chroma for (distances, documents, metadatas);
- none: ``store.search(name, vector, k=10)`` on ``chroma://...?isolation=none``;
- isolated: the same on ``isolation=process`` (the copy of the directory);
- no-op: a forwarded call that does almost nothing in the worker: the worker adapter's ``stats()`` (a dict built
  under a lock; ``IsolatedAdapter.stats`` answers on the host, so the bench calls its supervisor), in microseconds:
  *warm*, back to back (a burst of ``--queries`` calls after each round, its median; the issue's target), and
  *after idle*, interleaved with the queries like the other sides (both processes did other work or slept for
  milliseconds in between: on a VM, waking them costs most of it), isolated and in process.

Each round runs ``--queries`` single-vector queries, each on every side in turn (the order rotating from query to
query), so all sides see the same machine load; a side's figure is the median over rounds of its per-round median.

Targets: isolated / raw <= 1.15 at 1k and <= 1.05 at 100k; none / raw <= 1.05 at 10k; no-op isolated <= 60 us.

    python bench/query_overhead.py              # 1k and 10k
    python bench/query_overhead.py --large      # also 100k (loading takes minutes)
    python bench/query_overhead.py --reply-spin-ms 10   # a lone isolated call polls for its reply
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import chromadb
import numpy as np
from chromadb.config import Settings

import vectorstore
from vectorstore.isolation import IsolatedAdapter
from vectorstore.operations import OPERATIONS

NAME = "bench"
K = 10
#: The search breadth pinned on every side (what ``recall=fast`` gives at every size).
EF_SEARCH = 100
TARGETS = {"isolated_1000": 1.15, "isolated_100000": 1.05, "none_10000": 1.05, "noop_us": 60.0}


def _load(url: str, data: np.ndarray, batch: int) -> None:
    with vectorstore.open(url) as store:
        store.create_collection(NAME, data.shape[1], "cosine")
        for start in range(0, len(data), batch):
            ids = [f"id{i}" for i in range(start, min(start + batch, len(data)))]
            store.upsert(
                NAME,
                ids,
                data[start : start + batch],
                documents=[f"document {i}" for i in ids],
                metadatas=[{"n": int(i[2:]), "group": f"g{int(i[2:]) % 10}"} for i in ids],
            )


def _round(sides: dict[str, Callable[[np.ndarray], object]], queries: np.ndarray, shift: int) -> dict[str, float]:
    """One round: every query on every side in turn (the order rotating by query), each side's median latency.

    Interleaving call by call rather than side by side keeps the load of a shared machine out of the ratios."""
    names = list(sides)
    times: dict[str, list[float]] = {side: [] for side in names}
    for number, vector in enumerate(queries):
        turn = (number + shift) % len(names)
        for side in names[turn:] + names[:turn]:
            started = time.perf_counter()
            sides[side](vector)
            times[side].append(time.perf_counter() - started)
    return {side: statistics.median(values) for side, values in times.items()}


def _burst(call: Callable[[np.ndarray], object], calls: int) -> float:
    """Median latency of ``calls`` calls made back to back."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call(np.empty(0))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _measure(
    n: int, data: np.ndarray, queries: np.ndarray, rounds: int, root: Path, spin_ms: float
) -> dict[str, float]:
    """Median latency (s) of each side at ``n`` records."""
    direct_dir, isolated_dir = root / f"direct{n}", root / f"isolated{n}"
    options = f"ef_search={EF_SEARCH}"
    _load(f"chroma://{direct_dir}?isolation=none&{options}", data[:n], 1_000)
    shutil.copytree(direct_dir, isolated_dir)
    none = vectorstore.open(f"chroma://{direct_dir}?isolation=none&{options}")
    isolated = vectorstore.open(f"chroma://{isolated_dir}?isolation=process&{options}&reply_spin_ms={spin_ms}")
    raw = chromadb.PersistentClient(path=str(direct_dir), settings=Settings(anonymized_telemetry=False))
    collection = raw.get_collection(NAME, embedding_function=None)
    ef = ((collection.configuration_json or {}).get("hnsw") or {}).get("ef_search")
    assert ef == EF_SEARCH, f"ef_search is {ef}, expected {EF_SEARCH}"
    fields: list = ["distances", "documents", "metadatas"]
    assert isinstance(isolated.adapter, IsolatedAdapter)
    supervisor = isolated.adapter._supervisor

    def raw_query(vector: np.ndarray) -> object:
        return collection.query(query_embeddings=vector.reshape(1, -1), n_results=K, include=fields)

    sides: dict[str, Callable[[np.ndarray], object]] = {
        "raw": raw_query,
        "none": lambda vector: none.search(NAME, vector, k=K),
        "isolated": lambda vector: isolated.search(NAME, vector, k=K),
        "noop none": lambda vector: none.adapter.stats(),
        "noop isolated": lambda vector: supervisor.call("stats", OPERATIONS["stats"], ()),
    }
    _round(sides, queries[:20], 0)  # warm: indexes loaded, caches filled
    per_round: dict[str, list[float]] = {side: [] for side in [*sides, "noop warm"]}
    for round_ in range(rounds):
        for side, latency in _round(sides, queries, round_).items():
            per_round[side].append(latency)
        per_round["noop warm"].append(_burst(sides["noop isolated"], len(queries)))
    none.close()
    isolated.close()
    return {side: statistics.median(values) for side, values in per_round.items()}


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"(<= {target}: {'ok' if value <= target else 'ABOVE TARGET'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--queries", type=int, default=200, help="queries per side per round")
    parser.add_argument("--large", action="store_true", help="also measure 100,000 records")
    parser.add_argument("--reply-spin-ms", type=float, default=0.0,
                        help="the isolated store's reply_spin_ms (default 0, the store's default; 10 polls)")
    args = parser.parse_args()

    sizes = [1_000, 10_000] + ([100_000] if args.large else [])
    rng = np.random.default_rng(0)
    data = rng.standard_normal((sizes[-1], args.dimension), dtype=np.float32)
    queries = rng.standard_normal((args.queries, args.dimension), dtype=np.float32)
    root = Path(tempfile.mkdtemp(prefix="query-overhead-"))
    print(
        f"{args.dimension}-d float32, k={K}, ef_search {EF_SEARCH} on every side, {args.rounds} rounds of "
        f"{args.queries} queries per side, isolated reply_spin_ms={args.reply_spin_ms:g}; Python "
        f"{sys.version.split()[0]}, chromadb {chromadb.__version__}"
    )
    print(
        f"{'records':>8} {'raw ms':>8} {'none ms':>8} {'iso ms':>8} {'none/raw':>9} {'iso/raw':>8} "
        f"{'noop warm us':>13} {'after idle: iso us':>19} {'none us':>8}"
    )
    try:
        for n in sizes:
            result = _measure(n, data, queries, args.rounds, root, args.reply_spin_ms)
            raw, none, isolated = result["raw"], result["none"], result["isolated"]
            print(
                f"{n:>8} {raw * 1e3:8.3f} {none * 1e3:8.3f} {isolated * 1e3:8.3f} {none / raw:9.3f} "
                f"{isolated / raw:8.3f} {result['noop warm'] * 1e6:13.1f} {result['noop isolated'] * 1e6:19.1f} "
                f"{result['noop none'] * 1e6:8.1f}"
            )
            print(
                f"{'':>8} iso/raw {_verdict(isolated / raw, TARGETS.get(f'isolated_{n}'))} "
                f"none/raw {_verdict(none / raw, TARGETS.get(f'none_{n}'))} "
                f"noop warm {_verdict(result['noop warm'] * 1e6, TARGETS['noop_us'])}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
