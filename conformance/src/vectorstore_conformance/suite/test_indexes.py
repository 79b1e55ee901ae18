"""Payload indexes: declared, listed and replaced the same on every backend, and never changing what filters match.

Backends with payload indexes (``capabilities.payload_indexes``) build them; the others record them. Either way an
indexed collection must answer every filter of the corpus exactly as an unindexed copy of the same records does,
including indexes whose kind differs from some of the key's values (a keyword index on a key that also holds
numbers must not hide the numbers from a range).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from vectorstore.errors import CollectionNotFound, InvalidInput
from vectorstore.indexes import INDEX_KINDS, IndexKind, infer
from vectorstore.store import VectorStore

from .. import corpus, data
from ..checks import expect_no_problems, match_problems
from ..fixtures import StoreFixtures, unique_name
from .test_filters import DIM, _unsupported, load_corpus


def _first_kinds(records: list[corpus.CorpusRecord]) -> dict[str, IndexKind]:
    """Every corpus key, indexed as the kind of its first value (mixed keys get an index not all values fit)."""
    kinds: dict[str, IndexKind] = {}
    for _, _, metadata in records:
        for key, value in (metadata or {}).items():
            inferred = infer([{key: value}])
            if key not in kinds and key in inferred:
                kinds[key] = inferred[key]
    return kinds


def _answers(store: VectorStore, name: str, where: Any, document: Any, query: np.ndarray, k: int) -> tuple[Any, ...]:
    scanned = sorted(r.id for batch in store.scan(name, where, document, include=()) for r in batch)
    found = store.query(name, query.reshape(1, -1), k, where, document, include=())[0]
    return store.count(name, where, document), scanned, [(m.id, round(m.score, 4)) for m in found]


class IndexTests(StoreFixtures):
    group = "indexes"

    def test_indexed_and_unindexed_collections_answer_alike(
        self, store: VectorStore, make_collection: Callable[..., str]
    ) -> None:
        plain, reference = load_corpus(store, make_collection)
        indexed, _ = load_corpus(store, make_collection)
        kinds = _first_kinds(corpus.RECORDS)
        for key, kind in kinds.items():
            store.create_index(indexed, key, kind)
        assert store.list_indexes(indexed) == dict(sorted(kinds.items()))
        assert store.list_indexes(plain) == {}
        query = data.gaussian(64, 1, DIM)[0]
        k = len(reference.rows)
        problems: list[str] = []
        for where, document in corpus.all_filters():
            if _unsupported(store, where, document):
                continue
            expected, got = _answers(store, plain, where, document, query, k), _answers(store, indexed, where, document, query, k)
            if got != expected:
                problems.append(f"where={where} document={document}: indexed {got}, unindexed {expected}")
            found = store.query(indexed, query.reshape(1, -1), k, where, document, include=())[0]
            problems += [f"where={where}: indexed query: {p}" for p in match_problems(found, reference, query, k, where, document)]
        expect_no_problems(problems)

    def test_declared_at_creation_replaced_by_kind_and_listed_after_reopen(
        self, store: VectorStore, reopen: Callable[[], VectorStore]
    ) -> None:
        name = unique_name()
        store.create_collection(name, DIM, indexes={"year": "integer", "lang": "keyword"})
        try:
            assert store.list_indexes(name) == {"lang": "keyword", "year": "integer"}
            store.collection(name).create_index("year", "float")  # another kind replaces it
            store.create_index(name, "lang", "keyword")  # the same again changes nothing
            assert store.collection(name).list_indexes() == {"lang": "keyword", "year": "float"}
            if store.capabilities.persistent:
                store = reopen()
                assert store.list_indexes(name) == {"lang": "keyword", "year": "float"}
        finally:
            store.delete_collection(name, missing_ok=True)

    @pytest.mark.parametrize(
        ("key", "kind", "named"),
        [
            ("year", "int", "'keyword', 'integer', 'float', 'bool'"),
            ("year", None, "'keyword', 'integer', 'float', 'bool'"),
            ("_vs_year", "integer", "reserved"),
            ("$year", "integer", "reserved"),
            ("", "integer", "non-empty"),
        ],
    )
    def test_bad_declarations_are_refused_and_change_nothing(
        self, store: VectorStore, make_collection: Callable[..., str], key: str, kind: Any, named: str
    ) -> None:
        name = make_collection(dimension=DIM)
        with pytest.raises(InvalidInput, match=named):
            store.create_index(name, key, kind)
        assert store.list_indexes(name) == {}
        other = unique_name()
        with pytest.raises(InvalidInput, match=named):
            store.create_collection(other, DIM, indexes={"ok": "keyword", key: kind})
        assert other not in {info.name for info in store.list_collections()}  # validated before creating

    def test_indexes_of_a_missing_collection(self, store: VectorStore) -> None:
        with pytest.raises(CollectionNotFound):
            store.create_index(unique_name(), "year", "integer")
        with pytest.raises(CollectionNotFound):
            store.list_indexes(unique_name())

    def test_index_kinds_and_inference(self) -> None:
        assert INDEX_KINDS == ("keyword", "integer", "float", "bool")
        assert infer([{"s": "a", "n": 1, "f": 1, "b": True, "l": ["x"]}, {"f": 2.5, "m": "x"}, {"m": 3}]) == {
            "b": "bool", "f": "float", "l": "keyword", "n": "integer", "s": "keyword"
        }

