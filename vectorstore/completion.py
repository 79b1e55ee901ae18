"""Complete short answers from approximate indexes (DESIGN 3.5: a query returns ``min(k, matching)`` matches).

An HNSW index can lose track of a record after churn: chromadb 1.5.9 returned 16 of 17 ids for
``n_results=count()`` in 2 of 150 runs of delete + three upserts, the missing one just written (issue 10), and a
filtered HNSW search can stop early on a selective filter. Users would see a silently incomplete top-k.

A full answer (``k`` matches) cannot be told apart from the exact one without an exact search, but a *short* one
can: fewer than ``k`` matches while more records match. Only then, and only for adapters that declare
``exact_search=False``, the store counts the matching records and, when the answer is short, replaces it by an
exact top-k over the matching records (streamed through the adapter's ``scan``, scores from
:func:`vectorstore.scores.exact`, the same numbers DESIGN 3.2 asks of every adapter). The cost stays off the
common path: a query for 10 of 100,000 records never comes back short.
"""

from __future__ import annotations

import numpy as np

from . import scores
from .adapter import Adapter
from .batch import RecordBatch
from .filters import Node
from .models import Match, Metric

#: Records scored at once while completing (one scan batch).
SCAN_BATCH = 2048


def short_rows(rows: list[list[Match]], k: int) -> list[int]:
    """Positions of the answers with fewer than ``k`` matches (complete answers need no check)."""
    return [position for position, row in enumerate(rows) if len(row) < k]


def complete(
    adapter: Adapter,
    name: str,
    metric: Metric,
    vectors: np.ndarray,
    k: int,
    where: Node | None,
    include: frozenset[str],
    rows: list[list[Match]],
) -> list[list[Match]]:
    """``rows`` with every short answer replaced by the exact top-``min(k, matching)`` over the matching records."""
    short = short_rows(rows, k)
    if not short:
        return rows
    matching = adapter.count(name, where)
    wanted = [position for position in short if len(rows[position]) < min(k, matching)]
    if not wanted:
        return rows
    exact = exact_matches(adapter, name, metric, vectors[wanted], k, where, include)
    completed = list(rows)
    for position, row in zip(wanted, exact):
        completed[position] = row
    return completed


def exact_matches(
    adapter: Adapter,
    name: str,
    metric: Metric,
    queries: np.ndarray,
    k: int,
    where: Node | None,
    include: frozenset[str],
) -> list[list[Match]]:
    """The exact top-``k`` of each query among the records matching ``where``, keeping ``k`` candidates per query."""
    best: list[list[Match]] = [[] for _ in range(len(queries))]
    for batch in adapter.scan(name, where, SCAN_BATCH, include | {"vector"}):
        table = scores.exact(metric, queries, batch.vectors)
        for position, row in enumerate(table):
            fresh = sorted(((float(score), batch.ids[r], r) for r, score in enumerate(row)), key=_rank)[:k]
            candidates = best[position] + [_match(metric, score, batch, r, include) for score, _, r in fresh]
            candidates.sort(key=lambda match: (-match.score, match.id))
            best[position] = candidates[:k]
    return best


def _rank(candidate: tuple[float, str, int]) -> tuple[float, str]:
    return -candidate[0], candidate[1]


def _match(metric: Metric, score: float, batch: RecordBatch, row: int, include: frozenset[str]) -> Match:
    """Row ``row`` of ``batch`` as a match (only the survivors of a batch are built, so few vectors become lists)."""
    return Match.model_construct(
        id=batch.ids[row],
        score=score,
        distance=float(scores.distance(metric, score)),
        vector=batch.vectors[row].tolist() if "vector" in include and batch.vectors is not None else None,
        document=batch.documents[row] if "document" in include and batch.documents is not None else None,
        metadata=batch.metadatas[row] if "metadata" in include and batch.metadatas is not None else None,
    )
