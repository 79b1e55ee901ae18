"""DESIGN 3.1 and argument rules: each bad input raises the right typed error, names where it is, and writes nothing.

Writes go through a real memory store with a bad record LAST in a batch of many, so a validator that checked only
the first record, or an adapter that wrote before validating, would leave traces that the snapshot comparison sees.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import vectorstore
from vectorstore import Record
from vectorstore.errors import (
    DimensionMismatch,
    DuplicateId,
    InvalidCollectionName,
    InvalidInput,
    InvalidRecord,
    VectorStoreError,
)
from vectorstore.store import VectorStore
from vectorstore.validation import MAX_KEY_LENGTH, MAX_SAFE_INT, from_epoch_microseconds

NAME = "bad_input"
DIM = 3
BATCH = 40  # good records before the bad one


@pytest.fixture
def populated(store: VectorStore) -> VectorStore:
    store.create_collection(NAME, DIM, "cosine")
    store.upsert(
        NAME,
        ["keep-0", "keep-1", "keep-2"],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        documents=["zero", None, "two"],
        metadatas=[{"n": 0, "tags": ["a", "b"]}, None, {"flag": True, "x": 1.5}],
    )
    return store


def snapshot(store: VectorStore) -> list[tuple[str, list[float] | None, str | None, dict[str, Any] | None]]:
    return sorted(
        (r.id, r.vector, r.document, r.metadata)
        for batch in store.scan(NAME, include=["vector", "document", "metadata"])
        for r in batch
    )


def good_columns(n: int = BATCH) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    ids = [f"new-{i}" for i in range(n)]
    vectors = [[float(i), 1.0, -1.0] for i in range(n)]
    documents = [f"doc {i}" for i in range(n)]
    metadatas = [{"i": i, "even": i % 2 == 0} for i in range(n)]
    return ids, vectors, documents, metadatas


def assert_rejected(
    store: VectorStore, error: type[VectorStoreError], write: Callable[[], object], *fragments: str
) -> VectorStoreError:
    before, count = snapshot(store), store.count(NAME)
    with pytest.raises(error) as caught:
        write()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert store.count(NAME) == count
    assert snapshot(store) == before
    return caught.value


# -- ids ------------------------------------------------------------------------------------------------------------

BAD_IDS: list[tuple[Any, type[VectorStoreError], str]] = [
    (7, InvalidRecord, "7"),
    (None, InvalidRecord, "None"),
    (b"bytes", InvalidRecord, "bytes"),
    ("", InvalidRecord, "empty"),
    ("x" * 1025, InvalidRecord, "1025"),
]


@pytest.mark.parametrize(("bad", "error", "fragment"), BAD_IDS, ids=["int", "None", "bytes", "empty", "1025-chars"])
def test_bad_id_last_in_batch_writes_nothing(populated: VectorStore, bad: Any, error: type, fragment: str) -> None:
    ids, vectors, documents, metadatas = good_columns()
    ids[-1] = bad
    exc = assert_rejected(
        populated, error, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas), repr(NAME), fragment
    )
    assert exc.collection == NAME  # type: ignore[attr-defined]


def test_id_of_1024_characters_is_accepted(populated: VectorStore) -> None:
    long_id = "y" * 1024
    populated.upsert(NAME, [long_id], [[1, 1, 1]])
    assert [r.id for r in populated.get(NAME, [long_id])] == [long_id]


def test_duplicate_ids_in_one_call(populated: VectorStore) -> None:
    ids, vectors, documents, metadatas = good_columns()
    ids[-1] = ids[5]
    exc = assert_rejected(
        populated, DuplicateId, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas), repr(ids[5])
    )
    assert exc.record_id == ids[5]  # type: ignore[attr-defined]


def test_ids_must_be_a_list(populated: VectorStore) -> None:
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, "abc", [[1, 2, 3]] * 3))
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, [], np.empty((0, DIM))), "empty")


# -- vectors --------------------------------------------------------------------------------------------------------

BAD_LAST_VECTORS: list[tuple[str, Any, type[VectorStoreError]]] = [
    ("nan", [1.0, math.nan, 0.0], InvalidRecord),
    ("inf", [1.0, math.inf, 0.0], InvalidRecord),
    ("-inf", [-math.inf, 0.0, 0.0], InvalidRecord),
    ("beyond-float32", [1e39, 0.0, 0.0], InvalidRecord),
    ("beyond-float32-negative", [0.0, -3.5e38, 0.0], InvalidRecord),
    ("ragged-short", [1.0, 2.0], DimensionMismatch),
    ("ragged-long", [1.0, 2.0, 3.0, 4.0], DimensionMismatch),
    ("non-numeric", ["a", "b", "c"], InvalidRecord),
    ("None-element", [1.0, None, 3.0], InvalidRecord),
    ("scalar-row", 5.0, InvalidInput),
]


@pytest.mark.parametrize(("bad", "error"), [c[1:] for c in BAD_LAST_VECTORS], ids=[c[0] for c in BAD_LAST_VECTORS])
def test_bad_vector_last_in_batch_names_the_record(populated: VectorStore, bad: Any, error: type) -> None:
    ids, vectors, documents, metadatas = good_columns()
    vectors[-1] = bad
    exc = assert_rejected(
        populated, error, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas), repr(NAME), repr(ids[-1])
    )
    assert exc.record_id == ids[-1]  # type: ignore[attr-defined]


def test_nan_in_a_numpy_batch_names_the_record(populated: VectorStore) -> None:
    ids, _, documents, metadatas = good_columns()
    vectors = np.ones((BATCH, DIM), dtype=np.float32)
    vectors[-1, 2] = np.nan
    exc = assert_rejected(
        populated, InvalidRecord, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas), repr(ids[-1])
    )
    assert exc.record_id == ids[-1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "vectors",
    [np.ones((BATCH, 4)), np.ones((BATCH, 2)), [[1.0] * 4] * BATCH],
    ids=["numpy-4d", "numpy-2d", "list-4d"],
)
def test_wrong_dimension(populated: VectorStore, vectors: Any) -> None:
    ids, _, documents, metadatas = good_columns()
    assert_rejected(
        populated,
        DimensionMismatch,
        lambda: populated.upsert(NAME, ids, vectors, documents, metadatas),
        repr(NAME),
        "dimension",
        str(DIM),
    )


@pytest.mark.parametrize(
    "vectors",
    [
        np.ones(DIM),  # 1-D for one id
        np.ones((1, 1, DIM)),  # 3-D
        np.ones((2, DIM)),  # two vectors for one id
        "abc",
    ],
    ids=["1-D", "3-D", "count-mismatch", "str"],
)
def test_wrong_shape(populated: VectorStore, vectors: Any) -> None:
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, ["one"], vectors), repr(NAME))


def test_accepted_vector_values_round_trip_as_float32(populated: VectorStore) -> None:
    values = [[3.4e38, -3.4e38, 1e-45], [1, 2, 3]]  # ints are converted
    populated.upsert(NAME, ["big", "ints"], values)
    got = {r.id: r.vector for r in populated.get(NAME, ["big", "ints"], include=["vector"])}
    np.testing.assert_array_equal(np.asarray(got["big"], np.float32), np.asarray(values[0], np.float32))
    assert got["ints"] == [1.0, 2.0, 3.0]


# -- documents ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [5, b"bytes", ["a"], {"a": 1}], ids=["int", "bytes", "list", "dict"])
def test_bad_document_last_in_batch(populated: VectorStore, bad: Any) -> None:
    ids, vectors, documents, metadatas = good_columns()
    documents[-1] = bad
    exc = assert_rejected(
        populated,
        InvalidRecord,
        lambda: populated.upsert(NAME, ids, vectors, documents, metadatas),
        repr(NAME),
        repr(ids[-1]),
    )
    assert exc.record_id == ids[-1]  # type: ignore[attr-defined]


def test_documents_must_match_ids(populated: VectorStore) -> None:
    ids, vectors, documents, metadatas = good_columns()
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, ids, vectors, documents[:-1], metadatas))
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, ids, vectors, "one doc", metadatas))


# -- metadata -------------------------------------------------------------------------------------------------------

BAD_METADATA: list[tuple[str, dict[Any, Any]]] = [
    ("nested-dict", {"k": {"inner": 1}}),
    ("np.int64", {"k": np.int64(1)}),
    ("np.float64", {"k": np.float64(1.0)}),
    ("np.bool_", {"k": np.bool_(True)}),
    ("np.str_", {"k": np.str_("a")}),
    ("nan", {"k": math.nan}),
    ("inf", {"k": math.inf}),
    ("-inf", {"k": -math.inf}),
    ("int-beyond-2**53", {"k": 2**53 + 1}),
    ("negative-int-beyond-2**53", {"k": -(2**53) - 1}),
    ("mixed-list-int-str", {"k": [1, "a"]}),
    ("mixed-list-int-float", {"k": [1, 2.0]}),
    ("mixed-list-bool-int", {"k": [True, 1]}),
    ("empty-list", {"k": []}),
    ("list-with-None", {"k": ["a", None]}),
    ("naive-datetime", {"k": dt.datetime(2020, 1, 1)}),
    ("datetime-beyond-2**53-us", {"k": dt.datetime(2300, 1, 1, tzinfo=dt.timezone.utc)}),
    ("datetime-max", {"k": dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-1)))}),
    ("list-of-datetimes", {"k": [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)]}),
    ("list-of-dates", {"k": [dt.date(2020, 1, 1)]}),
    ("time", {"k": dt.time(12, 0)}),
    ("timedelta", {"k": dt.timedelta(days=1)}),
    ("list-with-list", {"k": [[1]]}),
    ("list-with-nan", {"k": [1.0, math.nan]}),
    ("list-with-big-int", {"k": [1, 2**60]}),
    ("list-with-np.int64", {"k": [np.int64(1)]}),
    ("tuple", {"k": (1, 2)}),
    ("set", {"k": {1, 2}}),
    ("bytes", {"k": b"x"}),
    ("reserved-$", {"$k": 1}),
    ("reserved-#", {"#k": 1}),
    ("reserved-_vs_", {"_vs_k": 1}),
    ("empty-key", {"": 1}),
    ("non-str-key", {1: "a"}),
]


@pytest.mark.parametrize("bad", [c[1] for c in BAD_METADATA], ids=[c[0] for c in BAD_METADATA])
def test_bad_metadata_last_in_batch_names_record_and_key(populated: VectorStore, bad: dict[Any, Any]) -> None:
    ids, vectors, documents, metadatas = good_columns()
    metadatas[-1] = {"fine": "value", **bad}
    (key,) = bad
    exc = assert_rejected(
        populated,
        InvalidRecord,
        lambda: populated.upsert(NAME, ids, vectors, documents, metadatas),
        repr(NAME),
        repr(ids[-1]),
        repr(key),
    )
    assert (exc.collection, exc.record_id, exc.key) == (NAME, ids[-1], key)  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [["not", "a", "dict"], "str", 5], ids=["list", "str", "int"])
def test_metadata_must_be_a_dict(populated: VectorStore, bad: Any) -> None:
    ids, vectors, documents, metadatas = good_columns()
    metadatas[-1] = bad
    exc = assert_rejected(
        populated, InvalidRecord, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas), repr(ids[-1])
    )
    assert exc.record_id == ids[-1]  # type: ignore[attr-defined]


def test_metadatas_must_match_ids(populated: VectorStore) -> None:
    ids, vectors, documents, metadatas = good_columns()
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas[:-1]))
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, ids, vectors, documents, {"a": 1}))


def test_allowed_metadata_round_trips_with_exact_types(populated: VectorStore) -> None:
    metadata = {
        "s": "text",
        "i": 7,
        "f": 7.0,
        "b": False,
        "max_int": 2**53,
        "min_int": -(2**53),
        "zero_float": 0.0,
        "ints": [1, 2, 3],
        "floats": [0.5],
        "bools": [True, False],
        "strs": ["x", ""],
        "unicode_ключ": "значение",
    }
    populated.upsert(NAME, ["typed", "empty", "none"], [[1, 2, 3]] * 3, metadatas=[metadata, {}, None])
    got = {r.id: r.metadata for r in populated.get(NAME, ["typed", "empty", "none"])}
    assert got["typed"] == metadata
    assert {k: type(v) for k, v in got["typed"].items()} == {k: type(v) for k, v in metadata.items()}
    assert [type(v) for v in got["typed"]["floats"]] == [float]
    assert got["empty"] == {} and got["none"] == {}


def test_datetimes_come_back_in_utc_and_dates_as_dates(populated: VectorStore) -> None:
    """An aware datetime is stored as its instant and read back in UTC; a date stays a date (not a datetime)."""
    eastern = dt.timezone(dt.timedelta(hours=-5, minutes=-30))
    written = {
        "at": dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=eastern),
        "day": dt.date(2024, 2, 29),
        "first": from_epoch_microseconds(-MAX_SAFE_INT),
        "last": from_epoch_microseconds(MAX_SAFE_INT),
    }
    populated.upsert(NAME, ["timed"], [[1, 2, 3]], metadatas=[written])
    (record,) = populated.get(NAME, ["timed"])
    assert record.metadata == written
    assert record.metadata["at"] == dt.datetime(2024, 3, 1, 5, 29, 59, 999999, tzinfo=dt.timezone.utc)
    assert record.metadata["at"].tzinfo is dt.timezone.utc  # type: ignore[union-attr]
    assert {k: type(v) for k, v in record.metadata.items()} == {k: type(v) for k, v in written.items()}
    assert written["at"].tzinfo is eastern, "the caller's dict is not changed"


def test_naive_datetime_message_says_to_attach_a_timezone(populated: VectorStore) -> None:
    ids, vectors, documents, metadatas = good_columns()
    metadatas[-1] = {"at": dt.datetime(2020, 1, 1)}
    write = lambda: populated.upsert(NAME, ids, vectors, documents, metadatas)  # noqa: E731
    assert_rejected(populated, InvalidRecord, write, "no timezone", "datetime.timezone.utc", repr(ids[-1]), "'at'")


def test_none_value_means_no_value(populated: VectorStore) -> None:
    """By default a None value is dropped before the adapter sees it: the key is absent on read and in filters."""
    populated.upsert(NAME, ["nulls", "all-null"], [[1, 2, 3]] * 2, metadatas=[{"a": None, "b": 1}, {"a": None}])
    got = {r.id: r.metadata for r in populated.get(NAME, ["nulls", "all-null"])}
    assert got == {"nulls": {"b": 1}, "all-null": {}}
    assert populated.count(NAME, {"a": {"$exists": True}}) == 0
    assert populated.count(NAME, {"$and": [{"a": {"$ne": 1}}, {"a": {"$nin": ["x"]}}]}) == populated.count(NAME)


def test_none_values_refuse_restores_the_strict_refusal() -> None:
    with vectorstore.open("memory://", none_values="refuse") as store:
        store.create_collection(NAME, DIM)
        store.upsert(NAME, ["keep"], [[1, 2, 3]], metadatas=[{"a": 1}])
        ids, vectors, documents, metadatas = good_columns()
        metadatas[-1] = {"fine": 1, "k": None}
        write = lambda: store.upsert(NAME, ids, vectors, documents, metadatas)  # noqa: E731
        exc = assert_rejected(store, InvalidRecord, write, repr(ids[-1]), "'k'", "none_values")
        assert exc.key == "k"  # type: ignore[attr-defined]


def test_key_of_256_characters_is_accepted(populated: VectorStore) -> None:
    key = "k" * MAX_KEY_LENGTH
    populated.upsert(NAME, ["long-key"], [[1, 2, 3]], metadatas=[{key: 1}])
    assert populated.get(NAME, ["long-key"])[0].metadata == {key: 1}
    assert populated.count(NAME, {key: 1}) == 1


@pytest.mark.parametrize("length", [MAX_KEY_LENGTH + 1, 100_000])
def test_longer_key_last_in_batch_names_record_key_and_limit(populated: VectorStore, length: int) -> None:
    """The message names the record, the start of the key, its length and the limit, without printing it whole."""
    ids, vectors, documents, metadatas = good_columns()
    key = "k" * length
    metadatas[-1] = {"fine": "value", key: 1}
    exc = assert_rejected(
        populated,
        InvalidRecord,
        lambda: populated.upsert(NAME, ids, vectors, documents, metadatas),
        repr(NAME),
        repr(ids[-1]),
        repr(key[:40]),
        f"has {length} characters",
        f"at most {MAX_KEY_LENGTH}",
    )
    assert (exc.collection, exc.record_id, exc.key) == (NAME, ids[-1], key)  # type: ignore[attr-defined]
    assert len(str(exc)) < 300


def test_deeply_nested_value_is_refused_without_recursing(populated: VectorStore) -> None:
    """Describing why a value 10,000 lists deep is refused must not hit Python's recursion limit."""
    deep: list[Any] = [1]
    for _ in range(10_000):
        deep = [deep]
    ids, vectors, documents, metadatas = good_columns()
    metadatas[-1] = {"k": deep}
    exc = assert_rejected(populated, InvalidRecord, lambda: populated.upsert(NAME, ids, vectors, documents, metadatas))
    assert len(str(exc)) < 300


