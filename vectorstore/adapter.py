"""The small interface a backend implements; everything else is layered on top in :class:`vectorstore.VectorStore`.

Like an httpx transport, an :class:`Adapter` only does the backend's part: the store validates every argument,
parses filters into a :mod:`vectorstore.filters` tree, checks capabilities, chunks upserted records, ids to get or
delete and query rows to ``max_batch``, and restores request order before and after calling it. So an adapter
method may assume:

- names are valid, the collection's dimension matches every vector, ids are unique non-empty strings;
- vectors are C-contiguous float32 ``(n, d)`` arrays of finite values;
- ``where`` is a parsed tree using only operators the adapter declared in its ``capabilities``;
- ``include`` is a subset of ``{"vector", "document", "metadata"}``;
- a list of ids, a batch or a matrix of query rows holds at most ``capabilities.max_batch`` items.

Records travel as :class:`~vectorstore.batch.RecordBatch` columns both ways: ``get`` and ``scan`` return batches
whose columns outside ``include`` are ``None`` (vectors float32 ``(n, d)``, metadata ``{}`` for a record without any).

It must raise :class:`~vectorstore.errors.CollectionNotFound` / :class:`~vectorstore.errors.CollectionExists`
where those apply, and wrap native failures in :class:`~vectorstore.errors.BackendError` with the native exception
as ``__cause__``. Users never call adapters directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from .batch import RecordBatch
from .errors import UnsupportedFeature
from .filters import Node
from .health import Check, RepairReport
from .indexes import IndexKind
from .models import Capabilities, CollectionInfo, Match, Metric

if TYPE_CHECKING:
    from .operations import Op  # operations imports this module (for the base signatures)


class Adapter:
    """Base class of backend adapters; each method must be implemented unless documented otherwise."""

    #: The registered name (``memory``, ``chroma``, ``qdrant``); used in messages and reports.
    name: ClassVar[str] = "adapter"
    capabilities: Capabilities = Capabilities()
    #: Operations beyond the base ones (Qdrant's ``optimize``), declared so that wrappers such as an isolated store
    #: can forward them: see :mod:`vectorstore.operations`.
    extensions: ClassVar[Mapping[str, Op]] = {}

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        raise NotImplementedError("The 'create_collection' method must be implemented.")

    def get_collection(self, name: str) -> CollectionInfo:
        raise NotImplementedError("The 'get_collection' method must be implemented.")

    def list_collections(self) -> list[CollectionInfo]:
        raise NotImplementedError("The 'list_collections' method must be implemented.")

    def delete_collection(self, name: str) -> None:
        raise NotImplementedError("The 'delete_collection' method must be implemented.")

    def upsert(self, name: str, batch: RecordBatch) -> None:
        """Insert or fully replace each record (vector, document and metadata)."""
        raise NotImplementedError("The 'upsert' method must be implemented.")

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        """The stored records among ``ids`` as one batch, in any order; missing ids are left out."""
        raise NotImplementedError("The 'get' method must be implemented.")

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int | None:
        """Delete by ids or by filter (exactly one is given); return the number deleted, or None if unknown."""
        raise NotImplementedError("The 'delete' method must be implemented.")

    def count(self, name: str, where: Node | None) -> int:
        raise NotImplementedError("The 'count' method must be implemented.")

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        """Top ``k`` per query row, best first, with scores per DESIGN 3.2 (see :mod:`vectorstore.scores`)."""
        raise NotImplementedError("The 'query' method must be implemented.")

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        """Every matching record exactly once, in non-empty batches of at most ``batch_size``."""
        raise NotImplementedError("The 'scan' method must be implemented.")

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        """Declare a payload index on metadata ``key`` holding values of ``kind``; one of another kind is replaced.

        Backends with payload indexes (``capabilities.payload_indexes``) build it; others record the declaration
        with the collection, so that :meth:`list_indexes` lists it and migrations carry it. It never changes what
        a filter matches.
        """
        raise NotImplementedError("The 'create_index' method must be implemented.")

    def list_indexes(self, name: str) -> dict[str, IndexKind]:
        """The declared payload indexes of the collection, ``{key: kind}`` (reserved ``_vs_`` fields left out)."""
        raise NotImplementedError("The 'list_indexes' method must be implemented.")

    def native_ids(self, ids: list[str]) -> list[str]:
        """The identity each id has inside the backend: two ids with one native id would be one record.

        Adapters that map ids (Qdrant stores ``uuid5`` points) override it so migrations can find ids that would
        merge before writing anything; the default is the id itself.
        """
        return list(ids)

    def repair(self, name: str, force: bool = False) -> RepairReport:
        """Rebuild a collection whose backend files a kill left damaged, from the adapter's recovery source.

        Atomic: the rebuilt collection is verified record by record against what must be there before it replaces
        the damaged one. When some ids cannot be restored, the damaged collection is left as it is (the report lists
        them; ``replaced`` is false) unless ``force``. Adapters without a recovery source keep this default.
        """
        raise UnsupportedFeature(
            f"the {self.name} adapter cannot repair collection {name!r}: it keeps no recovery source; "
            "restore it from a backup or copy what is readable with `vectorstore migrate --salvage`"
        )

    def compact(self, name: str) -> int:
        """Reclaim the space of recovery-log entries that later writes superseded; returns how many were removed.

        Only adapters that keep such a log (Chroma with ``recovery``) have anything to compact.
        """
        raise UnsupportedFeature(f"the {self.name} adapter keeps no recovery log to compact (collection {name!r})")

    def check_files(self, name: str) -> list[Check]:
        """Cheap consistency checks of the collection's files made without asking the backend (which may crash on
        damaged ones); the doctor runs them first. Adapters whose files are not theirs to read return none."""
        return []

    def stats(self) -> dict[str, Any]:
        """Operational counters; adapters and wrappers with something to report override it."""
        return {}

    def close(self) -> None:
        """Release the backend; optional for adapters that hold nothing."""
