"""The worker process: builds the real adapter and runs the host's requests one at a time.

It runs only the operations of :data:`vectorstore.operations.OPERATIONS` and its adapter's ``extensions``
(announced to the host in :class:`~.protocol.Hello`), and streams scans as :mod:`.scans` describes. It is started
by a forkserver that has imported nothing but the backend, or with ``spawn`` (never forked from a host: Chroma's
Rust runtime hangs in a child forked after a client was opened; see :mod:`.starting`), and owns the backend for its
whole life. Before anything else it arms ``faulthandler`` on a file the host chose, so a native crash
leaves the Python stack behind for the host's :class:`~vectorstore.errors.WorkerCrashed` message, and SIGUSR1
dumps the stack of a hung call before the host kills it.

It exits when the host asks, when the pipe reaches end-of-file (the host closed it or died), or, if a call is still
running when the host dies, once ``orphan_grace_s`` has passed: no orphan outlives its host for long. On Linux the
kernel kills it soon after, even hung in native code with the GIL held (:mod:`.tether`).
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import pickle
import signal
import threading
from multiprocessing.connection import Connection

from pydantic import BaseModel

from ..adapter import Adapter
from ..errors import BackendError
from ..operations import Op, operations_of
from ..registry import AdapterSpec
from .protocol import STOP, Failure, Hello, Reply, Request
from .scans import SCAN_NEXT, WorkerScans
from .starting import Surroundings
from .tether import follow_forkserver
from .transfer import Channel

#: Set only by tests (see :mod:`.faults`, which is not imported otherwise): the worker then injects faults on request.
FAULTS_VARIABLE = "VECTORSTORE_ISOLATION_FAULTS"


def run(
    conn: Connection,
    spec: AdapterSpec,
    config: BaseModel,
    log_path: str,
    orphan_grace_s: float,
    surroundings: Surroundings,
) -> None:
    """The process target (module level, so it pickles by name)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        follow_forkserver(parent.pid)  # first: from here on the kernel ends this process with its host (Linux)
    surroundings.adopt()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the host decides
    _arm_faulthandler(log_path)
    done = threading.Event()
    _exit_with_parent(done, orphan_grace_s)
    channel = Channel(conn)
    try:
        adapter = _adapter(spec, config)
        operations = operations_of(adapter)  # the process ends at once if this raises, releasing the backend
    except Exception as exc:
        channel.send(Reply(False, Failure.capture(exc)))
        return
    try:
        channel.send(Hello(os.getpid(), adapter.capabilities, dict(adapter.extensions)))
        _serve(channel, adapter, operations)
    finally:
        done.set()


def _adapter(spec: AdapterSpec, config: BaseModel) -> Adapter:
    adapter: Adapter = spec.load_adapter()(config)
    if os.environ.get(FAULTS_VARIABLE) == "1":  # test-only; see .faults
        from .faults import FaultingAdapter

        return FaultingAdapter(adapter)
    return adapter


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


def _serve(channel: Channel, adapter: Adapter, operations: dict[str, Op]) -> None:
    scans = WorkerScans()
    try:
        stop_requested = _loop(channel, adapter, operations, scans)
    finally:
        scans.close_all()
    try:
        adapter.close()
        reply = Reply(True, None)
    except Exception as exc:
        reply = Reply(False, Failure.capture(exc))
    if stop_requested:  # the host waits for this reply: the backend is closed (flushed) before the process ends
        channel.send(reply)


def _loop(channel: Channel, adapter: Adapter, operations: dict[str, Op], scans: WorkerScans) -> bool:
    """Answer requests until the host asks to stop (True) or the pipe ends (False)."""
    calls = {name: getattr(adapter, name) for name, op in operations.items() if not op.streaming}
    streams = {name: getattr(adapter, name) for name, op in operations.items() if op.streaming}
    while True:
        try:
            request: Request = channel.recv()
        except (EOFError, OSError):
            return False
        for scan_id in request.forget:
            scans.forget(scan_id)
        op = request.op
        if op == STOP:
            return True
        try:
            if op in calls:
                result = calls[op](*request.args)
            elif op == SCAN_NEXT:
                result = scans.next(request.args[0])
            elif op in streams:
                scan_id, *args = request.args
                result = scans.open(scan_id, streams[op](*args))
            else:
                raise ValueError(f"unknown isolation request {op!r}")
            reply = Reply(True, result)
        except Exception as exc:
            reply = Reply(False, Failure.capture(exc))
        _send(channel, reply, op)


def _send(channel: Channel, reply: Reply, op: str) -> None:
    try:
        channel.send(reply)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # raised while pickling, before any byte left
        failure = Failure.capture(BackendError(f"the result of {op} cannot be sent to the host: {exc}"))
        channel.send(Reply(False, failure))
