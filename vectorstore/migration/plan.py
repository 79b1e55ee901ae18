"""Everything a migration checks before it writes: shapes, capabilities, ids, and (in a dry run) every record.

A problem found here stops the copy of that collection with the list of what is wrong, so a migration never
writes half a collection and then fails on something it could have seen from the start. The source's ids are kept
in the checkpoint's on-disk table, not in memory, so planning a collection of any size stays small.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import validation
from ..batch import RecordBatch
from ..errors import CollectionNotFound, InvalidInput
from ..models import CollectionInfo
from ..store import VectorStore
from .checkpoint import Checkpoint
from .collisions import find_collisions
from .models import LISTED, CollectionPlan, Problem

ALL_FIELDS = ("vector", "document", "metadata")


def source_collection(source: VectorStore, name: str) -> CollectionInfo:
    """The source's collection, or an error naming the collections it does have (never an empty new one)."""
    try:
        return source.get_collection(name)
    except CollectionNotFound:
        names = [info.name for info in source.list_collections()]
        raise CollectionNotFound(
            f"the source {source.url} has no collection {name!r}; it has: {', '.join(names) or 'none'}",
            collection=name,
        ) from None


def shape_blockers(info: CollectionInfo, target: VectorStore) -> tuple[CollectionInfo | None, list[str]]:
    """The target's collection if it exists, and why it cannot receive ``info``'s records (empty if it can)."""
    blockers = []
    if info.metric not in target.capabilities.metrics:
        blockers.append(
            f"the target ({target.adapter.name}) does not support the metric {info.metric!r} "
            f"(it supports {', '.join(sorted(target.capabilities.metrics))})"
        )
    try:
        existing = target.get_collection(info.name)
    except CollectionNotFound:
        return None, blockers
    if (existing.dimension, existing.metric) != (info.dimension, info.metric):
        blockers.append(
            f"the target collection {info.name!r} exists with dimension {existing.dimension} and metric "
            f"{existing.metric!r}, but the source's has dimension {info.dimension} and metric {info.metric!r}; "
            "delete the target collection or migrate to another store"
        )
    return existing, blockers


def unholdable(batch: RecordBatch, info: CollectionInfo) -> Iterator[Problem]:
    """Records of a batch the target would refuse, with the core's reason (the one the upsert would raise)."""
    try:
        validation.record_batch(info.name, info.dimension, batch)
        return
    except InvalidInput:
        pass
    for position, record_id in enumerate(batch.ids):
        try:
            validation.record_batch(info.name, info.dimension, batch.slice(position, position + 1))
        except InvalidInput as exc:
            yield Problem(kind="unholdable", id=record_id, detail=str(exc))


def plan_collection(
    source: VectorStore,
    target: VectorStore,
    name: str,
    checkpoint: Checkpoint,
    *,
    batch_size: int,
    check_ids: bool,
    read_records: bool,
) -> CollectionPlan:
    """Check one collection; ``read_records`` (the dry run) also validates every record against the target."""
    info = source_collection(source, name)
    existing, blockers = shape_blockers(info, target)
    plan = CollectionPlan(
        collection=name, dimension=info.dimension, metric=info.metric, source_count=0,
        target_exists=existing is not None, blockers=blockers,
    )
    repeated: list[str] = []
    holdable = 0
    for batch in source.scan_batches(name, batch_size=batch_size, include=[]):
        plan.source_count += len(batch)
        valid = [record_id for record_id in batch.ids if _id_holdable(record_id, plan)]
        holdable += len(valid)
        repeated += checkpoint.add_source_ids(valid)
    if repeated:
        plan.blockers.append(f"the source's scan returned {len(repeated)} ids more than once, e.g. {repeated[:5]}")
    plan.stale = checkpoint.stale_count()
    plan.already_done = checkpoint.done_count() - plan.stale
    plan.to_copy = plan.source_count - plan.already_done
    if existing is not None and not plan.blockers:
        _find_foreign(target, plan, checkpoint, batch_size)
    if read_records:
        _find_unholdable(source, info, plan, batch_size)
    if check_ids and not plan.blockers and holdable:
        plan.collisions = find_collisions(target, lambda: checkpoint.source_ids(batch_size))
        plan.ids_checked = True
    return plan


def _add_unholdable(plan: CollectionPlan, problem: Problem) -> None:
    plan.unholdable_count += 1
    if len(plan.unholdable) < LISTED:
        plan.unholdable.append(problem)


def _id_problem(record_id: str, collection: str) -> str | None:
    try:
        validation.record_id(record_id, collection)
    except InvalidInput as exc:
        return str(exc)
    return None


def _id_holdable(record_id: str, plan: CollectionPlan) -> bool:
    """Ids are checked on every run: it is cheap, and the id collision check needs valid ids."""
    problem = _id_problem(record_id, plan.collection)
    if problem:
        _add_unholdable(plan, Problem(kind="unholdable", id=record_id[:80], detail=problem))
    return problem is None


def _find_foreign(target: VectorStore, plan: CollectionPlan, checkpoint: Checkpoint, batch_size: int) -> None:
    """Target records this migration did not write: they would survive it and break the verification."""
    for batch in target.scan_batches(plan.collection, batch_size=batch_size, include=[]):
        plan.target_count += len(batch)
        foreign = checkpoint.unknown(batch.ids)
        plan.foreign_count += len(foreign)
        plan.foreign_ids += foreign[: LISTED - len(plan.foreign_ids)]


def _find_unholdable(source: VectorStore, info: CollectionInfo, plan: CollectionPlan, batch_size: int) -> None:
    for batch in source.scan_batches(plan.collection, batch_size=batch_size, include=ALL_FIELDS):
        reported = [p for p, record_id in enumerate(batch.ids) if _id_problem(record_id, info.name) is None]  # see above
        for problem in unholdable(batch.take(reported), info):
            _add_unholdable(plan, problem)
