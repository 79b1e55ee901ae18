"""Run the same queries on both sides and measure how far the target's answers and latency are from the source's.

The source is the reference (it is what the application runs on today), so overlap@k is the target's recall
against it. Each query runs on both sides back to back, alternating which goes first so neither side always gets
the warmer cache; one unrecorded warm-up query per side precedes each filter's series. Qdrant's own migration guide
treats recall@10 below 0.85 as a configuration mismatch (usually the metric), so such a result is flagged.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import VectorStoreError
from ..models import Match
from ..store import VectorStore
from .models import Latency, TrialResult, TrialSlice

RECALL_THRESHOLD = 0.85
DEFAULT_QUERIES = 100
#: Scores this close (relative to ``max(1, |score|)``) are a tie: the two engines compute them differently, and the
#: order of tied records is not part of the contract beyond the id order of *exactly* equal scores (DESIGN 3.2).
TIE_TOLERANCE = 1e-6
#: Eleven bins: [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0), and exactly 1.0.
OVERLAP_BINS = tuple(f"{i / 10:.1f}" for i in range(10)) + ("1.0",)


def sample_queries(source: VectorStore, name: str, count: int, seed: int = 0) -> np.ndarray:
    """Stored vectors of ``count`` records chosen uniformly at random (reservoir sampling over an ids-only scan)."""
    rng = random.Random(seed)
    chosen: list[str] = []
    seen = 0
    for batch in source.scan_batches(name, include=[]):
        for record_id in batch.ids:
            seen += 1
            if len(chosen) < count:
                chosen.append(record_id)
            elif (slot := rng.randrange(seen)) < count:
                chosen[slot] = record_id
    return source.get_batch(name, chosen, include=["vector"]).vectors  # type: ignore[return-value]  # included


def overlap(ours: Sequence[str], theirs: Sequence[str]) -> float:
    """Shared ids over the longer list (1.0 when both are empty: the target agrees that nothing matches)."""
    longest = max(len(ours), len(theirs))
    return len(set(ours) & set(theirs)) / longest if longest else 1.0


def kendall_tau(ours: Sequence[str], theirs: Sequence[str]) -> float | None:
    """Kendall tau of the shared ids' ranks on both sides; None with fewer than two shared ids."""
    position = {record_id: rank for rank, record_id in enumerate(theirs)}
    shared = [position[i] for i in ours if i in position]
    n = len(shared)
    if n < 2:
        return None
    concordant = sum(1 for a in range(n) for b in range(a + 1, n) if shared[a] < shared[b])
    return (2 * concordant) / (n * (n - 1) / 2) - 1.0


def _tied(a: float, b: float) -> bool:
    return abs(a - b) <= TIE_TOLERANCE * max(1.0, abs(a), abs(b))


def same_rank(ours: Sequence[Match], theirs: Sequence[Match]) -> float | None:
    """Fraction of result positions holding the same id on both sides, a reordering within tied scores counting as same.

    Positions are cut into blocks of consecutive ranks whose scores tie on *both* sides; a block holding the same ids
    on both sides, in any order, counts whole, and any other position counts when its two ids are equal. A different
    choice among records tied at the k-th place is a different id (overlap sees it too). None when both are empty.
    """
    positions = max(len(ours), len(theirs))
    if not positions:
        return None
    common = min(len(ours), len(theirs))
    same = 0
    start = 0
    while start < common:
        end = start + 1
        while end < common and _tied(ours[end - 1].score, ours[end].score) and _tied(
            theirs[end - 1].score, theirs[end].score
        ):
            end += 1
        mine, other = ours[start:end], theirs[start:end]
        if {m.id for m in mine} == {m.id for m in other}:
            same += end - start
        else:
            same += sum(a.id == b.id for a, b in zip(mine, other))
        start = end
    return same / positions


def histogram(values: Sequence[float]) -> list[int]:
    counts = [0] * len(OVERLAP_BINS)
    for value in values:
        counts[10 if value >= 1.0 else min(9, int(round(value * 10, 9)))] += 1
    return counts


