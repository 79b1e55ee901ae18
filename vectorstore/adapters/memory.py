"""The reference adapter: exact numpy search over records held in this process.

It is deliberately simple, since the conformance suite treats its behaviour as obvious: filters go through the
reference evaluator, scores through :func:`vectorstore.scores.exact`. It registers through the ``vectorstore``
entry point group like any third-party adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict

from .. import scores
from ..adapter import Adapter
from ..batch import RecordBatch
from ..errors import CollectionExists, CollectionNotFound
from ..filters import Node, matches
from ..indexes import IndexKind
from ..models import Capabilities, CollectionInfo, Match, Metadata, Metric


class MemoryConfig(BaseModel):
    """``memory://``: no options."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class _Collection:
    info: CollectionInfo
    rows: dict[str, _Row] = field(default_factory=dict)
    #: Declared payload indexes: recorded and listed (a scan per filter is all this adapter does).
    indexes: dict[str, IndexKind] = field(default_factory=dict)
    _matrix: tuple[list[str], np.ndarray] | None = None

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Ids and a stacked vector matrix, rebuilt lazily after writes."""
        if self._matrix is None:
            ids = list(self.rows)
            vectors = (
                np.stack([self.rows[i][0] for i in ids])
                if ids
                else np.empty((0, self.info.dimension), dtype=np.float32)
            )
            self._matrix = (ids, vectors)
        return self._matrix

    def changed(self) -> None:
        self._matrix = None

    def selected(self, where: Node | None) -> list[str]:
        return [i for i, (_, doc, md) in self.rows.items() if matches(where, md, doc)]


def _copy(metadata: Metadata) -> Metadata:
    """A copy deep enough that a caller appending to a returned list value cannot change the stored record."""
    return {key: list(value) if type(value) is list else value for key, value in metadata.items()}


_Row = tuple[np.ndarray, str | None, Metadata]


def _batch(rows: list[tuple[str, _Row]], include: frozenset[str], dimension: int) -> RecordBatch:
    """The columns ``include`` asks for of ``(id, row)`` pairs; vectors and metadata are copies."""
    vectors = None
    if "vector" in include:
        vectors = np.stack([row[0] for _, row in rows]) if rows else np.empty((0, dimension), dtype=np.float32)
    return RecordBatch(
        [record_id for record_id, _ in rows],
        vectors,
        [row[1] for _, row in rows] if "document" in include else None,
        [_copy(row[2]) for _, row in rows] if "metadata" in include else None,
    )


class MemoryAdapter(Adapter):
    name = "memory"
    capabilities = Capabilities(persistent=False, exact_search=True, thread_safe=True)

    def __init__(self, config: MemoryConfig | None = None) -> None:
        self._collections: dict[str, _Collection] = {}
        self._lock = threading.RLock()

    def _get(self, name: str) -> _Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise CollectionNotFound(f"collection {name!r} does not exist", collection=name) from None

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        with self._lock:
            if name in self._collections:
                raise CollectionExists(f"collection {name!r} already exists", collection=name)
            info = CollectionInfo(name=name, dimension=dimension, metric=metric)
            self._collections[name] = _Collection(info)
            return info

    def get_collection(self, name: str) -> CollectionInfo:
        with self._lock:
            return self._get(name).info

    def list_collections(self) -> list[CollectionInfo]:
        with self._lock:
            return [c.info for c in self._collections.values()]

    def delete_collection(self, name: str) -> None:
        with self._lock:
            self._get(name)
            del self._collections[name]

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        with self._lock:
            self._get(name).indexes[key] = kind

    def list_indexes(self, name: str) -> dict[str, IndexKind]:
        with self._lock:
            return dict(self._get(name).indexes)

    def upsert(self, name: str, batch: RecordBatch) -> None:
        with self._lock:
            collection = self._get(name)
            for i, record_id in enumerate(batch.ids):
                collection.rows.pop(record_id, None)  # a replaced record moves to the end, as a new one would
                collection.rows[record_id] = (batch.vectors[i].copy(), batch.documents[i], dict(batch.metadatas[i]))
            collection.changed()

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        with self._lock:
            collection = self._get(name)
            rows = collection.rows
            return _batch([(i, rows[i]) for i in ids if i in rows], include, collection.info.dimension)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        with self._lock:
            collection = self._get(name)
            doomed = collection.selected(where) if ids is None else [i for i in ids if i in collection.rows]
            for record_id in doomed:
                del collection.rows[record_id]
            collection.changed()
            return len(doomed)

    def count(self, name: str, where: Node | None) -> int:
        with self._lock:
            collection = self._get(name)
            return len(collection.rows) if where is None else len(collection.selected(where))

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        with self._lock:
            collection = self._get(name)
            ids, matrix = collection.matrix()
            if where is not None:
                keep = set(collection.selected(where))
                positions = [p for p, i in enumerate(ids) if i in keep]
                ids, matrix = [ids[p] for p in positions], matrix[positions]
            metric = collection.info.metric
            all_scores = scores.exact(metric, vectors, matrix)
            results: list[list[Match]] = []
            for row, order in zip(all_scores, scores.top_k(all_scores, k, ids)):
                hits = []
                chosen = [(ids[p], collection.rows[ids[p]]) for p in order]
                for position, record in zip(order, _batch(chosen, include, collection.info.dimension).records()):
                    score = float(row[position])
                    hits.append(
                        Match.model_construct(
                            id=record.id,
                            score=score,
                            distance=float(scores.distance(metric, score)),
                            vector=record.vector,
                            document=record.document,
                            metadata=record.metadata,
                        )
                    )
                results.append(hits)
            return results

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        with self._lock:  # a snapshot: later writes do not disturb an ongoing scan
            collection = self._get(name)
            snapshot = [(i, collection.rows[i]) for i in collection.selected(where)]
        for start in range(0, len(snapshot), batch_size):
            yield _batch(snapshot[start : start + batch_size], include, collection.info.dimension)
