"""``migrate --salvage``: copy what a damaged source can still read, and name every record it cannot.

A normal copy streams the source's ``scan``; one unreadable record fails the whole scan. A salvage instead reads by
id: the ids come from the plan's ids-only scan (kept in the checkpoint, so memory stays bounded), each batch is
fetched with ``get``, and a batch whose read fails (a backend error, or a worker crash behind process isolation) is
split in two and each half read again, down to single ids. An id that fails alone, or that the scan listed but
``get`` does not return, is unreadable: it is listed in the report with the source's error, and the run fails.

A source opened from a URL for a salvage gets a circuit that never opens (:data:`CIRCUIT_FAILURES`): bisecting a
batch that crashes the worker crashes it again at every level, and the circuit would otherwise stop the salvage.
"""

from __future__ import annotations

import time

from ..batch import RecordBatch
from ..errors import CircuitOpen, VectorStoreError
from ..store import VectorStore
from .checkpoint import Checkpoint
from .copy import ALL_INCLUDED, Advance, Fingerprinted, already_copied, delete_stale
from .models import LISTED, CopyResult, Problem, SalvageResult
from .plan import ALL_FIELDS

#: Consecutive worker deaths that would open an isolated source's circuit during a salvage: in effect never.
CIRCUIT_FAILURES = 1_000_000


class _Reads:
    """Reads ids from the source, bisecting failures; keeps what could not be read, and why."""

    def __init__(self, source: VectorStore, name: str, result: SalvageResult) -> None:
        self.source, self.name, self.result = source, name, result

    def read(self, ids: list[str]) -> RecordBatch:
        """The readable records among ``ids``; the others are recorded as unreadable."""
        try:
            batch = self.source.get_batch(self.name, ids, include=ALL_FIELDS)
        except CircuitOpen:  # every call would now fail fast: that says nothing about these ids
            raise
        except VectorStoreError as exc:
            self.result.failed_reads += 1
            if len(ids) == 1:
                self._unreadable(ids[0], f"{type(exc).__name__}: {exc}")
                return RecordBatch.empty(ALL_INCLUDED)
            middle = len(ids) // 2
            return RecordBatch.concat([self.read(ids[:middle]), self.read(ids[middle:])], ALL_INCLUDED)
        found = set(batch.ids)
        for record_id in ids:
            if record_id not in found:
                self._unreadable(record_id, "the source's scan listed it, but get returns nothing for it")
        if batch.include != ALL_INCLUDED:
            for record_id in batch.ids:
                self._unreadable(record_id, f"the source returned it with only {sorted(batch.include)}")
            return RecordBatch.empty(ALL_INCLUDED)
        return batch

    def _unreadable(self, record_id: str, detail: str) -> None:
        self.result.unreadable_ids.append(record_id)
        if len(self.result.errors) < LISTED:
            self.result.errors.append(Problem(kind="unreadable", id=record_id, detail=detail))


def salvage_collection(
    source: VectorStore,
    target: VectorStore,
    name: str,
    checkpoint: Checkpoint,
    *,
    batch_size: int,
    advance: Advance,
) -> tuple[CopyResult, SalvageResult]:
    """Copy every readable record of the ids the plan listed; the target collection must exist."""
    started = time.perf_counter()
    resumed = checkpoint.done_count() > 0
    deleted = delete_stale(target, name, checkpoint, batch_size) if resumed else 0
    result = SalvageResult(collection=name, listed=0, copied=0)
    reads = _Reads(source, name, result)
    copied = skipped = batches = 0
    for ids in checkpoint.source_ids(batch_size):
        result.listed += len(ids)
        readable = reads.read(ids)
        if len(readable):
            batch = Fingerprinted.of(readable)
            done = already_copied(target, name, checkpoint, batch) if resumed else set()
            fresh = batch.without(done) if done else batch
            if len(fresh):
                target.upsert(name, fresh.batch)
                checkpoint.mark_done(fresh.batch.ids, fresh.digests)
                batches += 1
            copied += len(fresh)
            skipped += len(done)
        advance(len(ids))
    result.copied = copied + skipped
    result.target_count = target.count(name)
    seconds = time.perf_counter() - started
    result.seconds = round(seconds, 3)
    copy = CopyResult(
        collection=name, copied=copied, skipped=skipped, deleted_stale=deleted, batches=batches, seconds=round(seconds, 3),
        records_per_second=round(copied / seconds, 1) if seconds > 0 else 0.0, resumed=resumed,
    )
    return copy, result
