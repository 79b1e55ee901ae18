"""The shared conformance suite on every Qdrant engine: embedded (qdrant-edge-py), local mode, and a server.

- ``TestEdge``: the embedded engine, the whole suite.
- ``TestEdgeApproximate``: the embedded engine with ``exact=false``, where the suite measures recall instead.
- ``TestLocalMemory``: qdrant-client local mode in memory, the whole suite (the same Python code as on disk).
- ``TestLocalDisk``: local mode on disk, the groups where the disk matters (collections, persistence, durability,
  the directory lock). qdrant-client commits one sqlite transaction per written point (about 20 ms each on a slow
  disk), so the rest of the suite would take minutes there and test nothing that ``TestLocalMemory`` does not.
- ``TestServer``: only when ``QDRANT_URL`` names a server (e.g. ``http://localhost:6333``); skipped otherwise.
  Collections get unique names and are deleted afterwards, so a shared server is fine.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from vectorstore_conformance import ConformanceTests
from vectorstore_conformance.suite import CollectionTests, DurabilityTests, PersistenceTests, RecallTests

QDRANT_URL = os.environ.get("QDRANT_URL")


class TestEdge(ConformanceTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"qdrant://{tmp_path}/q"


class TestEdgeApproximate(RecallTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"qdrant://{tmp_path}/q?exact=false"


class TestLocalMemory(ConformanceTests):
    @pytest.fixture
    def store_url(self) -> str:
        return "qdrant+memory://"


class TestLocalDisk(PersistenceTests, DurabilityTests, CollectionTests):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"qdrant+local://{tmp_path}/q"


@pytest.mark.skipif(not QDRANT_URL, reason="set QDRANT_URL (e.g. http://localhost:6333) to run against a Qdrant server")
class TestServer(ConformanceTests):
    @pytest.fixture
    def store_url(self) -> str:
        parts = urlsplit(QDRANT_URL or "")
        return f"qdrant+{parts.scheme or 'http'}://{parts.netloc}{parts.path}"
