"""Backends for the LangChain integration tests, and async tests without repo-wide pytest configuration.

LangChain's standard suite has ``async def`` tests and expects pytest-asyncio's ``asyncio_mode=auto``. Rather than
change the repository's pytest settings, coroutine tests collected under this directory get the ``asyncio`` mark.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import vectorstore

#: Backend name -> (module that must be importable, URL under a fresh directory).
BACKENDS: dict[str, tuple[str | None, Callable[[Path], str]]] = {
    "memory": (None, lambda root: "memory://"),
    "qdrant-edge": ("vectorstore_qdrant", lambda root: f"qdrant://{root}/q"),
    "chroma-isolated": ("vectorstore_chroma", lambda root: f"chroma://{root}/c?isolation=process"),
}

StoreFactory = Callable[[str], vectorstore.VectorStore]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> object:
    """Mark coroutine tests of this directory ``asyncio`` before pytest-asyncio's wrapper converts them.

    ``trylast`` makes this wrapper the inner one, so the mark is on the item when pytest-asyncio looks for it.
    """
    result = yield
    if inspect.iscoroutinefunction(obj) and result:
        for item in result if isinstance(result, list) else [result]:
            if isinstance(item, pytest.Function):
                item.add_marker(pytest.mark.asyncio)
    return result


def require(backend: str) -> None:
    """Skip, with the command that fixes it, when the backend's adapter package is not installed."""
    module = BACKENDS[backend][0]
    if module is not None and importlib.util.find_spec(module) is None:
        folder = module.removeprefix("vectorstore_")
        pytest.skip(f"{backend}: adapter package {module} is not installed (pip install -e adapters/{folder})")


@pytest.fixture(scope="session")
def open_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreFactory]:
    """One store per backend for the whole session (an isolated Chroma worker starts once); tests use fresh
    collections in it and drop them afterwards."""
    stores: dict[str, vectorstore.VectorStore] = {}

    def get(backend: str) -> vectorstore.VectorStore:
        require(backend)
        if backend not in stores:
            stores[backend] = vectorstore.open(BACKENDS[backend][1](tmp_path_factory.mktemp(backend)))
        return stores[backend]

    yield get
    for store in stores.values():
        store.close()


@pytest.fixture(params=list(BACKENDS))
def backend_store(request: pytest.FixtureRequest, open_backend: StoreFactory) -> vectorstore.VectorStore:
    """The session store of each backend in turn."""
    return open_backend(request.param)
