"""Fixtures for the isolation tests: isolated stores on memory, on a persistent test adapter and on Chroma, a
recorder of lifecycle events (a real pluggy hook implementation), and fault injection switched on.

Timeouts are a few seconds here (not the 180 s default) so hangs are cheap to test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vectorstore.config import Resolved, resolve
from vectorstore.events import Event
from vectorstore.hookspecs import hookimpl
from vectorstore.isolation import IsolatedAdapter, IsolationPolicy
from vectorstore.isolation.faults import ENVIRONMENT_VARIABLE
from vectorstore.registry import registry
from vectorstore.store import VectorStore

from . import durable

TIMEOUT_S = 3.0
#: Quick kills, and a circuit that stays closed unless a test asks for one.
FAST = IsolationPolicy(circuit_failures=1000, kill_grace_s=0.3, orphan_grace_s=1.0)

Opener = Callable[..., VectorStore]
Target = Callable[..., Resolved]


@pytest.fixture(autouse=True)
def faults_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers inherit the environment at spawn, so this must be set before a store opens."""
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "1")


@pytest.fixture
def open_isolated() -> Iterator[Opener]:
    """Open isolated stores (a URL or a resolved config); every one is closed after the test."""
    opened: list[VectorStore] = []

    def open_(
        target: str | Resolved = "memory://", *, policy: IsolationPolicy = FAST, timeout_s: float = TIMEOUT_S
    ) -> VectorStore:
        resolved = target if isinstance(target, Resolved) else resolve(target, isolation="process", timeout_s=timeout_s)
        store = VectorStore(IsolatedAdapter(resolved, policy), url=resolved.url)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture(params=["durable", "chroma"])
def persistent(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Resolve a persistent store at one path (call it again to reopen): the test adapter, and Chroma if installed."""
    if request.param == "chroma":
        pytest.importorskip("vectorstore_chroma", reason="the chroma adapter (adapters/chroma) is not installed")
        return lambda timeout_s=TIMEOUT_S: resolve(f"chroma://{tmp_path}/c", isolation="process", timeout_s=timeout_s)
    return lambda timeout_s=TIMEOUT_S: durable.resolved(tmp_path / "store.pickle", timeout_s)


class EventRecorder:
    """Receives ``vectorstore_event`` like any monitoring plugin would."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    @hookimpl
    def vectorstore_event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def kinds(self) -> list[str]:
        with self._lock:
            return [event.kind for event in self.events]

    def of(self, kind: str) -> list[Event]:
        with self._lock:
            return [event for event in self.events if event.kind == kind]


@pytest.fixture
def events() -> Iterator[EventRecorder]:
    recorder = EventRecorder()
    registry().register(recorder, name=f"isolation-events-{id(recorder)}")
    yield recorder
    registry().plugins.unregister(recorder)
