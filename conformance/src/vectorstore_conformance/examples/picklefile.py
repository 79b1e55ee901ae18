"""``picklefile:///DIR``: the memory adapter made persistent, in one file, with the toolkit's directory lock.

It is the shortest adapter that passes every group of the suite a persistent store is held to (persistence,
durability, single owner), which makes it this repository's test double for the core's isolation, durability and
migration code, and the example ``docs/adapters.md`` walks through:

- search, filters and scores come from the reference adapter (:class:`~vectorstore.adapters.memory.MemoryAdapter`);
- every write is saved before it returns (write, fsync, atomic rename), so an acknowledged write survives a process
  that dies right after answering;
- :class:`~vectorstore.toolkit.DirectoryLock` makes it the one owner of ``DIR``, as Chroma and Qdrant are;
- file errors become :class:`~vectorstore.errors.BackendError` through :class:`~vectorstore.toolkit.native_errors`.

Options, for the suite's own tests: ``approximate=true`` declares ``exact_search=False`` (its search stays exact, so
the store's completion of short answers is exercised without changing results); ``save_every=N`` saves only every
n-th write, a deliberately non-durable variant the durability group must catch.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from vectorstore import AdapterSpec, hookimpl
from vectorstore.adapters.memory import MemoryAdapter
from vectorstore.batch import RecordBatch
from vectorstore.errors import BackendError, VectorStoreError
from vectorstore.filters import Node
from vectorstore.indexes import IndexKind
from vectorstore.models import Capabilities, CollectionInfo, Metric
from vectorstore.toolkit import DirectoryLock, native_errors

STORE_FILE = "store.pickle"


class PickleFileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    approximate: bool = False
    save_every: int = Field(default=1, ge=1)

    def local_path(self) -> Path:
        """The directory this store owns: one owner per directory (see :mod:`vectorstore.sharing`)."""
        return Path(self.path).expanduser().resolve()


def classify(exc: Exception, operation: str, collection: str | None) -> VectorStoreError:
    """The backend's rules for its native errors: here every one is a failed file operation."""
    where = f" on collection {collection!r}" if collection else ""
    return BackendError(f"picklefile {operation}{where} failed: {type(exc).__name__}: {exc}")


class PickleFileAdapter(MemoryAdapter):
    name = "picklefile"

    def __init__(self, config: PickleFileConfig) -> None:
        super().__init__()
        self.capabilities = Capabilities(persistent=True, exact_search=not config.approximate)
        self._directory = config.local_path()
        self._directory.mkdir(parents=True, exist_ok=True)
        self._owner = DirectoryLock(self._directory, "picklefile")
        self._owner.acquire()
        self._save_every = config.save_every
        self._writes = 0
        self._file = self._directory / STORE_FILE
        with native_errors(classify, "open"):
            if self._file.exists():
                self._collections = pickle.loads(self._file.read_bytes())

    def _save(self) -> None:
        with self._lock, native_errors(classify, "save"):
            self._writes += 1
            if self._writes % self._save_every:
                return
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

    def create_index(self, name: str, key: str, kind: IndexKind) -> None:
        super().create_index(name, key, kind)
        self._save()

    def close(self) -> None:
        self._owner.release()


def spec(name: str = "picklefile", module: str = __name__, adapter: str = "PickleFileAdapter") -> AdapterSpec:
    """The spec a plugin declares for this adapter (or for a subclass of it in another module)."""
    return AdapterSpec(
        name=name,
        schemes=(name,),
        adapter=f"{module}:{adapter}",
        config=f"{__name__}:PickleFileConfig",
        description="example adapter: the memory adapter persisted to a pickle file",
    )


@hookimpl
def vectorstore_adapters() -> list[AdapterSpec]:
    return [spec()]
