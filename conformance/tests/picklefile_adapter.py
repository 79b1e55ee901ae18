"""A persistent test double: the memory adapter saved to one pickle file per write, with an exclusive lock.

It exists so that this repository's own tests exercise the suite's persistence, durability and recall groups
(the memory adapter is neither persistent nor approximate). ``picklefile:///dir?approximate=true`` declares
``exact_search=False`` (its search stays exact, so recall is 1.0). Registered through a generated dist-info
entry point (see ``conftest.py``), so spawned child processes find it like any installed adapter.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.errors import StoreLocked
from vectorstore.models import Capabilities


class PickleFileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    approximate: bool = False
    #: Save only every n-th write: a deliberately non-durable variant for the suite's own tests.
    save_every: int = 1


class PickleFileAdapter(MemoryAdapter):
    name = "picklefile"

    def __init__(self, config: PickleFileConfig) -> None:
        super().__init__()
        self.capabilities = Capabilities(persistent=True, exact_search=not config.approximate)
        self._directory = Path(config.path)
        self._directory.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self._directory / "lock", "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreLocked(f"{self._directory} is open in another process") from None
        self._save_every = config.save_every
        self._writes = 0
        self._file = self._directory / "store.pickle"
        if self._file.exists():
            self._collections = pickle.loads(self._file.read_bytes())

    def _save(self) -> None:
        with self._lock:
            self._writes += 1
            if self._writes % self._save_every:
                return
            temporary = self._file.with_suffix(".tmp")
            with open(temporary, "wb") as handle:
                pickle.dump(self._collections, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._file)

    def create_collection(self, *args: Any) -> Any:
        info = super().create_collection(*args)
        self._save()
        return info

    def delete_collection(self, *args: Any) -> None:
        super().delete_collection(*args)
        self._save()

    def upsert(self, *args: Any) -> None:
        super().upsert(*args)
        self._save()

    def delete(self, *args: Any) -> int:
        deleted = super().delete(*args)
        self._save()
        return deleted

    def close(self) -> None:
        self._lock_file.close()


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [
        AdapterSpec(
            name="picklefile",
            schemes=("picklefile",),
            adapter="picklefile_adapter:PickleFileAdapter",
            config="picklefile_adapter:PickleFileConfig",
            description="test double: memory adapter persisted to a pickle file",
        )
    ]
