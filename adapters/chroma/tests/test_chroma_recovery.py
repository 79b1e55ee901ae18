"""Durability of embedded Chroma stores (issue 11): the kept write-ahead log, its replay, compaction and repair.

Real chromadb throughout. Damage is done on purpose to the files of a closed store (truncated, garbled, removed)
or by SIGKILLing a real writer until Chroma itself breaks. A damaged index can crash the process that reads it
(a garbled ``data_level0.bin`` segfaults ``count()``), so such stores are only touched through an isolated store
or a child process.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings

import vectorstore
from vectorstore.errors import BackendError
from vectorstore_chroma import recovery, wal
from vectorstore_chroma.adapter import ChromaAdapter

DIM = 16
BATCHES, BATCH = 15, 200  # 3,000 records: past Chroma's sync_threshold (1,000), so the HNSW files are persisted


def _url(path: Path, **query: str) -> str:
    options = "&".join(f"{k}={v}" for k, v in query.items())
    return f"chroma://{path}" + (f"?{options}" if options else "")


def _write_reference(path: Path) -> dict[str, dict[str, Any]]:
    """A store with 3,000 records (documents, list metadata, re-upserts, deletes); returns what was written."""
    rng = np.random.default_rng(11)
    reference: dict[str, dict[str, Any]] = {}
    with vectorstore.open(_url(path), isolation="none") as store:
        store.create_collection("docs", dimension=DIM, metric="cosine")
        docs = store.collection("docs")
        for b in range(BATCHES):
            ids = [f"{b}-{j}" for j in range(BATCH)]
            vectors = rng.standard_normal((BATCH, DIM)).astype(np.float32)
            metadatas = [{"b": b, "tags": [j % 3, 7], "name": f"n{j}"} for j in range(BATCH)]
            documents = [f"doc {b} {j}" if j % 2 else None for j in range(BATCH)]
            docs.upsert(ids=ids, vectors=vectors, metadatas=metadatas, documents=documents)
            for i, v, m, d in zip(ids, vectors, metadatas, documents):
                reference[i] = {"vector": v, "metadata": m, "document": d}
        replaced = rng.standard_normal((10, DIM)).astype(np.float32)
        ids = [f"0-{j}" for j in range(10)]
        docs.upsert(ids=ids, vectors=replaced, metadatas=[{"new": True}] * 10)  # full replace: old keys and doc go
        for i, v in zip(ids, replaced):
            reference[i] = {"vector": v, "metadata": {"new": True}, "document": None}
        docs.delete(ids=[f"1-{j}" for j in range(5)])
        for j in range(5):
            reference.pop(f"1-{j}")
    return reference


def _assert_restored(store: vectorstore.VectorStore, reference: dict[str, dict[str, Any]]) -> None:
    docs = store.collection("docs")
    assert docs.count() == len(reference)
    got = {r.id: r for r in docs.get(list(reference), include=["vector", "document", "metadata"])}
    assert got.keys() == reference.keys()
    for record_id, want in reference.items():
        record = got[record_id]
        np.testing.assert_allclose(record.vector, want["vector"], rtol=1e-5, atol=1e-6, err_msg=record_id)
        assert (record.document, record.metadata) == (want["document"], want["metadata"]), record_id
    probe = reference["3-3"]["vector"]
    assert docs.search(probe, k=1)[0].id == "3-3"


def _segment_dir(path: Path) -> Path:
    (directory,) = [p for p in path.iterdir() if p.is_dir()]
    return directory


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """One written store per module; each test damages a copy of it."""
    path = tmp_path_factory.mktemp("pristine") / "store"
    return path, _write_reference(path)


@pytest.fixture
def store_copy(pristine: tuple[Path, dict[str, dict[str, Any]]], tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    source, reference = pristine
    target = tmp_path / "store"
    shutil.copytree(source, target)
    return target, reference


def _truncate_pickle(path: Path) -> None:
    pickled = _segment_dir(path) / "index_metadata.pickle"
    data = pickled.read_bytes()
    pickled.write_bytes(data[: len(data) // 2])


def _garble_level0(path: Path) -> None:
    data = _segment_dir(path) / "data_level0.bin"
    data.write_bytes(np.random.default_rng(3).bytes(data.stat().st_size))


def _remove_segment(path: Path) -> None:
    shutil.rmtree(_segment_dir(path))


# -- repair of files damaged on purpose -------------------------------------------------------------------------


@pytest.mark.parametrize("damage", [_truncate_pickle, _garble_level0, _remove_segment], ids=lambda f: f.__name__[1:])
def test_repair_restores_every_record_of_a_damaged_collection(
    store_copy: tuple[Path, dict[str, Any]], damage: Any
) -> None:
    path, reference = store_copy
    old_segment = _segment_dir(path)
    damage(path)
    with vectorstore.open(_url(path), isolation="process") as store:  # a damaged index may crash its reader
        report = store.adapter.repair("docs")
    assert not old_segment.exists()  # chromadb leaves a dropped collection's index files behind; repair does not
    assert _segment_dir(path).is_dir()
    assert report.complete and report.missing_ids == []
    assert (report.expected, report.restored) == (len(reference), len(reference))
    assert "write-ahead log" in report.source
    with vectorstore.open(_url(path), isolation="none") as store:  # a fresh process view of the files
        _assert_restored(store, reference)
        assert [c.name for c in store.list_collections()] == ["docs"]
        assert store.adapter.check_files("docs")[0].ok


@pytest.mark.parametrize(
    ("damage", "words"),
    [(_truncate_pickle, "truncated"), (_garble_level0, "garbled"), (_remove_segment, "is gone")],
    ids=["pickle", "level0", "segment"],
)
def test_check_files_names_the_damage(store_copy: tuple[Path, dict[str, Any]], damage: Any, words: str) -> None:
    path, _ = store_copy
    with vectorstore.open(_url(path), isolation="none") as store:
        assert store.adapter.check_files("docs")[0].ok
    damage(path)
    with vectorstore.open(_url(path), isolation="none") as store:  # check_files makes no Chroma call on the index
        (check,) = store.adapter.check_files("docs")
    assert not check.ok and words in (check.error or "")


def test_truncated_pickle_makes_chroma_refuse_reads(store_copy: tuple[Path, dict[str, Any]]) -> None:
    """The damage these tests repair is real: Chroma itself fails every read of the collection."""
    path, _ = store_copy
    _truncate_pickle(path)
    with vectorstore.open(_url(path), isolation="none") as store, pytest.raises(BackendError, match="hnsw"):
        store.collection("docs").count()


def test_ids_only_in_the_metadata_segment_are_reported_missing(store_copy: tuple[Path, dict[str, Any]]) -> None:
    """A log purged before recovery was on: the ids it lost are listed, the rest restored."""
    path, reference = store_copy
    with sqlite3.connect(path / wal.DATABASE_FILE) as connection:
        connection.execute("DELETE FROM embeddings_queue WHERE id IN ('2-0', '2-1')")
    _truncate_pickle(path)
    with vectorstore.open(_url(path), isolation="process") as store:
        refused = store.adapter.repair("docs")  # would lose two ids: the damaged collection stays for salvage
        assert (refused.replaced, refused.restored, refused.missing_ids) == (False, 0, ["2-0", "2-1"])
        with pytest.raises(BackendError, match="hnsw"):
            store.count("docs")
        report = store.adapter.repair("docs", force=True)
    assert report.missing_ids == ["2-0", "2-1"] and report.replaced and not report.complete
    assert (report.expected, report.restored) == (len(reference), len(reference) - 2)
    with vectorstore.open(_url(path), isolation="none") as store:
        _assert_restored(store, {k: v for k, v in reference.items() if k not in ("2-0", "2-1")})


# -- interrupted repairs ----------------------------------------------------------------------------------------


class _Killed(BaseException):
    """Stands for a kill at a chosen step (BaseException: nothing on the way may catch it)."""


def test_a_repair_killed_between_drop_and_rename_is_finished_on_open(
    store_copy: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, reference = store_copy
    _truncate_pickle(path)

    def killed(collection: Any, name: str) -> None:
        raise _Killed

    with vectorstore.open(_url(path), isolation="none") as store:
        monkeypatch.setattr(recovery, "_rename", killed)
        with pytest.raises(_Killed):
            store.adapter.repair("docs")
        monkeypatch.undo()
        names = [c.name for c in chromadb_names(path, store)]
        assert names == ["docs" + recovery.REPAIR_SUFFIX]  # the damaged one is gone, the verified copy is there
    with vectorstore.open(_url(path), isolation="none") as store:  # opening finishes the swap
        _assert_restored(store, reference)


def test_a_repair_killed_before_verification_leaves_the_original_and_is_redone(
    store_copy: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, reference = store_copy
    _truncate_pickle(path)

    def killed(*args: Any) -> list[str]:
        raise _Killed

    with vectorstore.open(_url(path), isolation="none") as store:
        monkeypatch.setattr(recovery, "verify", killed)
        with pytest.raises(_Killed):
            store.adapter.repair("docs")
        monkeypatch.undo()
        assert sorted(c.name for c in chromadb_names(path, store)) == ["docs", "docs" + recovery.REPAIR_SUFFIX]
        assert [c.name for c in store.list_collections()] == ["docs"]  # the unfinished copy is hidden
        report = store.adapter.repair("docs")  # drops the leftover and starts again
        assert report.complete
        _assert_restored(store, reference)
        assert [c.name for c in chromadb_names(path, store)] == ["docs"]


def chromadb_names(path: Path, store: vectorstore.VectorStore) -> list[Any]:
    """Every collection Chroma has, repair copies included (through the store's own client: one per path)."""
    adapter = store.adapter
    assert isinstance(adapter, ChromaAdapter)
    return list(adapter._client.list_collections())


# -- the log: kept, replayed, compacted -------------------------------------------------------------------------


def test_recovery_keeps_the_log_and_recovery_false_restores_chroma_purge(tmp_path: Path) -> None:
    for recovery_on, path in ((True, tmp_path / "on"), (False, tmp_path / "off")):
        with vectorstore.open(_url(path, recovery=str(recovery_on).lower()), isolation="none") as store:
            store.create_collection("c01", dimension=4)
            rng = np.random.default_rng(0)
            for b in range(6):  # 1,200 writes: past sync_threshold, so Chroma purges what it applied
                store.upsert("c01", ids=[f"{b}-{j}" for j in range(200)], vectors=rng.random((200, 4)))
        with wal.connect(path) as connection:
            collection = wal.find_collection(connection, "c01", "default_tenant", "default_database")
            assert collection is not None
            kept = wal.log_size(connection, collection.id)
        assert (kept == 1200) if recovery_on else (kept < 1200), (recovery_on, kept)


def test_replayed_state_equals_chroma_own_answers_and_a_hand_reference(tmp_path: Path) -> None:
    """Plain chromadb with every operation and its merge rules; the replay must agree with Chroma and with a
    reference worked out by hand from the rules (ADD ignores existing ids, UPDATE missing ones, None deletes)."""
    client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(anonymized_telemetry=False))
    with wal.connect(tmp_path, write=True) as connection:
        wal.set_purge(connection, purge=False)
    plain = client.create_collection("plain", embedding_function=None)
    plain.add(ids=["a", "b", "c"], embeddings=[[1, 0], [0, 1], [1, 1]], documents=["da", "db", None],
              metadatas=[{"k": 1, "l": [1, 2]}, {"k": 2}, None])
    plain.add(ids=["a"], embeddings=[[9, 9]], metadatas=[{"k": 99}])  # ignored: a exists
    plain.upsert(ids=["a", "d"], embeddings=[[2, 0], [3, 3]], metadatas=[{"k": None, "m": "x"}, {"z": 1.5}])
    plain.update(ids=["b", "zz"], metadatas=[{"k": 3, "f": True}, {"q": 1}])  # zz does not exist: ignored
    plain.update(ids=["c"], embeddings=[[5, 5]], documents=["dc"])
    plain.delete(ids=["d"])
    plain.upsert(ids=["d"], embeddings=[[4, 4]])
    by_hand = {
        "a": ([2.0, 0.0], "da", {"l": [1, 2], "m": "x"}),
        "b": ([0.0, 1.0], "db", {"k": 3, "f": True}),
        "c": ([5.0, 5.0], "dc", {}),
        "d": ([4.0, 4.0], None, {}),
    }
    with wal.connect(tmp_path) as connection:
        collection = wal.find_collection(connection, "plain", "default_tenant", "default_database")
        assert collection is not None
        state = wal.expected_state(connection, collection)
    assert state.entries == 11  # 3 adds, 1 add, 2 upserts, 2 updates, 1 update, 1 delete, 1 upsert
    replayed = {i: (s.vector.tolist(), s.document, s.metadata) for i, s in state.records.items()}  # type: ignore[union-attr]
    assert replayed == by_hand
    native = plain.get(include=["embeddings", "documents", "metadatas"])
    chroma = {i: (np.asarray(v).tolist(), d, m or {}) for i, v, d, m in zip(
        native["ids"], native["embeddings"], native["documents"], native["metadatas"])}  # type: ignore[arg-type]
    assert chroma == by_hand
    assert recovery.verify(plain, state.records, 100) == []
    client.close()


