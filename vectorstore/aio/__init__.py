"""``vectorstore.aio``: the store for asyncio (``await vectorstore.aio.open(url)``); see docs/async.md.

The async store is derived from the sync one rather than written twice: :mod:`.store` explains how its methods are
generated from a table, :mod:`.bridge` how the sync store's code runs on the loop awaiting only its adapter calls,
and :mod:`.engines` what those calls run on.
"""

from .store import AsyncCollection, AsyncScan, AsyncVectorStore, open

__all__ = ["AsyncCollection", "AsyncScan", "AsyncVectorStore", "open"]
