"""Adapters with one deliberate bug each (``broken+<bug>://``), to prove that the suite's tests can fail.

Each bug copies a real backend behaviour from ``notes/backends.md`` or a classic adapter mistake; the test in
``test_suite_catches_bugs.py`` names the suite tests that must fail for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.batch import RecordBatch
from vectorstore.filters import Condition, Node, Not, matches
from vectorstore.filters.tree import And, Or
from vectorstore.models import FILTER_OPERATORS, Capabilities, Match


class BrokenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str


class MergesMetadata(MemoryAdapter):
    """Chroma's upsert: metadata merged, document kept when none is given."""

    def upsert(self, name: str, batch: RecordBatch) -> None:
        with self._lock:
            rows = self._get(name).rows
            merged = [{**rows[i][2], **m} if i in rows else m for i, m in zip(batch.ids, batch.metadatas)]
            documents = [
                d if d is not None or i not in rows else rows[i][1] for i, d in zip(batch.ids, batch.documents)
            ]
            super().upsert(name, RecordBatch(batch.ids, batch.vectors, documents, merged))


class OvercountsDeletes(MemoryAdapter):
    """Reports every requested id as deleted, present or not."""

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        deleted = super().delete(name, ids, where)
        return deleted if ids is None else len(ids)


class SquaredL2(MemoryAdapter):
    """Chroma's l2 distance is squared; an adapter that forgets to take the root."""

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        results = super().query(name, vectors, k, where, include)
        if self._get(name).info.metric == "l2":
            for row in results:
                for match in row:
                    match.distance = match.distance**2
                    match.score = -match.distance
        return results


def _translate(node: Node | None, bug: str) -> Node | None:
    """Rewrite a filter tree the way a buggy native translation would evaluate it."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_translate(child, bug) for child in node.children))  # type: ignore[arg-type]
    if isinstance(node, Not):
        return Not(_translate(node.child, bug))  # type: ignore[arg-type]
    if isinstance(node, Condition) and bug == "ne-excludes-missing" and node.op == "$ne":
        return And((Condition(node.key, "$exists", True), node))
    if isinstance(node, Condition) and bug == "bool-is-int" and node.op == "$eq" and type(node.value) is bool:
        return Or((node, Condition(node.key, "$eq", int(node.value))))
    if isinstance(node, Condition) and bug == "datetime-seconds":
        return Condition(node.key, node.op, _to_seconds(node.value))  # type: ignore[arg-type]
    return node


def _to_seconds(value: Any) -> Any:
    """A datetime operand cut to whole seconds (a time stored as integer seconds, not microseconds)."""
    if isinstance(value, tuple):
        return tuple(_to_seconds(item) for item in value)
    return value.replace(microsecond=0) if isinstance(value, dt.datetime) else value


class Filters(MemoryAdapter):
    """Qdrant's MatchExcept (``$ne`` drops records without the field), qdrant-edge's bool-as-int matching, or
    datetime operands compared at whole seconds."""

    def __init__(self, bug: str) -> None:
        super().__init__()
        self.bug = bug

    def count(self, name: str, where: Node | None) -> int:
        return super().count(name, _translate(where, self.bug))

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        return super().scan(name, _translate(where, self.bug), batch_size, include)

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        return super().query(name, vectors, k, _translate(where, self.bug), include)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        return super().delete(name, ids, _translate(where, self.bug))


class IntsBecomeFloats(MemoryAdapter):
    """A backend storing every number as a double (2**63 came back as a float from Chroma)."""

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        batch = super().get(name, ids, include)
        if batch.metadatas is None:
            return batch
        metadatas = [{k: float(v) if type(v) is int else v for k, v in m.items()} for m in batch.metadatas]
        return RecordBatch(batch.ids, batch.vectors, batch.documents, metadatas)


class DatetimesAsStrings(MemoryAdapter):
    """A backend keeping datetimes and dates as the ISO strings it was sent (Chroma's metadata has no time type)."""

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        batch = super().get(name, ids, include)
        if batch.metadatas is None:
            return batch
        metadatas = [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in m.items()} for m in batch.metadatas]
        return RecordBatch(batch.ids, batch.vectors, batch.documents, metadatas)


