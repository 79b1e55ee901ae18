"""The columnar form every write takes after validation.

Adapters receive a :class:`RecordBatch` that has already passed every rule of DESIGN 3.1: ids are unique non-empty
strings, vectors a C-contiguous float32 ``(n, d)`` array of finite values, documents ``str`` or ``None``, metadata a
private copy (``{}`` when absent). Adapters therefore never validate and never see user-owned mutable objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .models import Metadata, Record


@dataclass(frozen=True)
class RecordBatch:
    ids: list[str]
    vectors: np.ndarray
    documents: list[str | None]
    metadatas: list[Metadata]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    def slice(self, start: int, stop: int) -> RecordBatch:
        return RecordBatch(
            self.ids[start:stop], self.vectors[start:stop], self.documents[start:stop], self.metadatas[start:stop]
        )

    def chunks(self, size: int) -> Iterator[RecordBatch]:
        """Yield consecutive slices of at most ``size`` records (backends with batch limits write chunk by chunk)."""
        for start in range(0, len(self), size):
            yield self.slice(start, start + size)

    def records(self) -> Iterator[Record]:
        for i, record_id in enumerate(self.ids):
            yield Record.model_construct(
                id=record_id,
                vector=self.vectors[i].tolist(),
                document=self.documents[i],
                metadata=self.metadatas[i],
            )
