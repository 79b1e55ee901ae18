"""Self-healing on open (``heal``): repaired before serving, or refused with ``CollectionDamaged``; the setting
comes from the URL or a TOML table like every store setting."""

from __future__ import annotations

from pathlib import Path

import pytest

import vectorstore
from vectorstore.config import resolve
from vectorstore.errors import BackendUnavailable, CollectionDamaged, ConfigurationError

from .conftest import fill
from .flaky_adapter import write_faults


@pytest.fixture
def damaged_store(tmp_path: Path) -> str:
    """A flaky store with a damaged ``bad`` collection beside a healthy ``good`` one."""
    url = f"flaky://{tmp_path}"
    fill(url, "good", 10)
    fill(url, "bad", 10, seed=1)
    write_faults(tmp_path, damaged={"bad": "EOF while parsing"})
    return url


def test_heal_is_off_by_default_and_set_by_url_or_toml() -> None:
    assert resolve("memory://").settings.heal == "off"
    assert resolve("memory://?heal=repair").settings.heal == "repair"
    assert resolve(config={"url": "memory://", "heal": "quarantine"}).settings.heal == "quarantine"
    with pytest.raises(ConfigurationError, match="heal"):
        resolve("memory://?heal=sometimes")


@pytest.mark.parametrize("isolation", ["none", "process"])
def test_quarantine_refuses_the_damaged_collection_and_serves_the_others(damaged_store: str, isolation: str) -> None:
    with vectorstore.open(f"{damaged_store}?heal=quarantine&isolation={isolation}") as store:
        assert store.count("good") == 10
        assert [info.name for info in store.list_collections()] == ["bad", "good"]
        with pytest.raises(CollectionDamaged) as refused:
            store.count("bad")
    assert isinstance(refused.value, BackendUnavailable) and refused.value.collection == "bad"
    assert "EOF while parsing" in str(refused.value) and "vectorstore doctor --repair" in str(refused.value)


def test_repair_heals_the_damaged_collection_before_serving(damaged_store: str) -> None:
    with vectorstore.open(f"{damaged_store}?heal=repair") as store:
        assert store.count("bad") == 10 and store.count("good") == 10
    with vectorstore.open(damaged_store) as store:  # repaired for good, not only in that store
        assert store.count("bad") == 10


def test_repair_that_loses_records_refuses_the_collection_naming_them(tmp_path: Path) -> None:
    url = f"flaky://{tmp_path}"
    fill(url, "bad", 10)
    write_faults(tmp_path, damaged={"bad": "broken"}, lost={"bad": ["r-2"]})
    with vectorstore.open(f"{url}?heal=repair") as store:
        with pytest.raises(CollectionDamaged, match=r"1 ids could not be restored, e.g. \['r-2'\]"):
            store.get("bad", ["r-1"])
        store.delete_collection("bad")  # a refused collection can still be dropped
        assert store.list_collections() == []


def test_repair_by_an_adapter_that_cannot_repair_refuses_the_collection(damaged_store: str) -> None:
    with vectorstore.open(f"{damaged_store}?heal=repair&repairable=false") as store:
        with pytest.raises(CollectionDamaged, match="cannot repair"):
            store.count("bad")
        assert store.count("good") == 10
