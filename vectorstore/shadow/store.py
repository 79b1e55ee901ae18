"""The shadowed store: the application's :class:`~vectorstore.VectorStore`, answered by the primary, with every
acknowledged write journaled for the shadow and a sample of reads compared with it.

It *is* a :class:`VectorStore` over the primary's adapter, so validation, filters, chunking and results are the
primary's, unchanged; it overrides only the calls that write (to journal them) and ``query``/``search`` (to
sample them). One write per collection runs at a time: the journal append and the primary's call happen under the
collection's lock, so the journal's order is the primary's order (last write wins per id, by that order).
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from .. import indexes as payload_indexes
from .. import validation
from ..batch import RecordBatch
from ..errors import BackendError, BackendUnavailable, InvalidInput
from ..events import emit
from ..filters import Where, parse_filter
from ..models import CollectionInfo, Match, Metric, Record, UpsertResult
from ..store import VectorStore
from ..toolkit import DirectoryLock
from . import codec
from .applier import Applier
from .journal import Journal
from .mirror import Mirror, Sample
from .replay import Group, apply
from .settings import ShadowSettings

_T = TypeVar("_T")


class ShadowedStore(VectorStore):
    """Built by :func:`vectorstore.open` when the configuration names a shadow; see docs/migration.md."""

    def __init__(
        self,
        primary: VectorStore,
        settings: ShadowSettings,
        *,
        primary_url: str,
        shadow_url: str,
        open_shadow: Callable[[], VectorStore],
    ) -> None:
        super().__init__(primary.adapter, url=primary.url, release=self._shutdown)
        self.primary, self.settings = primary, settings
        self.primary_url, self.shadow_url = primary_url, shadow_url
        self.pid = os.getpid()
        path = settings.journal_path(primary_url, shadow_url)
        # Held while open: tells `vectorstore shadow backfill` in another process that this one serves requests.
        self._owner = DirectoryLock(path.with_name(path.name + ".owner"), "shadowed store")
        self._owner.acquire()
        self.journal = Journal(path, settings.journal_sync)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._in_flight: set[int] = set()
        self._in_flight_lock = threading.Lock()
        #: Per collection, the last journal entry the primary acknowledged.
        self.written: dict[str, int] = {}
        self.uncertain_writes = 0
        try:
            self._recover()
        except BaseException:
            self._release_files()
            raise
        self.applier = Applier(self, open_shadow)
        self.mirror: Mirror | None = None
        if settings.mirror_fraction > 0:
            self.mirror = Mirror(self.applier, settings.mirror_fraction, settings.mirror_queue, settings.window_s,
                                 settings.seed)
            self.mirror.start()
        self.applier.start()

    def __repr__(self) -> str:
        return f"<ShadowedStore {self.primary_url} shadowed by {self.shadow_url}>"

    # -- opening and closing ------------------------------------------------------------------------------------

    def _recover(self) -> None:
        """Settle what a previous process left: entries for this primary (from before a cutover), then the newest
        entry of each collection, which the primary may not have taken before the process died."""
        cursor = self.journal.cursor()
        while entries := [e for e in self.journal.read(cursor, limit=512) if e.target == self.primary_url]:
            for entry in entries:
                apply(self.primary, Group((entry,)))
                cursor = entry.seq
            self.journal.set_state(cursor=cursor)
        for entry in self.journal.last_per_collection(cursor):
            apply(self.primary, Group((entry,)))
            self.written[entry.collection] = entry.seq

    def _shutdown(self) -> None:
        """Stop the threads (the applier finishes its current group; the journal keeps the rest), then close."""
        if self.mirror is not None:
            self.mirror.stop()
            self.mirror.join()
        self.applier.stop()
        self.applier.join()
        self.primary.close()
        self._release_files()

    def _release_files(self) -> None:
        self.journal.close()
        self._owner.release()

    # -- state --------------------------------------------------------------------------------------------------

    def settled(self) -> int:
        """Entries up to this seq have had their primary call return (the applier may replay them)."""
        with self._in_flight_lock:
            return min(self._in_flight) - 1 if self._in_flight else self.journal.head()

    def lag(self) -> dict[str, Any]:
        cursor = self.applier.cursor
        depth, oldest = self.journal.depth(cursor)
        return {"writes": depth, "seconds": round(time.time() - oldest, 3) if oldest else 0.0, "cursor": cursor,
                "head": self.journal.head()}

    def mirror_snapshot(self) -> dict[str, Any] | None:
        return None if self.mirror is None else self.mirror.agreement.snapshot()

    def stats(self) -> dict[str, Any]:
        """The primary's counters plus ``shadow``: journal depth, lag, replay errors, mirrored-read agreement."""
        return {**self.primary.stats(), "shadow": {
            "primary": self.primary_url, "shadow": self.shadow_url, "journal": str(self.journal.path),
            "lag": self.lag(), "uncertain_writes": self.uncertain_writes, "applier": dict(self.applier.stats),
            "mirror": self.mirror_snapshot(),
        }}

    def wait_caught_up(self, timeout: float) -> bool:
        """Wait (bounded) until the shadow holds every write acknowledged so far; True if it does."""
        target = self.journal.head()
        with self.applier.changed:
            self.applier.wake.set()
            return self.applier.changed.wait_for(
                lambda: self.applier.cursor >= target and self.applier.replaying_since is None, timeout
            )

    # -- writes -------------------------------------------------------------------------------------------------

    def _journaled(self, name: str, op: str, payload: dict[str, Any] | str, vectors: bytes | None,
                   call: Callable[[], _T]) -> _T:
        """Append the entry, call the primary, and forget the entry if the primary refuses."""
        with self._locks[name]:
            seq = self.journal.append(name, op, self.shadow_url, payload, vectors)
            with self._in_flight_lock:
                self._in_flight.add(seq)
            try:
                result = call()
            except BaseException as exc:
                self.journal.remove(seq)
                if isinstance(exc, (BackendError, BackendUnavailable)):
                    # The primary may have applied part of it: the shadow cannot know. Status says so.
                    self.uncertain_writes += 1
                    emit("shadow.uncertain_write", self.shadow_url, collection=name, op=op, error=str(exc))
                raise
            finally:
                with self._in_flight_lock:
                    self._in_flight.discard(seq)
            self.written[name] = seq
        self.applier.wake.set()
        return result

    def create_collection(self, name: str, dimension: int, metric: Metric = "cosine", exist_ok: bool = False,
                          indexes: Mapping[str, str] | None = None) -> CollectionInfo:
        clean = validation.collection_name(name)
        payload = {"dimension": validation.dimension(dimension), "metric": validation.metric(metric),
                   "indexes": payload_indexes.indexes(indexes, f"collection {clean!r}")}
        return self._journaled(clean, "create_collection", payload, None,
                               lambda: super(ShadowedStore, self).create_collection(
                                   name, dimension, metric, exist_ok, indexes))

    def create_index(self, name: str, key: str, kind: str) -> None:
        clean = validation.collection_name(name)
        key, checked = payload_indexes.declaration(key, kind, f"collection {clean!r}")
        self._journaled(clean, "create_index", {"key": key, "kind": checked}, None,
                        lambda: super(ShadowedStore, self).create_index(name, key, checked))

    def delete_collection(self, name: str, missing_ok: bool = False) -> None:
        clean = validation.collection_name(name)
        self._journaled(clean, "delete_collection", {}, None,
                        lambda: super(ShadowedStore, self).delete_collection(name, missing_ok))

    def upsert(
        self,
        name: str,
        ids: Sequence[str] | RecordBatch | None = None,
        vectors: Any = None,
        documents: Sequence[str | None] | None = None,
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        records: Iterable[Record | Mapping[str, Any]] | None = None,
        batch: RecordBatch | None = None,
    ) -> UpsertResult:
        """Validated once; the clean batch is what the journal keeps and what the primary gets."""
        clean = self._upsert_batch(name, ids, vectors, documents, metadatas, records, batch)
        text, blob = codec.batch_payload(clean)

        def write() -> UpsertResult:
            self._write(name, clean)
            return UpsertResult(upserted=len(clean))

        return self._journaled(validation.collection_name(name), "upsert", text, blob, write)

    def delete(self, name: str, ids: Sequence[str] | None = None, where: Where = None,
               document: Where = None) -> int | None:
        info = self._shape(name)
        if ids is not None and (where is not None or document is not None):
            raise InvalidInput("delete takes ids or a filter (where/document), not both")
        if ids is not None:
            clean = validation.ids(ids, info.name)
            if not clean:
                return 0
            payload: dict[str, Any] = {"ids": clean}
        else:
            parse_filter(where, document)  # a bad filter is refused before anything is journaled
            payload = {"where": where, "document": document}
        return self._journaled(info.name, "delete", payload, None,
                               lambda: super(ShadowedStore, self).delete(name, ids, where, document))

    # -- reads --------------------------------------------------------------------------------------------------

    def query(self, name: str, vectors: Any, k: int = 10, where: Where = None, document: Where = None,
              include: Iterable[str] | None = None) -> list[list[Match]]:
        if self.mirror is None or not self.mirror.sampled():
            return super().query(name, vectors, k, where, document, include)
        return self._mirrored(name, vectors, k, where, document, include, single=False)

    def search(self, name: str, vector: Any, k: int = 10, where: Where = None, document: Where = None,
               include: Iterable[str] | None = None) -> list[Match]:
        if self.mirror is None or not self.mirror.sampled():
            return super().search(name, vector, k, where, document, include)
        return self._mirrored(name, vector, k, where, document, include, single=True)[0]

    def _mirrored(self, name: str, vectors: Any, k: int, where: Where, document: Where,
                  include: Iterable[str] | None, *, single: bool) -> list[list[Match]]:
        assert self.mirror is not None
        clean = validation.collection_name(name)
        seq = self.written.get(clean, 0)
        in_flight = self._locks[clean].locked()
        started = time.perf_counter()
        if single:
            rows = [super().search(name, vectors, k, where, document, include)]
        else:
            rows = super().query(name, vectors, k, where, document, include)
        elapsed = (time.perf_counter() - started) * 1000.0
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(rows), -1) if rows else None
        sample = None if matrix is None else Sample(clean, matrix, k, where, document, rows, elapsed, seq, time.time())
        self.mirror.offer(sample, in_flight or self.written.get(clean, 0) != seq)
        return rows

    # -- backfill -----------------------------------------------------------------------------------------------

    def request_backfill(self, collections: Sequence[str] | None = None) -> list[int]:
        """Ask the applier to backfill ``collections`` (all of the primary's by default); returns the request ids."""
        names = list(collections) if collections else [info.name for info in self.primary.list_collections()]
        for name in names:
            self.primary.get_collection(name)  # CollectionNotFound now, not in the background
        ids = [self.journal.request_backfill(name) for name in names]
        self.applier.wake.set()
        return ids

    def wait_backfills(self, ids: Sequence[int], timeout: float) -> bool:
        """Wait (bounded) until every backfill in ``ids`` is done or failed; True when all are done."""
        def finished() -> bool:
            return all(b.status in ("done", "failed") for b in self._backfills(ids))

        with self.applier.changed:
            self.applier.changed.wait_for(finished, timeout)
        return all(b.status == "done" for b in self._backfills(ids))

    def _backfills(self, ids: Sequence[int]) -> list[Any]:
        return [b for b in self.journal.backfills() if b.id in set(ids)]

    def backfill(self, collections: Sequence[str] | None = None, timeout: float = 3600.0) -> bool:
        """Copy collections to the shadow under live writes and wait until they converged (see :mod:`.backfill`)."""
        return self.wait_backfills(self.request_backfill(collections), timeout)
