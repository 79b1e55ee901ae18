"""Migration commands: migrate, verify, trial, demo-migration.

Exit codes as everywhere: 0 when everything passed, 1 when a collection failed (a plan problem, a difference, an
error), 2 for usage errors. The full results go to ``--report DIR`` as ``report.json`` and ``report.html``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np
import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .. import open as open_store
from .. import typedjson
from ..config import resolve
from ..io import read_queries
from ..migration import DEFAULT_CHECKPOINT_DIRECTORY, CollectionReport, Observer, Report, SalvageResult, write_report
from ..migration import migrate as migrate_api
from ..migration import trial as trial_api
from ..migration import verify as verify_api
from ..shadow.settings import existing_journal
from .app import command, console, fail
from .commands import print_matches
from .demo import COLLECTION, SAMPLE, run_demo, stores
from .shadow import live_backfill

#: How long a live backfill may take before ``migrate`` stops following it (it goes on in the application).
LIVE_TIMEOUT_S = 24 * 3600.0

SourceArgument = typer.Argument(..., help="Source store URL, e.g. chroma:///data/chroma.")
TargetArgument = typer.Argument(..., help="Target store URL, e.g. qdrant:///data/qdrant.")
CollectionsOption = typer.Option(None, "--collection", "-c", help="Collection to process (repeatable).")
AllOption = typer.Option(False, "--all", help="Process every collection of the source.")
ReportOption = typer.Option(None, "--report", help="Write report.json and report.html into this directory.")
WhereOption = typer.Option(None, "--where", help="Also run the trial with this JSON filter (repeatable).")


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} rec/s" if task.speed else "", style="progress.data.speed")


class _Bar(Observer):
    """Draws the copy as a bar with records/s and ETA, and the other steps as a spinner line."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def _replace(self, description: str, total: float | None) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(description, total=total)

    def phase(self, collection: str, text: str) -> None:
        self._replace(f"{collection}: {text}", None)

    def copying(self, collection: str, total: int) -> None:
        self._replace(f"{collection}: copying", total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)

    def done(self, collection: str, report: CollectionReport) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        print_collection(report)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(),
        TimeRemainingColumn(), console=console, transient=True,
    )


def _selection(collections: Optional[list[str]], every: bool) -> list[str] | None:
    if every and collections:
        raise fail("give --collection names or --all, not both", code=2)
    if not every and not collections:
        raise fail("name the collections with --collection (repeatable) or pass --all", code=2)
    return None if every else collections


def _wheres(texts: Optional[list[str]]) -> list[dict[str, Any]]:
    wheres = []
    for text in texts or []:
        try:
            value = typedjson.loads(text)
        except json.JSONDecodeError as exc:
            raise fail(f"--where {text!r} is not valid JSON: {exc}", code=2) from None
        except ValueError as exc:  # a {"$datetime": ...} or {"$date": ...} that is not ISO 8601
            raise fail(f"--where {text!r}: {exc}", code=2) from None
        if not isinstance(value, dict):
            raise fail(f"--where {text!r} must be a JSON object", code=2)
        wheres.append(value)
    return wheres


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_collection(item: CollectionReport) -> None:
    """A few lines per collection: what was planned, copied, verified and how the trial went."""
    name = f"[bold]{escape(item.collection)}[/]"
    plan = item.plan
    if plan is not None:
        state = "[green]ok[/]" if plan.ok else "[red]cannot copy[/]"
        console.print(
            f"{name}: plan {state}: {plan.source_count:,} records, dimension {plan.dimension}, {plan.metric}; "
            f"{plan.to_copy:,} to copy, {plan.already_done:,} already copied, {plan.stale:,} stale"
        )
        for line in plan.blockers:
            console.print(f"  [red]{escape(line)}[/]")
        for group in plan.collisions:
            console.print(f"  [red]the target stores these ids as one record:[/] {escape(', '.join(group))}")
        if plan.foreign_count:
            console.print(
                f"  [red]the target collection holds {plan.foreign_count:,} records this migration did not write "
                f"(e.g. {escape(', '.join(plan.foreign_ids[:5]))}); delete them or the collection[/]"
            )
        for problem in plan.unholdable:
            console.print(f"  [red]cannot hold {escape(repr(problem.id))}:[/] {escape(problem.detail)}")
        if plan.unholdable_count > len(plan.unholdable):
            console.print(f"  [red]and {plan.unholdable_count - len(plan.unholdable):,} more[/]")
    if item.copy_result is not None:
        c = item.copy_result
        console.print(
            f"{name}: copied {c.copied:,} records ({c.skipped:,} already there, {c.deleted_stale:,} stale deleted) "
            f"in {c.seconds:.1f} s, {c.records_per_second:,.0f} records/s"
        )
    if item.salvage is not None:
        print_salvage(item.salvage)
    if item.verify is not None:
        v = item.verify
        state = "[green]verified[/]" if v.ok else f"[red]{v.difference_count:,} differences[/]"
        console.print(
            f"{name}: {state}: {v.source_count:,} source / {v.target_count:,} target records, "
            f"{v.missing_in_target:,} missing, {v.extra_in_target:,} extra, {v.sampled:,} compared field by field"
        )
        for problem in v.differences:
            console.print(f"  [red]{problem.kind}[/] {escape(problem.id or '')}: {escape(problem.detail)}", highlight=False)
    if item.trial is not None:
        t = item.trial
        for s in t.slices:
            label = escape("unfiltered" if s.where is None else f"where {typedjson.dumps(s.where)}")
            if s.error:
                console.print(f"{name}: trial {label}: [red]{escape(s.error)}[/]")
                continue
            lat_s, lat_t = s.latency_source, s.latency_target
            console.print(
                f"{name}: trial {label} ({s.queries} queries, k={t.k}): overlap@{t.k} mean {_number(s.overlap_mean)} "
                f"min {_number(s.overlap_min)}, same rank {_number(s.identical_rank_fraction)}, "
                f"Kendall tau {_number(s.kendall_tau)}, score diff max {_number(s.score_diff_max, 6)}; "
                f"p50/p95/p99 ms source {_number(lat_s.p50 if lat_s else None, 2)}/"
                f"{_number(lat_s.p95 if lat_s else None, 2)}/{_number(lat_s.p99 if lat_s else None, 2)}, "
                f"target {_number(lat_t.p50 if lat_t else None, 2)}/{_number(lat_t.p95 if lat_t else None, 2)}/"
                f"{_number(lat_t.p99 if lat_t else None, 2)}",
                highlight=False,
            )
        for flag in t.flags:
            console.print(f"  [yellow]flag:[/] {escape(flag)}")
    if item.error:
        console.print(f"{name}: [red]{escape(item.error)}[/]", highlight=False)
    if item.checkpoint:
        console.print(f"{name}: checkpoint kept at {escape(item.checkpoint)} (continue with --resume)")


