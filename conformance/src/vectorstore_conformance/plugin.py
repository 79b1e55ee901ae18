"""The pytest plugin (entry point group ``pytest11``): markers, and the summary of what was not tested.

Loaded automatically once ``vectorstore-conformance`` is installed, which also gives the suite's modules pytest's
assertion rewriting. The summary section lists every capability the store declared unsupported with the tests that
were skipped for it, and every other skipped suite test with its reason: nothing unsupported passes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from vectorstore.models import Capabilities

from .items import group_of
from .requirements import Requirements


@dataclass
class RunState:
    """What the suite learnt during one pytest run, for the summary and for ``vectorstore conformance``."""

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*capabilities): vectorstore conformance test needing these capabilities "
        "(names of vectorstore_conformance.Requirements properties); skipped as 'unsupported: <name>' otherwise.",
    )
    run_state(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = run_state(config).groups
    for item in items:
        group = group_of(item)
        if group is not None:
            groups[item.nodeid] = group


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    state = run_state(config)
    if not state.groups:
        return
    skipped = [report for report in terminalreporter.stats.get("skipped", []) if report.nodeid in state.groups]
    unsupported = [(adapter, Requirements(caps).unsupported()) for adapter, caps in state.stores]
    if not skipped and not any(names for _, names in unsupported):
        return
    write = terminalreporter.write_line
    terminalreporter.section("vectorstore conformance: unsupported capabilities and skipped tests")
    for adapter, names in unsupported:
        write(f"{adapter}: unsupported: {', '.join(names) or 'nothing'}")
    for name, nodeids in sorted(state.unsupported.items()):
        write(f"{name} ({Requirements.describe(name)}): {len(nodeids)} skipped")
        for nodeid in nodeids:
            write(f"    {nodeid}")
    gated = {nodeid for nodeids in state.unsupported.values() for nodeid in nodeids}
    others = [report for report in skipped if report.nodeid not in gated]
    if others:
        write(f"skipped for other reasons: {len(others)}")
        for report in others:
            write(f"    {report.nodeid}: {skip_message(report)}")


def skip_message(report: pytest.TestReport) -> str:
    """The reason a skipped report carries (pytest stores it as a (path, line, message) tuple)."""
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)
