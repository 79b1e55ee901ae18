"""The plugin registry: entry-point discovery, plugins registered by hand, conflicts, lazy imports, events."""

from __future__ import annotations

import logging
import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest

import vectorstore
from vectorstore import hookimpl
from vectorstore.adapters.memory import MemoryAdapter, MemoryConfig
from vectorstore.errors import ConfigurationError
from vectorstore.events import Event, emit
from vectorstore.registry import ENTRY_POINT_GROUP, KNOWN_ADAPTERS, Registry

from .probe import Plugin, ProbeAdapter, spec


def test_entry_points_declare_memory() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert names.get("memory") == "vectorstore.adapters.plugin"
    memory = Registry().adapters()["memory"]
    assert memory.schemes == ("memory",)
    assert memory.load_adapter() is MemoryAdapter and memory.load_config() is MemoryConfig
    assert memory.version() == metadata.version("vectorstore-core")


def test_autoload_can_be_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VECTORSTORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert Registry().adapters() == {}


def test_a_plugin_registered_by_hand_opens_stores(probe: Registry) -> None:
    with vectorstore.open("probe:///somewhere?size=4") as store:
        assert isinstance(store.adapter, ProbeAdapter)
        assert (store.adapter.config.path, store.adapter.config.size) == ("/somewhere", 4)
        store.create_collection("docs", 2)
        store.upsert("docs", ["a", "b"], np.eye(2))
        assert [m.id for m in store.search("docs", [0, 1], k=1)] == ["b"]


def test_registering_after_a_lookup_is_seen() -> None:
    registry = Registry(autoload=False)
    assert registry.adapters() == {}
    registry.register(Plugin())
    assert list(registry.adapters()) == ["probe"]
    assert registry.for_scheme("probe+http").name == "probe"


def test_two_plugins_claiming_one_scheme_is_an_error() -> None:
    registry = Registry(autoload=False)
    registry.register(Plugin(spec("first", ("shared", "first"))), name="a")
    registry.register(Plugin(spec("second", ("second", "shared"))), name="b")
    with pytest.raises(ConfigurationError) as caught:
        registry.adapters()
    message = str(caught.value)
    assert "'shared'" in message and "'first'" in message and "'second'" in message


def test_two_plugins_declaring_one_adapter_name_is_an_error() -> None:
    registry = Registry(autoload=False)
    registry.register(Plugin(spec("same", ("one",))), name="a")
    registry.register(Plugin(spec("same", ("two",))), name="b")
    with pytest.raises(ConfigurationError, match="'same'"):
        registry.adapters()


def test_a_plugin_cannot_take_over_memory() -> None:
    registry = Registry()
    registry.register(Plugin(spec("impostor", ("memory",))))
    with pytest.raises(ConfigurationError, match="'memory'"):
        registry.adapters()


def test_known_adapters_are_sorted() -> None:
    assert list(KNOWN_ADAPTERS) == sorted(KNOWN_ADAPTERS)


def test_discovery_does_not_import_adapters() -> None:
    """Listing adapters imports plugin modules only; the adapter module is imported when a store is opened."""
    code = (
        "import sys; from vectorstore.registry import registry; registry().adapters(); "
        "print(sorted(m for m in sys.modules if m.startswith(('vectorstore.adapters.memory', 'chromadb', 'qdrant'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


def test_events_reach_plugins_and_logs(fresh_registry: Registry, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Event] = []

    class Listener:
        @hookimpl
        def vectorstore_event(self, event: Event) -> None:
            seen.append(event)

    class Broken:
        @hookimpl
        def vectorstore_event(self, event: Event) -> None:
            raise RuntimeError("listener bug")

    for plugin in (Broken(), Listener(), Broken()):  # pluggy calls the last registered first: both orders covered
        fresh_registry.register(plugin)
    caplog.set_level(logging.INFO, logger="vectorstore.events")
    event = emit("worker_crash", "chroma:///data", level=logging.WARNING, signal="SIGSEGV")
    assert seen == [event]
    assert (event.kind, event.store, event.detail) == ("worker_crash", "chroma:///data", {"signal": "SIGSEGV"})
    messages = [r.getMessage() for r in caplog.records]
    assert any("worker_crash" in m and "SIGSEGV" in m for m in messages)
    assert sum("hook failed" in m for m in messages) == 2  # the broken listeners were logged, not raised
