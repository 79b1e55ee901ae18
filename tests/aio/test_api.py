"""The async store is the sync store's code: its tables cover the sync API, and it validates, fails and answers the
same way (memory and isolated Chroma), scans close when left early, and misuse fails with a typed error."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import vectorstore
from vectorstore import aio
from vectorstore.aio.bridge import await_
from vectorstore.aio.store import COLLECTION_METHODS, COROUTINES, STREAMS, SYNC_ONLY
from vectorstore.errors import InvalidInput, StoreClosed, VectorStoreError
from vectorstore.store import Collection, VectorStore

from .conftest import DIM, vectors

pytestmark = pytest.mark.asyncio


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


async def test_tables_cover_the_sync_store() -> None:
    assert _public(VectorStore) | {"adapter", "url"} == set(COROUTINES) | set(STREAMS) | set(SYNC_ONLY)
    assert set(COLLECTION_METHODS) == {name for name in _public(Collection) if name != "info"}
    for name in COROUTINES:
        method = getattr(aio.AsyncVectorStore, name)
        assert inspect.iscoroutinefunction(method), name
        assert inspect.signature(method) == inspect.signature(getattr(VectorStore, name)), name
        assert method.__doc__ == getattr(VectorStore, name).__doc__


BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("create_collection", ("x",), {"dimension": 4}),
    ("create_collection", ("docs",), {"dimension": 0}),
    ("upsert", ("docs", ["a"], [[1.0, 2.0]]), {}),
    ("upsert", ("docs", ["a", "a"], np.ones((2, DIM))), {}),
    ("get", ("docs", "a"), {}),
    ("get", ("docs", ["a"]), {"include": ["vectors"]}),
    ("delete", ("docs",), {}),
    ("count", ("docs",), {"where": {"i": {"$near": 1}}}),
    ("search", ("docs", [1.0] * (DIM + 1)), {}),
    ("query", ("docs", np.ones((2, DIM))), {"k": 0}),
    ("count", ("missing",), {}),
]


@pytest.mark.parametrize("url", ["memory://", "chroma"])
async def test_same_errors_and_results(url: str, tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c" if url == "chroma" else url
    sync = vectorstore.open(url.replace("/c", "/s"))
    store = await aio.open(url)
    try:
        for target in (sync, store):
            created = target.create_collection("docs", DIM)
            if inspect.isawaitable(created):
                await created
        ids, rows = [f"r{i}" for i in range(50)], vectors(2, 50)
        metadatas = [{"i": i} for i in range(50)]
        sync.upsert("docs", ids, rows, metadatas=metadatas)
        await store.upsert("docs", ids, rows, metadatas=metadatas)
        for name, args, kwargs in BAD_CALLS:
            with pytest.raises(VectorStoreError) as expected:
                getattr(sync, name)(*args, **kwargs)
            with pytest.raises(type(expected.value)) as got:
                await getattr(store, name)(*args, **kwargs)
            assert str(got.value) == str(expected.value), name
        assert await store.count("docs", where={"i": {"$lt": 10}}) == sync.count("docs", where={"i": {"$lt": 10}})
        assert await store.search("docs", rows[3], k=5) == sync.search("docs", rows[3], k=5)
        assert await store.query("docs", rows[:3], k=4, where={"i": {"$gte": 5}}) == sync.query(
            "docs", rows[:3], k=4, where={"i": {"$gte": 5}}
        )
        assert await store.get("docs", ["r7", "nope", "r1"]) == sync.get("docs", ["r7", "nope", "r1"])
        assert await store.collection("docs").count() == 50
        scanned = [record.id async for batch in store.scan("docs", batch_size=7) for record in batch]
        assert sorted(scanned) == sorted(ids)
        assert await store.delete("docs", ["r1", "r2"]) == sync.delete("docs", ["r1", "r2"])
    finally:
        sync.close()
        await store.close()
    with pytest.raises(StoreClosed):
        await store.count("docs")
    await store.close()  # idempotent


async def test_scan_checks_arguments_at_await_and_closes_when_left(chroma: aio.AsyncVectorStore) -> None:
    with pytest.raises(InvalidInput):
        await chroma.scan("docs", batch_size=0)
    scan = await chroma.scan_batches("docs", batch_size=10)
    async for batch in scan:
        assert len(batch) == 10
        break
    await scan.aclose()
    assert [batch async for batch in scan] == []
    host_scans = chroma.inner.adapter._supervisor.scans
    assert list(host_scans._abandoned)  # to be forgotten by the worker with the next request
    assert await chroma.count("docs") == 400
    assert not list(host_scans._abandoned)


async def test_wrapping_a_sync_store_without_owning_it() -> None:
    sync = vectorstore.open("memory://")
    try:
        sync.create_collection("docs", DIM)
        view = aio.AsyncVectorStore(sync, owns=False)
        assert [info.name for info in await view.list_collections()] == ["docs"]
        await view.close()
        assert [info.name for info in sync.list_collections()] == ["docs"]
    finally:
        sync.close()


async def test_awaiting_outside_the_bridge_is_refused() -> None:
    async def nothing() -> None:
        return None

    with pytest.raises(InvalidInput, match="outside vectorstore.aio"):
        await_(nothing())
