"""Live-migration commands: ``vectorstore shadow status|backfill|report`` and ``vectorstore cutover``.

They find the shadowed store in the configuration (``--config FILE``, else ``VECTORSTORE_CONFIG``, else
``./vectorstore.toml``). Exit codes: 0 ready / done / swapped, 1 not ready / failed / refused, 2 usage errors.
"""

from __future__ import annotations

import json
import os
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from ..config import TOML_FILE
from ..errors import ConfigurationError, StoreLocked
from ..shadow.status import cutover as cutover_api
from ..shadow.status import journal_of, read_status
from .app import app, command, console, fail

shadow_app = typer.Typer(help="A shadowed store (live migration): status, backfill, live-trial report.",
                         no_args_is_help=True)
app.add_typer(shadow_app, name="shadow")

ConfigOption = typer.Option(None, "--config", help="The TOML configuration with the shadow (default: as vectorstore.open).")


def _config_path(config: Optional[Path]) -> Path:
    path = config or (Path(os.environ["VECTORSTORE_CONFIG"]) if os.environ.get("VECTORSTORE_CONFIG") else Path(TOML_FILE))
    if not path.is_file():
        raise ConfigurationError(f"no configuration file at {path}; pass --config FILE")
    return path


def _load(config: Optional[Path]) -> tuple[Path, dict[str, Any]]:
    path = _config_path(config)
    return path, tomllib.loads(path.read_text(encoding="utf-8"))


def _shadow_command(name: str, **kwargs: Any) -> Any:
    """``@shadow_app.command`` with the shared error handling."""
    def decorate(function: Any) -> Any:
        import functools

        from .app import cli_errors

        @functools.wraps(function)
        def wrapper(*a: Any, **k: Any) -> Any:
            with cli_errors():
                return function(*a, **k)

        return shadow_app.command(name, **kwargs)(wrapper)

    return decorate