# -- records= form --------------------------------------------------------------------------------------------------


def test_records_form_validates_like_columns(populated: VectorStore) -> None:
    records: list[Any] = [Record(id=f"r{i}", vector=[1, 2, 3], metadata={"i": i}) for i in range(10)]
    records.append({"id": "r-last", "vector": [1, 2, 3], "metadata": {"bad": dt.datetime(2020, 1, 1)}})
    write = lambda: populated.upsert(NAME, records=records)  # noqa: E731
    exc = assert_rejected(populated, InvalidRecord, write, "'r-last'", "'bad'")
    assert exc.key == "bad"  # type: ignore[attr-defined]
    assert_rejected(populated, InvalidRecord, lambda: populated.upsert(NAME, records=[{"id": "novector"}]), "novector")
    assert_rejected(populated, InvalidInput, lambda: populated.upsert(NAME, records=["not a record"]))
    assert_rejected(
        populated, InvalidInput, lambda: populated.upsert(NAME, ["a"], [[1, 2, 3]], records=records[:1]), "not both"
    )


def test_records_form_writes(populated: VectorStore) -> None:
    populated.upsert(NAME, records=[Record(id="r", vector=[0, 0, 1], document="d"), {"id": "s", "vector": [1, 0, 0]}])
    got = populated.get(NAME, ["r", "s"], include=["vector", "document"])
    assert [(r.id, r.vector, r.document) for r in got] == [("r", [0.0, 0.0, 1.0], "d"), ("s", [1.0, 0.0, 0.0], None)]


