"""What an async store awaits: an engine runs one adapter operation (named as in the operation table) for a task.

:class:`ExecutorEngine` is the engine of every in-process backend: it runs the sync adapter's call on a small bounded
thread pool owned by the store (one thread for an adapter that is not ``thread_safe``, so calls never overlap;
:data:`DEFAULT_THREADS` otherwise), so the event loop never blocks however many tasks wait. For the in-process
engines (memory, Qdrant Edge, qdrant-client local) that is the design: their work is CPU in native code, which a
thread runs without holding the loop.

:class:`IsolatedEngine` is the engine of an isolated store: each call is submitted to the worker's supervisor
(:meth:`~vectorstore.isolation.supervisor.Supervisor.submit`, sent at once from the loop thread) and its future
awaited (``asyncio.wrap_future``); the worker's reader thread resolves it. No thread blocks per call in flight.
Its pool is used only to close the store.

Both merge the single queries of concurrent tasks that agree on all but their vectors into one ``query`` call
(:mod:`.coalescing`), one call of a kind per pool thread or worker thread at a time.

Cancelling a task that awaits an engine call never leaves anything out of step: the pool thread finishes the call
(an isolated store's request is not cancelled either: its reply is read and dropped) and the result is dropped. A
cancelled scan closes its iterator, which tells an isolated worker to forget it.

:class:`AwaitingAdapter` is the sync face of an engine: an :class:`~vectorstore.adapter.Adapter` whose every
operation (made by :func:`~vectorstore.operations.forwarding` from the table) awaits the engine through
:func:`.bridge.await_`, so a :class:`~vectorstore.VectorStore` over it runs inside :func:`.bridge.run_sync`.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ..adapter import Adapter
from ..errors import StoreClosed
from ..isolation import IsolatedAdapter
from ..operations import OPERATIONS, Op, collection_of, forwarding
from ..store import VectorStore
from .bridge import await_, bridged
from .coalescing import QueryCoalescer

#: Pool threads of a store whose adapter is thread-safe: enough to keep an isolated worker's pipe or a native
#: engine's threads busy, few enough that 200 waiting tasks do not become 200 threads.
DEFAULT_THREADS = 8
#: Rows of one merged query call at most (fewer if the adapter's ``max_batch`` is smaller; see :mod:`.coalescing`):
#: enough to spread a call's fixed cost thin, few enough that the tasks it completes at once leave the loop
#: free again soon (200 completions at once held a 1 ms probe back).
MAX_MERGED_ROWS = 16

_T = TypeVar("_T")
_END: Any = object()


class ExecutorEngine:
    """The sync store ``inner``'s adapter, each call run on a bounded pool; closing closes ``inner`` if ``owns``."""

    def __init__(self, inner: VectorStore, threads: int | None = None, *, owns: bool = True) -> None:
        self.inner = inner
        self.adapter = inner.adapter
        self.owns = owns
        self.closed = False
        size = threads or (DEFAULT_THREADS if inner.capabilities.thread_safe else 1)
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"vectorstore-aio-{self.adapter.name}")
        rows = min(inner.capabilities.max_batch or MAX_MERGED_ROWS, MAX_MERGED_ROWS)
        self.queries = QueryCoalescer(self._query, lanes=self.lanes(size), max_rows=rows)

    def lanes(self, threads: int) -> int:
        """How many calls of one kind run at once (see :mod:`.coalescing`): one per pool thread."""
        return threads

    async def run(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` on the pool, in the caller's context (so ``vectorstore.isolation.timeout`` set in a
        task applies to its calls); a cancelled caller leaves it to finish there."""
        if self.closed:
            raise StoreClosed(f"this async {self.adapter.name} store is closed; open a new one")
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.pool, context.run, function, *args)

    async def call(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        if name == "query":
            return await self.queries.query(args)
        return await self.forward(name, op, args)

    async def forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        """One adapter call, unmerged."""
        return await self.run(getattr(self.adapter, name), *args)

    async def _query(self, args: tuple[Any, ...]) -> Any:
        return await self.forward("query", OPERATIONS["query"], args)

    async def stream(self, name: str, op: Op, args: tuple[Any, ...]) -> AsyncIterator[Any]:
        iterator: Iterator[Any] = await self.run(lambda: iter(getattr(self.adapter, name)(*args)))
        try:
            while (item := await self.run(next, iterator, _END)) is not _END:
                yield item
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                await asyncio.shield(self.run(close))

    async def aclose(self) -> None:
        if self.closed:
            return
        try:
            if self.owns:
                await self.run(self.inner.close)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Refuse further calls and let the pool's threads end (calls running on them finish)."""
        self.closed = True
        self.pool.shutdown(wait=False)


#: Operations an isolated adapter answers in the host, not the worker: its stats are the supervisor's report.
HOST_SIDE = frozenset({"stats"})
#: Calls an async isolated store keeps in flight per worker thread (see :class:`IsolatedEngine`).
IN_FLIGHT_PER_THREAD = 2


class IsolatedEngine(ExecutorEngine):
    """The isolated store ``inner``'s calls, submitted to its supervisor and awaited without a thread."""

    def __init__(self, inner: VectorStore, adapter: IsolatedAdapter, threads: int | None, *, owns: bool) -> None:
        self.supervisor = adapter._supervisor
        super().__init__(inner, threads, owns=owns)
        #: Calls in flight at once: twice what the worker serves at a time keeps it busy, and the replies then come
        #: back a few at a time, so the loop runs their continuations between other tasks instead of in one long
        #: burst (200 replies resolved at once held a 1 ms probe for 100 ms). The other tasks wait here, threadless.
        self.in_flight = asyncio.Semaphore(IN_FLIGHT_PER_THREAD * self.supervisor.policy.worker_threads)

    def lanes(self, threads: int) -> int:
        return self.supervisor.policy.worker_threads

    async def forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        if name in HOST_SIDE:
            return await super().forward(name, op, args)
        if self.closed:
            raise StoreClosed(f"this async {self.adapter.name} store is closed; open a new one")
        async with self.in_flight:
            return await asyncio.wrap_future(self.supervisor.submit(name, op, args))

    def stream(self, name: str, op: Op, args: tuple[Any, ...]) -> AsyncIterator[Any]:
        supervisor = self.supervisor
        return supervisor.scans.astream(supervisor.submit_exchange, name, op, args, collection_of(op, args))


def engine_for(inner: VectorStore, threads: int | None, *, owns: bool) -> ExecutorEngine:
    """The isolated engine for an isolated store, the pool for everything else."""
    if isinstance(inner.adapter, IsolatedAdapter):
        return IsolatedEngine(inner, inner.adapter, threads, owns=owns)
    return ExecutorEngine(inner, threads, owns=owns)


@forwarding
class AwaitingAdapter(Adapter):
    """An adapter whose operations await ``engine``; only usable inside :func:`.bridge.run_sync`."""

    def __init__(self, engine: ExecutorEngine) -> None:
        self.engine = engine
        self.capabilities = engine.adapter.capabilities

    @property  # type: ignore[misc]  # the base declares a class attribute; this face answers for its adapter
    def name(self) -> str:  # type: ignore[override]
        return self.engine.adapter.name

    def _forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        if op.streaming:
            return _awaiting_iterator(self.engine.stream(name, op, args))
        return await_(self.engine.call(name, op, args))

    def close(self) -> None:
        await_(self.engine.aclose())


def _awaiting_iterator(stream: AsyncIterator[Any]) -> Iterator[Any]:
    """A sync iterator over an engine's stream, each step awaited; closing it closes the stream."""
    try:
        while (item := await_(anext(stream, _END))) is not _END:
            yield item
    finally:
        if bridged():  # else the generator was collected: the loop's async-generator hook closes the stream
            await_(stream.aclose())  # type: ignore[attr-defined]  # an async generator
