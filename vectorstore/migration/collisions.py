"""Find source ids that the target would store as one record, before anything is written.

Through the contract ids are strings on both sides, but an adapter may map them to native ids (Qdrant points take
only integers and UUIDs). A lossy mapping (UUID spellings folded together, ``"007"`` and ``"7"`` both becoming
point 7, as other migration tools do) would merge records silently. The core cannot ask an adapter for its native
ids, so this module tests the mapping itself, on the target: it writes every source id with a one-dimensional
vector into a scratch collection ``vsprobe-<random>`` and compares the count. Only when records went missing does
it look for which ids displaced which, one colliding id at a time. The scratch collection is always deleted.

An optional ``Adapter.native_ids(ids)`` in the core would make this a pure computation without the scratch writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import numpy as np

from ..store import VectorStore
from .models import LISTED

IdBatches = Callable[[], Iterator[list[str]]]
PROBE_PREFIX = "vsprobe-"


def _missing(target: VectorStore, name: str, batches: IdBatches) -> set[str]:
    missing: set[str] = set()
    for ids in batches():
        present = {record.id for record in target.get(name, ids, include=[])}
        missing.update(i for i in ids if i not in present)
    return missing


def _write(target: VectorStore, name: str, ids: list[str]) -> None:
    target.upsert(name, ids, np.ones((len(ids), 1), dtype=np.float32))


def _groups(target: VectorStore, name: str, batches: IdBatches, lost: set[str]) -> list[list[str]]:
    """Which ids share a native id: rewriting a lost id displaces exactly the id that took its place."""
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            item = parent[item]
        return item

    missing = set(lost)
    for loser in sorted(lost)[:LISTED]:
        _write(target, name, [loser])
        now = _missing(target, name, batches)
        for displaced in now - missing:
            parent[root(displaced)] = root(loser)
        missing = now
    groups: dict[str, list[str]] = {}
    for item in parent:
        groups.setdefault(root(item), []).append(item)
    return sorted((sorted(group) for group in groups.values() if len(group) > 1), key=lambda group: group[0])


def find_collisions(target: VectorStore, batches: IdBatches, *, expected: int) -> list[list[str]]:
    """Groups of ids (from ``batches()``, ``expected`` of them, all distinct) that the target would merge."""
    name = f"{PROBE_PREFIX}{uuid.uuid4().hex[:12]}"
    target.create_collection(name, 1, sorted(target.capabilities.metrics)[0])
    try:
        for ids in batches():
            _write(target, name, ids)
        if target.count(name) == expected:
            return []
        return _groups(target, name, batches, _missing(target, name, batches))
    finally:
        target.delete_collection(name, missing_ok=True)
