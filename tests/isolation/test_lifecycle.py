"""The worker never outlives its store: close(), a with block, garbage collection, interpreter exit, and a host
that was SIGKILLed (the worker notices its parent died and exits). Also: no use after close or after fork."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vectorstore.errors import BackendUnavailable, StoreClosed

from .conftest import EventRecorder, Opener
from .helpers import process_gone, wait_until_gone, worker_pid

HOST = Path(__file__).with_name("host_process.py")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork are POSIX")


def test_close_stops_the_worker_and_further_calls_are_refused(open_isolated: Opener, events: EventRecorder) -> None:
    store = open_isolated()
    pid = worker_pid(store)
    store.close()
    assert process_gone(pid)  # reaped by close() itself, not eventually
    assert [e.detail["reason"] for e in events.of("worker_stop")] == ["close"]
    assert events.of("worker_stop")[0].detail["exit"] == "exit code 0"  # it closed its backend and exited
    with pytest.raises(StoreClosed):
        store.adapter.list_collections()
    store.adapter.close()  # idempotent


def test_leaving_a_with_block_stops_the_worker(open_isolated: Opener) -> None:
    with open_isolated() as store:
        pid = worker_pid(store)
    assert process_gone(pid)


def test_garbage_collection_stops_the_worker(open_isolated: Opener, events: EventRecorder) -> None:
    from vectorstore.config import resolve
    from vectorstore.isolation import IsolatedAdapter

    adapter = IsolatedAdapter(resolve("memory://", isolation="process"))
    pid = adapter.stats()["worker"]["pid"]
    del adapter
    gc.collect()
    assert process_gone(pid)
    assert events.of("worker_stop")[0].detail["reason"].startswith("finalized")


def _host(mode: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "VECTORSTORE_ISOLATION_FAULTS": "1"}
    host = subprocess.Popen(
        [sys.executable, str(HOST), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert host.stdout is not None
    for line in host.stdout:
        if line.startswith("pid "):
            return host, int(line.split()[1])
    raise AssertionError(f"the host process printed no worker pid (exit code {host.wait()})")


def test_interpreter_exit_stops_the_worker() -> None:
    host, pid = _host("exit")
    output, _ = host.communicate(timeout=120)
    assert host.returncode == 0
    assert "event worker_stop finalized" in output  # our finalizer, not multiprocessing's last-resort terminate
    assert wait_until_gone(pid)


@posix_only
def test_an_idle_worker_exits_when_its_host_is_killed() -> None:
    host, pid = _host("idle")
    host.send_signal(signal.SIGKILL)
    host.wait(timeout=60)
    assert wait_until_gone(pid), f"worker {pid} outlived its SIGKILLed host"


@posix_only
def test_a_busy_worker_exits_when_its_host_is_killed() -> None:
    host, pid = _host("busy")
    assert host.stdout is not None and host.stdout.readline().strip() == "calling"
    time.sleep(0.5)  # let the request reach the worker, which then sleeps inside the call
    host.send_signal(signal.SIGKILL)
    host.wait(timeout=60)
    assert wait_until_gone(pid), f"worker {pid} outlived its SIGKILLed host"


@posix_only
def test_a_forked_child_cannot_use_the_parents_worker(open_isolated: Opener) -> None:
    store = open_isolated()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            store.list_collections()
        except BackendUnavailable as exc:
            os._exit(0 if "open the store again after fork" in str(exc) else 1)
        except BaseException:
            os._exit(2)
        os._exit(3)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.list_collections() == []  # the parent's worker is untouched
