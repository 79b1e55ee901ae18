"""Durability and ownership of a store directory: SIGKILL after acknowledged writes, and one opener at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import vectorstore

BATCH = 200
COLLECTIONS = ("alpha", "beta")


#: The writer: two collections, batches forever, one "acked N" line per batch written to both.
WRITER = """
import sys
import numpy as np
import vectorstore

url, size = sys.argv[1], int(sys.argv[2])
store = vectorstore.open(url)
store.create_collection("alpha", 6, "cosine")
store.create_collection("beta", 6, "l2")
batch = 0
while True:
    ids = [f"b{batch}-{i}" for i in range(size)]
    vectors = np.random.default_rng(batch).standard_normal((size, 6)).astype(np.float32)
    for name in ("alpha", "beta"):
        store.upsert(name, ids, vectors, metadatas=[{"batch": batch, "i": i} for i in range(size)])
    print("acked", batch, flush=True)
    batch += 1
"""


def _vectors(batch: int) -> np.ndarray:
    return np.random.default_rng(batch).standard_normal((BATCH, 6)).astype(np.float32)


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_acknowledged_writes_survive_sigkill(url_for: Callable[[str], str], engine: str) -> None:
    url = url_for(engine)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(BATCH)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    acknowledged = -1
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            acknowledged = int(line.split()[1])
            if acknowledged >= 2:
                break
    finally:
        writer.send_signal(signal.SIGKILL)  # no close(), no flush: the process just dies
        _, errors = writer.communicate(timeout=60)
    assert acknowledged >= 2, f"the writer stopped after {acknowledged + 1} batches:\n{errors}"
    assert writer.returncode == -signal.SIGKILL
    with vectorstore.open(url) as store:
        assert {info.name for info in store.list_collections()} == set(COLLECTIONS)
        for name in COLLECTIONS:
            for batch in range(acknowledged + 1):
                ids = [f"b{batch}-{i}" for i in range(BATCH)]
                records = store.get(name, ids, include=["vector", "metadata"])
                assert [r.id for r in records] == ids
                assert [r.metadata for r in records] == [{"batch": batch, "i": i} for i in range(BATCH)]
                got = np.array([r.vector for r in records])
                np.testing.assert_allclose(got, _vectors(batch), rtol=1e-6, atol=1e-6)
        store.upsert("alpha", ["after"], _vectors(99)[:1])  # the reopened store is writable
        assert store.count("alpha") >= (acknowledged + 1) * BATCH + 1


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_second_opener_in_the_same_process_shares_the_store(
    tmp_path: Path, url_for: Callable[[str], str], engine: str
) -> None:
    url = url_for(engine)
    first = vectorstore.open(url)
    first.create_collection("kept", 2)
    second = vectorstore.open(url)
    assert second.adapter is first.adapter
    second.upsert("kept", ["a"], [[1.0, 0.0]])
    first.close()
    assert [record.id for record in second.get("kept", ["a"])] == ["a"]  # the other handle keeps working
    second.close()
    with vectorstore.open(url) as again:  # the last close released the path
        assert again.adapter is not first.adapter
        assert [info.name for info in again.list_collections()] == ["kept"]


@pytest.mark.parametrize("engine", ["edge", "local"])
def test_other_process_gets_store_locked(tmp_path: Path, url_for: Callable[[str], str], engine: str) -> None:
    url = url_for(engine)
    with vectorstore.open(url) as first:
        first.create_collection("kept", 2)
        script = f"import vectorstore\ntry:\n    vectorstore.open({url!r})\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
        child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
        assert child.stdout.startswith("StoreLocked"), child.stdout + child.stderr
        assert str(tmp_path / "q") in child.stdout


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


def test_chroma_and_qdrant_stores_on_one_directory_exclude_each_other(tmp_path: Path) -> None:
    """Both adapters lock ``DIR/.vectorstore.lock`` (vectorstore.toolkit.DirectoryLock), whichever opens first."""
    pytest.importorskip("vectorstore_chroma")
    directory = tmp_path / "shared"
    chroma, qdrant = f"chroma://{directory}?isolation=none", f"qdrant://{directory}?isolation=none"
    for owner, other, label in ((chroma, qdrant, "Qdrant"), (qdrant, chroma, "Chroma")):
        with vectorstore.open(owner):
            script = f"import vectorstore\ntry:\n    vectorstore.open({other!r})\nexcept Exception as exc:\n"
            script += "    print(type(exc).__name__, exc)\n"
            child = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
            )
            expected = f"StoreLocked the {label} store at {directory} is already open (pid {os.getpid()}, "
            assert child.stdout.startswith(expected), child.stdout + child.stderr
