"""LangChain's own standard vector-store suite, unmodified, on every backend.

Each class only says how to get an empty store: a fresh collection in the backend's session store, dropped
afterwards. No standard test is overridden (``test_no_overrides_DO_NOT_OVERRIDE`` checks that).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from langchain_tests.integration_tests import VectorStoreIntegrationTests

import vectorstore
from vectorstore.integrations.langchain import LangChainVectorStore


class _Standard(VectorStoreIntegrationTests):
    backend: str

    @pytest.fixture
    def vectorstore(  # type: ignore[override]
        self, open_backend: Callable[[str], vectorstore.VectorStore]
    ) -> Iterator[LangChainVectorStore]:
        store = LangChainVectorStore(
            self.get_embeddings(), store=open_backend(self.backend), collection_name=f"lc-{uuid.uuid4().hex[:12]}"
        )
        try:
            yield store
        finally:
            store.delete_collection()


class TestMemory(_Standard):
    backend = "memory"


class TestQdrantEdge(_Standard):
    backend = "qdrant-edge"


class TestChromaIsolated(_Standard):
    backend = "chroma-isolated"
