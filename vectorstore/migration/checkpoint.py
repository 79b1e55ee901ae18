"""The resumable checkpoint of one (source, target, collection) migration: an sqlite file of copied ids.

It records *which* ids are in the target and a digest of what was copied for each, never a position: a position
breaks as soon as the source gains or loses records between runs, an id set does not. A resumed run skips a
record only if its id is recorded with the same digest (a record changed since is copied again) and still present
in the target, and deletes from the target the recorded ids the source no longer has.

It lives in ``<checkpoint_dir>/<key>.sqlite`` (default ``./.vectorstore/migrations/``), where ``key`` is a hash of
the source URL, target URL and collection name, and the ``meta`` table repeats those three in clear. sqlite's WAL
with ``synchronous=FULL`` makes each committed batch survive a ``kill -9`` or a power cut; a batch written to the
target but not yet committed here is simply copied again (upserts are idempotent). The file is removed once a
verification of the finished copy passes.

The same class with no path is the dry run's scratch space: a private temporary database sqlite deletes itself.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..batch import chunked

DEFAULT_DIRECTORY = Path(".vectorstore") / "migrations"
#: sqlite's limit on bound parameters is 32766 on current builds, 999 on old ones.
_CHUNK = 900


#: One encoder for every digest (``json.dumps`` with options builds a new one per call).
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def batch_digests(
    vectors: np.ndarray, documents: Sequence[str | None], metadatas: Sequence[dict[str, Any] | None]
) -> list[bytes]:
    """A 16-byte fingerprint of each record's content (JSON keeps ``1``, ``1.0`` and ``true`` apart): blake2b of
    the float32 vector's bytes, then of ``[document, metadata]`` as canonical JSON.

    Rows are hashed in place, not copied one by one: the migration's reader runs this on every batch, beside the
    writer, under one GIL. The digest must stay the same across releases, or a resumed copy starts over.
    """
    if not len(vectors):
        return []
    rows = memoryview(np.ascontiguousarray(vectors, dtype=np.float32)).cast("B")
    width = rows.nbytes // len(vectors)
    blake2b = hashlib.blake2b
    digests = []
    for start, document, metadata in zip(range(0, rows.nbytes, width), documents, metadatas):
        digest = blake2b(rows[start : start + width], digest_size=16)
        digest.update(_canonical([document, metadata or {}]).encode("utf-8"))
        digests.append(digest.digest())
    return digests


def checkpoint_path(directory: Path, source: str, target: str, collection: str) -> Path:
    key = hashlib.sha256("\0".join((source, target, collection)).encode("utf-8")).hexdigest()[:24]
    return directory / f"{key}.sqlite"


def _repeats(ids: list[str]) -> list[str]:
    """Each occurrence of an id after its first, in order."""
    seen: set[str] = set()
    return [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]


class Checkpoint:
    """Copied ids and their digests, plus a temporary table of this run's source ids (kept on disk, not in RAM)."""

    def __init__(self, path: Path | None, *, source: str = "", target: str = "", collection: str = "") -> None:
        self.path = path
        self._closed = False
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect("" if path is None else str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL" if path is not None else "PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA temp_store=FILE")
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS done (id TEXT PRIMARY KEY, digest BLOB NOT NULL)")
            now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            for key, value in (("source", source), ("target", target), ("collection", collection), ("created", now)):
                self._db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, value))
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS source_ids (id TEXT PRIMARY KEY)")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Commit on success, roll back on error (the connection is in autocommit mode otherwise)."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- this run's source ids ------------------------------------------------------------------------------------

    def add_source_ids(self, ids: Iterable[str]) -> list[str]:
        """Remember ids seen in the source; returns those seen before (a source that yields an id twice)."""
        batch = list(ids)
        fresh = dict.fromkeys(batch)
        repeated = _repeats(batch) if len(fresh) < len(batch) else []
        with self._transaction():
            for chunk in map(list, chunked(list(fresh), _CHUNK)):  # seen in an earlier batch: rare, found in bulk
                marks = ",".join("?" * len(chunk))
                seen = {row[0] for row in self._db.execute(f"SELECT id FROM source_ids WHERE id IN ({marks})", chunk)}
                repeated += [record_id for record_id in chunk if record_id in seen]
            self._db.executemany("INSERT OR IGNORE INTO source_ids VALUES (?)", ((i,) for i in fresh))
        return repeated

    def source_ids(self, batch_size: int) -> Iterator[list[str]]:
        """The remembered source ids, in batches (rowid order: the order they were seen)."""
        last = 0
        while True:
            rows = self._db.execute(
                "SELECT rowid, id FROM source_ids WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch_size)
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [row[1] for row in rows]

    def unknown(self, ids: list[str]) -> list[str]:
        """Those of ``ids`` neither in the source nor recorded as copied: records this migration did not write."""
        known: set[str] = set()
        for chunk in map(list, chunked(ids, _CHUNK)):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id FROM source_ids WHERE id IN ({marks}) UNION SELECT id FROM done WHERE id IN ({marks})"
            known.update(row[0] for row in self._db.execute(query, chunk + chunk))
        return [i for i in ids if i not in known]

    # -- copied ids ---------------------------------------------------------------------------------------------

    def done_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM done").fetchone()[0])

    def digests(self, ids: list[str]) -> dict[str, bytes]:
        """Recorded digests of those of ``ids`` already copied."""
        found: dict[str, bytes] = {}
        for chunk in map(list, chunked(ids, _CHUNK)):
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT id, digest FROM done WHERE id IN ({marks})", chunk).fetchall())
        return found

    def mark_done(self, ids: list[str], digests: list[bytes]) -> None:
        """Record a batch the target has acknowledged, in one durable transaction."""
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO done VALUES (?, ?)", zip(ids, digests))

    def forget(self, ids: list[str]) -> None:
        with self._transaction():
            self._db.executemany("DELETE FROM done WHERE id = ?", ((i,) for i in ids))

    def stale_count(self) -> int:
        """How many recorded ids are not among this run's source ids."""
        query = "SELECT count(*) FROM done WHERE id NOT IN (SELECT id FROM source_ids)"
        return int(self._db.execute(query).fetchone()[0])

    def stale(self, limit: int) -> list[str]:
        """Up to ``limit`` recorded ids that are not among this run's source ids (forget them to get the next)."""
        query = "SELECT id FROM done WHERE id NOT IN (SELECT id FROM source_ids) LIMIT ?"
        return [row[0] for row in self._db.execute(query, (limit,))]

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close; a checkpoint that records nothing is deleted, since there is nothing to resume."""
        if self._closed:
            return
        empty = self.done_count() == 0
        self._db.close()
        self._closed = True
        if empty:
            self._unlink()

    def remove(self) -> None:
        """Close and delete the file (after a verified finish, or to start over)."""
        if not self._closed:
            self._db.close()
            self._closed = True
        self._unlink()

    def _unlink(self) -> None:
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

