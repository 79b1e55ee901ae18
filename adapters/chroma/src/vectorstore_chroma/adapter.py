"""The ``chroma`` adapter: the contract of DESIGN 3 on top of chromadb's embedded, ephemeral and HTTP clients.

What Chroma does differently and how it is closed, in one place each:

- full-replace upsert and absent documents: :mod:`.records`;
- ``$exists``, ``$not``, numbers in lists, document filters under ``$or``: :mod:`.filters`;
- scores: Chroma returns squared L2, ``1 - cos`` and ``1 - dot`` distances, converted by
  :func:`vectorstore.scores.from_distance`; the metric is read back from the collection's configuration;
- ``delete`` counts: Chroma reports deleted *missing* ids too (#2841), so ids are looked up first;
- ``delete_collection`` leaks list-valued metadata into later records (chroma#7594), so it empties first;
- batches: Chroma refuses more than ``get_max_batch_size()`` (5461) records per call; the store chunks writes, ids
  and query rows to ``capabilities.max_batch``, this adapter only the id lists it finds itself (scans, filters);
- errors: :mod:`.errors` (the rules for ``vectorstore.toolkit.native_errors``);
  one owner per directory: ``vectorstore.toolkit.DirectoryLock``;
- durability: a kill can leave a collection's HNSW files unreadable for good (issue 11); embedded stores keep
  Chroma's write-ahead log (:mod:`.wal`, compacted as writes go) and :meth:`ChromaAdapter.repair` rebuilds a
  collection from it (:mod:`.recovery`).

Threads: Chroma's client held up under 8 threads (backends.md 1). Writes here read before they write (to null old
metadata keys, or to count what a delete removes), so they are serialised by a lock; reads run concurrently and
retry the transient "Error finding id" a racing delete can cause.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from chromadb.api.models.Collection import Collection as ChromaCollection

from vectorstore import scores
from vectorstore.adapter import Adapter
from vectorstore.batch import RecordBatch, chunked
from vectorstore.errors import BackendError, CollectionNotFound, UnsupportedFeature, VectorStoreError
from vectorstore.filters import Node
from vectorstore.health import Check, RepairReport
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities, CollectionInfo, Match, Metric
from vectorstore.toolkit import native_errors

from . import records, recovery, wal
from .clients import open_client
from .config import ChromaConfig
from .errors import classify, is_transient
from .filters import to_where

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Collection metadata key holding the dimension (Chroma learns it only from the first vector).
DIMENSION_KEY = "_vs_dim"
#: Collection metadata key set before the first list value is written (see ``delete_collection``).
LISTS_KEY = "_vs_lists"
#: Collection metadata key prefix of a declared payload index (``_vs_index:year`` = ``"integer"``): Chroma has no
#: payload indexes (its metadata segment indexes every key already), so declarations are recorded and listed.
INDEX_PREFIX = "_vs_index:"
#: Chroma 1.5.9's ``get_max_batch_size()`` for embedded clients; servers report theirs at open.
CHROMA_MAX_BATCH = 5461
_SPACES: dict[Metric, str] = {"cosine": "cosine", "dot": "ip", "l2": "l2"}
_METRICS: dict[str, Metric] = {space: metric for metric, space in _SPACES.items()}
_READ_ATTEMPTS = 5
#: The log is compacted when it holds more than this many entries per live record ...
COMPACT_RATIO = 2
#: ... checked after every ``max(COMPACT_EVERY, live records)`` writes, so the check costs O(1) per write.
COMPACT_EVERY = 1000


@dataclass(frozen=True)
class _Handle:
    collection: ChromaCollection
    metric: Metric


class ChromaAdapter(Adapter):
    name = "chroma"
    #: The embedded persistent case; each instance replaces it with what its client really offers.
    capabilities = Capabilities(persistent=True, exact_search=False, max_batch=CHROMA_MAX_BATCH)

    def __init__(self, config: ChromaConfig) -> None:
        self.config = config
        opened = open_client(config)
        self._client, self._release, self.location = opened.client, opened.close, opened.description
        self._handles: dict[str, _Handle] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._transient_retries = 0
        #: Log entries written per collection since its size was last checked, and its live records then.
        self._written: dict[str, int] = {}
        self._live: dict[str, int] = {}
        #: Per collection used in this process (``_first_use``): its count when last sized plus the records written
        #: since, and the size at which its search breadth changes (infinite for collections never resized).
        self._growth: dict[str, tuple[int, float]] = {}
        try:
            max_batch = self._call("open", None, self._client.get_max_batch_size)
            if config.kind == "persistent":
                self._call("open", None, lambda: recovery.finish_swaps(self._target(max_batch)))
        except BaseException:
            self._release()
            raise
        self.capabilities = Capabilities(
            persistent=config.kind != "memory",
            server=config.kind == "http",
            exact_search=False,
            max_batch=max_batch,
            thread_safe=True,
            multi_process_safe=config.kind == "http",
        )

    # -- plumbing -----------------------------------------------------------------------------------------------

    def _call(self, operation: str, collection: str | None, call: Callable[[], T], *, read: bool = False) -> T:
        """Run a native call, retrying transient read failures and translating every native exception."""
        with native_errors(classify, operation, collection):
            attempt = 0
            while True:
                try:
                    return call()
                except Exception as exc:
                    attempt += 1
                    if not (read and attempt < _READ_ATTEMPTS and is_transient(exc)):
                        raise
                    with self._lock:
                        self._transient_retries += 1
                    time.sleep(0.005 * 2**attempt)

    def _handle(self, name: str) -> _Handle:
        with self._lock:
            handle = self._handles.get(name)
        if handle is None:
            collection = self._call(
                "get_collection", name, lambda: self._client.get_collection(name, embedding_function=None)
            )
            handle = _Handle(collection, _metric(collection))
            with self._lock:
                self._handles[name] = handle
        return handle

    def _on(self, name: str, operation: str, action: Callable[[_Handle], T], *, read: bool) -> T:
        """Run ``action`` on the collection; a cached handle gone stale (recreated by another client) is refreshed once."""
        try:
            return self._call(operation, name, lambda: action(self._handle(name)), read=read)
        except CollectionNotFound:
            with self._lock:
                stale = self._handles.pop(name, None)
            if stale is None:
                raise
            return self._call(operation, name, lambda: action(self._handle(name)), read=read)

    def _target(self, max_batch: int | None = None) -> recovery.Target:
        if self.config.kind != "persistent":
            raise UnsupportedFeature(
                f"chroma+{self.config.variant}:// stores keep no write-ahead log that vectorstore can read; repair "
                "and compaction apply to embedded stores (chroma:///path)"
            )
        return recovery.Target(
            client=self._client,
            directory=self.config.directory,
            tenant=self.config.tenant,
            database=self.config.database,
            max_batch=max_batch or self.capabilities.max_batch or CHROMA_MAX_BATCH,
        )

    def _logged(self, name: str, written: int) -> None:
        """Count log entries written; now and then compact the log when it is over ``COMPACT_RATIO`` x live."""
        if self.config.kind != "persistent" or not self.config.recovery:
            return
        self._written[name] = self._written.get(name, 0) + written  # under the write lock
        if self._written[name] < max(COMPACT_EVERY, self._live.get(name, 0)):
            return
        self._written[name] = 0
        with wal.connect(self.config.directory, write=True) as connection:
            collection = wal.find_collection(connection, name, self.config.tenant, self.config.database)
            if collection is None:
                return
            self._live[name] = wal.live_count(connection, collection)
            if wal.log_size(connection, collection.id) > COMPACT_RATIO * max(self._live[name], 1):
                removed = wal.compact(connection, collection)
                log.info("chroma collection %r: compacted its write-ahead log by %d entries", name, removed)

    def _size_search(self, name: str, collection: ChromaCollection) -> None:
        """Give a collection this adapter created the ``ef_search`` its size calls for (``ChromaConfig.recall``).

        Chroma 1.5.9 reads ``ef_search`` when it loads a collection's index into a process and ignores a change
        made while the index is loaded (measured: recall unchanged until the store was reopened). So the breadth is
        set before this process's first write or query of the collection loads the index (``_first_use``; not at
        open, since a damaged collection fails or crashes its ``count`` and the doctor must look at it first), and
        again when writes take the collection past a size bound (that change applies from the next process to open
        the store). Collections made by plain chromadb and a fixed ``ef_search`` are left as they are.
        """
        if self.config.ef_search is not None or DIMENSION_KEY not in (collection.metadata or {}):
            with self._lock:
                self._growth[name] = (0, float("inf"))
            return
        count = collection.count()
        with self._lock:
            self._growth[name] = (count, self.config.breadth_bound(count))
        wanted = self.config.search_breadth(count)
        current = ((collection.configuration_json or {}).get("hnsw") or {}).get("ef_search")
        if current is not None and current != wanted:
            collection.modify(configuration={"hnsw": {"ef_search": wanted}})
            log.info("chroma collection %r (%d records): ef_search %s -> %d", name, count, current, wanted)

    def _first_use(self, name: str, collection: ChromaCollection) -> None:
        """Size the search of a collection before this process's first write or query loads its index."""
        with self._lock:
            sized = name in self._growth
        if not sized:
            self._size_search(name, collection)

    def _grown(self, name: str, written: int) -> None:
        """Count records written; past the size bound of the current breadth, size the search again."""
        with self._lock:
            if name not in self._growth:
                return
            estimate, bound = self._growth[name]
            self._growth[name] = (estimate + written, bound)
        if estimate + written > bound:
            self._size_search(name, self._handle(name).collection)

    def _chunks(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        """``max_batch``-sized pieces of an id list this adapter found itself (the store chunks what callers pass)."""
        return chunked(items, self.capabilities.max_batch or len(items) or 1)

    # -- collections --------------------------------------------------------------------------------------------

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        configuration: Any = {"hnsw": {"space": _SPACES[metric], **self.config.hnsw}}
        collection = self._call(
            "create_collection",
            name,
            lambda: self._client.create_collection(
                name, configuration=configuration, metadata={DIMENSION_KEY: dimension}, embedding_function=None
            ),
        )
        with self._lock:
            self._handles[name] = _Handle(collection, metric)
            if self.config.ef_search is None:
                self._growth[name] = (0, self.config.breadth_bound(0))
        return CollectionInfo(name=name, dimension=dimension, metric=metric)

    def get_collection(self, name: str) -> CollectionInfo:
        """Always asks Chroma (another client may have dropped or recreated it) and refreshes the cached handle."""
        with self._lock:
            self._handles.pop(name, None)
        return self._on(name, "get_collection", lambda handle: _info(handle.collection), read=True)

    def list_collections(self) -> list[CollectionInfo]:
        infos = []
        for collection in self._call("list_collections", None, self._client.list_collections, read=True):
            if recovery.is_repair_copy(collection):
                continue
            try:
                infos.append(self._call("list_collections", collection.name, lambda c=collection: _info(c)))
            except BackendError as exc:  # an empty collection made by plain chromadb has no dimension yet
                log.warning("skipping chroma collection %r: %s", collection.name, exc)
        return infos

    def delete_collection(self, name: str) -> None:
        """Empty the collection record by record, then drop it.

        chroma#7594: ``delete_collection`` leaves list-valued metadata rows behind, keyed by an internal id that the
        next record written to *any* collection may reuse, which then silently inherits them (in reads and filters).
        Deleting records cleans those rows, so the collection is emptied first, unless it is marked as never having
        held a list (``upsert`` marks a collection before its first list value is written).
        """

        def empty() -> None:
            collection = self._client.get_collection(name, embedding_function=None)  # fresh: another client may mark it
            metadata = collection.metadata or {}
            if DIMENSION_KEY in metadata and not metadata.get(LISTS_KEY):
                return  # ours, and never held a list: nothing can leak, so dropping stays O(1)
            for chunk in self._chunks(collection.get(include=[])["ids"]):
                collection.delete(ids=list(chunk))

        with self._write_lock:
            with self._lock:
                self._handles.pop(name, None)
                self._growth.pop(name, None)
            self._call("delete_collection", name, empty)
            self._call("delete_collection", name, lambda: self._client.delete_collection(name))

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        def record(handle: _Handle) -> None:
            collection = self._client.get_collection(name, embedding_function=None)  # fresh metadata
            collection.modify(metadata={**(collection.metadata or {}), INDEX_PREFIX + key: kind})
            with self._lock:
                self._handles[name] = _Handle(collection, handle.metric)

        with self._write_lock:
            self._on(name, "create_index", record, read=False)

    def list_indexes(self, name: str) -> dict[str, IndexKind]:
        def declared(handle: _Handle) -> dict[str, IndexKind]:
            metadata = self._client.get_collection(name, embedding_function=None).metadata or {}
            return {key[len(INDEX_PREFIX) :]: kind for key, kind in sorted(metadata.items()) if key.startswith(INDEX_PREFIX)}

        return self._on(name, "list_indexes", declared, read=True)

    # -- records ------------------------------------------------------------------------------------------------

    def upsert(self, name: str, batch: RecordBatch) -> None:
        def write(handle: _Handle) -> None:
            collection = handle.collection
            self._first_use(name, collection)
            if not (collection.metadata or {}).get(LISTS_KEY) and _has_lists(batch):
                collection.modify(metadata={**(collection.metadata or {}), LISTS_KEY: True})
            old = collection.get(ids=batch.ids, include=["metadatas"])
            old_keys = {i: frozenset(md or ()) for i, md in zip(old["ids"], old["metadatas"] or ())}
            metadatas = [
                records.encode(metadata, document, old_keys.get(record_id))
                for record_id, metadata, document in zip(batch.ids, batch.metadatas, batch.documents)
            ]
            documents = [records.stored_document(d, i in old_keys) for i, d in zip(batch.ids, batch.documents)]
            collection.upsert(
                ids=batch.ids,
                embeddings=batch.vectors,
                documents=documents if any(d is not None for d in documents) else None,
                metadatas=metadatas if any(m is not None for m in metadatas) else None,  # type: ignore[arg-type]
            )

        with self._write_lock:
            self._on(name, "upsert", write, read=False)
            self._call("upsert", name, lambda: self._logged(name, len(batch.ids)))
            self._call("upsert", name, lambda: self._grown(name, len(batch.ids)))

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        fields = _native_include(include)

        def read(handle: _Handle) -> RecordBatch:
            return _batch(handle.collection.get(ids=ids, include=fields), include, _dimension(handle))

        return self._on(name, "get", read, read=True)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        def remove(handle: _Handle) -> int:
            collection = handle.collection
            if ids is None:
                doomed = collection.get(where=to_where(where), include=[])["ids"]
            else:  # Chroma counts missing ids as deleted, so find the present ones first
                doomed = collection.get(ids=ids, include=[])["ids"]
            for chunk in self._chunks(doomed):
                collection.delete(ids=list(chunk))
            return len(doomed)

        with self._write_lock:
            removed = self._on(name, "delete", remove, read=False)
            self._call("delete", name, lambda: self._logged(name, removed))
            return removed

    def count(self, name: str, where: Node | None) -> int:
        if where is None:
            return self._on(name, "count", lambda handle: handle.collection.count(), read=True)
        native = to_where(where)
        return self._on(
            name, "count", lambda handle: len(handle.collection.get(where=native, include=[])["ids"]), read=True
        )

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        native = to_where(where)
        fields = ["distances", *_native_include(include)]

        def search(handle: _Handle) -> list[list[Match]]:
            self._first_use(name, handle.collection)
            raw = handle.collection.query(query_embeddings=vectors, n_results=k, where=native, include=fields)
            return _matches(raw, handle.metric, include)

        return self._on(name, "query", search, read=True)

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        """A snapshot of the matching ids, then their records batch by batch (ids deleted meanwhile are skipped)."""
        native = to_where(where)
        ids = self._on(name, "scan", lambda handle: handle.collection.get(where=native, include=[])["ids"], read=True)
        for start in range(0, len(ids), batch_size):
            pieces = self._chunks(ids[start : start + batch_size])
            batch = RecordBatch.concat([self.get(name, list(piece), include) for piece in pieces], include)
            if len(batch):
                yield batch

    # -- durability ---------------------------------------------------------------------------------------------

    def repair(self, name: str, force: bool = False) -> RepairReport:
        """Rebuild ``name`` from Chroma's write-ahead log, verify it record by record, then swap it in.

        Works on a collection that refuses every read (its HNSW files damaged); finishes a repair that a kill
        interrupted. Not retried after a crash of an isolated worker: run it again (it resumes). See
        :mod:`.recovery` for the steps and why each kill point leaves a reachable collection.
        """
        target = self._target()
        with self._write_lock:
            with self._lock:
                self._handles.pop(name, None)
            try:
                return self._call(
                    "repair",
                    name,
                    lambda: recovery.repair(
                        target, name, lambda old: recovery.configuration(old, self.config.hnsw), force=force
                    ),
                )
            finally:
                with self._lock:
                    self._handles.pop(name, None)

    def compact(self, name: str) -> int:
        """Delete the log entries of ``name`` that later writes superseded (:func:`.wal.superseded`); returns how many."""
        target = self._target()
        with self._write_lock, wal.connect(target.directory, write=True) as connection:
            collection = wal.find_collection(connection, name, target.tenant, target.database)
            if collection is None:
                raise CollectionNotFound(f"collection {name!r} does not exist", collection=name)
            return self._call("compact", name, lambda: wal.compact(connection, collection))

    def check_files(self, name: str) -> list[Check]:
        """Cheap checks of the collection's index files, without a Chroma call (a damaged index fails those)."""
        target = self._target()
        return self._call("check_files", name, lambda: recovery.check_files(target, name))

    # -- lifecycle ----------------------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"location": self.location, "transient_retries": self._transient_retries}

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if self.config.kind == "memory":  # its database is dropped, which leaks like delete_collection does
                for info in self.list_collections():
                    self.delete_collection(info.name)
        except VectorStoreError as exc:  # closing must release the client whatever happened before
            log.warning("chroma+memory store %s: collections not emptied before close: %s", self.location, exc)
        finally:
            with self._lock:
                self._handles.clear()
            self._release()


def _metric(collection: ChromaCollection) -> Metric:
    """The metric a collection was created with, read back from its configuration (never assumed)."""
    configuration: Mapping[str, Any] = collection.configuration_json or {}  # raw: .configuration warns
    space = None
    for index in ("hnsw", "spann"):
        space = space or (configuration.get(index) or {}).get("space")
    space = space or (collection.metadata or {}).get("hnsw:space") or "l2"
    try:
        return _METRICS[str(space)]
    except KeyError:
        raise BackendError(f"collection {collection.name!r} uses the distance {space!r}, which vectorstore does not map") from None


def _info(collection: ChromaCollection) -> CollectionInfo:
    dimension = (collection.metadata or {}).get(DIMENSION_KEY)
    if dimension is None:  # made by plain chromadb: learn the dimension from a stored vector
        peeked = collection.peek(1)["embeddings"]
        if peeked is None or len(peeked) == 0:
            raise BackendError(
                f"collection {collection.name!r} was not created by vectorstore and is empty, so its dimension is "
                "unknown; add a vector to it with chromadb or delete it",
                collection=collection.name,
            )
        dimension = len(peeked[0])
    return CollectionInfo(name=collection.name, dimension=int(dimension), metric=_metric(collection))


def _has_lists(batch: RecordBatch) -> bool:
    return any(type(value) is list for metadata in batch.metadatas for value in metadata.values())


def _native_include(include: frozenset[str]) -> list[str]:
    """Chroma's include list; a document needs the metadata too (``_vs_nodoc`` tells ``""`` from no document)."""
    fields = []
    if "vector" in include:
        fields.append("embeddings")
    if "document" in include:
        fields.append("documents")
    if include & {"document", "metadata"}:
        fields.append("metadatas")
    return fields


def _column(raw: Mapping[str, Any], key: str) -> Sequence[Any]:
    """One of Chroma's result columns; a column that was not asked for comes back as ``None``."""
    column = raw.get(key)
    return column if column is not None else [None] * len(raw["ids"])


def _dimension(handle: _Handle) -> int:
    """The collection's dimension as recorded at creation (0 for one made by plain chromadb): shapes empty reads."""
    return int((handle.collection.metadata or {}).get(DIMENSION_KEY) or 0)


def _batch(raw: Mapping[str, Any], include: frozenset[str], dimension: int) -> RecordBatch:
    """A flat (``get``-shaped) result as columns; Chroma's embedding array becomes the float32 column in one step."""
    ids = list(raw["ids"])
    stored = _column(raw, "metadatas")
    vectors = None
    if "vector" in include:
        vectors = (
            np.ascontiguousarray(raw["embeddings"], dtype=np.float32).reshape(len(ids), -1)
            if ids
            else np.empty((0, dimension), dtype=np.float32)
        )
    return RecordBatch(
        ids,
        vectors,
        [records.decode_document(d, m) for d, m in zip(_column(raw, "documents"), stored)]
        if "document" in include
        else None,
        [records.decode(m) for m in stored] if "metadata" in include else None,
    )


def _matches(raw: Mapping[str, Any], metric: Metric, include: frozenset[str]) -> list[list[Match]]:
    """Chroma's nested per-query result as matches, its native distances turned into DESIGN 3.2 scores.

    On the path of every query: scores and vectors are converted a row at a time by numpy, and the matches built
    with :meth:`Match.trusted` (the values are final already).
    """
    results = []
    for query, ids in enumerate(raw["ids"]):
        score = scores.from_distance(metric, np.asarray(raw["distances"][query], dtype=np.float64))
        distance = scores.distance(metric, score)
        stored = _column(raw, "metadatas")[query] or [None] * len(ids)
        vectors = np.asarray(raw["embeddings"][query]).tolist() if "vector" in include else [None] * len(ids)
        documents = (
            [records.decode_document(d, m) for d, m in zip(raw["documents"][query], stored)]
            if "document" in include
            else [None] * len(ids)
        )
        metadatas = [records.decode(m) for m in stored] if "metadata" in include else [None] * len(ids)
        values = score.tolist(), distance.tolist()  # type: ignore[union-attr]  # arrays in, arrays out
        results.append(list(map(Match.trusted, ids, *values, vectors, documents, metadatas)))
    return results
