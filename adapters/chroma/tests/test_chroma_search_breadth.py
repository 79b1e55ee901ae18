"""The HNSW search breadth is sized to the collection and the ``recall`` target (ChromaConfig.search_breadth).

Chroma reads ``ef_search`` when it loads a collection's index, so these tests check what the adapter stores in the
collection's configuration, read back by a plain chromadb client after the store is closed.
"""

from __future__ import annotations

from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from vectorstore_chroma.config import ChromaConfig

import vectorstore
from vectorstore.config import resolve
from vectorstore.errors import ConfigurationError


def _config(url: str) -> ChromaConfig:
    config = resolve(url).config
    assert isinstance(config, ChromaConfig)
    return config


def _native_hnsw(path: Path, name: str) -> dict[str, object]:
    """The collection's HNSW configuration as plain chromadb sees it (the store must be closed)."""
    SharedSystemClient.clear_system_cache()
    client = chromadb.PersistentClient(str(path))
    try:
        return dict(client.get_collection(name, embedding_function=None).configuration_json["hnsw"])
    finally:
        SharedSystemClient.clear_system_cache()


def test_breadth_grows_with_the_collection_for_high_recall_only() -> None:
    high, fast = _config("chroma:///d?recall=high"), _config("chroma:///d")  # fast is the default
    assert [high.search_breadth(n) for n in (0, 2_000, 2_001, 5_000, 5_001, 10**7)] == [100, 100, 200, 200, 300, 300]
    assert {fast.search_breadth(n) for n in (0, 5_000, 10**7)} == {100}
    assert (high.hnsw["ef_construction"], fast.hnsw["ef_construction"]) == (200, 100)
    fixed = _config("chroma:///d?ef_search=64&ef_construction=300")
    assert (fixed.search_breadth(10**6), fixed.breadth_bound(0), fixed.hnsw["ef_construction"]) == (64, float("inf"), 300)


def test_an_unknown_recall_target_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError, match="'high' or 'fast'"):
        resolve("chroma:///d?recall=exact")


def _fill(url: str, name: str, n: int) -> None:
    vectors = np.random.default_rng(0).standard_normal((n, 4)).astype(np.float32)
    with vectorstore.open(url) as store:
        store.create_collection(name, 4)
        for start in range(0, n, 1000):
            store.upsert(name, [str(i) for i in range(start, min(n, start + 1000))], vectors[start : start + 1000])


def test_writes_past_a_size_bound_widen_the_search(tmp_path: Path) -> None:
    _fill(f"chroma://{tmp_path}/c?isolation=none&recall=high", "grown", 2_500)
    assert _native_hnsw(tmp_path / "c", "grown")["ef_search"] == 200
    assert _native_hnsw(tmp_path / "c", "grown")["ef_construction"] == 200


def test_opening_sizes_the_search_for_the_store_s_recall_target(tmp_path: Path) -> None:
    _fill(f"chroma://{tmp_path}/c?isolation=none&recall=high", "kept", 2_500)
    assert _native_hnsw(tmp_path / "c", "kept")["ef_search"] == 200
    with vectorstore.open(f"chroma://{tmp_path}/c?isolation=none") as store:  # recall=fast
        assert store.count("kept") == 2_500  # opening and counting size nothing (a damaged index fails its count)
        store.search("kept", [1.0, 0.0, 0.0, 0.0])  # first query in this process: sized before it loads the index
    assert _native_hnsw(tmp_path / "c", "kept")["ef_search"] == 100


def test_a_fixed_breadth_and_plain_chromadb_collections_are_never_resized(tmp_path: Path) -> None:
    _fill(f"chroma://{tmp_path}/c?isolation=none&recall=high&ef_search=64", "fixed", 2_500)
    assert _native_hnsw(tmp_path / "c", "fixed")["ef_search"] == 64
    client = chromadb.PersistentClient(str(tmp_path / "c"))
    native = client.create_collection("native", embedding_function=None, configuration={"hnsw": {"ef_search": 42}})
    native.add(ids=[str(i) for i in range(3_000)], embeddings=np.ones((3_000, 4), dtype=np.float32))
    del native, client
    SharedSystemClient.clear_system_cache()
    with vectorstore.open(f"chroma://{tmp_path}/c?isolation=none&recall=high") as store:
        assert len(store.search("native", [1.0, 0.0, 0.0, 0.0])) == 10
    assert _native_hnsw(tmp_path / "c", "native")["ef_search"] == 42
