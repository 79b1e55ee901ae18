"""Rebuilding a damaged Chroma collection from its write-ahead log, atomically, and cheap checks of its files.

:meth:`ChromaAdapter.repair` replays the log (:mod:`.wal`) into what the collection must contain, builds a new
collection ``<name>`` + :data:`REPAIR_SUFFIX` with the same configuration through chromadb's public API, verifies it
record by record, and only then swaps it in. Every step leaves a reachable collection behind a kill:

1. a leftover repair collection of an earlier, interrupted attempt is dropped (the original is still there);
2. the new collection is created, marked ``_vs_repair_of = <name>`` (hidden from ``list_collections``), filled
   and verified against the replayed state;
3. it is marked ``_vs_repair_verified``; from here on it is a complete replacement;
4. the damaged collection is dropped: ``client.delete_collection`` works where the collection refuses reads, and
   the list-valued metadata rows it leaves behind (chroma#7594) are deleted from sqlite, where only orphans go;
5. the new collection is renamed (``modify(name=...)``, one sysdb write) and its markers removed.

A kill between 4 and 5 leaves only the verified copy: :func:`finish_swaps`, run when a store opens and at the
start of every repair, renames it. A kill before 3 leaves the original, and the unverified copy is dropped by the
next repair.
"""

from __future__ import annotations

import logging
import pickle
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection

from vectorstore.errors import BackendError, CollectionExists, CollectionNotFound
from vectorstore.health import Check, RepairReport

from . import wal

log = logging.getLogger(__name__)

#: Appended to a collection's name while its replacement is built (vectorstore names are at most 63 characters,
#: Chroma's 512, so the result is always a valid Chroma name).
REPAIR_SUFFIX = "-vsrepair"
#: Collection metadata: the name a repair collection replaces, and that it was verified record by record.
REPAIR_OF_KEY = "_vs_repair_of"
VERIFIED_KEY = "_vs_repair_verified"
#: Configuration keys chromadb 1.5.9 accepts when creating a collection with an HNSW index.
_HNSW_KEYS = ("space", "ef_construction", "ef_search", "max_neighbors", "resize_factor", "sync_threshold")
#: Chroma's hnswlib ``header.bin`` (chromadb 1.5.9): a 4-byte format version (1), then offset_level0,
#: max_elements, cur_element_count, size_data_per_element, label_offset, offset_data as u64, then the rest.
_HEADER_VERSION = 1
_HEADER_FIELDS = 6
_PICKLE = "index_metadata.pickle"


@dataclass(frozen=True)
class Target:
    """Where a store lives: what the sqlite lookups and the client need."""

    client: ClientAPI
    directory: Path
    tenant: str
    database: str
    max_batch: int


def is_repair_copy(collection: ChromaCollection) -> bool:
    """Whether a collection is a repair's work in progress (hidden from listings)."""
    of = (collection.metadata or {}).get(REPAIR_OF_KEY)
    return of is not None and of != collection.name


# -- cheap checks -----------------------------------------------------------------------------------------------


