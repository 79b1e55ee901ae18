"""Recall@10 and query latency of the chroma adapter at Chroma's default ``ef_search`` (100) and ours (500).

Random unit vectors in 384 dimensions are the worst case for HNSW (no cluster structure); clustered 128-d vectors
(the conformance suite's recall data) are closer to real embeddings. Exact neighbours come from numpy
(:func:`vectorstore.scores.exact`). Both settings run side by side in one process, on the same data and queries;
latency is the median over single-vector queries. Usage::

    python adapters/chroma/bench/recall.py [--sizes 1000 3000 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

import vectorstore
from vectorstore import scores

K = 10


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _clustered(rng: np.random.Generator, n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.standard_normal((200, dim))
    points = centres[rng.integers(0, 200, n)] + rng.standard_normal((n, dim)) * 0.35
    return points.astype(np.float32), centres


def measure(ef_search: int, vectors: np.ndarray, queries: np.ndarray) -> tuple[float, float]:
    truth = scores.top_k(scores.exact("cosine", queries, vectors), K)
    ids = [str(i) for i in range(len(vectors))]
    with tempfile.TemporaryDirectory() as directory:
        with vectorstore.open(f"chroma://{directory}/c?isolation=none&ef_search={ef_search}") as store:
            store.create_collection("bench", vectors.shape[1], "cosine")
            store.upsert("bench", ids, vectors)
            latencies, hits = [], 0
            for row, query in enumerate(queries):
                start = time.perf_counter()
                found = store.search("bench", query, k=K, include=())
                latencies.append(time.perf_counter() - start)
                hits += len({int(m.id) for m in found} & set(truth[row].tolist()))
    return hits / (len(queries) * K), statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'data':<22} {'N':>6}  {'recall ef=100':>13} {'recall ef=500':>13}  {'ms ef=100':>9} {'ms ef=500':>9} {'ratio':>6}")
    cases = [("random unit 384-d", n, _unit(rng, n, 384), _unit(rng, args.queries, 384)) for n in args.sizes]
    points, centres = _clustered(rng, 20_000, 128)
    near = (centres[rng.integers(0, 200, args.queries)] + rng.standard_normal((args.queries, 128)) * 0.35).astype(np.float32)
    cases.append(("clustered 128-d", 20_000, points, near))
    for label, n, vectors, queries in cases:
        (low_recall, low_ms), (high_recall, high_ms) = measure(100, vectors, queries), measure(500, vectors, queries)
        print(f"{label:<22} {n:>6}  {low_recall:>13.3f} {high_recall:>13.3f}  {low_ms:>9.2f} {high_ms:>9.2f} {high_ms / low_ms:>6.2f}")


if __name__ == "__main__":
    main()
