"""Haystack's own document-store test classes, every one of them (sync and async), on every backend.

Each class says only how to get an empty store (a fresh collection in the backend's session store, dropped
afterwards), and fills in what Haystack leaves abstract: ``test_write_documents`` (the default policy is the
store's: ours is FAIL) and its async twin. ``assert_documents_are_equal`` is Haystack's documented hook for stores
that differ in order or precision: ours compares in id order, and embeddings within float32 rounding (DESIGN 3.1).
"""

from __future__ import annotations

import dataclasses
import inspect
import uuid
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from haystack.dataclasses import Document
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.testing import document_store as sync_suite
from haystack.testing import document_store_async as async_suite

import vectorstore
from vectorstore.integrations.haystack import VectorStoreDocumentStore

SYNC_CLASSES = [
    sync_suite.DocumentStoreBaseExtendedTests,
    sync_suite.CountDocumentsByFilterTest,
    sync_suite.CountUniqueMetadataByFilterTest,
    sync_suite.GetMetadataFieldsInfoTest,
    sync_suite.GetMetadataFieldMinMaxTest,
    sync_suite.GetMetadataFieldUniqueValuesTest,
]
ASYNC_CLASSES = [
    async_suite.CountDocumentsAsyncTest,
    async_suite.WriteDocumentsAsyncTest,
    async_suite.DeleteDocumentsAsyncTest,
    async_suite.DeleteAllAsyncTest,
    async_suite.DeleteByFilterAsyncTest,
    async_suite.UpdateByFilterAsyncTest,
    async_suite.FilterDocumentsAsyncTest,
    async_suite.CountDocumentsByFilterAsyncTest,
    async_suite.CountUniqueMetadataByFilterAsyncTest,
    async_suite.GetMetadataFieldsInfoAsyncTest,
    async_suite.GetMetadataFieldMinMaxAsyncTest,
    async_suite.GetMetadataFieldUniqueValuesAsyncTest,
]


def _without_embedding(doc: Document) -> Document:
    return dataclasses.replace(doc, embedding=None)


def _embeddings_equal(received: list[float] | None, expected: list[float] | None) -> bool:
    """Equal within float32 rounding (backends that normalise for cosine may move the last bit)."""
    if received is None or expected is None:
        return received is expected
    return len(received) == len(expected) and np.allclose(received, expected, rtol=1e-6, atol=1e-7)


class _Suite(*SYNC_CLASSES, *ASYNC_CLASSES):  # type: ignore[misc]
    backend: str

    @pytest.fixture
    def document_store(
        self, open_backend: Callable[[str], vectorstore.VectorStore]
    ) -> Iterator[VectorStoreDocumentStore]:
        store = open_backend(self.backend)
        name = f"hs-{uuid.uuid4().hex[:12]}"
        try:
            yield VectorStoreDocumentStore(store=store, collection_name=name, embedding_dim=768)
        finally:
            store.delete_collection(name, missing_ok=True)

    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]) -> None:
        received = sorted(received, key=lambda d: d.id)
        expected = sorted(expected, key=lambda d: d.id)
        assert [_without_embedding(d) for d in received] == [_without_embedding(d) for d in expected]
        unequal = [r.id for r, e in zip(received, expected) if not _embeddings_equal(r.embedding, e.embedding)]
        assert not unequal, f"embeddings differ beyond float32 rounding: {unequal}"

    def test_write_documents(self, document_store: VectorStoreDocumentStore) -> None:
        """The default policy (NONE) is FAIL: a second write of an id raises and leaves the first."""
        doc = Document(content="test doc")
        assert document_store.write_documents([doc]) == 1
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents([Document(id=doc.id, content="other")])
        self.assert_documents_are_equal(document_store.filter_documents(), [doc])

    async def test_write_documents_async(self, document_store: VectorStoreDocumentStore) -> None:
        doc = Document(content="test doc")
        assert await document_store.write_documents_async([doc]) == 1
        with pytest.raises(DuplicateDocumentError):
            await document_store.write_documents_async([Document(id=doc.id, content="other")])
        self.assert_documents_are_equal(await document_store.filter_documents_async(), [doc])


def test_every_haystack_test_class_is_run() -> None:
    """A Haystack release that adds a test class to either module fails here until it is added above."""
    for module, chosen in ((sync_suite, SYNC_CLASSES), (async_suite, ASYNC_CLASSES)):
        classes = {obj for name, obj in vars(module).items() if inspect.isclass(obj) and name.endswith("Test")}
        covered = {cls for cls in classes if any(issubclass(c, cls) for c in chosen)}
        assert classes - covered == set(), (
            f"{module.__name__}: not run: {sorted(c.__name__ for c in classes - covered)}"
        )


class TestMemory(_Suite):
    backend = "memory"


class TestQdrantEdge(_Suite):
    backend = "qdrant-edge"


class TestChromaIsolated(_Suite):
    backend = "chroma-isolated"
