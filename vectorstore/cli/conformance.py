"""``vectorstore conformance URL``: run the shared conformance suite against any configured backend.

The suite lives in the ``vectorstore-conformance`` distribution (a pytest plugin); this command only runs it and
prints the matrix of case groups by outcome. Exit code 1 when any test failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..config import redact
from .app import URL_HELP, command, console, fail

INSTALL_HINT = "pip install vectorstore-conformance   (from a clone: pip install -e conformance)"
COLUMNS = ("passed", "failed", "unsupported", "skipped", "xfailed")
STYLES = {"passed": "green", "failed": "bold red", "unsupported": "yellow", "skipped": "yellow", "xfailed": "cyan"}


@command()
def conformance(
    url: str = typer.Argument(..., help=URL_HELP),
    json_file: Optional[Path] = typer.Option(None, "--json", help="Also write the full report (every test) as JSON."),
    group: Optional[list[str]] = typer.Option(
        None, "--group", "-g", help="Run only this case group (repeatable), e.g. -g query -g filters."
    ),
    keyword: Optional[str] = typer.Option(None, "-k", help="Run only tests matching this pytest -k expression."),
) -> None:
    """Run the conformance suite against URL and print a matrix of case groups by outcome."""
    try:
        from vectorstore_conformance import runner
        from vectorstore_conformance.items import group_order
    except ImportError:
        raise fail(f"the conformance suite is not installed: {INSTALL_HINT}") from None
    unknown = sorted(set(group or ()) - set(group_order()))
    if unknown:
        raise fail(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(group_order())}", code=2)
    if runner.has_path(url):
        console.print("note: the URL's path is replaced by a fresh temporary directory for each test", style="dim")
    report = runner.run(url, groups=group, keyword=keyword)
    report["url"] = _shown(url)
    _print_matrix(report)
    if json_file is not None:
        json_file.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.print(f"report written to {escape(str(json_file))}", highlight=False, soft_wrap=True)
    if not report["tests"]:
        raise fail(f"no conformance tests ran (pytest exit code {report['pytest_exit_code']})")
    if not report["ok"]:
        failed, code = report["totals"].get("failed", 0), report["pytest_exit_code"]
        raise fail(f"{failed} conformance test(s) failed against {report['url']} (pytest exit code {code})")


def _shown(url: str) -> str:
    """The URL as printed: secrets redacted, ``memory://`` kept whole."""
    shown = redact(url)
    return shown.replace(":", "://", 1) if "://" in url and "://" not in shown else shown


def _print_matrix(report: dict[str, Any]) -> None:
    table = Table(title=f"conformance of {escape(report['url'])}", title_justify="left")
    table.add_column("group")
    for column in (*COLUMNS, "total"):
        table.add_column(column, justify="right")
    for name, counts in report["groups"].items():
        table.add_row(name, *(_cell(counts[c], c) for c in COLUMNS), str(counts["total"]))
    totals = report["totals"]
    table.add_section()
    table.add_row("total", *(_cell(totals.get(c, 0), c) for c in COLUMNS), str(totals["total"]), style="bold")
    console.print(table)
    for name, entry in report["unsupported"].items():
        console.print(
            f"[yellow]unsupported[/] {name} ({escape(entry['description'])}): {len(entry['tests'])} test(s) skipped",
            highlight=False,
            soft_wrap=True,
        )
    for test in report["tests"]:
        if test["outcome"] == "failed":
            console.print(
                f"[bold red]failed[/] {escape(test['nodeid'])}: {escape(test['message'])}",
                highlight=False,
                soft_wrap=True,
            )


def _cell(count: int, outcome: str) -> str:
    return f"[{STYLES[outcome]}]{count}[/]" if count else "[dim]0[/]"
