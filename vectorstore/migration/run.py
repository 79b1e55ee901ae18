"""The three public operations over whole stores: :func:`migrate`, :func:`verify` and :func:`trial`.

Each takes two stores (open :class:`~vectorstore.VectorStore` objects, or URLs it opens and closes), works through
the public contract only, so any pair of adapters works, and returns a :class:`~vectorstore.migration.models.Report`.
Problems with one collection are recorded in its part of the report and the next collection still runs; the
report's ``ok`` says whether everything passed.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import indexes as payload_indexes
from .. import open as open_store
from ..errors import BackendError, BackendUnavailable, InvalidInput, VectorStoreError
from ..indexes import IndexKind
from ..store import VectorStore
from .checkpoint import DEFAULT_DIRECTORY, Checkpoint, checkpoint_path
from .copy import copy_collection
from .models import CollectionPlan, CollectionReport, Report
from .plan import plan_collection
from .salvage import CIRCUIT_FAILURES, salvage_collection
from .trial import DEFAULT_QUERIES, trial_collection
from .verify import DEFAULT_SAMPLE, verify_collection

StoreLike = VectorStore | str


class Observer:
    """What a caller hears while a migration runs (the CLI draws its progress bar from it); all no-ops here."""

    def phase(self, collection: str, text: str) -> None:
        """A step starts: planning, copying, verifying, trial."""

    def copying(self, collection: str, total: int) -> None:
        """The copy of ``total`` records starts."""

    def advance(self, count: int) -> None:
        """``count`` more records were copied or found already copied."""

    def done(self, collection: str, report: CollectionReport) -> None:
        """A collection is finished, successfully or not."""


class SalvageImpossible(BackendError):
    """Raised for a salvage whose source cannot even list the ids of a collection."""


class CheckpointExists(InvalidInput):
    """Raised when an interrupted migration left a checkpoint and neither resume nor restart was asked for."""


def _name(store: VectorStore) -> str:
    return store.url or repr(store)


@contextmanager
def _stores(
    source: StoreLike, target: StoreLike, source_options: Mapping[str, Any] | None = None
) -> Iterator[tuple[VectorStore, VectorStore]]:
    """Both stores, opening (and closing) those given as URLs; ``source_options`` apply to a source URL."""
    if source is target or (isinstance(source, str) and isinstance(target, str) and source == target):
        raise InvalidInput(f"the source and the target are the same store ({source}); give two different stores")
    with ExitStack() as stack:
        opened = []
        for store, options in ((source, source_options or {}), (target, {})):
            opened.append(stack.enter_context(open_store(store, **options)) if isinstance(store, str) else store)
        yield opened[0], opened[1]


def _collections(source: VectorStore, names: Sequence[str] | None) -> list[str]:
    if names:
        return list(dict.fromkeys(names))
    return [info.name for info in source.list_collections()]


def _report(command: Literal["migrate", "verify", "trial"], source: VectorStore, target: VectorStore, **extra: Any) -> Report:
    return Report(
        command=command, source=_name(source), target=_name(target), started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **extra,
    )


def _each(
    report: Report, names: list[str], observer: Observer, run: Callable[[CollectionReport], None], parallel: int = 1
) -> Report:
    """Run ``run(item)`` per collection, recording an error instead of stopping the others; up to ``parallel``
    collections at once (the stores are thread-safe and each collection has its own checkpoint). The report lists
    them in the order asked."""
    started = time.perf_counter()

    def one(name: str) -> CollectionReport:
        item = CollectionReport(collection=name)
        try:
            run(item)
        except VectorStoreError as exc:
            item.error = f"{type(exc).__name__}: {exc}"
        observer.done(name, item)
        return item

    if parallel > 1 and len(names) > 1:
        with ThreadPoolExecutor(min(parallel, len(names)), thread_name_prefix="vectorstore-migrate") as pool:
            report.collections.extend(pool.map(one, names))
    else:
        report.collections.extend(one(name) for name in names)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _open_checkpoint(
    path: Path, source: VectorStore, target: VectorStore, name: str, *, resume: bool, restart: bool, dry_run: bool
) -> Checkpoint:
    if dry_run:  # read an existing checkpoint to report the resume state; never create one
        return Checkpoint(path if path.exists() else None)
    if path.exists() and restart:
        Checkpoint(path).remove()
    checkpoint = Checkpoint(path, source=_name(source), target=_name(target), collection=name)
    done = checkpoint.done_count()
    if done and not resume:
        checkpoint.close()
        raise CheckpointExists(
            f"an interrupted migration of {name!r} left a checkpoint at {path} ({done} records copied); "
            "resume it (--resume) or start over (--restart)",
            collection=name,
        )
    return checkpoint


def _plan(
    source: VectorStore, target: VectorStore, name: str, checkpoint: Checkpoint, batch_size: int, check_ids: bool,
    dry_run: bool, salvage: bool,
) -> CollectionPlan:
    """The collection's plan; a salvage first checks that the source can list its ids at all, and says so if not."""
    if salvage:
        try:
            next(iter(source.scan(name, batch_size=1, include=[])), None)
        except (BackendError, BackendUnavailable) as exc:
            raise SalvageImpossible(
                f"cannot salvage {name!r}: the source cannot list its ids (an ids-only scan, include=(), failed), "
                f"so which records exist is unknown and nothing was copied: {type(exc).__name__}: {exc}. "
                "Repair the collection first (vectorstore doctor --repair SOURCE) or restore it from a backup",
                collection=name,
            ) from exc
    return plan_collection(
        source, target, name, checkpoint, batch_size=batch_size, check_ids=check_ids, read_records=dry_run
    )


