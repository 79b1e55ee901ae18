"""A worker never outlives its host (:mod:`vectorstore.isolation.tether`): SIGKILL a real host process while its
isolated Chroma worker hangs in native code holding the GIL (the worker's own watchdog thread cannot run), and a new
host opens the same path within a bounded wait; the hung worker is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import vectorstore
from vectorstore.errors import StoreLocked
from vectorstore.isolation.faults import ENVIRONMENT_VARIABLE
from vectorstore.isolation.starting import ENVIRONMENT_VARIABLE as START_VARIABLE
from vectorstore.isolation.tether import BACKSTOP_S

from .helpers import process_gone, wait_until_gone

HOST = Path(__file__).with_name("hung_host.py")
#: Generous bounds on conditions (never asserted as durations): the worker reaching its hang, the path released.
HANG_BOUND_S = 120.0
RELEASE_BOUND_S = BACKSTOP_S + 30.0

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"),
    pytest.mark.skipif(os.environ.get(START_VARIABLE) == "spawn", reason="spawned workers keep only the watchdog"),
]


def _ignores_sigterm(pid: int) -> bool:
    """The native hang ignores SIGTERM just before it deadlocks: the worker is in it once its mask says so."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    ignored = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(ignored & (1 << (signal.SIGTERM - 1)))


def _await(condition: object, bound_s: float) -> bool:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        threading.Event().wait(0.05)
    return bool(condition())  # type: ignore[operator]


def _open_when_released(url: str) -> vectorstore.VectorStore:
    deadline = time.monotonic() + RELEASE_BOUND_S
    while True:
        try:
            return vectorstore.open(url)
        except StoreLocked:
            if time.monotonic() > deadline:
                raise
            threading.Event().wait(0.1)


def test_sigkilled_host_takes_its_natively_hung_worker_along(tmp_path: Path) -> None:
    path = tmp_path / "store"
    env = {**os.environ, ENVIRONMENT_VARIABLE: "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    host = subprocess.Popen([sys.executable, str(HOST), str(path)], stdout=subprocess.PIPE, text=True, env=env)
    assert host.stdout is not None
    try:
        line = host.stdout.readline().split()
        assert line[:1] == ["pid"], line
        worker = int(line[1])
        assert _await(lambda: _ignores_sigterm(worker), HANG_BOUND_S), "the worker never reached its native hang"
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait(timeout=60)
    with _open_when_released(f"chroma://{path}") as store:
        assert store.list_collections()[0].name == "docs"
    assert wait_until_gone(worker, RELEASE_BOUND_S), f"the hung worker {worker} outlived its host"
    assert process_gone(worker)
