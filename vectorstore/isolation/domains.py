"""Fault domains: a collection whose calls keep killing the worker is quarantined, and only that collection.

Without them, one collection with damaged index files (chromadb segfaults inside its ``query``) opens the store-wide
circuit after three crashes, and every healthy collection fails with ``CircuitOpen`` for the cool-down.

**Attribution.** A worker death is charged to a collection when that collection is the *only* one with requests in
flight at the death (the call that died, plus the others the worker was serving). With several collections in
flight nobody can tell which one killed it, so the death stays store-wide and feeds the circuit, as a death while
idle, while starting, or during a call without a collection does. Ambiguity does not last: the supervisor retries
idempotent calls *alone* after a death (:mod:`.gate`), so a crashing call dies again as the sole suspect.

**The circuit still sees crash loops.** The circuit does not count the deaths charged to a collection while that
collection is the only one charged since the last call that returned. Once consecutive deaths are charged to two
collections or more (the backend itself is failing, not one collection), the circuit counts them all, those held
back included: a store whose every collection crashes still fails fast store-wide.

**Quarantine.** ``threshold`` consecutive deaths charged to one collection (a call of it that returns from a live
worker, even with a backend error, resets the count) quarantine it: its calls raise
:class:`~vectorstore.errors.CollectionQuarantined` at once, without a worker being started or killed, while every
other collection is served as usual by a fresh worker. The store-wide circuit does not count these deaths. After
``cooldown_s``, one call may try (a probe, as the circuit's half-open state); if it returns, the quarantine is
lifted, if it kills the worker again the cool-down starts over. ``repair`` and ``delete_collection`` are never held
back, since they are how to get out: a successful one lifts the quarantine at once.

Thresholds and cool-down are the circuit's (``circuit_failures``, ``circuit_cooldown_s``): the same judgement, per
collection. Quarantines are in ``stats()["quarantined"]`` and announced by the ``collection_quarantined`` and
``collection_released`` events. They live in the host: reopening the store starts afresh. For other processes
(``vectorstore info``), a host whose store has a local directory keeps a record of them beside the store's files
(:mod:`.quarantine_record`): this module only hands each new state to its ``recorder``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import CollectionQuarantined
from ..events import emit

#: Operations a quarantine never holds back: they are the way out of it.
REMEDIES = frozenset({"repair", "delete_collection"})


class Recorder(Protocol):
    """Told the quarantined collections after each quarantine and release (:class:`.quarantine_record.Recorder`)."""

    def record(self, version: int, quarantined: dict[str, dict[str, Any]]) -> None:
        """``quarantined``: ``{collection: {"crashes", "last", "times_quarantined"}}``; ``version`` grows with each
        state, so a state that arrives after a newer one can be dropped. Called outside the lock; must not raise."""


@dataclass
class _Domain:
    """One collection's consecutive deaths, and its quarantine if it has one."""

    crashes: int = 0
    last: str = ""
    quarantined_at: float | None = None
    times_quarantined: int = 0
    #: When the probe call after a cool-down was let through (None: no probe running).
    probe_at: float | None = None


