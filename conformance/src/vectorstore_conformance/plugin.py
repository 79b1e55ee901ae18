"""The pytest plugin (entry point group ``pytest11``): markers, the summary of what was not tested, the JSON report.

Loaded automatically once ``vectorstore-conformance`` is installed, which also gives the suite's modules pytest's
assertion rewriting. The summary section lists every capability the store declared unsupported with the tests that
were skipped for it, and every other skipped suite test with its reason: nothing unsupported passes silently.
``--conformance-report FILE`` also writes every outcome by case group as JSON (see :mod:`.report`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .items import group_of
from .report import ReportWriter
from .requirements import Requirements
from .state import run_state, skip_message


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("vectorstore conformance").addoption(
        "--conformance-report",
        metavar="FILE",
        type=Path,
        help="write every conformance test's outcome, by case group, as JSON to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*capabilities): vectorstore conformance test needing these capabilities "
        "(names of vectorstore_conformance.Requirements properties); skipped as 'unsupported: <name>' otherwise.",
    )
    run_state(config)
    path = config.getoption("conformance_report", None)
    if path is not None:
        config.pluginmanager.register(ReportWriter(path), "vectorstore-conformance-report")


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
