"""Stores for the durability tests: the ``flaky`` test double (damage on demand), Chroma and Qdrant on disk.

The double is found like any installed adapter (:func:`vectorstore_conformance.registration.visible_plugins`): a
dist-info declaring its entry point goes on ``PYTHONPATH`` with this directory (for child processes), and it is
registered by hand in this process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from vectorstore_conformance.registration import visible_plugins

import vectorstore

HERE = Path(__file__).resolve().parent
DIMENSION = 16


@pytest.fixture(scope="module", autouse=True)
def flaky_registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with visible_plugins(tmp_path_factory.mktemp("site"), {"flaky": "flaky_adapter"}, [HERE]):
        yield


def records(n: int, seed: int = 0, start: int = 0) -> tuple[list[str], np.ndarray, list[dict[str, object]]]:
    """``n`` records with ids ``r-<i>``, random vectors and a small metadata dict."""
    rng = np.random.default_rng(seed)
    ids = [f"r-{i}" for i in range(start, start + n)]
    metadatas: list[dict[str, object]] = [{"group": f"g{i % 4}", "i": i} for i in range(start, start + n)]
    return ids, rng.normal(size=(n, DIMENSION)).astype(np.float32), metadatas


Records = tuple[list[str], np.ndarray, list[dict[str, object]]]


def fill(url: str, collection: str, n: int, *, seed: int = 0, batch: int = 500, **options: object) -> Records:
    """Create ``collection`` in the store at ``url`` and write ``n`` records; returns what was written."""
    ids, vectors, metadatas = records(n, seed)
    with vectorstore.open(url, **options) as store:
        store.create_collection(collection, DIMENSION)
        for start in range(0, n, batch):
            stop = start + batch
            store.upsert(collection, ids[start:stop], vectors[start:stop], metadatas=metadatas[start:stop])
    return ids, vectors, metadatas
