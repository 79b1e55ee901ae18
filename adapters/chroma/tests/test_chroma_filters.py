"""Differential check of the filter translation against the reference evaluator, on real Chroma.

The corpus and filters aim at the gaps between Chroma and the reference meaning: ``$exists``, ``$not`` of every
operator, int and float lists under ``$contains``, fractional numbers against int values (chroma#7491, negative
bounds included), bools next to 0 and 1, lists next to scalars, missing fields, records without metadata and
documents that are absent, empty or unicode. Expected ids always come from :func:`vectorstore.filters.matches`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from vectorstore_chroma.filters import to_where

import vectorstore
from vectorstore.errors import UnsupportedFilter
from vectorstore.filters import And, Condition, Node, Not, Or, matches, parse_filter
from vectorstore.store import VectorStore

NUMBERS: list[Any] = [-3, -2, -1, 0, 1, 2, 3, -2.5, -0.5, 0.5, 2.5, 1.0, -2.0, 2**53, -(2**53)]
SCALARS: list[Any] = [*NUMBERS, True, False, "a", "b", "", "1", "ünï"]
LISTS: list[Any] = [[1, 2], [2], [-2, 3], [1.0, 2.5], [2.0], [True], [False, True], ["a", "b"], ["1"], ["ünï", ""]]
KEYS = ("n", "m", "tags", "s")
DOCUMENTS = [None, "", "alpha beta", "Alpha", "beta gamma", "ünïcødé", "50% [x]", " a "]
DIM = 4


def corpus(seed: int = 7, size: int = 90) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    rng = random.Random(seed)
    records: list[tuple[str, str | None, dict[str, Any] | None]] = [("none", "no metadata", None), ("empty", None, {})]
    for i in range(size):
        metadata = {key: rng.choice(SCALARS if rng.random() < 0.7 else LISTS) for key in KEYS if rng.random() < 0.6}
        records.append((f"r{i}", rng.choice(DOCUMENTS), metadata))
    for number in NUMBERS:  # every number on its own, so fractional bounds meet their int neighbours
        records.append((f"n={number!r}", None, {"n": number}))
    return records


def _operand(rng: random.Random, op: str) -> Any:
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return rng.choice(NUMBERS)
    if op == "$exists":
        return rng.random() < 0.5
    if op in ("$in", "$nin"):
        kind = rng.choice(["number", "bool", "str"])
        pool = {"number": NUMBERS, "bool": [True, False], "str": ["a", "b", "", "1"]}[kind]
        return rng.sample(pool, rng.randint(1, min(3, len(pool))))
    return rng.choice(SCALARS)


def random_filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    if depth < 3 and rng.random() < 0.45:
        kind = rng.choice(["$and", "$or", "$not", "keys"])
        if kind == "$not":
            return {"$not": random_filter(rng, depth + 1)}
        if kind == "keys":
            return {**random_filter(rng, 3), **random_filter(rng, 3)}
        return {kind: [random_filter(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    op = rng.choice(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$contains"])
    condition: dict[str, Any] = {op: _operand(rng, op)}
    if rng.random() < 0.25:
        condition = {"$not": condition}
    return {rng.choice(KEYS): condition}


def filter_cases(count: int, seed: int) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    rng = random.Random(seed)
    for _ in range(count):
        document = {"$contains": rng.choice(["a", "alpha", "ünï", "%", " ", "Alpha", "zzz"])} if rng.random() < 0.2 else None
        yield random_filter(rng), document


def _fill(store: VectorStore, name: str) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    records = corpus()
    vectors = np.random.default_rng(3).standard_normal((len(records), DIM)).astype(np.float32)
    store.create_collection(name, DIM, "cosine")
    store.upsert(name, [r[0] for r in records], vectors, [r[1] for r in records], [r[2] for r in records])
    return records


def _problems(store: VectorStore, name: str, records: list[Any], where: Any, document: Any) -> list[str]:
    node = parse_filter(where, document)
    expected = sorted(i for i, doc, metadata in records if matches(node, metadata, doc))
    scanned = sorted(r.id for batch in store.scan(name, where=where, document=document, include=()) for r in batch)
    problems = []
    if scanned != expected:
        extra, missing = sorted(set(scanned) - set(expected)), sorted(set(expected) - set(scanned))
        problems.append(f"where={where} document={document}: extra {extra}, missing {missing}")
    if store.count(name, where=where, document=document) != len(expected):
        problems.append(f"where={where} document={document}: count differs from {len(expected)}")
    return problems


def _differential(url: str, name: str, count: int, seed: int) -> None:
    with vectorstore.open(url) as store:
        records = _fill(store, name)
        try:
            problems = [p for where, doc in filter_cases(count, seed) for p in _problems(store, name, records, where, doc)]
            # query sees the same filtered set (k above the corpus size returns every match)
            for where, doc in list(filter_cases(count, seed))[:20]:
                node = parse_filter(where, doc)
                expected = {i for i, d, metadata in records if matches(node, metadata, d)}
                found = {m.id for m in store.search(name, np.ones(DIM), k=len(records), where=where, document=doc)}
                if found != expected:
                    problems.append(f"query where={where} document={doc}: {sorted(found ^ expected)} differ")
        finally:
            store.delete_collection(name)
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems[:30])


def test_random_filters_embedded(memory_url: str) -> None:
    _differential(memory_url, "filters-embedded", count=400, seed=11)


def test_random_filters_server(http_url: str) -> None:
    _differential(http_url, "filters-server", count=120, seed=12)


@pytest.mark.parametrize("bound", [-2.5, -0.5, 0.5, 2.5])
@pytest.mark.parametrize("op", ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"])
def test_fractional_bounds_against_ints(memory_url: str, op: str, bound: float) -> None:
    """chroma#7491 compares ints with a truncated bound; every operator, negated too, must still be exact."""
    with vectorstore.open(memory_url) as store:
        numbers = [-3, -2, -1, 0, 1, 2, 3, bound, float(int(bound))]
        ids = [f"v{i}" for i in range(len(numbers))]
        store.create_collection("fractions", 2)
        store.upsert("fractions", ids, np.ones((len(ids), 2)), metadatas=[{"n": n} for n in numbers])
        operand = [bound] if op in ("$in", "$nin") else bound
        for where in ({"n": {op: operand}}, {"$not": {"n": {op: operand}}}):
            node = parse_filter(where)
            expected = sorted(i for i, n in zip(ids, numbers) if matches(node, {"n": n}))
            got = sorted(r.id for batch in store.scan("fractions", where=where, include=()) for r in batch)
            assert got == expected, f"{where}: got {got}, expected {expected}"