class _PlainUnpickler(pickle.Unpickler):
    """Reads only plain data: Chroma's Rust core writes the index metadata as dicts, ints and strings."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def check_files(target: Target, name: str) -> list[Check]:
    """Consistency checks of the collection's HNSW files that need no Chroma call (which a damaged index fails).

    - ``hnsw files``: the segment directory exists once the segment has persisted anything (its ``max_seq_id``
      row), ``index_metadata.pickle`` loads as plain data, ``header.bin`` parses, ``data_level0.bin`` holds every
      element the header counts, and every element's label is one the index assigned (garbled bytes fail this).
    """
    with wal.connect(target.directory) as connection:
        collection = _collection(connection, target, name)
        persisted = _persisted(connection, collection.vector_segment)
    if collection.vector_segment is None:
        return [Check(name="hnsw files", ok=False, error=f"collection {name!r} has no vector segment in sysdb")]
    try:
        _check_segment(target.directory / collection.vector_segment, persisted)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        return [Check(name="hnsw files", ok=False, error=f"{type(exc).__name__}: {exc}")]
    return [Check(name="hnsw files", ok=True)]


def _persisted(connection: sqlite3.Connection, segment: str | None) -> bool:
    row = connection.execute("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment,)).fetchone()
    return row is not None and int(row[0]) > 0


def _check_segment(directory: Path, persisted: bool) -> None:
    if not directory.is_dir():
        if persisted:
            raise ValueError(f"the segment directory {directory} is gone, but the segment has persisted writes")
        return
    metadata: Mapping[str, Any] = {}
    pickled = directory / _PICKLE
    if pickled.exists():
        with pickled.open("rb") as handle:
            try:
                loaded = _PlainUnpickler(handle).load()
            except (EOFError, pickle.UnpicklingError) as exc:
                raise ValueError(f"{pickled} does not load ({type(exc).__name__}: {exc})") from exc
        if not isinstance(loaded, dict) or not isinstance(loaded.get("id_to_label"), dict):
            raise ValueError(f"{pickled} is not an index metadata dict")
        metadata = loaded
    elif persisted:
        raise ValueError(f"{pickled} is missing, but the segment has persisted writes")
    header = directory / "header.bin"
    if not header.exists():
        return  # nothing indexed yet
    head = header.read_bytes()
    if len(head) < 4 + 8 * _HEADER_FIELDS:
        raise ValueError(f"{header} is truncated ({len(head)} bytes)")
    if int.from_bytes(head[:4], "little") != _HEADER_VERSION:
        return  # another layout than the one this check knows: no opinion
    fields = np.frombuffer(head[4 : 4 + 8 * _HEADER_FIELDS], dtype="<u8")
    _, _, count, size, label_offset, _ = (int(f) for f in fields)
    data = directory / "data_level0.bin"
    if data.stat().st_size < count * size:
        raise ValueError(f"{data} holds {data.stat().st_size} bytes, fewer than {count} elements of {size}")
    if count == 0 or not metadata:
        return
    raw = np.memmap(data, dtype=np.uint8, mode="r", shape=(count, size))
    labels = raw[:, label_offset : label_offset + 8].copy().view("<u8").ravel()
    known = max(int(metadata.get("total_elements_added") or 0), len(metadata["id_to_label"]))
    if labels.min() < 1 or labels.max() > known:
        raise ValueError(f"{data} holds labels outside 1..{known}: its elements are garbled")


# -- repair -----------------------------------------------------------------------------------------------------


def finish_swaps(target: Target) -> list[str]:
    """Rename verified repair copies whose original is gone (a repair killed between drop and rename)."""
    finished = []
    by_name = {c.name: c for c in target.client.list_collections()}
    for collection in by_name.values():
        metadata = collection.metadata or {}
        original = metadata.get(REPAIR_OF_KEY)
        if is_repair_copy(collection) and metadata.get(VERIFIED_KEY) and original not in by_name:
            _rename(collection, str(original))
            finished.append(str(original))
            log.warning("chroma store %s: finished the interrupted repair of %r", target.directory, original)
    return finished


def repair(
    target: Target, name: str, configure: Callable[[Mapping[str, Any]], dict[str, Any]], *, force: bool = False
) -> RepairReport:
    """Rebuild ``name`` from its log and swap it in (steps in the module docstring); see :class:`RepairReport`.

    ``configure`` turns the old collection's ``configuration_json`` into the creation configuration. Ids the log
    cannot restore leave the damaged collection untouched unless ``force``: dropping it would drop the last copy of
    whatever of theirs is still readable (``vectorstore migrate --salvage`` copies that first).
    """
    started = time.monotonic()
    temporary = name + REPAIR_SUFFIX
    if name in finish_swaps(target):
        return _report(target, name, started, note="finished an interrupted swap; ")
    with wal.connect(target.directory) as connection:
        old = _collection(connection, target, name)
        state = wal.expected_state(connection, old)
        missing = sorted(wal.segment_ids(connection, old) - state.records.keys())
        leftover = wal.find_collection(connection, temporary, target.tenant, target.database)
    if missing and not force:
        return RepairReport(
            collection=name,
            expected=len(state.records) + len(missing),
            restored=0,
            missing_ids=missing,
            source=f"chroma write-ahead log, {state.entries:,} entries",
            seconds=time.monotonic() - started,
            replaced=False,
        )
    if leftover is not None:
        existing = target.client.get_collection(temporary, embedding_function=None)
        if (existing.metadata or {}).get(REPAIR_OF_KEY) != name:
            raise CollectionExists(
                f"cannot repair collection {name!r}: {temporary!r}, the name its rebuilt copy takes, is another "
                "collection; rename or delete it first",
                collection=temporary,
            )
        _drop(target, temporary)
    native = target.client.get_collection(name, embedding_function=None)
    metadata = {k: v for k, v in (native.metadata or {}).items() if not k.startswith("hnsw:")}
    fresh = target.client.create_collection(
        temporary,
        configuration=configure(native.configuration_json or {}),  # type: ignore[arg-type]
        metadata={**metadata, REPAIR_OF_KEY: name},
        embedding_function=None,
    )
    ids = sorted(state.records)
    for start in range(0, len(ids), target.max_batch):
        chunk = ids[start : start + target.max_batch]
        stored = [state.records[i] for i in chunk]
        documents = [s.document for s in stored]
        metadatas = [s.metadata or None for s in stored]
        fresh.upsert(
            ids=chunk,
            embeddings=np.stack([s.vector for s in stored]),  # type: ignore[misc]
            documents=documents if any(d is not None for d in documents) else None,
            metadatas=metadatas if any(m is not None for m in metadatas) else None,  # type: ignore[arg-type]
        )
    wrong = verify(fresh, state.records, target.max_batch)
    if wrong:
        _drop(target, temporary)
        raise BackendError(
            f"repair of collection {name!r} stopped before the swap: {len(wrong)} rebuilt records differ from chroma's "
            f"log (first: {wrong[:5]}); the damaged collection is untouched",
            collection=name,
        )
    fresh.modify(metadata={**metadata, REPAIR_OF_KEY: name, VERIFIED_KEY: True})
    _drop(target, name)
    _rename(fresh, name)
    return RepairReport(
        collection=name,
        expected=len(ids) + len(missing),
        restored=len(ids),
        missing_ids=missing,
        source=f"chroma write-ahead log, {state.entries:,} entries",
        seconds=time.monotonic() - started,
    )


def _report(target: Target, name: str, started: float, note: str) -> RepairReport:
    """The report of a collection that is already the verified copy: checked again against its own log."""
    with wal.connect(target.directory) as connection:
        state = wal.expected_state(connection, _collection(connection, target, name))
    collection = target.client.get_collection(name, embedding_function=None)
    wrong = verify(collection, state.records, target.max_batch)
    return RepairReport(
        collection=name,
        expected=len(state.records),
        restored=len(state.records) - len(wrong),
        missing_ids=sorted(wrong),
        source=f"{note}chroma write-ahead log, {state.entries:,} entries",
        seconds=time.monotonic() - started,
    )


def verify(collection: ChromaCollection, expected: Mapping[str, wal.Stored], batch: int) -> list[str]:
    """The ids whose stored record differs from ``expected`` (vector beyond float32 rounding, document, metadata)."""
    wrong: list[str] = []
    ids = sorted(expected)
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        raw = collection.get(ids=chunk, include=["embeddings", "documents", "metadatas"])
        got = {
            i: (v, d, m or {})
            for i, v, d, m in zip(raw["ids"], raw["embeddings"], raw["documents"], raw["metadatas"])  # type: ignore[arg-type]
        }
        for record_id in chunk:
            if record_id not in got or not _same(expected[record_id], *got[record_id]):
                wrong.append(record_id)
    return wrong


def _same(expected: wal.Stored, vector: Any, document: str | None, metadata: Mapping[str, Any]) -> bool:
    want = np.asarray(expected.vector, dtype=np.float64)
    have = np.asarray(vector, dtype=np.float64)
    scale = float(np.abs(want).max(initial=1.0))
    return (
        have.shape == want.shape
        and bool(np.allclose(have, want, rtol=1e-5, atol=1e-6 * scale))
        and document == expected.document
        and _typed(dict(metadata)) == _typed(expected.metadata)
    )


def _typed(value: Any) -> Any:
    """A value with its types made part of equality (``1 == 1.0 == True`` in Python)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def _collection(connection: sqlite3.Connection, target: Target, name: str) -> wal.Collection:
    found = wal.find_collection(connection, name, target.tenant, target.database)
    if found is None:
        raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)
    return found


