"""Apply journal entries to a store through its public API, merging runs of upserts into one call.

Used in three places: the applier (entries to the shadow), and opening a shadowed store (entries the primary may not
have taken when the process died, and entries left for the new primary by a cutover). Every application is safe
to repeat: upserts fully replace, deletes of missing ids do nothing, collections are created with ``exist_ok`` and
deleted with ``missing_ok``, so an entry applied twice (a kill between applying and recording it) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..batch import RecordBatch
from ..errors import CollectionNotFound
from ..store import VectorStore
from . import codec
from .journal import Entry

#: Records merged into one upsert of the shadow (consecutive upserts of one collection).
MERGE_RECORDS = 4096


@dataclass(frozen=True)
class Group:
    """Consecutive entries applied as one call: several upserts of one collection, or a single other entry."""

    entries: tuple[Entry, ...]

    @property
    def collection(self) -> str:
        return self.entries[0].collection

    @property
    def op(self) -> str:
        return self.entries[0].op

    @property
    def last(self) -> int:
        return self.entries[-1].seq

    def records(self) -> int:
        return sum(len(e.payload.get("ids") or ()) for e in self.entries)


def groups(entries: Sequence[Entry]) -> Iterator[Group]:
    """Split entries (in order) into groups; only upserts of the same collection are merged."""
    run: list[Entry] = []
    size = 0
    for entry in entries:
        mergeable = run and entry.op == "upsert" and run[-1].op == "upsert" and run[-1].collection == entry.collection
        if run and not (mergeable and size + len(entry.payload["ids"]) <= MERGE_RECORDS):
            yield Group(tuple(run))
            run, size = [], 0
        run.append(entry)
        size += len(entry.payload.get("ids") or ())
    if run:
        yield Group(tuple(run))


def merged_batch(group: Group) -> RecordBatch:
    """One batch of the group's upserts; an id written twice keeps its last version (the primary's order)."""
    batches = [codec.batch_of(e.payload, e.vectors or b"") for e in group.entries]
    batch = batches[0] if len(batches) == 1 else RecordBatch.concat(batches)
    last = {record_id: position for position, record_id in enumerate(batch.ids)}
    if len(last) == len(batch):
        return batch
    return batch.take(sorted(last.values()))


def apply(store: VectorStore, group: Group, shapes: VectorStore | None = None) -> None:
    """Apply one group to ``store``. A record write or index declaration for a collection ``store`` lacks creates it
    with the shape and indexes ``shapes`` (the primary) gives; if that store lacks it too, a later entry of the
    journal deletes it, and the write is skipped."""
    try:
        _apply(store, group)
    except CollectionNotFound:
        if shapes is None or group.op not in ("upsert", "delete", "create_index"):
            raise
        try:
            info = shapes.get_collection(group.collection)
        except CollectionNotFound:
            return
        store.create_collection(group.collection, info.dimension, info.metric, exist_ok=True,
                                indexes=shapes.list_indexes(group.collection))
        _apply(store, group)


def _apply(store: VectorStore, group: Group) -> None:
    name, payload = group.collection, group.entries[0].payload
    if group.op == "upsert":
        store.upsert(name, merged_batch(group))
    elif group.op == "delete":
        if payload.get("ids") is not None:
            store.delete(name, ids=payload["ids"])
        else:
            store.delete(name, where=payload.get("where"), document=payload.get("document"))
    elif group.op == "create_collection":  # entries of older journals have no "indexes"
        store.create_collection(name, payload["dimension"], payload["metric"], exist_ok=True,
                                indexes=payload.get("indexes"))
    elif group.op == "create_index":
        store.create_index(name, payload["key"], payload["kind"])
    elif group.op == "delete_collection":
        store.delete_collection(name, missing_ok=True)
    else:
        raise ValueError(f"journal entry {group.last}: unknown operation {group.op!r}")
