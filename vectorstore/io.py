"""Reading record and query files: JSON or JSON Lines, optionally gzipped, as rows or as columns.

A library module (the CLI's ``ingest``, ``query --queries`` and ``trial --queries`` and the demos use it), so an
application can load the same files the command line loads. Records come out as rows in the ``records=[...]`` form
(``{"id", "vector", "document", "metadata"}``), or validated for a collection as one
:class:`~vectorstore.batch.RecordBatch` (:func:`read_records`), which ``VectorStore.upsert`` takes as it is. A
malformed file raises :class:`~vectorstore.errors.InvalidInput` naming the file and line; a record the contract
refuses raises the same error an upsert would, naming the record. Datetime and date metadata values are written
``{"$datetime": "2024-05-01T12:00:00+00:00"}`` and ``{"$date": "2024-05-01"}`` (:mod:`vectorstore.typedjson`).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import IO, Any

from . import typedjson, validation
from .batch import RecordBatch
from .errors import InvalidInput, InvalidRecord

ROW_KEYS = ("id", "embedding", "document", "metadata")
COLUMN_KEYS = ("ids", "embeddings", "documents", "metadatas")
#: One record as read, before validation: the ``records=[...]`` form of ``VectorStore.upsert``.
Row = dict[str, Any]


def read_rows(path: Path) -> list[Row]:
    """Parse a records file into rows (unvalidated); any malformed line raises :class:`InvalidInput` naming it."""
    name = path.name.removesuffix(".gz")
    with _open(path) as stream:
        if name.endswith(".jsonl"):
            return [
                _row(_loads(line, f"{path}:{number}"), f"{path}:{number}")
                for number, line in enumerate(stream, 1)
                if line.strip()
            ]
        data = _loads(stream.read(), str(path))
    if isinstance(data, dict):
        return _column_rows(data, str(path))
    if isinstance(data, list):
        return [_row(row, f"{path}[{index}]") for index, row in enumerate(data)]
    raise InvalidInput(f"{path}: expected a list of rows or an object of columns")


def first_dimension(rows: list[Row]) -> int:
    """The dimension a new collection for ``rows`` gets: the length of the first record's vector."""
    first = rows[0]["vector"]
    if type(first) is not list or not first:
        raise InvalidRecord(
            f"record {rows[0]['id']!r}: embedding must be a non-empty list of numbers, got {validation.describe(first)}",
            record_id=rows[0]["id"],
        )
    return len(first)


def to_batch(rows: list[Row], collection: str, dimension: int) -> RecordBatch:
    """``rows`` validated for ``collection`` (DESIGN 3.1): the first bad record raises, naming it."""
    return validation.batch(collection, dimension, *validation.records_to_columns(rows))


def read_records(path: Path, collection: str, dimension: int | None = None) -> RecordBatch:
    """A records file validated for ``collection``; ``dimension`` defaults to the first record's."""
    rows = read_rows(path)
    if not rows:
        raise InvalidInput(f"{path}: no records found")
    return to_batch(rows, collection, first_dimension(rows) if dimension is None else dimension)


def read_queries(path: Path) -> list[tuple[str, list[float]]]:
    """``{text, embedding}`` rows of a JSONL file."""
    queries = []
    with _open(path) as stream:
        for number, line in enumerate(stream, 1):
            if line.strip():
                row = _loads(line, f"{path}:{number}")
                if not isinstance(row, dict) or "embedding" not in row:
                    raise InvalidInput(f"{path}:{number}: expected {{text, embedding}}")
                queries.append((str(row.get("text", f"query {number}")), row["embedding"]))
    return queries


def _row(row: Any, where: str) -> Row:
    if not isinstance(row, dict):
        raise InvalidInput(f"{where}: expected an object with {', '.join(ROW_KEYS)}, got {type(row).__name__}")
    unknown = set(row) - set(ROW_KEYS) - {"vector"}
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {sorted(unknown)}; expected {', '.join(ROW_KEYS)}")
    vector = row.get("embedding", row.get("vector"))
    if "id" not in row or vector is None:
        raise InvalidInput(f"{where}: each row needs 'id' and 'embedding'")
    return {"id": row["id"], "vector": vector, "document": row.get("document"), "metadata": row.get("metadata")}


def _column_rows(data: dict[str, Any], where: str) -> list[Row]:
    unknown = set(data) - set(COLUMN_KEYS)
    if unknown or "ids" not in data or "embeddings" not in data:
        raise InvalidInput(f"{where}: the column form needs 'ids' and 'embeddings' (and optional documents, metadatas)")
    for key in COLUMN_KEYS:  # a str would otherwise be read character by character
        if data.get(key) is not None and not isinstance(data[key], list):
            raise InvalidInput(f"{where}: '{key}' must be a list, got {type(data[key]).__name__}")
    n = len(data["ids"])
    documents = data.get("documents") or [None] * n
    metadatas = data.get("metadatas") or [None] * n
    if not (len(data["embeddings"]) == len(documents) == len(metadatas) == n):
        raise InvalidInput(f"{where}: ids, embeddings, documents and metadatas must have the same length")
    return [
        {"id": i, "vector": v, "document": d, "metadata": m}
        for i, v, d, m in zip(data["ids"], data["embeddings"], documents, metadatas)
    ]


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _loads(text: str, where: str) -> Any:
    try:
        return typedjson.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # a {"$datetime": ...} or {"$date": ...} that is not ISO 8601
        raise InvalidInput(f"{where}: {exc}") from None
