"""Qdrant's own operation, ``optimize``, through an isolated store: declared in ``QdrantAdapter.extensions``, run in
the worker, and retried after a crash like any idempotent call (the operation table decides, not the proxy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore import scores
from vectorstore.isolation import IsolatedAdapter
from vectorstore.isolation.faults import ENVIRONMENT_VARIABLE


def test_optimize_runs_in_the_worker_of_an_isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")  # the worker inherits it: fault injection on
    generator = np.random.default_rng(11)
    vectors = generator.standard_normal((400, 8)).astype(np.float32)
    queries = generator.standard_normal((5, 8)).astype(np.float32)
    ids = [f"p{i}" for i in range(len(vectors))]
    with vectorstore.open(f"qdrant://{tmp_path}/q?isolation=process") as store:
        adapter = store.adapter
        assert isinstance(adapter, IsolatedAdapter)
        store.create_collection("opt", 8, "l2")
        store.upsert("opt", ids, vectors)
        pid = store.stats()["worker"]["pid"]
        adapter._inject_fault("segv", "optimize")  # the first attempt crashes its worker; the retry succeeds
        assert isinstance(adapter.optimize("opt"), bool)
        report = store.stats()
        assert report["calls_by_op"]["optimize"] == 1 and report["restarts"] == 1
        assert report["worker"]["pid"] != pid
        found = store.query("opt", queries, k=5)
    truth = scores.top_k(scores.exact("l2", queries, vectors), 5)
    assert [[m.id for m in row] for row in found] == [[ids[i] for i in row] for row in truth]


def test_an_operation_the_worker_adapter_lacks_is_an_attribute_error(tmp_path: Path) -> None:
    with (
        vectorstore.open(f"qdrant://{tmp_path}/q?isolation=process") as store,
        pytest.raises(AttributeError, match="'IsolatedAdapter' object has no attribute 'vacuum'"),
    ):
        store.adapter.vacuum("opt")  # type: ignore[attr-defined]
