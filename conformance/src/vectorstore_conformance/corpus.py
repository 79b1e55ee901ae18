"""The filter corpus: records with every awkward shape, and filters for every operator of DESIGN 3.3.

Records mix types across records for the same key (an int here, a str or bool or list there), lack fields or have no
metadata at all, and hold documents that are absent, empty or unicode. Filters are grouped in families named after
the operator they exercise; a family is skipped (and reported) when the adapter lacks that operator, and a filter in
it that also uses another unsupported operator must raise ``UnsupportedFilter``. Expected results always come from
the reference evaluator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from vectorstore.filters import Where
from vectorstore.models import Metadata

FilterCase = tuple[Where, Where]  # (where, document)
CorpusRecord = tuple[str, "str | None", "Metadata | None"]  # (id, document, metadata)

_NUMBERS: list[int | float] = [0, 1, 2, 3, -3, 5, 2**53]
_FLOATS = [0.5, -1.5, 2.25, 1.0, 0.0]
_MIXED_NUM: list[int | float] = [1, 1.0, 2.5, -3, 2]
_STRINGS = ["apple", "banana", "cherry", "", "1", "Apple"]
_TAGS = [["red"], ["red", "green"], ["green", "blue"], ["blue", "red", "green"]]
_MIXED: list[Any] = [1, "1", True, 1.0, [1], ["1"], 0, False, "true"]
_DOCUMENTS = ["The quick brown fox {i}", "lazy dog", None, "", "Fox and hound", "ünïcødé fox"]


def _generated(i: int) -> tuple[str, str | None, Metadata | None]:
    metadata: Metadata = {"mixed": _MIXED[i % 9], "num": _MIXED_NUM[i % 5]}
    if i % 9:
        metadata["n"] = _NUMBERS[i % 7]
    if i % 6 != 1:
        metadata["x"] = _FLOATS[i % 5]
    if i % 8 != 3:
        metadata["s"] = _STRINGS[i % 6]
    if i % 5 != 4:
        metadata["b"] = i % 2 == 0
    if i % 3:
        metadata["tags"] = _TAGS[i % 4]
    if i % 4 == 0:
        metadata["nums"] = [[1, 2], [2, 3], [5]][i % 3]
    if i % 7 == 2:
        metadata["flags"] = [[True], [False, True]][i % 2]
    if i % 10 == 5:
        metadata["fl"] = [0.5, 1.5]
    document = _DOCUMENTS[i % 6]
    return f"g{i}", None if document is None else document.format(i=i), metadata


_EDGES: list[tuple[str, str | None, Metadata | None]] = [
    ("none-md", "no metadata at all", None),
    ("empty-md", None, {}),
    ("b-int-1", "bool field holding an int", {"b": 1, "n": True}),
    ("b-int-0", None, {"b": 0, "x": False}),
    ("s-num", "string field holding a number", {"s": 1, "n": "1"}),
    ("n-float", "", {"n": 1.0, "x": 1, "num": 2}),
    ("big", "big numbers", {"n": 2**53, "x": -1e300}),
    ("neg", "negative numbers", {"n": -(2**53), "x": 1e-300}),
    ("tags-one", "fox", {"tags": ["red"]}),
    ("tags-str", "FOX", {"tags": "red", "nums": 2}),
    ("nums-float", "fox fox", {"nums": [2.0, 3.5], "fl": [1.0]}),
    ("flags-int", None, {"flags": [1, 0], "mixed": [True]}),
    ("zero", "zero values", {"n": 0, "x": 0.0, "num": 0, "b": False, "s": "", "mixed": 0.0}),
    ("unicode", "ünïcødé", {"s": "ünï", "tags": ["ünï", "red"], "mixed": "ünï"}),
    ("dollar-doc", "costs $5 (50%) [x]", {"s": "$5", "n": 5}),
    ("spaces", " fox ", {"s": " apple", "tags": ["red "]}),
]

RECORDS: list[CorpusRecord] = [_generated(i) for i in range(32)] + _EDGES


def _where(*filters: dict[str, Any]) -> list[FilterCase]:
    return [(where, None) for where in filters]


FAMILIES: dict[str, tuple[str, list[FilterCase]]] = {
    "eq": (
        "filter_eq",
        _where(
            {"n": 1},
            {"n": {"$eq": 1}},
            {"n": 0},
            {"n": -3},
            {"n": 2**53},
            {"n": -(2**53)},
            {"n": 1.0},
            {"n": True},
            {"n": "1"},
            {"num": 1},
            {"num": 1.0},
            {"num": 2.5},
            {"x": 0.5},
            {"x": 0.0},
            {"x": 1},
            {"x": False},
            {"s": "apple"},
            {"s": "Apple"},
            {"s": ""},
            {"s": "1"},
            {"s": 1},
            {"s": " apple"},
            {"b": True},
            {"b": False},
            {"b": 1},
            {"b": 0},
            {"mixed": 1},
            {"mixed": "1"},
            {"mixed": True},
            {"mixed": 0},
            {"mixed": False},
            {"tags": "red"},
            {"nums": 2},
            {"absent": 1},
            {"s": "ünï"},
        ),
    ),
    "ne": (
        "filter_ne",
        _where(
            {"n": {"$ne": 1}},
            {"n": {"$ne": 0}},
            {"num": {"$ne": 1.0}},
            {"s": {"$ne": "apple"}},
            {"s": {"$ne": ""}},
            {"b": {"$ne": True}},
            {"b": {"$ne": 1}},
            {"mixed": {"$ne": 1}},
            {"mixed": {"$ne": "1"}},
            {"tags": {"$ne": "red"}},
            {"absent": {"$ne": 1}},
            {"x": {"$ne": 0}},
        ),
    ),
    "gt": (
        "filter_gt",
        _where(
            {"n": {"$gt": 2}},
            {"n": {"$gt": -4}},
            {"x": {"$gt": 0.5}},
            {"num": {"$gt": 1}},
            {"mixed": {"$gt": 0}},
            {"b": {"$gt": 0}},
            {"s": {"$gt": 0}},
            {"tags": {"$gt": 0}},
            {"n": {"$gt": 2**53 - 1}},
            {"x": {"$gt": 1e300}},
        ),
    ),
    "gte": (
        "filter_gte",
        _where(
            {"n": {"$gte": 2}},
            {"x": {"$gte": 0.5}},
            {"num": {"$gte": 1}},
            {"mixed": {"$gte": 1}},
            {"n": {"$gte": 2.5}},
            {"nums": {"$gte": 1}},
            {"x": {"$gte": -1e300}},
        ),
    ),
    "lt": (
        "filter_lt",
        _where(
            {"n": {"$lt": 0}},
            {"x": {"$lt": -1.5}},
            {"x": {"$lt": 1e-299}},
            {"num": {"$lt": 1.0}},
            {"b": {"$lt": 1}},
            {"n": {"$lt": -(2**53) + 1}},
            {"mixed": {"$lt": 1}},
        ),
    ),
    "lte": (
        "filter_lte",
        _where(
            {"n": {"$lte": 0}},
            {"x": {"$lte": -1.5}},
            {"num": {"$lte": 1}},
            {"n": {"$lte": 1.0}},
            {"s": {"$lte": 100}},
            {"fl": {"$lte": 2}},
        ),
    ),
    "in": (
        "filter_in",
        _where(
            {"n": {"$in": [1, 2]}},
            {"n": {"$in": [1.0, 5.5]}},
            {"s": {"$in": ["apple", "cherry"]}},
            {"s": {"$in": ["", "1"]}},
            {"num": {"$in": [1.0, 2.5]}},
            {"b": {"$in": [True]}},
            {"b": {"$in": [1, 0]}},
            {"mixed": {"$in": [1]}},
            {"mixed": {"$in": ["1", "x"]}},
            {"tags": {"$in": ["red"]}},
            {"n": {"$in": [99]}},
            {"absent": {"$in": ["a"]}},
        ),
    ),
    "nin": (
        "filter_nin",
        _where(
            {"n": {"$nin": [1, 2]}},
            {"s": {"$nin": ["apple", ""]}},
            {"b": {"$nin": [False]}},
            {"mixed": {"$nin": [1, 0]}},
            {"tags": {"$nin": ["red"]}},
            {"num": {"$nin": [2]}},
            {"absent": {"$nin": [1]}},
        ),
    ),
    "exists": (
        "filter_exists",
        _where(
            {"n": {"$exists": True}},
            {"n": {"$exists": False}},
            {"tags": {"$exists": True}},
            {"tags": {"$exists": False}},
            {"absent": {"$exists": True}},
            {"absent": {"$exists": False}},
            {"b": {"$exists": False}},
            {"s": {"$exists": True}},
            {"fl": {"$exists": True}},
        ),
    ),
    "contains": (
        "filter_contains",
        _where(
            {"tags": {"$contains": "red"}},
            {"tags": {"$contains": "re"}},
            {"tags": {"$contains": "ünï"}},
            {"nums": {"$contains": 2}},
            {"nums": {"$contains": 2.0}},
            {"nums": {"$contains": 3.5}},
            {"flags": {"$contains": True}},
            {"flags": {"$contains": 1}},
            {"fl": {"$contains": 0.5}},
            {"fl": {"$contains": 1}},
            {"s": {"$contains": "app"}},
            {"s": {"$contains": "apple"}},
            {"mixed": {"$contains": 1}},
            {"mixed": {"$contains": True}},
            {"mixed": {"$contains": "1"}},
            {"absent": {"$contains": 1}},
        ),
    ),
    "and": (
        "filter_and",
        _where(
            {"$and": [{"n": 1}, {"s": "apple"}]},
            {"n": 2, "b": True},
            {"n": {"$gte": 1, "$lte": 3}},
            {"$and": [{"tags": {"$contains": "red"}}, {"b": False}]},
            {"$and": [{"x": {"$gt": 0}}, {"x": {"$lt": 1}}]},
            {"$and": [{"n": {"$exists": True}}, {"n": {"$ne": 0}}, {"s": {"$in": ["apple", "banana"]}}]},
            {"$and": [{"$and": [{"num": 1}, {"b": True}]}, {"tags": {"$exists": False}}]},
            {"$and": [{"n": 1}, {"n": 2}]},
            {"s": "apple", "tags": {"$contains": "green"}, "b": True},
        ),
    ),
    "or": (
        "filter_or",
        _where(
            {"$or": [{"n": 1}, {"s": "banana"}]},
            {"$or": [{"absent": 1}, {"b": True}]},
            {"$or": [{"n": {"$lt": 0}}, {"x": {"$gt": 1}}]},
            {"$or": [{"n": 1}]},
            {"$or": [{"tags": {"$contains": "blue"}}, {"nums": {"$contains": 5}}, {"mixed": "1"}]},
            {"$or": [{"$or": [{"n": 0}, {"n": 5}]}, {"s": {"$nin": ["apple"]}}]},
            {"$or": [{"n": {"$exists": False}}, {"s": {"$exists": False}}]},
        ),
    ),
    "not": (
        "filter_not",
        _where(
            {"$not": {"n": 1}},
            {"n": {"$not": {"$eq": 1}}},
            {"$not": {"n": {"$gt": 2}}},
            {"n": {"$not": {"$lte": 2}}},
            {"$not": {"$and": [{"n": 1}, {"b": True}]}},
            {"$not": {"$or": [{"n": 1}, {"s": "apple"}]}},
            {"$not": {"$not": {"n": 1}}},
            {"tags": {"$not": {"$contains": "red"}}},
            {"$not": {"n": {"$exists": True}}},
            {"$not": {"s": {"$in": ["apple", "banana"]}}},
            {"$not": {"mixed": {"$ne": 1}}},
            {"$not": {"n": {"$gte": 0, "$lte": 3}}},
        ),
    ),
    "document": (
        "document_contains",
        [
            (None, {"$contains": "fox"}),
            (None, {"$contains": "Fox"}),
            (None, {"$contains": "FOX"}),
            (None, {"$contains": "ünï"}),
            (None, {"$contains": "$5 (50%) [x]"}),
            (None, {"$contains": "%"}),
            (None, {"$contains": " "}),
            (None, {"$contains": "quick brown fox 1"}),
            (None, {"$contains": "absent text"}),
            ({"b": True}, {"$contains": "fox"}),
            ({"$or": [{"n": 1}, {"s": "apple"}]}, {"$contains": "o"}),
        ],
    ),
    "combined": (
        "filter_and",
        _where(
            {"$and": [{"$or": [{"n": {"$lt": 2}}, {"tags": {"$contains": "blue"}}]}, {"$not": {"b": False}}]},
            {"$or": [{"$and": [{"s": "apple"}, {"b": True}]}, {"$not": {"x": {"$exists": True}}}]},
            {"$not": {"$or": [{"mixed": {"$in": [1, 0]}}, {"$and": [{"n": {"$gte": 3}}, {"num": {"$ne": 2.5}}]}]}},
            {"$and": [{"n": {"$nin": [0, 1]}}, {"$or": [{"x": {"$lte": 0.5}}, {"s": {"$in": ["cherry", "1"]}}]}]},
            {
                "tags": {"$contains": "red", "$exists": True},
                "$or": [{"nums": {"$exists": False}}, {"fl": {"$exists": True}}],
            },
            {"$or": [{"$not": {"$not": {"s": ""}}}, {"$and": [{"b": {"$ne": True}}, {"mixed": {"$gt": -1}}]}]},
        ),
    ),
}


def all_filters() -> list[FilterCase]:
    return [case for _, cases in FAMILIES.values() for case in cases]


# -- datetimes and dates (DESIGN 3.1) --------------------------------------------------------------------------------

_UTC = dt.timezone.utc
_PLUS2 = dt.timezone(dt.timedelta(hours=2))
T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=_UTC)
_AT: list[Any] = [
    T0,
    T0 + dt.timedelta(microseconds=1),
    T0 - dt.timedelta(microseconds=1),
    dt.datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=_PLUS2),  # T0 written in another offset
    dt.datetime(1970, 1, 1, tzinfo=_UTC),
    dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC),
    dt.datetime(1700, 1, 1, tzinfo=_UTC),
    dt.date(2024, 5, 1),  # a date: another kind
    dt.date(1, 1, 1),
    "2024-05-01T12:00:00.123456+00:00",  # a string: another kind
    1714564800123456,  # T0's epoch microseconds as a number: another kind
    True,
    ["2024-05-01"],
]

#: Records whose ``at`` holds datetimes in several offsets, dates and values of other kinds, or is missing.
TIME_RECORDS: list[CorpusRecord] = [
    (f"t{i}", None, {"at": value, "n": i, **({"day": dt.date(2024, 1, 1 + i % 28)} if i % 3 else {})})
    for i, value in enumerate(_AT)
] + [("t-missing", "no at", {"n": -1}), ("t-none", None, None)]

TIME_FILTERS: list[FilterCase] = _where(
    {"at": T0},
    {"at": dt.datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=_PLUS2)},
    {"at": {"$ne": T0}},
    {"at": {"$gt": T0}},
    {"at": {"$gte": T0}},
    {"at": {"$lt": T0}},
    {"at": {"$lte": dt.datetime(1970, 1, 1, tzinfo=_UTC)}},
    {"at": {"$gt": dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=_UTC)}},
    {"at": {"$gte": dt.datetime(1690, 1, 1, tzinfo=_UTC), "$lt": T0}},
    {"at": {"$in": [T0, dt.datetime(1970, 1, 1, tzinfo=_UTC)]}},
    {"at": {"$nin": [T0]}},
    {"at": dt.date(2024, 5, 1)},
    {"at": {"$gte": dt.date(2024, 5, 1)}},
    {"at": {"$lt": dt.date(2000, 1, 1)}},
    {"at": {"$in": [dt.date(1, 1, 1), dt.date(2024, 5, 1)]}},
    {"at": {"$gt": 0}},
    {"at": "2024-05-01T12:00:00.123456+00:00"},
    {"at": {"$exists": True}},
    {"at": {"$exists": False}},
    {"$not": {"at": {"$gt": T0}}},
    {"at": {"$not": {"$lte": T0}}},
    {"$not": {"at": {"$gte": dt.date(2024, 5, 1)}}},
    {"$not": {"at": {"$in": [T0]}}},
    {"$not": {"at": {"$exists": True}}},
    {"$or": [{"at": {"$lt": dt.datetime(1971, 1, 1, tzinfo=_UTC)}}, {"day": {"$gte": dt.date(2024, 1, 10)}}]},
    {"$and": [{"day": {"$exists": True}}, {"$not": {"at": {"$lt": T0}}}]},
    {"$and": [{"day": {"$lte": dt.date(2024, 1, 5)}}, {"n": {"$gt": 1}}]},
    {"day": {"$ne": dt.date(2024, 1, 2)}},
    {"day": {"$nin": [dt.date(2024, 1, 2), dt.date(2024, 1, 5)]}},
)
