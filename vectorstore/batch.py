"""The one columnar form records take between the store and an adapter, for writes and for reads.

A write batch has passed every rule of DESIGN 3.1 before an adapter sees it: ids are unique non-empty strings,
vectors a C-contiguous float32 ``(n, d)`` array of finite values, documents ``str`` or ``None``, metadata a private
copy (``{}`` when absent). Adapters therefore never validate and never see user-owned mutable objects.

A read batch (what ``Adapter.get`` and ``Adapter.scan`` return) has the same shape, except that a column the caller
did not ``include`` is ``None``. Keeping reads columnar lets a migration move a scan straight into an upsert, and an
isolated worker send vectors as one buffer, without building a Python float per value; :meth:`RecordBatch.records`
is the row view for callers that want :class:`~vectorstore.models.Record` objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .models import Metadata, Record

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive pieces of at most ``size`` items: id lists cut to a backend's batch limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class RecordBatch:
    ids: list[str]
    #: ``(n, d)`` float32, or None when vectors were not included.
    vectors: np.ndarray | None
    #: One entry per id (``None`` for a record without a document), or None when documents were not included.
    documents: list[str | None] | None
    #: One dict per id, or None when metadata was not included.
    metadatas: list[Metadata] | None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimension(self) -> int:
        """The vectors' dimension (0 for a batch read without vectors)."""
        return 0 if self.vectors is None else int(self.vectors.shape[1])

    @property
    def include(self) -> frozenset[str]:
        """The fields this batch carries, in ``include`` terms."""
        present = (("vector", self.vectors), ("document", self.documents), ("metadata", self.metadatas))
        return frozenset(field for field, column in present if column is not None)

    def slice(self, start: int, stop: int) -> RecordBatch:
        return RecordBatch(
            self.ids[start:stop],
            None if self.vectors is None else self.vectors[start:stop],
            None if self.documents is None else self.documents[start:stop],
            None if self.metadatas is None else self.metadatas[start:stop],
        )

    def chunks(self, size: int) -> Iterator[RecordBatch]:
        """Yield consecutive slices of at most ``size`` records (backends with batch limits write chunk by chunk)."""
        if len(self) <= size:
            yield self
            return
        for start in range(0, len(self), size):
            yield self.slice(start, start + size)

    def take(self, indices: Sequence[int]) -> RecordBatch:
        """The rows at ``indices``, in that order (to select or reorder rows)."""
        positions = list(indices)
        return RecordBatch(
            [self.ids[p] for p in positions],
            None if self.vectors is None else self.vectors[positions],
            None if self.documents is None else [self.documents[p] for p in positions],
            None if self.metadatas is None else [self.metadatas[p] for p in positions],
        )

    def records(self) -> list[Record]:
        """The row view: one :class:`Record` per id, ``None`` for each field that was not included.

        Built with ``model_construct`` (the columns are valid already), and the vectors converted in one call.
        """
        n = len(self.ids)
        vectors: list[list[float]] | list[None] = [None] * n if self.vectors is None else self.vectors.tolist()
        documents = self.documents if self.documents is not None else [None] * n
        metadatas = self.metadatas if self.metadatas is not None else [None] * n
        return [
            Record.model_construct(id=record_id, vector=vector, document=document, metadata=metadata)
            for record_id, vector, document, metadata in zip(self.ids, vectors, documents, metadatas)
        ]

    @classmethod
    def from_records(cls, records: Iterable[Record], include: frozenset[str], dimension: int = 0) -> RecordBatch:
        """Columns of already-valid records (what an adapter read); the fields outside ``include`` are ``None``.

        ``dimension`` shapes the vector column when there are no records.
        """
        rows = list(records)
        vectors = None
        if "vector" in include:
            vectors = (
                np.asarray([record.vector for record in rows], dtype=np.float32)
                if rows
                else np.empty((0, dimension), dtype=np.float32)
            )
        return cls(
            [record.id for record in rows],
            vectors,
            [record.document for record in rows] if "document" in include else None,
            [record.metadata or {} for record in rows] if "metadata" in include else None,
        )

    @classmethod
    def empty(cls, include: frozenset[str], dimension: int = 0) -> RecordBatch:
        """No rows, with the columns ``include`` names (vectors shaped ``(0, dimension)``)."""
        return cls.from_records((), include, dimension)

    @classmethod
    def concat(cls, batches: Sequence[RecordBatch], include: frozenset[str] | None = None) -> RecordBatch:
        """The rows of ``batches`` one after the other; they must carry the same columns.

        ``include`` names the columns when ``batches`` is empty (and must match theirs otherwise).
        """
        if not batches:
            return cls.empty(include or frozenset())
        fields = batches[0].include
        if include is not None and include != fields or any(batch.include != fields for batch in batches):
            raise ValueError(f"cannot concatenate batches with different columns ({[sorted(b.include) for b in batches]})")
        batches = [batch for batch in batches if len(batch)] or batches[:1]  # an empty read may lack the dimension
        if len(batches) == 1:
            return batches[0]
        vectors = None
        if "vector" in fields:
            vectors = np.concatenate([batch.vectors for batch in batches])  # type: ignore[misc]
        return cls(
            [i for batch in batches for i in batch.ids],
            vectors,
            [d for batch in batches for d in batch.documents] if "document" in fields else None,  # type: ignore[union-attr]
            [m for batch in batches for m in batch.metadatas] if "metadata" in fields else None,  # type: ignore[union-attr]
        )
