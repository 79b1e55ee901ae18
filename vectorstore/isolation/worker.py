"""The worker process: builds the real adapter and runs the host's requests, several at a time.

It runs only the operations of :data:`vectorstore.operations.OPERATIONS` and its adapter's ``extensions``
(announced to the host in :class:`~.protocol.Hello`), and streams scans as :mod:`.scans` describes. It is started
by a forkserver that has imported nothing but the backend, or with ``spawn`` (never forked from a host: Chroma's
Rust runtime hangs in a child forked after a client was opened; see :mod:`.starting`), and owns the backend for its
whole life. Reads run concurrently on ``IsolationPolicy.worker_threads`` threads (default 8; one for an adapter
that does not declare itself thread-safe); writes and other changes run in the order they arrived, per collection
(:class:`_Server`). Before anything else it arms ``faulthandler`` on a file the host chose, so a native crash
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
from collections import deque
from multiprocessing.connection import Connection

from pydantic import BaseModel

from ..adapter import Adapter
from ..errors import BackendError
from ..operations import Op, collection_of, operations_of
from ..registry import AdapterSpec
from .protocol import STOP, Failure, Hello, Reply, Request, encode_result
from .scans import SCAN_NEXT, WorkerScans
from .starting import Surroundings
from .tether import follow_forkserver
from .transfer import Channel, Readiness

#: Set only by tests (see :mod:`.faults`, which is not imported otherwise): the worker then injects faults on request.
FAULTS_VARIABLE = "VECTORSTORE_ISOLATION_FAULTS"
#: How long an idle worker polls the pipe before it sleeps in ``poll``: a request that follows a reply within this
#: time is read without a wake-up.
_SPIN_S = 100e-6


def run(
    conn: Connection,
    spec: AdapterSpec,
    config: BaseModel,
    log_path: str,
    orphan_grace_s: float,
    surroundings: Surroundings,
    threads: int,
) -> None:
    """The process target (module level, so it pickles by name); ``threads`` serve requests
    (:attr:`~.policy.IsolationPolicy.worker_threads`)."""
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
        _serve(channel, adapter, operations, threads)
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


def _serve(channel: Channel, adapter: Adapter, operations: dict[str, Op], threads: int) -> None:
    scans = WorkerScans()
    server = _Server(channel, adapter, operations, scans)
    try:
        stop_requested = server.serve(threads if adapter.capabilities.thread_safe else 1)
    finally:
        scans.close_all()
    try:
        adapter.close()
        reply = Reply(True, None)
    except Exception as exc:
        reply = Reply(False, Failure.capture(exc))
    if stop_requested:  # the host waits for this reply: the backend is closed (flushed) before the process ends
        channel.send((server.stop_id, reply))


class _Server:
    """Serves requests from several threads, leader/follower: one thread at a time reads the pipe; having read a
    request it hands the reading to the next thread and runs the request itself, so a request waits for no
    hand-off and several run at once. A request that is not a plain read (``_ordered``) is queued behind the
    earlier ones of its collection, in the order they arrived, and run by whichever thread holds that queue; reads
    overlap everything, as they do in one process."""

    def __init__(self, channel: Channel, adapter: Adapter, operations: dict[str, Op], scans: WorkerScans) -> None:
        self.channel = channel
        self.readiness = Readiness(channel.conn)
        self.operations = operations
        self.scans = scans
        self.calls = {name: getattr(adapter, name) for name, op in operations.items() if not op.streaming}
        self.streams = {name: getattr(adapter, name) for name, op in operations.items() if op.streaming}
        self._read_lock = threading.Lock()
        self._state = threading.Lock()
        #: Per collection (None for calls without one): the ordered requests waiting behind the running one.
        self._queues: dict[str | None, deque[tuple[int, Request]]] = {}
        self._running = 0
        self._stopping = False
        self.stop_requested = False
        self.stop_id = 0

    def serve(self, threads: int) -> bool:
        """Serve until the host asks to stop (True) or the pipe ends (False), once every running call is done."""
        pool = [threading.Thread(target=self._follow, name=f"vectorstore-serve-{n}", daemon=True) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return self.stop_requested

    def _follow(self) -> None:
        while True:
            with self._read_lock:
                if self._stopping:
                    return
                taken = self._take()
            if taken is None:
                return
            request_id, request, key = taken
            self._run(request_id, request)
            if key is not None:
                self._drain(key[0])

    def _take(self) -> tuple[int, Request, tuple[str | None] | None] | None:
        """The next request this thread runs (under the read lock); queued ordered requests are skipped over."""
        while True:
            with self._state:
                idle = self._running == 0
            if not self.readiness.wait(None, _SPIN_S if idle else 0.0)[0]:
                continue
            try:
                request_id, request = self.channel.recv()
            except (EOFError, OSError):
                self._stopping = True
                return None
            for scan_id in request.forget:
                self.scans.forget(scan_id)
            if request.op == STOP:
                self._stopping, self.stop_requested, self.stop_id = True, True, request_id
                return None
            key = self._ordered(request)
            with self._state:
                if key is not None:
                    if key[0] in self._queues:  # an earlier ordered call of this collection is running
                        self._queues[key[0]].append((request_id, request))
                        continue
                    self._queues[key[0]] = deque()
                self._running += 1
            return request_id, request, key

    def _ordered(self, request: Request) -> tuple[str | None] | None:
        """``(collection,)`` for a request that must wait for the earlier ordered ones of its collection, else None."""
        op = self.operations.get(request.op)
        if op is None or not op.ordered:  # a read (or unknown: it fails at once)
            return None
        return (collection_of(op, request.args),)

    def _drain(self, collection: str | None) -> None:
        """Run the ordered requests that queued up behind this thread's, then release the collection."""
        while True:
            with self._state:
                queue = self._queues[collection]
                if not queue:
                    del self._queues[collection]
                    return
                taken = queue.popleft()
                self._running += 1
            self._run(*taken)

    def _run(self, request_id: int, request: Request) -> None:
        op = request.op
        try:
            if request.fault is not None:  # test-only: only a FaultingAdapter (see .faults) has this operation
                self.calls["_arm_fault"](request.fault)
            if op in self.calls:
                result = encode_result(op, self.calls[op](*request.args))
            elif op == SCAN_NEXT:
                result = self.scans.next(request.args[0])
            elif op in self.streams:
                scan_id, *args = request.args
                result = self.scans.open(scan_id, self.streams[op](*args))
            else:
                raise ValueError(f"unknown isolation request {op!r}")
            reply = Reply(True, result)
        except Exception as exc:
            reply = Reply(False, Failure.capture(exc))
        try:
            _send(self.channel, request_id, reply, op)
        finally:
            with self._state:
                self._running -= 1


def _send(channel: Channel, request_id: int, reply: Reply, op: str) -> None:
    try:
        channel.send((request_id, reply))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:  # raised while pickling, before any byte left
        failure = Failure.capture(BackendError(f"the result of {op} cannot be sent to the host: {exc}"))
        channel.send((request_id, Reply(False, failure)))
    except OSError:  # the host is gone; the reading thread sees end-of-file and the worker stops
        pass
