"""Durability and ownership of a store directory: SIGKILL after acknowledged writes, and one opener at a time."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore.errors import StoreLocked

BATCH = 200
COLLECTIONS = ("alpha", "beta")


def _vectors(batch: int) -> np.ndarray:
    return np.random.default_rng(batch).standard_normal((BATCH, 6)).astype(np.float32)


def _writer(url: str, pipe: Connection) -> None:
    """Child: write batches to two collections forever, reporting each acknowledged batch."""
    store = vectorstore.open(url)
    store.create_collection("alpha", 6, "cosine")
    store.create_collection("beta", 6, "l2")
    batch = 0
    while True:
        ids = [f"b{batch}-{i}" for i in range(BATCH)]
        for name in COLLECTIONS:
            store.upsert(name, ids, _vectors(batch), metadatas=[{"batch": batch, "i": i} for i in range(BATCH)])
        pipe.send(batch)
        batch += 1


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_acknowledged_writes_survive_sigkill(url_for: Callable[[str], str], engine: str) -> None:
    url = url_for(engine)
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_writer, args=(url, child), daemon=True)
    process.start()
    acknowledged = -1
    try:
        while acknowledged < 2:
            assert parent.poll(120), "the writer acknowledged nothing within 120 s"
            acknowledged = parent.recv()
    finally:
        os.kill(process.pid, signal.SIGKILL)  # no close(), no flush: the process just dies
        process.join(30)
    assert process.exitcode == -signal.SIGKILL
    with vectorstore.open(url) as store:
        assert {info.name for info in store.list_collections()} == set(COLLECTIONS)
        for name in COLLECTIONS:
            for batch in range(acknowledged + 1):
                ids = [f"b{batch}-{i}" for i in range(BATCH)]
                records = store.get(name, ids, include=["vector", "metadata"])
                assert [r.id for r in records] == ids
                assert [r.metadata for r in records] == [{"batch": batch, "i": i} for i in range(BATCH)]
                np.testing.assert_allclose(np.array([r.vector for r in records]), _vectors(batch), rtol=1e-6, atol=1e-6)
        store.upsert("alpha", ["after"], _vectors(99)[:1])  # the reopened store is writable
        assert store.count("alpha") >= (acknowledged + 1) * BATCH + 1


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_second_opener_in_the_same_process_gets_store_locked(
    tmp_path: Path, url_for: Callable[[str], str], engine: str
) -> None:
    url = url_for(engine)
    first = vectorstore.open(url)
    first.create_collection("kept", 2)
    with pytest.raises(StoreLocked) as raised:
        vectorstore.open(url)
    assert str(tmp_path / "q") in str(raised.value)
    assert raised.value.__cause__ is not None  # the native lock error is kept
    first.close()
    with vectorstore.open(url) as second:  # released on close
        assert [info.name for info in second.list_collections()] == ["kept"]


def test_leftover_shard_of_a_crashed_create_is_removed(tmp_path: Path, url_for: Callable[[str], str]) -> None:
    """A shard directory the manifest does not list (a crash between creating it and recording it) is cleaned."""
    url = url_for("edge")
    with vectorstore.open(url) as store:
        store.create_collection("real", 2)
    orphan = tmp_path / "q" / "c-0123456789abcdef0123456789abcdef"
    (orphan / "segments").mkdir(parents=True)
    with vectorstore.open(url) as store:
        assert [info.name for info in store.list_collections()] == ["real"]
    assert not orphan.exists()
    assert len([p for p in (tmp_path / "q").iterdir() if p.name.startswith("c-")]) == 1


def test_sync_writes_and_reopen(tmp_path: Path) -> None:
    url = f"qdrant://{tmp_path}/q?sync_writes=true"
    with vectorstore.open(url) as store:
        assert store.capabilities.extras["sync_writes"] is True
        store.create_collection("c-1", 3, "dot")
        store.upsert("c-1", ["a", "b"], [[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
        store.delete("c-1", ["b"])
    with vectorstore.open(url) as store:
        assert [(r.id, r.vector) for r in store.get("c-1", ["a", "b"], include=["vector"])] == [("a", [1.0, 2.0, 3.0])]


def test_embedded_and_local_mode_directories_are_not_confused(tmp_path: Path) -> None:
    from vectorstore.errors import ConfigurationError

    with vectorstore.open(f"qdrant://{tmp_path}/edge") as store:
        store.create_collection("c-1", 2)
    with vectorstore.open(f"qdrant+local://{tmp_path}/local") as store:
        store.create_collection("c-1", 2)
    with pytest.raises(ConfigurationError, match="qdrant://"):
        vectorstore.open(f"qdrant+local://{tmp_path}/edge")
    with pytest.raises(ConfigurationError, match="qdrant\\+local://"):
        vectorstore.open(f"qdrant://{tmp_path}/local")
