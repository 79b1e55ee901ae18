""":class:`AsyncVectorStore`: every :class:`~vectorstore.VectorStore` method as a coroutine, generated from a table.

How the methods are made. The store keeps a sync :class:`~vectorstore.VectorStore` of its own (the *bridged*
store) over an :class:`~.engines.AwaitingAdapter`. Each name in :data:`COROUTINES` becomes a coroutine that runs
the bridged store's method of that name through :func:`.bridge.run_sync`: validation, filter parsing, capability
checks, chunking to ``max_batch``, request order and short-answer completion are the sync store's own code, run on
the loop thread, and only the adapter calls it makes are awaited (on the engine). So an async call raises the same
errors, at the same point, and returns the same results as the sync one, by construction. Each name in
:data:`STREAMS` (the scans) becomes a method returning an :class:`AsyncScan`. The generated methods are wrapped
(``functools.wraps``) around the sync ones, so ``help()`` and ``inspect.signature`` show the real signature and
docstring; :data:`SYNC_ONLY` lists the public methods that are deliberately not coroutines, and a test checks that
the three tables cover :class:`~vectorstore.VectorStore`'s public methods, so a method added there cannot be forgotten
here.

A store whose sync class is not :class:`~vectorstore.VectorStore` itself (a shadowed store of a live migration
journals in its own methods) is *pooled* instead: each method runs the sync store's method whole on the engine's
pool, so its extra behaviour is kept.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from ..adapter import Adapter
from ..models import Capabilities
from ..store import VectorStore
from ..validation import collection_name
from .bridge import run_sync
from .engines import AwaitingAdapter, engine_for

#: VectorStore methods that are coroutines here, with the same signature, validation, errors and results.
COROUTINES: tuple[str, ...] = (
    "create_collection",
    "get_collection",
    "list_collections",
    "delete_collection",
    "upsert",
    "get",
    "get_batch",
    "delete",
    "count",
    "query",
    "search",
    "native_ids",
    "create_index",
    "list_indexes",
    "stats",
)
#: VectorStore methods returning an iterator of batches; here they return an :class:`AsyncScan`.
STREAMS: tuple[str, ...] = ("scan", "scan_batches")
#: Public VectorStore members that stay as they are: no I/O (``collection`` and ``capabilities``) or replaced by
#: this class's own lifecycle (``close`` is a coroutine, ``async with`` replaces ``with``).
SYNC_ONLY: tuple[str, ...] = ("adapter", "capabilities", "collection", "close", "url")
#: The record methods a :class:`AsyncCollection` has, with the collection name filled in.
COLLECTION_METHODS: tuple[str, ...] = (
    "upsert", "get", "get_batch", "delete", "count", "query", "search", "scan", "scan_batches",
    "create_index", "list_indexes",
)

_T = TypeVar("_T")
_END: Any = object()
_Run = Callable[..., Awaitable[Any]]


class AsyncScan(Generic[_T]):
    """``async for batch in store.scan(...)``; or ``scan = await store.scan(...)`` to check the arguments first.

    The sync store checks a scan's arguments when it is called; here that call happens at the ``await``, or at the
    first step of ``async for``. Leaving the loop early (``break``, an exception, cancellation) closes the scan in
    the backend.
    """

    def __init__(self, run: _Run, start: Callable[[], Iterator[_T]]) -> None:
        self._run, self._start = run, start
        self._iterator: Iterator[_T] | None = None
        self._done = False

    def __await__(self) -> Any:
        return self._begin().__await__()

    async def _begin(self) -> AsyncScan[_T]:
        if self._iterator is None:
            self._iterator = await self._run(self._start)
        return self

    def __aiter__(self) -> AsyncScan[_T]:
        return self

    async def __anext__(self) -> _T:
        if self._done:
            raise StopAsyncIteration
        try:
            await self._begin()
            item = await self._run(next, self._iterator, _END)
        except BaseException:
            await self.aclose()
            raise
        if item is _END:
            self._done = True
            raise StopAsyncIteration
        return item  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop the scan (the backend forgets it); idempotent."""
        self._done = True
        iterator, self._iterator = self._iterator, None
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.shield(self._run(close))


