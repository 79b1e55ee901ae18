"""Randomized differential testing (hypothesis): random records, operations and filters, adapter vs reference.

Filters are drawn only from the operators the adapter supports (the filter group checks that the others are
rejected). Two hypothesis profiles, registered under our own names so that an application's profiles are left alone:

- ``vectorstore-ci`` (the default, CI included): derandomized, no example database, so every run and every backend
  sees the same examples and a failure replays; ``VECTORSTORE_CONFORMANCE_EXAMPLES`` raises the count.
- ``vectorstore-explore`` (opt in: ``VECTORSTORE_HYPOTHESIS_PROFILE=vectorstore-explore``, or ``make test-explore``):
  random examples, 200 per test, shrinking on, failures saved to the local example database; pass
  ``--hypothesis-seed=N`` to replay a run (``make test-explore`` picks and prints the seed).

``VECTORSTORE_CONFORMANCE_SHRINK=1`` shrinks failures under the CI profile too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from vectorstore.models import Metadata
from vectorstore.store import VectorStore

from ..checks import expect_no_problems, match_problems, state_problems
from ..fixtures import StoreFixtures
from ..reference import Reference

EXAMPLES = int(os.environ.get("VECTORSTORE_CONFORMANCE_EXAMPLES", "15"))
#: Shrinking a failure re-runs the example hundreds of times (minutes on a slow backend); the problem list of the
#: first failing example already names each filter and id, so shrink only on request.
SHRINK = os.environ.get("VECTORSTORE_CONFORMANCE_SHRINK", "") not in ("", "0")
DIM = 4
KEYS = ("a", "b", "c", "tags")
RANGE_OPS = ("$gt", "$gte", "$lt", "$lte")

settings.register_profile(
    "vectorstore-ci",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    phases=tuple(Phase) if SHRINK else tuple(p for p in Phase if p is not Phase.shrink),
)
settings.register_profile("vectorstore-explore", max_examples=200, deadline=None, print_blob=True)
PROFILE = os.environ.get("VECTORSTORE_HYPOTHESIS_PROFILE", "vectorstore-ci")

SETTINGS = settings(
    settings.get_profile(PROFILE),
    # One store per test (not per example): each example works in its own collection. The suite's test methods
    # run from many adapter classes in one process (differing executors); examples are derandomized, not replayed.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.differing_executors,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Small pools, so that records collide on values and on cross-type look-alikes (1, 1.0, True, "1").
numbers = st.one_of(st.integers(-1, 2), st.sampled_from([0.5, 1.0, -1.5, 0.0]))
scalars = st.one_of(numbers, st.booleans(), st.sampled_from(["x", "y", "", "1"]))
lists = st.one_of(
    st.lists(st.integers(-1, 2), min_size=1, max_size=3),
    st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3),
    st.lists(st.booleans(), min_size=1, max_size=2),
    st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=1, max_size=2),
)
metadatas = st.one_of(st.none(), st.dictionaries(st.sampled_from(KEYS), st.one_of(scalars, lists), max_size=4))
documents = st.one_of(st.none(), st.sampled_from(["alpha beta", "beta", "", "Gamma alpha", "ünï", "x y"]))
record_ids = st.sampled_from([f"r{i}" for i in range(20)] + ["1", "1.0", "ünï", "a/b", "x" * 300])


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[str], np.ndarray, list[str | None], list[Metadata | None]]:
    ids = draw(st.lists(record_ids, min_size=1, max_size=12, unique=True))
    seed = draw(st.integers(0, 2**32 - 1))
    vectors = np.random.default_rng(seed).standard_normal((len(ids), DIM)).astype(np.float32)
    return ids, vectors, [draw(documents) for _ in ids], [draw(metadatas) for _ in ids]


def _same_kind_list(draw: st.DrawFn) -> list[Any]:
    kind = draw(st.sampled_from(["number", "bool", "str"]))
    element = {"number": numbers, "bool": st.booleans(), "str": st.sampled_from(["x", "y", "", "z"])}[kind]
    return draw(st.lists(element, min_size=1, max_size=3))


@st.composite
def conditions(draw: st.DrawFn, supported: frozenset[str]) -> dict[str, Any]:
    """One field condition using a supported operator (``$eq`` may be written as a bare value)."""
    key = draw(st.sampled_from(KEYS))
    op = draw(st.sampled_from(sorted(supported - {"$and", "$or", "$not"})))
    if op in RANGE_OPS:
        operand: Any = draw(numbers)
    elif op in ("$in", "$nin"):
        operand = _same_kind_list(draw)
    elif op == "$exists":
        operand = draw(st.booleans())
    else:
        operand = draw(scalars)
    if op == "$eq" and draw(st.booleans()):
        return {key: operand}
    if "$not" in supported and draw(st.integers(0, 5)) == 0:
        return {key: {"$not": {op: operand}}}
    return {key: {op: operand}}


def filters(supported: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaves = conditions(supported)

    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        options = []
        for logic in ("$and", "$or"):
            if logic in supported:
                options.append(st.lists(children, min_size=1, max_size=3).map(lambda c, op=logic: {op: c}))
        if "$not" in supported:
            options.append(children.map(lambda c: {"$not": c}))
        if "$and" in supported:  # several keys in one dict are an AND
            options.append(st.tuples(leaves, leaves).map(lambda pair: {**pair[1], **pair[0]}))
        return st.one_of(*options) if options else children

    return st.recursive(leaves, extend, max_leaves=5)


def _supported_filter_ops(store: VectorStore) -> frozenset[str]:
    return frozenset(store.capabilities.filter_operators)


def _filter_problems(
    store: VectorStore, name: str, reference: Reference, where: dict[str, Any], query: np.ndarray
) -> list[str]:
    expected = sorted(reference.select(where))
    problems = []
    if store.count(name, where) != len(expected):
        problems.append(f"where={where}: count {store.count(name, where)}, expected {len(expected)}")
    scanned = sorted(r.id for batch in store.scan(name, where, include=()) for r in batch)
    if scanned != expected:
        problems.append(f"where={where}: scan {scanned}, expected {expected}")
    k = max(1, len(reference.rows))
    found = store.search(name, query, k=k, where=where, include=())
    problems += [f"where={where}: query: {p}" for p in match_problems(found, reference, query, k, where)]
    return problems


class DifferentialTests(StoreFixtures):
    group = "differential"

    @SETTINGS
    @given(data=st.data())
    def test_random_filters(self, store: VectorStore, make_collection: Callable[..., str], data: st.DataObject) -> None:
        """Random records (replaced by a second batch), then random filters through count, scan, query, delete."""
        metric = data.draw(st.sampled_from(sorted(store.capabilities.metrics)), label="metric")
        name = make_collection(dimension=DIM, metric=metric)
        reference = Reference(metric)
        for _ in range(2):
            batch = data.draw(batches(), label="batch")
            store.upsert(name, *batch)
            reference.upsert(*batch)
        supported = _supported_filter_ops(store)
        query = np.random.default_rng(data.draw(st.integers(0, 1000), label="query seed")).standard_normal(DIM)
        problems: list[str] = []
        for where in data.draw(st.lists(filters(supported), min_size=1, max_size=6), label="filters"):
            problems += _filter_problems(store, name, reference, where, query.astype(np.float32))
        doomed = data.draw(filters(supported), label="delete filter")
        deleted = store.delete(name, where=doomed)
        expected = reference.delete_where(doomed)
        if deleted not in (len(expected), None):
            problems.append(f"delete where={doomed} reported {deleted}, expected {len(expected)}")
        problems += [f"after delete where={doomed}: {p}" for p in state_problems(store, name, reference, batch_size=5)]
        store.delete_collection(name)
        expect_no_problems(problems)

    @SETTINGS
    @given(data=st.data())
    def test_random_operations(
        self, store: VectorStore, make_collection: Callable[..., str], data: st.DataObject
    ) -> None:
        """A random sequence of upserts and deletes (by ids, some missing, and by filter); state compared after each."""
        name = make_collection(dimension=DIM, metric="cosine")
        reference = Reference("cosine")
        supported = _supported_filter_ops(store)
        problems: list[str] = []
        steps = data.draw(
            st.lists(st.sampled_from(["upsert", "upsert", "delete ids", "delete where"]), min_size=2, max_size=8)
        )
        for step, operation in enumerate(steps):
            if operation == "upsert":
                batch = data.draw(batches(), label=f"step {step} upsert")
                store.upsert(name, *batch)
                reference.upsert(*batch)
            elif operation == "delete ids":
                ids = data.draw(st.lists(record_ids, min_size=1, max_size=6, unique=True), label=f"step {step} delete")
                deleted = store.delete(name, ids)
                expected = reference.delete(ids)
                if deleted not in (expected, None):
                    problems.append(f"step {step}: delete {ids} reported {deleted}, expected {expected}")
            else:
                where = data.draw(filters(supported), label=f"step {step} delete where")
                store.delete(name, where=where)
                reference.delete_where(where)
            problems += [
                f"after step {step} ({operation}): {p}" for p in state_problems(store, name, reference, batch_size=5)
            ]
            if problems:
                break
        if reference.rows and not problems:
            query = next(iter(reference.rows.values())).vector
            found = store.search(name, query, k=len(reference.rows))
            problems += match_problems(found, reference, query, len(reference.rows))
        store.delete_collection(name)
        expect_no_problems(problems)
