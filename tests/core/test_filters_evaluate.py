"""The meaning of filters (DESIGN 3.3), written out case by case: this table IS the definition.

Each expected value was decided by hand from DESIGN 3.3, never by running the evaluator. The same table runs through
the reference evaluator and through a real memory store (count and search), so both agree with the definition.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pytest

from vectorstore.filters import matches, parse_filter
from vectorstore.store import VectorStore

A = {"year": 2020, "genre": "news", "rating": 4.5, "draft": False, "tags": ["ai", "ml"], "ids": [1, 2, 3]}
B = {"year": 2021, "genre": "blog", "rating": 3, "draft": True}
EMPTY: dict[str, Any] = {}
NONE = None
INT1 = {"v": 1}
FLOAT1 = {"v": 1.0}
STR1 = {"v": "1"}
TRUE = {"v": True}
ONE_LIST = {"v": ["x"]}
NUM_LIST = {"v": [1, 2]}
FLOAT_LIST = {"v": [1.5]}
BOOL_LIST = {"v": [True]}
UTC = dt.timezone.utc
NOON = dt.datetime(2024, 5, 1, 12, tzinfo=UTC)
NOON_CET = dt.datetime(2024, 5, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # the same instant
DAY = dt.date(2024, 5, 1)
AT = {"v": NOON}
ON = {"v": DAY}
TEXT = "Python is fun"
YEARS = {"$or": [{"year": 2020}, {"year": 2021}]}


class Case(NamedTuple):
    where: dict[str, Any] | None
    metadata: dict[str, Any] | None
    expected: bool
    document_filter: dict[str, Any] | None = None
    document: str | None = None


CASES: list[Case] = [
    # equality, implicit $eq, implicit AND
    Case({"year": 2020}, A, True),
    Case({"year": 2021}, A, False),
    Case({"year": 2020.0}, A, True),  # 1 == 1.0
    Case({"v": 1.0}, INT1, True),
    Case({"v": 1}, FLOAT1, True),
    Case({"v": True}, INT1, False),  # bool never equals a number
    Case({"v": 1}, TRUE, False),
    Case({"v": 0}, {"v": False}, False),
    Case({"v": False}, {"v": 0}, False),
    Case({"v": "1"}, INT1, False),  # str never equals a number
    Case({"v": 1}, STR1, False),
    Case({"genre": "News"}, A, False),  # case-sensitive
    Case({"genre": "news"}, A, True),
    Case({"year": 2020}, EMPTY, False),  # missing field
    Case({"year": 2020}, NONE, False),
    Case({"v": {"$eq": "x"}}, ONE_LIST, False),  # a list never equals a scalar
    Case({"year": 2020, "genre": "news"}, A, True),
    Case({"year": 2020, "genre": "blog"}, A, False),
    Case({"v": {"$eq": True}}, TRUE, True),
    Case({"v": {"$eq": ""}}, {"v": ""}, True),
    # $ne: matches missing fields, lists and other kinds
    Case({"year": {"$ne": 2020}}, A, False),
    Case({"year": {"$ne": 2021}}, A, True),
    Case({"year": {"$ne": 2020}}, EMPTY, True),
    Case({"year": {"$ne": 2020}}, NONE, True),
    Case({"v": {"$ne": 1}}, TRUE, True),
    Case({"v": {"$ne": 1}}, FLOAT1, False),
    Case({"v": {"$ne": "1"}}, INT1, True),
    Case({"v": {"$ne": "x"}}, ONE_LIST, True),
    Case({"v": {"$ne": 1}}, NUM_LIST, True),
    # ranges: numbers only
    Case({"year": {"$gt": 2019}}, A, True),
    Case({"year": {"$gt": 2020}}, A, False),
    Case({"year": {"$gte": 2020}}, A, True),
    Case({"year": {"$lt": 2020}}, A, False),
    Case({"year": {"$lte": 2020}}, A, True),
    Case({"rating": {"$gt": 4}}, A, True),  # float field, int operand
    Case({"rating": {"$lt": 4.5}}, A, False),
    Case({"rating": {"$lte": 4.5}}, A, True),
    Case({"year": {"$gt": 2019.5}}, A, True),  # int field, float operand
    Case({"year": {"$gt": 2020}}, EMPTY, False),
    Case({"year": {"$lt": 3000}}, NONE, False),
    Case({"v": {"$gt": 0}}, TRUE, False),  # a bool is not a number
    Case({"v": {"$gte": 0}}, {"v": False}, False),
    Case({"v": {"$lt": 5}}, STR1, False),  # nor is a str
    Case({"v": {"$gt": 0}}, NUM_LIST, False),  # lists never answer ranges
    Case({"v": {"$lt": 100}}, FLOAT_LIST, False),
    Case({"year": {"$gt": 2019, "$lt": 2021}}, A, True),
    Case({"year": {"$gt": 2020, "$lt": 2021}}, A, False),
    Case({"v": {"$gte": -(2**53)}}, {"v": -(2**53)}, True),
    Case({"v": {"$gt": 2**53 - 1}}, {"v": 2**53}, True),
    # $in / $nin
    Case({"genre": {"$in": ["news", "blog"]}}, A, True),
    Case({"genre": {"$in": ["blog"]}}, A, False),
    Case({"genre": {"$in": ["news"]}}, A, True),
    Case({"year": {"$in": [2020.0]}}, A, True),
    Case({"v": {"$in": [1, 2]}}, TRUE, False),
    Case({"v": {"$in": [True]}}, INT1, False),
    Case({"v": {"$in": ["1"]}}, INT1, False),
    Case({"genre": {"$in": ["news"]}}, EMPTY, False),
    Case({"v": {"$in": ["x"]}}, ONE_LIST, False),  # lists never answer $in
    Case({"genre": {"$nin": ["blog"]}}, A, True),
    Case({"genre": {"$nin": ["news", "blog"]}}, A, False),
    Case({"genre": {"$nin": ["news"]}}, EMPTY, True),  # missing matches $nin
    Case({"genre": {"$nin": ["news"]}}, NONE, True),
    Case({"v": {"$nin": ["x"]}}, ONE_LIST, True),  # lists always match $nin
    Case({"v": {"$nin": [1]}}, TRUE, True),
    Case({"v": {"$nin": [1]}}, FLOAT1, False),
    # $exists
    Case({"year": {"$exists": True}}, A, True),
    Case({"year": {"$exists": False}}, A, False),
    Case({"year": {"$exists": True}}, EMPTY, False),
    Case({"year": {"$exists": False}}, EMPTY, True),
    Case({"year": {"$exists": False}}, NONE, True),
    Case({"tags": {"$exists": True}}, A, True),  # lists answer $exists
    Case({"v": {"$exists": True}}, {"v": False}, True),  # falsy values exist
    Case({"v": {"$exists": True}}, {"v": ""}, True),
    Case({"v": {"$exists": True}}, {"v": 0}, True),
    # $contains: the list field holds the value
    Case({"tags": {"$contains": "ai"}}, A, True),
    Case({"tags": {"$contains": "AI"}}, A, False),
    Case({"tags": {"$contains": "a"}}, A, False),  # element equality, not a substring
    Case({"ids": {"$contains": 2}}, A, True),
    Case({"ids": {"$contains": 2.0}}, A, True),
    Case({"ids": {"$contains": True}}, {"ids": [1, 2]}, False),
    Case({"v": {"$contains": 1}}, BOOL_LIST, False),
    Case({"v": {"$contains": True}}, BOOL_LIST, True),
    Case({"v": {"$contains": 1.5}}, FLOAT_LIST, True),
    Case({"v": {"$contains": "x"}}, ONE_LIST, True),  # one-element list
    Case({"v": {"$contains": "x"}}, {"v": "x"}, False),  # never a scalar
    Case({"v": {"$contains": "x"}}, {"v": "xyz"}, False),
    Case({"v": {"$contains": "x"}}, EMPTY, False),
    Case({"v": {"$contains": "1"}}, NUM_LIST, False),
    Case({"tags": {"$contains": "ai", "$exists": True}}, A, True),
    Case({"tags": {"$eq": "ai"}}, A, False),
    # $not: NOT of the whole (NAND), matches records missing the field
    Case({"$not": {"year": 2020}}, A, False),
    Case({"$not": {"year": 2021}}, A, True),
    Case({"$not": {"year": 2020}}, EMPTY, True),
    Case({"$not": {"year": {"$gt": 2000}}}, EMPTY, True),
    Case({"$not": {"year": 2020, "genre": "blog"}}, A, True),  # NAND: one side false
    Case({"$not": {"year": 2020, "genre": "news"}}, A, False),
    Case({"year": {"$not": {"$gt": 2020}}}, A, True),
    Case({"year": {"$not": {"$gte": 2020}}}, A, False),
    Case({"year": {"$not": {"$gt": 2020}}}, EMPTY, True),
    Case({"$not": {"tags": {"$contains": "ai"}}}, A, False),
    Case({"$not": {"tags": {"$contains": "zz"}}}, {"tags": "zz"}, True),
    Case({"$not": {"$not": {"year": 2020}}}, A, True),
    Case({"$not": {"year": {"$exists": True}}}, EMPTY, True),
    Case({"$not": {"$or": [{"year": 2020}, {"genre": "blog"}]}}, A, False),
    Case({"$not": {"v": {"$in": [1]}}}, TRUE, True),
    # $and / $or, nested, one-element
    Case({"$and": [{"year": 2020}, {"genre": "news"}]}, A, True),
    Case({"$and": [{"year": 2020}, {"genre": "blog"}]}, A, False),
    Case({"$or": [{"year": 1999}, {"genre": "news"}]}, A, True),
    Case({"$or": [{"year": 1999}, {"genre": "blog"}]}, A, False),
    Case({"$or": [{"year": 2020}]}, A, True),
    Case({"$and": [{"year": 2021}]}, A, False),
    Case({"$or": [{"missing": 1}, {"missing": {"$ne": 1}}]}, A, True),
    Case({"$and": [YEARS, {"$or": [{"genre": "blog"}, {"draft": False}]}]}, A, True),
    Case({"$and": [YEARS, {"$or": [{"genre": "blog"}, {"draft": False}]}]}, B, True),
    Case({"$and": [YEARS, {"$or": [{"genre": "news"}, {"draft": False}]}]}, B, False),
    Case({"$or": [{"$and": [{"year": 2021}, {"draft": True}]}, {"rating": {"$gt": 4}}]}, B, True),
    Case({"$or": [{"$and": [{"year": 2021}, {"draft": True}]}, {"rating": {"$gt": 4}}]}, A, True),
    Case({"$or": [{"$and": [{"year": 2021}, {"draft": True}]}, {"rating": {"$gt": 4}}]}, EMPTY, False),
    Case({"$and": [{"year": {"$gte": 2020}}, {"$not": {"draft": True}}]}, A, True),
    Case({"$and": [{"year": {"$gte": 2020}}, {"$not": {"draft": True}}]}, B, False),
    Case({"$or": [{"year": 2020}], "genre": "blog"}, A, False),
    Case({"$or": [{"a": {"$exists": False}}, {"a": 1}]}, NONE, True),
    Case({"a": {"$in": [1]}}, NONE, False),
    Case({"a": {"$ne": "x"}}, EMPTY, True),
    # datetimes compare as instants; dates as days; a date and a datetime are different kinds (as in Python)
    Case({"v": NOON_CET}, AT, True),
    Case({"v": {"$gte": NOON}}, AT, True),
    Case({"v": {"$gt": NOON}}, AT, False),
    Case({"v": {"$lt": NOON + dt.timedelta(microseconds=1)}}, AT, True),
    Case({"v": {"$in": [NOON_CET]}}, AT, True),
    Case({"v": {"$nin": [NOON]}}, AT, False),
    Case({"v": {"$ne": NOON}}, EMPTY, True),
    Case({"v": {"$gt": NOON}}, EMPTY, False),
    Case({"$not": {"v": {"$gt": NOON}}}, EMPTY, True),
    Case({"v": {"$not": {"$lte": NOON}}}, INT1, True),  # a number is not a datetime
    Case({"v": {"$gt": NOON - dt.timedelta(days=1)}}, INT1, False),
    Case({"v": {"$gt": 0}}, AT, False),  # a number range never matches a datetime
    Case({"v": "2024-05-01T12:00:00+00:00"}, AT, False),  # nor a string
    Case({"v": DAY}, AT, False),  # a date never equals a datetime, even at midnight
    Case({"v": dt.datetime(2024, 5, 1, tzinfo=UTC)}, ON, False),
    Case({"v": {"$gte": dt.date(2024, 5, 1)}}, AT, False),
    Case({"v": {"$gte": dt.date(2024, 5, 1)}}, ON, True),
    Case({"v": {"$lt": dt.date(2024, 5, 1)}}, ON, False),
    Case({"v": {"$exists": True}}, ON, True),
    # document $contains: case-sensitive substring; no document never matches
    Case(None, EMPTY, True, {"$contains": "Python"}, TEXT),
    Case(None, EMPTY, False, {"$contains": "python"}, TEXT),
    Case(None, EMPTY, True, {"$contains": "is f"}, TEXT),
    Case(None, EMPTY, False, {"$contains": "x"}, None),
    Case(None, EMPTY, False, {"$contains": "x"}, ""),
    Case(None, NONE, True, {"$contains": "é"}, "café"),
    Case({"year": 2020}, A, True, {"$contains": "fun"}, TEXT),
    Case({"year": 2021}, A, False, {"$contains": "fun"}, TEXT),
    Case({"genre": "news"}, A, False, {"$contains": "Java"}, TEXT),
    Case(None, NONE, True),  # no filter matches everything
    Case({}, NONE, True),
]


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.where}-{c.document_filter}"[:80] for i, c in enumerate(CASES)])
def test_reference_evaluator(case: Case) -> None:
    assert matches(parse_filter(case.where, case.document_filter), case.metadata, case.document) is case.expected


def test_memory_store_agrees_with_the_table(store: VectorStore) -> None:
    """Every case through count and search of a real store: one collection per case, one record in it."""
    for i, case in enumerate(CASES):
        name = f"case-{i}"
        store.create_collection(name, 2)
        store.upsert(name, ["r"], [[1.0, 0.0]], [case.document], [case.metadata])
        expected = 1 if case.expected else 0
        assert store.count(name, where=case.where, document=case.document_filter) == expected, case
        hits = store.search(name, [1.0, 0.0], k=3, where=case.where, document=case.document_filter)
        assert [hit.id for hit in hits] == ["r"] * expected, case