def _drop(target: Target, name: str) -> None:
    """Drop a collection that may refuse reads, then what chromadb 1.5.9 leaves behind: its HNSW segment directory
    (one per repair otherwise: 28 directories, 193 MB after a chaos run) and the list rows of chroma#7594."""
    with wal.connect(target.directory) as connection:
        found = wal.find_collection(connection, name, target.tenant, target.database)
    target.client.delete_collection(name)
    if found is not None and found.vector_segment:
        shutil.rmtree(target.directory / found.vector_segment, ignore_errors=True)  # open handles: unlinked anyway
    with wal.connect(target.directory, write=True) as connection:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM embedding_metadata_array WHERE id NOT IN (SELECT id FROM embeddings)")
        connection.execute("COMMIT")


def _rename(collection: ChromaCollection, name: str) -> None:
    metadata = {k: v for k, v in (collection.metadata or {}).items() if k not in (REPAIR_OF_KEY, VERIFIED_KEY)}
    collection.modify(name=name, metadata=metadata or None)


def configuration(current: Mapping[str, Any], hnsw: Mapping[str, Any]) -> dict[str, Any]:
    """The creation configuration of a rebuilt collection: the old HNSW settings, ``hnsw`` for what is unset."""
    old = current.get("hnsw") or {}
    settings = {key: old[key] for key in _HNSW_KEYS if old.get(key) is not None}
    return {"hnsw": {**hnsw, **settings}}
