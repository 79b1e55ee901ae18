"""The words of isolation errors: what died, during which call, why (in words), and what to do.

Each error also carries its facts as attributes (``op``, ``collection``, ``pid``, ``exitcode``, ``exit_name``,
``exit_kind``, ``native_traceback``, ``poison``), so code can branch without parsing the message.
"""

from __future__ import annotations

import textwrap

from ..errors import CircuitOpen, WorkerCrashed, WorkerTimeout
from ..operations import Op
from .process import Death
from .scans import SCAN_NEXT


def where(op: str, collection: str | None) -> str:
    action = "scan" if op == SCAN_NEXT else op
    return f"{action} on collection {collection!r}" if collection else action


def _traceback(death: Death, heading: str) -> str:
    if not death.traceback:
        return "No Python traceback was written (a SIGKILL leaves none)."
    return f"{heading} (faulthandler, last lines):\n{textwrap.indent(death.traceback, '  ')}"


def _facts(op: str, collection: str | None, death: Death) -> dict[str, object]:
    return {
        "op": op,
        "collection": collection,
        "pid": death.pid,
        "exitcode": death.exit.code,
        "exit_name": death.exit.name,
        "exit_kind": death.exit.kind,
        "native_traceback": death.traceback,
    }


def _worker(death: Death) -> str:
    calls = "1 call" if death.calls == 1 else f"{death.calls} calls"
    return f"worker pid {death.pid}, up {death.uptime_s:.1f} s, {calls} served"


def _next(cooldown_s: float | None) -> str:
    if cooldown_s is None:
        return "A new worker starts on the next call."
    return f"The circuit is now open: calls fail fast for {cooldown_s:g} s, then one call tries a new worker."


def crashed(
    op: str,
    operation: Op,
    collection: str | None,
    deaths: list[Death],
    *,
    retried: bool,
    circuit_cooldown_s: float | None,
) -> WorkerCrashed:
    """The error for a call whose worker died; ``deaths`` has two entries when the retry crashed too.

    ``operation`` is the table entry of ``op`` (its advice when unsure); ``circuit_cooldown_s`` is set when this
    death opened the circuit.
    """
    last = deaths[-1]
    poison = len(deaths) > 1
    if poison:
        names = " then ".join(death.exit.name for death in deaths)
        lines = [
            (
                f"poison request: {where(op, collection)} crashed {len(deaths)} workers in a row ({names}); "
                "it is not retried again. Its input is the likely trigger: fix it or leave it out."
            ),
            f"Last crash: {last.exit}.",
        ]
    else:
        lines = [f"worker crashed during {where(op, collection)}: {last.exit}."]
    lines.append(f"{_worker(last).capitalize()}.")
    if operation.if_unsure is not None:
        lines.append(f"Not retried, since it may or may not have taken effect: {operation.if_unsure}.")
    elif not retried and not poison:
        lines.append("Not retried, since the worker keeps dying.")
    lines.append(_next(circuit_cooldown_s))
    lines.append(_traceback(last, "Native traceback"))
    return WorkerCrashed("\n".join(lines), **_facts(op, collection, last), poison=poison)


def failed_to_start(death: Death) -> WorkerCrashed:
    lines = [
        f"the isolation worker died while starting: {death.exit}.",
        f"{_worker(death).capitalize()}. Its stderr may say more.",
        _traceback(death, "Native traceback"),
    ]
    return WorkerCrashed("\n".join(lines), **_facts("start", None, death), poison=False)


def timed_out(
    op: str,
    operation: Op,
    collection: str | None,
    timeout_s: float,
    death: Death,
    *,
    circuit_cooldown_s: float | None,
) -> WorkerTimeout:
    """The error for a call that outlived its timeout; it is never retried (a hang tends to repeat)."""
    how = (
        "SIGTERM was ignored (a native hang), so it was killed with SIGKILL"
        if death.sigterm_ignored
        else "it was stopped with SIGTERM"
    )
    lines = [
        f"{where(op, collection)} did not finish within {timeout_s:g} s (timeout_s); {_worker(death)}: {how}.",
        _next(circuit_cooldown_s),
    ]
    if operation.if_unsure is not None:
        lines.append(f"It may or may not have taken effect: {operation.if_unsure}.")
    elif operation.writes:
        lines.append(f"The {op} may or may not have been applied; calling it again is safe.")
    lines.append(_traceback(death, "Where it was stuck"))
    return WorkerTimeout("\n".join(lines), **_facts(op, collection, death), timeout_s=timeout_s)


def circuit_open(remaining_s: float, cooldown_s: float, failures: int, last: str) -> CircuitOpen:
    return CircuitOpen(
        f"circuit open: the isolation worker died {failures} times in a row (last: {last}); calls fail fast for "
        f"another {remaining_s:.1f} s (cool-down {cooldown_s:g} s), then one call tries a new worker",
        remaining_s=remaining_s,
        failures=failures,
    )
