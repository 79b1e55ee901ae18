"""``optimize`` on the embedded engine: it vacuums and indexes, and results stay what the reference says."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import vectorstore
from vectorstore import scores


def test_optimize_keeps_exact_results(tmp_path: Path) -> None:
    generator = np.random.default_rng(5)
    vectors = generator.standard_normal((3000, 16)).astype(np.float32)
    queries = generator.standard_normal((20, 16)).astype(np.float32)
    ids = [f"p{i}" for i in range(len(vectors))]
    url = f"qdrant://{tmp_path}/q"
    with vectorstore.open(url) as store:
        store.create_collection("opt", 16, "l2")
        store.upsert("opt", ids, vectors, metadatas=[{"odd": i % 2} for i in range(len(ids))])
        store.delete("opt", where={"odd": 1})
        assert isinstance(store.adapter.optimize("opt"), bool)  # type: ignore[attr-defined]
        assert store.count("opt") == 1500
    kept = np.arange(0, len(ids), 2)
    truth = scores.top_k(scores.exact("l2", queries, vectors[kept]), 10)
    with vectorstore.open(url) as store:  # optimised segments survive a reopen
        found = store.query("opt", queries, k=10)
    assert [[m.id for m in row] for row in found] == [[ids[kept[i]] for i in row] for row in truth]
