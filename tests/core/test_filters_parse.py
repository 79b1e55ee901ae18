"""The filter parser: every malformed shape gets a typed error whose message starts with the path of the bad node."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest

from vectorstore.errors import InvalidFilter, UnsupportedFilter
from vectorstore.filters import And, Condition, DocumentContains, Not, Or, operators, parse_document, parse_filter
from vectorstore.filters import parse_where
from vectorstore.filters.parse import MAX_CONTAINS_LENGTH, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_VALUES

UTC = dt.timezone.utc
from vectorstore.store import VectorStore
from vectorstore.validation import MAX_KEY_LENGTH

# (where, error, path the message starts with, a fragment of the rest)
MALFORMED: list[tuple[Any, type[Exception], str, str]] = [
    # not a dict
    ("year", InvalidFilter, "where", "expected a dict"),
    (5, InvalidFilter, "where", "expected a dict"),
    ([{"a": 1}], InvalidFilter, "where", "expected a dict"),
    # empty operator dict, nested field dicts, list as a value, None as a value
    ({"a": {}}, InvalidFilter, "where.a", "empty"),
    ({"a": {"b": 1}}, InvalidFilter, "where.a.b", "nested"),
    ({"a": {"$eq": 1, "b": 2}}, InvalidFilter, "where.a.b", "nested"),
    ({"a": [1, 2]}, InvalidFilter, "where.a", "$in"),
    ({"a": None}, InvalidFilter, "where.a", "NoneType"),
    ({"a": {"$eq": None}}, InvalidFilter, "where.a.$eq", "NoneType"),
    ({"a": {"$eq": [1]}}, InvalidFilter, "where.a.$eq", "$in"),
    ({"a": {"$ne": {"x": 1}}}, InvalidFilter, "where.a.$ne", "dict"),
    ({"a": {"$eq": np.int64(3)}}, InvalidFilter, "where.a.$eq", "int64"),
    ({"a": {"$eq": math.nan}}, InvalidFilter, "where.a.$eq", "finite"),
    ({"a": {"$eq": 2**53 + 1}}, InvalidFilter, "where.a.$eq", "2**53"),
    ({"a": {"$contains": ["x"]}}, InvalidFilter, "where.a.$contains", "list"),
    ({"a": {"$contains": None}}, InvalidFilter, "where.a.$contains", "NoneType"),
    # unknown operators
    ({"a": {"$regex": "x"}}, UnsupportedFilter, "where.a.$regex", "unsupported"),
    ({"a": {"$size": 1}}, UnsupportedFilter, "where.a.$size", "unsupported"),
    ({"a": {"$and": [{"$gt": 1}]}}, UnsupportedFilter, "where.a.$and", "unsupported"),
    ({"$where": "1 == 1"}, UnsupportedFilter, "where.$where", "unsupported"),
    ({"$nor": [{"a": 1}]}, UnsupportedFilter, "where.$nor", "unsupported"),
    # ranges take numbers only
    ({"a": {"$gt": "2020"}}, InvalidFilter, "where.a.$gt", "expected a number, got str '2020'"),
    ({"a": {"$gte": True}}, InvalidFilter, "where.a.$gte", "expected a number, got bool True"),
    ({"a": {"$lt": None}}, InvalidFilter, "where.a.$lt", "expected a number"),
    ({"a": {"$lte": [1]}}, InvalidFilter, "where.a.$lte", "expected a number"),
    ({"a": {"$lt": np.float64(1.0)}}, InvalidFilter, "where.a.$lt", "expected a number"),
    ({"a": {"$gt": math.inf}}, InvalidFilter, "where.a.$gt", "finite"),
    ({"a": {"$gt": math.nan}}, InvalidFilter, "where.a.$gt", "finite"),
    ({"a": {"$gt": -(2**53) - 1}}, InvalidFilter, "where.a.$gt", "2**53"),
    # datetimes: aware, within 2**53 microseconds of 1970; never in lists; a date is another kind
    ({"a": {"$gt": dt.datetime(2020, 1, 1)}}, InvalidFilter, "where.a.$gt", "no timezone"),
    ({"a": dt.datetime(2020, 1, 1)}, InvalidFilter, "where.a", "datetime.timezone.utc"),
    ({"a": {"$lt": dt.datetime(2300, 1, 1, tzinfo=UTC)}}, InvalidFilter, "where.a.$lt", "2**53 microseconds"),
    ({"a": {"$gt": dt.time(1)}}, InvalidFilter, "where.a.$gt", "expected a number"),
    ({"a": {"$contains": dt.date(2020, 1, 1)}}, InvalidFilter, "where.a.$contains", "lists of datetimes"),
    ({"a": {"$in": [dt.date(2020, 1, 1), dt.datetime(2020, 1, 1, tzinfo=UTC)]}}, InvalidFilter, "where.a.$in", "one kind"),
    ({"a": {"$in": [dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2020, 1, 1)]}}, InvalidFilter, "where.a.$in[1]", "no timezone"),
    ({"a": None}, InvalidFilter, "where.a", "{'$exists': False}"),
    # $in / $nin: non-empty list of one kind
    ({"a": {"$in": []}}, InvalidFilter, "where.a.$in", "non-empty list"),
    ({"a": {"$nin": []}}, InvalidFilter, "where.a.$nin", "non-empty list"),
    ({"a": {"$in": "abc"}}, InvalidFilter, "where.a.$in", "non-empty list"),
    ({"a": {"$in": ("a", "b")}}, InvalidFilter, "where.a.$in", "non-empty list"),
    ({"a": {"$in": {"a"}}}, InvalidFilter, "where.a.$in", "non-empty list"),
    ({"a": {"$in": 1}}, InvalidFilter, "where.a.$in", "non-empty list"),
    ({"a": {"$in": [1, "1"]}}, InvalidFilter, "where.a.$in", "one kind"),
    ({"a": {"$in": [True, 1]}}, InvalidFilter, "where.a.$in", "one kind"),
    ({"a": {"$nin": ["x", False]}}, InvalidFilter, "where.a.$nin", "one kind"),
    ({"a": {"$in": ["x", None]}}, InvalidFilter, "where.a.$in[1]", "NoneType"),
    ({"a": {"$in": [[1]]}}, InvalidFilter, "where.a.$in[0]", "list"),
    ({"a": {"$nin": [1.0, math.nan]}}, InvalidFilter, "where.a.$nin[1]", "finite"),
    # $exists takes a bool
    ({"a": {"$exists": 1}}, InvalidFilter, "where.a.$exists", "true or false"),
    ({"a": {"$exists": "yes"}}, InvalidFilter, "where.a.$exists", "true or false"),
    ({"a": {"$exists": None}}, InvalidFilter, "where.a.$exists", "true or false"),
    # $and / $or: non-empty list of filters
    ({"$and": {"a": 1}}, InvalidFilter, "where.$and", "non-empty list"),
    ({"$and": []}, InvalidFilter, "where.$and", "non-empty list"),
    ({"$or": []}, InvalidFilter, "where.$or", "non-empty list"),
    ({"$or": "a"}, InvalidFilter, "where.$or", "non-empty list"),
    ({"$or": ({"a": 1},)}, InvalidFilter, "where.$or", "non-empty list"),
    ({"$and": [{"a": 1}, 5]}, InvalidFilter, "where.$and[1]", "expected a dict"),
    ({"$and": [{"a": 1}, {}]}, InvalidFilter, "where.$and[1]", "empty"),
    ({"$or": [{"a": 1}, {"$and": [{"b": {"$in": []}}]}]}, InvalidFilter, "where.$or[1].$and[0].b.$in", "non-empty"),
    # $not: one filter
    ({"$not": [{"a": 1}]}, InvalidFilter, "where.$not", "expected a dict"),
    ({"$not": {}}, InvalidFilter, "where.$not", "empty"),
    ({"a": {"$not": 5}}, InvalidFilter, "where.a.$not", "operator dict"),
    ({"a": {"$not": {}}}, InvalidFilter, "where.a.$not", "empty"),
    ({"$not": {"a": {"$gt": "x"}}}, InvalidFilter, "where.$not.a.$gt", "expected a number"),
    # reserved and malformed keys
    ({"_vs_present": 1}, InvalidFilter, "where._vs_present", "reserved"),
    ({"#id": 1}, InvalidFilter, "where.#id", "reserved"),
    ({"": 1}, InvalidFilter, "where.", "non-empty"),
    ({1: 1}, InvalidFilter, "where.1", "non-empty str"),
    # an operator without a field
    ({"$eq": 1}, InvalidFilter, "where.$eq", "needs a field"),
    ({"$gt": 1}, InvalidFilter, "where.$gt", "needs a field"),
    ({"$in": [1]}, InvalidFilter, "where.$in", "needs a field"),
    ({"$exists": True}, InvalidFilter, "where.$exists", "needs a field"),
    ({"$contains": "x"}, InvalidFilter, "where.$contains", "needs a field"),
    ({"$and": [{"$ne": 2}]}, InvalidFilter, "where.$and[0].$ne", "needs a field"),
]


@pytest.mark.parametrize(("where", "error", "path", "fragment"), MALFORMED, ids=[str(c[0])[:40] for c in MALFORMED])
def test_malformed_where(where: Any, error: type[Exception], path: str, fragment: str) -> None:
    with pytest.raises(error) as caught:
        parse_where(where)
    assert type(caught.value) is error  # UnsupportedFilter is not an InvalidFilter, nor the other way round
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert fragment in message, message


def test_the_issue_example_message_verbatim() -> None:
    with pytest.raises(InvalidFilter) as caught:
        parse_where({"$and": [{"genre": "news"}, {"year": {"$gt": "2020"}}]})
    assert str(caught.value) == (
        "where.$and[1].year.$gt: expected a number, got str '2020' (ranges take numbers, datetimes and dates)"
    )


DOCUMENT_MALFORMED: list[tuple[Any, type[Exception], str]] = [
    ("text", InvalidFilter, "document"),
    ({}, InvalidFilter, "document"),
    ({"$contains": ""}, InvalidFilter, "document.$contains"),
    ({"$contains": 5}, InvalidFilter, "document.$contains"),
    ({"$contains": ["a"]}, InvalidFilter, "document.$contains"),
    ({"$regex": "a.*"}, UnsupportedFilter, "document.$regex"),
    ({"$not_contains": "a"}, UnsupportedFilter, "document.$not_contains"),
]


@pytest.mark.parametrize(("document", "error", "path"), DOCUMENT_MALFORMED, ids=[str(c[0]) for c in DOCUMENT_MALFORMED])
def test_malformed_document_filter(document: Any, error: type[Exception], path: str) -> None:
    with pytest.raises(error) as caught:
        parse_document(document)
    assert type(caught.value) is error
    assert str(caught.value).startswith(f"{path}: ")


def test_empty_filters_mean_no_filter() -> None:
    assert parse_where(None) is None
    assert parse_where({}) is None
    assert parse_document(None) is None
    assert parse_filter(None, None) is None


def test_tree_shapes() -> None:
    assert parse_where({"a": 1}) == Condition("a", "$eq", 1)
    assert parse_where({"a": {"$eq": 1}}) == Condition("a", "$eq", 1)
    assert parse_where({"a": 1, "b": "x"}) == And((Condition("a", "$eq", 1), Condition("b", "$eq", "x")))
    assert parse_where({"a": {"$gt": 1, "$lte": 2.5}}) == And((Condition("a", "$gt", 1), Condition("a", "$lte", 2.5)))
    assert parse_where({"a": {"$in": ["x", "y"]}}) == Condition("a", "$in", ("x", "y"))
    assert parse_where({"$and": [{"a": 1}]}) == Condition("a", "$eq", 1)
    assert parse_where({"$or": [{"a": 1}, {"b": 2}]}) == Or((Condition("a", "$eq", 1), Condition("b", "$eq", 2)))
    assert parse_where({"$not": {"a": 1, "b": 2}}) == Not(And((Condition("a", "$eq", 1), Condition("b", "$eq", 2))))
    assert parse_where({"a": {"$not": {"$gt": 3}}}) == Not(Condition("a", "$gt", 3))
    assert parse_filter({"a": True}, {"$contains": "x"}) == And((Condition("a", "$eq", True), DocumentContains("x")))
    assert parse_filter(None, {"$contains": "x"}) == DocumentContains("x")


def test_operators_used_by_a_tree() -> None:
    node = parse_filter({"$or": [{"a": {"$in": [1]}}, {"$not": {"b": {"$exists": True}}}]}, {"$contains": "t"})
    assert operators(node) == {"$and", "$or", "$in", "$not", "$exists", "$document"}
    assert operators(None) == set()


def test_bad_filters_are_raised_before_any_write(store: VectorStore) -> None:
    store.create_collection("docs", 2)
    store.upsert("docs", ["a", "b"], [[1, 0], [0, 1]], metadatas=[{"year": 2020}, {"year": 2021}])
    for where in ({"year": {"$gt": "2020"}}, {"year": {"$regex": "20"}}):
        with pytest.raises((InvalidFilter, UnsupportedFilter)):
            store.delete("docs", where=where)
        with pytest.raises((InvalidFilter, UnsupportedFilter)):
            store.count("docs", where=where)
        with pytest.raises((InvalidFilter, UnsupportedFilter)):
            store.search("docs", [1, 0], where=where)
    with pytest.raises(InvalidFilter):
        store.delete("docs", document={"$contains": ""})
    assert store.count("docs") == 2


# -- limits (docs/contract.md "Limits"): each is accepted at the limit and refused one past it, before any backend call


def _nots(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"a": 1}
    for _ in range(levels):
        node = {"$not": node}
    return node


def _mixed(levels: int) -> dict[str, Any]:
    """``levels`` nested levels cycling through $and, $or, $not and a dict of several keys."""
    node: dict[str, Any] = {"a": 1}
    for level in range(levels):
        kind = level % 4
        if kind == 0:
            node = {"$and": [node, {"b": 2}]}
        elif kind == 1:
            node = {"$or": [node, {"b": 3}]}
        elif kind == 2:
            node = {"$not": node}
        else:
            node = {"c": {"$exists": False}, **node}  # the implicit $and of c and the $not above is the level
    return node


def _field_nots(levels: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"$gt": 1}
    for _ in range(levels):
        spec = {"$not": spec}
    return {"a": spec}


DEEP = [_nots, _mixed, _field_nots]


@pytest.mark.parametrize("build", DEEP, ids=[b.__name__.strip("_") for b in DEEP])
def test_depth_limit(build: Any) -> None:
    """32 levels parse; 33 are refused with the limit named."""
    assert parse_where(build(MAX_FILTER_DEPTH)) is not None
    with pytest.raises(InvalidFilter) as caught:
        parse_where(build(MAX_FILTER_DEPTH + 1))
    assert f"more than {MAX_FILTER_DEPTH} levels deep" in str(caught.value)
    assert str(caught.value).startswith("where.")


def test_mixed_depth_counts_every_level() -> None:
    """_mixed(n) really nests n levels in the tree: the depth rule counts what adapters receive."""

    def depth(node: Any) -> int:
        if isinstance(node, (And, Or)):
            return 1 + max(depth(child) for child in node.children)
        return 1 + depth(node.child) if isinstance(node, Not) else 0

    assert depth(parse_where(_mixed(MAX_FILTER_DEPTH))) == MAX_FILTER_DEPTH


@pytest.mark.parametrize(
    "where",
    [_nots(5000), {"$not": _nots(5000)["$not"]}, {"$and": [_nots(20_000)]}, _field_nots(5000)],
    ids=["not-5000", "again", "and-of-not-20000", "field-not-5000"],
)
def test_deep_filters_never_reach_the_recursion_limit(where: Any) -> None:
    with pytest.raises(InvalidFilter, match="levels deep"):
        parse_where(where)


def test_deeply_nested_operand_is_described_without_recursing() -> None:
    """The error message's repr of a refused value is bounded too (a list nested 10,000 deep)."""
    value: list[Any] = []
    for _ in range(10_000):
        value = [value]
    for where in ({"a": {"$in": [value]}}, {"$not": value}, {"a": value}):
        with pytest.raises(InvalidFilter) as caught:
            parse_where(where)
        assert len(str(caught.value)) < 300


