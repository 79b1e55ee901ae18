"""A host process for the lifecycle tests: opens an isolated memory store, prints its worker pid, then exits
without closing the store, waits to be killed, or hangs inside a call. Run as a script (``python host_process.py
MODE``); it prints lifecycle events so the test can see which path stopped the worker."""

from __future__ import annotations

import sys

from vectorstore.config import resolve
from vectorstore.events import Event
from vectorstore.hookspecs import hookimpl
from vectorstore.isolation import IsolatedAdapter, IsolationPolicy
from vectorstore.registry import registry
from vectorstore.store import VectorStore


class Printer:
    @hookimpl
    def vectorstore_event(self, event: Event) -> None:
        print("event", event.kind, event.detail.get("reason", ""), flush=True)


def main(mode: str) -> None:
    registry().register(Printer())
    resolved = resolve("memory://", isolation="process", timeout_s=120)
    adapter = IsolatedAdapter(resolved, IsolationPolicy(orphan_grace_s=1.0))
    store = VectorStore(adapter, url=resolved.url)
    print("pid", store.stats()["worker"]["pid"], flush=True)
    if mode == "exit":
        return  # no close(): interpreter exit must stop the worker
    if mode == "busy":
        adapter._inject_fault("hang", "list_collections")
        print("calling", flush=True)
        store.list_collections()
    sys.stdin.read()  # "idle": wait to be killed


if __name__ == "__main__":
    main(sys.argv[1])
