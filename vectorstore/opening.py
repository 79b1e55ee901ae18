"""``vectorstore.open``: from a URL or configuration to a ready :class:`~vectorstore.store.VectorStore`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import Resolved, resolve
from .sharing import HANDLES, local_path
from .store import VectorStore


def build_adapter(resolved: Resolved) -> Any:
    """The adapter itself, or its isolated proxy when the configuration asks for process isolation."""
    if resolved.isolation == "process":
        from .isolation import IsolatedAdapter

        return IsolatedAdapter(resolved)
    return resolved.spec.load_adapter()(resolved.config)


def open(url: str | None = None, *, config: Mapping[str, Any] | None = None, **options: Any) -> VectorStore:  # noqa: A001
    """Open a store.

    ``url`` (``memory://``, ``chroma:///data``, ``qdrant+http://host:6333?api_key=...``) or ``config`` (a mapping
    like a ``vectorstore.toml`` table) picks the backend; with neither, the environment, ``./vectorstore.toml`` and
    finally the embedded default are tried. Keyword ``options`` override URL query parameters.

    A store on a local path that is already open in this process shares that store (same adapter, same worker):
    see :mod:`vectorstore.sharing`; each handle is closed on its own, and the last close releases the path.

    With ``heal=repair`` or ``heal=quarantine`` every collection is checked before the store is returned, and a
    damaged one is repaired or refused (:mod:`vectorstore.healing`, docs/durability.md).
    """
    resolved = resolve(url, config, **options)
    if resolved.shadow is not None:  # live migration: docs/migration.md
        from .shadow.opening import open_shadowed

        return open_shadowed(resolved, _open_resolved)
    return _open_resolved(resolved)


def _open_resolved(resolved: Resolved) -> VectorStore:
    """A store for one configuration, sharing an open local path (see :func:`open`)."""
    path = local_path(resolved)
    if path is None:
        return _opened(resolved)
    adapter, shapes, release = HANDLES.acquire(resolved, path, lambda: _opened(resolved).adapter)
    store = VectorStore(
        adapter, url=resolved.url, shapes=shapes, release=release, none_values=resolved.settings.none_values
    )
    release.on_collect(store)
    return store


def _opened(resolved: Resolved) -> VectorStore:
    """A store of its own on a new adapter, checked (and healed) when the settings ask."""
    store = VectorStore(build_adapter(resolved), url=resolved.url, none_values=resolved.settings.none_values)
    if resolved.settings.heal == "off":
        return store
    from .healing import heal

    try:
        return heal(store, resolved.settings.heal)
    except BaseException:
        store.close()
        raise
