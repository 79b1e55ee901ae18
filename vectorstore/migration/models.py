"""What a migration, a verification and a trial report: pydantic models, so the JSON report is their dump."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from ..models import Metric

#: How many problems of one kind a report lists by name; the counts are always complete.
LISTED = 20


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Model):
    """One thing that differs or cannot be done, named precisely enough to act on."""

    kind: str
    id: str | None = None
    detail: str


class CollectionPlan(_Model):
    """What copying one collection would do, found before anything is written."""

    collection: str
    dimension: int
    metric: Metric
    source_count: int
    target_exists: bool
    target_count: int = 0
    #: Records the run would write (all of them unless a checkpoint says some are done).
    to_copy: int = 0
    #: Source records a checkpoint lists as copied (the copy still re-checks each one's content).
    already_done: int = 0
    #: Ids a checkpoint lists as copied that the source no longer has; the run deletes them from the target.
    stale: int = 0
    #: Whether the target's id mapping was checked (see :mod:`vectorstore.migration.collisions`).
    ids_checked: bool = False
    #: Groups of source ids that the target would store as one record.
    collisions: list[list[str]] = Field(default_factory=list)
    #: Target records whose ids are not in the source and not from this migration (first ones, then a count).
    foreign_ids: list[str] = Field(default_factory=list)
    foreign_count: int = 0
    #: Records the target cannot hold and why (a dry run reads every record to find them).
    unholdable: list[Problem] = Field(default_factory=list)
    unholdable_count: int = 0
    #: Collection-level reasons the copy cannot run (metric, dimension, capabilities).
    blockers: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not (self.blockers or self.collisions or self.foreign_count or self.unholdable_count)


class CopyResult(_Model):
    collection: str
    copied: int
    skipped: int
    deleted_stale: int
    batches: int
    seconds: float
    records_per_second: float
    resumed: bool


class SalvageResult(_Model):
    """What ``migrate --salvage`` could read from a partly readable source, and every id it could not."""

    collection: str
    #: Ids the source's ids-only scan listed (the records that must be there).
    listed: int
    #: Records read and written to the target (or found there already, from a checkpoint).
    copied: int
    #: Every id whose record could not be read, even alone (bisected down from the failing batch).
    unreadable_ids: list[str] = Field(default_factory=list)
    #: Why, for the first :data:`LISTED` of them (the source's error for that single id).
    errors: list[Problem] = Field(default_factory=list)
    #: Reads of the source that failed, batches and single ids alike.
    failed_reads: int = 0
    #: Records the target collection holds after the copy.
    target_count: int = 0
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.unreadable_ids


class VerifyResult(_Model):
    collection: str
    source_count: int
    target_count: int
    missing_in_target: int
    extra_in_target: int
    sampled: int
    differences: list[Problem] = Field(default_factory=list)
    difference_count: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return self.difference_count == 0


class Latency(_Model):
    """Per-query latency of one side, in milliseconds."""

    p50: float
    p95: float
    p99: float
    mean: float


class TrialSlice(_Model):
    """The trial's numbers for one filter (``where`` is ``None`` for unfiltered queries)."""

    where: dict[str, Any] | None = None
    queries: int = 0
    k: int
    overlap_mean: float | None = None
    overlap_min: float | None = None
    #: Counts of per-query overlap in ten bins of width 0.1, the last one being exactly 1.0 (``OVERLAP_BINS``).
    overlap_histogram: list[int] = Field(default_factory=list)
    #: Fraction of result positions holding the same id on both sides (a reordering within tied scores counts as same).
    identical_rank_fraction: float | None = None
    #: Mean Kendall tau of the shared ids' ranks (queries sharing fewer than two ids are left out).
    kendall_tau: float | None = None
    score_diff_mean: float | None = None
    score_diff_max: float | None = None
    latency_source: Latency | None = None
    latency_target: Latency | None = None
    error: str | None = None


class TrialResult(_Model):
    collection: str
    queries_from: str
    k: int
    slices: list[TrialSlice]
    #: Human-readable warnings, e.g. recall@10 below the threshold.
    flags: list[str] = Field(default_factory=list)


class CollectionReport(_Model):
    collection: str
    plan: CollectionPlan | None = None
    copy_result: CopyResult | None = None
    salvage: SalvageResult | None = None
    verify: VerifyResult | None = None
    trial: TrialResult | None = None
    error: str | None = None
    #: Where the checkpoint is while the migration of this collection is unfinished (None once removed).
    checkpoint: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        if self.error or (self.plan is not None and not self.plan.ok):
            return False
        if self.salvage is not None and not self.salvage.ok:
            return False
        if self.trial is not None and any(item.error for item in self.trial.slices):
            return False
        return self.verify is None or self.verify.ok


class Report(_Model):
    """One run of ``migrate``, ``verify`` or ``trial`` over one or more collections."""

    command: Literal["migrate", "verify", "trial"]
    source: str
    target: str
    dry_run: bool = False
    started: str
    seconds: float = 0.0
    collections: list[CollectionReport] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.collections)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
