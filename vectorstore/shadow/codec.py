"""Journal entries as text: JSON that keeps every metadata type of the contract, vectors as raw float32 bytes.

JSON keeps ``1``, ``1.0`` and ``true`` apart; datetimes and dates (metadata types of DESIGN 3.1, and filter
operands) become ``{"$datetime": iso}`` / ``{"$date": iso}``, which no metadata key can collide with, since keys
may not start with ``$``. Nothing here depends on a backend.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np

from ..batch import RecordBatch


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$datetime" in value:
            return dt.datetime.fromisoformat(value["$datetime"])
        if len(value) == 1 and "$date" in value:
            return dt.date.fromisoformat(value["$date"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    return _decode(json.loads(text))


def batch_payload(batch: RecordBatch) -> tuple[str, bytes]:
    """A validated write batch as (JSON of ids, documents, metadata, dimension; the vectors' bytes)."""
    assert batch.vectors is not None
    text = dumps({"ids": batch.ids, "documents": batch.documents, "metadatas": batch.metadatas,
                  "dimension": batch.dimension})
    return text, np.ascontiguousarray(batch.vectors, dtype=np.float32).tobytes()


def batch_of(payload: dict[str, Any], vectors: bytes) -> RecordBatch:
    matrix = np.frombuffer(vectors, dtype=np.float32).reshape(len(payload["ids"]), payload["dimension"])
    return RecordBatch(payload["ids"], matrix, payload["documents"], payload["metadatas"])
