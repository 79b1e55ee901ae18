"""Comparisons between what a store returned and what the reference expects.

Checks that loop over many cases return a list of problems instead of failing at the first one, so that a failing
run shows every mismatch (the filter, the operation, expected and actual ids) in one message.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from vectorstore import scores
from vectorstore.models import Match, Metric, Record
from vectorstore.store import VectorStore

from .reference import Reference, Stored

#: Every field a record can return.
ALL_FIELDS = ("vector", "document", "metadata")
#: Scores and distances must equal numpy within this (DESIGN 3.2).
SCORE_TOLERANCE = 1e-4
#: Vectors come back equal within float32 rounding: a few units in the last place, relative to the vector's scale.
VECTOR_RTOL = 1e-6
#: Reference scores this close are one tie group for ``strict_order``: engines compute in float32 and may order them
#: either way (or report them as exactly equal, then ordered by id).
TIE_TOLERANCE = 1e-6


def typed(value: Any) -> Any:
    """``value`` with every scalar paired with its type, so ``1 == 1.0 == True`` comparisons cannot pass by accident."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def vector_problem(actual: Sequence[float] | None, expected: np.ndarray) -> str | None:
    """Why ``actual`` is not ``expected`` within float32 rounding (None when it is)."""
    if actual is None:
        return "vector missing"
    got = np.asarray(actual, dtype=np.float64)
    want = expected.astype(np.float64)
    if got.shape != want.shape:
        return f"vector has shape {got.shape}, expected {want.shape}"
    scale = float(np.abs(want).max()) if want.size else 0.0
    error = np.abs(got - want)
    if (error > VECTOR_RTOL * np.abs(want) + VECTOR_RTOL * scale).any():
        worst = int(np.argmax(error))
        return f"vector differs beyond float32 rounding: element {worst} is {got[worst]!r}, expected {want[worst]!r}"
    return None


def record_problems(record: Record, expected: Stored, include: Iterable[str]) -> list[str]:
    """Differences between a returned record and the expected one, for the fields in ``include``."""
    fields = set(include)
    problems = []
    if "vector" in fields:
        problem = vector_problem(record.vector, expected.vector)
        if problem:
            problems.append(problem)
    elif record.vector is not None:
        problems.append("vector returned although not included")
    if "document" in fields:
        if record.document != expected.document or type(record.document) is not type(expected.document):
            problems.append(f"document is {record.document!r}, expected {expected.document!r}")
    elif record.document is not None:
        problems.append("document returned although not included")
    if "metadata" in fields:
        if typed(record.metadata) != typed(expected.metadata):
            problems.append(f"metadata is {record.metadata!r}, expected {expected.metadata!r}")
    elif record.metadata is not None:
        problems.append("metadata returned although not included")
    return [f"record {record.id!r}: {problem}" for problem in problems]


def match_problems(
    found: Sequence[Match],
    reference: Reference,
    query: np.ndarray,
    k: int,
    where: Any = None,
    document: Any = None,
    *,
    strict_order: bool = False,
) -> list[str]:
    """Differences between one query's matches and the reference top-k over the filtered set.

    Each returned id must be a matching record whose score and distance equal numpy within 1e-4, in descending
    order, among exactly equal scores by id (DESIGN 3.2), and the score sequence must equal the reference's best
    scores (so nothing better was missed; which records tied at the k-th place come back is free). With
    ``strict_order`` the ids must also follow the reference ranking, tie group by tie group (for data built without
    near-ties): any order inside a group of reference scores within :data:`TIE_TOLERANCE`, any subset of the group
    at the k-th place.
    """
    selected, table = reference.scores(query.reshape(1, -1), where, document)
    truth = dict(zip(selected, table[0]))
    best = np.sort(table[0])[::-1][:k]
    metric: Metric = reference.metric
    problems = []
    ids = [match.id for match in found]
    if len(found) != len(best):
        problems.append(f"{len(found)} matches, expected {len(best)}")
    if len(set(ids)) != len(ids):
        problems.append(f"duplicate ids in {ids}")
    strangers = [match.id for match in found if match.id not in truth]
    if strangers:
        problems.append(f"{len(strangers)} returned ids are not stored records matching the filter: {strangers[:10]}")
    for rank, match in enumerate(found):
        if match.id not in truth:
            continue
        want = float(truth[match.id])
        if abs(match.score - want) > SCORE_TOLERANCE:
            problems.append(f"rank {rank}: {match.id!r} score {match.score!r}, numpy says {want!r}")
        if abs(match.distance - float(scores.distance(metric, want))) > SCORE_TOLERANCE:
            problems.append(
                f"rank {rank}: {match.id!r} distance {match.distance!r}, expected {scores.distance(metric, want)!r}"
            )
    got_scores = [match.score for match in found]
    if any(a < b - SCORE_TOLERANCE for a, b in zip(got_scores, got_scores[1:])):
        problems.append(f"scores not in descending order: {got_scores}")
    unordered = [(a.id, b.id) for a, b in zip(found, found[1:]) if a.score == b.score and a.id > b.id]
    if unordered:
        problems.append(f"equal scores not ordered by id: {unordered[:5]} (score descending, then id)")
    if len(found) == len(best) and any(abs(a - b) > SCORE_TOLERANCE for a, b in zip(got_scores, best)):
        problems.append(f"scores {got_scores} differ from the exact top-{k} {best.tolist()}")
    if strict_order:
        problems += ranking_problems(ids, truth, k)
    return problems


