"""Shared data for the migration tests: a corpus with every metadata type, and stores to copy it between.

Expected results never come from the code under test: the corpus itself is the truth for what a target must hold,
and :func:`vectorstore.scores.exact` for what a query must return.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import vectorstore
from vectorstore import VectorStore, scores
from vectorstore.models import Metric


@dataclass
class Corpus:
    ids: list[str]
    vectors: np.ndarray
    documents: list[str | None]
    metadatas: list[dict[str, Any]]

    def load(self, store: VectorStore, name: str, metric: Metric = "cosine", batch: int = 1000) -> None:
        store.create_collection(name, self.vectors.shape[1], metric)
        for start in range(0, len(self.ids), batch):
            stop = start + batch
            store.upsert(name, self.ids[start:stop], self.vectors[start:stop], self.documents[start:stop],
                         self.metadatas[start:stop])

    def truth(self, metric: Metric, queries: np.ndarray, k: int) -> list[list[str]]:
        """Exact top-k ids per query, by numpy."""
        order = scores.top_k(scores.exact(metric, queries, self.vectors), k)
        return [[self.ids[i] for i in row] for row in order]


def make_corpus(n: int, dimension: int = 16, seed: int = 0) -> Corpus:
    """``n`` records with every metadata type (scalars and lists of each), some without metadata or document.

    Floats are short decimals: chromadb 1.5.9 itself returns some 17-digit floats off by an ulp or two.
    """
    rng = np.random.default_rng(seed)
    ids = [f"doc-{i}" if i % 5 else f"ünï/{i} id" for i in range(n)]
    documents: list[str | None] = [None if i % 11 == 0 else f"document {i}: {'lorem ' * (i % 4)}" for i in range(n)]
    metadatas: list[dict[str, Any]] = []
    for i in range(n):
        if i % 13 == 0:
            metadatas.append({})
            continue
        metadatas.append({
            "s": f"cat-{i % 7}", "i": int(rng.integers(-(2**40), 2**40)), "f": round(float(rng.uniform(-1e3, 1e3)), 4),
            "b": bool(i % 2), "ls": [f"t{i % 3}", "all"], "li": [i % 5, 7], "lf": [0.25, round(i / 8, 3)],
            "lb": [True, i % 3 == 0], "whole": 3.0,
        })
    return Corpus(ids, rng.normal(size=(n, dimension)).astype(np.float32), documents, metadatas)


def assert_holds(store: VectorStore, name: str, corpus: Corpus) -> None:
    """The store holds exactly the corpus: same ids, vectors (float32 rounding), documents, metadata with types."""
    assert store.count(name) == len(corpus.ids)
    got = store.get(name, corpus.ids, include=["vector", "document", "metadata"])
    assert [r.id for r in got] == corpus.ids
    for record, vector, document, metadata in zip(got, corpus.vectors, corpus.documents, corpus.metadatas):
        np.testing.assert_allclose(record.vector, vector, rtol=1e-6, atol=1e-6 * float(np.linalg.norm(vector)))
        assert record.document == document
        assert record.metadata == metadata
        assert {k: type(v) for k, v in record.metadata.items()} == {k: type(v) for k, v in metadata.items()}
        for key, value in metadata.items():
            if isinstance(value, list):
                assert [type(x) for x in record.metadata[key]] == [type(x) for x in value]


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


needs_qdrant = pytest.mark.skipif(not has("vectorstore_qdrant"), reason="the qdrant adapter is not installed")
needs_chroma = pytest.mark.skipif(not has("vectorstore_chroma"), reason="the chroma adapter is not installed")


@pytest.fixture
def memory() -> vectorstore.VectorStore:
    with vectorstore.open("memory://") as store:
        yield store
