"""Find source ids that the target would store as one record, before anything is written.

Through the contract ids are strings on both sides, but an adapter may map them to native ids (Qdrant points take
only integers and UUIDs). A lossy mapping (UUID spellings folded together, ``"007"`` and ``"7"`` both becoming
point 7, as other migration tools do) would merge records silently. :meth:`VectorStore.native_ids` says how the
target identifies each id, so the check is a pure computation: nothing is written to the target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..store import VectorStore

IdBatches = Callable[[], Iterator[list[str]]]


def find_collisions(target: VectorStore, batches: IdBatches) -> list[list[str]]:
    """Groups of distinct ids (from ``batches()``) that share one native id on the target, sorted."""
    owners: dict[str, list[str]] = {}
    for ids in batches():
        for record_id, native in zip(ids, target.native_ids(ids)):
            owners.setdefault(native, []).append(record_id)
    groups = (sorted(group) for group in owners.values() if len(group) > 1)
    return sorted(groups, key=lambda group: group[0])
