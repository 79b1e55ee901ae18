"""Stream one collection from source ``scan`` into target ``upsert``, checkpointing each committed batch.

A reader thread pulls the next batch from the source (and turns it into columns) while the main thread writes the
current one, so the copy runs at the pace of the slower side rather than the sum of both. The queue between them
holds at most :data:`QUEUE_DEPTH` batches: memory stays bounded by ``batch_size`` whatever the collection's size.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..models import Metadata, Record
from ..store import VectorStore
from .checkpoint import Checkpoint, record_digest
from .models import CopyResult
from .plan import ALL_FIELDS

QUEUE_DEPTH = 2
#: Called with the number of records just written or found already done.
Advance = Callable[[int], None]


@dataclass
class Columns:
    ids: list[str]
    vectors: np.ndarray
    documents: list[str | None]
    metadatas: list[Metadata | None]
    digests: list[bytes]

    @classmethod
    def of(cls, records: list[Record]) -> Columns:
        vectors = np.asarray([record.vector for record in records], dtype=np.float32)
        documents = [record.document for record in records]
        metadatas = [record.metadata for record in records]
        digests = [record_digest(v, d, m) for v, d, m in zip(vectors, documents, metadatas)]
        return cls([record.id for record in records], vectors, documents, metadatas, digests)

    def __len__(self) -> int:
        return len(self.ids)

    def without(self, skip: set[str]) -> Columns:
        keep = [position for position, record_id in enumerate(self.ids) if record_id not in skip]
        return Columns(
            [self.ids[p] for p in keep], self.vectors[keep], [self.documents[p] for p in keep],
            [self.metadatas[p] for p in keep], [self.digests[p] for p in keep],
        )


class _End:
    """Marks the end of the source's scan in the queue."""


class _Reader(threading.Thread):
    """Reads the source into a bounded queue; an exception is handed over to the writer to raise."""

    def __init__(self, source: VectorStore, name: str, batch_size: int) -> None:
        super().__init__(name=f"migrate-read-{name}", daemon=True)
        self.source, self.collection, self.batch_size = source, name, batch_size
        self.queue: queue.Queue[Columns | BaseException | _End] = queue.Queue(QUEUE_DEPTH)
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            for records in self.source.scan(self.collection, batch_size=self.batch_size, include=ALL_FIELDS):
                if records and not self._put(Columns.of(records)):
                    return
            self._put(_End())
        except BaseException as exc:  # handed to the writer thread, which raises it
            self._put(exc)

    def _put(self, item: Columns | BaseException | _End) -> bool:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next_batch(self) -> Columns | None:
        item = self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return None if isinstance(item, _End) else item


def already_copied(target: VectorStore, name: str, checkpoint: Checkpoint, batch: Columns) -> set[str]:
    """Ids of the batch recorded with the same content and still present in the target."""
    recorded = checkpoint.digests(batch.ids)
    same = [i for i, digest in zip(batch.ids, batch.digests) if recorded.get(i) == digest]
    if not same:
        return set()
    return {record.id for record in target.get(name, same, include=[])}


def delete_stale(target: VectorStore, name: str, checkpoint: Checkpoint, batch_size: int) -> int:
    """Remove from the target the records copied by an earlier run that the source no longer has."""
    deleted = 0
    while stale := checkpoint.stale(batch_size):
        target.delete(name, ids=stale)
        checkpoint.forget(stale)
        deleted += len(stale)
    return deleted


def copy_collection(
    source: VectorStore,
    target: VectorStore,
    name: str,
    checkpoint: Checkpoint,
    *,
    batch_size: int,
    advance: Advance,
    batch_delay: float = 0.0,
) -> CopyResult:
    """Copy every record not already copied; the target collection must exist with the source's shape."""
    started = time.perf_counter()
    resumed = checkpoint.done_count() > 0
    deleted = delete_stale(target, name, checkpoint, batch_size) if resumed else 0
    reader = _Reader(source, name, batch_size)
    reader.start()
    copied = skipped = batches = 0
    try:
        while (batch := reader.next_batch()) is not None:
            done = already_copied(target, name, checkpoint, batch) if resumed else set()
            fresh = batch.without(done) if done else batch
            if len(fresh):
                target.upsert(name, fresh.ids, fresh.vectors, fresh.documents, fresh.metadatas)
                checkpoint.mark_done(fresh.ids, fresh.digests)
                batches += 1
                if batch_delay:
                    time.sleep(batch_delay)
            copied += len(fresh)
            skipped += len(done)
            advance(len(batch))
    finally:
        reader.stopping.set()
        reader.join()
    seconds = time.perf_counter() - started
    return CopyResult(
        collection=name, copied=copied, skipped=skipped, deleted_stale=deleted, batches=batches,
        seconds=round(seconds, 3), records_per_second=round(copied / seconds, 1) if seconds > 0 else 0.0,
        resumed=resumed,
    )
