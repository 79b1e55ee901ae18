"""Find collections whose backend files are damaged, and repair them (issue 11; DESIGN 5).

A kill in the middle of a backend's own write can leave its files inconsistent: chromadb 1.5.9 then fails every
read of the collection, ``count()`` included, in every later process, or segfaults on a query. The doctor probes
each collection through the public contract only (so it is generic: any adapter) with a few cheap calls, each one a
:class:`~vectorstore.health.Check`:

``get_collection``, ``count``, ``sample_get`` (a few ids from the first batch of an ids-only scan, fetched with their
vectors), ``self_query`` (one of those vectors must find its own record, score ~1 for cosine, ~0 for l2),
``filtered_count`` and ``filtered_query`` (a key/value of the sample's metadata, when it has one) and, with
``deep``, ``full_scan`` (every id scanned, as many as ``count`` said), below a size bound.

:func:`diagnose` opens the store in an isolated worker whatever the URL says, so a check that segfaults the backend
becomes a ``damaged`` verdict naming the signal instead of a dead host. :func:`check_store` works on any open store
(self-healing on open uses it on the store being opened, see :mod:`vectorstore.healing`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from .config import redact, resolve
from .errors import (
    CircuitOpen,
    CollectionQuarantined,
    ConfigurationError,
    UnsupportedFeature,
    VectorStoreError,
    WorkerCrashed,
    WorkerTimeout,
)
from .health import Check, CollectionHealth, RepairReport, Status
from .isolation.policy import timeout
from .models import CollectionInfo, Record
from .store import VectorStore

#: Records fetched with their vectors by ``sample_get``.
SAMPLE_SIZE = 8
#: Results asked of ``self_query`` and ``filtered_query``.
QUERY_K = 10
#: ``deep`` scans a collection fully only up to this many records (``count``), so a check stays cheap.
DEEP_LIMIT = 100_000
#: The timeout of one repair call: it rewrites the whole collection (about 12 s for 30,000 records here), which a
#: store's own per-call timeout is not sized for (chaos runs use 3 s).
REPAIR_TIMEOUT_S = 1800.0
#: How close a record's score against its own vector must be to the metric's self-score (1 cosine, 0 l2).
SELF_SCORE_TOLERANCE = 1e-3

T = TypeVar("T")


class CollectionRepair(BaseModel):
    """What ``--repair`` did to one damaged collection, and the verdict of the checks run again afterwards."""

    model_config = ConfigDict(extra="forbid")

    collection: str
    report: RepairReport | None = None
    #: Why no repair was made (the adapter cannot repair, or the repair failed), with what to do.
    error: str | None = None
    after: CollectionHealth | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Healthy again and nothing missing."""
        return (
            self.report is not None and self.report.complete and self.after is not None
            and self.after.status == "healthy"
        )


