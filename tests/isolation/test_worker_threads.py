"""The worker's thread count is a store setting (``worker_threads``, an option like ``timeout_s``) that reaches the
worker: it serves requests on that many threads."""

from __future__ import annotations

import os
import sys
import time

import pytest

from vectorstore.config import resolve
from vectorstore.isolation import IsolatedAdapter, IsolationPolicy

from .conftest import FAST, Opener
from .helpers import isolated


def test_the_option_reaches_the_policy() -> None:
    adapter = IsolatedAdapter(resolve("memory://", isolation="process", worker_threads=3))
    try:
        assert adapter._supervisor.policy.worker_threads == 3
    finally:
        adapter.close()
    assert IsolationPolicy().worker_threads == 8


#: The worker's threads besides the serving ones: its main thread and the one watching the host.
OWN_THREADS = 2
#: Bound on waiting for the serving threads to start (they start one after another): only there so a missing
#: thread fails the test instead of blocking it.
LIMIT_S = 30.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts the worker's threads in /proc")
@pytest.mark.parametrize("count", [1, 5])
def test_the_worker_serves_on_that_many_threads(open_isolated: Opener, count: int) -> None:
    store = open_isolated(policy=FAST.model_copy(update={"worker_threads": count}))
    worker = isolated(store)._supervisor._worker
    assert worker is not None
    deadline = time.monotonic() + LIMIT_S
    while (threads := len(os.listdir(f"/proc/{worker.pid}/task"))) < count + OWN_THREADS:
        assert time.monotonic() < deadline, f"{threads} threads in the worker"
        time.sleep(0.01)
    store.create_collection("docs", 4)  # served, and no thread more than the setting
    assert len(os.listdir(f"/proc/{worker.pid}/task")) == count + OWN_THREADS
