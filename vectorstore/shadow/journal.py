"""The durable journal of a shadowed store: every write the primary took, in the primary's order, until the shadow
has it.

One sqlite file (WAL) per pair of stores, with three tables:

- ``entries(seq, collection, op, target, created, payload, vectors)``: one row per write call, in the order the
  primary took them (a store takes one write per collection at a time, so ``seq`` order is the primary's order per
  collection). ``target`` is the store the entry is for (after a cutover the direction flips).
- ``state(key, value)``: ``cursor``, the highest ``seq`` the shadow is known to hold; what the applier last saw
  (errors, counts) and the mirrored-read statistics, as JSON, for ``vectorstore shadow status`` in another process.
- ``backfills(id, collection, status, requested, start_seq, updated, detail)``: backfills asked for and their
  progress (``vectorstore shadow backfill`` asks; the process that owns the stores runs them).

An entry is appended *before* the primary is called and removed again if the primary refuses, so a process killed
at any point leaves every acknowledged write in the journal; at most the last entry of each collection may not have
reached the primary, and opening the store again re-applies exactly those to the primary (upserts fully replace and
deletes of missing ids do nothing, so a second application changes nothing). With ``synchronous=NORMAL`` a commit
survives the process being killed; ``full`` adds an fsync per write for power cuts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import typedjson

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, "
    "op TEXT NOT NULL, target TEXT NOT NULL, created REAL NOT NULL, payload TEXT NOT NULL, vectors BLOB)",
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS backfills (id INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, "
    "status TEXT NOT NULL, requested REAL NOT NULL, start_seq INTEGER, updated REAL NOT NULL, detail TEXT)",
)
#: Backfill states, in order: asked for, copying from the primary, replaying the journal since the start, finished.
BackfillStatus = Literal["requested", "copying", "replaying", "done", "failed"]


@dataclass(frozen=True)
class Entry:
    seq: int
    collection: str
    op: str
    target: str
    created: float
    payload: dict[str, Any]
    vectors: bytes | None


@dataclass(frozen=True)
class Backfill:
    id: int
    collection: str
    status: BackfillStatus
    requested: float
    start_seq: int | None
    updated: float
    detail: dict[str, Any]


class Journal:
    """One connection to a journal file; safe to share between threads (calls are serialised by a lock)."""

    def __init__(self, path: Path, sync: Literal["normal", "full"] = "normal") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={sync.upper()}")
        with self._transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- entries ------------------------------------------------------------------------------------------------

    def append(self, collection: str, op: str, target: str, payload: dict[str, Any] | str, vectors: bytes | None = None) -> int:
        """Write one entry durably (one transaction) and return its ``seq``."""
        text = payload if isinstance(payload, str) else typedjson.dumps(payload)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO entries (collection, op, target, created, payload, vectors) VALUES (?, ?, ?, ?, ?, ?)",
                (collection, op, target, time.time(), text, vectors),
            )
            return int(cursor.lastrowid or 0)

    def remove(self, seq: int) -> None:
        """Forget an entry the primary refused (it never happened)."""
        with self._transaction() as db:
            db.execute("DELETE FROM entries WHERE seq = ?", (seq,))

    def read(self, after: int, upto: int | None = None, limit: int = 256) -> list[Entry]:
        """Entries with ``after < seq <= upto``, in order."""
        rows = self._query(
            "SELECT seq, collection, op, target, created, payload, vectors FROM entries WHERE seq > ? AND seq <= ? "
            "ORDER BY seq LIMIT ?",
            (after, upto if upto is not None else 2**62, limit),
        )
        return [Entry(r[0], r[1], r[2], r[3], r[4], typedjson.loads(r[5]), r[6]) for r in rows]

    def last_per_collection(self, after: int) -> list[Entry]:
        """The newest entry of each collection after ``after``: the only ones the primary may not have taken."""
        rows = self._query("SELECT max(seq) FROM entries WHERE seq > ? GROUP BY collection ORDER BY 1", (after,))
        return [entry for (seq,) in rows for entry in self.read(seq - 1, seq, 1)]

    def head(self) -> int:
        """The highest ``seq`` ever given (0 for a new journal)."""
        rows = self._query("SELECT seq FROM sqlite_sequence WHERE name = 'entries'")
        return int(rows[0][0]) if rows else 0

    def depth(self, cursor: int) -> tuple[int, float | None]:
        """How many entries are after ``cursor``, and when the oldest of them was written."""
        count, oldest = self._query("SELECT count(*), min(created) FROM entries WHERE seq > ?", (cursor,))[0]
        return int(count), oldest

    def truncate(self, upto: int) -> None:
        """Drop entries up to ``upto`` (applied, and not needed by a running backfill)."""
        with self._transaction() as db:
            db.execute("DELETE FROM entries WHERE seq <= ?", (upto,))

    # -- state --------------------------------------------------------------------------------------------------

    def get_state(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM state WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_state(self, **values: Any) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)", [(k, json.dumps(v)) for k, v in values.items()])

    def cursor(self) -> int:
        return int(self.get_state("cursor", 0))

    # -- backfills ----------------------------------------------------------------------------------------------

    def request_backfill(self, collection: str) -> int:
        now = time.time()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO backfills (collection, status, requested, updated, detail) VALUES (?, 'requested', ?, ?, '{}')",
                (collection, now, now),
            )
            return int(cursor.lastrowid or 0)

    def update_backfill(self, backfill_id: int, status: BackfillStatus, start_seq: int | None = None, **detail: Any) -> None:
        with self._transaction() as db:
            (old,) = db.execute("SELECT detail FROM backfills WHERE id = ?", (backfill_id,)).fetchone()
            merged = {**json.loads(old or "{}"), **detail}
            db.execute(
                "UPDATE backfills SET status = ?, start_seq = coalesce(?, start_seq), updated = ?, detail = ? WHERE id = ?",
                (status, start_seq, time.time(), json.dumps(merged), backfill_id),
            )

    def backfills(self, status: BackfillStatus | None = None) -> list[Backfill]:
        sql = "SELECT id, collection, status, requested, start_seq, updated, detail FROM backfills"
        rows = self._query(sql + (" WHERE status = ? ORDER BY id" if status else " ORDER BY id"), (status,) if status else ())
        return [Backfill(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]

    def backfill(self, backfill_id: int) -> Backfill | None:
        return next((b for b in self.backfills() if b.id == backfill_id), None)

    def close(self) -> None:
        with self._lock:
            self._db.close()
