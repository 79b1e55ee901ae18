"""Recall@10 and query latency of the chroma adapter's two recall targets against raw chromadb at its defaults.

Three collections per data set and size, same vectors and queries: raw chromadb with Chroma's defaults
(``ef_search`` 100, ``ef_construction`` 100, ``max_neighbors`` 16), and ours through ``vectorstore.open`` with
``recall=high`` (the default: search breadth sized to the collection) and ``recall=fast``. After loading, every
client is closed and reopened in this process, because Chroma reads ``ef_search`` when it loads an index: what a
service that opens the store finds. Queries are single vectors, interleaved raw / high / fast (the order rotating from query to query, since
each search leaves the CPU caches to the next), for ``--rounds`` rounds; latency is the median per side. Exact neighbours come from numpy (:func:`vectorstore.scores.exact`).

Data: random unit 384-d vectors (HNSW's worst case: no structure) and clustered 128-d vectors (200 gaussian
clusters, sigma 0.35: the conformance suite's recall data, closer to real embeddings). Usage::

    python adapters/chroma/bench/recall.py [--sizes 10000 100000] [--queries 200] [--rounds 3]

Goal (issue 17): recall@10 >= 0.95 with query latency <= 1.10x raw Chroma at ef 100.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient

import vectorstore
from vectorstore import scores

K = 10
LOAD_BATCH = 5000
SIDES = ("raw", "high", "fast")


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _clustered(rng: np.random.Generator, n: int, queries: int, dim: int = 128) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.standard_normal((200, dim))
    points = centres[rng.integers(0, 200, n)] + rng.standard_normal((n, dim)) * 0.35
    near = centres[rng.integers(0, 200, queries)] + rng.standard_normal((queries, dim)) * 0.35
    return points.astype(np.float32), near.astype(np.float32)


def _load(root: Path, vectors: np.ndarray) -> None:
    """The three collections, loaded in batches (loading is not timed)."""
    ids = [str(i) for i in range(len(vectors))]
    client = chromadb.PersistentClient(str(root / "raw"))
    raw = client.create_collection("bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    for start in range(0, len(ids), LOAD_BATCH):
        raw.add(ids=ids[start : start + LOAD_BATCH], embeddings=vectors[start : start + LOAD_BATCH])
    for recall in ("high", "fast"):
        with vectorstore.open(f"chroma://{root}/{recall}?isolation=none&recall={recall}") as store:
            store.create_collection("bench", vectors.shape[1], "cosine")
            for start in range(0, len(ids), LOAD_BATCH):
                store.upsert("bench", ids[start : start + LOAD_BATCH], vectors[start : start + LOAD_BATCH])
    SharedSystemClient.clear_system_cache()


def measure(vectors: np.ndarray, queries: np.ndarray, rounds: int) -> dict[str, tuple[float, float]]:
    """recall@10 and median latency (ms) per side."""
    truth = [set(row.tolist()) for row in scores.top_k(scores.exact("cosine", queries, vectors), K)]
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        _load(root, vectors)
        raw = chromadb.PersistentClient(str(root / "raw")).get_collection("bench", embedding_function=None)
        stores = {recall: vectorstore.open(f"chroma://{root}/{recall}?isolation=none&recall={recall}") for recall in ("high", "fast")}
        search: dict[str, Callable[[np.ndarray], list[int]]] = {
            "raw": lambda q: [int(i) for i in raw.query(query_embeddings=q[None], n_results=K, include=["distances"])["ids"][0]],
            **{
                recall: (lambda q, store=store: [int(m.id) for m in store.search("bench", q, k=K, include=())])
                for recall, store in stores.items()
            },
        }
        latencies: dict[str, list[float]] = {side: [] for side in SIDES}
        hits = dict.fromkeys(SIDES, 0)
        for side in SIDES:  # warm: the first query loads each index
            search[side](queries[0])
        for round_ in range(rounds):
            for row, query in enumerate(queries):
                for side in SIDES[row % 3 :] + SIDES[: row % 3]:  # rotated: no side always follows another
                    start = time.perf_counter()
                    found = search[side](query)
                    latencies[side].append(time.perf_counter() - start)
                    if round_ == 0:
                        hits[side] += len(set(found) & truth[row])
        for store in stores.values():
            store.close()
        SharedSystemClient.clear_system_cache()
    return {side: (hits[side] / (len(queries) * K), statistics.median(latencies[side]) * 1e3) for side in SIDES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"chromadb {chromadb.__version__}; recall@{K} vs exact numpy, median ms per single query, interleaved")
    print(f"{'data':<18} {'N':>7}  {'raw ef=100':>16} {'ours high':>16} {'ours fast':>16}  {'high/raw':>8} {'fast/raw':>8}")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        cases: list[tuple[str, Any, Any]] = [
            ("random unit 384-d", _unit(rng, n, 384), _unit(rng, args.queries, 384)),
            ("clustered 128-d", *_clustered(rng, n, args.queries)),
        ]
        for label, vectors, queries in cases:
            result = measure(vectors, queries, args.rounds)
            cells = " ".join(f"{result[side][0]:>6.3f} {result[side][1]:>6.2f} ms" for side in SIDES)
            ratios = " ".join(f"{result[side][1] / result['raw'][1]:>8.2f}" for side in ("high", "fast"))
            print(f"{label:<18} {n:>7}  {cells}  {ratios}", flush=True)


if __name__ == "__main__":
    main()