def tie_groups(truth: dict[str, float]) -> list[set[str]]:
    """The ids by score, descending, in groups of scores within :data:`TIE_TOLERANCE` of their neighbour."""
    ranked = sorted(truth.items(), key=lambda item: -item[1])
    groups: list[set[str]] = []
    previous = math.inf
    for record_id, score in ranked:
        if not groups or previous - score > TIE_TOLERANCE:
            groups.append(set())
        groups[-1].add(record_id)
        previous = score
    return groups


def ranking_problems(ids: Sequence[str], truth: dict[str, float], k: int) -> list[str]:
    """Why ``ids`` is not a top-``k`` of the reference ranking ``truth`` (id -> exact score), ties being free."""
    position = 0
    for group in tie_groups(truth):
        if position >= min(k, len(ids)):
            break
        taken = set(ids[position : position + len(group)])
        complete = position + len(group) <= k
        if (complete and taken != group) or not taken <= group:
            shown = sorted(group)[:10]
            return [
                f"ids {list(ids)}: at rank {position} expected {'the' if complete else 'some of the'} records "
                f"tied at score {truth[next(iter(group))]:.6g}: {shown}{' ...' if len(group) > 10 else ''}"
            ]
        position += len(group)
    return []


def state_problems(store: VectorStore, name: str, reference: Reference, batch_size: int = 1000) -> list[str]:
    """Differences between everything stored in a collection (count, then a full scan) and the reference."""
    problems = []
    count = store.count(name)
    if count != len(reference.rows):
        problems.append(f"count {count}, expected {len(reference.rows)}")
    scanned = [r for batch in store.scan(name, batch_size=batch_size, include=ALL_FIELDS) for r in batch]
    ids = sorted(r.id for r in scanned)
    if ids != sorted(reference.rows):
        missing, extra = sorted(set(reference.rows) - set(ids)), sorted(set(ids) - set(reference.rows))
        problems.append(f"scan: missing ids {missing[:10]}, unexpected ids {extra[:10]}, {len(ids)} ids in all")
    problems += [
        p for r in scanned if r.id in reference.rows for p in record_problems(r, reference.rows[r.id], ALL_FIELDS)
    ]
    return problems


def snapshot(store: VectorStore, name: str) -> list[tuple[Any, ...]]:
    """Everything stored in a collection, sorted by id, to prove that a failed call wrote nothing."""
    rows = [
        (r.id, tuple(r.vector or ()), r.document, repr(typed(r.metadata)))
        for batch in store.scan(name, include=ALL_FIELDS)
        for r in batch
    ]
    return sorted(rows)


def expect_no_problems(problems: Sequence[str], what: str = "") -> None:
    """Fail with every problem listed (at most 50), or pass when there are none."""
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise AssertionError(f"{what}{len(problems)} problem(s):\n  {shown}{more}")
