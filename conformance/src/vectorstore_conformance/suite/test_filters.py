"""Filters (DESIGN 3.3): every corpus filter through count, scan, filtered query and delete, against the reference.

One test per operator family keeps the corpus load to one upsert per family; each mismatch is reported with the
filter and the operation, all of them at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vectorstore.errors import UnsupportedFilter
from vectorstore.filters import operators, parse_filter
from vectorstore.store import VectorStore

from .. import corpus, data
from ..checks import expect_no_problems, match_problems, snapshot
from ..fixtures import StoreFixtures
from ..reference import Reference
from ..requirements import requires

DIM = 8
FAMILY_PARAMS = [pytest.param(family, marks=requires(req), id=family) for family, (req, _) in corpus.FAMILIES.items()]
UNKNOWN_OPERATORS: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = [
    ({"n": {"$regex": "a.*"}}, None),
    ({"$nor": [{"n": 1}, {"n": 2}]}, None),
    ({"s": {"$like": "app%"}}, None),
    ({"tags": {"$size": 2}}, None),
    ({"$and": [{"n": 1}, {"s": {"$not_contains": "x"}}]}, None),
    (None, {"$regex": "fox"}),
    (None, {"$not_contains": "fox"}),
]


def load_corpus(
    store: VectorStore, make_collection: Callable[..., str], records: list[corpus.CorpusRecord] = corpus.RECORDS
) -> tuple[str, Reference]:
    ids = [record_id for record_id, _, _ in records]
    documents = [document for _, document, _ in records]
    metadatas = [metadata for _, _, metadata in records]
    vectors = data.gaussian(60, len(ids), DIM)
    name = make_collection(dimension=DIM, metric="cosine")
    store.upsert(name, ids, vectors, documents, metadatas)
    reference = Reference("cosine")
    reference.upsert(ids, vectors, documents, metadatas)
    return name, reference


def _unsupported(store: VectorStore, where: Any, document: Any) -> set[str]:
    used = operators(parse_filter(where, document))
    missing = used - store.capabilities.filter_operators
    if "$document" in missing and store.capabilities.document_contains:
        missing.discard("$document")
    return missing


def _rejection_problems(store: VectorStore, name: str, where: Any, document: Any, query: np.ndarray) -> list[str]:
    """Each operation must raise UnsupportedFilter (never drop or approximate the filter) and delete nothing."""
    problems = []
    before = store.count(name)
    calls: dict[str, Callable[[], object]] = {
        "count": lambda: store.count(name, where, document),
        "scan": lambda: list(store.scan(name, where, document)),
        "query": lambda: store.query(name, query.reshape(1, -1), 5, where, document),
        "delete": lambda: store.delete(name, where=where, document=document),
    }
    for operation, call in calls.items():
        try:
            call()
        except UnsupportedFilter:
            continue
        problems.append(f"{operation} where={where} document={document}: no UnsupportedFilter raised")
    if store.count(name) != before:
        problems.append(f"where={where} document={document}: a rejected delete changed the count")
    return problems


def filter_problems(
    store: VectorStore, name: str, reference: Reference, where: Any, document: Any, query: np.ndarray
) -> list[str]:
    """Count, scan, filtered query and delete of one filter against the reference; the corpus is restored after."""
    label = f"where={where} document={document}"
    expected = reference.select(where, document)
    problems = []
    count = store.count(name, where, document)
    if count != len(expected):
        problems.append(f"{label}: count {count}, expected {len(expected)}")
    for batch_size in (7, 1000):
        scanned = [
            r.id for batch in store.scan(name, where, document, batch_size=batch_size, include=()) for r in batch
        ]
        if sorted(scanned) != sorted(expected):
            extra = sorted(set(scanned) - set(expected))
            missing = sorted(set(expected) - set(scanned))
            problems.append(f"{label}: scan(batch_size={batch_size}) extra {extra}, missing {missing}")
    found = store.query(name, query.reshape(1, -1), len(reference.rows), where, document, include=())[0]
    problems += [
        f"{label}: query: {p}" for p in match_problems(found, reference, query, len(reference.rows), where, document)
    ]
    deleted = store.delete(name, where=where, document=document)
    remaining = {r.id for batch in store.scan(name, include=()) for r in batch}
    gone = sorted(set(reference.rows) - remaining)
    if gone != sorted(expected) or deleted not in (len(expected), None):
        problems.append(f"{label}: delete removed {gone} (reported {deleted}), expected {sorted(expected)}")
    if gone:
        rows = [reference.rows[i] for i in gone]
        store.upsert(
            name, gone, np.stack([r.vector for r in rows]), [r.document for r in rows], [r.metadata for r in rows]
        )
    return problems


class FilterTests(StoreFixtures):
    group = "filters"

    @pytest.mark.parametrize("family", FAMILY_PARAMS)
    def test_family(self, store: VectorStore, make_collection: Callable[..., str], family: str) -> None:
        name, reference = load_corpus(store, make_collection)
        query = data.gaussian(61, 1, DIM)[0]
        problems: list[str] = []
        for where, document in corpus.FAMILIES[family][1]:
            if _unsupported(store, where, document):
                problems += _rejection_problems(store, name, where, document, query)
            else:
                problems += filter_problems(store, name, reference, where, document, query)
        expect_no_problems(problems, f"family {family!r}: ")

    def test_datetime_and_date_filters(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """Equality, sets, ranges, $exists and $not with datetime and date operands, on fields holding datetimes in
        several offsets, dates, strings and numbers that look alike, or nothing."""
        name, reference = load_corpus(store, make_collection, corpus.TIME_RECORDS)
        query = data.gaussian(63, 1, DIM)[0]
        problems: list[str] = []
        for where, document in corpus.TIME_FILTERS:
            if _unsupported(store, where, document):
                problems += _rejection_problems(store, name, where, document, query)
            else:
                problems += filter_problems(store, name, reference, where, document, query)
        expect_no_problems(problems)

    def test_unsupported_operators_are_rejected(self, store: VectorStore, make_collection: Callable[..., str]) -> None:
        """Operators outside DESIGN 3.3, and defined ones the adapter declares unsupported, raise UnsupportedFilter."""
        name, _ = load_corpus(store, make_collection)
        query = data.gaussian(62, 1, DIM)[0]
        before = snapshot(store, name)
        problems: list[str] = []
        for where, document in UNKNOWN_OPERATORS:
            with pytest.raises(UnsupportedFilter):
                parse_filter(where, document)
            problems += _rejection_problems(store, name, where, document, query)
        for where, document in corpus.all_filters():
            if _unsupported(store, where, document):
                problems += _rejection_problems(store, name, where, document, query)
        expect_no_problems(problems)
        assert snapshot(store, name) == before
