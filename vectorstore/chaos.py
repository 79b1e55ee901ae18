"""Outside-in chaos against an isolated store: signals sent to its worker while threads read and write (issues 11, 13).

The injected faults of :mod:`vectorstore.isolation.faults` fire at chosen points of our own code; these come from
outside, at random (seeded) moments, the way the OOM killer, an operator or a native bug would: ``SIGSEGV``,
``SIGABRT``, ``SIGKILL`` and ``SIGSTOP`` (a hang: ``SIGCONT`` is never sent, the supervisor must time the call out and
kill the worker). Meanwhile ``writers`` threads upsert batches of new ids and re-upsert or delete some of their own,
and ``readers`` threads search, get and count, all on one isolated store.

Every write is recorded in a :class:`Ledger`: what each id may hold at the end. An acknowledged upsert (the call
returned) leaves exactly the written vector, an acknowledged delete leaves nothing, and a failed call adds its outcome
to what the id may hold (it may or may not have been applied). Afterwards the store is closed, the doctor checks it
in a fresh worker, a damaged collection is repaired (``store.adapter.repair``), and every id is read back with its
vector from a fresh isolated store: an id that must be there and is not is *lost*, one whose read fails even alone is
*unreadable*, a vector that matches none of the written ones is *wrong*, an acknowledged delete that came back is
*resurrected*.

Any adapter that runs isolated can be checked (``chroma:///path``, ``qdrant:///path?isolation=process``). POSIX
only. ``bench/chaos.py`` is the command line; ``tests/durability/test_chaos.py`` runs it in CI.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import vectorstore

from . import doctor
from .errors import BackendError, CollectionQuarantined, ConfigurationError, VectorStoreError, WorkerCrashed
from .healing import verdict_text
from .isolation.policy import timeout as isolation_timeout
from .store import VectorStore

COLLECTION = "chaos"
#: The faults, by the name the report uses: those this platform has (all four on POSIX, where chaos runs; the module
#: still imports on Windows).
SIGNALS: dict[str, signal.Signals] = {
    name: getattr(signal, name) for name in ("SIGSEGV", "SIGABRT", "SIGKILL", "SIGSTOP") if hasattr(signal, name)
}
#: Calls made by the check after the chaos (no faults then): generous, a repair or a big read may take a while.
CHECK_TIMEOUT_S = 300.0
#: Consecutive worker deaths that would open the check's circuit: never (bisecting a crashing read crashes again).
CHECK_CIRCUIT_FAILURES = 1_000_000
#: Ids per read-back ``get``.
READ_BATCH = 500
#: How long the fault thread waits for a restarted worker to serve its first call before it gives up on the run.
RESTART_BOUND_S = 120.0
#: How long threads get to finish their last call once the run is over (beyond the store's timeout).
JOIN_BOUND_S = 60.0
#: How long a thread waits after a failed call before its next one (as an application would; a circuit open for 30 s
#: would otherwise be hammered).
BACKOFF_S = 0.1
#: Untyped failures whose tracebacks the report keeps.
KEPT_TRACEBACKS = 5

#: What an id may hold at the end: a vector, or ``None`` for absent.
Outcome = np.ndarray | None


@dataclass(frozen=True)
class Settings:
    """One chaos run. It ends after ``seconds`` or ``faults`` faults, whichever comes first (one of them is needed)."""

    url: str
    seconds: float | None = None
    faults: int | None = None
    seed: int = 0
    #: Seconds between a restarted worker's first served call and the next fault (uniform).
    interval: tuple[float, float] = (0.5, 2.0)
    writers: int = 6
    readers: int = 2
    batch: int = 50
    dimension: int = 64
    #: Ids written at most (all writers): then the writers churn (re-upsert and delete) their own, so a long run
    #: costs the same per fault (a restart and a repair grow with the collection).
    max_ids: int = 30_000
    #: The store's per-call timeout during the run: what a ``SIGSTOP`` costs.
    timeout_s: float = 5.0
    #: The faults drawn from, equally likely.
    kinds: tuple[str, ...] = tuple(SIGNALS)
    #: The store's circuit cool-down (None: the store's default, 30 s). A fault that damages Chroma makes the next
    #: calls crash the worker and open the circuit; a long run spends most of its time in cool-downs otherwise.
    circuit_cooldown_s: float | None = None
    #: Repair during the run (between faults) when a failure says the collection may be damaged, as an operator or
    #: ``heal`` would; otherwise a damaged Chroma collection fails every later call and the run tests little more.
    repair_during: bool = True

    def __post_init__(self) -> None:
        if self.seconds is None and self.faults is None:
            raise ConfigurationError("a chaos run needs seconds or faults (or both) to know when to stop")
        unknown = sorted(set(self.kinds) - set(SIGNALS))
        if unknown:
            raise ConfigurationError(f"unknown fault kinds {unknown}; choose from {sorted(SIGNALS)}")


class Ledger:
    """What one writer's ids may hold at the end. Only its writer thread changes it."""

    def __init__(self) -> None:
        self.may_hold: dict[str, list[Outcome]] = {}
        self.acknowledged_records = 0

    def written(self, ids: list[str], vectors: np.ndarray, acknowledged: bool) -> None:
        for record_id, vector in zip(ids, vectors):
            self._settle(record_id, vector, acknowledged)
        self.acknowledged_records += len(ids) if acknowledged else 0

    def deleted(self, ids: list[str], acknowledged: bool) -> None:
        for record_id in ids:
            self._settle(record_id, None, acknowledged)

    def _settle(self, record_id: str, outcome: Outcome, acknowledged: bool) -> None:
        if acknowledged:
            self.may_hold[record_id] = [outcome]
        else:  # applied or not: both are possible now (a retried batch adds nothing new)
            outcomes = self.may_hold.setdefault(record_id, [None])
            if not any(_same(known, outcome) for known in outcomes):
                outcomes.append(outcome)

    def must_hold(self) -> Iterator[tuple[str, np.ndarray]]:
        """Ids whose last write was an acknowledged upsert, with its vector."""
        for record_id, outcomes in self.may_hold.items():
            if len(outcomes) == 1 and outcomes[0] is not None:
                yield record_id, outcomes[0]


