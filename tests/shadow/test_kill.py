"""SIGKILL of the host mid-stream: no journaled write is lost, and replaying twice changes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vectorstore import VectorStore
from vectorstore.errors import StoreLocked

from .conftest import DRAIN_S, Pair, contents, python
from .writer import expected

WRITER = Path(__file__).with_name("writer.py")


def _open_when_released(pair: Pair) -> VectorStore:
    """Open the shadowed store once the orphaned worker has released the primary's path (bounded)."""
    deadline = time.monotonic() + DRAIN_S
    while True:
        try:
            return pair.open()
        except StoreLocked:
            if time.monotonic() > deadline:
                raise
            threading.Event().wait(0.1)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_stream_loses_no_acknowledged_write(pair: Pair) -> None:
    config = pair.config()
    child = subprocess.Popen([python(), str(WRITER), json.dumps(config)], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        acknowledged = -1
        while acknowledged < 60:  # the kill lands wherever the stream is: mid-write, mid-replay
            acknowledged = int(child.stdout.readline())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    store = _open_when_released(pair)  # the killed host's Chroma worker exits on its own once it sees the kill
    with store:  # recovery: the newest entry is re-applied to the primary, the journal replays
        assert store.wait_caught_up(DRAIN_S)
    primary, shadow = contents(pair.primary, "docs"), contents(pair.shadow, "docs")
    # Every acknowledged write is there; the one in flight at the kill may be there too, whole, on both sides.
    candidates = [expected(acknowledged + 1), expected(acknowledged + 2)]
    matching = [state for state in candidates
                if sorted(state) == sorted(primary) and all(primary[i][1:] == (d, m) for i, (_, d, m) in state.items())]
    assert matching, "the primary holds neither the acknowledged writes nor those plus the one in flight"
    state = matching[0]
    for side in (primary, shadow):
        assert sorted(side) == sorted(state)
        for record_id, (vector, document, metadata) in state.items():
            np.testing.assert_allclose(side[record_id][0], vector, atol=1e-5 * max(1.0, float(np.linalg.norm(vector))))
            assert side[record_id][1:] == (document, metadata), record_id
