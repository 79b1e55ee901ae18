"""Child process of the kill tests: upsert batches into a store forever, printing each acknowledged batch.

``python kill_writer.py URL START BATCH`` writes ids ``k-START``, ``k-START+1``, ... in batches of ``BATCH`` (vectors
from a seed per batch, so the parent can recompute them) and prints ``ack FIRST COUNT`` (flushed) once each upsert
has returned. The parent SIGKILLs it at some point: every printed batch must survive.
"""

from __future__ import annotations

import sys

import numpy as np

import vectorstore

DIMENSION = 16
COLLECTION = "chaos"


def batch_vectors(first: int, count: int) -> np.ndarray:
    return np.random.default_rng(first).normal(size=(count, DIMENSION)).astype(np.float32)


def main(url: str, start: int, batch: int) -> None:
    with vectorstore.open(url) as store:
        store.create_collection(COLLECTION, DIMENSION, exist_ok=True)
        first = start
        while True:
            ids = [f"k-{i}" for i in range(first, first + batch)]
            store.upsert(COLLECTION, ids, batch_vectors(first, batch), metadatas=[{"first": first}] * batch)
            print(f"ack {first} {batch}", flush=True)
            first += batch


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
