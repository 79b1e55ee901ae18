"""The async twin of the suite: the same cases, run through :class:`vectorstore.aio.AsyncVectorStore`.

The suite's tests are written against the sync store. Rather than a second copy of them, the twin hands the very
same tests a :class:`BlockingStore`: a sync-looking facade whose every method submits the async store's coroutine
to an event loop running on a thread of its own (:class:`LoopThread`) and waits for its result, and whose scans
drive ``async for`` over the async scan one step at a time. So every assertion of a case checks what the async
store returned, raised or stored, and the cases cannot drift apart. The facade's methods are generated from
:data:`vectorstore.aio.store.COROUTINES` and :data:`~vectorstore.aio.store.STREAMS`, the tables the async store
itself is generated from.

When several test threads share the facade (the concurrency group), their calls become concurrent tasks on the one
loop: the twin's concurrency case runs 50 of them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from vectorstore import aio
from vectorstore.aio.store import COROUTINES, STREAMS, AsyncScan
from vectorstore.models import Capabilities
from vectorstore.store import Collection, VectorStore

from .fixtures import StoreSession

_T = TypeVar("_T")


class LoopThread:
    """An event loop running on a daemon thread until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="vectorstore-conformance-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` as a task of the loop and wait for its result (or exception)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class BlockingStore:
    """A :class:`~vectorstore.aio.AsyncVectorStore` behind the sync store's interface, for the suite's cases."""

    def __init__(self, store: aio.AsyncVectorStore, loop: LoopThread) -> None:
        self.async_store, self.loop = store, loop

    @property
    def capabilities(self) -> Capabilities:
        return self.async_store.capabilities

    @property
    def adapter(self) -> Any:
        return self.async_store.adapter

    @property
    def url(self) -> str | None:
        return self.async_store.url

    def collection(self, name: str) -> Collection:
        return Collection(self, name)  # type: ignore[arg-type]  # duck-typed: Collection only calls the methods

    def close(self) -> None:
        self.loop.run(self.async_store.close())

    def _iterate(self, scan: AsyncScan[Any]) -> Iterator[Any]:
        """One ``async for`` step per ``next()``; closing the iterator closes the scan."""
        try:
            while (item := self.loop.run(_step(scan))) is not _END:
                yield item
        finally:
            self.loop.run(scan.aclose())


_END: Any = object()


async def _begin(scan: AsyncScan[Any]) -> None:
    await scan


async def _step(scan: AsyncScan[Any]) -> Any:
    return await anext(scan, _END)


def _blocking(name: str) -> Callable[..., Any]:
    def method(self: BlockingStore, *args: Any, **kwargs: Any) -> Any:
        return self.loop.run(getattr(self.async_store, name)(*args, **kwargs))

    method.__name__ = method.__qualname__ = name
    return method


def _blocking_stream(name: str) -> Callable[..., Any]:
    def method(self: BlockingStore, *args: Any, **kwargs: Any) -> Iterator[Any]:
        scan = getattr(self.async_store, name)(*args, **kwargs)
        self.loop.run(_begin(scan))  # checked at the call, as the sync store's scans are
        return self._iterate(scan)

    method.__name__ = method.__qualname__ = name
    return method


for _name in COROUTINES:
    setattr(BlockingStore, _name, _blocking(_name))
for _name in STREAMS:
    setattr(BlockingStore, _name, _blocking_stream(_name))


class AsyncStoreSession(StoreSession):
    """A test's store session whose store is the async store, behind :class:`BlockingStore`."""

    def __init__(self, url: str) -> None:
        self.loop = LoopThread()
        try:
            super().__init__(url)
        except BaseException:
            self.loop.stop()
            raise

    def open(self) -> VectorStore:
        return BlockingStore(self.loop.run(aio.open(self.url)), self.loop)  # type: ignore[return-value]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.loop.stop()
