"""``QdrantAdapter``: the vectorstore contract on any of the three Qdrant engines.

Everything that must mean the same on every engine is here, once: record id -> point id (:mod:`.ids`), the payload
layout (:mod:`.payload`), filter translation (:mod:`.filters`), the restoration of cosine vectors, and scores
(:mod:`vectorstore.scores`). The engines (:mod:`.edge`, :mod:`.client`) only move points in and out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from vectorstore import scores
from vectorstore.adapter import Adapter
from vectorstore.batch import RecordBatch
from vectorstore.errors import CollectionNotFound, UnsupportedFeature
from vectorstore.filters import Node
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities, CollectionInfo, Match, Metric
from vectorstore.operations import Op

from .config import QdrantConfig
from .engine import Engine, Shape
from .filters import Clause, Translator
from .ids import point_ids
from .payload import Layout

log = logging.getLogger("vectorstore.qdrant")

#: Fewest points a scan asks the engine for at once.
SCROLL_PAGE = 512
#: Qdrant keeps a cosine vector as written when its squared length is within this of 1 (``cosine_preprocess``),
UNIT_TOLERANCE = 1e-6
#: ... or below float32 epsilon (1.19e-7); we normalise below this bound ourselves, with a margin.
TINY = 1e-6


def open_engine(config: QdrantConfig) -> Engine:
    """The engine the configuration asks for (each imports its Qdrant package only here)."""
    if config.engine == "edge":
        from .edge import EdgeEngine

        return EdgeEngine(
            config.path or "",
            exact=config.exact_search,
            hnsw_ef=config.hnsw_ef,
            sync_writes=config.sync_writes,
            batch=config.write_batch,
        )
    from .client import ClientEngine

    return ClientEngine(config)


def _normalised(vectors: np.ndarray) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Cosine vectors as Qdrant should store or search them, and ``(row, norm)`` of each row that was scaled.

    Qdrant normalises cosine vectors itself, except those whose squared length is below float32 epsilon: it keeps
    those as they are and then scores them wrongly (a 1e-4-long vector scores 1e-4 times its cosine). So every row
    that is not already of unit length is normalised here, in float64; unit rows (what embedding models produce)
    are sent as written and need no stored norm. The norm goes to the payload (``_vs_norm``) to restore the vector.
    """
    wide = vectors.astype(np.float64)
    squared = np.einsum("ij,ij->i", wide, wide)
    rows = np.flatnonzero((np.abs(squared - 1.0) > UNIT_TOLERANCE) & (squared > 0.0))
    if not len(rows):
        return vectors, []
    lengths = np.sqrt(squared[rows])
    scaled = vectors.copy()
    scaled[rows] = (wide[rows] / lengths[:, None]).astype(np.float32)
    return scaled, list(zip(rows.tolist(), lengths.tolist()))


def _scaled_up(queries: np.ndarray) -> np.ndarray:
    """Cosine queries too short for Qdrant to normalise (see :func:`_normalised`), normalised; others untouched."""
    # One cheap numpy call for the usual single query: this runs right after the previous query swept the CPU
    # caches, where each numpy call costs ~20 us.
    if len(queries) == 1:
        shortest = float(np.dot(queries[0], queries[0]))
    else:
        shortest = float(np.einsum("ij,ij->i", queries, queries).min())
    return queries if shortest >= TINY else _normalised(queries)[0]