def _same(a: Outcome, b: Outcome) -> bool:
    if a is None or b is None:
        return a is b
    return bool(np.array_equal(a, b))


@dataclass
class Tally:
    """Calls and their failures, shared by the threads (under ``lock``)."""

    calls: Counter[str] = field(default_factory=Counter)
    typed: Counter[str] = field(default_factory=Counter)
    untyped: Counter[str] = field(default_factory=Counter)
    #: The first message of each typed failure (what the backend said, e.g. the native error of a damaged index).
    first: dict[str, str] = field(default_factory=dict)
    tracebacks: list[str] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Notified when a call starts or returns, or traffic resumes.
    changed: threading.Condition = field(init=False)
    paused: bool = False
    in_flight: int = 0
    #: How many calls were in flight (host side) when each fault was sent: how many calls one fault hit.
    in_flight_at_fault: Counter[int] = field(default_factory=Counter)
    #: Set by a failure that says the collection itself may be damaged (a backend error, a crash of a worker the
    #: chaos did not signal, a quarantine), cleared by the check that follows. Poison requests and open circuits say nothing by
    #: themselves: faults sent in quick succession make them too.
    damage: threading.Event = field(default_factory=threading.Event)
    #: The workers the chaos signalled (their crashes are its own doing).
    signalled: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def call(self, op: str, run: Callable[[], Any]) -> bool:
        """Run one store call; whether it returned. A typed failure is expected under chaos, any other is a bug.

        While traffic is paused (:meth:`pause`) the call waits for it to resume."""
        with self.lock:
            while self.paused:
                self.changed.wait()
            self.calls[op] += 1
            self.in_flight += 1
            self.changed.notify_all()
        try:
            return self._run(op, run)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.changed.notify_all()

    def await_in_flight(self, bound_s: float) -> int:
        """Wait (up to ``bound_s``) until a call is in flight; how many are."""
        with self.lock:
            self.changed.wait_for(lambda: self.in_flight > 0, timeout=bound_s)
            return self.in_flight

    @contextmanager
    def pause(self, bound_s: float) -> Iterator[None]:
        """No new calls in the block, and the calls in flight returned (waited for up to ``bound_s``)."""
        with self.lock:
            self.paused = True
            self.changed.wait_for(lambda: self.in_flight == 0, timeout=bound_s)
        try:
            yield
        finally:
            with self.lock:
                self.paused = False
                self.changed.notify_all()

    def _signalled(self, exc: WorkerCrashed) -> bool:
        with self.lock:
            return exc.context.get("pid") in self.signalled

    def _run(self, op: str, run: Callable[[], Any]) -> bool:
        try:
            run()
        except VectorStoreError as exc:
            with self.lock:
                self.typed[type(exc).__name__] += 1
                self.first.setdefault(type(exc).__name__, f"{op}: {exc}")
            if isinstance(exc, (BackendError, CollectionQuarantined)) or (
                isinstance(exc, WorkerCrashed) and not self._signalled(exc)
            ):
                self.damage.set()
            return False
        except Exception as exc:  # noqa: BLE001 - counted and reported: the run must show every untyped failure
            with self.lock:
                self.untyped[type(exc).__name__] += 1
                if len(self.tracebacks) < KEPT_TRACEBACKS:
                    self.tracebacks.append(f"{op}: {''.join(traceback.format_exception(exc))}")
            return False
        return True


