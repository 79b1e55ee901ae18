"""Self-healing on open (the ``heal`` store setting): check every collection before the store serves anything.

``heal=repair`` runs the doctor's cheap checks (:func:`vectorstore.doctor.check_store`) on the store being opened,
repairs each damaged collection (:meth:`~vectorstore.adapter.Adapter.repair`) and checks it again; ``heal=quarantine``
only checks. A collection that is still damaged (or quarantined by isolation) is then refused: its calls raise
:class:`~vectorstore.errors.CollectionDamaged` with the doctor's verdict, while every other collection is served.

The checks run where the store runs: an isolated store (Chroma's default) checks in its worker, so a check that
crashes the backend cannot crash the application; a store opened with ``isolation=none`` does not have that guard.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from .adapter import Adapter
from .batch import RecordBatch
from .doctor import check_store, repair_collection
from .errors import CollectionDamaged
from .filters import Node
from .health import Check, CollectionHealth, RepairReport
from .models import CollectionInfo, Match, Metric
from .store import VectorStore

Heal = Literal["off", "repair", "quarantine"]


def verdict_text(health: CollectionHealth) -> str:
    """The failed checks of a verdict, in one line."""
    failed = [f"{check.name}: {check.error}" for check in health.checks if not check.ok]
    return "; ".join(failed) or health.status


class RefusingAdapter(Adapter):
    """The store's adapter with some collections refused: their calls raise :class:`CollectionDamaged`.

    ``list_collections`` still lists them and ``delete_collection`` and ``repair`` still reach them, so an
    application can drop or repair a refused collection; a repair that comes back complete lifts the refusal.
    """

    def __init__(self, inner: Adapter, refused: dict[str, CollectionHealth], url: str) -> None:
        self.inner, self.refused, self.url = inner, refused, url
        self.capabilities = inner.capabilities

    @property  # type: ignore[misc]  # the base declares a class attribute; this wrapper answers for its adapter
    def name(self) -> str:  # type: ignore[override]
        return self.inner.name

    def _check(self, name: str) -> None:
        health = self.refused.get(name)
        if health is not None:
            raise CollectionDamaged(
                f"collection {name!r} of {self.url} is {health.status} and refused ({verdict_text(health)}); "
                f"run `vectorstore doctor --repair {self.url}` (after closing this store), or delete the collection",
                collection=name,
                verdict=health.model_dump_json(),
            )

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        self._check(name)
        return self.inner.create_collection(name, dimension, metric)

    def get_collection(self, name: str) -> CollectionInfo:
        self._check(name)
        return self.inner.get_collection(name)

    def list_collections(self) -> list[CollectionInfo]:
        return self.inner.list_collections()

    def delete_collection(self, name: str) -> None:
        self.inner.delete_collection(name)
        self.refused.pop(name, None)

    def upsert(self, name: str, batch: RecordBatch) -> None:
        self._check(name)
        self.inner.upsert(name, batch)

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        self._check(name)
        return self.inner.get(name, ids, include)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int | None:
        self._check(name)
        return self.inner.delete(name, ids, where)

    def count(self, name: str, where: Node | None) -> int:
        self._check(name)
        return self.inner.count(name, where)

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        self._check(name)
        return self.inner.query(name, vectors, k, where, include)

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        self._check(name)
        return self.inner.scan(name, where, batch_size, include)

    def native_ids(self, ids: list[str]) -> list[str]:
        return self.inner.native_ids(ids)

    def repair(self, name: str, force: bool = False) -> RepairReport:
        report = self.inner.repair(name, force)
        if report.complete:
            self.refused.pop(name, None)
        return report

    def compact(self, name: str) -> int:
        return self.inner.compact(name)

    def check_files(self, name: str) -> list[Check]:
        return self.inner.check_files(name)

    def stats(self) -> dict[str, Any]:
        return self.inner.stats()

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, attribute: str) -> Any:  # wrapper-specific extras (an isolated store's test hooks)
        if attribute == "inner":  # not set yet: never recurse
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)


def heal(store: VectorStore, mode: Heal) -> VectorStore:
    """The store to serve: ``store`` itself when every collection is healthy, else one refusing the damaged ones."""
    if mode == "off":
        return store
    refused: dict[str, CollectionHealth] = {}
    for health in check_store(store).collections:  # unlisted collections (an error) leave nothing to refuse by name
        if health.status == "damaged" and mode == "repair":
            health = _repaired(store, health)
        if health.status != "healthy":
            refused[health.collection] = health
    if not refused:
        return store
    return VectorStore(RefusingAdapter(store.adapter, refused, store.url or repr(store)), url=store.url)


def _repaired(store: VectorStore, health: CollectionHealth) -> CollectionHealth:
    """The verdict after a repair; a repair that was impossible or incomplete is one more failed check."""
    outcome = repair_collection(store, health.collection)
    if outcome.ok and outcome.after is not None:
        return outcome.after
    if outcome.report is not None and not outcome.report.complete:
        missing = outcome.report.missing_ids
        problem = f"incomplete: {len(missing)} ids could not be restored, e.g. {missing[:5]}"
    else:
        problem = outcome.error or "the collection is still damaged after the repair"
    after = outcome.after or health
    status = after.status if after.status != "healthy" else "damaged"
    return after.model_copy(update={"status": status, "checks": [*after.checks, Check(name="repair", ok=False, error=problem)]})