# -- collection names, metric, dimension ----------------------------------------------------------------------------

BAD_NAMES: list[Any] = ["ab", "x" * 64, "-abc", "abc-", ".abc", "abc_", "a b c", "abc\n", "a/b", "äbc", "", None, 1]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:12] for n in BAD_NAMES])
def test_bad_collection_names(store: VectorStore, name: Any) -> None:
    with pytest.raises(InvalidCollectionName) as caught:
        store.create_collection(name, 3)
    assert repr(name)[:20] in str(caught.value) or name == "x" * 64
    assert store.list_collections() == []
    with pytest.raises(InvalidCollectionName):
        store.count(name)


@pytest.mark.parametrize("name", ["abc", "a.b", "A-1_b.c", "0" * 63, "x" * 3])
def test_good_collection_names(store: VectorStore, name: str) -> None:
    assert store.create_collection(name, 3).name == name
    assert [c.name for c in store.list_collections()] == [name]


@pytest.mark.parametrize("metric", ["COSINE", "euclidean", "ip", None, ""])
def test_bad_metric(store: VectorStore, metric: Any) -> None:
    with pytest.raises(InvalidInput, match="metric"):
        store.create_collection("abc", 3, metric)
    assert store.list_collections() == []


@pytest.mark.parametrize("dimension", [0, -1, True, 1.5, "3", None, 65537])
def test_bad_dimension(store: VectorStore, dimension: Any) -> None:
    with pytest.raises(InvalidInput, match="dimension"):
        store.create_collection("abc", dimension)
    assert store.list_collections() == []


