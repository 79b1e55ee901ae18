"""Hook specifications (pluggy project ``vectorstore``).

A plugin is any module registered under the ``vectorstore`` entry point group that implements these hooks with
``@vectorstore.hookimpl``. Adapters declare themselves through :func:`vectorstore_adapters`; monitoring code listens
to :func:`vectorstore_event`.
"""

from __future__ import annotations

import pluggy

from .spec import AdapterSpec, Event

hookspec = pluggy.HookspecMarker("vectorstore")
hookimpl = pluggy.HookimplMarker("vectorstore")


@hookspec
def vectorstore_adapters() -> list[AdapterSpec]:
    """Declare the adapters this plugin provides.

    Return specs only: name, URL schemes, and dotted paths to the adapter class and its pydantic config model. The
    registry imports those paths when a store is opened, so a plugin module must not import its backend at import
    time (``import chromadb`` costs 0.7 s).

    Called once when the registry loads plugins; every plugin's list is collected. A plugin whose hook raises (or
    returns anything but ``AdapterSpec``s) is recorded instead: only the scheme named like its entry point, or a scheme
    no adapter answers, then raises :class:`~vectorstore.errors.PluginLoadError`; the other adapters are unaffected.
    """


@hookspec
def vectorstore_event(event: Event) -> None:
    """Receive a lifecycle event (worker start, crash, timeout, restart, circuit open/close, ...).

    Called in the host process, in the thread that saw the event; keep it fast and never raise (exceptions are
    logged and ignored). Use it to wire alerts and dashboards.
    """
