"""The machine-readable report (``pytest --conformance-report FILE``): every suite test's outcome by group.

Outcomes: ``passed``, ``failed`` (including errors in setup or teardown and strict xpasses), ``unsupported`` (skipped
because the store lacks a capability), ``skipped`` (any other reason) and ``xfailed`` (a known failure declared with
``@pytest.mark.xfail(reason=...)``). ``vectorstore conformance`` renders its matrix from this file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .items import group_order
from .requirements import SKIP_PREFIX, Requirements
from .state import run_state, skip_message

OUTCOMES = ("passed", "failed", "unsupported", "skipped", "xfailed")


def _first_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = (crash.message if crash is not None else str(report.longrepr)).strip()
    return text.splitlines()[0][:300] if text else ""


class ReportWriter:
    """Collects test reports during the run and writes the JSON report when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        row = self.rows.setdefault(
            report.nodeid, {"nodeid": report.nodeid, "outcome": "passed", "message": "", "duration_s": 0.0}
        )
        row["duration_s"] = round(row["duration_s"] + report.duration, 3)
        if hasattr(report, "wasxfail"):
            row["outcome"], row["message"] = (
                ("xfailed", str(report.wasxfail)) if report.skipped else ("failed", "XPASS(strict)")
            )
        elif report.skipped:
            message = skip_message(report)
            row["outcome"], row["message"] = ("unsupported" if message.startswith(SKIP_PREFIX) else "skipped"), message
        elif report.failed:
            prefix = "" if report.when == "call" else f"error in {report.when}: "
            row["outcome"], row["message"] = "failed", prefix + _first_line(report)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = run_state(session.config)
        tests = [row | {"group": state.groups[nodeid]} for nodeid, row in self.rows.items() if nodeid in state.groups]
        groups: dict[str, Counter[str]] = {name: Counter() for name in group_order()}
        for test in tests:
            groups.setdefault(test["group"], Counter())[test["outcome"]] += 1
        totals = Counter(test["outcome"] for test in tests)
        document = {
            "ok": bool(tests) and int(exitstatus) in (0, 1) and not totals["failed"],
            "pytest_exit_code": int(exitstatus),
            "stores": [{"adapter": name, "capabilities": caps.model_dump(mode="json")} for name, caps in state.stores],
            "groups": {
                name: {o: count[o] for o in OUTCOMES} | {"total": sum(count.values())}
                for name, count in groups.items()
                if count
            },
            "totals": {o: totals[o] for o in OUTCOMES} | {"total": len(tests)},
            "unsupported": {
                name: {"description": Requirements.describe(name), "tests": nodeids}
                for name, nodeids in sorted(state.unsupported.items())
            },
            "tests": tests,
        }
        self.path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
