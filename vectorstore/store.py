"""The public :class:`VectorStore` and its :class:`Collection` handle.

The store is the policy layer over an :class:`~vectorstore.adapter.Adapter`: it validates input (DESIGN 3.1),
parses filters, checks capabilities, chunks every call to the adapter's ``max_batch`` (upserted records, ids to get
or delete, query rows), normalises result order and completes short answers of approximate indexes
(:mod:`.completion`), so every backend gets the same meaning and none of them repeats that work.

Records cross the adapter boundary as columns (:class:`~vectorstore.batch.RecordBatch`) both ways; ``get`` and
``scan`` turn them into :class:`Record` objects for callers, ``get_batch`` and ``scan_batches`` hand the columns on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from . import completion, scores, validation
from . import indexes as payload_indexes
from .adapter import Adapter
from .batch import RecordBatch, chunked
from .errors import (
    CollectionExists,
    CollectionNotFound,
    InvalidInput,
    StoreClosed,
    UnsupportedFeature,
    UnsupportedFilter,
)
from .filters import Node, Where, operators, parse_filter
from .indexes import IndexKind
from .models import Capabilities, CollectionInfo, Match, Metric, Record, UpsertResult
from .validation import NoneValues

DEFAULT_SCAN_BATCH = 1000


class VectorStore:
    """One vector database behind the contract of DESIGN 3. Safe to share between threads.

    Build it with :func:`vectorstore.open` (a URL or configuration picks the adapter) rather than directly.
    """

    def __init__(
        self,
        adapter: Adapter,
        *,
        url: str | None = None,
        shapes: dict[str, CollectionInfo] | None = None,
        release: Callable[[], None] | None = None,
        none_values: NoneValues = "drop",
    ) -> None:
        """``shapes`` and ``release`` are for handles sharing one adapter (:mod:`vectorstore.sharing`): the collection
        shapes they all serve, and what closing this handle does instead of closing the adapter. ``none_values`` is
        the ``StoreSettings`` rule for ``None`` metadata values."""
        self.adapter = adapter
        self.url = url
        self.none_values = none_values
        self._shapes: dict[str, CollectionInfo] = {} if shapes is None else shapes
        self._release = adapter.close if release is None else release
        self._closed = False
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return self.adapter.capabilities

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._release()

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<VectorStore {self.adapter.name} {self.url or ''}>".replace(" >", ">")

    def stats(self) -> dict[str, Any]:
        """Operational counters of the adapter (calls, crashes, latencies for an isolated one)."""
        return self.adapter.stats()

    def native_ids(self, ids: Sequence[str]) -> list[str]:
        """How the backend identifies each id (see :meth:`Adapter.native_ids`); equal values would be one record."""
        self._check_open()
        return self.adapter.native_ids(validation.ids(ids, "(any)", unique=False))

    def collection(self, name: str) -> Collection:
        """A handle that fills in the collection name for each call."""
        return Collection(self, validation.collection_name(name))

    # -- collections --------------------------------------------------------------------------------------------

    def create_collection(
        self,
        name: str,
        dimension: int,
        metric: Metric = "cosine",
        exist_ok: bool = False,
        indexes: Mapping[str, str] | None = None,
    ) -> CollectionInfo:
        """Create a collection; ``indexes`` declares payload indexes (``{"year": "integer"}``, see
        :meth:`create_index`), all validated before anything is created."""
        name = self._open_name(name)
        dimension = validation.dimension(dimension)
        metric = validation.metric(metric)
        declared = payload_indexes.indexes(indexes, f"collection {name!r}")
        if metric not in self.capabilities.metrics:
            raise UnsupportedFeature(f"{self.adapter.name} does not support metric {metric!r}")
        try:
            info = self.adapter.create_collection(name, dimension, metric)
        except CollectionExists:
            if not exist_ok:
                raise
            info = self.adapter.get_collection(name)
            if (info.dimension, info.metric) != (dimension, metric):
                raise CollectionExists(
                    f"collection {name!r} exists with dimension {info.dimension} and metric {info.metric!r}, "
                    f"not {dimension} and {metric!r}; delete it or use another name",
                    collection=name,
                ) from None
        self._shapes[name] = info
        for key, kind in declared.items():
            self.adapter.create_index(name, key, kind)
        return info

    def create_index(self, name: str, key: str, kind: str) -> None:
        """Declare a payload index on metadata ``key`` of ``kind`` (``keyword``, ``integer``, ``float``, ``bool``).

        Filters on an indexed key read the index instead of every record (Qdrant; a server in strict mode filters
        only on indexed keys); backends without payload indexes record the declaration
        (``capabilities.payload_indexes`` is false). Results never change. Again with another kind replaces it.
        """
        name = self._open_name(name)
        key, checked = payload_indexes.declaration(key, kind, f"collection {name!r}")
        self.adapter.create_index(name, key, checked)

    def list_indexes(self, name: str) -> dict[str, IndexKind]:
        """The collection's declared payload indexes, ``{key: kind}`` sorted by key."""
        return dict(sorted(self.adapter.list_indexes(self._open_name(name)).items()))

    def get_collection(self, name: str) -> CollectionInfo:
        name = self._open_name(name)
        info = self.adapter.get_collection(name)
        self._shapes[name] = info
        return info

    def list_collections(self) -> list[CollectionInfo]:
        self._check_open()
        return sorted(self.adapter.list_collections(), key=lambda info: info.name)

    def delete_collection(self, name: str, missing_ok: bool = False) -> None:
        name = self._open_name(name)
        self._shapes.pop(name, None)
        try:
            self.adapter.delete_collection(name)
        except CollectionNotFound:
            if not missing_ok:
                raise

    # -- records ------------------------------------------------------------------------------------------------

    def upsert(
        self,
        name: str,
        ids: Sequence[str] | RecordBatch | None = None,
        vectors: Any = None,
        documents: Sequence[str | None] | None = None,
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        records: Iterable[Record | Mapping[str, Any]] | None = None,
        batch: RecordBatch | None = None,
    ) -> UpsertResult:
        """Insert or fully replace each record. Validates the whole batch first: a bad record writes nothing.

        The records come as columns (``ids``, ``vectors``, ...), as ``records=[...]``, or as one
        :class:`RecordBatch` (``upsert(name, batch)`` or ``batch=``; what ``scan_batches`` yields), which is checked
        in its columnar form.
        """
        clean = self._upsert_batch(name, ids, vectors, documents, metadatas, records, batch)
        self._write(name, clean)
        return UpsertResult(upserted=len(clean))

    def _upsert_batch(
        self,
        name: str,
        ids: Sequence[str] | RecordBatch | None,
        vectors: Any,
        documents: Sequence[str | None] | None,
        metadatas: Sequence[Mapping[str, Any] | None] | None,
        records: Iterable[Record | Mapping[str, Any]] | None,
        batch: RecordBatch | None,
    ) -> RecordBatch:
        """The validated batch an upsert's arguments describe, in whichever form they came; nothing is written."""
        info = self._shape(name)
        if isinstance(ids, RecordBatch):
            ids, batch = None, ids
        forms = [batch is not None, records is not None, any(v is not None for v in (ids, vectors, documents, metadatas))]
        if sum(forms) > 1:
            raise InvalidInput("pass either a RecordBatch, records=... or ids/vectors/documents/metadatas, not both")
        if batch is not None:
            if not isinstance(batch, RecordBatch):
                raise InvalidInput(f"batch must be a vectorstore.RecordBatch, got {validation.describe(batch)}")
            clean = validation.record_batch(info.name, info.dimension, batch, self.none_values)
        else:
            if records is not None:
                ids, vectors, documents, metadatas = validation.records_to_columns(records)
            clean = validation.batch(info.name, info.dimension, ids, vectors, documents, metadatas, self.none_values)
        return clean

    def _write(self, name: str, clean: RecordBatch) -> None:
        """Write a batch :meth:`_upsert_batch` validated, chunked to the adapter's ``max_batch``."""
        with self._known(name):
            for chunk in clean.chunks(self._limit(len(clean))):
                self.adapter.upsert(name, chunk)

    def get(self, name: str, ids: Sequence[str], include: Iterable[str] | None = None) -> list[Record]:
        """Records in request order; missing ids are left out (a repeated id comes back once)."""
        return self.get_batch(name, ids, include).records()

    def get_batch(self, name: str, ids: Sequence[str], include: Iterable[str] | None = None) -> RecordBatch:
        """:meth:`get` as columns: the found records in request order (the columns outside ``include`` are None)."""
        info = self._shape(name)
        wanted = list(dict.fromkeys(validation.ids(ids, info.name, unique=False)))
        fields = validation.include(include)
        if not wanted:
            return RecordBatch.empty(fields, info.dimension)
        with self._known(name):
            found = RecordBatch.concat(
                [self.adapter.get(name, list(ids), fields) for ids in chunked(wanted, self._limit(len(wanted)))], fields
            )
        position = {record_id: p for p, record_id in enumerate(found.ids)}
        order = [position[i] for i in wanted if i in position]
        return found if order == list(range(len(found))) else found.take(order)

    def delete(
        self, name: str, ids: Sequence[str] | None = None, where: Where = None, document: Where = None
    ) -> int | None:
        """Delete by ids (missing ones are a no-op) or by filter; the number deleted, or None if unknown."""
        info = self._shape(name)
        if ids is not None and (where is not None or document is not None):
            raise InvalidInput("delete takes ids or a filter (where/document), not both")
        if ids is None:
            node = self._filter(where, document)
            if node is None:
                raise InvalidInput(
                    f"collection {name!r}: delete needs ids or a non-empty filter; "
                    "to remove everything use delete_collection"
                )
            with self._known(name):
                return self.adapter.delete(name, None, node)
        clean = validation.ids(ids, info.name)
        if not clean:
            return 0
        with self._known(name):
            counts = [self.adapter.delete(name, list(ids), None) for ids in chunked(clean, self._limit(len(clean)))]
        return None if any(n is None for n in counts) else sum(counts)  # type: ignore[arg-type]

    def count(self, name: str, where: Where = None, document: Where = None) -> int:
        self._shape(name)
        node = self._filter(where, document)
        with self._known(name):
            return self.adapter.count(name, node)

    def query(
        self,
        name: str,
        vectors: Any,
        k: int = 10,
        where: Where = None,
        document: Where = None,
        include: Iterable[str] | None = None,
    ) -> list[list[Match]]:
        """Top ``k`` matches for each row of a 2-D array of query vectors, best first."""
        return self._query(name, vectors, k, where, document, include, single=False)

    def search(
        self,
        name: str,
        vector: Any,
        k: int = 10,
        where: Where = None,
        document: Where = None,
        include: Iterable[str] | None = None,
    ) -> list[Match]:
        """Top ``k`` matches for one 1-D query vector, best first."""
        return self._query(name, vector, k, where, document, include, single=True)[0]

    def scan(
        self,
        name: str,
        where: Where = None,
        document: Where = None,
        batch_size: int = DEFAULT_SCAN_BATCH,
        include: Iterable[str] | None = None,
    ) -> Iterator[list[Record]]:
        """Every matching record exactly once, in batches (for exports and migrations).

        Arguments are checked at the call, not at the first ``next()``, so a bad scan fails where it was written.
        """
        return (batch.records() for batch in self.scan_batches(name, where, document, batch_size, include))

    def scan_batches(
        self,
        name: str,
        where: Where = None,
        document: Where = None,
        batch_size: int = DEFAULT_SCAN_BATCH,
        include: Iterable[str] | None = None,
    ) -> Iterator[RecordBatch]:
        """:meth:`scan` as columns: each batch a :class:`RecordBatch` (None for the columns outside ``include``).

        What a migration or an export wants: vectors stay one float32 array, and a batch read with
        ``include=["vector", "document", "metadata"]`` can be passed to :meth:`upsert` as it is.
        """
        self._shape(name)
        node = self._filter(where, document)
        size = validation.batch_size(batch_size)
        fields = validation.include(include)
        return self._scan(name, node, size, fields)

    def _scan(self, name: str, node: Node | None, size: int, fields: frozenset[str]) -> Iterator[RecordBatch]:
        with self._known(name):
            yield from self.adapter.scan(name, node, size, fields)

    # -- helpers ------------------------------------------------------------------------------------------------

    def _query(
        self,
        name: str,
        vectors: Any,
        k: int,
        where: Where,
        document: Where,
        include: Iterable[str] | None,
        *,
        single: bool,
    ) -> list[list[Match]]:
        info = self._shape(name)
        matrix = validation.query_vectors(vectors, info.dimension, info.name, single=single)
        top = validation.k(k)
        node = self._filter(where, document)
        fields = validation.include(include)
        if len(matrix) == 0:
            return []
        with self._known(name):
            limit = self._limit(len(matrix))
            rows: list[list[Match]] = []
            for start in range(0, len(matrix), limit):
                rows.extend(self.adapter.query(name, matrix[start : start + limit], top, node, fields))
            if not self.capabilities.exact_search:  # an approximate index may come back short (DESIGN 3.5)
                rows = completion.complete(self.adapter, name, info.metric, matrix, top, node, fields, rows)
        return [scores.order_matches(row) for row in rows]

    def _limit(self, size: int) -> int:
        """How many items one adapter call takes: the adapter's ``max_batch``, else all ``size`` of them."""
        return self.capabilities.max_batch or max(size, 1)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed(f"this {self.adapter.name} store is closed; open a new one")

    def _open_name(self, name: Any) -> str:
        self._check_open()
        return validation.collection_name(name)

    def _shape(self, name: Any) -> CollectionInfo:
        """The collection's dimension and metric, cached: they never change while the collection exists."""
        info = self._shapes.get(name) if type(name) is str else None  # a cached name was checked when cached
        if info is None:
            name = self._open_name(name)
            info = self._shapes.get(name) or self.get_collection(name)
        else:
            self._check_open()
        return info

    def _known(self, name: str) -> _ForgetOnMissing:
        return _ForgetOnMissing(self._shapes, name)

    def _filter(self, where: Where, document: Where) -> Node | None:
        if where is None and document is None:
            return None
        node = parse_filter(where, document)
        missing = operators(node) - self.capabilities.filter_operators
        if "$document" in missing and self.capabilities.document_contains:
            missing.discard("$document")
        if missing:
            raise UnsupportedFilter(
                f"{self.adapter.name} cannot evaluate {', '.join(sorted(missing))} exactly; "
                "see its capabilities (vectorstore info)"
            )
        return node


