"""The expected state of a collection, kept by the tests beside the store under test.

Meaning comes only from the core's reference definitions: :func:`vectorstore.filters.matches` for filters and
:func:`vectorstore.scores.exact` for scores. The adapter under test is never asked what the answer should be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore import scores
from vectorstore.filters import Where, matches, parse_filter
from vectorstore.models import Metadata, Metric


@dataclass(frozen=True)
class Stored:
    vector: np.ndarray
    document: str | None
    metadata: Metadata


class Reference:
    """An in-test model of one collection: upsert is a full replace, deletes remove, filters use the evaluator."""

    def __init__(self, metric: Metric = "cosine") -> None:
        self.metric = metric
        self.rows: dict[str, Stored] = {}

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        documents: Sequence[str | None] | None = None,
        metadatas: Sequence[Metadata | None] | None = None,
    ) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        for i, record_id in enumerate(ids):
            self.rows[record_id] = Stored(
                matrix[i].copy(),
                None if documents is None else documents[i],
                dict(metadatas[i] or {}) if metadatas is not None else {},
            )

    def delete(self, ids: Sequence[str]) -> int:
        present = [i for i in dict.fromkeys(ids) if i in self.rows]
        for record_id in present:
            del self.rows[record_id]
        return len(present)

    def select(self, where: Where = None, document: Where = None) -> list[str]:
        """Ids of the records the filter matches, in insertion order."""
        node = parse_filter(where, document)
        return [i for i, row in self.rows.items() if matches(node, row.metadata, row.document)]

    def delete_where(self, where: Where = None, document: Where = None) -> list[str]:
        doomed = self.select(where, document)
        self.delete(doomed)
        return doomed

    def scores(self, queries: np.ndarray, where: Where = None, document: Where = None) -> tuple[list[str], np.ndarray]:
        """Ids of the matching records and their exact scores, shape ``(len(queries), len(ids))``."""
        selected = self.select(where, document)
        dim = queries.shape[1]
        vectors = np.stack([self.rows[i].vector for i in selected]) if selected else np.empty((0, dim), np.float32)
        return selected, scores.exact(self.metric, queries, vectors)

    def top_k(self, queries: np.ndarray, k: int, where: Where = None, document: Where = None) -> list[list[str]]:
        """The exact top-k ids per query (ties broken by insertion order)."""
        selected, table = self.scores(queries, where, document)
        return [[selected[p] for p in row] for row in scores.top_k(table, k)]
