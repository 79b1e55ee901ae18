"""Fixtures shared by the adapter-specific tests: one store per engine, opened on a fresh directory."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture
def store(url: str) -> Iterator[VectorStore]:
    with vectorstore.open(url) as opened:
        yield opened
