"""``scan``: every matching id exactly once, batches within ``batch_size``, on 3,000+ records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from vectorstore.errors import InvalidInput
from vectorstore.store import VectorStore

from .. import data
from ..checks import expect_no_problems, record_problems
from ..fixtures import StoreFixtures
from ..reference import Reference
from ..requirements import requires

N, DIM = 3200, 8
BATCH_SIZES = (7, 100, 1000, 5000)


def _scan_problems(store: VectorStore, name: str, expected: list[str], batch_size: int, **kwargs: object) -> list[str]:
    label = f"scan(batch_size={batch_size}, {kwargs})"
    batches = list(store.scan(name, batch_size=batch_size, include=(), **kwargs))  # type: ignore[arg-type]
    problems = []
    oversized = [len(b) for b in batches if len(b) > batch_size]
    if oversized:
        problems.append(f"{label}: batches of {oversized[:5]} records")
    if any(len(b) == 0 for b in batches):
        problems.append(f"{label}: empty batch yielded")
    seen = Counter(r.id for b in batches for r in b)
    repeated = sorted(i for i, n in seen.items() if n > 1)
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    for what, ids in (("repeated", repeated), ("missing", missing), ("unexpected", extra)):
        if ids:
            problems.append(f"{label}: {len(ids)} {what} ids, e.g. {ids[:5]}")
    return problems


class ScanTests(StoreFixtures):
    group = "scan"

    @requires("filter_eq", "filter_lt")
    def test_every_id_once(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """One 3,200-record collection, scanned whole and filtered at several batch sizes."""
        name = make_collection(dimension=DIM)
        ids = data.ids("s", N)
        vectors = data.gaussian(70, N, DIM)
        metadatas = [{"i": i, "part": i % 10} for i in range(N)]
        store.upsert(name, ids, vectors, metadatas=metadatas)
        reference = Reference()
        reference.upsert(ids, vectors, metadatas=metadatas)
        problems: list[str] = []
        for batch_size in BATCH_SIZES:
            problems += _scan_problems(store, name, ids, batch_size)
        for where, batch_size in (({"i": {"$lt": 40}}, 1), ({"part": 3}, 333), ({"i": {"$lt": 2500}}, 1000)):
            problems += _scan_problems(store, name, reference.select(where), batch_size, where=where)
        expect_no_problems(problems)

    def test_scan_include(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=DIM)
        ids = data.ids("r", 25)
        vectors = data.gaussian(71, 25, DIM)
        documents = [None if i % 2 else f"doc {i}" for i in range(25)]
        metadatas = [{"i": i} if i % 3 else {} for i in range(25)]
        store.upsert(name, ids, vectors, documents, metadatas)
        reference = Reference()
        reference.upsert(ids, vectors, documents, metadatas)
        problems = []
        for include in ((), ("vector",), ("document", "metadata"), ("vector", "document", "metadata")):
            for batch in store.scan(name, batch_size=4, include=include):
                for record in batch:
                    problems += [
                        f"include={include}: {p}" for p in record_problems(record, reference.rows[record.id], include)
                    ]
        for batch in store.scan(name, batch_size=10):
            for record in batch:
                problems += record_problems(record, reference.rows[record.id], ("document", "metadata"))
        expect_no_problems(problems)

    def test_empty(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=DIM)
        assert list(store.scan(name)) == []
        store.upsert(name, ["a"], data.gaussian(72, 1, DIM), metadatas=[{"k": 1}])
        assert list(store.scan(name, where={"k": 2})) == []

    def test_invalid_batch_size(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=DIM)
        for batch_size in (0, -1, 1.5, True, "10"):
            with pytest.raises(InvalidInput):
                list(store.scan(name, batch_size=batch_size))  # type: ignore[arg-type]
