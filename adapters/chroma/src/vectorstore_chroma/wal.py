"""Chroma's write-ahead log read from outside: what each collection must contain, and how the log is bounded.

Every write to an embedded Chroma store is first one row of ``embeddings_queue`` in ``chroma.sqlite3`` (schema:
chromadb 1.5.9 ``migrations/embeddings_queue``): ``seq_id`` (global order), ``operation`` (0 ADD, 1 UPDATE,
2 UPSERT, 3 DELETE), ``topic`` (ends with the collection id), ``id``, ``vector`` (raw bytes in ``encoding``) and
``metadata`` (JSON; the document is the ``chroma:document`` key). Chroma then applies the row to the collection's
metadata segment (sqlite) and vector segment (HNSW files) and, by default, deletes rows that every segment has
applied. A kill while the HNSW files are written can leave them unreadable for good (issue 11), so with
``recovery`` on the adapter turns that purge off and this module replays the log into the state each id must have.

Replay follows Chroma's semantics: ADD ignores an existing id; UPDATE ignores a missing one; UPSERT inserts or
merges; a merge sets the given keys, deletes keys given as ``None`` and keeps the rest (the document too); a vector
replaces the old one; DELETE removes the record. Reads use a read-only connection, so a damaged store is never
written by looking at it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vectorstore.errors import BackendError
from vectorstore.models import Record

from . import records

ADD, UPDATE, UPSERT, DELETE = 0, 1, 2, 3
DOCUMENT_KEY = "chroma:document"
DATABASE_FILE = "chroma.sqlite3"
_PURGE_KEY = "automatically_purge"
_DEFAULT_QUEUE_CONFIG = {"_type": "EmbeddingsQueueConfigurationInternal"}
#: SQLite's default limit of bound variables is 32,766; deletes go in chunks well below it.
_DELETE_CHUNK = 10_000


@dataclass(frozen=True)
class Entry:
    """One row of the log. ``metadata`` holds keys only when read without values (compaction needs no more)."""

    seq: int
    op: int
    id: str
    vector: np.ndarray | None
    metadata: Mapping[str, Any]


@dataclass
class Stored:
    """A record as Chroma stores it: the raw metadata (reserved ``_vs_`` keys included, no document key)."""

    vector: np.ndarray | None
    document: str | None
    metadata: dict[str, Any] = field(default_factory=dict)

    def record(self, record_id: str) -> Record:
        """The record in vectorstore terms (reserved keys decoded, as the adapter's reads do)."""
        vector = None if self.vector is None else self.vector.tolist()
        return Record(
            id=record_id,
            vector=vector,
            document=records.decode_document(self.document, self.metadata),
            metadata=records.decode(self.metadata),
        )


@dataclass(frozen=True)
class Collection:
    """The sysdb facts about one collection that the log is keyed by."""

    id: str
    name: str
    vector_segment: str | None
    metadata_segment: str | None


@dataclass
class State:
    """What a collection must contain after replaying its log: ``records`` by id, from ``entries`` rows."""

    collection: Collection
    entries: int
    records: dict[str, Stored]


@contextmanager
def connect(directory: Path, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the store's database, closed on exit; read-only unless ``write``.

    Chroma holds its own connections meanwhile; sqlite serialises writers (``timeout`` waits for Chroma's).
    """
    path = directory / DATABASE_FILE
    if not path.exists():
        raise BackendError(f"{directory} has no {DATABASE_FILE}: it is not a Chroma store", path=str(directory))
    mode = "rw" if write else "ro"
    connection = sqlite3.connect(f"{path.as_uri()}?mode={mode}", uri=True, timeout=30.0, isolation_level=None)
    try:
        yield connection
    finally:
        connection.close()


def find_collection(connection: sqlite3.Connection, name: str, tenant: str, database: str) -> Collection | None:
    row = connection.execute(
        "SELECT c.id FROM collections c JOIN databases d ON c.database_id = d.id "
        "WHERE c.name = ? AND d.name = ? AND d.tenant_id = ?",
        (name, database, tenant),
    ).fetchone()
    if row is None:
        return None
    segments = dict(connection.execute("SELECT scope, id FROM segments WHERE collection = ?", (row[0],)).fetchall())
    return Collection(id=row[0], name=name, vector_segment=segments.get("VECTOR"), metadata_segment=segments.get("METADATA"))


def decode_vector(blob: bytes, encoding: str | None) -> np.ndarray:
    """A vector column as float32 (chromadb 1.5.9 writes FLOAT32; INT32 is the schema's other encoding)."""
    if encoding == "FLOAT32":
        return np.frombuffer(blob, dtype="<f4").copy()
    if encoding == "INT32":
        return np.frombuffer(blob, dtype="<i4").astype(np.float32)
    raise BackendError(f"chroma's log holds a vector in the unknown encoding {encoding!r}; this chromadb is not supported")


def entries(connection: sqlite3.Connection, collection_id: str, *, values: bool = True) -> Iterator[Entry]:
    """The collection's log rows in ``seq_id`` order; without ``values``, no vectors and metadata keys only."""
    columns = "seq_id, operation, id, vector, encoding, metadata" if values else (
        "seq_id, operation, id, vector IS NOT NULL, NULL, metadata"
    )
    cursor = connection.execute(
        f"SELECT {columns} FROM embeddings_queue WHERE topic LIKE ? ORDER BY seq_id",  # noqa: S608 - fixed columns
        (f"%/{collection_id}",),
    )
    for seq, op, record_id, vector, encoding, metadata in cursor:
        parsed: Mapping[str, Any] = json.loads(metadata) if metadata else {}
        if values:
            decoded = None if vector is None else decode_vector(vector, encoding)
        else:
            decoded = np.zeros(0, dtype=np.float32) if vector else None
        yield Entry(seq=seq, op=op, id=record_id, vector=decoded, metadata=parsed)


def _merge(stored: Stored, entry: Entry) -> None:
    if entry.vector is not None:
        stored.vector = entry.vector
    for key, value in entry.metadata.items():
        if key == DOCUMENT_KEY:
            stored.document = value
        elif value is None:
            stored.metadata.pop(key, None)
        else:
            stored.metadata[key] = value


def replay(log: Iterable[Entry]) -> dict[str, Stored]:
    """Each id's final state, applying ``log`` in order with Chroma's semantics (see the module docstring).

    An UPDATE of an id the log has not created is ignored, as Chroma ignores updates of missing ids. If the id
    exists in a segment whose older log rows were purged (before recovery was on), it is absent here and the
    repair reports it missing (:func:`segment_ids`).
    """
    state: dict[str, Stored] = {}
    for entry in log:
        current = state.get(entry.id)
        if entry.op == DELETE:
            state.pop(entry.id, None)
        elif current is not None and entry.op in (UPDATE, UPSERT):
            _merge(current, entry)
        elif current is None and entry.op in (ADD, UPSERT):
            fresh = Stored(vector=None, document=None)
            _merge(fresh, entry)
            state[entry.id] = fresh
        elif entry.op not in (ADD, UPDATE, UPSERT, DELETE):
            raise BackendError(f"chroma's log holds the unknown operation {entry.op} (seq {entry.seq})")
    return state


def expected_state(connection: sqlite3.Connection, collection: Collection) -> State:
    """Replay the collection's whole log (see :func:`replay`)."""
    rows = list(entries(connection, collection.id))
    return State(collection=collection, entries=len(rows), records=replay(rows))


def segment_ids(connection: sqlite3.Connection, collection: Collection) -> set[str]:
    """The ids Chroma's metadata segment holds (sqlite, so it survives what breaks the HNSW files)."""
    if collection.metadata_segment is None:
        return set()
    rows = connection.execute("SELECT embedding_id FROM embeddings WHERE segment_id = ?", (collection.metadata_segment,))
    return {row[0] for row in rows}


def live_count(connection: sqlite3.Connection, collection: Collection) -> int:
    """The records the metadata segment holds (an indexed count)."""
    row = connection.execute("SELECT COUNT(*) FROM embeddings WHERE segment_id = ?", (collection.metadata_segment,))
    return int(row.fetchone()[0])


def log_size(connection: sqlite3.Connection, collection_id: str) -> int:
    return int(
        connection.execute("SELECT COUNT(*) FROM embeddings_queue WHERE topic LIKE ?", (f"%/{collection_id}",)).fetchone()[0]
    )


# -- keeping and bounding the log -------------------------------------------------------------------------------


def set_purge(connection: sqlite3.Connection, purge: bool) -> bool:
    """Set Chroma's ``automatically_purge`` (read by chromadb 1.5.9 at every write); returns the previous value.

    chromadb has no public setting for it (only ``chroma utils vacuum``, which turns it on), so the one config row
    is written, other keys kept. Chroma writes the row when it opens the store, so this runs after the client opens
    and before the adapter's first write, under the directory lock.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        row = connection.execute("SELECT config_json_str FROM embeddings_queue_config WHERE id = 1").fetchone()
        config: dict[str, Any] = json.loads(row[0]) if row and row[0] else dict(_DEFAULT_QUEUE_CONFIG)
        previous = bool(config.get(_PURGE_KEY, True))
        if previous != purge or row is None:
            config[_PURGE_KEY] = purge
            connection.execute(
                "INSERT OR REPLACE INTO embeddings_queue_config (id, config_json_str) VALUES (1, ?)",
                (json.dumps(config, separators=(",", ":")),),
            )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return previous


def superseded(log: Iterable[Entry], before: int) -> list[int]:
    """The ``seq_id`` s below ``before`` whose removal cannot change any id's replayed final state.

    Conservative on purpose: the state the log starts from is unknown (Chroma may have purged older rows), so an
    entry only goes when a *later* entry of the same id decides everything it touched:

    - a DELETE decides everything: all earlier entries of the id go, an earlier DELETE too (the last DELETE stays:
      it also removes whatever the unknown start held);
    - an UPSERT with a vector decides the vector and every metadata key it names (``None`` included, the document
      key too): the entries since the id's last DELETE go when none names a key the UPSERT does not (after a
      DELETE the record is known to be absent, so the UPSERT alone rebuilds it).
      The adapter's upserts name every old key (full replace, :mod:`.records`), so re-upserting an id leaves one
      entry; plain chromadb merges that leave old keys alone keep their history.

    ADD and UPDATE never supersede (an ADD of an existing id is ignored; an UPDATE may lack a vector). Only rows
    below ``before`` (every segment's applied ``max_seq_id``) are candidates, which Chroma's own purge would delete
    anyway, so Chroma's replay of unapplied rows is never affected.
    """
    last_delete: dict[str, Entry] = {}
    since: dict[str, list[Entry]] = {}  # each id's entries after its last DELETE
    doomed: list[int] = []

    def drop(candidates: Iterable[Entry]) -> list[Entry]:
        """Doom the candidates below ``before``; return the ones that must stay."""
        kept = []
        for candidate in candidates:
            if candidate.seq < before:
                doomed.append(candidate.seq)
            else:
                kept.append(candidate)
        return kept

    for entry in log:
        earlier = since.setdefault(entry.id, [])
        if entry.op == DELETE:
            previous = last_delete.get(entry.id)
            drop([*([previous] if previous is not None else []), *earlier])
            last_delete[entry.id] = entry
            earlier.clear()
            continue
        if entry.op == UPSERT and entry.vector is not None:
            named = entry.metadata.keys()
            if all(e.metadata.keys() <= named for e in earlier):
                earlier[:] = drop(earlier)
        earlier.append(entry)
    return sorted(doomed)


def applied_checkpoint(connection: sqlite3.Connection, collection: Collection) -> int:
    """The lowest ``max_seq_id`` of the collection's segments: every row below it is applied everywhere (0 if not)."""
    segments = [s for s in (collection.vector_segment, collection.metadata_segment) if s is not None]
    seqs = []
    for segment in segments:
        row = connection.execute("SELECT seq_id FROM max_seq_id WHERE segment_id = ?", (segment,)).fetchone()
        seqs.append(int(row[0]) if row else 0)
    return min(seqs, default=0)


def compact(connection: sqlite3.Connection, collection: Collection) -> int:
    """Delete the collection's superseded log rows (see :func:`superseded`) in one transaction; returns how many."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        before = applied_checkpoint(connection, collection)
        doomed = superseded(entries(connection, collection.id, values=False), before) if before else []
        for start in range(0, len(doomed), _DELETE_CHUNK):
            chunk = doomed[start : start + _DELETE_CHUNK]
            connection.execute(
                f"DELETE FROM embeddings_queue WHERE seq_id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                chunk,
            )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return len(doomed)