class AsyncVectorStore:
    """A :class:`~vectorstore.VectorStore` for asyncio: its methods are coroutines, its scans async iterators.

    Build it with :func:`vectorstore.aio.open`, or over an open sync store with ``AsyncVectorStore(store)``
    (``owns=False`` leaves that store open when this one closes). Safe to share between tasks of one loop.
    """

    def __init__(
        self, inner: VectorStore, *, owns: bool = True, threads: int | None = None, native: Adapter | None = None
    ) -> None:
        """``native`` is an adapter whose calls await by themselves (:mod:`.qdrant`); without it, the adapter
        calls run on a pool (:mod:`.engines`)."""
        self.inner = inner
        self.url = inner.url
        self.engine = engine_for(inner, threads, owns=owns)
        self._sync: VectorStore
        self._run: _Run
        if type(inner) is VectorStore:
            adapter = AwaitingAdapter(self.engine)
            release = adapter.close if native is None else functools.partial(_release_native, native, adapter)
            self._sync = VectorStore(native or adapter, url=inner.url, shapes=inner._shapes, release=release)
            self._run = run_sync
        else:  # its class adds behaviour to the methods themselves (a shadowed store): run them whole
            self._sync = inner
            self._run = self.engine.run

    @property
    def capabilities(self) -> Capabilities:
        return self.inner.capabilities

    @property
    def adapter(self) -> Any:
        """The sync store's adapter (for its name and capabilities; its methods block)."""
        return self.inner.adapter

    def __repr__(self) -> str:
        return f"<AsyncVectorStore {self.inner.adapter.name} {self.url or ''}>".replace(" >", ">")

    def collection(self, name: str) -> AsyncCollection:
        """A handle that fills in the collection name for each call."""
        return AsyncCollection(self, collection_name(name))

    @property
    def bridged(self) -> VectorStore:
        """The sync store whose adapter calls this store awaits; sync code given to :meth:`run` uses it as its store."""
        return self._sync

    async def run(self, function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """Run sync code written against :attr:`bridged` the way this store runs its own methods (on the loop,
        awaiting each adapter call; or on the pool for a pooled store). How an integration derives its async
        methods from its sync ones (:mod:`vectorstore.integrations.langchain`)."""
        result: _T = await self._run(functools.partial(function, *args, **kwargs))
        return result

    async def close(self) -> None:
        """Close the store (and the sync store under it, when this one opened or owns it); idempotent."""
        if self._run is run_sync:
            await run_sync(self._sync.close)
        else:
            await self.engine.aclose()

    def detach(self) -> None:
        """Close a view that does not own its sync store (``owns=False``) without awaiting: its pool stops."""
        self.engine.shutdown()

    aclose = close

    async def __aenter__(self) -> AsyncVectorStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return await self.run(getattr(self._sync, name), *args, **kwargs)

    def _stream(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> AsyncScan[Any]:
        return AsyncScan(self._run, functools.partial(getattr(self._sync, name), *args, **kwargs))


def _release_native(native: Adapter, pooled: AwaitingAdapter) -> None:
    """Close a native adapter's client, then the sync store under it."""
    try:
        native.close()
    finally:
        pooled.close()


def _coroutine(name: str) -> Callable[..., Any]:
    @functools.wraps(getattr(VectorStore, name))
    async def method(self: AsyncVectorStore, *args: Any, **kwargs: Any) -> Any:
        return await self._call(name, args, kwargs)

    return method


def _streaming(name: str) -> Callable[..., Any]:
    @functools.wraps(getattr(VectorStore, name))
    def method(self: AsyncVectorStore, *args: Any, **kwargs: Any) -> AsyncScan[Any]:
        return self._stream(name, args, kwargs)

    return method


for _name in COROUTINES:
    setattr(AsyncVectorStore, _name, _coroutine(_name))
for _name in STREAMS:
    setattr(AsyncVectorStore, _name, _streaming(_name))


class AsyncCollection:
    """``store.collection("docs")``: the async store's record methods with the collection name filled in."""

    def __init__(self, store: AsyncVectorStore, name: str) -> None:
        self.store, self.name = store, name

    def __repr__(self) -> str:
        return f"<AsyncCollection {self.name!r} of {self.store!r}>"

    async def info(self) -> Any:
        return await self.store.get_collection(self.name)  # type: ignore[attr-defined]


def _named(name: str) -> Callable[..., Any]:
    def method(self: AsyncCollection, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.store, name)(self.name, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``store.{name}(name, ...)`` for this collection."
    return method


for _name in COLLECTION_METHODS:
    setattr(AsyncCollection, _name, _named(_name))


async def open(  # noqa: A001 - the sync twin is vectorstore.open
    url: str | None = None, *, config: Any = None, threads: int | None = None, **options: Any
) -> AsyncVectorStore:
    """Open a store as :func:`vectorstore.open` does (same URL, configuration and options), for asyncio.

    Opening runs on a thread (an isolated store starts its worker). ``threads`` bounds the store's pool (see
    :mod:`.engines`). A task cancelled while the store opens closes it once it is open.
    """
    from ..opening import open as open_store

    loop = asyncio.get_running_loop()
    opening = loop.run_in_executor(None, functools.partial(open_store, url, config=config, **options))
    try:
        inner = await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_when_opened)
        raise
    from .qdrant import native_adapter

    return AsyncVectorStore(inner, threads=threads, native=native_adapter(inner))


def _close_when_opened(opening: asyncio.Future[VectorStore]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        asyncio.get_running_loop().run_in_executor(None, opening.result().close)


__all__ = ["AsyncCollection", "AsyncScan", "AsyncVectorStore", "COROUTINES", "STREAMS", "open"]