def _shape_problems(where: Any, path: str = "where") -> Iterator[str]:
    """Chroma's own rules: one key per dict, at least two clauses under $and/$or."""
    if not isinstance(where, dict) or len(where) != 1:
        yield f"{path}: {where!r} is not a one-key dict"
        return
    (key, value), = where.items()
    if key in ("$and", "$or"):
        if not isinstance(value, list) or len(value) < 2:
            yield f"{path}.{key}: needs at least two clauses"
        for i, child in enumerate(value):
            yield from _shape_problems(child, f"{path}.{key}[{i}]")
    elif not isinstance(value, dict) or len(value) != 1:
        yield f"{path}.{key}: {value!r} is not a one-operator dict"


def test_translations_have_chroma_shape() -> None:
    problems = [p for where, doc in filter_cases(500, 13) for p in _shape_problems(to_where(parse_filter(where, doc)))]
    assert not problems, problems[:10]


def test_not_is_pushed_to_the_leaves() -> None:
    """No ``$not`` reaches Chroma (it has none): NAND and NOR become OR and AND of complements."""
    a, b = Condition("n", "$eq", 1), Condition("s", "$in", ("x",))
    assert to_where(Not(And((a, b)))) == {"$or": [{"n": {"$ne": 1}}, {"s": {"$nin": ["x"]}}]}
    assert to_where(Not(Or((a, b)))) == {"$and": [{"n": {"$ne": 1}}, {"s": {"$nin": ["x"]}}]}
    assert to_where(Not(Not(a))) == {"n": {"$eq": 1}}
    node: Node = Not(Condition("n", "$gt", 2))
    assert to_where(node) == {"$or": [{"n": {"$lte": 2}}, {"_vs_num_n": {"$ne": True}}]}


@dataclass(frozen=True)
class _Near:
    """A node kind the tree does not define."""

    key: str


@pytest.mark.parametrize("tree", [_Near("n"), Not(_Near("n")), Or((Condition("n", "$eq", 1), _Near("n")))])
def test_an_unknown_node_is_an_unsupported_filter(tree: Any) -> None:
    """Refused before Chroma sees anything, negated or not (a ``TypeError`` deep in the translation before)."""
    with pytest.raises(UnsupportedFilter, match="is not a filter node"):
        to_where(tree)
