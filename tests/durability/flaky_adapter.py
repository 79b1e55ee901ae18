"""A test double with damage on demand: the suite's persistent example adapter, plus a file of faults.

``flaky:///DIR`` is the suite's example adapter (:mod:`vectorstore_conformance.examples.picklefile`: records in
``DIR/store.pickle``, saved on every write, one owner per directory) that also reads ``DIR/faults.json`` when
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
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vectorstore_conformance.examples.picklefile import PickleFileAdapter, PickleFileConfig, spec

from vectorstore import AdapterSpec, hookimpl
from vectorstore.batch import RecordBatch
from vectorstore.errors import BackendError
from vectorstore.filters import Node
from vectorstore.health import RepairReport
from vectorstore.models import Match

FAULTS = "faults.json"


class FlakyConfig(PickleFileConfig):
    repairable: bool = True


def write_faults(directory: Path, **faults: Any) -> None:
    """Set the faults the next open of ``flaky://DIRECTORY`` will have."""
    (directory / FAULTS).write_text(json.dumps(faults), encoding="utf-8")


class FlakyAdapter(PickleFileAdapter):
    """The example persistent adapter, whose reads fail (or abort the process) where the faults file says."""

    name = "flaky"

    def __init__(self, config: FlakyConfig) -> None:
        super().__init__(config)
        self._repairable = config.repairable
        faults_file = self._directory / FAULTS
        self._faults: dict[str, Any] = json.loads(faults_file.read_text()) if faults_file.exists() else {}

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

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        self._readable(name, ids)
        return super().get(name, ids, include)

    def count(self, name: str, where: Node | None) -> int:
        self._readable(name)
        return super().count(name, where)

    def query(self, name: str, vectors: Any, k: int, where: Node | None, include: frozenset[str]) -> list[list[Match]]:
        self._readable(name)
        return super().query(name, vectors, k, where, include)

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        self._readable(name)
        for batch in super().scan(name, where, batch_size, include):
            if "vector" in include:
                self._readable(name, batch.ids)
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
    return [spec("flaky", __name__, "FlakyAdapter").model_copy(update={"config": f"{__name__}:FlakyConfig"})]
