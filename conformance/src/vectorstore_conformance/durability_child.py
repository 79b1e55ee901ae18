"""The writer process of the durability test: upsert batch after batch, printing ``acked N`` after each returns.

Run as ``python -m vectorstore_conformance.durability_child URL COLLECTION DIMENSION``; the test SIGKILLs it right
after reading an acknowledgement. The records of batch N are a pure function of N (:func:`batch`), so the parent
knows exactly what every acknowledged write must have stored.
"""

from __future__ import annotations

import sys

import numpy as np

import vectorstore
from vectorstore.models import Metadata

BATCH = 200
MAX_BATCHES = 10_000


def batch(number: int, dimension: int) -> tuple[list[str], np.ndarray, list[str], list[Metadata]]:
    ids = [f"b{number}-{i}" for i in range(BATCH)]
    vectors = np.random.default_rng(1000 + number).standard_normal((BATCH, dimension)).astype(np.float32)
    documents = [f"batch {number} record {i}" for i in range(BATCH)]
    metadatas: list[Metadata] = [{"batch": number, "i": i, "even": i % 2 == 0} for i in range(BATCH)]
    return ids, vectors, documents, metadatas


def main(url: str, collection: str, dimension: int) -> None:
    store = vectorstore.open(url)
    store.create_collection(collection, dimension, "cosine", exist_ok=True)
    print("ready", flush=True)
    for number in range(MAX_BATCHES):
        store.upsert(collection, *batch(number, dimension))
        print(f"acked {number}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