@pytest.mark.parametrize("dimension", [1, 65536])
def test_dimension_bounds(store: VectorStore, dimension: int) -> None:
    assert store.create_collection("abc", dimension).dimension == dimension


# -- query arguments: k, include, query vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, -1, True, 1.5, "3", None])
def test_bad_k(populated: VectorStore, k: Any) -> None:
    with pytest.raises(InvalidInput, match="k"):
        populated.search(NAME, [1, 0, 0], k=k)


def test_numpy_integer_k_is_accepted(populated: VectorStore) -> None:
    assert len(populated.search(NAME, [1, 0, 0], k=np.int64(2))) == 2


@pytest.mark.parametrize("include", [["bogus"], ["vector", "metadatas"], 5, [["vector"]], [None]])
def test_bad_include(populated: VectorStore, include: Any) -> None:
    for call in (
        lambda: populated.get(NAME, ["keep-0"], include=include),
        lambda: populated.search(NAME, [1, 0, 0], include=include),
        lambda: next(populated.scan(NAME, include=include)),
    ):
        with pytest.raises(InvalidInput, match="include"):
            call()


def test_include_accepts_a_single_field_name(populated: VectorStore) -> None:
    (record,) = populated.get(NAME, ["keep-0"], include="vector")
    assert (record.vector, record.document, record.metadata) == ([1.0, 0.0, 0.0], None, None)


