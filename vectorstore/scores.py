"""Scores and distances (DESIGN 3.2), in one place.

Backends report different raw numbers: Chroma squared L2, ``1 - cos`` and ``1 - dot`` distances; Qdrant cosine and
dot similarities and plain L2. Adapters convert their native number with :func:`from_distance` or
:func:`from_similarity`; the memory adapter and the tests compute the truth with :func:`exact`.

=======  ===========  ==============
metric   score        distance
=======  ===========  ==============
cosine   cos(q, v)    1 - cos
dot      q . v        1 - q . v
l2       -L2          L2 (not squared)
=======  ===========  ==============

Order (DESIGN 3.2): matches come by score, descending; among *exactly* equal scores by id, so an answer is
deterministic whatever order the engine found them in (:func:`order_matches`). Which of several records tied at the
k-th place are returned is not specified: an approximate or another engine may pick others.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .models import Match, Metric

_CHUNK = 4096  # pairs recomputed at once by exact(): 4096 x d float64


def distance(metric: Metric, score: np.ndarray | float) -> np.ndarray | float:
    """The distance that goes with a score."""
    return -score if metric == "l2" else 1.0 - score


def from_similarity(metric: Metric, similarity: np.ndarray | float) -> np.ndarray | float:
    """Score from a backend similarity: cos for cosine, q . v for dot, or plain L2 for l2 (Qdrant's numbers)."""
    return -similarity if metric == "l2" else similarity


def from_distance(metric: Metric, native: np.ndarray | float, *, squared_l2: bool = True) -> np.ndarray | float:
    """Score from a Chroma-style distance: ``1 - cos``, ``1 - dot``, or (squared) L2."""
    if metric == "l2":
        value = np.sqrt(np.maximum(native, 0.0)) if squared_l2 else native
        return -value
    return 1.0 - native


def exact(metric: Metric, queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Exact scores, shape ``(len(queries), len(vectors))``, computed in float64 (the reference)."""
    q = np.asarray(queries, dtype=np.float64)
    v = np.asarray(vectors, dtype=np.float64)
    if metric == "dot":
        return q @ v.T
    if metric == "cosine":
        qn = np.linalg.norm(q, axis=1, keepdims=True)
        vn = np.linalg.norm(v, axis=1, keepdims=True)
        return (q / np.where(qn == 0, 1, qn)) @ (v / np.where(vn == 0, 1, vn)).T
    lengths = (q * q).sum(1)[:, None] + (v * v).sum(1)[None, :]
    squared = lengths - 2.0 * (q @ v.T)
    # The expansion cancels badly for long vectors close together (|v| = 1e4 gave 5e-4 for a distance of 0):
    # recompute those pairs from their differences, in chunks to bound memory.
    rows, cols = np.nonzero(squared < 1e-6 * lengths)
    for start in range(0, len(rows), _CHUNK):
        r, c = rows[start : start + _CHUNK], cols[start : start + _CHUNK]
        squared[r, c] = ((q[r] - v[c]) ** 2).sum(1)
    return 0.0 - np.sqrt(np.maximum(squared, 0.0))


def top_k(scores: np.ndarray, k: int, ids: Sequence[str] | None = None) -> np.ndarray:
    """Indices of the ``k`` best scores per row, best first.

    Ties are broken by ``ids`` (one per column) when given, as :func:`order_matches` orders them, so the records chosen
    at a tie on the k-th place are the smallest ids; without ``ids``, by column position.
    """
    k = min(k, scores.shape[1])
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    if ids is None:
        order = np.argsort(-scores, axis=1, kind="stable")
    else:
        rank = np.empty(len(ids), dtype=np.int64)
        rank[np.argsort(np.asarray(ids, dtype=object), kind="stable")] = np.arange(len(ids))
        order = np.lexsort((np.broadcast_to(rank, scores.shape), -scores), axis=1)
    return order[:, :k]


def order_matches(row: Iterable[Match]) -> list[Match]:
    """One query's matches in the contract's order: score descending, then id among exactly equal scores.

    The store applies it to every adapter's answer, so two engines that found the same records answer in the same
    order even when the scores tie (a zero query vector on cosine scores every record 0).
    """
    matches = list(row)
    for before, after in zip(matches, matches[1:]):  # engines answer best first: most rows need no sort
        if before.score < after.score or (before.score == after.score and before.id > after.id):
            return sorted(matches, key=lambda match: (-match.score, match.id))
    return matches


def relevance(metric: Metric, score: float) -> float:
    """Map one of our scores (DESIGN 3.2) to a relevance in [0, 1] (what LangChain and similar frameworks expect), 1 being most similar.

    cosine: ``(1 + cos) / 2``. It is exact and strictly monotonic over the whole range, where Chroma's ``1 - distance``
    goes negative for opposite vectors (LangChain warns) and clipping it at 0 would tie every negative cosine.
    It is also what ``langchain_qdrant`` returns, so its thresholds keep their meaning.

    dot and l2: chosen so that for unit-length embeddings (what most embedding models return) every metric gives the
    same relevance as cosine, and one ``score_threshold`` means the same thing whatever the metric: for unit vectors
    q . v = cos and L2**2 = 2 - 2 cos, hence ``(1 + q . v) / 2`` and ``1 - L2**2 / 4``. For vectors that are not unit
    length these leave [0, 1] and are clipped to it (order is kept, extremes tie); use cosine for such embeddings.
    """
    value = 1.0 - score * score / 4.0 if metric == "l2" else (1.0 + score) / 2.0
    return min(1.0, max(0.0, value))