@dataclass
class Report:
    """What a chaos run did and what survived it; :attr:`ok` is the verdict."""

    url: str
    seconds: float = 0.0
    #: The check afterwards: doctor, repair, reading every id back.
    check_seconds: float = 0.0
    faults: dict[str, int] = field(default_factory=dict)
    #: Faults by the number of calls in flight when they were sent.
    in_flight_at_fault: dict[int, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    typed_failures: dict[str, int] = field(default_factory=dict)
    untyped_failures: dict[str, int] = field(default_factory=dict)
    first_typed: dict[str, str] = field(default_factory=dict)
    untyped_tracebacks: list[str] = field(default_factory=list)
    stuck_threads: list[str] = field(default_factory=list)
    host_rss_growth_mib: float = 0.0
    worker_restarts: int = 0
    isolation_failures: dict[str, int] = field(default_factory=dict)
    acknowledged_records: int = 0
    must_hold: int = 0
    must_be_absent: int = 0
    ambiguous: int = 0
    lost: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    resurrected: list[str] = field(default_factory=list)
    doctor_before: dict[str, str] = field(default_factory=dict)
    doctor_after: dict[str, str] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    #: Repairs made during the run, one line each (what the check found, what the repair did).
    repairs_during: list[str] = field(default_factory=list)
    repaired_collections: int = 0
    repaired_records: int = 0
    repair_seconds: float = 0.0
    #: Why the check could not be made, or a repair that failed: also a failed run.
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.unreadable or self.wrong or self.resurrected or self.untyped_failures
            or self.stuck_threads or self.problems
        )

    def lines(self) -> list[str]:
        def counts(values: dict[str, int]) -> str:
            return ", ".join(f"{key} {value:,}" for key, value in sorted(values.items())) or "none"

        def ids(values: list[str]) -> str:
            return f"{len(values):,}" + (f" (first: {sorted(values)[:5]})" if values else "")

        return [
            f"chaos: {self.url}",
            f"duration: {self.seconds:.1f} s of chaos, {self.check_seconds:.1f} s of checks afterwards",
            f"faults: {sum(self.faults.values()):,} ({counts(self.faults)})",
            "calls in flight when a fault was sent: "
            + (", ".join(f"{n}: {count:,}" for n, count in sorted(self.in_flight_at_fault.items())) or "none"),
            f"calls: {sum(self.calls.values()):,} ({counts(self.calls)})",
            f"typed failures: {sum(self.typed_failures.values()):,} ({counts(self.typed_failures)})",
            *(f"  first {kind}: {first_line(text)}" for kind, text in sorted(self.first_typed.items())),
            f"untyped failures: {sum(self.untyped_failures.values()):,} ({counts(self.untyped_failures)})",
            f"stuck threads: {len(self.stuck_threads)}" + (f" {self.stuck_threads}" if self.stuck_threads else ""),
            f"host RSS growth: {self.host_rss_growth_mib:+.1f} MiB",
            f"worker restarts: {self.worker_restarts:,} (isolation failures: {counts(self.isolation_failures)})",
            f"acknowledged: {self.acknowledged_records:,} records written; at the end {self.must_hold:,} ids must "
            f"be there, {self.must_be_absent:,} acknowledged deletes must not, {self.ambiguous:,} ids were last "
            "written by a failed call (either state is right)",
            f"lost: {ids(self.lost)}",
            f"unreadable: {ids(self.unreadable)}",
            f"wrong vector: {ids(self.wrong)}",
            f"deleted but present: {ids(self.resurrected)}",
            f"repaired: {self.repaired_collections} collections, {self.repaired_records:,} records, "
            f"{self.repair_seconds:.1f} s" + "".join(f"\n  {line}" for line in self.repairs),
            f"repaired during the run: {len(self.repairs_during)}" + "".join(f"\n  {line}" for line in self.repairs_during),
            f"doctor before: {counts_words(self.doctor_before)}",
            f"doctor after: {counts_words(self.doctor_after)}",
            *(f"problem: {problem}" for problem in self.problems),
            *(f"untyped failure: {text}" for text in self.untyped_tracebacks),
            f"verdict: {'ok' if self.ok else 'FAILED'}",
        ]


