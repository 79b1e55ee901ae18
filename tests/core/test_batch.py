"""RecordBatch, the one column type (reads and writes), and the store methods that take or give it.

``scan_batches``/``get_batch`` hand out the adapter's columns; ``upsert`` takes a batch as it is, checked once in
its columnar form. Memory adapter throughout: these are the core's rules, the conformance suite covers backends.
"""

from __future__ import annotations

import numpy as np
import pytest

import vectorstore
from vectorstore import RecordBatch, validation
from vectorstore.errors import DuplicateId, InvalidInput, InvalidRecord
from vectorstore.models import Record
from vectorstore.store import VectorStore

ALL = frozenset({"vector", "document", "metadata"})


def sample(n: int = 5, dimension: int = 3) -> RecordBatch:
    vectors = np.arange(n * dimension, dtype=np.float32).reshape(n, dimension) / 7
    return RecordBatch(
        [f"id-{i}" for i in range(n)],
        vectors,
        [f"doc {i}" if i % 2 else None for i in range(n)],
        [{"i": i, "tags": ["a", "b"]} if i % 2 else {} for i in range(n)],
    )


@pytest.fixture
def store() -> VectorStore:
    store = vectorstore.open("memory://")
    store.create_collection("docs", 3)
    return store


# -- the type ----------------------------------------------------------------------------------------------------


def test_records_is_the_row_view_with_none_for_absent_columns() -> None:
    batch = sample(3)
    rows = batch.records()
    assert [r.id for r in rows] == batch.ids
    assert rows[1] == Record(id="id-1", vector=batch.vectors[1].tolist(), document="doc 1", metadata=batch.metadatas[1])
    assert type(rows[0].vector) is list and type(rows[0].vector[0]) is float
    narrow = RecordBatch(batch.ids, None, None, batch.metadatas)
    assert narrow.include == frozenset({"metadata"})
    assert narrow.dimension == 0
    assert [(r.vector, r.document, r.metadata) for r in narrow.records()] == [(None, None, m) for m in batch.metadatas]


def test_from_records_round_trips_and_keeps_only_what_is_included() -> None:
    batch = sample(4)
    again = RecordBatch.from_records(batch.records(), ALL)
    assert again.ids == batch.ids and again.documents == batch.documents and again.metadatas == batch.metadatas
    assert again.vectors is not None and again.vectors.dtype == np.float32
    np.testing.assert_array_equal(again.vectors, batch.vectors)
    ids_only = RecordBatch.from_records(batch.records(), frozenset())
    assert (ids_only.ids, ids_only.vectors, ids_only.documents, ids_only.metadatas) == (batch.ids, None, None, None)


def test_empty_has_the_columns_and_the_dimension() -> None:
    empty = RecordBatch.empty(frozenset({"vector", "document"}), dimension=4)
    assert len(empty) == 0 and empty.records() == []
    assert empty.vectors is not None and empty.vectors.shape == (0, 4)
    assert empty.documents == [] and empty.metadatas is None
    assert RecordBatch.empty(frozenset()).include == frozenset()


def test_take_reorders_and_selects_rows() -> None:
    batch = sample(5)
    picked = batch.take([4, 0, 2])
    assert picked.ids == ["id-4", "id-0", "id-2"]
    np.testing.assert_array_equal(picked.vectors, batch.vectors[[4, 0, 2]])  # type: ignore[index]
    assert picked.documents == [batch.documents[4], batch.documents[0], batch.documents[2]]  # type: ignore[index]
    assert picked.metadatas == [batch.metadatas[4], batch.metadatas[0], batch.metadatas[2]]  # type: ignore[index]
    assert len(batch.take([])) == 0 and batch.take([]).dimension == 3


def test_slice_chunks_and_concat_are_inverse() -> None:
    batch = sample(10)
    pieces = list(batch.chunks(4))
    assert [len(p) for p in pieces] == [4, 4, 2]
    joined = RecordBatch.concat(pieces)
    assert joined.records() == batch.records()
    assert list(batch.chunks(10)) == [batch]  # one chunk: the batch itself, no copy


def test_concat_skips_empty_reads_and_refuses_different_columns() -> None:
    batch = sample(3)
    shapeless = RecordBatch([], np.empty((0, 0), dtype=np.float32), [], [])  # an empty read may not know d
    assert RecordBatch.concat([shapeless, batch, shapeless]).records() == batch.records()
    assert len(RecordBatch.concat([], frozenset({"vector"}))) == 0
    with pytest.raises(ValueError, match="different columns"):
        RecordBatch.concat([batch, RecordBatch(batch.ids, None, batch.documents, batch.metadatas)])