class FaultDomains:
    """Thread-safe (own lock): fed by whichever host thread sees a call end or a worker die."""

    def __init__(
        self,
        label: str,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        recorder: Recorder | None = None,
    ) -> None:
        self.label = label
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.recorder = recorder
        #: Counts the quarantine states handed to the recorder.
        self._version = 0
        self._lock = threading.Lock()
        self._domains: dict[str, _Domain] = {}
        #: The collections charged with deaths since a call last returned, and the deaths the circuit did not count.
        self._streak: set[str] = set()
        self._held_back = 0

    def admit(self, op: str, collection: str | None) -> None:
        """Before a call is sent: raise :class:`CollectionQuarantined` if its collection is quarantined (after the
        cool-down, the first call is let through as the probe)."""
        if collection is None or not self._domains or op in REMEDIES:
            return
        with self._lock:
            domain = self._domains.get(collection)
            if domain is None or domain.quarantined_at is None:
                return
            now = self.clock()
            remaining = domain.quarantined_at + self.cooldown_s - now
            probing = domain.probe_at is not None and now - domain.probe_at < self.cooldown_s
            if remaining <= 0 and not probing:
                domain.probe_at = now
                return
            raise _quarantined(collection, domain, max(0.0, remaining), self.label)

    def returned(self, op: str, collection: str | None, ok: bool) -> None:
        """A call on ``collection`` came back from a live worker: the worker survived it. A successful one lifts a
        quarantine (only the probe or a remedy can have run)."""
        if not (self._domains or self._streak):
            return
        with self._lock:
            self._streak.clear()
            self._held_back = 0
            domain = self._domains.get(collection) if collection is not None else None
            if domain is None:
                return
            if domain.quarantined_at is None:
                del self._domains[collection]
                return
            if not ok:
                domain.probe_at = None  # the probe failed without a death: the next call after the cool-down tries
                return
            del self._domains[collection]
            state = self._state()
        self._record(state)
        how = "repaired" if op == "repair" else "deleted" if op == "delete_collection" else f"{op} succeeded"
        emit("collection_released", self.label, collection=collection, how=how, crashes=domain.crashes)

    def died(self, in_flight: Iterable[str | None], last: str) -> int:
        """A worker died with requests of ``in_flight`` collections running (None: a call without one); ``last``
        says how, in words. Returns how many deaths the circuit counts now: 1 for a store-wide death, 0 for one
        charged to the only collection of the streak, and the streak's deaths held back so far plus this one when
        it involves a second collection."""
        suspects = set(in_flight)
        if len(suspects) != 1 or None in suspects:
            return 1
        (collection,) = suspects
        assert collection is not None
        with self._lock:
            self._streak.add(collection)
            if len(self._streak) == 1:
                self._held_back += 1
                counted = 0
            else:
                counted, self._held_back = self._held_back + 1, 0
            domain = self._domains.setdefault(collection, _Domain())
            domain.crashes += 1
            domain.last = last
            domain.probe_at = None
            opened = domain.crashes >= self.threshold and (
                domain.quarantined_at is None or self.clock() >= domain.quarantined_at + self.cooldown_s
            )
            if opened:
                domain.quarantined_at = self.clock()
                domain.times_quarantined += 1
            state = self._state() if domain.quarantined_at is not None else None  # its crash count changed too
        self._record(state)
        if opened:
            emit(
                "collection_quarantined",
                self.label,
                logging.WARNING,
                collection=collection,
                crashes=domain.crashes,
                cooldown_s=self.cooldown_s,
                last=last,
            )
        return counted

    def quarantined(self, collection: str | None) -> bool:
        """Whether ``collection`` is quarantined now (probing included): a call of it is not retried."""
        if collection is None or not self._domains:
            return False
        with self._lock:
            domain = self._domains.get(collection)
            return domain is not None and domain.quarantined_at is not None

    def _state(self) -> tuple[int, dict[str, dict[str, Any]]] | None:
        """Under the lock: the quarantines for the recorder, numbered (None without a recorder)."""
        if self.recorder is None:
            return None
        self._version += 1
        return self._version, {
            name: {"crashes": domain.crashes, "last": domain.last, "times_quarantined": domain.times_quarantined}
            for name, domain in self._domains.items()
            if domain.quarantined_at is not None
        }

    def _record(self, state: tuple[int, dict[str, dict[str, Any]]] | None) -> None:
        if state is not None and self.recorder is not None:
            self.recorder.record(*state)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The quarantined collections, for ``stats()["quarantined"]``."""
        with self._lock:
            now = self.clock()
            return {
                name: {
                    "crashes": domain.crashes,
                    "last": domain.last,
                    "remaining_s": round(max(0.0, domain.quarantined_at + self.cooldown_s - now), 3),
                    "probing": domain.probe_at is not None,
                    "times_quarantined": domain.times_quarantined,
                }
                for name, domain in sorted(self._domains.items())
                if domain.quarantined_at is not None
            }


def _quarantined(collection: str, domain: _Domain, remaining_s: float, label: str) -> CollectionQuarantined:
    when = (
        f"one call may try again in {remaining_s:.1f} s"
        if remaining_s > 0
        else "a call is already trying it again; the others wait for its outcome"
    )
    return CollectionQuarantined(
        f"collection {collection!r} is quarantined: its calls killed the isolation worker {domain.crashes} times in a "
        f"row (last: {domain.last}); its calls fail fast, and {when}. The store's other collections are served as "
        f"usual. Its data may be damaged: check and repair it with `vectorstore doctor --repair {label}` (or "
        f"store.adapter.repair({collection!r})); a successful repair lifts the quarantine.",
        collection=collection,
        crashes=domain.crashes,
        last=domain.last,
        remaining_s=remaining_s,
    )
