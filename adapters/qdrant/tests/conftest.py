"""Fixtures shared by the adapter-specific tests: one store per engine, opened on a fresh directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import vectorstore
from vectorstore.store import VectorStore

ENGINES = ("edge", "local", "memory")


def engine_url(engine: str, directory: Path) -> str:
    """The URL of a store of this engine under ``directory``."""
    return {
        "edge": f"qdrant://{directory}/q",
        "local": f"qdrant+local://{directory}/q",
        "memory": "qdrant+memory://",
    }[engine]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(engine: str, tmp_path: Path) -> str:
    return engine_url(engine, tmp_path)


@pytest.fixture(scope="module", params=ENGINES)
def module_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store URL per engine shared by one module's tests (for read-only tests on a common corpus)."""
    return engine_url(str(request.param), tmp_path_factory.mktemp(str(request.param)))


@pytest.fixture
def url_for(tmp_path: Path) -> Callable[[str], str]:
    """``url_for("edge")``: the URL of a store of that engine under this test's ``tmp_path``."""
    return lambda engine: engine_url(engine, tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[VectorStore]:
    with vectorstore.open(url) as opened:
        yield opened
