"""Issue 13's crash, not injected: chromadb 1.5.9 segfaults inside ``query`` when the level-0 links of a
collection's HNSW index are garbage. Through an isolated store that collection is quarantined
(:mod:`vectorstore.isolation.domains`) while the store's other collection is served on, without ``CircuitOpen``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import vectorstore
from vectorstore.errors import CollectionQuarantined, WorkerCrashed

from . import damage

pytestmark = pytest.mark.skipif(importlib.util.find_spec("vectorstore_chroma") is None, reason="no chroma adapter")

#: A long cool-down, so nothing depends on it passing during the test.
OPTIONS = {"circuit_failures": 3, "circuit_cooldown_s": 600}
#: Bound on the crashes before the quarantine (3 are needed; each search crashes once or twice).
MAX_SEARCHES = 10


def test_a_collection_whose_damaged_index_segfaults_chroma_is_quarantined_alone(tmp_path: Path) -> None:
    url = f"chroma://{tmp_path}/c"
    vectors = np.random.default_rng(7).standard_normal((3000, 8)).astype(np.float32)
    with vectorstore.open(url) as store:  # past the HNSW sync threshold: the index is on disk
        store.create_collection("bad", 8)
        for start in range(0, 3000, 500):
            store.upsert("bad", [f"bad-{i}" for i in range(start, start + 500)], vectors[start : start + 500])
    damage.garble_elements(tmp_path / "c", range(3000), 3000, links_only=True)
    with vectorstore.open(url, **OPTIONS) as store:
        store.create_collection("good", 8)
        store.upsert("good", ["good-0", "good-1"], vectors[:2])
        searches = 0
        while not store.stats()["quarantined"] and searches < MAX_SEARCHES:
            with pytest.raises(WorkerCrashed, match="SIGSEGV"):
                store.search("bad", vectors[0], k=5)
            searches += 1
        assert list(store.stats()["quarantined"]) == ["bad"]
        with pytest.raises(CollectionQuarantined, match=r"'bad' is quarantined.*SIGSEGV.*doctor --repair"):
            store.search("bad", vectors[0], k=5)
        assert store.search("good", vectors[0], k=1)[0].id == "good-0"
        assert store.stats()["circuit"]["state"] == "closed"
