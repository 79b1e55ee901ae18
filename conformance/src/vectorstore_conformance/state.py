"""What the suite learns during one pytest run, shared by the fixtures, the summary and the JSON report."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vectorstore.models import Capabilities


@dataclass
class RunState:
    #: nodeid -> suite group of every collected suite test.
    groups: dict[str, str] = field(default_factory=dict)
    #: capability name -> nodeids skipped because the store lacks it.
    unsupported: dict[str, list[str]] = field(default_factory=dict)
    #: (adapter name, capabilities) of every distinct store configuration seen.
    stores: list[tuple[str, Capabilities]] = field(default_factory=list)

    def record_store(self, adapter: str, capabilities: Capabilities) -> None:
        if (adapter, capabilities) not in self.stores:
            self.stores.append((adapter, capabilities))

    def record_skip(self, nodeid: str, unmet: list[str]) -> None:
        for name in unmet:
            self.unsupported.setdefault(name, []).append(nodeid)


STATE = pytest.StashKey[RunState]()


def run_state(config: pytest.Config) -> RunState:
    return config.stash.setdefault(STATE, RunState())


def skip_message(report: pytest.TestReport) -> str:
    """The reason a skipped report carries (pytest stores it as a (path, line, message) tuple)."""
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)
