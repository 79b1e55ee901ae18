"""Damage a closed Chroma store's files the way a kill mid-write does (issue 11), in a test's own directory.

Chroma keeps each collection's vector index in ``<path>/<segment uuid>/``: ``index_metadata.pickle`` (the id to
label map), ``data_level0.bin`` (one fixed-size element per vector: links, vector, label), ``link_lists.bin`` and
``header.bin``. After more records than the HNSW ``sync_threshold`` (1,000) the index is on disk.
"""

from __future__ import annotations

import random
from pathlib import Path

#: The adapter's default HNSW ``max_neighbors`` (M): level 0 keeps 2 * M links per element.
MAX_NEIGHBORS = 16


def segment(path: Path) -> Path:
    """The one vector segment directory of a store holding one collection."""
    found = [item for item in path.iterdir() if item.is_dir() and (item / "data_level0.bin").exists()]
    assert len(found) == 1, f"expected one persisted HNSW segment under {path}, found {found}"
    return found[0]


def truncate_index_metadata(path: Path, keep: float = 0.5) -> None:
    """Cut ``index_metadata.pickle`` short, as the kill in issue 11 did (every read then fails)."""
    file = segment(path) / "index_metadata.pickle"
    file.write_bytes(file.read_bytes()[: int(file.stat().st_size * keep)])


def garble_elements(path: Path, elements: range, count: int, *, links_only: bool = False, seed: int = 0) -> None:
    """Overwrite ``elements`` of the ``count`` in ``data_level0.bin`` with random bytes (fixed seed).

    An element (hnswlib's layout) is a 4-byte header (link count and the deleted mark), the level-0 links
    (2 * max_neighbors * 4 bytes), the vector and an 8-byte label. Whole elements garbled make some records
    unreadable; ``links_only`` keeps headers, vectors and labels (every ``get`` works) and makes a search follow
    garbage links (chromadb 1.5.9 segfaults).
    """
    file = segment(path) / "data_level0.bin"
    data = bytearray(file.read_bytes())
    size = len(data) // count
    first, stop = (4, 4 + 2 * MAX_NEIGHBORS * 4) if links_only else (0, size)
    rng = random.Random(seed)
    for element in elements:
        for offset in range(element * size + first, element * size + stop):
            data[offset] = rng.randrange(256)
    file.write_bytes(bytes(data))