# -- writing a batch ---------------------------------------------------------------------------------------------


def test_upsert_takes_a_batch_positionally_or_by_keyword(store: VectorStore) -> None:
    batch = sample(5)
    assert store.upsert("docs", batch).upserted == 5
    assert store.get("docs", batch.ids, include=list(ALL)) == batch.records()
    store.collection("docs").upsert(batch=batch.slice(0, 2))
    assert store.count("docs") == 5


def test_a_valid_batch_is_checked_in_place_not_copied() -> None:
    batch = sample(5)
    clean = validation.record_batch("docs", 3, batch)
    assert clean.vectors is batch.vectors  # float32 C-contiguous: checked, never converted to lists or copied
    assert clean.metadatas == batch.metadatas and clean.metadatas is not batch.metadatas  # a private copy


@pytest.mark.parametrize(
    ("broken", "error", "named"),
    [
        (lambda b: RecordBatch(b.ids, None, b.documents, b.metadatas), InvalidInput, "no vectors"),
        (lambda b: RecordBatch(["id-0"] * 5, b.vectors, b.documents, b.metadatas), DuplicateId, "id-0"),
        (lambda b: RecordBatch(b.ids, b.vectors[:, :2], b.documents, b.metadatas), InvalidInput, "dimension"),
        (lambda b: RecordBatch(b.ids, np.where(b.vectors > 1, np.nan, b.vectors), b.documents, b.metadatas),
         InvalidRecord, "NaN"),
        (lambda b: RecordBatch(b.ids, b.vectors, b.documents, [*b.metadatas[:4], {"$bad": 1}]), InvalidRecord, "id-4"),
    ],
)
def test_a_bad_batch_is_refused_with_the_record_named_and_writes_nothing(
    store: VectorStore, broken: object, error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        store.upsert("docs", broken(sample(5)))  # type: ignore[operator]
    assert store.count("docs") == 0


def test_a_batch_and_loose_columns_together_are_refused(store: VectorStore) -> None:
    batch = sample(2)
    with pytest.raises(InvalidInput, match="not both"):
        store.upsert("docs", batch, batch.vectors)
    with pytest.raises(InvalidInput, match="not both"):
        store.upsert("docs", batch=batch, records=batch.records())
    with pytest.raises(InvalidInput, match="RecordBatch"):
        store.upsert("docs", batch=batch.records())  # type: ignore[arg-type]
    assert store.count("docs") == 0


# -- reading batches ---------------------------------------------------------------------------------------------


def test_scan_batches_is_scan_as_columns(store: VectorStore) -> None:
    store.upsert("docs", sample(10))
    batches = list(store.scan_batches("docs", batch_size=4, include=["vector", "metadata"]))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert all(b.include == frozenset({"vector", "metadata"}) and b.vectors.dtype == np.float32 for b in batches)  # type: ignore[union-attr]
    assert [b.records() for b in batches] == list(store.scan("docs", batch_size=4, include=["vector", "metadata"]))
    assert [b.ids for b in store.collection("docs").scan_batches(where={"i": 3}, include=[])] == [["id-3"]]


def test_scan_batches_checks_its_arguments_at_the_call(store: VectorStore) -> None:
    with pytest.raises(InvalidInput):
        store.scan_batches("docs", batch_size=0)
    with pytest.raises(InvalidInput):
        store.scan_batches("docs", include=["vectors"])


def test_a_scanned_batch_upserts_into_another_store_unchanged(store: VectorStore) -> None:
    store.upsert("docs", sample(9))
    other = vectorstore.open("memory://")
    other.create_collection("docs", 3)
    for batch in store.scan_batches("docs", batch_size=4, include=list(ALL)):
        other.upsert("docs", batch)
    assert other.get("docs", sample(9).ids, include=list(ALL)) == store.get("docs", sample(9).ids, include=list(ALL))


def test_get_batch_is_in_request_order_without_missing_ids(store: VectorStore) -> None:
    store.upsert("docs", sample(5))
    found = store.get_batch("docs", ["id-3", "nope", "id-1", "id-3"], include=["document"])
    assert found.ids == ["id-3", "id-1"] and found.documents == ["doc 3", "doc 1"]
    assert found.vectors is None and found.metadatas is None
    nothing = store.get_batch("docs", ["nope"], include=["vector"])
    assert len(nothing) == 0 and nothing.vectors is not None and nothing.vectors.shape == (0, 3)
