"""Filtered query latency on Qdrant Edge with and without payload indexes on the filtered keys.

Two collections in one embedded store hold the same records (unit 384-d vectors, metadata ``{"i", "s", "year"}``);
one declares ``indexes={"s": "keyword", "year": "integer"}``. Each filter runs on both, one query at a time,
interleaved (the order rotating from query to query), and every pair of answers must be identical (ids and scores);
latency is the median per side. Exact search (the embedded engine's default), k=10.

    python bench/payload_index.py [--n 100000] [--dim 384] [--queries 100]

Goal (issue 17): filtered query at 100,000 records >= 5x faster with the index, results identical.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import vectorstore

BATCH = 4096
FILTERS: dict[str, dict[str, Any]] = {
    "s == 's3' (10%)": {"s": "s3"},
    "year in [2000, 2005) (10%)": {"year": {"$gte": 2000, "$lt": 2005}},
    "s == 's3' and year >= 2040 (1%)": {"$and": [{"s": "s3"}, {"year": {"$gte": 2040}}]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.n, args.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((args.queries, args.dim)).astype(np.float32)
    ids = [f"doc-{i}" for i in range(args.n)]
    metadatas = [{"i": i, "s": f"s{i % 10}", "year": 1980 + (i * 7919) % 50} for i in range(args.n)]

    root = Path(tempfile.mkdtemp(prefix="payload-index-"))
    print(f"qdrant-edge-py {metadata.version('qdrant-edge-py')}; {args.n} x {args.dim}, {args.queries} queries, k=10")
    try:
        with vectorstore.open(f"qdrant://{root}/q") as store:
            store.create_collection("plain", args.dim)
            store.create_collection("indexed", args.dim, indexes={"s": "keyword", "year": "integer"})
            for name in ("plain", "indexed"):
                for start in range(0, args.n, BATCH):
                    end = start + BATCH
                    store.upsert(name, ids[start:end], vectors[start:end], metadatas=metadatas[start:end])
            print(f"  {'filter':<34} {'no index':>10} {'index':>10} {'speed-up':>9}  answers")
            for label, where in FILTERS.items():
                times: dict[str, list[float]] = {"plain": [], "indexed": []}
                same = 0
                for row, query in enumerate(queries):
                    answers = {}
                    for name in ("plain", "indexed")[row % 2 :] + ("plain", "indexed")[: row % 2]:
                        start_time = time.perf_counter()
                        hits = store.search(name, query, k=10, where=where, include=())
                        times[name].append(time.perf_counter() - start_time)
                        answers[name] = [(hit.id, hit.score) for hit in hits]
                    same += answers["plain"] == answers["indexed"]
                plain, indexed = (statistics.median(times[name]) * 1e3 for name in ("plain", "indexed"))
                verdict = "identical" if same == len(queries) else f"DIFFER in {len(queries) - same}"
                print(f"  {label:<34} {plain:>7.2f} ms {indexed:>7.2f} ms {plain / indexed:>8.1f}x  {verdict}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