def _entry(seq: int, op: int, record_id: str, keys: tuple[str, ...] = (), vector: bool = True) -> wal.Entry:
    return wal.Entry(seq, op, record_id, np.zeros(1, np.float32) if vector else None, dict.fromkeys(keys, 1))


def test_superseded_rows_by_hand() -> None:
    log = [
        _entry(1, wal.ADD, "a", ("k", "chroma:document")),
        _entry(2, wal.UPSERT, "a", ("k", "chroma:document", "m")),  # names all of 1: 1 goes
        _entry(3, wal.UPSERT, "b", ("k",)),
        _entry(4, wal.UPSERT, "b", ("j",)),  # a merge that leaves b's "k" alone: 3 stays
        _entry(5, wal.UPDATE, "c", ("k",), vector=False),
        _entry(6, wal.DELETE, "c", vector=False),  # 5 goes, the DELETE stays
        _entry(7, wal.ADD, "c", ("x",)),
        _entry(8, wal.UPSERT, "c", ()),  # after the DELETE, but 7 names "x": 7 stays
        _entry(9, wal.DELETE, "c", vector=False),  # 6, 7, 8 go
        _entry(10, wal.UPSERT, "a", ("k", "chroma:document", "m")),  # 2 goes, but only rows below the checkpoint
        _entry(11, wal.ADD, "a", ()),  # ADD never supersedes
    ]
    assert wal.superseded(log, before=100) == [1, 2, 5, 6, 7, 8]
    assert wal.superseded(log, before=8) == [1, 2, 5, 6, 7]  # row 8 and later are not applied everywhere yet