@_shadow_command("status")
def status_command(config: Optional[Path] = ConfigOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """Journal lag, replay errors, mirrored-read agreement, and the verdict: ready, or not ready and why."""
    _, table = _load(config)
    status = read_status(journal_of(table))
    if as_json:
        console.print_json(status.model_dump_json())
    else:
        console.print(f"primary {escape(str(status.primary))}  shadow {escape(str(status.shadow))}")
        console.print(f"journal {escape(status.journal)}: {status.lag_writes} writes behind "
                      f"({status.lag_seconds:.1f} s), cursor {status.cursor} of {status.head}")
        applier = status.applier
        console.print(f"applied {applier.get('applied_entries', 0)} entries, {applier.get('replay_errors', 0)} replay errors"
                      + (f", last: {escape(str(applier.get('last_error')))}" if applier.get("last_error") else ""))
        for item in (status.mirror or {}).get("slices", []):
            where = "unfiltered" if item["where"] is None else json.dumps(item["where"], sort_keys=True)
            console.print(f"  {escape(item['collection'])} {escape(where)}: {item['queries']} queries, "
                          f"overlap@{item['k']} {item['overlap_mean']}, same rank {item['identical_rank_fraction']}")
        for note in status.notes:
            console.print(f"[dim]note: {escape(note)}[/]")
        if status.ready:
            console.print("[bold green]ready[/] for cutover")
        else:
            console.print("[bold red]not ready[/]:")
            for reason in status.reasons:
                console.print(f"  - {escape(reason)}")
    raise typer.Exit(0 if status.ready else 1)


@_shadow_command("backfill")
def backfill_command(
    collection: list[str] = typer.Option([], "--collection", "-c", help="Collection to backfill (default: all)."),
    config: Optional[Path] = ConfigOption,
    timeout: float = typer.Option(3600.0, help="Give up waiting after this many seconds."),
) -> None:
    """Copy collections to the shadow while the application writes, then replay the journal since the copy began.

    If the application holds the stores, it runs the backfill (asked through the journal) and this command follows
    it; otherwise this command opens the shadowed store and runs it itself.
    """
    from .. import open as open_store

    _, table = _load(config)
    ok = live_backfill(journal_of(table), collection, timeout, lambda: open_store(config=table.get("vectorstore", table)))
    raise typer.Exit(0 if ok else 1)


def live_backfill(path: Path, names: list[str], timeout: float, open_shadowed: Callable[[], Any]) -> bool:
    """Backfill through the process that holds the stores (asked through the journal at ``path``), or, when no
    application holds them, in this process with the shadowed store ``open_shadowed()`` opens."""
    from ..shadow.journal import Journal
    from ..toolkit import DirectoryLock

    owner = DirectoryLock(path.with_name(path.name + ".owner"), "shadowed store")
    try:
        owner.acquire()
    except StoreLocked:
        journal = Journal(path)
        try:
            names = names or journal.get_state("collections", [])
            if not names:
                raise fail("the application has not published its collections yet; name them with -c") from None
            ids = [journal.request_backfill(name) for name in names]
            console.print(f"asked the application (it holds the stores) to backfill {', '.join(names)}")
            return _follow(journal, ids, timeout)
        finally:
            journal.close()
    owner.release()
    with open_shadowed() as store:
        ok: bool = store.backfill(names or None, timeout)
        _print_backfills(store.journal.backfills()[-max(len(names), 1):])
    return ok


def _follow(journal: Any, ids: list[int], timeout: float) -> bool:
    """Poll the journal for the application's progress (a command line's loop, at one line per state change)."""
    deadline, seen = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        current = [b for b in journal.backfills() if b.id in ids]
        for b in current:
            state = (b.status, b.detail.get("copied"))
            if seen.get(b.id) != state:
                seen[b.id] = state
                console.print(f"{escape(b.collection)}: {b.status} ({b.detail.get('copied', 0)} copied)")
        if all(b.status in ("done", "failed") for b in current):
            _print_backfills(current)
            return all(b.status == "done" for b in current)
        time.sleep(0.2)
    console.print(f"[bold red]still running after {timeout:.0f} s[/]")
    return False


def _print_backfills(items: list[Any]) -> None:
    for b in items:
        detail = ", ".join(f"{k} {v}" for k, v in b.detail.items())
        console.print(f"{escape(b.collection)}: [bold]{b.status}[/] {escape(detail)}")


@_shadow_command("report")
def report_command(
    directory: Path = typer.Argument(..., help="Where report.json and report.html go."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """The live trial: mirrored-read statistics as trial's report, with agreement and latency over time."""
    from ..shadow.live_report import write_live_report

    _, table = _load(config)
    json_path, html_path = write_live_report(read_status(journal_of(table)), directory)
    console.print(f"wrote {json_path} and {html_path}")


@command("cutover")
def cutover_command(
    config: Optional[Path] = ConfigOption,
    force: bool = typer.Option(False, "--force", help="Swap even if the shadow lags or differs."),
    timeout: float = typer.Option(300.0, help="How long to wait for the journal to drain, in seconds."),
    sample: int = typer.Option(1000, help="Records compared field by field per collection."),
) -> None:
    """Make the shadow the primary and the primary the shadow (run it again to roll back).

    Needs both stores free (stop the application, or use server URLs): drains the journal, verifies every
    collection, then swaps the two url values in the configuration file.
    """
    path = _config_path(config)
    result = cutover_api(path, force=force, drain_timeout_s=timeout, sample=sample)
    for line in result.differences[:20]:
        console.print(f"  difference: {escape(line)}")
    if result.refused and not result.swapped:
        raise fail(f"cutover refused: {result.refused}; fix it, or --force")
    if result.refused:
        console.print(f"[bold yellow]forced[/] despite: {escape(result.refused)}")
    console.print(f"primary is now {escape(str(result.primary_after))} (was {escape(result.primary_before)}); "
                  "run cutover again to roll back")
