"""The worker process: builds the real adapter and runs the host's requests one at a time.

It is started by a forkserver that has imported nothing but the backend, or with ``spawn`` (never forked from a
host: Chroma's Rust runtime hangs in a child forked after a client was opened; see :mod:`.starting`), and owns the
backend for its whole life. Before anything else it arms ``faulthandler`` on a file the host chose, so a native crash
leaves the Python stack behind for the host's :class:`~vectorstore.errors.WorkerCrashed` message, and SIGUSR1
dumps the stack of a hung call before the host kills it.

It exits when the host asks, when the pipe reaches end-of-file (the host closed it or died), or, if a call is still
running when the host dies, once ``orphan_grace_s`` has passed: no orphan outlives its host for long.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..adapter import Adapter
from ..errors import BackendError
from ..models import Record
from ..registry import AdapterSpec
from .protocol import CALLS, SCAN, SCAN_NEXT, STOP, Failure, Hello, Reply, Request
from .starting import Surroundings
from .transfer import Channel

if TYPE_CHECKING:
    from .faults import Fault, Moment


def run(
    conn: Connection,
    spec: AdapterSpec,
    config: BaseModel,
    log_path: str,
    orphan_grace_s: float,
    surroundings: Surroundings,
) -> None:
    """The process target (module level, so it pickles by name)."""
    surroundings.adopt()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the host decides
    _arm_faulthandler(log_path)
    done = threading.Event()
    _exit_with_parent(done, orphan_grace_s)
    channel = Channel(conn)
    try:
        adapter: Adapter = spec.load_adapter()(config)
    except Exception as exc:
        channel.send(Reply(False, Failure.capture(exc)))
        return
    try:
        channel.send(Hello(os.getpid(), adapter.capabilities))
        _serve(channel, adapter)
    finally:
        done.set()


def _arm_faulthandler(path: str) -> None:
    """faulthandler keeps the file open for the life of the process; the host reads it after the process ends."""
    log = open(path, "a", encoding="utf-8")  # noqa: SIM115
    faulthandler.enable(log, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, log, all_threads=True)


def _exit_with_parent(done: threading.Event, grace_s: float) -> None:
    """When the host dies during a call, let the call finish for ``grace_s`` seconds, then exit.

    An idle worker needs no help: its pending ``recv`` sees end-of-file and it shuts down cleanly.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        if not done.wait(grace_s):
            os._exit(70)

    threading.Thread(target=watch, name="vectorstore-parent-watch", daemon=True).start()


def _serve(channel: Channel, adapter: Adapter) -> None:
    scans: dict[int, Iterator[list[Record]]] = {}
    try:
        stop_requested = _loop(channel, adapter, scans)
    finally:
        for scan_id in list(scans):
            _forget(scans, scan_id)
    try:
        adapter.close()
        reply = Reply(True, None)
    except Exception as exc:
        reply = Reply(False, Failure.capture(exc))
    if stop_requested:  # the host waits for this reply: the backend is closed (flushed) before the process ends
        channel.send(reply)


def _loop(channel: Channel, adapter: Adapter, scans: dict[int, Iterator[list[Record]]]) -> bool:
    """Answer requests until the host asks to stop (True) or the pipe ends (False)."""
    while True:
        try:
            request: Request = channel.recv()
        except (EOFError, OSError):
            return False
        for scan_id in request.forget:
            _forget(scans, scan_id)
        if request.op == STOP:
            return True
        try:
            reply = Reply(True, _dispatch(adapter, scans, request))
        except Exception as exc:
            reply = Reply(False, Failure.capture(exc))
        _send(channel, reply, request.op)


def _dispatch(adapter: Adapter, scans: dict[int, Iterator[list[Record]]], request: Request) -> Any:
    _trigger(request.fault, "before")
    if request.op in CALLS:
        result = getattr(adapter, request.op)(*request.args)
    elif request.op == SCAN:
        scan_id, name, where, batch_size, include = request.args
        scans[scan_id] = iter(adapter.scan(name, where, batch_size, include))
        result = _next_batch(scans, scan_id)
    elif request.op == SCAN_NEXT:
        result = _next_batch(scans, request.args[0])
    else:
        raise ValueError(f"unknown isolation request {request.op!r}")
    _trigger(request.fault, "after")
    return result


def _trigger(fault: Fault | None, moment: Moment) -> None:
    if fault is not None:
        from .faults import trigger  # test-only module, never imported in normal use

        trigger(fault, moment)


def _next_batch(scans: dict[int, Iterator[list[Record]]], scan_id: int) -> list[Record] | None:
    """The next batch of a scan, or None once it is exhausted (the iterator is then dropped)."""
    try:
        return next(scans[scan_id])
    except StopIteration:
        del scans[scan_id]
        return None
    except BaseException:
        _forget(scans, scan_id)
        raise


def _forget(scans: dict[int, Iterator[list[Record]]], scan_id: int) -> None:
    iterator = scans.pop(scan_id, None)
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def _send(channel: Channel, reply: Reply, op: str) -> None:
    try:
        channel.send(reply)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # raised while pickling, before any byte left
        failure = Failure.capture(BackendError(f"the result of {op} cannot be sent to the host: {exc}"))
        channel.send(Reply(False, failure))
