"""Backfill under live writes: copy a collection from the primary to the shadow while the application writes.

The copy reads the primary while writes keep arriving, so the shadow gets some records older and some newer than
the primary's final state, in any interleaving with the applier. Convergence comes from the journal, not from the
copy's timing:

1. the backfill's start mark is the applier's cursor at that moment: the shadow holds every entry up to it;
2. the copy upserts every record of a primary scan into the shadow, then deletes from the shadow the ids the
   primary no longer has (leftovers of an earlier attempt);
3. once the copy is done, the applier rewinds to the start mark and applies every entry since then again, in the
   primary's order (the journal keeps them until then);
4. when that replay reaches the journal's head as of step 3, the backfill is done.

After step 4 each id holds what the primary holds: an id written since the mark ends with its last journaled write
(replayed after anything the copy wrote), an id not written since the mark was copied as it is; a record deleted
during the copy stays deleted, because its delete is replayed after the copy's upsert. Full-replace upserts and
deletes are idempotent, so applying an entry twice changes nothing.

Only the process that owns the stores can read and write them (one owner per path, DESIGN 3.5), so the backfill
runs there: :meth:`ShadowedStore.backfill` in the application, or ``vectorstore shadow backfill`` from another
process, which asks the application through the journal and follows the progress (or, when no application holds
the stores, opens them and runs it itself).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from ..errors import VectorStoreError
from ..events import emit
from ..store import VectorStore
from .journal import Backfill

if TYPE_CHECKING:
    from .applier import Applier

ALL_FIELDS = ("vector", "document", "metadata")
COPY_BATCH = 1000
#: How long a backfill waits for the shadow to open before it fails, in seconds.
SHADOW_WAIT_S = 60.0


def start_backfill(applier: Applier, request: Backfill) -> None:
    """Mark the start (the applier's cursor, in the applier's thread) and copy in a thread of its own."""
    applier.journal.update_backfill(request.id, "copying", start_seq=applier.cursor)
    emit("shadow.backfill_started", applier.owner.shadow_url, collection=request.collection, start=applier.cursor)
    thread = threading.Thread(target=_run, args=(applier, request), name=f"shadow-backfill-{request.collection}",
                              daemon=True)
    thread.start()


def _run(applier: Applier, request: Backfill) -> None:
    journal, name = applier.journal, request.collection
    try:
        with applier.changed:
            applier.wake.set()
            applier.changed.wait_for(lambda: applier.shadow is not None or applier.stopping.is_set(), SHADOW_WAIT_S)
        shadow = applier.shadow
        if shadow is None:
            raise_unavailable(applier)
        primary = applier.owner.primary
        info = primary.get_collection(name)
        shadow.create_collection(name, info.dimension, info.metric, exist_ok=True, indexes=primary.list_indexes(name))
        started, copied = time.perf_counter(), 0
        for batch in primary.scan_batches(name, batch_size=COPY_BATCH, include=ALL_FIELDS):
            if applier.stopping.is_set():
                raise InterruptedError("the shadowed store was closed during the backfill; ask for it again")
            shadow.upsert(name, batch)
            copied += len(batch)
            journal.update_backfill(request.id, "copying", copied=copied)
        removed = remove_extra(primary, shadow, name)
        journal.update_backfill(request.id, "replaying", copied=copied, removed=removed,
                                copy_seconds=round(time.perf_counter() - started, 3), copied_at=time.time())
        applier.wake.set()
    except (VectorStoreError, InterruptedError) as exc:
        journal.update_backfill(request.id, "failed", error=f"{type(exc).__name__}: {exc}")
        emit("shadow.backfill_failed", applier.owner.shadow_url, logging.WARNING, collection=name, error=str(exc))
        with applier.changed:
            applier.changed.notify_all()


def raise_unavailable(applier: Applier) -> None:
    raise InterruptedError(
        f"the shadow {applier.owner.shadow_url} did not open within {SHADOW_WAIT_S:.0f} s "
        f"({applier.stats['last_error']}); make it available and ask again"
    )


def remove_extra(primary: VectorStore, shadow: VectorStore, name: str) -> int:
    """Delete from the shadow the ids the primary does not have; returns how many."""
    removed = 0
    for batch in shadow.scan_batches(name, batch_size=COPY_BATCH, include=[]):
        present = set(primary.get_batch(name, batch.ids, include=[]).ids)
        extra = [record_id for record_id in batch.ids if record_id not in present]
        if extra:
            shadow.delete(name, ids=extra)
            removed += len(extra)
    return removed
