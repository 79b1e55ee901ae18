"""Record id -> point id: pinned to a fixed table, equal to the migration tool's choice, and collision-free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

from vectorstore.store import VectorStore
from vectorstore_qdrant.ids import point_id

#: The on-disk mapping. Changing any entry orphans stored points, so this table must never change.
TABLE = {
    "doc-1": "3f622591-baa6-5888-8a4f-6b3813e16a44",  # the value qdrant/migration documents for "doc-1"
    "7": "5bd20866-3478-53f7-bc79-d2aae304b443",
    "007": "2f8a47ca-fdcc-5c8c-8615-5e2b9cc66fe0",
    "a": "e1407479-3136-56c0-9908-bb02fb0339e2",
    "ünïcødé ✓": "2ee1abd1-8321-55ad-9959-0ac75ec8e3c9",
    "x" * 1024: "a208bc46-f01f-526e-acd4-e6f97d3208a6",
    # canonical UUIDs pass through unchanged (as the migration tool does) ...
    "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "00000000-0000-0000-0000-000000000000": "00000000-0000-0000-0000-000000000000",
    # ... other spellings of the same UUID are different ids, so they are hashed to different points ...
    "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11": "54a52e06-af87-55c0-a7c7-0ec5569b1af8",
    "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}": "6e4f9e09-32b0-5ca8-bacf-300fab4c087a",
    "urn:uuid:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11": "dfb08570-7f22-584d-a98d-02363e696816",
    "a0eebc999c0b4ef8bb6d6bb9bd380a11": "f3f27ddd-f007-5952-a7c5-4f74edfcee2a",
    # ... and so is a version-5 UUID, which could otherwise equal the hash of another id ("doc-1" above).
    "3f622591-baa6-5888-8a4f-6b3813e16a44": "dc9c2ba4-b636-59d1-bfbd-d54a7178ec85",
}


def _is_passthrough(record_id: str) -> bool:
    """Independent statement of the rule: canonical spelling and not version 5."""
    try:
        parsed = uuid.UUID(record_id)
    except ValueError:
        return False
    return str(parsed) == record_id and parsed.version != 5


@pytest.mark.parametrize("record_id", sorted(TABLE))
def test_fixed_table(record_id: str) -> None:
    assert point_id(record_id) == TABLE[record_id]


@pytest.mark.parametrize("record_id", sorted(TABLE))
def test_hash_is_uuid5_of_namespace_url(record_id: str) -> None:
    """The table itself is what the standard library (and the Go migration tool) compute."""
    expected = record_id if _is_passthrough(record_id) else str(uuid.uuid5(uuid.NAMESPACE_URL, record_id))
    assert TABLE[record_id] == expected


def test_stable_across_processes() -> None:
    """A fresh interpreter with another hash seed maps every id the same way."""
    ids = sorted(TABLE)
    code = (
        "import json, sys; from vectorstore_qdrant.ids import point_id; "
        "print(json.dumps([point_id(i) for i in json.load(sys.stdin)]))"
    )
    child = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(ids),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert json.loads(child.stdout) == [TABLE[i] for i in ids]


def test_no_two_ids_share_a_point() -> None:
    spellings = list(TABLE) + [str(uuid.uuid5(uuid.NAMESPACE_URL, f"doc-{i}")) for i in range(200)]
    spellings += [f"doc-{i}" for i in range(200)] + [str(uuid.uuid4()) for _ in range(200)]
    spellings += ["1", "01", "001", "1.0", "+1", " 1", "1 ", "١"]
    points = [point_id(s) for s in spellings]
    assert len(set(points)) == len(set(spellings))


def test_colliding_spellings_are_separate_records(store: VectorStore) -> None:
    """Ids a UUID parser or ``isdigit()`` would merge stay separate records, each with its own vector."""
    ids = sorted(TABLE) + ["1", "01"]
    store.create_collection("ids", 4, "l2")
    vectors = np.arange(len(ids) * 4, dtype=np.float32).reshape(-1, 4)
    store.upsert("ids", ids, vectors, metadatas=[{"n": n} for n in range(len(ids))])
    assert store.count("ids") == len(ids)
    records = store.get("ids", ids, include=["vector", "metadata"])
    assert [r.id for r in records] == ids
    assert [r.metadata for r in records] == [{"n": n} for n in range(len(ids))]
    np.testing.assert_array_equal(np.array([r.vector for r in records]), vectors)
    hits = store.search("ids", vectors[3], k=1)
    assert hits[0].id == ids[3]


def test_store_reports_the_point_ids(store: VectorStore) -> None:
    """Migrations ask the store for native ids to find ids that would merge; none do here."""
    ids = sorted(TABLE)
    assert store.native_ids(ids) == [TABLE[i] for i in ids]
