""":class:`IsolatedAdapter`: any adapter, run in a supervised worker process, behind the same interface.

Like httpx's ``MockTransport`` is a transport, the isolated adapter is an :class:`~vectorstore.adapter.Adapter`:
the store validates and parses everything as usual and hands the already-checked call to this proxy, which runs it
in the worker. The worker builds the real adapter from the same ``(spec, config)`` the store was resolved to.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..adapter import Adapter
from ..batch import RecordBatch
from ..config import Resolved
from ..filters import Node
from ..health import Check, RepairReport
from ..models import CollectionInfo, Match, Metric
from .policy import IsolationPolicy
from .supervisor import Supervisor

if TYPE_CHECKING:
    from .faults import FaultKind, Moment


class IsolatedAdapter(Adapter):
    """Forwards each call to one long-lived worker process that owns the real adapter.

    Built by :func:`vectorstore.open` when the configuration says ``isolation = "process"`` (Chroma's default).
    The worker starts at once; ``close()``, leaving a ``with`` block, garbage collection and interpreter exit all
    stop it. See ``docs/isolation.md`` for the errors it raises and the stats and events it reports.
    """

    def __init__(self, resolved: Resolved, policy: IsolationPolicy | None = None) -> None:
        self._adapter_name = resolved.spec.name
        if policy is None:
            settings = resolved.settings
            policy = IsolationPolicy(
                circuit_failures=settings.circuit_failures, circuit_cooldown_s=settings.circuit_cooldown_s
            )
        self._supervisor = Supervisor(resolved, policy)
        #: What the worker's adapter declared when it started (no round trip per call).
        self.capabilities = self._supervisor.capabilities
        self._finalizer = weakref.finalize(self, self._supervisor.close, "finalized (garbage collection or exit)")

    @property  # type: ignore[misc]  # the base declares a class attribute; this proxy answers for its adapter
    def name(self) -> str:  # type: ignore[override]
        return self._adapter_name

    def create_collection(self, name: str, dimension: int, metric: Metric) -> CollectionInfo:
        return self._supervisor.call("create_collection", (name, dimension, metric), name)

    def native_ids(self, ids: list[str]) -> list[str]:
        return self._supervisor.call("native_ids", (ids,), None)

    def get_collection(self, name: str) -> CollectionInfo:
        return self._supervisor.call("get_collection", (name,), name)

    def list_collections(self) -> list[CollectionInfo]:
        return self._supervisor.call("list_collections", (), None)

    def delete_collection(self, name: str) -> None:
        self._supervisor.call("delete_collection", (name,), name)

    def upsert(self, name: str, batch: RecordBatch) -> None:
        self._supervisor.call("upsert", (name, batch), name)

    def get(self, name: str, ids: list[str], include: frozenset[str]) -> RecordBatch:
        return self._supervisor.call("get", (name, ids, include), name)

    def delete(self, name: str, ids: list[str] | None, where: Node | None) -> int | None:
        """After a crash the delete is retried, and then the count is unknown (None)."""
        return self._supervisor.call("delete", (name, ids, where), name)

    def count(self, name: str, where: Node | None) -> int:
        return self._supervisor.call("count", (name, where), name)

    def query(
        self, name: str, vectors: np.ndarray, k: int, where: Node | None, include: frozenset[str]
    ) -> list[list[Match]]:
        return self._supervisor.call("query", (name, vectors, k, where, include), name)

    def scan(self, name: str, where: Node | None, batch_size: int, include: frozenset[str]) -> Iterator[RecordBatch]:
        return self._supervisor.scan(name, where, batch_size, include)

    def repair(self, name: str, force: bool = False) -> RepairReport:
        """Runs in the worker; not retried after a crash (running it again resumes it)."""
        return self._supervisor.call("repair", (name, force), name)

    def compact(self, name: str) -> int:
        return self._supervisor.call("compact", (name,), name)

    def check_files(self, name: str) -> list[Check]:
        return self._supervisor.call("check_files", (name,), name)

    def stats(self) -> dict[str, Any]:
        """Calls, failures by kind, restarts, latency percentiles, worker pid and uptime, circuit state."""
        return self._supervisor.report()

    def close(self) -> None:
        self._finalizer.detach()
        self._supervisor.close("close")

    def _inject_fault(
        self, kind: FaultKind, op: str, when: Moment = "before", *, times: int = 1, exit_code: int = 3
    ) -> None:
        """Test-only (needs ``VECTORSTORE_ISOLATION_FAULTS=1``): make the worker crash or hang during the next
        ``times`` requests for ``op`` (``scan`` opens a scan, ``scan_next`` fetches a later batch)."""
        from .faults import Fault

        self._supervisor.inject_fault(Fault(kind, op, when, exit_code), times)
