"""Reading record and query files for the CLI: JSON or JSON Lines, optionally gzipped, rows or columns."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InvalidInput

ROW_KEYS = ("id", "embedding", "document", "metadata")
COLUMN_KEYS = ("ids", "embeddings", "documents", "metadatas")


@dataclass
class Columns:
    ids: list[Any] = field(default_factory=list)
    vectors: list[Any] = field(default_factory=list)
    documents: list[Any] = field(default_factory=list)
    metadatas: list[Any] = field(default_factory=list)

    def add_row(self, row: Any, where: str) -> None:
        if not isinstance(row, dict):
            raise InvalidInput(f"{where}: expected an object with {', '.join(ROW_KEYS)}, got {type(row).__name__}")
        unknown = set(row) - set(ROW_KEYS) - {"vector"}
        if unknown:
            raise InvalidInput(f"{where}: unknown field(s) {sorted(unknown)}; expected {', '.join(ROW_KEYS)}")
        vector = row.get("embedding", row.get("vector"))
        if "id" not in row or vector is None:
            raise InvalidInput(f"{where}: each row needs 'id' and 'embedding'")
        self.ids.append(row["id"])
        self.vectors.append(vector)
        self.documents.append(row.get("document"))
        self.metadatas.append(row.get("metadata"))


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _columns(data: dict[str, Any], where: str) -> Columns:
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
    return Columns(list(data["ids"]), list(data["embeddings"]), list(documents), list(metadatas))


def read_records(path: Path) -> Columns:
    """Parse a records file; any malformed line raises :class:`InvalidInput` naming the file and line."""
    name = path.name.removesuffix(".gz")
    with _open(path) as stream:
        if name.endswith(".jsonl"):
            columns = Columns()
            for number, line in enumerate(stream, 1):
                if line.strip():
                    columns.add_row(_loads(line, f"{path}:{number}"), f"{path}:{number}")
            return columns
        data = _loads(stream.read(), str(path))
    if isinstance(data, dict):
        return _columns(data, str(path))
    if isinstance(data, list):
        columns = Columns()
        for index, row in enumerate(data):
            columns.add_row(row, f"{path}[{index}]")
        return columns
    raise InvalidInput(f"{path}: expected a list of rows or an object of columns")


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


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
