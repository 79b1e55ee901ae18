"""Journal entries as text: typed JSON (:mod:`vectorstore.typedjson`: every metadata type of the contract, and
datetime filter operands), vectors as raw float32 bytes. Nothing here depends on a backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..batch import RecordBatch
from ..typedjson import dumps


def batch_payload(batch: RecordBatch) -> tuple[str, bytes]:
    """A validated write batch as (JSON of ids, documents, metadata, dimension; the vectors' bytes)."""
    assert batch.vectors is not None
    text = dumps({"ids": batch.ids, "documents": batch.documents, "metadatas": batch.metadatas,
                  "dimension": batch.dimension})
    return text, np.ascontiguousarray(batch.vectors, dtype=np.float32).tobytes()


def batch_of(payload: dict[str, Any], vectors: bytes) -> RecordBatch:
    matrix = np.frombuffer(vectors, dtype=np.float32).reshape(len(payload["ids"]), payload["dimension"])
    return RecordBatch(payload["ids"], matrix, payload["documents"], payload["metadatas"])
