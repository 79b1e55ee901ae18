"""How often Chroma answers a query with fewer results than it should, raw and through vectorstore (issue 10).

The sequence is the one hypothesis found (``test_random_operations``): a new cosine collection, a delete of three ids
that do not exist, upserts of 12, 3 (1 id already present) and 5 (2 already present) random 4-d vectors, then a
query for ``k = count()``. Each run uses a new collection; raw chromadb and vectorstore (``isolation=none``, the
store completes short answers) alternate, on the same vectors. Prints how many answers were short on each side.

    python bench/short_answers.py --runs 150
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import chromadb
import numpy as np

import vectorstore

DIM = 4


def _batches(rng: np.random.Generator) -> list[tuple[list[str], np.ndarray]]:
    """Three upserts with the issue's overlaps: 12 new ids, then 3 (1 present), then 5 (2 present)."""
    first = [f"r{i}" for i in range(12)]
    second = ["r0", "r12", "r13"]
    third = ["r1", "r13", "r14", "r15", "r16"]
    return [(ids, rng.standard_normal((len(ids), DIM)).astype(np.float32)) for ids in (first, second, third)]


def _raw(client: chromadb.ClientAPI, name: str, batches: list[tuple[list[str], np.ndarray]]) -> tuple[int, int]:
    collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine", "ef_search": 500}})
    collection.delete(ids=["x1", "x2", "x3"])
    for ids, vectors in batches:
        collection.upsert(ids=ids, embeddings=vectors)
    count = collection.count()
    found = collection.query(query_embeddings=batches[0][1][:1], n_results=count, include=[])["ids"][0]
    return len(found), count


def _ours(store: vectorstore.VectorStore, name: str, batches: list[tuple[list[str], np.ndarray]]) -> tuple[int, int]:
    store.create_collection(name, DIM, "cosine")
    store.delete(name, ["x1", "x2", "x3"])
    for ids, vectors in batches:
        store.upsert(name, ids, vectors)
    count = store.count(name)
    return len(store.search(name, batches[0][1][0], k=count, include=())), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    short = {"raw chromadb": 0, "vectorstore": 0}
    with tempfile.TemporaryDirectory() as root:
        client = chromadb.PersistentClient(path=str(Path(root) / "raw"))
        with vectorstore.open(f"chroma://{root}/ours?isolation=none") as store:
            sides = {"raw chromadb": lambda name, batches: _raw(client, name, batches),
                     "vectorstore": lambda name, batches: _ours(store, name, batches)}
            for run in range(args.runs):
                batches = _batches(rng)
                for side in sorted(sides, reverse=run % 2 == 1):  # alternate which side goes first
                    found, count = sides[side](f"run{run}", batches)
                    short[side] += found < count
    for side, number in short.items():
        print(f"{side:>13}: {number} short answers in {args.runs} runs")


if __name__ == "__main__":
    main()