def first_line(text: str, limit: int = 300) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def counts_words(verdicts: dict[str, str]) -> str:
    return ", ".join(f"{name} {verdict}" for name, verdict in sorted(verdicts.items())) or "no collections"


def rss_mib() -> float:
    """The host's resident set size now (Linux ``/proc``; 0 where it cannot be read)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Chaos:
    """The threads of one run: writers, readers, and the fault thread that ends the run."""

    def __init__(self, settings: Settings, store: VectorStore, progress: Callable[[str], None] | None = None) -> None:
        self.settings, self.store, self.progress = settings, store, progress
        self.started = time.monotonic()
        self.tally = Tally()
        self.ledgers = [Ledger() for _ in range(settings.writers)]
        #: Ids each writer has handed out so far (readers pick from them).
        self.serials = [0] * settings.writers
        self.done = threading.Event()
        #: Repairs during the run, and what kept the run from going on, in words.
        self.repairs: list[str] = []
        self.problems: list[str] = []

    # -- writers and readers ------------------------------------------------------------------------------------

    def write(self, writer: int) -> None:
        """Batches of new ids mostly (up to ``max_ids``, then batches of old ones); now and then a re-upsert or a
        delete of a few of this writer's ids."""
        settings, ledger = self.settings, self.ledgers[writer]
        rng = random.Random(f"{settings.seed}-writer-{writer}")
        vectors = np.random.default_rng([settings.seed, writer])
        retry: tuple[list[str], np.ndarray] | None = None  # a failed upsert, written again next (as an application would)
        cap = settings.max_ids // settings.writers
        while not self.done.is_set():
            roll, known = rng.random(), self.serials[writer]
            if retry is not None:
                ids, batch = retry
            else:
                if known < settings.batch or (roll < 0.8 and known < cap):
                    ids = [f"w{writer}-{i}" for i in range(known, known + settings.batch)]
                    self.serials[writer] = known + settings.batch
                else:  # at the cap, the new batches become re-upserts of a batch of old ids
                    size = settings.batch if roll < 0.8 else settings.batch // 5
                    ids = [f"w{writer}-{i}" for i in sorted(rng.sample(range(known), size))]
                batch = vectors.standard_normal((len(ids), settings.dimension)).astype(np.float32)
            if retry is not None or roll < 0.9 or known < settings.batch:
                ok = self.tally.call("upsert", lambda: self.store.upsert(COLLECTION, ids, batch))
                ledger.written(ids, batch, ok)
                retry = None if ok else (ids, batch)
            else:
                ok = self.tally.call("delete", lambda: self.store.delete(COLLECTION, ids))
                ledger.deleted(ids, ok)
            if not ok:
                self.done.wait(BACKOFF_S)

    def read(self, reader: int) -> None:
        settings = self.settings
        rng = random.Random(f"{settings.seed}-reader-{reader}")
        while not self.done.is_set():
            roll = rng.random()
            if roll < 0.4:
                query = np.asarray([rng.gauss(0, 1) for _ in range(settings.dimension)], dtype=np.float32)
                ok = self.tally.call("search", lambda: self.store.search(COLLECTION, query, k=10))
            elif roll < 0.8:
                ids = self._some_ids(rng, 20)
                ok = self.tally.call("get", lambda: self.store.get(COLLECTION, ids, include=["vector"]))
            else:
                ok = self.tally.call("count", lambda: self.store.count(COLLECTION))
            if not ok:
                self.done.wait(BACKOFF_S)

    def _some_ids(self, rng: random.Random, n: int) -> list[str]:
        writer = rng.randrange(self.settings.writers)
        known = max(self.serials[writer], 1)
        return [f"w{writer}-{rng.randrange(known)}" for _ in range(n)]

    # -- faults -------------------------------------------------------------------------------------------------

    def fault(self) -> None:
        """Signal the worker at random moments until the run is over; each fault hits a new, serving worker."""
        settings = self.settings
        rng = random.Random(f"{settings.seed}-faults")
        started = time.monotonic()
        last: int | None = None
        try:
            while not self._over(started):
                if self._serving_worker(last) is None or self._over(started):
                    return
                time.sleep(rng.uniform(*settings.interval))
                kind = rng.choice(settings.kinds)
                in_flight = self.tally.await_in_flight(RESTART_BOUND_S)  # a fault lands inside calls, not between
                current = self._worker()
                if current is None or current[0] == last:
                    continue  # replaced meanwhile (by a timeout): wait for the next one
                with self.tally.lock:
                    self.tally.signalled.add(current[0])
                try:
                    os.kill(current[0], SIGNALS[kind])
                except ProcessLookupError:
                    continue
                last = current[0]
                with self.tally.lock:
                    self.tally.faults[kind] += 1
                    self.tally.in_flight_at_fault[in_flight] += 1
                self._say(f"{kind} to worker {last} with {in_flight} calls in flight")
            self._serving_worker(last)  # the last fault recovered from, so the run ends on a working store
        finally:
            self.done.set()

    def _over(self, started: float) -> bool:
        settings = self.settings
        elapsed = settings.seconds is not None and time.monotonic() - started >= settings.seconds
        counted = settings.faults is not None and sum(self.tally.faults.values()) >= settings.faults
        return elapsed or counted

    def _worker(self) -> tuple[int, int] | None:
        """The current worker's pid and the calls it has served (None while there is none)."""
        worker = self.store.stats().get("worker")
        return None if not worker else (int(worker["pid"]), int(worker["calls"]))

    def _succeeded_since_death(self) -> bool:
        """A call completed after the last worker death (the circuit's count is back to 0): without it, quick faults
        would open the circuit by themselves, and the run would test the cool-down rather than the recovery."""
        circuit = self.store.stats().get("circuit") or {}
        return int(circuit.get("consecutive_failures", 0)) == 0

    def _serving_worker(self, last: int | None) -> int | None:
        """Wait (bounded) for a worker other than ``last`` that has answered a call: a fault then cannot hit a worker
        that is still starting, and the circuit sees a success between two faults. Repairs on the way when a
        failure said the collection may be damaged (``repair_during``)."""
        deadline = time.monotonic() + RESTART_BOUND_S + self.settings.timeout_s
        while time.monotonic() < deadline:
            if self.settings.repair_during and self.tally.damage.is_set():
                self._repair()
                deadline = time.monotonic() + RESTART_BOUND_S + self.settings.timeout_s
            current = self._worker()
            if current is not None and current[0] != last and current[1] >= 1 and self._succeeded_since_death():
                return current[0]
            time.sleep(0.02)
        self.problems.append(f"no worker served a call within {RESTART_BOUND_S:.0f} s after a fault")
        return None

    def _repair(self) -> None:
        """Check the collection and repair it if the doctor finds it damaged, with the traffic paused.

        Paused because a damaged Chroma index crashes the worker on most calls: the threads' calls would take every
        half-open attempt of the circuit and keep it open, and the repair would never get through (measured).
        """
        self.tally.damage.clear()
        began = time.monotonic()
        self._say("a failure says the collection may be damaged: traffic paused, checking it")
        # The run's short timeout is for the faults; a repair of a large collection takes longer than a SIGSTOP.
        with self.tally.pause(self.settings.timeout_s * 2 + JOIN_BOUND_S), isolation_timeout(CHECK_TIMEOUT_S):
            self._await_circuit()
            health = doctor.check_collection(self.store, COLLECTION)
            if health.status == "healthy":
                return
            self._await_circuit()  # a check that crashed the worker may have opened it again
            outcome = doctor.repair_collection(self.store, COLLECTION)
        line = (
            f"at {began - self.started:.0f} s, after {sum(self.tally.faults.values())} faults, found {health.status} "
            f"({first_line(verdict_text(health))}); {repair_line(outcome)}; traffic paused {time.monotonic() - began:.1f} s"
        )
        self.repairs.append(line)
        self._say(line)

    def _say(self, text: str) -> None:
        if self.progress is not None:
            faults = sum(self.tally.faults.values())
            self.progress(f"[{time.monotonic() - self.started:7.1f} s, {faults} faults] {text}")

    def _await_circuit(self) -> None:
        """Sleep out an open circuit's cool-down, and the collection's quarantine, so the next call may try."""
        stats = self.store.stats()
        circuit = stats.get("circuit") or {}
        quarantine = (stats.get("quarantined") or {}).get(COLLECTION) or {}
        remaining = max(
            float(circuit.get("remaining_s", 0.0)) if circuit.get("state") == "open" else 0.0,
            float(quarantine.get("remaining_s", 0.0)),
        )
        if remaining:
            time.sleep(remaining + 0.1)

    # -- the run ------------------------------------------------------------------------------------------------

    def run(self, report: Report) -> None:
        settings = self.settings
        threads = [threading.Thread(target=self.write, args=(w,), name=f"writer-{w}") for w in range(settings.writers)]
        threads += [threading.Thread(target=self.read, args=(r,), name=f"reader-{r}") for r in range(settings.readers)]
        for thread in threads:
            thread.start()
        self.fault()
        deadline = time.monotonic() + settings.timeout_s * 3 + JOIN_BOUND_S
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        report.stuck_threads = [thread.name for thread in threads if thread.is_alive()]
        tally = self.tally
        report.faults, report.calls = dict(tally.faults), dict(tally.calls)
        report.in_flight_at_fault = dict(sorted(tally.in_flight_at_fault.items()))
        report.typed_failures, report.untyped_failures = dict(tally.typed), dict(tally.untyped)
        report.untyped_tracebacks, report.first_typed = list(tally.tracebacks), dict(tally.first)
        stats = self.store.stats()
        report.worker_restarts = int(stats.get("restarts", 0))
        report.isolation_failures = {k: int(v) for k, v in (stats.get("failures") or {}).items() if v}
        report.repairs_during, report.problems = list(self.repairs), list(self.problems)
        report.acknowledged_records = sum(ledger.acknowledged_records for ledger in self.ledgers)


