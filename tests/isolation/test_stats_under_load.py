"""``stats()["adapter"]`` (the backend's own figures) is answered while other calls are in flight, as monitoring
under load needs: the worker serves the stats request beside them."""

from __future__ import annotations

import sys
import threading

import pytest

from vectorstore.errors import StoreClosed

from .conftest import FAST, Opener
from .helpers import inject, vectors
from .test_concurrency import BOUND_S, _wait_in_flight

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the injected hang uses POSIX signals")


def test_adapter_stats_are_reported_while_a_call_is_in_flight(open_isolated: Opener) -> None:
    store = open_isolated(policy=FAST.model_copy(update={"stop_timeout_s": 0.5}), timeout_s=BOUND_S)
    store.create_collection("docs", 8)
    store.upsert("docs", ["a", "b", "c"], vectors(3))
    idle = store.stats()["adapter"]
    assert isinstance(idle, dict)
    inject(store, "hang", "query")
    outcome: list[BaseException] = []

    def stuck() -> None:
        try:
            store.search("docs", vectors(1)[0], k=1)
        except BaseException as exc:  # noqa: BLE001 - the test checks what it was
            outcome.append(exc)

    thread = threading.Thread(target=stuck)
    thread.start()
    _wait_in_flight(store, 1)
    report = store.stats()
    assert report["adapter"] == idle  # the same figures, asked of the worker beside the hung query
    store.close()
    thread.join(timeout=BOUND_S)
    assert not thread.is_alive() and len(outcome) == 1 and isinstance(outcome[0], StoreClosed), outcome
