from __future__ import annotations

from collections.abc import Iterator

import pytest

import vectorstore
from vectorstore import registry as registry_module
from vectorstore.adapters import plugin as memory_plugin
from vectorstore.registry import Registry
from vectorstore.store import VectorStore

from .probe import Plugin


@pytest.fixture
def store() -> Iterator[VectorStore]:
    with vectorstore.open("memory://") as opened:
        yield opened


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A process registry holding only the core's memory plugin, whatever else is installed in the venv.

    Other adapters (chroma, qdrant) may be installed while these tests run; configuration tests must not depend on it.
    """
    fresh = Registry(autoload=False)
    fresh.register(memory_plugin, name="memory")
    monkeypatch.setattr(registry_module, "_registry", fresh)
    return fresh


@pytest.fixture
def probe(fresh_registry: Registry) -> Registry:
    """The fresh registry plus the test-only ``probe`` adapter, registered the public way."""
    registry_module.registry().register(Plugin(), name="probe")
    return fresh_registry


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    """No configuration from the environment or the working directory."""
    monkeypatch.delenv("VECTORSTORE_URL", raising=False)
    monkeypatch.delenv("VECTORSTORE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path