def run(settings: Settings, progress: Callable[[str], None] | None = None) -> Report:
    """The chaos, then the check (:func:`check`); never raises for what the store does (that is the report)."""
    report = Report(url=settings.url)
    started = time.monotonic()
    options: dict[str, Any] = {"timeout_s": settings.timeout_s}
    if settings.circuit_cooldown_s is not None:
        options["circuit_cooldown_s"] = settings.circuit_cooldown_s
    store = vectorstore.open(settings.url, **options)
    try:
        if not store.stats().get("worker"):
            raise ConfigurationError(f"{settings.url} is not isolated: there is no worker to signal (add ?isolation=process)")
        store.create_collection(COLLECTION, settings.dimension, exist_ok=True)
        rss = rss_mib()
        chaos = Chaos(settings, store, progress)
        chaos.run(report)
        report.host_rss_growth_mib = rss_mib() - rss
    finally:
        store.close()
    report.seconds = time.monotonic() - started
    check(settings.url, chaos.ledgers, report)
    return report


def check(url: str, ledgers: list[Ledger], report: Report) -> None:
    """Doctor, repair what is damaged, then read every id back from a fresh isolated store."""
    started = time.monotonic()
    before = doctor.diagnose(url, deep=True)
    if before.error:
        report.problems.append(f"doctor: {before.error}")
    report.doctor_before = {item.collection: item.status for item in before.collections}
    options = {"isolation": "process", "timeout_s": CHECK_TIMEOUT_S, "circuit_failures": CHECK_CIRCUIT_FAILURES}
    try:
        with vectorstore.open(url, **options) as store:
            for name in before.damaged():
                outcome = doctor.repair_collection(store, name)
                if outcome.report is not None:
                    report.repaired_collections += 1
                    report.repaired_records += outcome.report.restored
                    report.repair_seconds += outcome.report.seconds
                report.repairs.append(repair_line(outcome))
                if not outcome.ok:
                    report.problems.append(f"repair of {name!r}: {outcome.error or 'incomplete, or still damaged after it'}")
            after = doctor.check_store(store, deep=True)
            report.doctor_after = {item.collection: item.status for item in after.collections}
            read_back(store, ledgers, report)
    except VectorStoreError as exc:  # the check could not be made: the run cannot say nothing was lost
        report.problems.append(f"the check failed: {doctor.describe(exc)}")
    report.check_seconds = time.monotonic() - started