@pytest.mark.parametrize(
    ("vector", "error"),
    [
        ([1.0, math.nan, 0.0], InvalidInput),
        ([math.inf, 0.0, 0.0], InvalidInput),
        ([1e39, 0.0, 0.0], InvalidInput),
        ([1.0, 0.0], DimensionMismatch),
        ([[1.0, 0.0, 0.0]], InvalidInput),  # search takes one 1-D vector
        (["a", "b", "c"], InvalidInput),
    ],
    ids=["nan", "inf", "beyond-float32", "dimension", "2-D", "str"],
)
def test_bad_search_vector(populated: VectorStore, vector: Any, error: type) -> None:
    with pytest.raises(error):
        populated.search(NAME, vector)


@pytest.mark.parametrize(
    ("vectors", "error"),
    [([1.0, 0.0, 0.0], InvalidInput), ([[1.0, 0.0]], DimensionMismatch), ([[1.0, 0.0, math.nan]], InvalidInput)],
    ids=["1-D", "dimension", "nan"],
)
def test_bad_query_vectors(populated: VectorStore, vectors: Any, error: type) -> None:
    with pytest.raises(error):
        populated.query(NAME, vectors)


def test_get_and_delete_validate_ids(populated: VectorStore) -> None:
    with pytest.raises(InvalidRecord):
        populated.get(NAME, ["keep-0", ""])
    with pytest.raises(InvalidInput):
        populated.get(NAME, "keep-0")
    assert_rejected(populated, InvalidRecord, lambda: populated.delete(NAME, ["keep-0", 5]))
    assert_rejected(populated, DuplicateId, lambda: populated.delete(NAME, ["keep-0", "keep-0"]))


def test_scan_batch_size(populated: VectorStore) -> None:
    for bad in (0, -5, True, 2.5):
        with pytest.raises(InvalidInput, match="batch_size"):
            next(populated.scan(NAME, batch_size=bad))


def test_every_error_is_a_vectorstore_error() -> None:
    for error in (InvalidRecord, DimensionMismatch, DuplicateId, InvalidCollectionName):
        assert issubclass(error, InvalidInput) and issubclass(error, VectorStoreError)
