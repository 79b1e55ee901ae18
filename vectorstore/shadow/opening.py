"""Build a :class:`~vectorstore.shadow.store.ShadowedStore` from a resolved configuration with a shadow."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Resolved, resolve
from ..store import VectorStore


def open_shadowed(resolved: Resolved, open_plain: Callable[[Resolved], VectorStore]) -> VectorStore:
    """The primary is opened at once (as without a shadow); the shadow lazily, by the applier thread, so a shadow
    that is down or locked never keeps the application from starting."""
    from .. import open as open_store
    from .store import ShadowedStore

    settings = resolved.shadow
    assert settings is not None
    shadow_url = resolve(settings.url).url
    if shadow_url == resolved.url:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"the shadow is the primary itself ({resolved.url}); name another store")
    primary = open_plain(resolved.model_copy(update={"shadow": None}))
    try:
        return ShadowedStore(primary, settings, primary_url=resolved.url, shadow_url=shadow_url,
                             open_shadow=lambda: open_store(settings.url))
    except BaseException:
        primary.close()
        raise