def print_salvage(s: SalvageResult) -> None:
    """The salvage's count of readable records, then every unreadable id (the first ones with their error)."""
    name = f"[bold]{escape(s.collection)}[/]"
    if s.ok:
        console.print(f"{name}: salvage read all {s.listed:,} records the source listed", highlight=False)
        return
    console.print(
        f"{name}: [red]salvage: {len(s.unreadable_ids):,} of {s.listed:,} records unreadable[/], {s.copied:,} copied "
        f"({s.failed_reads:,} failed reads); the target holds {s.target_count:,}; not verified",
        highlight=False,
    )
    for problem in s.errors:
        console.print(f"  [red]unreadable[/] {escape(problem.id or '')}: {escape(problem.detail)}", highlight=False)
    if len(s.unreadable_ids) > len(s.errors):
        rest = s.unreadable_ids[len(s.errors):]
        console.print(f"  [red]and {len(rest):,} more:[/] {escape(', '.join(rest))}", highlight=False, soft_wrap=True)


def finish(report: Report, directory: Optional[Path]) -> None:
    """Write the report if asked, then exit 1 unless everything passed."""
    if directory is not None:
        json_path, html_path = write_report(report, directory)
        console.print(f"report: {escape(str(html_path))} (and {escape(json_path.name)})")
    if not report.ok:
        raise typer.Exit(1)


