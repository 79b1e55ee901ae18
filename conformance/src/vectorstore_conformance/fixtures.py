"""The fixtures every suite group uses; an adapter overrides ``store_url`` and nothing else.

The suite opens the store itself, so it controls cleanup and capability gating the same way for every adapter: the
test gets a store whose capabilities satisfy its requirements (or is skipped, naming the missing capability), and
afterwards every collection the test created is deleted. Tests never assume the store is empty; they work only on
collections they created under unique names, so a shared server (one ``chroma run`` per session) works too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

import vectorstore
from vectorstore.errors import StoreClosed
from vectorstore.models import Metric
from vectorstore.store import VectorStore

from .items import required
from .requirements import Requirements, skip_reason
from .state import run_state

#: Default dimension of the suite's small collections.
DIMENSION = 8


def unique_name(prefix: str = "vsc") -> str:
    """A collection name no other test (or concurrent run on a shared server) will use."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class StoreSession:
    """One test's use of a store URL: the open store, reopening it, and cleaning up what the test created."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.store = self.open()
        self.existing = {info.name for info in self.store.list_collections()}
        self.created: set[str] = set()

    def open(self) -> VectorStore:
        """Open the store at :attr:`url` (the async twin overrides it: :mod:`.aio`)."""
        return vectorstore.open(self.url)

    def create(self, dimension: int = DIMENSION, metric: Metric = "cosine", name: str | None = None) -> str:
        """Create a collection (unique name unless given) that is deleted after the test; return its name."""
        name = name or unique_name()
        self.created.add(name)
        self.store.create_collection(name, dimension, metric)
        return name

    def reopen(self) -> VectorStore:
        """Close the store and open the same URL again (what a restarted application does)."""
        self.store.close()
        self.store = self.open()
        return self.store

    def finish(self) -> None:
        """Delete the collections this test created, then close."""
        try:
            names = {info.name for info in self.store.list_collections()}
        except StoreClosed:  # the test closed it (persistence tests); reopen to clean up
            self.store = self.open()
            names = {info.name for info in self.store.list_collections()}
        try:
            for name in sorted((names - self.existing) | (self.created & names)):
                self.store.delete_collection(name, missing_ok=True)
        finally:
            self.store.close()


def gate(item: pytest.Item, store: VectorStore) -> None:
    """Skip ``item`` (naming the capabilities) when the store does not support what it requires."""
    state = run_state(item.config)
    state.record_store(store.adapter.name, store.capabilities)
    unmet = Requirements(store.capabilities).unmet(required(item))
    if unmet:
        state.record_skip(item.nodeid, unmet)
        pytest.skip(skip_reason(unmet))


class StoreFixtures:
    """Base of every suite group: the fixture to override and the ones the suite builds on it."""

    @pytest.fixture
    def store_url(self) -> str:
        """URL of an empty store; persistent adapters put it under ``tmp_path``. Must be overridden."""
        raise NotImplementedError(
            "store_url must be overridden in derived classes: return the URL of an empty store, "
            "e.g. f'qdrant://{tmp_path}/q'"
        )

    #: The session class :meth:`store_session` opens (the async twin's drives an async store: :mod:`.aio`).
    session_class: type[StoreSession] = StoreSession

    @pytest.fixture
    def store_session(self, store_url: str, request: pytest.FixtureRequest) -> Iterator[StoreSession]:
        session = self.session_class(store_url)
        try:
            gate(request.node, session.store)
        except BaseException:  # pytest.skip raises an OutcomeException (a BaseException)
            session.finish()
            raise
        yield session
        session.finish()

    @pytest.fixture
    def store(self, store_session: StoreSession) -> VectorStore:
        """The open store; after ``reopen()`` use the store it returns."""
        return store_session.store

    @pytest.fixture
    def reopen(self, store_session: StoreSession) -> Callable[[], VectorStore]:
        """``reopen()`` closes the store and opens the same URL again, returning the new store."""
        return store_session.reopen

    @pytest.fixture
    def make_collection(self, store_session: StoreSession) -> Callable[..., str]:
        """``make_collection(dimension=8, metric="cosine", name=None) -> name``: a collection cleaned up afterwards."""
        return store_session.create