class DoctorReport(BaseModel):
    """The doctor's verdicts on a store: one :class:`~vectorstore.health.CollectionHealth` per collection."""

    model_config = ConfigDict(extra="forbid")

    url: str
    collections: list[CollectionHealth] = Field(default_factory=list)
    repairs: list[CollectionRepair] = Field(default_factory=list)
    #: Set when the store could not be opened or its collections not listed; then no collection was checked.
    error: str | None = None
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Every collection healthy, or every damaged one repaired completely and healthy again."""
        if self.error:
            return False
        repaired = {item.collection for item in self.repairs if item.ok}
        return all(item.status == "healthy" or item.collection in repaired for item in self.collections)

    def damaged(self) -> list[str]:
        return [item.collection for item in self.collections if item.status == "damaged"]


def describe(exc: BaseException) -> str:
    """An error as one string: its type and its message (adapters put the native error in their messages)."""
    return f"{type(exc).__name__}: {exc}"


class _Quarantined(Exception):
    """Internal: the isolated store refused the collection (a circuit open during its checks)."""


class _Wrong(VectorStoreError):
    """Internal: an answer that came back without error but is wrong (recorded as the check's error)."""


class _Probe:
    """Runs one collection's checks in order, recording each; a check whose input is missing is not run."""

    def __init__(self, store: VectorStore, name: str) -> None:
        self.store, self.name = store, name
        self.checks: list[Check] = []
        self.crashed = False

    def run(self, check: str, call: Callable[[], T], verify: Callable[[T], str | None] = lambda _: None) -> T | None:
        """``call()``; ``verify(result)`` says what is wrong with the answer (None when it is right)."""
        if self.crashed:  # the worker died on this collection: more calls would only crash it again
            return None
        try:
            result = call()
        except (CircuitOpen, CollectionQuarantined) as exc:  # the store's circuit, or this collection's quarantine
            self.checks.append(Check(name=check, ok=False, error=describe(exc)))
            raise _Quarantined from exc
        except Exception as exc:  # noqa: BLE001 - any failure is the verdict, never the doctor's own crash
            self.checks.append(Check(name=check, ok=False, error=describe(exc)))
            self.crashed = isinstance(exc, (WorkerCrashed, WorkerTimeout))
            return None
        problem = verify(result)
        self.checks.append(Check(name=check, ok=problem is None, error=problem))
        return result if problem is None else None

    def run_many(self, check: str, call: Callable[[], list[Check]]) -> None:
        """A call that makes several checks itself (the adapter's file checks): each is recorded as it came."""
        checks = self.run(check, call)
        if checks is not None:
            self.checks.pop()  # the call's own "it ran" entry says less than the checks it returned
            self.checks.extend(checks)


def check_collection(store: VectorStore, name: str, *, deep: bool = False, deep_limit: int = DEEP_LIMIT) -> CollectionHealth:
    """The verdict on one collection; never raises for what the backend does (that is the verdict)."""
    probe = _Probe(store, name)
    count: int | None = None
    try:
        info = probe.run("get_collection", lambda: store.get_collection(name))
        probe.run_many("index_files", lambda: store.adapter.check_files(name))
        count = probe.run("count", lambda: store.count(name), _non_negative)
        sample = probe.run("sample_get", lambda: _sample(store, name), _vectors_present)
        if info is not None and sample:
            _query_checks(probe, info, sample)
        if deep and count is not None and count <= deep_limit:
            probe.run("full_scan", lambda: _scanned(store, name), lambda n: _same_count(n, count))
    except _Quarantined:
        return CollectionHealth(collection=name, status="quarantined", checks=probe.checks, count=count)
    status: Status = "healthy" if all(check.ok for check in probe.checks) else "damaged"
    return CollectionHealth(collection=name, status=status, checks=probe.checks, count=count)


def _non_negative(count: int) -> str | None:
    return None if count >= 0 else f"count returned {count}"


def _sample(store: VectorStore, name: str) -> list[Record]:
    """A few records with their vectors, from the ids of the scan's first batch (empty for an empty collection)."""
    first = next(iter(store.scan_batches(name, batch_size=SAMPLE_SIZE, include=[])), None)
    ids = [] if first is None else first.ids
    found = store.get(name, ids, include=["vector", "document", "metadata"]) if ids else []
    missing = sorted(set(ids) - {record.id for record in found})
    if missing:
        raise _Wrong(f"the scan listed {missing[:5]} but get returned nothing for them")
    return found


def _vectors_present(records: list[Record]) -> str | None:
    empty = [record.id for record in records if not record.vector]
    return f"records {empty[:5]} came back without their vector" if empty else None


def _query_checks(probe: _Probe, info: CollectionInfo, sample: list[Record]) -> None:
    record = sample[0]
    probe.run(
        "self_query",
        lambda: probe.store.search(probe.name, record.vector, QUERY_K),
        lambda matches: _finds_itself(matches, record, info),
    )
    pair = _filter_pair(sample, probe.store)
    if pair is None:
        return
    holder, where = pair
    probe.run("filtered_count", lambda: probe.store.count(probe.name, where=where),
              lambda n: None if n >= 1 else f"count(where={where}) is {n}, but record {holder.id!r} matches it")
    probe.run(
        "filtered_query",
        lambda: probe.store.search(probe.name, holder.vector, QUERY_K, where=where),
        lambda matches: _finds_itself(matches, holder, info),
    )


def _finds_itself(matches: list[Any], record: Record, info: CollectionInfo) -> str | None:
    """The record is among the results; for cosine and l2 with the score of an identical vector."""
    hit = next((match for match in matches if match.id == record.id), None)
    if hit is None:
        got = [match.id for match in matches[:5]]
        return f"a query with record {record.id!r}'s own vector did not return it (top ids: {got})"
    expected = {"cosine": 1.0, "l2": 0.0}.get(info.metric)
    if expected is not None and abs(hit.score - expected) > SELF_SCORE_TOLERANCE:
        return f"record {record.id!r} scored {hit.score:.6f} against its own vector ({info.metric}: {expected:g})"
    return None


def _filter_pair(sample: list[Record], store: VectorStore) -> tuple[Record, dict[str, Any]] | None:
    """A sampled record and an equality filter on one of its scalar metadata values (str, int or bool first)."""
    if "$eq" not in store.capabilities.filter_operators:
        return None
    for kinds in ((str, int, bool), (float,)):
        for record in sample:
            for key, value in sorted((record.metadata or {}).items()):
                if type(value) in kinds and record.vector:
                    return record, {key: value}
    return None


def _scanned(store: VectorStore, name: str) -> int:
    seen: set[str] = set()
    for batch in store.scan_batches(name, include=[]):
        seen.update(batch.ids)
    return len(seen)


def _same_count(scanned: int, count: int) -> str | None:
    return None if scanned == count else f"a full scan found {scanned} distinct ids, count says {count}"


def check_store(
    store: VectorStore,
    collections: Sequence[str] | None = None,
    *,
    deep: bool = False,
    deep_limit: int = DEEP_LIMIT,
) -> DoctorReport:
    """Check the named collections (all of the store's when empty) of an open store."""
    started = time.perf_counter()
    report = DoctorReport(url=store.url or repr(store))
    try:
        names = list(dict.fromkeys(collections)) if collections else [info.name for info in store.list_collections()]
    except Exception as exc:  # noqa: BLE001 - reported, the host carries on
        report.error = f"cannot list the collections: {describe(exc)}"
        return report
    report.collections = [check_collection(store, name, deep=deep, deep_limit=deep_limit) for name in names]
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def repair_collection(
    store: VectorStore, name: str, *, deep: bool = False, force: bool = False
) -> CollectionRepair:
    """``store.adapter.repair(name, force)``, then the checks again; an adapter that cannot repair says so."""
    outcome = CollectionRepair(collection=name)
    try:
        with timeout(REPAIR_TIMEOUT_S):
            outcome.report = store.adapter.repair(name, force)
    except UnsupportedFeature as exc:
        outcome.error = f"cannot repair: {exc}"
        return outcome
    except Exception as exc:  # noqa: BLE001 - a failed repair is reported; the damaged collection is untouched
        outcome.error = f"repair failed: {describe(exc)}"
        return outcome
    outcome.after = check_collection(store, name, deep=deep)
    return outcome


def repair_damaged(
    store: VectorStore, report: DoctorReport, *, deep: bool = False, force: bool = False
) -> DoctorReport:
    """Repair every collection the report found damaged; the outcomes go to ``report.repairs``."""
    report.repairs = [repair_collection(store, name, deep=deep, force=force) for name in report.damaged()]
    return report


def _check_location(url: str | None, config: Mapping[str, Any] | None, options: Mapping[str, Any]) -> None:
    """A store at a path that does not exist is an error: opening it would create an empty one and call it healthy."""
    resolved = resolve(url, config, **options)
    path = getattr(resolved.config, "path", None)
    if path and not Path(path).expanduser().exists():
        raise ConfigurationError(f"there is no store at {path} ({resolved.url}); check the path")


@contextmanager
def isolated(url: str | None = None, config: Mapping[str, Any] | None = None, **options: Any) -> Iterator[VectorStore]:
    """The store opened in a supervised worker process, whatever its configuration says about isolation."""
    from .opening import open as open_store

    with open_store(url, config=config, **{**options, "isolation": "process", "heal": "off"}) as store:
        yield store


def diagnose(
    url: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    collections: Sequence[str] | None = None,
    deep: bool = False,
    deep_limit: int = DEEP_LIMIT,
    repair: bool = False,
    force: bool = False,
    **options: Any,
) -> DoctorReport:
    """Open the store isolated, check its collections and, with ``repair``, repair the damaged ones.

    A store that cannot be opened (locked by another process, bad configuration, a worker that does not start) is
    a report with ``error`` set, not an exception, so a caller always gets a verdict.
    """
    started = time.perf_counter()
    try:
        _check_location(url, config, options)
        with isolated(url, config, **options) as store:
            report = check_store(store, collections, deep=deep, deep_limit=deep_limit)
            if repair:
                repair_damaged(store, report, deep=deep, force=force)
    except VectorStoreError as exc:
        return DoctorReport(url=redact(url) if url else "(configured store)", error=f"cannot open the store: {describe(exc)}")
    report.seconds = round(time.perf_counter() - started, 3)
    return report
