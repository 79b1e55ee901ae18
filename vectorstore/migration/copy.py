"""Stream one collection from source ``scan`` into target ``upsert``, checkpointing each committed batch.

A reader thread pulls the next batch from the source (and fingerprints it for the checkpoint) while the main thread
writes the current one, so the copy runs at the pace of the slower side rather than the sum of both. The queue
between them holds at most :data:`QUEUE_DEPTH` batches: memory stays bounded by ``batch_size`` whatever the
collection's size. Batches stay columnar end to end (``scan_batches`` into ``upsert``): the vectors are one float32
array from the source adapter to the target adapter, never a list of Python floats.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..batch import RecordBatch
from ..errors import BackendError
from ..store import VectorStore
from .checkpoint import Checkpoint, batch_digests
from .models import CopyResult
from .plan import ALL_FIELDS

QUEUE_DEPTH = 2
ALL_INCLUDED = frozenset(ALL_FIELDS)
#: Called with the number of records just written or found already done.
Advance = Callable[[int], None]


@dataclass(frozen=True)
class Fingerprinted:
    """A source batch (every field included) with the checkpoint digest of each record."""

    batch: RecordBatch
    digests: list[bytes]

    @classmethod
    def of(cls, batch: RecordBatch) -> Fingerprinted:
        if batch.include != ALL_INCLUDED:
            raise BackendError(
                f"the source returned a batch with only {sorted(batch.include)} though every field was asked for"
            )
        return cls(batch, batch_digests(batch.vectors, batch.documents, batch.metadatas))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.batch)

    def without(self, skip: set[str]) -> Fingerprinted:
        keep = [position for position, record_id in enumerate(self.batch.ids) if record_id not in skip]
        return Fingerprinted(self.batch.take(keep), [self.digests[p] for p in keep])


class _End:
    """Marks the end of the source's scan in the queue."""


class _Reader(threading.Thread):
    """Reads the source into a bounded queue; an exception is handed over to the writer to raise."""

    def __init__(self, source: VectorStore, name: str, batch_size: int) -> None:
        super().__init__(name=f"migrate-read-{name}", daemon=True)
        self.source, self.collection, self.batch_size = source, name, batch_size
        self.queue: queue.Queue[Fingerprinted | BaseException | _End] = queue.Queue(QUEUE_DEPTH)
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            for batch in self.source.scan_batches(self.collection, batch_size=self.batch_size, include=ALL_FIELDS):
                if len(batch) and not self._put(Fingerprinted.of(batch)):
                    return
            self._put(_End())
        except BaseException as exc:  # handed to the writer thread, which raises it
            self._put(exc)

    def _put(self, item: Fingerprinted | BaseException | _End) -> bool:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next_batch(self) -> Fingerprinted | None:
        item = self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return None if isinstance(item, _End) else item


def already_copied(target: VectorStore, name: str, checkpoint: Checkpoint, read: Fingerprinted) -> set[str]:
    """Ids of the batch recorded with the same content and still present in the target."""
    recorded = checkpoint.digests(read.batch.ids)
    same = [i for i, digest in zip(read.batch.ids, read.digests) if recorded.get(i) == digest]
    if not same:
        return set()
    return set(target.get_batch(name, same, include=[]).ids)


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
                target.upsert(name, fresh.batch)
                checkpoint.mark_done(fresh.batch.ids, fresh.digests)
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
