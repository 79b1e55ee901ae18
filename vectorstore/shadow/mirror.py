"""Mirrored reads: a sample of the primary's queries re-run on the shadow by a background thread.

The caller pays one random draw per query, and for a sampled one a non-blocking put on a bounded queue: a full
queue (a slow shadow) drops the sample. A sample is compared only when the shadow holds what the primary held at
the read: the collection had no write in flight, and the applier has applied exactly the collection's writes up to
that read, before and after the shadow's query (a lagging shadow gets a short bounded wait; one that has moved on
is skipped). Otherwise a difference would measure replication lag, not the engines.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import VectorStoreError
from ..models import Match
from .agreement import Agreement, shape

if TYPE_CHECKING:
    from .applier import Applier

#: How long a sample waits for a lagging shadow to reach the read's position, in seconds.
CATCH_UP_S = 2.0


@dataclass(frozen=True)
class Sample:
    collection: str
    vectors: np.ndarray
    k: int
    where: Mapping[str, Any] | None
    document: Mapping[str, Any] | None
    rows: list[list[Match]]
    primary_ms: float
    #: The collection's last acknowledged journal entry when the primary answered.
    seq: int
    at: float


class Mirror(threading.Thread):
    def __init__(self, applier: Applier, fraction: float, capacity: int, window_s: float, seed: int | None) -> None:
        super().__init__(name="shadow-mirror", daemon=True)
        self.applier = applier
        self.fraction = fraction
        self.agreement = Agreement(window_s)
        self.queue: queue.Queue[Sample | None] = queue.Queue(capacity)
        self._random = random.Random(seed)
        self._draw = threading.Lock()
        #: Samples taken but not yet compared or skipped (tests and benches wait on it).
        self.pending = 0
        self.idle = threading.Condition()

    def sampled(self) -> bool:
        with self._draw:
            return self._random.random() < self.fraction

    def offer(self, sample: Sample | None, in_flight: bool) -> None:
        """Hand a sample over without ever blocking the caller."""
        if sample is None:
            return
        self.agreement.count("sampled")
        if in_flight:
            self.agreement.count("skipped_write_in_flight")
            return
        with self.idle:
            self.pending += 1
        try:
            self.queue.put_nowait(sample)
        except queue.Full:
            self.agreement.count("dropped_queue_full")
            self._done()

    def run(self) -> None:
        while (sample := self.queue.get()) is not None:
            try:
                self._compare(sample)
            finally:
                self._done()

    def _done(self) -> None:
        with self.idle:
            self.pending -= 1
            self.idle.notify_all()

    def _consistent(self, name: str, seq: int) -> bool | None:
        """True when the shadow holds exactly the collection's writes up to ``seq``; False when it is past them."""
        applier = self.applier
        done, started = applier.applied.get(name, 0), applier.started.get(name, applier.applied.get(name, 0))
        if applier.replaying_since is not None or done > seq or started > seq:
            return False
        return True if done == seq == started else None

    def _compare(self, sample: Sample) -> None:
        name = sample.collection
        with self.applier.changed:
            ready = self.applier.changed.wait_for(lambda: self._consistent(name, sample.seq) is not None, CATCH_UP_S)
            state = self._consistent(name, sample.seq) if ready else None
        if state is None:
            self.agreement.count("skipped_lagging")
            return
        if state is False:
            self.agreement.count("skipped_overtaken")
            return
        shadow = self.applier.shadow
        filter_shape = shape(sample.where, sample.document)
        if shadow is None:
            self.agreement.count("skipped_lagging")
            return
        try:
            started = time.perf_counter()
            theirs = shadow.query(name, sample.vectors, sample.k, where=sample.where, document=sample.document,
                                  include=[])
            shadow_ms = (time.perf_counter() - started) * 1000.0 / len(sample.vectors)
        except VectorStoreError as exc:
            self.agreement.error(name, filter_shape, sample.k, f"{type(exc).__name__}: {exc}")
            return
        if self._consistent(name, sample.seq) is not True:
            self.agreement.count("skipped_overtaken")
            return
        per_row = sample.primary_ms / len(sample.vectors)
        rows = [(ours, their_row, per_row, shadow_ms) for ours, their_row in zip(sample.rows, theirs)]
        self.agreement.record(name, filter_shape, sample.k, sample.at, rows)

    def drain(self, timeout: float) -> bool:
        """Wait until every sample taken so far is compared or skipped (bounded)."""
        with self.idle:
            return self.idle.wait_for(lambda: self.pending == 0, timeout)

    def stop(self) -> None:
        """Make room if needed (a dropped sample) and ask the thread to end after what it holds."""
        while True:
            try:
                self.queue.put_nowait(None)
                return
            except queue.Full:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    continue
                self.agreement.count("dropped_queue_full")
                self._done()
