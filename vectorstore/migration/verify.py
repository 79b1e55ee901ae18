"""Check that a target holds exactly the source's records: counts, every id both ways, a sample field by field.

Ids are checked exhaustively and in both directions, batch by batch (an ids-only scan of one side against a
``get`` on the other), so memory stays bounded. Contents are compared on a uniform random sample of ids (reservoir
sampling during the id scan): vectors within float32 rounding relative to the vector's norm (Qdrant's cosine
stores unit vectors and the adapter scales them back), documents exactly, metadata exactly *and* by type, since
``1``, ``1.0`` and ``True`` are different values in the contract.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from ..errors import CollectionNotFound
from ..models import Record
from ..store import VectorStore
from .models import LISTED, Problem, VerifyResult
from .plan import ALL_FIELDS

DEFAULT_SAMPLE = 1000
#: A few float32 ulps of the vector's norm: what normalising and scaling back can cost.
VECTOR_TOLERANCE = 8 * float(np.finfo(np.float32).eps)
_FETCH = 256


class _Problems:
    """Keeps the first :data:`LISTED` problems and counts all of them."""

    def __init__(self) -> None:
        self.listed: list[Problem] = []
        self.count = 0

    def add(self, kind: str, record_id: str | None, detail: str) -> None:
        self.count += 1
        if len(self.listed) < LISTED:
            self.listed.append(Problem(kind=kind, id=record_id, detail=detail))


def _typed(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def metadata_difference(source: dict[str, Any], target: dict[str, Any]) -> str | None:
    """The first key whose value or type differs (lists element by element), or None."""
    for key in sorted(set(source) | set(target)):
        if key not in target:
            return f"metadata key {key!r} is missing in the target (source: {_typed(source[key])})"
        if key not in source:
            return f"metadata key {key!r} is only in the target ({_typed(target[key])})"
        a, b = source[key], target[key]
        same_shape = type(a) is type(b) and (type(a) is not list or len(a) == len(b))
        if not same_shape or a != b or (type(a) is list and any(type(x) is not type(y) for x, y in zip(a, b))):
            return f"metadata key {key!r}: source {_typed(a)}, target {_typed(b)}"
    return None


def vector_difference(source: list[float] | None, target: list[float] | None) -> str | None:
    if source is None or target is None:
        return None if source is target else "the vector is missing on one side"
    a = np.asarray(source, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.shape != b.shape:
        return f"vector dimension {a.shape[0]} in the source, {b.shape[0]} in the target"
    deviation = float(np.abs(a - b).max(initial=0.0))
    allowed = VECTOR_TOLERANCE * max(float(np.linalg.norm(a)), float(np.finfo(np.float32).tiny))
    if deviation > allowed:
        return f"vector differs by up to {deviation:.3g} (allowed {allowed:.3g}, float32 rounding)"
    return None


def record_differences(source: Record, target: Record) -> list[tuple[str, str]]:
    """(field, detail) for each field of two records with the same id that differs."""
    found = []
    vector = vector_difference(source.vector, target.vector)
    if vector:
        found.append(("vector", vector))
    if source.document != target.document:
        found.append(("document", f"document differs: source {source.document!r:.80}, target {target.document!r:.80}"))
    metadata = metadata_difference(source.metadata or {}, target.metadata or {})
    if metadata:
        found.append(("metadata", metadata))
    return found


def _check_ids(
    scanned: VectorStore, other: VectorStore, name: str, kind: str, where: str, problems: _Problems,
    batch_size: int, sample: int, rng: random.Random,
) -> tuple[int, int, list[str]]:
    """Scan ``scanned``'s ids, look each batch up in ``other``; returns (scanned, absent from other, sample)."""
    seen = absent = 0
    reservoir: list[str] = []
    for batch in scanned.scan_batches(name, batch_size=batch_size, include=[]):
        present = set(other.get_batch(name, batch.ids, include=[]).ids)
        for record_id in batch.ids:
            seen += 1
            if record_id not in present:
                absent += 1
                problems.add(kind, record_id, f"id {record_id!r} is {where}")
                continue
            if len(reservoir) < sample:
                reservoir.append(record_id)
            elif (slot := rng.randrange(seen)) < sample:
                reservoir[slot] = record_id
    return seen, absent, reservoir


def verify_collection(
    source: VectorStore,
    target: VectorStore,
    name: str,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = 0,
    batch_size: int = 1000,
) -> VerifyResult:
    """Compare one collection on both sides; ``sample`` records (all if fewer) are compared field by field."""
    problems = _Problems()
    source_count = source.count(name)
    try:
        target_count = target.count(name)
    except CollectionNotFound:
        problems.add("collection", None, f"the target has no collection {name!r}")
        return VerifyResult(
            collection=name, source_count=source_count, target_count=0, missing_in_target=source_count,
            extra_in_target=0, sampled=0, differences=problems.listed, difference_count=problems.count,
        )
    if source_count != target_count:
        problems.add("count", None, f"the source holds {source_count} records, the target {target_count}")
    rng = random.Random(seed)
    scanned, missing, chosen = _check_ids(
        source, target, name, "missing_in_target", "in the source but not in the target", problems,
        batch_size, sample, rng,
    )
    if scanned != source_count:
        problems.add("count", None, f"the source's count says {source_count} but its scan returned {scanned} ids")
    _, extra, _ = _check_ids(
        target, source, name, "extra_in_target", "in the target but not in the source", problems, batch_size, 0, rng
    )
    for start in range(0, len(chosen), _FETCH):
        ids = chosen[start : start + _FETCH]
        theirs = {record.id: record for record in target.get(name, ids, include=ALL_FIELDS)}
        for ours in source.get(name, ids, include=ALL_FIELDS):
            if ours.id not in theirs:  # deleted from the target since the id check
                problems.add("missing_in_target", ours.id, f"id {ours.id!r} vanished from the target during the check")
                continue
            for field, detail in record_differences(ours, theirs[ours.id]):
                problems.add(field, ours.id, detail)
    return VerifyResult(
        collection=name, source_count=source_count, target_count=target_count, missing_in_target=missing,
        extra_in_target=extra, sampled=len(chosen), differences=problems.listed, difference_count=problems.count,
    )
