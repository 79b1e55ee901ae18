"""Fixtures for the async store's tests: an isolated Chroma store opened with ``vectorstore.aio``, fault injection
switched on (workers inherit the environment when they start, so it is set before a store opens)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from vectorstore import aio
from vectorstore.isolation.faults import ENVIRONMENT_VARIABLE

DIM, N = 16, 400
#: Short enough that a hung call is cheap to test, long enough for a slow shared machine.
TIMEOUT_S = 5.0


@pytest.fixture(autouse=True)
def faults_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")


def vectors(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


@pytest_asyncio.fixture
async def chroma(tmp_path: Path) -> AsyncIterator[aio.AsyncVectorStore]:
    """An isolated Chroma store with collection ``docs`` of N records ``r0..``, metadata ``{"i": i}``."""
    store = await aio.open(f"chroma://{tmp_path}/c", timeout_s=TIMEOUT_S, circuit_failures=1000)
    try:
        await store.create_collection("docs", DIM)
        await store.upsert("docs", [f"r{i}" for i in range(N)], vectors(1, N), metadatas=[{"i": i} for i in range(N)])
        yield store
    finally:
        await store.close()