def test_compaction_bounds_churn_and_repair_still_restores(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    ids = [f"r{j}" for j in range(500)]
    reference: dict[str, dict[str, Any]] = {}
    with vectorstore.open(_url(tmp_path), isolation="none") as store:
        store.create_collection("docs", dimension=DIM)
        for round_ in range(8):  # 4,000 writes of 500 ids: the log passes 2x live and is compacted on the way
            vectors = rng.standard_normal((len(ids), DIM)).astype(np.float32)
            metadatas = [{"round": round_, **({"odd": True} if round_ % 2 else {})} for _ in ids]
            documents = [f"v{round_}" if round_ % 3 else None for _ in ids]
            store.upsert("docs", ids=ids, vectors=vectors, metadatas=metadatas, documents=documents)
            reference = {i: {"vector": v, "metadata": m, "document": d}
                         for i, v, m, d in zip(ids, vectors, metadatas, documents)}
        adapter = store.adapter
        assert isinstance(adapter, ChromaAdapter)
        adapter.compact("docs")
        with wal.connect(tmp_path) as connection:
            collection = wal.find_collection(connection, "docs", "default_tenant", "default_database")
            assert collection is not None
            size = wal.log_size(connection, collection.id)
        assert size <= 2 * len(ids)  # only rows not yet applied everywhere, and one per id, remain
    _truncate_pickle(tmp_path)
    with vectorstore.open(_url(tmp_path), isolation="process") as store:
        assert store.adapter.repair("docs").complete
    with vectorstore.open(_url(tmp_path), isolation="none") as store:
        got = {r.id: r for r in store.get("docs", ids, include=["vector", "document", "metadata"])}
        for record_id, want in reference.items():
            np.testing.assert_allclose(got[record_id].vector, want["vector"], rtol=1e-5, atol=1e-6)
            assert (got[record_id].document, got[record_id].metadata) == (want["document"], want["metadata"])


def test_repair_of_a_missing_collection_is_collection_not_found(tmp_path: Path) -> None:
    with vectorstore.open(_url(tmp_path), isolation="none") as store, pytest.raises(vectorstore.errors.CollectionNotFound):
        store.adapter.repair("nope")


def test_repair_does_not_apply_to_memory_stores() -> None:
    with vectorstore.open("chroma+memory://", isolation="none") as store:
        store.create_collection("c01", dimension=2)
        with pytest.raises(vectorstore.errors.UnsupportedFeature, match="embedded"):
            store.adapter.repair("c01")


# -- a real kill ------------------------------------------------------------------------------------------------

_CHILD = """
import sys, numpy as np, vectorstore
path, start, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
with vectorstore.open("chroma://" + path, isolation="none") as store:
    store.create_collection("chaos", dimension=64, exist_ok=True)
    chaos = store.collection("chaos")
    batch = start
    while True:
        ids = [f"{batch}-{j}" for j in range(200)]
        chaos.upsert(ids=ids, vectors=rng.standard_normal((200, 64)).astype(np.float32))
        print(" ".join(ids), flush=True)
        batch += 1
"""

_READ_ALL = """
import sys, vectorstore
path, ids = sys.argv[1], sys.stdin.read().split()
with vectorstore.open("chroma://" + path, isolation="none") as store:
    found = {r.id for r in store.get("chaos", ids, include=["vector"])}
    assert store.count("chaos") >= len(set(ids))
    missing = set(ids) - found
    assert not missing, sorted(missing)[:5]
"""


def _run(script: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args], input=stdin, capture_output=True, text=True, timeout=300, check=False
    )