#: Records whose metadata ``infer_indexes`` looks at (the first scan batch of the source).
INFER_SAMPLE = 1000


def target_indexes(source: VectorStore, name: str, *, carry: bool, infer: bool) -> dict[str, IndexKind]:
    """The payload indexes a migrated collection gets: the source's declared ones (``carry``), and with ``infer``
    one per key whose values in the first :data:`INFER_SAMPLE` records share a kind (declared ones win)."""
    inferred: dict[str, IndexKind] = {}
    if infer:
        with closing(source.scan_batches(name, batch_size=INFER_SAMPLE, include=("metadata",))) as batches:  # type: ignore[type-var]
            sample = next(batches, None)
        inferred = payload_indexes.infer(sample.metadatas if sample is not None else [])
    return {**inferred, **(source.list_indexes(name) if carry else {})}


def migrate(
    source: StoreLike,
    target: StoreLike,
    collections: Sequence[str] | None = None,
    *,
    batch_size: int = 1000,
    resume: bool = False,
    restart: bool = False,
    dry_run: bool = False,
    check_ids: bool = True,
    verify_sample: int = DEFAULT_SAMPLE,
    trial_queries: int = DEFAULT_QUERIES,
    k: int = 10,
    wheres: Sequence[Mapping[str, Any]] = (),
    checkpoint_dir: Path | str = DEFAULT_DIRECTORY,
    batch_delay: float = 0.0,
    salvage: bool = False,
    indexes: bool = True,
    infer_indexes: bool = False,
    parallel: int = 1,
    observer: Observer | None = None,
) -> Report:
    """Copy collections (all of the source's when ``collections`` is empty), then verify and trial each one;
    ``parallel`` migrates that many collections at once.

    ``indexes`` declares the source collection's payload indexes on the target; ``infer_indexes`` also declares
    one per metadata key whose sampled values share one kind (:func:`target_indexes`).

    Nothing is written to a collection whose plan finds a problem (shape, metric, colliding ids, records the target
    did not get from this migration). The checkpoint is removed only after the verification passes.
    ``trial_queries=0`` skips the trial. ``salvage`` reads a partly readable source id by id where batches fail
    (:mod:`vectorstore.migration.salvage`); a collection with unreadable records lists them and fails, and is then
    neither verified nor tried (the source cannot be read back).
    """
    if resume and restart:
        raise InvalidInput("resume and restart exclude each other: resume continues a checkpoint, restart discards it")
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise InvalidInput(f"parallel must be a whole number of collections >= 1, got {parallel!r}")
    watcher = observer or Observer()
    source_options = {"circuit_failures": CIRCUIT_FAILURES} if salvage else {}
    with _stores(source, target, source_options) as (src, tgt):

        def run(item: CollectionReport) -> None:
            name = item.collection
            path = checkpoint_path(Path(checkpoint_dir), _name(src), _name(tgt), name)
            checkpoint = _open_checkpoint(path, src, tgt, name, resume=resume, restart=restart, dry_run=dry_run)
            try:
                watcher.phase(name, "planning")
                item.plan = _plan(src, tgt, name, checkpoint, batch_size, check_ids, dry_run, salvage)
                if dry_run or not item.plan.ok:
                    return
                item.checkpoint = str(path)
                declared = target_indexes(src, name, carry=indexes, infer=infer_indexes)
                tgt.create_collection(name, item.plan.dimension, item.plan.metric, exist_ok=True, indexes=declared)
                watcher.copying(name, item.plan.source_count)
                if salvage:
                    item.copy_result, item.salvage = salvage_collection(
                        src, tgt, name, checkpoint, batch_size=batch_size, advance=watcher.advance
                    )
                    if not item.salvage.ok:
                        return
                else:
                    item.copy_result = copy_collection(
                        src, tgt, name, checkpoint, batch_size=batch_size, advance=watcher.advance,
                        batch_delay=batch_delay,
                    )
                watcher.phase(name, "verifying")
                item.verify = verify_collection(src, tgt, name, sample=verify_sample, batch_size=batch_size)
                if item.verify.ok:
                    checkpoint.remove()
                if trial_queries:
                    watcher.phase(name, "trial")
                    item.trial = trial_collection(src, tgt, name, sample=trial_queries, k=k, wheres=wheres)
            finally:
                checkpoint.close()
                if not path.exists():  # removed after verification, or empty (nothing to resume)
                    item.checkpoint = None

        report = _report("migrate", src, tgt, dry_run=dry_run)
        return _each(report, _collections(src, collections), watcher, run, parallel)