@command()
def migrate(
    source: str = SourceArgument,
    target: str = TargetArgument,
    collection: Optional[list[str]] = CollectionsOption,
    every: bool = AllOption,
    batch_size: int = typer.Option(1000, help="Records per scan batch and per upsert."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted migration from its checkpoint."),
    restart: bool = typer.Option(False, "--restart", help="Discard an existing checkpoint and copy everything."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything, read every record, write nothing."),
    report: Optional[Path] = ReportOption,
    verify_sample: int = typer.Option(1000, help="Records compared field by field after the copy."),
    trial_queries: int = typer.Option(100, help="Stored vectors used as trial queries (0 skips the trial)."),
    k: int = typer.Option(10, "-k", "--k", help="Results per trial query."),
    where: Optional[list[str]] = WhereOption,
    checkpoint_dir: Path = typer.Option(DEFAULT_CHECKPOINT_DIRECTORY, help="Where checkpoints are kept."),
    batch_delay: float = typer.Option(0.0, help="Milliseconds to pause after each batch, to spare a busy server."),
    salvage: bool = typer.Option(
        False, "--salvage",
        help="Read a damaged source by id, bisecting failing batches down to single records; list the unreadable ones.",
    ),
    indexes: bool = typer.Option(
        True, "--indexes/--no-indexes", help="Declare the source collections' payload indexes on the target."
    ),
    infer_indexes: bool = typer.Option(
        False, "--infer-indexes",
        help="Also index every metadata key whose values (in the first 1000 records) share one kind.",
    ),
    parallel: int = typer.Option(1, "--parallel", min=1, help="Collections migrated at once."),
) -> None:
    """Copy collections from SOURCE to TARGET, resumably, then verify the copy and compare search on both sides."""
    if resume and restart:
        raise fail("--resume continues a checkpoint and --restart discards it: give one of them", code=2)
    names = _selection(collection, every)
    wheres = _wheres(where)
    journal = existing_journal(resolve(source).url, resolve(target).url)
    if journal is not None:
        _migrate_live(source, target, journal, names, dry_run or salvage or resume or restart)
    with _progress() as progress:
        result = migrate_api(
            source, target, names, batch_size=batch_size, resume=resume, restart=restart, dry_run=dry_run,
            verify_sample=verify_sample, trial_queries=trial_queries, k=k, wheres=wheres,
            checkpoint_dir=checkpoint_dir, batch_delay=batch_delay / 1000.0, salvage=salvage, indexes=indexes,
            infer_indexes=infer_indexes, parallel=parallel, observer=_Bar(progress),
        )
    if dry_run:
        console.print("dry run: nothing was written" + ("" if result.ok else "; the problems above would stop the copy"))
    finish(result, report)


def _migrate_live(source: str, target: str, journal: Path, names: list[str] | None, offline_options: bool) -> None:
    """SOURCE is shadowed onto TARGET (a live migration): an offline copy would race the application's journaled
    writes, so the copy is a live backfill, run by the process holding the stores (docs/migration.md)."""
    if offline_options:
        raise fail(
            f"{source} is shadowed onto {target} (journal {journal}): --dry-run, --salvage, --resume and --restart "
            "are for offline copies; run `vectorstore migrate` without them to backfill live",
            code=2,
        )
    console.print(
        f"{escape(source)} is shadowed onto {escape(target)} (journal {escape(str(journal))}): backfilling live"
    )
    ok = live_backfill(journal, names or [], LIVE_TIMEOUT_S, lambda: open_store(source, shadow=target))
    raise typer.Exit(0 if ok else 1)


@command()
def verify(
    source: str = SourceArgument,
    target: str = TargetArgument,
    collection: Optional[list[str]] = CollectionsOption,
    every: bool = AllOption,
    sample: int = typer.Option(1000, help="Records compared field by field (all if the collection is smaller)."),
    seed: int = typer.Option(0, help="Seed of the random sample."),
    report: Optional[Path] = ReportOption,
) -> None:
    """Check that TARGET holds exactly SOURCE's records: counts, every id both ways, a sample field by field."""
    names = _selection(collection, every)
    with _progress() as progress:
        result = verify_api(source, target, names, sample=sample, seed=seed, observer=_Bar(progress))
    finish(result, report)


@command()
def trial(
    source: str = SourceArgument,
    target: str = TargetArgument,
    collection: Optional[list[str]] = CollectionsOption,
    every: bool = AllOption,
    queries: Optional[Path] = typer.Option(None, help="JSONL of {text, embedding} query rows."),
    sample: int = typer.Option(100, help="Without --queries: this many stored vectors are the queries."),
    k: int = typer.Option(10, "-k", "--k", help="Results per query."),
    where: Optional[list[str]] = WhereOption,
    seed: int = typer.Option(0, help="Seed of the random sample."),
    report: Optional[Path] = ReportOption,
) -> None:
    """Run the same queries on SOURCE and TARGET: overlap@k, rank agreement, score differences, latency."""
    names = _selection(collection, every)
    vectors = None
    if queries is not None:
        vectors = np.asarray([embedding for _, embedding in read_queries(queries)], dtype=np.float32)
        if not len(vectors):
            raise fail(f"{queries}: no queries found", code=2)
    with _progress() as progress:
        result = trial_api(
            source, target, names, queries=vectors, sample=sample, k=k, wheres=_wheres(where), seed=seed,
            observer=_Bar(progress),
        )
    finish(result, report)


@command("demo-migration")
def demo_migration(
    directory: Path = typer.Option(Path(".vectorstore") / "demo", "--dir", help="Where the demo's stores and report go."),
) -> None:
    """The main job: ingest the sample into Chroma (isolated), migrate it to embedded Qdrant, verify, trial, report."""
    with _progress() as progress:
        result, html = run_demo(directory, observer=_Bar(progress), say=lambda text: console.print(escape(text)))
    with open_store(stores(directory)[1]) as qdrant:
        for text, embedding in read_queries(SAMPLE.parent / "queries.jsonl")[:3]:
            print_matches(f"on Qdrant now: {text}", qdrant.search(COLLECTION, embedding, 3))
    console.print(f"\nreport: [bold]{escape(str(html))}[/] (open it in a browser; report.json beside it)")
    if not result.ok:
        raise typer.Exit(1)
