"""Recall of approximate adapters: recall@10 >= 0.95 against exact search on 20,000 clustered 128-d vectors.

Exact adapters are held to the exact top-k by the query group instead, so this group only runs where
``capabilities.exact_search`` is false. The returned scores must still be exact for the ids returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vectorstore import scores
from vectorstore.store import VectorStore

from .. import data
from ..checks import SCORE_TOLERANCE
from ..fixtures import StoreFixtures

N, DIM, K, QUERIES = 20_000, 128, 10, 100
MIN_RECALL = 0.95


class RecallTests(StoreFixtures):
    group = "recall"
    __requires__ = ("approximate_search", "metric_cosine")

    def test_recall_at_10(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        vectors, centres = data.clustered(7, N, DIM, 200, 0.35)
        queries = (centres[:QUERIES] + np.random.default_rng(8).standard_normal((QUERIES, DIM)) * 0.35).astype(
            np.float32
        )
        ids = data.ids("c", N)
        name = make_collection(dimension=DIM, metric="cosine")
        store.upsert(name, ids, vectors)
        assert store.count(name) == N
        table = scores.exact("cosine", queries, vectors)
        truth = scores.top_k(table, K)
        found = store.query(name, queries, k=K)
        position = {record_id: i for i, record_id in enumerate(ids)}
        hits, wrong_scores = 0, []
        for row, (expected, matches) in enumerate(zip(truth, found)):
            hits += len({ids[i] for i in expected} & {m.id for m in matches})
            wrong_scores += [
                (row, m.id, m.score) for m in matches if abs(m.score - table[row, position[m.id]]) > SCORE_TOLERANCE
            ]
        recall = hits / (QUERIES * K)
        assert recall >= MIN_RECALL, f"recall@{K} = {recall:.3f} < {MIN_RECALL} on {N} clustered {DIM}-d vectors"
        assert not wrong_scores, f"scores differ from numpy for returned ids: {wrong_scores[:5]}"
