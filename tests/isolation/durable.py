"""A persistent store for durability tests without Chroma: the suite's example adapter, ``picklefile``.

Every write is saved (write, fsync, atomic rename) before it returns, so an acknowledged write survives a worker
that dies right after answering; like Chroma's adapter it takes an exclusive lock on its directory, so a supervisor
that started a new worker before reaping the old one would get ``StoreLocked``. The adapter lives in an installed
package, so workers import it by name however they are started.
"""

from __future__ import annotations

from pathlib import Path

from vectorstore_conformance.examples.picklefile import PickleFileConfig, spec

from vectorstore.config import Resolved, StoreSettings


def resolved(path: Path, timeout_s: float) -> Resolved:
    """What ``vectorstore.open`` would resolve for this adapter, without registering a plugin for the session."""
    return Resolved(
        spec=spec(),
        config=PickleFileConfig(path=str(path)),
        settings=StoreSettings(isolation="process", timeout_s=timeout_s),
        source="test",
        url=f"picklefile://{path}",
    )
