"""A test double with damage on demand: the memory adapter saved to a pickle file, plus a file of faults.

``flaky:///DIR`` keeps its records in ``DIR/store.pickle`` (saved on every write) and reads ``DIR/faults.json`` when
it opens, which a test writes while the store is closed, as a kill would leave Chroma's files:

- ``damaged``: ``{collection: message}``: every read of the collection raises ``BackendError`` (``get_collection``
  still answers, as Chroma's does);
- ``unreadable``: ``{collection: [ids]}``: a ``get`` or a ``scan`` with vectors that touches one of them raises
  ``BackendError``; an ids-only scan still lists them;
- ``crash``: ``{collection: [ids]}``: a ``get`` that touches one of them aborts the process (SIGABRT);
- ``lost``: ``{collection: [ids]}``: what ``repair`` cannot restore (it removes them and reports them missing).

``repair`` clears the collection's damage, unless the config says ``repairable=false``, where it keeps the base
class's "cannot repair". It exists to test the core's doctor, heal and salvage without a backend's internals.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.batch import RecordBatch
from vectorstore.errors import BackendError
from vectorstore.filters import Node
from vectorstore.health import RepairReport
from vectorstore.models import CollectionInfo, Match, Metric, Record

FAULTS = "faults.json"


class FlakyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    repairable: bool = True


def write_faults(directory: Path, **faults: Any) -> None:
    """Set the faults the next open of ``flaky://DIRECTORY`` will have."""
    (directory / FAULTS).write_text(json.dumps(faults), encoding="utf-8")


class FlakyAdapter(MemoryAdapter):
    name = "flaky"
    capabilities = MemoryAdapter.capabilities.model_copy(update={"persistent": True})

    def __init__(self, config: FlakyConfig) -> None:
        super().__init__()
        self._directory = Path(config.path)
        self._directory.mkdir(parents=True, exist_ok=True)
        self._file = self._directory / "store.pickle"
        self._repairable = config.repairable
        if self._file.exists():
            self._collections = pickle.loads(self._file.read_bytes())
        faults_file = self._directory / FAULTS
        self._faults: dict[str, Any] = json.loads(faults_file.read_text()) if faults_file.exists() else {}

    def _save(self) -> None:
        temporary = self._file.with_suffix(".tmp")
        temporary.write_bytes(pickle.dumps(self._collections))
        os.replace(temporary, self._file)

    def _ids(self, kind: str, name: str) -> set[str]:
        return set(self._faults.get(kind, {}).get(name, []))

    def _readable(self, name: str, ids: list[str] | None = None) -> None:
        damage = self._faults.get("damaged", {}).get(name)
        if damage:
            raise BackendError(f"flaky read failed on collection {name!r}: {damage}")
        touched = set(ids or ())
        if touched & self._ids("crash", name):
            os.abort()
        bad = sorted(touched & self._ids("unreadable", name))
        if bad:
            raise BackendError(f"flaky read failed on collection {name!r}: cannot decode record {bad[0]!r}")

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        info = super().create_collection(name, dimension, metric)
        self._save()
        return info

    def delete_collection(self, name: str) -> None:
        super().delete_collection(name)
        self._save()

    def upsert(self, name: str, batch: RecordBatch) -> None:
        super().upsert(name, batch)
        self._save()

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int:
        deleted = super().delete(name, ids, where)
        self._save()
        return deleted

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> list[Record]:
        self._readable(name, ids)
        return super().get(name, ids, include)

    def count(self, name: str, where: Node | None) -> int:
        self._readable(name)
        return super().count(name, where)

    def query(self, name: str, vectors: Any, k: int, where: Node | None, include: frozenset[str]) -> list[list[Match]]:
        self._readable(name)
        return super().query(name, vectors, k, where, include)

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[list[Record]]:
        self._readable(name)
        for batch in super().scan(name, where, batch_size, include):
            if "vector" in include:
                self._readable(name, [record.id for record in batch])
            yield batch

    def repair(self, name: str, force: bool = False) -> RepairReport:
        if not self._repairable:
            return super().repair(name, force)
        started = time.perf_counter()
        expected = super().count(name, None)
        lost = sorted(self._ids("lost", name))
        if lost and not force:  # the contract: a repair that would lose ids leaves the collection as it is
            return RepairReport(
                collection=name, expected=expected, restored=0, missing_ids=lost, source="the pickle file",
                replaced=False,
            )
        super().delete(name, lost, None)
        self._save()
        for kind in ("damaged", "unreadable", "crash", "lost"):
            self._faults.get(kind, {}).pop(name, None)
        (self._directory / FAULTS).write_text(json.dumps(self._faults), encoding="utf-8")
        restored = super().count(name, None)
        return RepairReport(
            collection=name, expected=expected, restored=restored, missing_ids=lost, source="the pickle file",
            seconds=time.perf_counter() - started,
        )


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="flaky",
            schemes=("flaky",),
            adapter="flaky_adapter:FlakyAdapter",
            config="flaky_adapter:FlakyConfig",
            description="test double: damage on demand",
        )
    ]
