"""Bad input (DESIGN 3.1, 3.3): every rule raises its typed error and writes nothing, wherever the bad record is.

Each case runs against a collection holding records; a snapshot of everything stored is taken before and compared
after, so an adapter that wrote half a batch (or a store that validated late) fails. The limits of docs/contract.md
are proven from both sides: one past a limit is refused, and a filter or record at the limit is answered exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vectorstore.errors import (
    DimensionMismatch,
    DuplicateId,
    InvalidFilter,
    InvalidInput,
    InvalidRecord,
    UnsupportedFilter,
    VectorStoreError,
)
from vectorstore.filters import operators, parse_filter
from vectorstore.filters.parse import MAX_CONTAINS_LENGTH, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_VALUES
from vectorstore.store import VectorStore
from vectorstore.validation import MAX_KEY_LENGTH

from .. import data
from ..checks import expect_no_problems, match_problems, snapshot
from ..fixtures import StoreFixtures
from ..reference import Reference
from ..requirements import operator_requirement, requires

DIM = 4
N = 20


def _filled(store: VectorStore, make_collection: Callable[..., str]) -> str:
    name = make_collection(dimension=DIM)
    ids = data.ids("ok", N)
    store.upsert(name, ids, data.gaussian(90, N, DIM), [f"doc {i}" for i in range(N)], [{"i": i} for i in range(N)])
    return name


def _nested(levels: int) -> dict[str, Any]:
    """A filter ``levels`` deep cycling through $and, $or and $not (so every logical operator nests)."""
    node: dict[str, Any] = {"i": {"$gte": 2}}
    for level in range(levels):
        kind = level % 3
        if kind == 0:
            node = {"$and": [node, {"i": {"$lt": 17}}]}
        elif kind == 1:
            node = {"$or": [node, {"i": level % N}]}
        else:
            node = {"$not": node}
    return node


def _nots(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"i": 1}
    for _ in range(levels):
        node = {"$not": node}
    return node


def _values(count: int) -> dict[str, Any]:
    """``count`` values in two lists; the fractional ones are the costliest for Chroma (up to 4 SQL variables each)."""
    first = count // 2
    return {
        "$and": [
            {"i": {"$in": [j + 0.5 for j in range(first - 2)] + [4, 7]}},
            {"i": {"$nin": [j + 0.25 for j in range(count - first - 1)] + [7]}},
        ]
    }


#: One long key and one long document, at the limits, joined to the filled collection by the limit tests.
LONG_KEY = "k" * MAX_KEY_LENGTH
LONG_TEXT = "\U0001f600" * MAX_CONTAINS_LENGTH  # 4 bytes each in UTF-8: the costliest characters for a byte limit


def _batch(bad_index: int, **change: Any) -> dict[str, Any]:
    """A 50-record batch: ten replacements of stored records, then new ones; ``change`` spoils record ``bad_index``.

    A bad id of ``new0`` or ``ok3`` duplicates another id of the batch wherever it is put.
    """
    ids = [f"ok{i}" for i in range(10)] + [f"new{i}" for i in range(40)]
    vectors: list[Any] = data.gaussian(91, 50, DIM).tolist()
    documents: list[Any] = ["replaced"] * 50
    metadatas: list[Any] = [{"new": True}] * 50
    if "id" in change:
        ids[bad_index] = change["id"]
    if "vector" in change:
        vectors[bad_index] = change["vector"]
    if "document" in change:
        documents[bad_index] = change["document"]
    if "metadata" in change:
        metadatas[bad_index] = change["metadata"]
    return {"ids": ids, "vectors": vectors, "documents": documents, "metadatas": metadatas}


BAD_RECORDS: list[tuple[str, dict[str, Any], type[VectorStoreError]]] = [
    ("empty id", {"id": ""}, InvalidRecord),
    ("int id", {"id": 5}, InvalidRecord),
    ("None id", {"id": None}, InvalidRecord),
    ("1025-char id", {"id": "x" * 1025}, InvalidRecord),
    ("duplicate id", {"id": "new0"}, DuplicateId),
    ("duplicate of a replacement", {"id": "ok3"}, DuplicateId),
    ("short vector", {"vector": [1.0] * (DIM - 1)}, InvalidInput),
    ("long vector", {"vector": [1.0] * (DIM + 1)}, InvalidInput),
    ("NaN", {"vector": [1.0, math.nan, 0.0, 0.0]}, InvalidRecord),
    ("inf", {"vector": [1.0, 0.0, math.inf, 0.0]}, InvalidRecord),
    ("-inf", {"vector": [-math.inf, 0.0, 0.0, 0.0]}, InvalidRecord),
    ("beyond float32", {"vector": [1e39, 0.0, 0.0, 0.0]}, InvalidRecord),
    ("text in vector", {"vector": ["a", "b", "c", "d"]}, InvalidInput),
    ("int document", {"document": 5}, InvalidRecord),
    ("bytes document", {"document": b"text"}, InvalidRecord),
    ("metadata not a dict", {"metadata": ["a", 1]}, InvalidRecord),
    ("naive datetime", {"metadata": {"k": dt.datetime(2020, 1, 1)}}, InvalidRecord),
    ("datetime beyond 2**53 us", {"metadata": {"k": dt.datetime(2300, 1, 1, tzinfo=dt.timezone.utc)}}, InvalidRecord),
    ("list of datetimes", {"metadata": {"k": [dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)]}}, InvalidRecord),
    ("list of dates", {"metadata": {"k": [dt.date(2020, 1, 1)]}}, InvalidRecord),
    ("time value", {"metadata": {"k": dt.time(12)}}, InvalidRecord),
    ("nested dict", {"metadata": {"k": {"a": 1}}}, InvalidRecord),
    ("numpy int", {"metadata": {"k": np.int64(1)}}, InvalidRecord),
    ("numpy float", {"metadata": {"k": np.float32(1.5)}}, InvalidRecord),
    ("numpy bool", {"metadata": {"k": np.bool_(True)}}, InvalidRecord),
    ("NaN value", {"metadata": {"k": math.nan}}, InvalidRecord),
    ("inf value", {"metadata": {"k": math.inf}}, InvalidRecord),
    ("int beyond 2**53", {"metadata": {"k": 2**53 + 1}}, InvalidRecord),
    ("int below -2**53", {"metadata": {"k": -(2**53) - 1}}, InvalidRecord),
    ("empty list", {"metadata": {"k": []}}, InvalidRecord),
    ("mixed list", {"metadata": {"k": [1, "a"]}}, InvalidRecord),
    ("int and bool list", {"metadata": {"k": [1, True]}}, InvalidRecord),
    ("list with None", {"metadata": {"k": ["a", None]}}, InvalidRecord),
    ("nested list", {"metadata": {"k": [[1]]}}, InvalidRecord),
    ("tuple value", {"metadata": {"k": (1, 2)}}, InvalidRecord),
    ("set value", {"metadata": {"k": {1}}}, InvalidRecord),
    ("bytes value", {"metadata": {"k": b"x"}}, InvalidRecord),
    ("empty key", {"metadata": {"": 1}}, InvalidRecord),
    ("$ key", {"metadata": {"$k": 1}}, InvalidRecord),
    ("# key", {"metadata": {"#k": 1}}, InvalidRecord),
    ("reserved _vs_ key", {"metadata": {"_vs_k": 1}}, InvalidRecord),
    ("int key", {"metadata": {1: "a"}}, InvalidRecord),
    (f"{MAX_KEY_LENGTH + 1}-char key", {"metadata": {"k" * (MAX_KEY_LENGTH + 1): 1}}, InvalidRecord),
    ("100,000-char key", {"metadata": {"k" * 100_000: 1}}, InvalidRecord),
]

BAD_FILTERS: list[tuple[str, Any, Any, type[VectorStoreError]]] = [
    ("range on str", {"i": {"$gt": "1"}}, None, InvalidFilter),
    ("range on bool", {"i": {"$lte": True}}, None, InvalidFilter),
    ("range on list", {"i": {"$gte": [1]}}, None, InvalidFilter),
    ("range on NaN", {"i": {"$lt": math.nan}}, None, InvalidFilter),
    ("empty $in", {"i": {"$in": []}}, None, InvalidFilter),
    ("scalar $in", {"i": {"$in": 1}}, None, InvalidFilter),
    ("tuple $nin", {"i": {"$nin": (1, 2)}}, None, InvalidFilter),
    ("mixed $in", {"i": {"$in": [1, "1"]}}, None, InvalidFilter),
    ("$in with None", {"i": {"$in": [None]}}, None, InvalidFilter),
    ("empty $and", {"$and": []}, None, InvalidFilter),
    ("dict $or", {"$or": {"i": 1}}, None, InvalidFilter),
    ("int $exists", {"i": {"$exists": 1}}, None, InvalidFilter),
    ("list value", {"i": [1, 2]}, None, InvalidFilter),
    ("None value", {"i": None}, None, InvalidFilter),
    ("naive datetime operand", {"i": {"$gt": dt.datetime(2020, 1, 1)}}, None, InvalidFilter),
    ("$contains of a date", {"i": {"$contains": dt.date(2020, 1, 1)}}, None, InvalidFilter),
    ("date and datetime in one $in", {"i": {"$in": [dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)]}}, None, InvalidFilter),
    ("dict value", {"i": {}}, None, InvalidFilter),
    ("nested field", {"i": {"a": 1}}, None, InvalidFilter),
    ("operator without field", {"$eq": 1}, None, InvalidFilter),
    ("empty key", {"": 1}, None, InvalidFilter),
    ("reserved key", {"_vs_keys": "i"}, None, InvalidFilter),
    ("$not of a list", {"$not": [{"i": 1}]}, None, InvalidFilter),
    ("not a dict", ["i", 1], None, InvalidFilter),
    ("numpy operand", {"i": np.int64(1)}, None, InvalidFilter),
    ("empty document text", None, {"$contains": ""}, InvalidFilter),
    ("document not a dict", None, "fox", InvalidFilter),
    ("int document text", None, {"$contains": 1}, InvalidFilter),
    ("unknown operator", {"i": {"$regex": "1"}}, None, UnsupportedFilter),
    ("unknown logic", {"$nor": [{"i": 1}]}, None, UnsupportedFilter),
    ("unknown document operator", None, {"$regex": "x"}, UnsupportedFilter),
    (f"{MAX_FILTER_DEPTH + 1} levels", _nested(MAX_FILTER_DEPTH + 1), None, InvalidFilter),
    ("5,000 levels of $not", _nots(5000), None, InvalidFilter),
    (
        f"{MAX_FILTER_NODES + 1} nodes",
        {"$or": [{"i": j} for j in range(MAX_FILTER_NODES)]},  # 512 conditions and the $or
        None,
        InvalidFilter,
    ),
    (f"{MAX_FILTER_VALUES + 1} list values", _values(MAX_FILTER_VALUES + 1), None, InvalidFilter),
    (f"{MAX_KEY_LENGTH + 1}-char key", {"k" * (MAX_KEY_LENGTH + 1): 1}, None, InvalidFilter),
    (
        f"{MAX_CONTAINS_LENGTH + 1}-char document text",
        None,
        {"$contains": "\U0001f600" * (MAX_CONTAINS_LENGTH + 1)},
        InvalidFilter,
    ),
]

#: Filters exactly at each limit: every backend must answer them like the reference.
AT_LIMIT: list[tuple[str, Any, Any]] = [
    (f"{MAX_FILTER_DEPTH} levels", _nested(MAX_FILTER_DEPTH), None),
    (f"{MAX_FILTER_DEPTH} levels of $not", _nots(MAX_FILTER_DEPTH), None),
    (
        f"{MAX_FILTER_NODES} nodes",
        {"$or": [{"i": 1000 + j} for j in range(MAX_FILTER_NODES - 2)] + [{"i": 3}]},  # 511 conditions and the $or
        None,
    ),
    (f"{MAX_FILTER_VALUES} list values", _values(MAX_FILTER_VALUES), None),
    (f"{MAX_KEY_LENGTH}-char key", {LONG_KEY: "long"}, None),
    (f"{MAX_CONTAINS_LENGTH}-char document text", None, {"$contains": LONG_TEXT}),
]


def _at_limit_param(label: str, where: Any, document: Any) -> Any:
    needed = sorted(operator_requirement(op) for op in operators(parse_filter(where, document)))
    return pytest.param(where, document, marks=requires(*needed), id=label)


def _calls(store: VectorStore, name: str, where: Any, document: Any) -> dict[str, Callable[[], object]]:
    query = np.ones((1, DIM), dtype=np.float32)
    return {
        "count": lambda: store.count(name, where, document),
        "scan": lambda: next(iter(store.scan(name, where, document)), None),
        "query": lambda: store.query(name, query, 3, where, document),
        "search": lambda: store.search(name, query[0], 3, where, document),
        "delete": lambda: store.delete(name, where=where, document=document),
    }


class BadInputTests(StoreFixtures):
    group = "bad_input"

    @pytest.mark.parametrize("position", ["first", "last"])
    def test_bad_record_writes_nothing(
        self, store: VectorStore, make_collection: Callable[..., str], position: str
    ) -> None:
        """Every rule of DESIGN 3.1, with the bad record first or last in a 50-record batch."""
        name = _filled(store, make_collection)
        before = snapshot(store, name)
        problems = []
        index = 0 if position == "first" else 49
        for label, change, error in BAD_RECORDS:
            batch = _batch(index, **change)
            try:
                store.upsert(name, **batch)
            except error as exc:
                metadata = change.get("metadata")
                if isinstance(metadata, dict):
                    record_id, key = batch["ids"][index], str(next(iter(metadata)))[:40]  # long keys are shortened
                    if record_id not in str(exc) or key not in str(exc):
                        problems.append(f"{label}: message does not name record {record_id!r} and key {key!r}: {exc}")
            except Exception as exc:  # any other type is the failure being reported
                problems.append(f"{label}: raised {type(exc).__name__}: {exc}, expected {error.__name__}")
            else:
                problems.append(f"{label}: accepted, expected {error.__name__}")
            if snapshot(store, name) != before:
                problems.append(f"{label}: the rejected batch changed the collection")
                before = snapshot(store, name)
        expect_no_problems(problems)

    def test_bad_batch_shape(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = _filled(store, make_collection)
        before = snapshot(store, name)
        two = data.gaussian(92, 2, DIM)
        cases: list[tuple[str, Callable[[], object], type[VectorStoreError]]] = [
            ("no ids", lambda: store.upsert(name, [], np.empty((0, DIM), np.float32)), InvalidInput),
            ("ids as a str", lambda: store.upsert(name, "ab", two), InvalidInput),
            ("fewer vectors", lambda: store.upsert(name, ["a", "b", "c"], two), InvalidInput),
            ("1-D vectors", lambda: store.upsert(name, ["a"], two[0]), InvalidInput),
            ("3-D vectors", lambda: store.upsert(name, ["a", "b"], two.reshape(2, 1, DIM)), InvalidInput),
            ("wrong dimension", lambda: store.upsert(name, ["a", "b"], np.ones((2, DIM + 2))), DimensionMismatch),
            ("ragged vectors", lambda: store.upsert(name, ["a", "b"], [[1.0] * DIM, [1.0]]), InvalidInput),
            ("documents too short", lambda: store.upsert(name, ["a", "b"], two, documents=["x"]), InvalidInput),
            ("documents a str", lambda: store.upsert(name, ["a", "b"], two, documents="xy"), InvalidInput),
            ("metadatas too long", lambda: store.upsert(name, ["a", "b"], two, metadatas=[{}, {}, {}]), InvalidInput),
            ("metadatas a dict", lambda: store.upsert(name, ["a", "b"], two, metadatas={"k": 1}), InvalidInput),
            (
                "records and columns",
                lambda: store.upsert(name, ["a"], two[:1], records=[{"id": "b", "vector": two[1]}]),
                InvalidInput,
            ),
            ("record without vector", lambda: store.upsert(name, records=[{"id": "a"}]), InvalidInput),
            ("record not a mapping", lambda: store.upsert(name, records=["a"]), InvalidInput),
            ("get ids a str", lambda: store.get(name, "ok1"), InvalidInput),
            ("get int id", lambda: store.get(name, [1]), InvalidInput),
            ("unknown include", lambda: store.get(name, ["ok1"], include=["vectors"]), InvalidInput),
            ("include an int", lambda: store.get(name, ["ok1"], include=5), InvalidInput),
            ("delete empty id", lambda: store.delete(name, [""]), InvalidInput),
            ("delete duplicate ids", lambda: store.delete(name, ["ok1", "ok1"]), InvalidInput),
        ]
        problems = []
        for label, call, error in cases:
            try:
                call()
            except error:
                pass
            except Exception as exc:
                problems.append(f"{label}: raised {type(exc).__name__}: {exc}, expected {error.__name__}")
            else:
                problems.append(f"{label}: accepted, expected {error.__name__}")
        expect_no_problems(problems)
        assert snapshot(store, name) == before

    def test_bad_filter(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """Malformed filters are InvalidFilter, undefined operators UnsupportedFilter, before any backend call."""
        name = _filled(store, make_collection)
        before = snapshot(store, name)
        problems = []
        for label, where, document, error in BAD_FILTERS:
            for operation, call in _calls(store, name, where, document).items():
                try:
                    call()
                except error:
                    pass
                except Exception as exc:
                    problems.append(
                        f"{label} ({operation}): raised {type(exc).__name__}: {exc}, expected {error.__name__}"
                    )
                else:
                    problems.append(f"{label} ({operation}): accepted, expected {error.__name__}")
        expect_no_problems(problems)
        assert snapshot(store, name) == before

    @pytest.mark.parametrize(("where", "document"), [_at_limit_param(*case) for case in AT_LIMIT])
    def test_filter_at_the_limit_is_answered(
        self, store: VectorStore, make_collection: Callable[..., str], where: Any, document: Any
    ) -> None:
        """What the contract allows, every backend evaluates: count, scan, search and delete agree with the reference."""
        name = _filled(store, make_collection)
        long = {"ids": ["long"], "vectors": data.gaussian(93, 1, DIM), "documents": [f"<{LONG_TEXT}>"]}
        store.upsert(name, **long, metadatas=[{LONG_KEY: "long", "i": 3}])
        reference = Reference("cosine")
        reference.upsert(data.ids("ok", N), data.gaussian(90, N, DIM), [f"doc {i}" for i in range(N)],
                         [{"i": i} for i in range(N)])
        reference.upsert(**long, metadatas=[{LONG_KEY: "long", "i": 3}])
        expected = sorted(reference.select(where, document))
        assert expected, "the case must select something, or it proves little"
        problems = []
        if store.count(name, where, document) != len(expected):
            problems.append(f"count {store.count(name, where, document)}, expected {len(expected)}")
        scanned = sorted(r.id for batch in store.scan(name, where, document) for r in batch)
        if scanned != expected:
            problems.append(f"scan {scanned}, expected {expected}")
        query = data.gaussian(94, 1, DIM)[0]
        problems += match_problems(store.search(name, query, 5, where, document), reference, query, 5, where, document)
        deleted = store.delete(name, where=where, document=document)
        if deleted not in (None, len(expected)) or store.count(name) != N + 1 - len(expected):
            problems.append(f"delete removed {deleted}, {store.count(name)} records left of {N + 1}")
        expect_no_problems(problems)
