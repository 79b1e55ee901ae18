"""A test-only persistent adapter: the reference memory adapter plus a file, for durability tests without Chroma.

Every write is saved (write, fsync, atomic rename) before it returns, so an acknowledged write survives a worker
that dies right after answering; like Chroma's adapter it takes an exclusive lock on its path, so a supervisor that
started a new worker before reaping the old one would get ``StoreLocked``. The worker imports it by module name
(``spawn`` copies the host's ``sys.path``).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sys
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict

from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.batch import RecordBatch
from vectorstore.config import Resolved, StoreSettings
from vectorstore.errors import StoreLocked
from vectorstore.filters import Node
from vectorstore.models import CollectionInfo, Metric
from vectorstore.registry import AdapterSpec


class DurableConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str


class DurableAdapter(MemoryAdapter):
    name = "durable"
    capabilities = MemoryAdapter.capabilities.model_copy(update={"persistent": True})

    def __init__(self, config: DurableConfig) -> None:
        super().__init__()
        self._file = Path(config.path)
        self._lock_file: IO[bytes] = open(f"{config.path}.lock", "ab")  # noqa: SIM115
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise StoreLocked(f"{config.path} is already open by another process", path=config.path) from None
        if self._file.exists():
            self._collections = pickle.loads(self._file.read_bytes())

    def _save(self) -> None:
        temporary = self._file.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(self._collections, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self._file)

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

    def close(self) -> None:
        self._lock_file.close()


def _importable_in_workers(module: str) -> None:
    """Put the directory this module was imported from on ``sys.path``, which ``spawn`` copies into the worker.

    pytest's importlib mode imports test modules without touching ``sys.path``, so the worker could not import
    ``isolation.durable`` by name otherwise.
    """
    root = str(Path(__file__).resolve().parents[module.count(".")])
    if root not in sys.path:
        sys.path.append(root)


def resolved(path: Path, timeout_s: float) -> Resolved:
    """What ``vectorstore.open`` would resolve for this adapter, without registering a plugin for the session."""
    module = DurableAdapter.__module__
    _importable_in_workers(module)
    spec = AdapterSpec(
        name="durable", schemes=("durable",), adapter=f"{module}:DurableAdapter", config=f"{module}:DurableConfig"
    )
    return Resolved(
        spec=spec,
        config=DurableConfig(path=str(path)),
        settings=StoreSettings(isolation="process", timeout_s=timeout_s),
        source="test",
        url=f"durable://{path}",
    )