def repair_line(outcome: doctor.CollectionRepair) -> str:
    """One repair in words: what it restored, from what, and the verdict afterwards."""
    if outcome.report is None:
        return f"{outcome.collection}: not repaired: {outcome.error}"
    r = outcome.report
    after = outcome.after.status if outcome.after else "not checked"
    return (
        f"{outcome.collection}: {r.restored:,} of {r.expected:,} records restored in {r.seconds:.1f} s from {r.source}; "
        f"{len(r.missing_ids):,} missing; afterwards {after}"
    )


def read_back(store: VectorStore, ledgers: list[Ledger], report: Report) -> None:
    """Every id any writer touched, with its vector, compared with what it may hold."""
    may_hold = {record_id: outcomes for ledger in ledgers for record_id, outcomes in ledger.may_hold.items()}
    ids = sorted(may_hold)
    for start in range(0, len(ids), READ_BATCH):
        found = _read(store, ids[start : start + READ_BATCH], report)
        for record_id in ids[start : start + READ_BATCH]:
            if record_id in report.unreadable:
                continue
            outcomes, vector = may_hold[record_id], found.get(record_id)
            written = [outcome for outcome in outcomes if outcome is not None]
            if vector is None:
                if len(written) == len(outcomes):
                    report.lost.append(record_id)
            elif not written:
                report.resurrected.append(record_id)
            elif not any(np.allclose(vector, want, rtol=1e-6, atol=1e-7) for want in written):
                report.wrong.append(record_id)
    report.must_hold = sum(1 for ledger in ledgers for _ in ledger.must_hold())
    report.must_be_absent = sum(1 for outcomes in may_hold.values() if len(outcomes) == 1 and outcomes[0] is None)
    report.ambiguous = sum(1 for outcomes in may_hold.values() if len(outcomes) > 1)


def _read(store: VectorStore, ids: list[str], report: Report) -> dict[str, np.ndarray]:
    """The vectors of ``ids`` that are there; a failing read is split in two, down to single ids (unreadable)."""
    try:
        records = store.get(COLLECTION, ids, include=["vector"])
    except VectorStoreError:
        if len(ids) == 1:
            report.unreadable.append(ids[0])
            return {}
        middle = len(ids) // 2
        return {**_read(store, ids[:middle], report), **_read(store, ids[middle:], report)}
    return {record.id: np.asarray(record.vector, dtype=np.float32) for record in records}
