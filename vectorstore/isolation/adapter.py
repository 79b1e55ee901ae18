""":class:`IsolatedAdapter`: any adapter, run in a supervised worker process, behind the same interface.

Like httpx's ``MockTransport`` is a transport, the isolated adapter is an :class:`~vectorstore.adapter.Adapter`:
the store validates and parses everything as usual and hands the already-checked call to this proxy, which runs it
in the worker. The worker builds the real adapter from the same ``(spec, config)`` the store was resolved to.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..adapter import Adapter
from ..config import Resolved
from ..operations import Op, extension, forwarding
from .policy import IsolationPolicy
from .supervisor import Supervisor

if TYPE_CHECKING:
    from .faults import FaultKind, Moment


@forwarding
class IsolatedAdapter(Adapter):
    """Forwards each call to one long-lived worker process that owns the real adapter.

    Built by :func:`vectorstore.open` when the configuration says ``isolation = "process"`` (Chroma's default).
    The worker starts at once; ``close()``, leaving a ``with`` block, garbage collection and interpreter exit all
    stop it. See ``docs/isolation.md`` for the errors it raises and the stats and events it reports.

    Every operation of :data:`vectorstore.operations.OPERATIONS` is forwarded (the methods are made by
    :func:`~vectorstore.operations.forwarding`), and so are the worker adapter's ``extensions``, as methods of the
    same name (``store.adapter.optimize(name)`` on Qdrant). After a crash an idempotent call is retried once; a
    retried ``delete`` then returns None (the count is unknown); ``repair`` is not retried (running it again
    resumes it).
    """

    def __init__(self, resolved: Resolved, policy: IsolationPolicy | None = None) -> None:
        self._adapter_name = resolved.spec.name
        if policy is None:
            settings = resolved.settings
            spin = {} if settings.reply_spin_ms is None else {"reply_spin_ms": settings.reply_spin_ms}
            policy = IsolationPolicy(
                circuit_failures=settings.circuit_failures,
                circuit_cooldown_s=settings.circuit_cooldown_s,
                worker_threads=settings.worker_threads,
                **spin,
            )
        self._supervisor = Supervisor(resolved, policy)
        #: What the worker's adapter declared when it started (no round trip per call).
        self.capabilities = self._supervisor.capabilities
        self._finalizer = weakref.finalize(self, self._supervisor.close, "finalized (garbage collection or exit)")

    @property  # type: ignore[misc]  # the base declares a class attribute; this proxy answers for its adapter
    def name(self) -> str:  # type: ignore[override]
        return self._adapter_name

    def _forward(self, name: str, op: Op, args: tuple[Any, ...]) -> Any:
        if op.streaming:
            return self._supervisor.stream(name, op, args)
        return self._supervisor.call(name, op, args)

    def __getattr__(self, attribute: str) -> Callable[..., Any]:
        """The worker adapter's extensions (looked up only for names this class does not have)."""
        supervisor = self.__dict__.get("_supervisor")
        op = supervisor.extensions.get(attribute) if supervisor is not None else None
        if op is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
        return extension(self, attribute, op)

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
        from .faults import Fault, FaultPlan, require_enabled

        require_enabled()
        if self._supervisor.faults is None:
            self._supervisor.faults = FaultPlan()
        self._supervisor.faults.add(Fault(kind, op, when, exit_code), times)
