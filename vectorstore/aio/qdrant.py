"""Qdrant servers awaited natively: the Qdrant adapter's own code over an ``AsyncQdrantClient``.

A ``qdrant+http(s)://`` store needs no pool. :func:`native_adapter` copies the store's Qdrant adapter and gives its
engine an :class:`AwaitingClient`: every ``client.method(...)`` the engine makes returns what
``AsyncQdrantClient.method(...)`` returns, awaited through :func:`.bridge.await_`. The bridged store runs that
adapter on the event loop (see :mod:`.store`), so requests, filter building, error translation and results are the
sync adapter's, and the only I/O is the async client's. The copy shares the original engine's collection shapes.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

from ..adapter import Adapter
from ..store import VectorStore
from .bridge import await_


class AwaitingClient:
    """A sync face of an ``AsyncQdrantClient``: each method's coroutine is awaited by the task running the call."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute
        return _awaiting(attribute)


def _awaiting(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        return await_(result) if inspect.isawaitable(result) else result

    return call


def with_client(adapter: Adapter, client: Any) -> Adapter:
    """A copy of a qdrant-client based ``adapter`` whose engine calls ``client`` (an ``AsyncQdrantClient``)."""
    native = copy.copy(adapter)
    native.engine = copy.copy(adapter.engine)  # type: ignore[attr-defined]
    native.engine.client = AwaitingClient(client)  # type: ignore[attr-defined]
    return native


def native_adapter(inner: VectorStore) -> Adapter | None:
    """For a store on a Qdrant server (not isolated), its adapter over an ``AsyncQdrantClient``; else None."""
    adapter = inner.adapter
    config = getattr(adapter, "config", None)
    if adapter.name != "qdrant" or getattr(config, "engine", None) != "server":
        return None
    from qdrant_client import AsyncQdrantClient

    client = AsyncQdrantClient(**config.server_options())  # the sync engine's server client's arguments
    return with_client(adapter, client)
