"""Migration throughput: Chroma (isolated) -> Qdrant's embedded engine, against each side's bare speed.

The copy overlaps reading the next batch with writing the current one, so it should run at the pace of the slower
side, not the sum of both. This script measures, in one run and on the same data:

- the source's bare ``scan`` rate (all fields, the migration's batch size);
- the target's bare ``upsert`` rate (the same batches, already in memory, into a scratch collection);
- the migration's copy rate (``CopyResult.records_per_second``) and its end-to-end time with planning and
  verification;

and prints the medians over ``--repeat`` rounds and the ratio ``migration / min(scan, upsert)`` (goal: >= 0.8).

The source collection is written with chromadb itself, in a spawned process, the way an existing Chroma user's data
was written (and much faster than through any wrapper). Usage::

    python bench/migration.py                # 100,000 x 384
    python bench/migration.py --n 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import vectorstore
from vectorstore.batch import RecordBatch
from vectorstore.migration import migrate

COLLECTION = "bench"


def write_native(path: str, n: int, dimension: int, batch: int, name: str = COLLECTION) -> None:
    """Fill a Chroma collection with unit vectors, a document and four metadata fields per record."""
    import chromadb

    rng = np.random.default_rng(0)
    client = chromadb.PersistentClient(path)
    collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    for start in range(0, n, batch):
        stop = min(n, start + batch)
        vectors = rng.normal(size=(stop - start, dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        collection.add(
            ids=[f"doc-{i}" for i in range(start, stop)],
            embeddings=vectors,
            documents=[f"document number {i}" for i in range(start, stop)],
            metadatas=[{"i": i, "f": i / 4, "s": f"cat-{i % 10}", "b": i % 2 == 0} for i in range(start, stop)],
        )


def scan_rate(source: vectorstore.VectorStore, batch: int) -> tuple[float, list[RecordBatch]]:
    """Records per second read into batches ready to write (what the migration's reader thread does)."""
    started = time.perf_counter()
    batches = list(source.scan_batches(COLLECTION, batch_size=batch, include=["vector", "document", "metadata"]))
    seconds = time.perf_counter() - started
    return sum(len(b) for b in batches) / seconds, batches


def upsert_rate(target: vectorstore.VectorStore, batches: list[RecordBatch], dimension: int) -> float:
    name = "bare-upsert"
    target.delete_collection(name, missing_ok=True)
    target.create_collection(name, dimension, "cosine")
    started = time.perf_counter()
    for b in batches:
        target.upsert(name, b)
    seconds = time.perf_counter() - started
    target.delete_collection(name)
    return sum(len(b) for b in batches) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="records (default 100,000)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument("--dir", type=Path, default=None,
                        help="work directory (default: a temporary one); a source already there is reused")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="vs-bench-migration-"))
    chroma_path = work / "chroma"
    if chroma_path.exists():  # a --dir from an earlier run: writing 100,000 records takes minutes
        print(f"source: reusing {chroma_path}")
    else:
        started = time.perf_counter()
        writer = multiprocessing.get_context("spawn").Process(
            target=write_native, args=(str(chroma_path), args.n, args.dim, 5000)
        )
        writer.start()
        writer.join()
        print(f"source: {args.n:,} x {args.dim} written with chromadb in {time.perf_counter() - started:.0f} s ({work})")

    scans, upserts, copies, totals = [], [], [], []
    with vectorstore.open(f"chroma://{chroma_path}") as source, vectorstore.open(f"qdrant://{work / 'qdrant'}") as target:
        scan_rate(source, args.batch_size)  # warm-up: the first read after writing loads Chroma's segments
        for round_ in range(1, args.repeat + 1):
            rate, batches = scan_rate(source, args.batch_size)
            scans.append(rate)
            upserts.append(upsert_rate(target, batches, args.dim))
            del batches
            target.delete_collection(COLLECTION, missing_ok=True)
            began = time.perf_counter()
            report = migrate(source, target, [COLLECTION], batch_size=args.batch_size, trial_queries=0,
                             checkpoint_dir=work / "checkpoints")
            total = time.perf_counter() - began
            item = report.collections[0]
            assert report.ok and item.copy_result is not None, report.to_json()
            copies.append(item.copy_result.records_per_second)
            totals.append(args.n / total)
            print(f"round {round_}: scan {scans[-1]:,.0f}/s, upsert {upserts[-1]:,.0f}/s, "
                  f"migration copy {copies[-1]:,.0f}/s, end to end (plan + copy + verify) {totals[-1]:,.0f}/s")

    scan, upsert, copy, total = (statistics.median(values) for values in (scans, upserts, copies, totals))
    slower = min(scan, upsert)
    print(f"\nmedians over {args.repeat} rounds, {args.n:,} x {args.dim}, batch {args.batch_size}:")
    print(f"  source bare scan      {scan:10,.0f} records/s")
    print(f"  target bare upsert    {upsert:10,.0f} records/s")
    print(f"  migration copy        {copy:10,.0f} records/s   = {copy / slower:.2f} x the slower side (goal >= 0.8)")
    print(f"  migration end to end  {total:10,.0f} records/s   (with planning, the id check and verification)")


if __name__ == "__main__":
    main()