def verify(
    source: StoreLike,
    target: StoreLike,
    collections: Sequence[str] | None = None,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = 0,
    observer: Observer | None = None,
) -> Report:
    """Check that the target holds exactly the source's records (see :mod:`vectorstore.migration.verify`)."""
    watcher = observer or Observer()
    with _stores(source, target) as (src, tgt):

        def run(item: CollectionReport) -> None:
            watcher.phase(item.collection, "verifying")
            item.verify = verify_collection(src, tgt, item.collection, sample=sample, seed=seed)

        return _each(_report("verify", src, tgt), _collections(src, collections), watcher, run)


def trial(
    source: StoreLike,
    target: StoreLike,
    collections: Sequence[str] | None = None,
    *,
    queries: np.ndarray | None = None,
    sample: int = DEFAULT_QUERIES,
    k: int = 10,
    wheres: Sequence[Mapping[str, Any]] = (),
    seed: int = 0,
    observer: Observer | None = None,
) -> Report:
    """Run the same queries on both sides and compare (see :mod:`vectorstore.migration.trial`)."""
    watcher = observer or Observer()
    with _stores(source, target) as (src, tgt):

        def run(item: CollectionReport) -> None:
            watcher.phase(item.collection, "trial")
            item.trial = trial_collection(
                src, tgt, item.collection, queries=queries, sample=sample, k=k, wheres=wheres, seed=seed
            )

        return _each(_report("trial", src, tgt), _collections(src, collections), watcher, run)