class NormalisedVectors(MemoryAdapter):
    """Qdrant's cosine collections return unit vectors unless the adapter restores the norm."""

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        batch = super().get(name, ids, include)
        if batch.vectors is None or self._get(name).info.metric != "cosine":
            return batch
        norms = np.linalg.norm(batch.vectors, axis=1, keepdims=True)
        vectors = (batch.vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)
        return RecordBatch(batch.ids, vectors, batch.documents, batch.metadatas)


class ScanRepeats(MemoryAdapter):
    """Offset paging that repeats the last record of each page."""

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        previous: RecordBatch | None = None
        for batch in super().scan(name, where, batch_size, include):
            last = None if previous is None else previous.slice(len(previous) - 1, len(previous))
            yield batch if last is None else RecordBatch.concat([last, batch]).slice(0, batch_size)
            previous = batch


class TruncatesBatches(MemoryAdapter):
    """A backend with a batch limit whose adapter drops the excess instead of declaring ``max_batch``."""

    def upsert(self, name: str, batch: RecordBatch) -> None:
        super().upsert(name, batch.slice(0, 5461))


class EmptyDocumentIsNone(MemoryAdapter):
    """An adapter that stores ``""`` as "no document"."""

    def upsert(self, name: str, batch: RecordBatch) -> None:
        super().upsert(
            name, RecordBatch(batch.ids, batch.vectors, [d or None for d in batch.documents], batch.metadatas)
        )


class NoNot(MemoryAdapter):
    """An honest adapter without ``$not``: the suite must skip and report, never pass it silently."""

    capabilities = Capabilities(filter_operators=FILTER_OPERATORS - {"$not"})


class FilterIgnoredInQuery(MemoryAdapter):
    """Post-filtering top-k: query k, then drop the records the filter rejects (fewer results than k)."""

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        everything = super().query(name, vectors, k, None, frozenset(include | {"metadata", "document"}))
        rows = self._get(name).rows
        return [[m for m in row if matches(where, rows[m.id][2], rows[m.id][1])] for row in everything]


class LosesRecords(MemoryAdapter):
    """An index that lost track of a record after churn (chromadb 1.5.9, issue 10): every answer misses its last
    match. Declared exact, nothing completes it and the suite must catch it; declared approximate
    (``approximate=True``), the store must complete every short answer and the suite must pass."""

    def __init__(self, approximate: bool = False) -> None:
        super().__init__()
        if approximate:
            self.capabilities = MemoryAdapter.capabilities.model_copy(update={"exact_search": False})

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        return [row[:-1] for row in super().query(name, vectors, k, where, include)]


VARIANTS: dict[str, Any] = {
    "merge": MergesMetadata,
    "overcounts-deletes": OvercountsDeletes,
    "squared-l2": SquaredL2,
    "ne-excludes-missing": lambda: Filters("ne-excludes-missing"),
    "bool-is-int": lambda: Filters("bool-is-int"),
    "ints-become-floats": IntsBecomeFloats,
    "datetimes-as-strings": DatetimesAsStrings,
    "datetime-seconds": lambda: Filters("datetime-seconds"),
    "normalised": NormalisedVectors,
    "scan-repeats": ScanRepeats,
    "truncates": TruncatesBatches,
    "empty-document": EmptyDocumentIsNone,
    "no-not": NoNot,
    "post-filter": FilterIgnoredInQuery,
    "loses-records": LosesRecords,
    "approximate-loses-records": lambda: LosesRecords(approximate=True),
}


def make(config: BrokenConfig) -> MemoryAdapter:
    adapter: MemoryAdapter = VARIANTS[config.variant]()
    adapter.name = f"broken+{config.variant}"  # type: ignore[misc]
    return adapter


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="broken",
            schemes=tuple(f"broken+{variant}" for variant in VARIANTS),
            adapter="broken_adapters:make",
            config="broken_adapters:BrokenConfig",
            description="test doubles with one deliberate bug each",
        )
    ]
