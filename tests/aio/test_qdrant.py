"""Qdrant through ``AsyncQdrantClient``: the adapter's own code awaiting the async client, no pool thread.

The mechanism is tested on qdrant-client's async local mode (``AsyncQdrantClient(":memory:")``), which runs the
same adapter code as a server; against a real server only when ``QDRANT_URL`` names one.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import numpy as np
import pytest

pytest.importorskip("vectorstore_qdrant", reason="needs the Qdrant adapter (adapters/qdrant)")

from qdrant_client import AsyncQdrantClient  # noqa: E402

import vectorstore  # noqa: E402
from vectorstore import aio  # noqa: E402
from vectorstore.aio.qdrant import native_adapter, with_client  # noqa: E402
from vectorstore.errors import CollectionNotFound, DimensionMismatch  # noqa: E402

pytestmark = pytest.mark.asyncio

QDRANT_URL = os.environ.get("QDRANT_URL")
DIM, N = 8, 300


async def _roundtrip(store: aio.AsyncVectorStore, name: str) -> None:
    rows = np.random.default_rng(5).standard_normal((N, DIM)).astype(np.float32)
    await store.create_collection(name, DIM)
    try:
        await store.upsert(name, [f"p{i}" for i in range(N)], rows, metadatas=[{"i": i, "odd": i % 2 == 1} for i in range(N)])
        assert await store.count(name) == N
        assert await store.count(name, where={"odd": True}) == N // 2
        found = await store.search(name, rows[17], k=3, where={"i": {"$lt": 100}})
        assert found[0].id == "p17" and all(int(m.id[1:]) < 100 for m in found)
        assert [r.id for r in await store.get(name, ["p3", "nope", "p1"])] == ["p3", "p1"]
        scanned = [r.id async for batch in store.scan(name, batch_size=64, where={"odd": False}) for r in batch]
        assert sorted(scanned) == sorted(f"p{i}" for i in range(0, N, 2))
        with pytest.raises(DimensionMismatch):
            await store.search(name, rows[0][:4])
        await store.delete(name, where={"odd": True})
        assert await store.count(name) == N // 2
    finally:
        await store.delete_collection(name)
    with pytest.raises(CollectionNotFound):
        await store.count(name)


async def test_adapter_code_over_the_async_client_uses_no_pool() -> None:
    inner = vectorstore.open("qdrant+memory://")
    assert native_adapter(inner) is None  # local mode keeps the pool: only servers get the async client
    store = aio.AsyncVectorStore(inner, native=with_client(inner.adapter, AsyncQdrantClient(":memory:")))
    try:
        await _roundtrip(store, "native")
        assert not store.engine.pool._threads  # every call was awaited on the loop, none ran on a pool thread
    finally:
        await store.close()


@pytest.mark.skipif(not QDRANT_URL, reason="set QDRANT_URL (e.g. http://localhost:6333) to run against a Qdrant server")
async def test_server_through_async_qdrant_client() -> None:
    parts = urlsplit(QDRANT_URL or "")
    store = await aio.open(f"qdrant+{parts.scheme or 'http'}://{parts.netloc}{parts.path}")
    try:
        assert store.bridged.adapter is not store.inner.adapter  # the copy over AsyncQdrantClient
        await _roundtrip(store, f"aio-{os.getpid()}")
        assert not store.engine.pool._threads
    finally:
        await store.close()