class _ForgetOnMissing:
    """Drops a cached collection shape when the backend says the collection is gone (deleted elsewhere)."""

    def __init__(self, shapes: dict[str, CollectionInfo], name: str) -> None:
        self.shapes, self.name = shapes, name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None and issubclass(kind, CollectionNotFound):
            self.shapes.pop(self.name, None)


class Collection:
    """``store.collection("docs")``: the store's record methods with the collection name filled in."""

    def __init__(self, store: VectorStore, name: str) -> None:
        self.store = store
        self.name = name

    def __repr__(self) -> str:
        return f"<Collection {self.name!r} of {self.store!r}>"

    @property
    def info(self) -> CollectionInfo:
        return self.store.get_collection(self.name)

    def create_index(self, key: str, kind: str) -> None:
        self.store.create_index(self.name, key, kind)

    def list_indexes(self) -> dict[str, IndexKind]:
        return self.store.list_indexes(self.name)

    def upsert(self, *args: Any, **kwargs: Any) -> UpsertResult:
        return self.store.upsert(self.name, *args, **kwargs)

    def get(self, ids: Sequence[str], include: Iterable[str] | None = None) -> list[Record]:
        return self.store.get(self.name, ids, include)

    def get_batch(self, ids: Sequence[str], include: Iterable[str] | None = None) -> RecordBatch:
        return self.store.get_batch(self.name, ids, include)

    def delete(self, ids: Sequence[str] | None = None, where: Where = None, document: Where = None) -> int | None:
        return self.store.delete(self.name, ids, where, document)

    def count(self, where: Where = None, document: Where = None) -> int:
        return self.store.count(self.name, where, document)

    def query(self, vectors: Any, k: int = 10, **kwargs: Any) -> list[list[Match]]:
        return self.store.query(self.name, vectors, k, **kwargs)

    def search(self, vector: Any, k: int = 10, **kwargs: Any) -> list[Match]:
        return self.store.search(self.name, vector, k, **kwargs)

    def scan(self, **kwargs: Any) -> Iterator[list[Record]]:
        return self.store.scan(self.name, **kwargs)

    def scan_batches(self, **kwargs: Any) -> Iterator[RecordBatch]:
        return self.store.scan_batches(self.name, **kwargs)

    def __len__(self) -> int:
        return self.count()