def latency(milliseconds: Sequence[float]) -> Latency:
    p50, p95, p99 = np.percentile(np.asarray(milliseconds), [50, 95, 99])
    return Latency(p50=round(float(p50), 4), p95=round(float(p95), 4), p99=round(float(p99), 4),
                   mean=round(float(np.mean(milliseconds)), 4))


def _timed(store: VectorStore, name: str, vector: np.ndarray, k: int, where: Any) -> tuple[list[Match], float]:
    started = time.perf_counter()
    hits = store.search(name, vector, k, where=where, include=[])
    return hits, (time.perf_counter() - started) * 1000.0


def run_slice(
    source: VectorStore, target: VectorStore, name: str, queries: np.ndarray, k: int, where: Mapping[str, Any] | None
) -> TrialSlice:
    """One series of queries with one filter on both sides."""
    result = TrialSlice(where=dict(where) if where is not None else None, k=k)
    if not len(queries):
        return result
    try:
        _timed(source, name, queries[0], k, where)
        _timed(target, name, queries[0], k, where)
        overlaps, taus, identical, diffs, lat_source, lat_target = [], [], [], [], [], []
        for index, vector in enumerate(queries):
            if index % 2:
                theirs, t_ms = _timed(target, name, vector, k, where)
                ours, s_ms = _timed(source, name, vector, k, where)
            else:
                ours, s_ms = _timed(source, name, vector, k, where)
                theirs, t_ms = _timed(target, name, vector, k, where)
            lat_source.append(s_ms)
            lat_target.append(t_ms)
            our_ids, their_ids = [m.id for m in ours], [m.id for m in theirs]
            overlaps.append(overlap(our_ids, their_ids))
            tau = kendall_tau(our_ids, their_ids)
            if tau is not None:
                taus.append(tau)
            fraction = same_rank(ours, theirs)
            if fraction is not None:
                identical.append(fraction)
            their_scores = {m.id: m.score for m in theirs}
            diffs += [abs(m.score - their_scores[m.id]) for m in ours if m.id in their_scores]
    except VectorStoreError as exc:
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    result.queries = len(queries)
    result.overlap_mean = round(float(np.mean(overlaps)), 6)
    result.overlap_min = round(float(np.min(overlaps)), 6)
    result.overlap_histogram = histogram(overlaps)
    result.identical_rank_fraction = round(float(np.mean(identical)), 6) if identical else None
    result.kendall_tau = round(float(np.mean(taus)), 6) if taus else None
    result.score_diff_mean = float(np.mean(diffs)) if diffs else None
    result.score_diff_max = float(np.max(diffs)) if diffs else None
    result.latency_source = latency(lat_source)
    result.latency_target = latency(lat_target)
    return result


def _label(where: Mapping[str, Any] | None) -> str:
    return "unfiltered" if where is None else f"where {json.dumps(where, sort_keys=True)}"


def trial_collection(
    source: VectorStore,
    target: VectorStore,
    name: str,
    *,
    queries: np.ndarray | None = None,
    sample: int = DEFAULT_QUERIES,
    k: int = 10,
    wheres: Sequence[Mapping[str, Any]] = (),
    seed: int = 0,
) -> TrialResult:
    """The trial of one collection: ``queries`` if given, else ``sample`` stored source vectors; unfiltered first,
    then once per filter in ``wheres``."""
    origin = f"{len(queries)} queries given" if queries is not None else f"{sample} stored vectors sampled"
    vectors = queries if queries is not None else sample_queries(source, name, sample, seed)
    slices = [run_slice(source, target, name, vectors, k, where) for where in (None, *wheres)]
    flags = []
    for item in slices:
        if item.error:
            flags.append(f"{_label(item.where)}: {item.error}")
        elif item.overlap_mean is not None and item.overlap_mean < RECALL_THRESHOLD:
            flags.append(
                f"{_label(item.where)}: recall@{k} of the target against the source is {item.overlap_mean:.3f}, "
                f"below {RECALL_THRESHOLD} (check the metric and the index parameters)"
            )
    return TrialResult(collection=name, queries_from=origin, k=k, slices=slices, flags=flags)