class QdrantAdapter(Adapter):
    name = "qdrant"
    capabilities: Capabilities
    extensions: ClassVar[Mapping[str, Op]] = {"optimize": Op(idempotent=True)}

    def __init__(self, config: QdrantConfig | None = None) -> None:
        self.config = config or QdrantConfig(variant="memory")
        self.engine = open_engine(self.config)
        self.layout = Layout(self.config.id_field, self.config.document_field)
        self.translator = Translator(self.config.document_field)
        self.capabilities = self.engine.capabilities()

    # -- collections ------------------------------------------------------------------------------------------

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        self.engine.create(name, Shape(dimension=dimension, metric=metric, vector=self.config.vector_name))
        return CollectionInfo(name=name, dimension=dimension, metric=metric)

    def get_collection(self, name: str) -> CollectionInfo:
        shape = self.engine.shape(name)
        return CollectionInfo(name=name, dimension=shape.dimension, metric=shape.metric)

    def list_collections(self) -> list[CollectionInfo]:
        found = []
        for name in self.engine.names():
            try:
                found.append(self.get_collection(name))
            except (UnsupportedFeature, CollectionNotFound) as exc:  # a foreign layout, or deleted meanwhile
                log.debug("skipping collection %r: %s", name, exc)
        return found

    def delete_collection(self, name: str) -> None:
        self.engine.drop(name)

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        self.engine.create_index(name, key, kind)

    def list_indexes(self, name: str) -> dict[str, IndexKind]:
        return self.engine.indexes(name)

    # -- records ----------------------------------------------------------------------------------------------

    def upsert(self, name: str, batch: RecordBatch) -> None:
        shape = self.engine.shape(name)
        vectors = batch.vectors
        norms: list[float | None] = [None] * len(batch)
        if shape.metric == "cosine":
            vectors, scaled = _normalised(vectors)
            for i, norm in scaled:
                norms[i] = norm
        payload = self.layout.payload
        payloads = [
            payload(name, record_id, document, metadata, norm)
            for record_id, document, metadata, norm in zip(batch.ids, batch.documents, batch.metadatas, norms)
        ]
        self.engine.upsert(name, point_ids(batch.ids), vectors, payloads)

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        shape = self.engine.shape(name)
        points = self.engine.retrieve(name, point_ids(ids), self._fields(shape, include), "vector" in include)
        return self._batch(points, shape, include)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        """The number deleted is counted just before the delete (exact unless another process writes meanwhile)."""
        if ids is not None:
            targets = point_ids(ids)
            present = self.engine.retrieve(name, targets, False, False)
            if present:
                self.engine.delete_ids(name, [point.id for point in present])
            return len(present)
        clause = self.translator.translate(where)  # type: ignore[arg-type]  # the store passes ids or a filter
        doomed = self.engine.count(name, clause)
        if doomed:
            self.engine.delete_where(name, clause)
        return doomed

    def count(self, name: str, where: Node | None) -> int:
        return self.engine.count(name, self._clause(where))

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        shape = self.engine.shape(name)
        metric = shape.metric
        with_vector = "vector" in include
        if metric == "cosine":
            vectors = _scaled_up(vectors)
        results = self.engine.query(name, vectors, k, self._clause(where), self._fields(shape, include), with_vector)
        read, match = self.layout.read, Match.trusted
        answer: list[list[Match]] = []
        for hits in results:
            matches = []
            for hit in hits:
                record_id, document, metadata, norm = read(hit.payload, hit, include)
                score = float(scores.from_similarity(metric, hit.score))
                vector = self._vector(hit, shape, norm) if with_vector else None
                distance = float(scores.distance(metric, score))
                matches.append(match(record_id, score, distance, vector, document, metadata))
            answer.append(matches)
        return answer

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        """A scroll in point-id order: every matching record once, even while others write.

        Pages hold a multiple of ``batch_size`` and at least :data:`SCROLL_PAGE` points, because each scroll call
        costs a round trip (server) or a pass over the collection (local mode), whatever its size.
        """
        shape = self.engine.shape(name)
        clause = self._clause(where)
        fields = self._fields(shape, include)
        page = batch_size * -(-SCROLL_PAGE // batch_size)
        offset: Any = None
        while True:
            points, offset = self.engine.scroll(name, clause, page, offset, fields, "vector" in include)
            if points:
                yield from self._batch(points, shape, include).chunks(batch_size)
            if offset is None:
                return

    def native_ids(self, ids: list[str]) -> list[str]:
        """The Qdrant point ids (see :mod:`.ids`): distinct for distinct ids, by construction."""
        return point_ids(ids)

    # -- engine features --------------------------------------------------------------------------------------

    def optimize(self, name: str) -> bool:
        """Let the embedded engine build its HNSW index and vacuum deletions now (it blocks; seconds per 10k points).

        Results stay exact while ``exact`` is on (the default); with ``exact=false`` queries then use the index,
        trading recall for speed on large collections. Servers optimise by themselves: this returns False there.
        """
        self.engine.shape(name)
        return self.engine.optimize(name)

    def close(self) -> None:
        self.engine.close()

    # -- helpers ----------------------------------------------------------------------------------------------

    def _clause(self, where: Node | None) -> Clause | None:
        return None if where is None else self.translator.translate(where)

    def _fields(self, shape: Shape, include: frozenset[str]) -> list[str] | bool:
        return self.layout.fields(include, norm=shape.metric == "cosine")

    def _vector(self, point: Any, shape: Shape, norm: float | None) -> list[float]:
        """The vector as written: cosine vectors with a ``_vs_norm`` were stored normalised (:func:`_normalised`)."""
        vector = self.engine.vector_of(point, shape)
        if norm is None:
            return list(vector)
        return (np.asarray(vector, dtype=np.float64) * norm).astype(np.float32).tolist()  # type: ignore[no-any-return]

    def _batch(self, points: list[Any], shape: Shape, include: frozenset[str]) -> RecordBatch:
        """Points as columns: the vectors go straight into one float32 array, cosine rows with a ``_vs_norm``
        scaled back in one step (:func:`_normalised` stored them normalised)."""
        read = self.layout.read
        rows = [read(point.payload, point, include) for point in points]
        vectors = None
        if "vector" in include:
            vector_of = self.engine.vector_of
            vectors = np.array([vector_of(point, shape) for point in points], dtype=np.float32)
            vectors = vectors.reshape(len(points), shape.dimension)
            scaled = [position for position, row in enumerate(rows) if row[3] is not None]
            if scaled:
                norms = np.array([rows[position][3] for position in scaled], dtype=np.float64)
                vectors[scaled] = (vectors[scaled].astype(np.float64) * norms[:, None]).astype(np.float32)
        return RecordBatch(
            [row[0] for row in rows],
            vectors,
            [row[1] for row in rows] if "document" in include else None,
            [row[2] for row in rows] if "metadata" in include else None,  # type: ignore[misc]  # dicts when included
        )