#: How long a writer may take to acknowledge its first batch (interpreter, chromadb import, open).
READY_TIMEOUT_S = 120.0


def _kill_loop(path: Path, seed: int, kills: int, budget_s: float) -> tuple[list[str], bool]:
    """SIGKILL a writer at seeded moments until a fresh process cannot read every acknowledged id (or the bounds
    run out). Returns the acknowledged ids (a batch counts once its ids are printed) and whether it broke."""
    moments = random.Random(seed)
    acked: list[str] = []
    deadline = time.monotonic() + budget_s
    for kill in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path), str(len(acked) // 200), str(kill)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert child.stdout is not None
        os.set_blocking(child.stdout.fileno(), False)
        out = b""
        # The kill comes at a seeded moment after the writer's first acknowledged batch (starting a writer takes
        # seconds under load, and a writer killed before it acknowledged anything tests nothing).
        ready_by = time.monotonic() + READY_TIMEOUT_S
        while b"\n" not in out and time.monotonic() < ready_by and child.poll() is None:
            out += child.stdout.read() or b""
            time.sleep(0.01)  # polling the pipe for the first line (bounded by READY_TIMEOUT_S)
        stop = time.monotonic() + moments.uniform(0.0, 2.5)
        while time.monotonic() < stop and child.poll() is None:
            out += child.stdout.read() or b""
            time.sleep(0.01)  # polling the pipe, not synchronising: the kill moment is meant to be arbitrary
        child.send_signal(signal.SIGKILL)
        child.wait()
        out += child.stdout.read() or b""
        child.stdout.close()
        acked += [i for line in out.decode().splitlines() if len(line.split()) == 200 for i in line.split()]
        if _run(_READ_ALL, str(path), stdin=" ".join(acked)).returncode != 0:
            return acked, True
        if time.monotonic() > deadline:
            break
    return acked, False


def test_sigkilled_writer_damage_is_repaired_with_every_acknowledged_write(tmp_path: Path) -> None:
    """Kill a real writer until Chroma breaks (it took 3 kills, about 12 s, here), repair, read every id back.

    Bounded (40 kills or 90 s); if Chroma never breaks, every acknowledged id must still be readable, so the test
    cannot fail by chance either way.
    """
    acked, broke = _kill_loop(tmp_path, seed=7, kills=40, budget_s=90.0)
    assert acked
    if broke:
        with vectorstore.open(_url(tmp_path), isolation="process") as store:
            report = store.adapter.repair("chaos")
        assert report.complete and report.restored >= len(acked)
    result = _run(_READ_ALL, str(tmp_path), stdin=" ".join(acked))
    assert result.returncode == 0, result.stderr[-2000:]
