"""``vectorstore.open``: from a URL or configuration to a ready :class:`~vectorstore.store.VectorStore`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .config import Resolved, resolve
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

    With ``heal=repair`` or ``heal=quarantine`` every collection is checked before the store is returned, and a
    damaged one is repaired or refused (:mod:`vectorstore.healing`, docs/durability.md).
    """
    resolved = resolve(url, config, **options)
    store = VectorStore(build_adapter(resolved), url=resolved.url)
    if resolved.settings.heal == "off":
        return store
    from .healing import heal

    try:
        return heal(store, resolved.settings.heal)
    except BaseException:
        store.close()
        raise
