"""Statistics of mirrored reads: the numbers of ``vectorstore trial``, per collection and filter shape, over time.

Each mirrored query row gives what a trial query gives (overlap@k, same rank, Kendall tau, score differences of
the shared ids, both latencies), computed with the trial's own functions; they are summed up the way the trial sums
them up, for the whole run and per time window (``window_s``), so a live report and an offline trial read alike.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..migration.models import TrialSlice
from ..migration.trial import histogram, kendall_tau, latency, overlap, same_rank
from ..models import Match

#: Time windows kept in memory (and in the snapshot); older ones are dropped.
WINDOWS_KEPT = 240


def shape(where: Mapping[str, Any] | None, document: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """A filter with every operand replaced by its type name: the queries one slice of statistics groups."""

    def blank(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: blank(item) for key, item in value.items()}
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            return [blank(item) for item in value]
        if isinstance(value, list):
            return [type(value[0]).__name__] if value else []
        return type(value).__name__

    found = {**({"where": blank(where)} if where else {}), **({"document": blank(document)} if document else {})}
    return found or None


def label(filter_shape: dict[str, Any] | None) -> str:
    return "unfiltered" if filter_shape is None else json.dumps(filter_shape, sort_keys=True)


@dataclass
class Series:
    """Per-query numbers of one (collection, filter shape), for the whole run or one window."""

    overlaps: list[float] = field(default_factory=list)
    taus: list[float] = field(default_factory=list)
    identical: list[float] = field(default_factory=list)
    diffs: list[float] = field(default_factory=list)
    primary_ms: list[float] = field(default_factory=list)
    shadow_ms: list[float] = field(default_factory=list)
    errors: int = 0
    last_error: str | None = None

    def add(self, ours: list[Match], theirs: list[Match], primary_ms: float, shadow_ms: float) -> None:
        our_ids, their_ids = [m.id for m in ours], [m.id for m in theirs]
        self.overlaps.append(overlap(our_ids, their_ids))
        tau = kendall_tau(our_ids, their_ids)
        if tau is not None:
            self.taus.append(tau)
        fraction = same_rank(ours, theirs)
        if fraction is not None:
            self.identical.append(fraction)
        their_scores = {m.id: m.score for m in theirs}
        self.diffs += [abs(m.score - their_scores[m.id]) for m in ours if m.id in their_scores]
        self.primary_ms.append(primary_ms)
        self.shadow_ms.append(shadow_ms)

    def summary(self, k: int, where: dict[str, Any] | None) -> TrialSlice:
        """The trial's slice of these numbers (the primary is the trial's source, the shadow its target)."""
        result = TrialSlice(where=where, k=k, error=self.last_error)
        if not self.overlaps:
            return result
        result.queries = len(self.overlaps)
        result.overlap_mean = round(float(np.mean(self.overlaps)), 6)
        result.overlap_min = round(float(np.min(self.overlaps)), 6)
        result.overlap_histogram = histogram(self.overlaps)
        result.identical_rank_fraction = round(float(np.mean(self.identical)), 6) if self.identical else None
        result.kendall_tau = round(float(np.mean(self.taus)), 6) if self.taus else None
        result.score_diff_mean = float(np.mean(self.diffs)) if self.diffs else None
        result.score_diff_max = float(np.max(self.diffs)) if self.diffs else None
        result.latency_source = latency(self.primary_ms)
        result.latency_target = latency(self.shadow_ms)
        return result


@dataclass
class _Slice:
    collection: str
    where: dict[str, Any] | None
    k: int
    total: Series = field(default_factory=Series)
    windows: dict[float, Series] = field(default_factory=dict)


class Agreement:
    """Thread-safe accumulator of mirrored-read results; :meth:`snapshot` is what stats() and status report."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._lock = threading.Lock()
        self._slices: dict[tuple[str, str, int], _Slice] = {}
        self.counts = {"sampled": 0, "compared": 0, "dropped_queue_full": 0, "skipped_lagging": 0,
                       "skipped_overtaken": 0, "skipped_write_in_flight": 0, "errors": 0}

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n

    def _slice(self, collection: str, where: dict[str, Any] | None, k: int) -> _Slice:
        key = (collection, label(where), k)
        item = self._slices.get(key)
        if item is None:
            item = self._slices[key] = _Slice(collection, where, k)
        return item

    def _window(self, item: _Slice, at: float) -> Series:
        start = at - at % self.window_s
        series = item.windows.get(start)
        if series is None:
            series = item.windows[start] = Series()
            for old in sorted(item.windows)[:-WINDOWS_KEPT]:
                del item.windows[old]
        return series

    def record(self, collection: str, where: dict[str, Any] | None, k: int, at: float,
               rows: list[tuple[list[Match], list[Match], float, float]]) -> None:
        """The compared rows of one mirrored call (ours, theirs, primary ms, shadow ms per row)."""
        with self._lock:
            item = self._slice(collection, where, k)
            window = self._window(item, at)
            for ours, theirs, p_ms, s_ms in rows:
                item.total.add(ours, theirs, p_ms, s_ms)
                window.add(ours, theirs, p_ms, s_ms)
            self.counts["compared"] += len(rows)

    def error(self, collection: str, where: dict[str, Any] | None, k: int, message: str) -> None:
        with self._lock:
            item = self._slice(collection, where, k)
            item.total.errors += 1
            item.total.last_error = message
            self.counts["errors"] += 1

    def snapshot(self) -> dict[str, Any]:
        """Counts, one trial slice per (collection, filter shape, k), and the time series per window (JSON-ready)."""
        with self._lock:
            slices, windows = [], []
            for item in self._slices.values():
                summary = item.total.summary(item.k, item.where).model_dump(mode="json")
                slices.append({"collection": item.collection, "errors": item.total.errors, **summary})
                for start, series in sorted(item.windows.items()):
                    part = series.summary(item.k, item.where)
                    windows.append({
                        "collection": item.collection, "where": item.where, "k": item.k, "start": start,
                        "queries": part.queries, "overlap_mean": part.overlap_mean,
                        "identical_rank_fraction": part.identical_rank_fraction, "kendall_tau": part.kendall_tau,
                        "score_diff_mean": part.score_diff_mean,
                        "primary_p50_ms": part.latency_source.p50 if part.latency_source else None,
                        "shadow_p50_ms": part.latency_target.p50 if part.latency_target else None,
                    })
            return {"counts": dict(self.counts), "window_s": self.window_s, "slices": slices, "windows": windows}
