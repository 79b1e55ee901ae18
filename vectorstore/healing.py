"""Self-healing on open (the ``heal`` store setting): check every collection before the store serves anything.

``heal=repair`` runs the doctor's cheap checks (:func:`vectorstore.doctor.check_store`) on the store being opened,
repairs each damaged collection (:meth:`~vectorstore.adapter.Adapter.repair`) and checks it again; ``heal=quarantine``
only checks. A collection that is still damaged (or quarantined by isolation) is then refused: its calls raise
:class:`~vectorstore.errors.CollectionDamaged` with the doctor's verdict, while every other collection is served.

The checks run where the store runs: an isolated store (Chroma's default) checks in its worker, so a check that
crashes the backend cannot crash the application; a store opened with ``isolation=none`` does not have that guard.
"""

from __future__ import annotations

from typing import Any, Literal

from .adapter import Adapter
from .doctor import check_store, repair_collection
from .errors import CollectionDamaged
from .health import Check, CollectionHealth, RepairReport
from .operations import Op, forwarding
from .store import VectorStore

Heal = Literal["off", "repair", "quarantine"]


def verdict_text(health: CollectionHealth) -> str:
    """The failed checks of a verdict, in one line."""
    failed = [f"{check.name}: {check.error}" for check in health.checks if not check.ok]
    return "; ".join(failed) or health.status


@forwarding
class RefusingAdapter(Adapter):
    """The store's adapter with some collections refused: their calls raise :class:`CollectionDamaged`.

    ``list_collections`` still lists them and the maintenance operations (``delete_collection``, ``repair``,
    ``compact``, ``check_files``: ``Op.maintenance`` in :mod:`vectorstore.operations`) still reach them, so an
    application can drop or repair a refused collection; a repair that comes back complete lifts the refusal.
    The other operations are forwarded by :func:`~vectorstore.operations.forwarding` after the check.
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

    def _forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        if op.collection_arg and not op.maintenance:
            self._check(args[0])
        return getattr(self.inner, name)(*args)

    def delete_collection(self, name: str) -> None:
        self.inner.delete_collection(name)
        self.refused.pop(name, None)

    def repair(self, name: str, force: bool = False) -> RepairReport:
        report = self.inner.repair(name, force)
        if report.complete:
            self.refused.pop(name, None)
        return report

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
    return VectorStore(
        RefusingAdapter(store.adapter, refused, store.url or repr(store)), url=store.url, none_values=store.none_values
    )


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
    return after.model_copy(
        update={"status": status, "checks": [*after.checks, Check(name="repair", ok=False, error=problem)]}
    )
