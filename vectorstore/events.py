"""Lifecycle events: logged, and broadcast through the ``vectorstore_event`` hook."""

from __future__ import annotations

import logging
from typing import Any

from .registry import registry
from .spec import Event

log = logging.getLogger("vectorstore.events")


def emit(kind: str, store: str, level: int = logging.INFO, **detail: Any) -> Event:
    """Log an event and hand it to every ``vectorstore_event`` hook implementation."""
    event = Event(kind=kind, store=store, detail=detail)
    log.log(level, "%s %s %s", kind, store, detail)
    # Each listener is called on its own: one that raises must neither break the store nor keep the event from the
    # others (a single pluggy call stops at the first exception).
    for impl in registry().hook.vectorstore_event.get_hookimpls():
        try:
            impl.function(event=event)
        except Exception:
            log.exception("a vectorstore_event hook failed for %s (plugin %s)", kind, impl.plugin_name)
    return event
