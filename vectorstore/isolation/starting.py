"""How a worker process is started: a forkserver that has only imported the backend, or plain ``spawn``.

``spawn`` starts a new interpreter per worker, which then imports the backend: for Chroma that is most of the
1.2 s between ``open`` and the first result (0.37 s raw, issue 10), paid again at every restart after a crash.
A forkserver pays it once per host: it is itself a fresh interpreter (never a fork of the host, which may have
opened a backend), it imports the worker module and the adapter's module, and forks each worker from that state.
Forking after ``import chromadb`` alone is safe; forking after a client was opened hangs (notes/backends.md), and
the forkserver never opens one.

A forked worker inherits the forkserver's environment and working directory, not the host's current ones, so the
host sends both (:class:`Surroundings`) and the worker adopts them before building its adapter: a worker started
later behaves as a spawned one would.

Linux only: macOS forks badly after system frameworks are loaded, Windows cannot fork. ``VECTORSTORE_WORKER_START``
(``forkserver`` or ``spawn``) overrides the choice.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext

from ..errors import ConfigurationError
from ..registry import AdapterSpec

ENVIRONMENT_VARIABLE = "VECTORSTORE_WORKER_START"
START_METHODS = ("forkserver", "spawn")

_preload_lock = threading.Lock()


def start_method() -> str:
    """The configured start method, else ``forkserver`` where it is safe and available, else ``spawn``."""
    chosen = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if chosen:
        if chosen not in START_METHODS:
            raise ConfigurationError(
                f"{ENVIRONMENT_VARIABLE}={chosen!r} is not a worker start method; use one of {', '.join(START_METHODS)}"
            )
        if chosen == "forkserver" and "forkserver" not in multiprocessing.get_all_start_methods():
            raise ConfigurationError(f"{ENVIRONMENT_VARIABLE}=forkserver: this platform has no forkserver; use spawn")
        return chosen
    return "forkserver" if sys.platform.startswith("linux") else "spawn"


def context_for(spec: AdapterSpec) -> BaseContext:
    """The multiprocessing context that starts ``spec``'s workers.

    The forkserver is multiprocessing's one per process; its preload list only counts before it starts, so the
    first isolated store of a host decides it (later adapters are imported by their workers, as with spawn). Its
    first preload ties its life, and so its workers', to the host's (:mod:`.tether`).
    """
    method = start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        with _preload_lock:
            context.set_forkserver_preload(
                [f"{__package__}._forkserver", f"{__package__}.worker", spec.adapter.partition(":")[0]]
            )
    return context


def _working_directory() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # the host's directory was removed; a spawned worker would not have one either
        return None


@dataclass(frozen=True)
class Surroundings:
    """What a spawned worker would have inherited from its host at start: environment and working directory."""

    environment: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    directory: str | None = field(default_factory=_working_directory)

    def adopt(self) -> None:
        os.environ.clear()
        os.environ.update(self.environment)
        if self.directory is not None:
            os.chdir(self.directory)