def test_node_limit() -> None:
    """512 conditions and logical operators parse (511 conditions in an $or); one more is refused."""
    assert isinstance(parse_where({"$or": [{"a": i} for i in range(MAX_FILTER_NODES - 1)]}), Or)
    # two fields in one dict: 2 conditions + the implicit $and; 170 of them in an $or are 511 nodes
    assert isinstance(parse_where({"$or": [{"a": i, "b": i} for i in range(MAX_FILTER_NODES // 3)]}), Or)
    for where in (
        {"$or": [{"a": i} for i in range(MAX_FILTER_NODES)]},
        {"$or": [{"a": i, "b": i} for i in range(MAX_FILTER_NODES // 3 + 1)]},
        {f"k{i}": {"$gt": i, "$lt": i + 1} for i in range(MAX_FILTER_NODES // 3 + 1)},
    ):
        with pytest.raises(InvalidFilter) as caught:
            parse_where(where)
        assert f"more than {MAX_FILTER_NODES} conditions and logical operators" in str(caught.value)


def test_node_limit_stops_before_reading_the_rest() -> None:
    """A million-wide $or is refused at its 512th child: the path names it."""
    with pytest.raises(InvalidFilter) as caught:
        parse_where({"$or": [{"a": i} for i in range(1_000_000)]})
    assert str(caught.value).startswith(f"where.$or[{MAX_FILTER_NODES - 1}].a: ")


def test_value_limit_counts_every_list() -> None:
    half = MAX_FILTER_VALUES // 2
    at_limit = {"a": {"$in": list(range(half))}, "b": {"$nin": [str(i) for i in range(half)]}}
    assert isinstance(parse_where(at_limit), And)
    for where in (
        {"a": {"$in": list(range(MAX_FILTER_VALUES + 1))}},
        {"a": {"$in": list(range(half))}, "b": {"$nin": [str(i) for i in range(half + 1)]}},
        {"$or": [{"a": {"$in": list(range(half))}}, {"$not": {"a": {"$in": list(range(half + 1))}}}]},
    ):
        with pytest.raises(InvalidFilter) as caught:
            parse_where(where)
        assert f"more than {MAX_FILTER_VALUES} values" in str(caught.value)


def test_document_text_limit() -> None:
    """Characters, not bytes: 10,000 four-byte characters are accepted."""
    assert parse_document({"$contains": "\U0001f600" * MAX_CONTAINS_LENGTH}) == DocumentContains(
        "\U0001f600" * MAX_CONTAINS_LENGTH
    )
    with pytest.raises(InvalidFilter) as caught:
        parse_document({"$contains": "x" * (MAX_CONTAINS_LENGTH + 1)})
    message = str(caught.value)
    assert message.startswith("document.$contains: ") and f"at most {MAX_CONTAINS_LENGTH}" in message
    assert len(message) < 300


def test_key_length_limit_in_filters() -> None:
    assert parse_where({"k" * MAX_KEY_LENGTH: 1}) == Condition("k" * MAX_KEY_LENGTH, "$eq", 1)
    for length in (MAX_KEY_LENGTH + 1, 100_000):
        with pytest.raises(InvalidFilter) as caught:
            parse_where({"$and": [{"a": 1}, {"k" * length: 1}]})
        message = str(caught.value)
        assert message.startswith("where.$and[1].kkkk") and f"has {length} characters" in message, message
        assert f"at most {MAX_KEY_LENGTH}" in message and len(message) < 300


def test_long_operator_names_are_shortened_in_messages() -> None:
    for where in ({"a": {"$" + "x" * 100_000: 1}}, {"$" + "x" * 100_000: 1}, {"a": {"x" * 100_000: 1}}):
        with pytest.raises((InvalidFilter, UnsupportedFilter)) as caught:
            parse_where(where)
        assert len(str(caught.value)) < 400
