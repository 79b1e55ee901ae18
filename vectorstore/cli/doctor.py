"""``vectorstore doctor URL``: check every collection of a store in an isolated worker, optionally repair them.

Exit codes: 0 when every collection is healthy (with ``--repair``: every damaged one repaired completely and healthy
again), 1 when a collection is damaged or quarantined or the store cannot be opened, 2 for usage errors. The checks
run in a worker process whatever the URL says, so a backend that crashes on its own files cannot take this command
down: the crash is the verdict (see :mod:`vectorstore.doctor`). Below the verdicts it prints the store's quarantine
record (:mod:`vectorstore.isolation.quarantine_record`), once it has dropped the collections found healthy from the
record of a host that is gone.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..config import resolve
from ..doctor import DEEP_LIMIT, CollectionRepair, DoctorReport, diagnose
from ..errors import VectorStoreError
from ..health import CollectionHealth
from ..isolation import quarantine_record
from ..sharing import local_path
from .app import URL_HELP, command, console, errors

STYLES = {"healthy": "green", "damaged": "bold red", "quarantined": "bold yellow"}


@command()
def doctor(
    url: str = typer.Argument(..., help=URL_HELP),
    collection: Optional[list[str]] = typer.Option(
        None, "--collection", "-c", help="Check only this collection (repeatable); default: every collection."
    ),
    deep: bool = typer.Option(False, "--deep", help="Also scan every id and compare with count (below --deep-limit)."),
    deep_limit: int = typer.Option(DEEP_LIMIT, min=0, help="--deep scans only collections of at most this many records."),
    repair: bool = typer.Option(False, "--repair", help="Repair each damaged collection, then check it again."),
    force: bool = typer.Option(
        False, "--force", help="With --repair: replace a collection even when some of its ids cannot be restored."
    ),
    timeout_s: Optional[float] = typer.Option(
        None, "--timeout", min=0.001, help="Seconds a check may take before its worker is killed (default: the store's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON instead of a table."),
) -> None:
    """Check every collection of URL (open, count, sample get, self query, filtered query) in an isolated worker."""
    options = {} if timeout_s is None else {"timeout_s": timeout_s}
    report = diagnose(
        url, collections=collection, deep=deep, deep_limit=deep_limit, repair=repair, force=force, **options
    )
    quarantines = _quarantine_record(url, report)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print(report)
        for line in quarantines:
            console.print(escape(line), highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


def _print(report: DoctorReport) -> None:
    if report.error:
        errors.print(f"[bold red]error:[/] {escape(report.error)}", highlight=False, soft_wrap=True)
        return
    table = Table(title=f"doctor: {escape(report.url)}", title_justify="left")
    for column in ("collection", "verdict", "count", "checks", "problem"):
        table.add_column(column, overflow="fold")
    for item in report.collections:
        table.add_row(*_row(item))
    console.print(table)
    if not report.collections:
        console.print("no collections")
    for outcome in report.repairs:
        _print_repair(outcome)
    damaged = [item.collection for item in report.collections if item.status != "healthy"]
    if damaged and not report.repairs:
        console.print(
            f"[bold]{len(damaged)} collection(s) need attention[/]: run `vectorstore doctor --repair {escape(report.url)}`,"
            " or copy what is readable with `vectorstore migrate --salvage` (docs/durability.md)",
            highlight=False, soft_wrap=True,
        )


def _quarantine_record(url: str, report: DoctorReport) -> list[str]:
    """The lines describing the store's quarantine record (:mod:`vectorstore.isolation.quarantine_record`), once the
    collections found healthy are dropped from it (when its host is gone)."""
    try:
        resolved = resolve(url)
    except VectorStoreError:
        return []  # the report says why the store could not be opened
    directory = local_path(resolved)
    if directory is None:
        return []
    repaired = {item.collection: item.after for item in report.repairs}
    healthy = [
        item.collection
        for item in report.collections
        if (repaired.get(item.collection) or item).status == "healthy"
    ]
    quarantine_record.forget(directory, healthy)
    return quarantine_record.describe(quarantine_record.read(directory), resolved.url)


def _row(item: CollectionHealth) -> tuple[str, ...]:
    passed = sum(check.ok for check in item.checks)
    failed = [check for check in item.checks if not check.ok]
    problem = "; ".join(f"{check.name}: {_first_line(check.error)}" for check in failed)
    return (
        escape(item.collection),
        f"[{STYLES[item.status]}]{item.status}[/]",
        "-" if item.count is None else f"{item.count:,}",
        f"{passed}/{len(item.checks)}",
        escape(problem),
    )


def _first_line(error: str | None, limit: int = 400) -> str:
    """A table cell shows an error's first line (the native traceback is in --json)."""
    line = (error or "").splitlines()[0] if error else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _print_repair(outcome: CollectionRepair) -> None:
    name = f"[bold]{escape(outcome.collection)}[/]"
    if outcome.report is None:
        console.print(f"{name}: [red]{escape(outcome.error or 'not repaired')}[/]", highlight=False, soft_wrap=True)
        return
    r = outcome.report
    if r.replaced:
        state = "[green]complete[/]" if r.complete else f"[red]{len(r.missing_ids):,} ids missing[/]"
        done = f"repaired, {state}: {r.restored:,} of {r.expected:,} records restored in {r.seconds:.1f} s"
    else:
        done = (f"[red]not replaced[/]: {len(r.missing_ids):,} of {r.expected:,} ids cannot be restored; the damaged "
                "collection is untouched (salvage it with `vectorstore migrate --salvage`, or repair with --force)")
    console.print(f"{name}: {done}" + (f" from {escape(r.source)}" if r.source else ""), highlight=False, soft_wrap=True)
    if r.missing_ids:
        shown = ", ".join(r.missing_ids[:20]) + (f" and {len(r.missing_ids) - 20:,} more" if len(r.missing_ids) > 20 else "")
        console.print(f"  [red]missing:[/] {escape(shown)}", highlight=False, soft_wrap=True)
    if outcome.after is not None:
        after = outcome.after
        console.print(
            f"{name}: after the repair: [{STYLES[after.status]}]{after.status}[/]"
            + ("" if after.status == "healthy" else f" ({escape(_row(after)[4])})"),
            highlight=False, soft_wrap=True,
        )
