"""Round-trip fidelity (DESIGN 3.1): what was written comes back equal, through get, scan and query."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vectorstore.models import Metric, Record
from vectorstore.store import VectorStore

from ..checks import ALL_FIELDS, expect_no_problems, record_problems
from ..fixtures import StoreFixtures
from ..reference import Reference
from ..requirements import METRIC_PARAMS

IDS = [
    "plain",
    "with space",
    " leading space",
    "trailing space ",
    "a/b/c",
    "/",
    "ünïcødé-ид-标识",
    "emoji-🙂",
    "tab\tand\nnewline",
    "quotes '\" and \\ backslash",
    "%20*?#&=",
    "1",
    "01",
    "1.0",
    "-1",
    "0",
    "18446744073709551616",
    str(uuid.UUID(int=1)),
    "550e8400-e29b-41d4-a716-446655440000",
    "550e8400e29b41d4a716446655440000",
    "550E8400-E29B-41D4-A716-446655440000",
    "x" * 1024,
]

DOCUMENTS: list[str | None] = [
    "plain text",
    "",
    None,
    "ünïcødé ✓ 标识 🙂",
    "line one\nline two\ttab",
    "x" * 20_000,
    "  surrounding spaces  ",
]

METADATAS: list[dict[str, Any] | None] = [
    {
        "s": "text",
        "unicode": "ünïcødé ✓",
        "empty": "",
        "i": 7,
        "zero": 0,
        "negative": -42,
        "max_int": 2**53,
        "min_int": -(2**53),
        "f": 1.0,
        "tenth": 0.1,
        "negative_f": -2.5,
        "tiny": 1e-300,
        "huge": 1.5e300,
        "zero_f": 0.0,
        "t": True,
        "false": False,
    },
    {"strings": ["a", "b", "a"], "ints": [1, -2, 2**53], "floats": [0.5, 1.0, -3.25], "bools": [True, False]},
    {},
    None,
    {"one": ["only"], "int_list": [0], "float_list": [2.0], "bool_list": [False]},
    {"key with space": 1, "dotted.key": 2.0, "ünï": "ok", "k" * 200: True},
    {"flag": False, "count": 0, "ratio": 0.0, "name": "0"},
]


_UTC = dt.timezone.utc
#: Datetimes to the microsecond in several offsets, at the edges of the range (2**53 microseconds from 1970) and
#: around the epoch, and dates from the first to the last Python has.
TIMES: list[dict[str, Any]] = [
    {
        "at": dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-9, minutes=-30))),
        "day": dt.date(2024, 2, 29),
        "s": "2024-02-29",
    },
    {"at": dt.datetime(1970, 1, 1, tzinfo=_UTC), "day": dt.date(1, 1, 1)},
    {"at": dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC), "day": dt.date(9999, 12, 31)},
    {"first": dt.datetime(1970, 1, 1, tzinfo=_UTC) - dt.timedelta(microseconds=2**53)},
    {"last": dt.datetime(1970, 1, 1, tzinfo=_UTC) + dt.timedelta(microseconds=2**53)},
    {"at": dt.datetime(2000, 6, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=14))), "n": 1},
]


def _times_in_utc(records: list[Record]) -> list[str]:
    """Datetimes that did not come back in UTC (the contract: every backend returns them so)."""
    return [
        f"record {record.id!r}: {key} = {value!r} is not in UTC"
        for record in records
        for key, value in (record.metadata or {}).items()
        if type(value) is dt.datetime and value.tzinfo is not _UTC
    ]


def _check_everywhere(store: VectorStore, name: str, reference: Reference) -> None:
    """Compare every record through get, scan and a query that reaches all of them."""
    problems: list[str] = []
    ids = list(reference.rows)
    got = store.get(name, ids, include=ALL_FIELDS)
    if [r.id for r in got] != ids:
        problems.append(f"get returned ids {[r.id for r in got]!r}, expected {ids!r}")
    for record in got:
        problems += record_problems(record, reference.rows[record.id], ALL_FIELDS)
    scanned = [r for batch in store.scan(name, include=ALL_FIELDS) for r in batch]
    if sorted(r.id for r in scanned) != sorted(ids):
        problems.append(f"scan returned ids {sorted(r.id for r in scanned)!r}")
    for record in scanned:
        if record.id in reference.rows:
            problems += [f"scan: {p}" for p in record_problems(record, reference.rows[record.id], ALL_FIELDS)]
    query = next(iter(reference.rows.values())).vector.reshape(1, -1)
    for match in store.query(name, query, k=len(ids), include=ALL_FIELDS)[0]:
        if match.id not in reference.rows:
            problems.append(f"query returned unknown id {match.id!r}")
            continue
        problems += [f"query: {p}" for p in record_problems(match, reference.rows[match.id], ALL_FIELDS)]  # type: ignore[arg-type]
    expect_no_problems(problems)


class RoundTripTests(StoreFixtures):
    group = "roundtrip"

    def test_ids(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=4)
        reference = Reference()
        vectors = np.random.default_rng(10).standard_normal((len(IDS), 4)).astype(np.float32)
        store.upsert(name, IDS, vectors)
        reference.upsert(IDS, vectors)
        assert store.count(name) == len(IDS)
        _check_everywhere(store, name, reference)

    @pytest.mark.parametrize("metric", METRIC_PARAMS)
    def test_vectors(self, store: VectorStore, make_collection: Callable[..., str], metric: Metric) -> None:
        """Vectors of very different norms and magnitudes, cosine included (some backends normalise on write)."""
        generator = np.random.default_rng(11)
        scales = np.array([1e-3, 0.1, 1.0, 7.5, 1e3, 3e4], dtype=np.float32)
        vectors = (generator.standard_normal((len(scales) * 4, 16)) * np.repeat(scales, 4)[:, None]).astype(np.float32)
        vectors[0] = np.array([1.0, -1.0] * 8, dtype=np.float32) / np.float32(3.0)
        vectors[1, :] = 0.0
        vectors[1, 3] = np.float32(1e-7)
        ids = [f"v{i}" for i in range(len(vectors))]
        name = make_collection(dimension=16, metric=metric)
        store.upsert(name, ids, vectors)
        reference = Reference(metric)
        reference.upsert(ids, vectors)
        _check_everywhere(store, name, reference)

    def test_documents(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        name = make_collection(dimension=3)
        ids = [f"d{i}" for i in range(len(DOCUMENTS))]
        vectors = np.random.default_rng(12).standard_normal((len(ids), 3)).astype(np.float32)
        store.upsert(name, ids, vectors, documents=DOCUMENTS)
        reference = Reference()
        reference.upsert(ids, vectors, documents=DOCUMENTS)
        _check_everywhere(store, name, reference)

    def test_metadata(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """Each allowed type keeps its type: bool stays bool, int stays int (up to 2**53), float stays float."""
        name = make_collection(dimension=3)
        ids = [f"m{i}" for i in range(len(METADATAS))]
        vectors = np.random.default_rng(13).standard_normal((len(ids), 3)).astype(np.float32)
        store.upsert(name, ids, vectors, metadatas=METADATAS)
        reference = Reference()
        reference.upsert(ids, vectors, metadatas=METADATAS)
        _check_everywhere(store, name, reference)

    def test_datetimes_and_dates(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """A datetime comes back as the same instant, to the microsecond, in UTC; a date as a date."""
        name = make_collection(dimension=3)
        ids = [f"t{i}" for i in range(len(TIMES))]
        vectors = np.random.default_rng(15).standard_normal((len(ids), 3)).astype(np.float32)
        store.upsert(name, ids, vectors, metadatas=TIMES)
        reference = Reference()
        reference.upsert(ids, vectors, metadatas=TIMES)
        _check_everywhere(store, name, reference)
        scanned = [r for batch in store.scan(name) for r in batch]
        expect_no_problems(_times_in_utc(store.get(name, ids)) + _times_in_utc(scanned))

    def test_none_values_are_no_values(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """A None value is not stored: the key is absent on read, $exists is false, $ne and $nin match."""
        name = make_collection(dimension=3)
        vectors = np.random.default_rng(16).standard_normal((3, 3)).astype(np.float32)
        written = [{"a": None, "b": 1}, {"a": None}, {"a": "x", "b": None}]
        store.upsert(name, ["n0", "n1", "n2"], vectors, metadatas=written)
        reference = Reference()
        reference.upsert(["n0", "n1", "n2"], vectors, metadatas=[{"b": 1}, {}, {"a": "x"}])
        _check_everywhere(store, name, reference)
        counts = {
            "a exists": store.count(name, {"a": {"$exists": True}}),
            "b missing": store.count(name, {"b": {"$exists": False}}),
            "a != 'y'": store.count(name, {"a": {"$ne": "y"}}),
            "a not in ['x']": store.count(name, {"a": {"$nin": ["x"]}}),
        }
        assert counts == {"a exists": 1, "b missing": 2, "a != 'y'": 3, "a not in ['x']": 2}

    def test_records_form(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """``upsert(records=[...])`` stores the same thing as the columnar form."""
        name = make_collection(dimension=3)
        vectors = np.random.default_rng(14).standard_normal((3, 3)).astype(np.float32)
        records = [
            {"id": "r0", "vector": vectors[0].tolist(), "document": "zero", "metadata": {"n": 0}},
            {"id": "r1", "vector": vectors[1].tolist()},
            {"id": "r2", "vector": vectors[2].tolist(), "document": "", "metadata": {"l": ["x"]}},
        ]
        assert store.upsert(name, records=records).upserted == 3
        reference = Reference()
        reference.upsert(["r0", "r1", "r2"], vectors, ["zero", None, ""], [{"n": 0}, None, {"l": ["x"]}])
        _check_everywhere(store, name, reference)
