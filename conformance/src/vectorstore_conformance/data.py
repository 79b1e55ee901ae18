"""Deterministic test data (numpy, fixed seeds): the same vectors on every run and every backend.

Query tests need vectors without ties, so that "the exact top-k" is one well-defined list: :func:`separated` keeps
only query vectors whose best ``k + 1`` scores are at least ``margin`` apart, far above the 1e-4 score tolerance.
"""

from __future__ import annotations

import functools

import numpy as np

from vectorstore import scores
from vectorstore.models import Metric


def gaussian(seed: int, n: int, dim: int) -> np.ndarray:
    """``n`` standard-normal float32 vectors."""
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def separated_queries(
    metric: Metric, data: np.ndarray, n_queries: int, k: int, seed: int = 1, margin: float = 1e-3
) -> np.ndarray:
    """Query vectors whose top ``k + 1`` exact scores against ``data`` are pairwise at least ``margin`` apart."""
    generator = np.random.default_rng(seed)
    depth = min(k + 1, len(data))
    kept: list[np.ndarray] = []
    while len(kept) < n_queries:
        candidates = generator.standard_normal((8 * n_queries, data.shape[1])).astype(np.float32)
        best = -np.sort(-scores.exact(metric, candidates, data), axis=1)[:, :depth]
        gaps_ok = (-np.diff(best, axis=1) >= margin).all(axis=1)
        kept.extend(candidates[gaps_ok])
    return np.stack(kept[:n_queries])


@functools.lru_cache(maxsize=4)
def clustered(seed: int, n: int, dim: int, clusters: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` vectors around ``clusters`` gaussian centres (noise ``spread``) and the centres; cached per process."""
    generator = np.random.default_rng(seed)
    centres = generator.standard_normal((clusters, dim)).astype(np.float32)
    members = generator.integers(0, clusters, size=n)
    noise = generator.standard_normal((n, dim)).astype(np.float32) * np.float32(spread)
    return centres[members] + noise, centres
