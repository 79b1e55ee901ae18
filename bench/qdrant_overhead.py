"""What the qdrant adapter costs over the raw embedded engine, measured side by side in one run.

Both sides use qdrant-edge-py on the same machine, data and queries; each timing is a median, and the two sides
alternate so that background load hits both alike. The raw side makes the calls a user of qdrant-edge-py would make
for the same job: string ids mapped with ``uuid.uuid5(NAMESPACE_URL, id)`` and kept in the payload, numpy rows as
vectors, ``SearchParams(exact=True)`` like our default, id, score and payload read from each hit. Ours goes through
``vectorstore.open("qdrant://...")``: validation, id mapping, payload layout, filter translation, result models.

    python bench/qdrant_overhead.py [--sizes 1000,10000,100000] [--dim 384] [--queries 200] [--repeats 3]

Payloads are ``{"cat", "i", "b"}`` (a string, an int, a bool). Target: ours/raw <= 1.05 for upsert, query and filtered query. Recall@10 is against exact numpy search. Two data
sets: unit vectors (what embedding models write; cosine vectors come back as written with nothing extra stored),
and gaussian vectors, whose norm the adapter keeps in the payload to return them as written.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

import vectorstore
from vectorstore import scores
from vectorstore.filters import matches, parse_where

BATCH = 1024
CATEGORIES = 10
FILTER = {"cat": "c3"}


def raw_upsert(shard: Any, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]) -> None:
    for start in range(0, len(ids), BATCH):
        points = [
            qe.Point(str(uuid.uuid5(uuid.NAMESPACE_URL, record_id)), vector, {**metadata, "id": record_id})
            for record_id, vector, metadata in zip(
                ids[start : start + BATCH], vectors[start : start + BATCH], metadatas[start : start + BATCH]
            )
        ]
        shard.update(qe.UpdateOperation.upsert_points(points))


def raw_query(shard: Any, vector: np.ndarray, native_filter: Any) -> list[tuple[str, float, dict[str, Any]]]:
    """The hits as a caller uses them: id, score and payload of each."""
    request = qe.QueryRequest(
        limit=10,
        query=qe.Query.Nearest(vector),
        filter=native_filter,
        with_payload=True,
        params=qe.SearchParams(exact=True),
    )
    return [(payload["id"], hit.score, payload) for hit in shard.query(request) for payload in (hit.payload,)]


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def recall(found: list[list[str]], truth: list[list[str]]) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth) if t]))


def measure(root: Path, key: str, label: str, vectors: np.ndarray, queries: np.ndarray, repeats: int) -> None:
    """Upsert and query timings, ours against raw, and recall, for one data set."""
    n, dim = vectors.shape
    ids = [f"doc-{i}" for i in range(n)]
    metadatas = [{"cat": f"c{i % CATEGORIES}", "i": i, "b": i % 2 == 0} for i in range(n)]
    config = qe.EdgeConfig(vectors=qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine))
    native_filter = qe.Filter(must=[qe.FieldCondition("cat", match=qe.MatchValue(FILTER["cat"]))])

    ours_upsert: list[float] = []
    raw_upsert_times: list[float] = []
    store = vectorstore.open(f"qdrant://{root}/{key}-ours")
    shard: Any = None
    for repeat in range(repeats):  # a fresh collection each time; creating it (and dropping the last) is not timed
        if repeat:  # one open collection on each side, as the raw side closes its previous shard
            store.delete_collection(name)
        name = f"bench-{repeat}"
        store.create_collection(name, dim, "cosine")
        ours_upsert.append(timed(lambda: store.upsert(name, ids, vectors, metadatas=metadatas)))
        if shard is not None:
            shard.close()
        shard = qe.EdgeShard.create(str(root / f"{key}-raw-{repeat}"), config)
        raw_upsert_times.append(timed(lambda: raw_upsert(shard, ids, vectors, metadatas)))

    latencies: dict[str, list[float]] = {key: [] for key in ("ours", "raw", "ours_f", "raw_f")}
    found: dict[str, list[list[str]]] = {"plain": [], "filtered": []}
    for vector in queries:  # interleaved, one query at a time
        latencies["raw"].append(timed(lambda: raw_query(shard, vector, None)))
        start = time.perf_counter()
        hits = store.search(name, vector, k=10)
        latencies["ours"].append(time.perf_counter() - start)
        found["plain"].append([hit.id for hit in hits])
        latencies["raw_f"].append(timed(lambda: raw_query(shard, vector, native_filter)))
        start = time.perf_counter()
        hits = store.search(name, vector, k=10, where=FILTER)
        latencies["ours_f"].append(time.perf_counter() - start)
        found["filtered"].append([hit.id for hit in hits])
    store.close()
    shard.close()

    exact = scores.exact("cosine", queries, vectors)
    truth_plain = [[ids[i] for i in row] for row in scores.top_k(exact, 10)]
    node = parse_where(FILTER)
    positions = np.flatnonzero([matches(node, metadata) for metadata in metadatas])
    truth_filtered = [[ids[positions[i]] for i in row] for row in scores.top_k(exact[:, positions], 10)]

    def row(what: str, ours: list[float], raw: list[float], unit: str, scale: float) -> None:
        mine, theirs = statistics.median(ours) * scale, statistics.median(raw) * scale
        verdict = "ok" if mine / theirs <= 1.05 else "ABOVE TARGET"
        print(f"  {what:<22} {mine:10.3f} {unit:<3} {theirs:10.3f} {unit:<3} {mine / theirs:6.3f}  {verdict}")

    print(f"{label}: {n} x {dim} float32, cosine, {len(queries)} queries, k=10")
    print(f"  {'':<22} {'ours':>14} {'raw':>14} {'ratio':>6}")
    row(f"upsert (median of {repeats})", ours_upsert, raw_upsert_times, "s", 1.0)
    row("query", latencies["ours"], latencies["raw"], "ms", 1e3)
    row("query + filter (10%)", latencies["ours_f"], latencies["raw_f"], "ms", 1e3)
    print(
        f"  recall@10 vs exact numpy: query {recall(found['plain'], truth_plain):.3f}, "
        f"filtered {recall(found['filtered'], truth_filtered):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="collection sizes, comma-separated")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    versions = {name: metadata.version(name) for name in ("qdrant-edge-py", "vectorstore-qdrant")}
    print(", ".join(f"{name} {version}" for name, version in versions.items()))
    for n in (int(size) for size in args.sizes.split(",")):
        generator = np.random.default_rng(0)
        gaussian = generator.standard_normal((n, args.dim)).astype(np.float32)
        unit = (gaussian / np.linalg.norm(gaussian, axis=1, keepdims=True)).astype(np.float32)
        queries = generator.standard_normal((args.queries, args.dim)).astype(np.float32)
        root = Path(tempfile.mkdtemp(prefix="qdrant-bench-"))
        try:
            measure(root, "unit", "unit vectors (as embedding models write them)", unit, queries, args.repeats)
            measure(
                root, "gaussian", "gaussian vectors (norm != 1, kept in the payload)", gaussian, queries, args.repeats
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
