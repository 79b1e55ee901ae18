"""The embedded store's directory: an exclusive lock, and a manifest of collections with one shard each.

An EdgeShard is one collection's worth of Qdrant segments and WAL and knows no name, so the store keeps a small
manifest beside the shards::

    DIR/.vectorstore.lock             held while a store is open (vectorstore.toolkit.DirectoryLock)
    DIR/vectorstore-qdrant.json       {"format": 1, "collections": {"docs": {"dimension": 384,
                                        "metric": "cosine", "vector": null, "directory": "c-3f2a..."}}}
    DIR/c-3f2a.../                    the EdgeShard of "docs"

Shard directories get random names so that names differing only in case work on case-insensitive filesystems, and
so that creating and deleting are atomic through the manifest alone: a collection exists exactly when the manifest
(replaced atomically) lists it. A shard directory the manifest does not list is the leftover of a crash between the
two steps and is removed when the store is next opened.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from vectorstore.errors import ConfigurationError
from vectorstore.toolkit import DirectoryLock

from .engine import Shape

MANIFEST_FILE = "vectorstore-qdrant.json"
FORMAT = 1
_SHARD_PREFIX = "c-"


class StoreDirectory:
    """Owns a store directory while open: the lock, the manifest, and the shard directories."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / "meta.json").exists() and (self.root / "collection").is_dir():
            raise ConfigurationError(
                f"{self.root} holds a qdrant-client local-mode store; open it with qdrant+local://{self.root}"
            )
        self._lock = DirectoryLock(self.root, "Qdrant")
        self._lock.acquire()
        try:
            self.entries: dict[str, dict[str, Any]] = self._read()
            self._shapes = {name: _shape(entry) for name, entry in self.entries.items()}
            self._remove_orphans()
        except BaseException:
            self._lock.release()
            raise

    def _read(self) -> dict[str, dict[str, Any]]:
        path = self.root / MANIFEST_FILE
        if not path.exists():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ConfigurationError(
                f"{path}: unknown manifest format {data.get('format')!r}; upgrade vectorstore-qdrant"
            )
        return dict(data["collections"])

    def _save(self) -> None:
        """Replace the manifest atomically and durably (write, fsync, rename, fsync the directory)."""
        path = self.root / MANIFEST_FILE
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"format": FORMAT, "collections": self.entries}, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
            descriptor = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def _remove_orphans(self) -> None:
        listed = {entry["directory"] for entry in self.entries.values()}
        for child in self.root.iterdir():
            if child.name.startswith(_SHARD_PREFIX) and child.is_dir() and child.name not in listed:
                shutil.rmtree(child, ignore_errors=True)

    def new_shard_path(self) -> Path:
        return self.root / f"{_SHARD_PREFIX}{uuid.uuid4().hex}"

    def shard_path(self, name: str) -> Path:
        return self.root / self.entries[name]["directory"]

    def shape(self, name: str) -> Shape | None:
        return self._shapes.get(name)

    def add(self, name: str, shape: Shape, shard: Path) -> None:
        self.entries[name] = {
            "dimension": shape.dimension,
            "metric": shape.metric,
            "vector": shape.vector,
            "directory": shard.name,
        }
        self._save()
        self._shapes[name] = shape

    def set_index(self, name: str, key: str, kind: str) -> None:
        """Record a declared payload index of a collection (durably, like the collection itself)."""
        self.entries[name].setdefault("indexes", {})[key] = kind
        self._save()

    def indexes(self, name: str) -> dict[str, Any]:
        return dict(sorted(self.entries[name].get("indexes", {}).items()))

    def remove(self, name: str) -> Path:
        """Forget a collection (durably) and return its shard directory for the caller to delete."""
        shard = self.shard_path(name)
        del self.entries[name]
        self._save()
        del self._shapes[name]
        return shard

    def close(self) -> None:
        self._lock.release()


def _shape(entry: dict[str, Any]) -> Shape:
    return Shape(dimension=entry["dimension"], metric=entry["metric"], vector=entry.get("vector"))
