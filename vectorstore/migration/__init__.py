"""Copy collections between any two stores, check the copy, and compare search on both sides.

>>> from pathlib import Path
>>> from vectorstore.migration import migrate, write_report
>>> report = migrate("chroma:///data/chroma", "qdrant:///data/qdrant", ["docs"])  # doctest: +SKIP
>>> report.ok, write_report(report, Path("migration-report"))                       # doctest: +SKIP

Everything goes through the public contract (``scan``, ``upsert``, ``get``, ``search``, ``get_collection``), so
any pair of adapters works. See ``docs/migration.md`` for the checkpoint, the checks and the report.
"""

from .checkpoint import DEFAULT_DIRECTORY as DEFAULT_CHECKPOINT_DIRECTORY
from .models import (
    CollectionPlan, CollectionReport, CopyResult, Problem, Report, SalvageResult, TrialResult, TrialSlice, VerifyResult,
)
from .report import write_report
from .run import CheckpointExists, Observer, SalvageImpossible, migrate, trial, verify

__all__ = [
    "DEFAULT_CHECKPOINT_DIRECTORY",
    "CheckpointExists",
    "CollectionPlan",
    "CollectionReport",
    "CopyResult",
    "Observer",
    "Problem",
    "Report",
    "SalvageImpossible",
    "SalvageResult",
    "TrialResult",
    "TrialSlice",
    "VerifyResult",
    "migrate",
    "trial",
    "verify",
    "write_report",
]
