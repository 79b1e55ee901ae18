"""One store per local path in a process: a second ``open`` of the same path shares the first one's adapter.

Two parts of one application (two pipeline components, a LangChain store and the application's own code) often open
the same ``chroma:///data`` or ``qdrant:///data``. Each backend allows one owner per directory (Chroma's index loses
entries with two, Qdrant's engine refuses), and that owner is what our directory lock enforces between processes.
Inside one process sharing is safe, so every handle gets the same adapter (for an isolated store: the same worker),
counted: closing one handle leaves the others working, and the last close releases the path. Another process still
gets :class:`~vectorstore.errors.StoreLocked`.

Which configurations own a directory is the adapter's to say: a config model with a ``local_path()`` method returning
the directory (or ``None`` for servers and in-memory stores, where two opens are two independent stores) takes part.
Two opens share only with equal configuration and settings; asking for the same path with different options is an
error that names the differences, because one of them would silently not apply.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Resolved
from .errors import StoreLocked
from .models import CollectionInfo


def local_path(resolved: Resolved) -> Path | None:
    """The directory this configuration owns exclusively, or None when it owns none."""
    owner = getattr(resolved.config, "local_path", None)
    return owner() if callable(owner) else None


@dataclass
class _Shared:
    """What every handle on one path shares: the adapter, the collection shapes it serves, and the handle count."""

    adapter: Any
    options: dict[str, Any]
    url: str
    shapes: dict[str, CollectionInfo] = field(default_factory=dict)
    handles: int = 0


class Handles:
    """The process's open paths. Opening a new path runs under the lock, so two threads opening it at once share."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, Path], _Shared] = {}
        self._pid = os.getpid()

    def acquire(
        self, resolved: Resolved, path: Path, build: Callable[[], Any]
    ) -> tuple[Any, dict[str, CollectionInfo], Callable[[], None]]:
        """The shared adapter, its shape cache, and the function that releases this handle (call it exactly once)."""
        key = (resolved.spec.name, path)
        options = _options(resolved, path)
        with self._lock:
            self._forget_parent()
            shared = self._open.get(key)
            if shared is None:
                shared = _Shared(adapter=build(), options=options, url=resolved.url)
                self._open[key] = shared
            elif shared.options != options:
                raise StoreLocked(_conflict(path, shared, options), path=str(path))
            shared.handles += 1
        release = _Release(self, key, shared)
        return shared.adapter, shared.shapes, release

    def release(self, key: tuple[str, Path], shared: _Shared) -> None:
        with self._lock:
            shared.handles -= 1
            if shared.handles > 0 or self._open.get(key) is not shared:
                return
            del self._open[key]
        shared.adapter.close()

    def open_paths(self) -> dict[str, int]:
        """Each shared path with its number of open handles (``vectorstore info`` and tests)."""
        with self._lock:
            return {f"{name}:{path}": shared.handles for (name, path), shared in self._open.items()}

    def _forget_parent(self) -> None:
        """A forked child must not use its parent's adapters (a backend opened before a fork hangs)."""
        if os.getpid() != self._pid:
            self._open.clear()
            self._pid = os.getpid()


class _Release:
    """Releases one handle once, whether the store is closed or garbage collected without being closed."""

    def __init__(self, handles: Handles, key: tuple[str, Path], shared: _Shared) -> None:
        self._handles, self._key, self._shared = handles, key, shared
        self._done = threading.Lock()
        self._released = False

    def __call__(self) -> None:
        with self._done:
            if self._released:
                return
            self._released = True
        self._handles.release(self._key, self._shared)

    def on_collect(self, owner: object) -> None:
        weakref.finalize(owner, self)


def _options(resolved: Resolved, path: Path) -> dict[str, Any]:
    """What must be equal for two opens to share: the config (its path made absolute) and the store settings."""
    config = resolved.config.model_dump(mode="json")
    config["path"] = str(path)
    settings = resolved.settings.model_dump(mode="json")
    return {**{f"config.{k}": v for k, v in config.items()}, **{f"settings.{k}": v for k, v in settings.items()}}


def _conflict(path: Path, shared: _Shared, wanted: dict[str, Any]) -> str:
    differ = sorted(k for k in wanted.keys() | shared.options.keys() if wanted.get(k) != shared.options.get(k))
    pairs = ", ".join(f"{k.split('.', 1)[1]}: open {shared.options.get(k)!r}, asked {wanted.get(k)!r}" for k in differ)
    return (
        f"{path} is already open in this process ({shared.url}) with other options ({pairs}); "
        "open it with the same options to share that store, or close every handle on it first"
    )


#: The process-wide table used by :func:`vectorstore.open`.
HANDLES = Handles()
